"""Demo replies to the Harrow core group's invitations, read through the same path as a real mailbox: the
school accepts a meeting from its calendar and writes that it will be late; the health visitor proposes a
new time for the next meeting. The lead finds them on the family's "Replies about meetings" page."""
from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select

from coordinator.auth.services import existing_user
from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings.models import MeetingSeries, OccurrenceStatus, SeriesStatus
from coordinator.notify.inbound import process_waiting, store
from coordinator.notify.models import InboundMessage
from coordinator.timeutil import utcnow


def _email(sender, series, subject: str, text: str, calendar: Calendar | None = None,
           method: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"{sender.name} <{sender.email}>"
    message["To"] = series.organiser_email
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="demo.invalid")
    message.set_content(text)
    if calendar is not None:
        message.add_alternative(calendar.to_ical().decode(), subtype="calendar", params={"method": method})
    return message.as_bytes()


def _calendar(method: str, series, person, partstat: str, *, occurrence=None, start=None, end=None,
              comment: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", series.uid)
    event.add("dtstamp", utcnow())
    event.add("sequence", series.sequence)
    if occurrence is not None:
        event.add("recurrence-id", occurrence.original_start.astimezone(series.zone))
    if start is not None:
        event.add("dtstart", start.astimezone(series.zone))
        event.add("dtend", end.astimezone(series.zone))
    event.add("organizer", vCalAddress(f"mailto:{series.organiser_email}"))
    attendee = vCalAddress(f"mailto:{person.email}")
    attendee.params["cn"] = vText(person.name)
    attendee.params["partstat"] = vText(partstat)
    event.add("attendee", attendee, encode=False)
    if comment:
        event.add("comment", comment)
    calendar.add_component(event)
    return calendar


def load_demo_replies() -> None:
    if db.session.scalar(select(InboundMessage.id).where(InboundMessage.source.like("demo:%")).limit(1)):
        return  # loaded already: the demo is loaded once, whatever its dates
    series = db.session.scalar(select(MeetingSeries).join(Family, Family.id == MeetingSeries.family_id).where(
        Family.family_name == "Harrow", MeetingSeries.status == SeriesStatus.ACTIVE).order_by(MeetingSeries.id))
    if series is None:
        return
    now = utcnow()
    coming = [o for o in series.occurrences if not o.is_extra and o.starts_at > now + timedelta(days=1)
              and o.status is not OccurrenceStatus.CANCELLED]
    school, health = existing_user("school@demo.invalid"), existing_user("health@demo.invalid")
    invited = {i.user_id for i in series.current_invitees}
    if len(coming) < 2 or school.id not in invited or health.id not in invited:
        return
    # The next meeting stays unanswered by both (their to-do lists still ask); the school accepts the one after.
    meeting, later = coming[0], coming[1]
    messages = [
        _email(school, series, f"Accepted: {series.title}", "Sam School has accepted this invitation.",
               _calendar("REPLY", series, school, "ACCEPTED", occurrence=later), "REPLY"),
        _email(school, series, f"Re: {series.title}",
               "I will be ten minutes late to the next one: I am covering a class until 10:05."),
        _email(health, series, f"New Time Proposed: {series.title}", "Could we start after my clinic?",
               _calendar("COUNTER", series, health, "NEEDS-ACTION", occurrence=meeting,
                         start=meeting.starts_at + timedelta(hours=4), end=meeting.ends_at + timedelta(hours=4),
                         comment="My clinic runs all morning that day: could we start at two?"), "COUNTER"),
    ]
    for number, raw in enumerate(messages):
        store(raw, f"demo:{number}")
    db.session.commit()
    process_waiting()
