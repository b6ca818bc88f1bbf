"""Meetings tell the truth: a meeting whose minutes are started has been held, whatever its status said
(moved, say): it is shown as held, is neither overdue nor the next meeting, and cannot be moved or
cancelled; "Write the minutes" is offered from the meeting's day only; the email for a moved meeting says
which meeting moved, from when to when, and why."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus
from tests.conftest import send_all
from tests.families.helpers import Page, assert_form_error
from tests.meetings.helpers import (
    count,
    create_series,
    meeting_counts,
    move_data,
    open_form,
    outbox,
    post,
    press,
    shift_into_past,
    signed_in,
    today,
)
from tests.meetings.test_overdue import assert_not_flagged
from tests.minutes.helpers import assert_no_names, read_mail
from tests.support.clock import travel_to

LONDON = ZoneInfo("Europe/London")
HELD = "This meeting has been held: it cannot be moved or cancelled"


def meetings_of(series) -> list[Occurrence]:
    db.session.expire_all()
    return db.session.scalars(select(Occurrence).where(Occurrence.series_id == series.id)
                              .order_by(Occurrence.starts_at)).all()


def meeting_url(world, occurrence, action: str = "") -> str:
    return f"/families/{world.family.reference}/meetings/{occurrence.id}" + (f"/{action}" if action else "")


def shown_time(app, instant) -> str:
    """A meeting's start as the pages show it."""
    return app.jinja_env.filters["local_datetime"](instant)


def in_words(instant) -> str:
    return instant.astimezone(LONDON).strftime("%A %-d %B %Y at %H:%M")


def start_minutes(occurrence, user) -> None:
    from coordinator.minutes import services as minutes

    minutes.start_minutes(db.session.get(Occurrence, occurrence.id), user)
    db.session.commit()


def no_change_buttons(page: Page) -> bool:
    return not any(page.link(text) for text in ("Move this meeting", "Cancel this meeting")) and not any(
        f.attrs.get("action", "").endswith("/held") for f in page.find_all("form"))


def test_a_meeting_with_minutes_started_is_held_not_overdue_not_next_and_not_changeable(app, world, monkeypatch):
    # 09:00 today: a series every three weeks at 10:00, begun nine weeks ago; the meeting three weeks ago
    # was moved before it took place, and its minutes are started; so are those of today's, at 10:00.
    from coordinator.meetings import services

    services.end_series(world.series, actor=world.lead, notify=False)  # the family's only series is this one
    travel_to(monkeypatch, datetime.combine(today(), time(9, 0), LONDON))
    series = create_series(world, today(), interval=3)
    shift_into_past(series, 63)
    earlier, todays, following = [o for o in meetings_of(series)][2:5]
    earlier.status = OccurrenceStatus.MOVED
    earlier.starts_at += timedelta(hours=2)
    earlier.ends_at += timedelta(hours=2)
    db.session.commit()
    assert todays.starts_at.astimezone(LONDON).date() == today()
    start_minutes(earlier, world.lead)
    start_minutes(todays, world.lead)

    # Not overdue (the last meeting held is today's), and the next meeting is the one after today's.
    assert_not_flagged(app, world, db.session.get(MeetingSeries, series.id))
    lead = signed_in(app, world.lead)
    family_page = Page(lead.get(f"/families/{world.family.reference}"))
    assert f"Next meeting: {shown_time(app, following.starts_at)}" in family_page.text
    meetings_page = Page(lead.get(f"/families/{world.family.reference}/meetings"))
    assert f"Next: {shown_time(app, following.starts_at)}" in meetings_page.text

    # Both are shown as held, in words, on the series page and on their own pages.
    series_page = Page(lead.get(f"/families/{world.family.reference}/series/{series.id}"))
    rows = {row[0]: row[1] for row in series_page.table_rows()}
    assert rows[shown_time(app, earlier.starts_at)].startswith("Held")
    assert "moved from" in rows[shown_time(app, earlier.starts_at)]
    assert rows[shown_time(app, todays.starts_at)].startswith("Held")
    for meeting in (earlier, todays):
        page = open_form(lead, meeting_url(world, meeting))
        assert "Status Held" in " ".join(page.find("dl").text().split()), page.find("dl").text()
        assert "Moved" not in page.find("dl").text()
        assert no_change_buttons(page), meeting
        assert page.link("Continue the minutes")

    # A page opened before the minutes were started (or a hand-made request) is refused, with the form's
    # GOV.UK error and nothing changed or sent.
    before = meeting_counts()
    refused = Page(post(lead, meeting_url(world, todays, "cancel"), {"reason": "Chair unwell"}))
    assert refused.status_code == 200
    assert_form_error(refused, HELD, "reason")
    assert refused.value("reason") == "Chair unwell"
    refused = Page(post(lead, meeting_url(world, todays, "move"), move_data(today() + timedelta(days=2), "11:00")))
    assert refused.status_code == 200
    assert_form_error(refused, HELD)
    assert refused.value("new_time") == "11:00"
    assert meeting_counts() == before
    assert [m.status for m in meetings_of(series)][2:4] == [OccurrenceStatus.MOVED, OccurrenceStatus.SCHEDULED]
    assert outbox() == []


def test_ending_the_series_keeps_a_meeting_held_today(app, world, monkeypatch):
    """Held by its minutes, today's meeting (not started yet) is history: ending the series keeps it."""
    from coordinator.meetings import services

    travel_to(monkeypatch, datetime.combine(today(), time(9, 0), LONDON))
    series = create_series(world, today(), interval=3)
    todays = meetings_of(series)[0]
    start_minutes(todays, world.lead)
    services.end_series(db.session.get(MeetingSeries, series.id), actor=world.lead, notify=False)
    db.session.commit()
    assert [(o.id, o.status) for o in meetings_of(series)] == [(todays.id, OccurrenceStatus.SCHEDULED)]


def test_write_the_minutes_is_offered_from_the_meetings_day_only(app, world, monkeypatch):
    meeting = meetings_of(world.series)[0]  # a week from today, at 10:00
    lead = signed_in(app, world.lead)
    page = open_form(lead, meeting_url(world, meeting))
    assert not page.link("Write the minutes")
    assert page.link("Move this meeting") and page.link("Cancel this meeting")

    # The day before, at 23:30, still not; on the day, at 08:00 (before it starts), yes.
    day = meeting.starts_at.astimezone(LONDON).date()
    travel_to(monkeypatch, datetime.combine(day - timedelta(days=1), time(23, 30), LONDON))
    assert not open_form(lead, meeting_url(world, meeting)).link("Write the minutes")
    travel_to(monkeypatch, datetime.combine(day, time(8, 0), LONDON))
    page = open_form(lead, meeting_url(world, meeting))
    editor = page.link("Write the minutes")
    assert editor
    assert lead.get(editor).status_code == 200  # the editor opens, with the minutes started

    # Started, the minutes make the meeting held: it is no longer offered to be moved or cancelled.
    page = open_form(lead, meeting_url(world, meeting))
    assert page.link("Continue the minutes") and no_change_buttons(page)


def test_the_moved_meeting_email_names_the_meeting_its_old_and_new_time_and_the_reason(smtp_app, smtp_server, world):
    app = smtp_app
    meeting = meetings_of(world.series)[1]
    old = meeting.starts_at
    new_day = old.astimezone(LONDON).date() + timedelta(days=1)
    new = datetime.combine(new_day, time(14, 30), LONDON)
    reason = "The chair is on leave that morning & the room is booked"
    lead = signed_in(app, world.lead)
    url = meeting_url(world, meeting, "move")
    confirmation = Page(post(lead, url, {**move_data(new_day, "14:30"), "reason": reason}))
    assert f"Reason for the move: {reason}" in confirmation.text
    assert press(lead, url, confirmation, "yes").status_code == 302
    send_all()

    mails = read_mail(smtp_server)
    assert sorted(to for mail in mails for to in mail.to) == sorted(i.email for i in world.series.current_invitees)
    ref = world.family.reference
    for mail in mails:
        assert " ".join(mail.subject.split()) == f"Professionals meeting - ref {ref}: meeting moved to {in_words(new)}"
        text = " ".join(mail.text.split())
        assert f"The Professionals meeting (ref {ref}) on {in_words(old)} has moved to {in_words(new)}." in text
        assert f"New date and time: {in_words(new)}" in text and f"Old date and time: {in_words(old)}" in text
        assert f"Reason for the move: {reason}" in text
        assert "The first meeting is on" not in text
        assert "Only this meeting has changed" in text
        html = " ".join(mail.html.split())
        assert f"has moved to {in_words(new)}" in html and in_words(old) in html
        assert "Reason for the move: The chair is on leave that morning &amp; the room is booked" in html
        assert [link.endswith(meeting_url(world, meeting)) for link in mail.links] == [True]  # the meeting's page
        assert_no_names(mail)

    # Kept on the meeting, shown on its page, and in the audit record of the move.
    page = open_form(lead, meeting_url(world, meeting))
    assert f"Reason for the move {reason}" in " ".join(page.find("dl").text().split())
    from coordinator.audit.models import AuditEvent

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting_moved")).one()
    assert event.detail.endswith(f"reason: {reason}")


def test_the_move_form_keeps_what_was_typed_when_refused(app, world):
    meeting = meetings_of(world.series)[1]
    lead = signed_in(app, world.lead)
    url = meeting_url(world, meeting, "move")
    yesterday = today() - timedelta(days=1)
    before = meeting_counts()
    page = Page(post(lead, url, {**move_data(yesterday, "11:15", location="Library"), "reason": "Room flooded"}))
    assert_form_error(page, "A meeting cannot be moved into the past", "new_date")
    assert (page.value("reason"), page.value("new_time"), page.value("location")) == ("Room flooded", "11:15", "Library")

    too_long = "x" * 501
    next_day = meeting.starts_at.astimezone(LONDON).date() + timedelta(days=1)  # a move the series allows
    page = Page(post(lead, url, {**move_data(next_day, "11:15"), "reason": too_long}))
    assert_form_error(page, "Reason for the move must be 500 characters or fewer", "reason")
    assert page.value("reason") == too_long and page.value("new_time") == "11:15"

    # The reason is emailed: naming the family, a child or anyone in the household is refused.
    for named in ("Kelly has a hospital appointment", "The harrow family asked", "Ruby's nursery trip"):
        page = Page(post(lead, url, {**move_data(next_day, "11:15"), "reason": named}))
        assert_form_error(page, "Reason for the move must not name the family or anyone in it: it is emailed to "
                                "everyone invited", "reason")
        assert page.value("reason") == named
    assert meeting_counts() == before
    assert count(Occurrence, Occurrence.move_reason.is_not(None)) == 0

    # The hint says what not to write; adding an extra meeting asks for no reason.
    form = open_form(lead, url)
    assert "Do not include names or details about the family" in form.text
    assert open_form(lead, f"/families/{world.family.reference}/series/{world.series.id}/extra").value("reason") is None
