"""Changes to a series, as every invitee's calendar sees them: one moved meeting, one cancelled meeting,
a new schedule from a date (split), the end of a series, an invitee taken off.

Each test makes the change through coordinator.meetings.services with notify=True, runs the outbox
through the real SMTP server, rebuilds each invitee's calendar from the emails they received (in order)
and checks it against the database with ical.js and recurring_ical_events.

Meetings in the past (to record as held) come from a series created with a first date three weeks ago,
through create_series' own ``allow_past`` (for a series that began before it was entered): only the
"first meeting must be today or in the future" rule is waived. Everything else is as in use.
"""
from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from coordinator.extensions import db
from coordinator.meetings import services
from coordinator.meetings.models import OccurrenceStatus, SeriesStatus
from coordinator.timeutil import today, utcnow
from tests.calendar import helpers, itip

LONDON = ZoneInfo("Europe/London")


def _rule(series):
    db.session.expire_all()
    return sorted(series.rule_occurrences, key=lambda o: o.original_start)


def _calendars_of_last_message(world, user):
    text, method = helpers.calendar_of_message(world.messages_for(user)[-1])
    return itip.parse(text), method


def test_moving_one_meeting_across_the_clock_change_moves_only_that_one(calendar_world):
    world = calendar_world
    spring = helpers.next_last_sunday(3, today())
    series = world.create(world.schedule(spring - timedelta(days=19), time(10, 0), count=6))  # Tuesdays
    world.deliver()
    before = world.assert_calendars()
    gmt_meeting = _rule(series)[2]  # the Tuesday before the change: 10:00 GMT
    assert gmt_meeting.starts_at.hour == 10
    new_day = spring + timedelta(days=1)  # the Monday after: BST (the next meeting is on the Tuesday)
    services.move_occurrence(gmt_meeting, actor=world.lead, new_date=new_day, new_time=time(14, 0), notify=True)
    db.session.commit()
    world.deliver()
    after = world.assert_calendars()

    moved_from = (helpers.iso(gmt_meeting.original_start), helpers.iso(gmt_meeting.original_start + timedelta(hours=1)))
    moved_to = (f"{new_day}T13:00:00Z", f"{new_day}T14:00:00Z")  # 14:00 BST
    for email in after:
        old, new = set(before[email][series.uid]["meetings"]), set(after[email][series.uid]["meetings"])
        assert old - new == {moved_from}, email
        assert new - old == {moved_to}, email
    # The override names the meeting by its original (GMT) start, as a wall-clock time.
    calendar, method = _calendars_of_last_message(world, world.member)
    assert method == "REQUEST"
    overrides = [e for e in calendar.subs("VEVENT") if e.get("RECURRENCE-ID")]
    assert [o.get("RECURRENCE-ID").to_line() for o in overrides] == [
        f"RECURRENCE-ID;TZID=Europe/London:{gmt_meeting.original_start:%Y%m%d}T100000"]
    assert overrides[0].value("DTSTART") == f"{new_day:%Y%m%d}T140000"
    world.check_messages()


def test_a_cancelled_meeting_never_comes_back(calendar_world):
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=5), time(9, 30), count=6))
    world.deliver()
    target = _rule(series)[2]
    services.cancel_occurrence(target, actor=world.lead, reason="Chair unavailable", notify=True)
    db.session.commit()
    world.deliver()
    db.session.expire_all()

    wall = f"{target.original_start.astimezone(LONDON):%Y%m%dT%H%M%S}"
    for user in [world.lead, *world.invitees]:
        calendar, method = _calendars_of_last_message(world, user)
        assert method == "CANCEL"
        events = calendar.subs("VEVENT")
        assert len(events) == 1
        assert events[0].value("UID") == series.uid
        assert events[0].value("STATUS") == "CANCELLED"
        assert events[0].get("RECURRENCE-ID").to_line() == f"RECURRENCE-ID;TZID=Europe/London:{wall}"
        assert int(events[0].value("SEQUENCE")) == 1
    views = world.assert_calendars()
    gone = helpers.iso(target.starts_at)
    for view in views.values():
        assert gone not in [s for s, _ in view[series.uid]["meetings"]]
        assert len(view[series.uid]["meetings"]) == 5

    # Another change: its REQUEST (the whole series) carries the EXDATE, so the meeting stays cancelled.
    services.move_occurrence(_rule(series)[4], actor=world.lead, new_date=today() + timedelta(days=34),
                             new_time=time(11, 0), notify=True)
    db.session.commit()
    world.deliver()
    for user in [world.lead, *world.invitees]:
        calendar, method = _calendars_of_last_message(world, user)
        assert method == "REQUEST"
        master = next(e for e in calendar.subs("VEVENT") if e.get("RECURRENCE-ID") is None)
        assert [p.to_line() for p in master.all("EXDATE")] == [f"EXDATE;TZID=Europe/London:{wall}"]
        assert int(master.value("SEQUENCE")) == 2
        # A calendar that only ever saw this REQUEST (the CANCEL lost) does not bring the meeting back.
        start, end = world.window()
        only_last = helpers.store_for(world.messages_for(user)[-1:]).to_ics()
        helpers.assert_calendar_is_app(only_last, world.series_of(user), start, end)
    world.assert_calendars()
    world.check_messages()


def _series_with_history(world, **schedule):
    """A weekly series whose first meeting was 22 days ago (the weekday of yesterday): four past meetings,
    the first three recorded as held."""
    series = world.create(world.schedule(today() - timedelta(days=22), time(10, 0), **schedule), past_allowed=True)
    world.deliver()
    past = [o for o in _rule(series) if o.starts_at < utcnow()]
    assert len(past) == 4
    for occurrence in past[:3]:
        services.mark_held(occurrence, actor=world.lead)
    db.session.commit()
    return series, past


def test_split_truncates_the_old_uid_and_issues_a_new_one_keeping_held_history(calendar_world):
    world = calendar_world
    series, past = _series_with_history(world, until=today() + timedelta(days=120))
    services.cancel_occurrence(_rule(series)[5], actor=world.lead, reason="Training day", notify=True)
    extra = services.add_extra(series, actor=world.lead, on=today() + timedelta(days=40), at=time(15, 0),
                               duration_minutes=45, notify=True)
    db.session.commit()
    world.deliver()
    world.assert_calendars()

    split_day = today() + timedelta(days=22)  # the new schedule's first date: the old one stops before it
    new_schedule = world.schedule(split_day, time(14, 0), weekly=2, count=5)
    new = services.split_series(series, new_schedule, actor=world.lead, notify=True)
    db.session.commit()
    world.deliver()
    db.session.expire_all()

    assert series.status is SeriesStatus.SPLIT and new.uid != series.uid
    kept = _rule(series)
    assert all(o.original_start.astimezone(LONDON).date() < split_day for o in kept)
    assert [o.status for o in kept[:3]] == [OccurrenceStatus.HELD] * 3
    views = world.assert_calendars()
    for view in views.values():
        old = [s for s, _ in view[series.uid]["meetings"]]
        assert old == [helpers.iso(o.starts_at) for o in kept if o.status is not OccurrenceStatus.CANCELLED]
        assert [helpers.iso(o.starts_at) for o in past] == old[:4], "held and past meetings stay in the calendar"
        assert extra.extra_uid not in view
        assert len(view[new.uid]["meetings"]) == 5
        assert all(s.endswith(("T14:00:00Z", "T13:00:00Z")) for s, _ in view[new.uid]["meetings"])

    # What each invitee got for the old UID: the master's RRULE now ends (UNTIL in UTC) at the split.
    for user in [world.lead, *world.invitees]:
        calendars = [itip.parse(helpers.calendar_of_message(m)[0]) for m in world.messages_for(user)]
        old_uid = [c for c in calendars if c.subs("VEVENT")[0].value("UID") == series.uid][-1]
        master = next(e for e in old_uid.subs("VEVENT") if e.get("RECURRENCE-ID") is None)
        until = re.search(r"UNTIL=(\d{8}T\d{6}Z)", master.value("RRULE"))
        assert until, master.value("RRULE")
        assert until.group(1) < f"{split_day:%Y%m%d}T000000Z"
        new_uid = [c for c in calendars if c.subs("VEVENT")[0].value("UID") == new.uid]
        assert len(new_uid) == 1 and new_uid[0].value("METHOD") == "REQUEST"
        assert new_uid[0].subs("VEVENT")[0].value("SEQUENCE") == "0"
    world.check_messages()


def test_ending_a_series_removes_every_future_meeting_from_every_calendar_and_the_feed(calendar_world, client):
    from coordinator.calendar import feed

    world = calendar_world
    series, past = _series_with_history(world)  # no end date
    future = [o for o in _rule(series) if o.starts_at > utcnow()]
    services.move_occurrence(future[1], actor=world.lead, new_date=today() + timedelta(days=16), new_time=time(12, 0),
                             notify=True)
    extra = services.add_extra(series, actor=world.lead, on=today() + timedelta(days=3), at=time(16, 0),
                               duration_minutes=30, notify=True)
    db.session.commit()
    world.deliver()
    world.assert_calendars()

    services.end_series(series, actor=world.lead, notify=True)
    db.session.commit()
    world.deliver()
    db.session.expire_all()
    assert series.status is SeriesStatus.ENDED
    assert all(o.starts_at < utcnow() for o in series.occurrences)
    views = world.assert_calendars()
    now = helpers.iso(utcnow())
    for view in views.values():
        assert all(start < now for entry in view.values() for start, _ in entry["meetings"])
        assert [s for s, _ in view[series.uid]["meetings"]] == [helpers.iso(o.starts_at) for o in past]
        assert extra.extra_uid not in view

    start, end = world.window()
    for user in [world.lead, *world.invitees]:
        token = feed.token_for(user)
        db.session.commit()
        response = client.get(f"/calendar/{token}.ics")
        assert response.status_code == 200
        helpers.assert_calendar_is_app(response.get_data(as_text=True), world.series_of(user), start, end,
                                       with_cancelled=True)
    world.check_messages()


def test_ending_a_series_with_no_past_meeting_cancels_it_everywhere(calendar_world):
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=2), time(13, 0)))
    world.deliver()
    services.end_series(series, actor=world.lead, notify=True)
    db.session.commit()
    world.deliver()
    for user in [world.lead, *world.invitees]:
        calendar, method = _calendars_of_last_message(world, user)
        assert method == "CANCEL" and calendar.subs("VEVENT")[0].get("RECURRENCE-ID") is None
        store = helpers.store_for(world.messages_for(user))
        assert store.events == {}
    views = world.assert_calendars()
    assert all(view == {} for view in views.values())
    world.check_messages()


def test_an_invitee_taken_off_loses_the_series_and_the_others_are_updated(calendar_world):
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=4), time(10, 0), count=8))
    extra = services.add_extra(series, actor=world.lead, on=today() + timedelta(days=9), at=time(15, 30),
                               duration_minutes=60, notify=True)
    db.session.commit()
    world.deliver()
    world.assert_calendars()
    sequence_before = series.sequence

    removed = world.teacher
    services.change_invitees(series, [world.lead, world.member, world.guest], actor=world.lead, notify=True)
    db.session.commit()
    world.deliver()
    db.session.expire_all()

    # The person taken off: a CANCEL of the series' UID (and of the extra meeting's), nothing left.
    last = [itip.parse(helpers.calendar_of_message(m)[0]) for m in world.messages_for(removed)][-2:]
    assert [(c.value("METHOD"), c.subs("VEVENT")[0].value("UID")) for c in last] == [
        ("CANCEL", series.uid), ("CANCEL", extra.extra_uid)]
    assert last[0].subs("VEVENT")[0].get("RECURRENCE-ID") is None
    # An uninvite (RFC 5546 3.2.5): each CANCEL names the person removed, and does not cancel the event.
    for cancel in last:
        event = cancel.subs("VEVENT")[0]
        assert [a.value.removeprefix("mailto:") for a in event.all("ATTENDEE")] == [removed.email]
        assert event.get("STATUS") is None
    email = world.messages_for(removed)[-2]
    assert "no longer invited" in email["Subject"]
    body = email.get_body(("plain",)).get_content()
    assert "You are no longer invited to this meeting series" in body and "has been cancelled" not in body
    assert helpers.store_for(world.messages_for(removed)).events == {}
    start, end = world.window()
    assert helpers.icaljs_view(world.calendar_of(removed), start, end) == {}
    assert helpers.python_view(world.calendar_of(removed), start, end) == {}
    assert world.series_of(removed) == []

    # Everyone else: an update whose ATTENDEEs no longer include them, with the same SEQUENCE (who is invited
    # is not a significant change, RFC 5546 2.1.4: nobody is asked to answer again) and a later DTSTAMP.
    for user in [world.lead, world.member, world.guest]:
        received = [itip.parse(helpers.calendar_of_message(m)[0]) for m in world.messages_for(user)]
        before, update = [c for c in received if c.subs("VEVENT")[0].value("UID") == series.uid][-2:]
        assert update.value("METHOD") == "REQUEST"
        for event in update.subs("VEVENT"):
            assert int(event.value("SEQUENCE")) == sequence_before
            assert itip.stamp_of(event) > itip.stamp_of(before.subs("VEVENT")[0])
            attendees = {a.value.removeprefix("mailto:") for a in event.all("ATTENDEE")}
            assert attendees == {world.lead.email, world.member.email, world.guest.email}
        extra_update = [c for c in received if c.subs("VEVENT")[0].value("UID") == extra.extra_uid][-1]
        attendees = {a.value.removeprefix("mailto:") for a in extra_update.subs("VEVENT")[0].all("ATTENDEE")}
        assert removed.email not in attendees
    world.assert_calendars([world.lead, world.member, world.guest, removed])
    world.check_messages()


def test_ending_after_an_old_meeting_was_moved_into_the_future(calendar_world):
    """A past meeting never held (say it fell through) is moved to later this week; an earlier one was held.
    Ending the series drops the moved meeting with the other future ones: calendars must not bring it back
    at its original time. (An older one cannot be moved past the later past meetings: check_move refuses
    a move past a neighbouring meeting, see test_refused_moves.py.)"""
    world = calendar_world
    series = world.create(world.schedule(today() - timedelta(days=22), time(10, 0)), past_allowed=True)
    world.deliver()
    rule = _rule(series)
    services.mark_held(rule[0], actor=world.lead)
    assert rule[3].starts_at < utcnow() < rule[4].starts_at
    services.move_occurrence(rule[3], actor=world.lead, new_date=today() + timedelta(days=3), new_time=time(10, 0),
                             notify=True)
    db.session.commit()
    world.deliver()
    world.assert_calendars()

    services.end_series(series, actor=world.lead, notify=True)
    db.session.commit()
    world.deliver()
    views = world.assert_calendars()
    db.session.expire_all()
    assert rule[3] not in series.occurrences or rule[3].status is OccurrenceStatus.CANCELLED
    for view in views.values():
        starts = [s for s, _ in view[series.uid]["meetings"]]
        assert helpers.iso(rule[3].original_start) not in starts
        assert starts == [helpers.iso(rule[0].starts_at), helpers.iso(rule[1].starts_at), helpers.iso(rule[2].starts_at)]
    world.check_messages()


def test_split_after_a_later_meeting_was_moved_before_the_split_date(calendar_world):
    """A meeting of the old schedule from after the split date, moved earlier, to before it: the old
    series' calendars and its meetings in the application must still agree."""
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=5), time(10, 0), count=8))
    world.deliver()
    rule = _rule(series)
    # (Earlier, but no earlier than the meeting before it: check_move keeps a meeting between its neighbours.)
    services.move_occurrence(rule[3], actor=world.lead, new_date=today() + timedelta(days=20), new_time=time(11, 0),
                             notify=True)
    db.session.commit()
    world.deliver()
    world.assert_calendars()

    new = services.split_series(series, world.schedule(today() + timedelta(days=21), time(14, 0), count=3),
                                actor=world.lead, notify=True)
    db.session.commit()
    world.deliver()
    views = world.assert_calendars()
    db.session.expire_all()
    moved = rule[3]
    assert moved.status is OccurrenceStatus.MOVED and moved in series.occurrences  # before the split date: stays
    for view in views.values():
        assert [s for s, _ in view[series.uid]["meetings"]] == [
            helpers.iso(rule[0].starts_at), helpers.iso(rule[1].starts_at), helpers.iso(rule[2].starts_at),
            helpers.iso(moved.starts_at)]
        assert len(view[new.uid]["meetings"]) == 3
    world.check_messages()


def test_a_moved_meeting_once_held_stays_where_it_was_held(calendar_world, monkeypatch):
    """Moved, then held (the clock is moved on past it for mark_held, which checks it has started), then
    another change re-issues the series: the held meeting stays at its moved time in every calendar."""
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=5))
    world.deliver()
    rule = _rule(series)
    services.move_occurrence(rule[0], actor=world.lead, new_date=today() + timedelta(days=4), new_time=time(15, 0),
                             notify=True)
    db.session.commit()
    world.deliver()
    later = rule[0].starts_at + timedelta(hours=2)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    services.mark_held(rule[0], actor=world.lead)
    monkeypatch.undo()
    db.session.commit()
    assert rule[0].status is OccurrenceStatus.HELD
    services.move_occurrence(rule[3], actor=world.lead, new_date=today() + timedelta(days=26), new_time=time(9, 0),
                             notify=True)
    db.session.commit()
    world.deliver()
    views = world.assert_calendars()
    for view in views.values():
        assert helpers.iso(rule[0].starts_at) in [s for s, _ in view[series.uid]["meetings"]]


def test_changing_only_the_length_of_one_meeting(calendar_world):
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=4))
    world.deliver()
    target = _rule(series)[1]
    local = target.starts_at.astimezone(LONDON)
    services.move_occurrence(target, actor=world.lead, new_date=local.date(), new_time=local.time(),
                             duration_minutes=30, notify=True)
    db.session.commit()
    world.deliver()
    views = world.assert_calendars()
    for view in views.values():
        assert (helpers.iso(target.starts_at), helpers.iso(target.starts_at + timedelta(minutes=30))) \
            in view[series.uid]["meetings"]
