"""A family, the professionals around it, and their calendars.

Every invite goes through the real outbox and the real SMTP server (aiosmtpd) and is read back with
Python's email package; each invitee's calendar is then built by applying what they received, in order,
to a small iTIP store (itip.py), and read by two parsers that did not write it: ical.js (expand.mjs, with
our VTIMEZONE as its only zone data) and recurring_ical_events.
"""
from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from tests.calendar import helpers, itip
from tests.conftest import send_all


@dataclass
class CalendarWorld:
    app: object
    smtp: object
    family: object
    lead: object  # lead professional: organiser and chair
    member: object  # health visitor, in the network
    teacher: object  # a non-ASCII name, so some calendars travel base64-encoded
    guest: object  # not in the network: invited, so given guest access
    private_names: list[str] = field(default_factory=list)  # must never appear in any message
    uid_owner: dict[str, int] = field(default_factory=dict)  # every UID seen in the database -> series id

    # --- scheduling ---------------------------------------------------------------------------------

    @property
    def invitees(self) -> list:
        return [self.member, self.teacher, self.guest]

    def schedule(self, first_date: date, start_time: time = time(10, 0), *, duration=60, weekly=1,
                 until: date | None = None, count: int | None = None, recurrence=None, **extra):
        from coordinator.meetings import services
        from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

        end_kind = SeriesEnd.ON_DATE if until else SeriesEnd.AFTER_COUNT if count else SeriesEnd.NEVER
        return services.Schedule(MeetingType.CORE_GROUP, first_date, start_time, duration,
                                 recurrence or Recurrence.WEEKLY, weekly,
                                 end_kind, until_date=until, count=count, location="Family centre", **extra)

    def create(self, schedule, *, past_allowed: bool = False, invitees=None):
        """create_series with notify=True, committed. ``past_allowed`` lets the first date be in the past
        (create_series' own ``allow_past``, for a series that began before it was entered), so that
        meetings can be recorded as held; every other check applies."""
        from coordinator.meetings import services

        series = services.create_series(self.family, schedule, actor=self.lead, chair=self.lead, minute_taker=None,
                                        invitees=self.invitees if invitees is None else invitees, notify=True,
                                        allow_past=past_allowed)
        db.session.commit()
        return series

    # --- mail ---------------------------------------------------------------------------------------

    def deliver(self) -> None:
        """Run the outbox once, as the scheduler does; everything must reach the SMTP server."""
        self.note_uids()
        counts = send_all()
        assert counts["failed"] == 0 and counts["retry"] == 0, counts
        db.session.expire_all()

    def note_uids(self) -> None:
        """Remember which series each UID belongs to (an extra meeting's row goes when its series is split)."""
        from coordinator.meetings.models import MeetingSeries

        for series in db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == self.family.id)):
            self.uid_owner[series.uid] = series.id
            for occurrence in series.occurrences:
                if occurrence.extra_uid:
                    self.uid_owner[occurrence.extra_uid] = series.id

    def messages(self) -> list[tuple[str, object]]:
        """(recipient, message) for every email the SMTP server accepted, in order."""
        found = []
        for item in self.smtp.messages:
            assert len(item["to"]) == 1
            found.append((item["to"][0], item["message"]))
        return found

    def messages_for(self, user) -> list:
        return [m for to, m in self.messages() if to == user.email]

    def calendar_of(self, user) -> str:
        """The user's calendar after applying every invite they received, in order, as one .ics."""
        store = helpers.store_for(self.messages_for(user))
        assert not store.ignored, f"messages a client would ignore (lower SEQUENCE): {store.ignored}"
        return store.to_ics()

    # --- what the application says -------------------------------------------------------------------

    def series_of(self, user) -> list:
        """Every series of the family the user is still invited to (re-read from the database)."""
        from coordinator.meetings.models import Invitee, MeetingSeries

        db.session.expire_all()
        return db.session.scalars(
            select(MeetingSeries).join(Invitee, Invitee.series_id == MeetingSeries.id)
            .where(MeetingSeries.family_id == self.family.id, Invitee.user_id == user.id,
                   Invitee.removed_at.is_(None)).order_by(MeetingSeries.id)).all()

    def window(self) -> tuple[datetime, datetime]:
        """Past meetings and every generated one (the horizon is 400 days; calendars run on beyond it)."""
        from coordinator.timeutil import utcnow

        now = utcnow()
        return now - timedelta(days=120), now + timedelta(days=399)

    def assert_calendars(self, users=None) -> dict:
        """Each user's calendar, made from the invites they got, holds exactly the application's meetings
        of the series they are invited to, by ical.js and by recurring_ical_events. Returns the views."""
        start, end = self.window()
        views = {}
        for user in users or [self.lead, *self.invitees]:
            views[user.email] = helpers.assert_calendar_is_app(self.calendar_of(user), self.series_of(user), start, end)
        return views

    def check_messages(self) -> None:
        check_every_message(self)


def check_every_message(world: CalendarWorld) -> None:
    """What every message must be, whatever change it carries."""
    from coordinator.meetings.models import MeetingSeries

    db.session.expire_all()
    world.note_uids()
    sequences: dict[tuple[str, str], list[tuple[int, datetime]]] = defaultdict(list)
    reference = world.family.reference
    for recipient, message in world.messages():
        text, _method = helpers.calendar_of_message(message)
        for visible in helpers.texts_of_message(message):
            for name in world.private_names:
                assert name.lower() not in visible.lower(), f"{name!r} in a message to {recipient}"
        assert str(message["To"]) == recipient
        # Replies (Accept, Decline, a plain answer) go where the calendar says its organiser is.
        assert message["Reply-To"] == (world.app.config.get("MEETINGS_ORGANISER_EMAIL") or world.lead.email)
        calendar = itip.parse(text)
        vevents = calendar.subs("VEVENT")
        assert vevents
        uids = {e.value("UID") for e in vevents}
        assert len(uids) == 1, uids
        uid = uids.pop()
        assert helpers.UID_RE.match(uid), uid
        assert uid in world.uid_owner, f"UID {uid} belongs to no series of the family"
        series = db.session.get(MeetingSeries, world.uid_owner[uid])
        seqs = {int(e.value("SEQUENCE")) for e in vevents}
        assert len(seqs) == 1, f"SEQUENCE differs between the VEVENTs of one message: {seqs}"
        stamps = {itip.stamp_of(e) for e in vevents}
        assert len(stamps) == 1, f"DTSTAMP differs between the VEVENTs of one message: {stamps}"
        sequences[(recipient, uid)].append((seqs.pop(), stamps.pop()))
        # The time zone: our compact VTIMEZONE, yearly rules only.
        zones = calendar.subs("VTIMEZONE")
        assert [z.value("TZID") for z in zones] == ["Europe/London"]
        parts = zones[0].subs("STANDARD") + zones[0].subs("DAYLIGHT")
        assert len(parts) == 2
        for part in parts:
            assert part.get("RRULE") is not None and part.get("RDATE") is None
        for event in vevents:
            assert event.value("DTSTAMP").endswith("Z"), event.value("DTSTAMP")
            assert event.value("CLASS") == world.app.config["CALENDAR_CLASS"]  # PRIVATE unless set otherwise
            for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE"):
                for prop in event.all(name):
                    if prop.value.endswith("Z") and name in ("DTSTART", "DTEND") and event.get("RRULE") is None:
                        # The one exception: a wall-clock time that happens twice (clocks going back) is
                        # ambiguous with TZID, so a single meeting's start or end then goes in UTC.
                        assert _happens_twice(itip.instant(prop)), prop.to_line()
                        continue
                    assert prop.param("TZID") == "Europe/London", prop.to_line()
                    assert not prop.value.endswith("Z"), prop.to_line()
            for rrule in event.all("RRULE"):
                until = re.search(r"UNTIL=([0-9TZ]+)", rrule.value)
                assert until is None or until.group(1).endswith("Z"), rrule.value
            organizer = event.get("ORGANIZER")
            assert organizer.value == f"mailto:{world.lead.email}", organizer.to_line()
            attendees = event.all("ATTENDEE")
            assert attendees
            for attendee in attendees:
                assert attendee.param("CN"), attendee.to_line()
                assert attendee.param("ROLE") in ("CHAIR", "REQ-PARTICIPANT"), attendee.to_line()
                # The organiser is never asked to answer; nobody here has answered yet.
                if attendee.value == f"mailto:{world.lead.email}":
                    assert attendee.param("PARTSTAT") == "ACCEPTED", attendee.to_line()
                    assert attendee.param("RSVP") == "FALSE", attendee.to_line()
                else:
                    assert attendee.param("PARTSTAT") == "NEEDS-ACTION", attendee.to_line()
                    assert attendee.param("RSVP") == "TRUE", attendee.to_line()
            assert itip.unescape(event.value("SUMMARY")) == f"{series.meeting_type.label} - ref {reference}"
            description = itip.unescape(event.value("DESCRIPTION"))
            base = re.escape(world.app.config["BASE_URL"].rstrip("/"))
            assert re.fullmatch(rf"{base}/families/{reference}/(series|meetings)/\d+", description), description
            assert description == event.value("URL")
    # Each message newer than the one before (RFC 5546 2.1.5): a higher SEQUENCE, or the same SEQUENCE (a
    # change of who is invited) and a later DTSTAMP.
    for (recipient, uid), seen in sequences.items():
        assert all(a < b for a, b in itertools.pairwise(seen)), \
            f"the messages of {uid} for {recipient} are not each newer than the one before: {seen}"


def _happens_twice(instant: datetime) -> bool:
    london = ZoneInfo("Europe/London")
    local = instant.astimezone(london).replace(tzinfo=None)
    return local.replace(tzinfo=london, fold=0).utcoffset() != local.replace(tzinfo=london, fold=1).utcoffset()


@pytest.fixture
def calendar_world(app, smtp_server, make_user) -> CalendarWorld:
    from coordinator.families import services
    from coordinator.families.models import (
        NetworkRole,
        PlanType,
        Presence,
        Relationship,
        Sex,
        SightingKind,
    )

    app.config.update(smtp_server.config())
    lead = make_user("lead@council.test", "Lee Lead")
    member = make_user("hv@nhs.test", "Hana Visitor", agency_name="Health visiting")
    teacher = make_user("dsl@school.test", "Siân Ó Briain", agency_name="Primary school")
    guest = make_user("pc@police.test", "Olu Officer", agency_name="Police")
    family = services.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    reason_for_sharing="Allocated social worker")
    child = services.add_child(family, actor=lead, name="Ruby Harrow",
                               date_of_birth=date.today() - timedelta(days=800), sex=Sex.FEMALE)
    services.add_to_network(family, member, NetworkRole.MEMBER, reason="Health visitor", actor=lead)
    services.add_to_network(family, teacher, NetworkRole.MEMBER, reason="School", actor=lead)
    services.add_member(family, actor=lead, relationships={child.id: Relationship.MOTHER}, name="Kelly Harrow",
                        sex=Sex.FEMALE, presence=Presence.LIVES_IN, source_kind=SightingKind.SEEN,
                        source_agency_id=lead.agency_id)
    services.add_member(family, actor=lead, relationships={child.id: Relationship.PARTNER}, name="Darren Quill",
                        sex=Sex.MALE, presence=Presence.VISITS, source_kind=SightingKind.TOLD_OF,
                        source_agency_id=lead.agency_id)
    db.session.commit()
    return CalendarWorld(app, smtp_server, family, lead, member, teacher, guest,
                         private_names=["Harrow", "Ruby", "Kelly", "Darren", "Quill"])
