"""The clocks changing: meetings stay at their wall-clock time in every invitee's calendar, and ical.js,
given only our VTIMEZONE, places them where zoneinfo does.

Dates are the next clock changes after today (with today in late 2026: Sunday 28 March 2027, when 01:00
GMT becomes 02:00 BST, and Sunday 31 October 2027, when 02:00 BST becomes 01:00 GMT)."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordinator.extensions import db
from coordinator.timeutil import today
from tests.calendar import helpers, itip

LONDON = ZoneInfo("Europe/London")


def _utc_hours(view_entry) -> list[tuple[str, int]]:
    return [(start[:10], int(start[11:13])) for start, _ in view_entry["meetings"]]


def test_weekly_ten_oclock_stays_ten_oclock_across_both_clock_changes(calendar_world):
    world = calendar_world
    spring, autumn = helpers.next_last_sunday(3, today()), helpers.next_last_sunday(10, today())
    first = min(spring, autumn) - timedelta(days=19)  # a Tuesday, three weeks before the first change
    last = max(spring, autumn) + timedelta(days=9)
    series = world.create(world.schedule(first, time(10, 0), until=last))
    world.deliver()
    views = world.assert_calendars()

    db.session.expire_all()
    assert all(o.starts_at.astimezone(LONDON).time() == time(10, 0) for o in series.occurrences)
    for email, view in views.items():
        hours = dict(_utc_hours(view[series.uid]))
        # Tuesdays either side of each change: 10:00 GMT is 10:00 UTC, 10:00 BST is 09:00 UTC.
        assert hours[str(spring - timedelta(days=5))] == 10, email
        assert hours[str(spring + timedelta(days=2))] == 9, email
        assert hours[str(autumn - timedelta(days=5))] == 9, email
        assert hours[str(autumn + timedelta(days=2))] == 10, email
        assert len(hours) == len(series.occurrences)
    world.check_messages()


def test_fortnightly_series_from_early_march_to_november(calendar_world):
    """Every two weeks on Sundays at 10:00, from the first Sunday of March (the year of the next spring
    change) to November: 10:00 local throughout, so the UTC instant moves at both changes."""
    world = calendar_world
    spring = helpers.next_last_sunday(3, today())
    first = spring - timedelta(days=21)  # early March, a Sunday
    until = first.replace(month=11, day=30)
    series = world.create(world.schedule(first, time(10, 0), weekly=2, until=until))
    world.deliver()
    views = world.assert_calendars()
    autumn = helpers.last_sunday(first.year, 10)
    for view in views.values():
        starts = [datetime.fromisoformat(s) for s, _ in view[series.uid]["meetings"]]
        assert starts[0].date() == first
        for start in starts:
            local = start.astimezone(LONDON)
            assert local.time() == time(10, 0)
            in_bst = spring <= local.date() < autumn
            assert start.hour == (9 if in_bst else 10), start
        assert any(s.hour == 9 for s in starts) and any(s.hour == 10 for s in starts)


def test_a_time_the_clocks_skip_is_refused(calendar_world):
    from coordinator.meetings import services
    from coordinator.notify.models import OutboxMessage

    world = calendar_world
    spring = helpers.next_last_sunday(3, today())  # 28 March 2027
    with pytest.raises(services.MeetingError) as refused:
        world.create(world.schedule(spring - timedelta(days=14), time(1, 30), count=5))
    message = str(refused.value)
    assert refused.value.field == "start_time"
    assert f"01:30 does not exist on Sunday {spring.day} March {spring.year} in Europe/London" in message
    assert "clocks go forward" in message
    db.session.rollback()
    assert db.session.query(OutboxMessage).count() == 0


def test_a_time_that_happens_twice_is_the_first_of_the_two(calendar_world):
    world = calendar_world
    autumn = helpers.next_last_sunday(10, today())  # 31 October 2027
    series = world.create(world.schedule(autumn, time(1, 30), count=3))
    world.deliver()
    db.session.expire_all()
    first = min(o.starts_at for o in series.occurrences)
    # 01:30 BST (the first 01:30 of the night) is 00:30 UTC; 01:30 GMT would be an hour later.
    assert first == datetime.combine(autumn, time(0, 30), tzinfo=UTC)
    views = world.assert_calendars()
    for view in views.values():
        starts = [s for s, _ in view[series.uid]["meetings"]]
        assert starts[0] == f"{autumn}T00:30:00Z"
        assert starts[1] == f"{autumn + timedelta(days=7)}T01:30:00Z"
    world.check_messages()


def test_icaljs_reads_our_vtimezone_as_zoneinfo_does_for_ten_years(calendar_world):
    """The VTIMEZONE of a real invite, with a weekly 10:00 event over ten years: ical.js (which knows no
    zone but this one) and zoneinfo agree on every instant, e.g. 10:00 UTC in January, 09:00 in April."""
    world = calendar_world
    world.create(world.schedule(today() + timedelta(days=3), count=2))
    world.deliver()
    received = itip.parse(helpers.calendar_of_message(world.messages_for(world.member)[0])[0])
    vtimezone = received.subs("VTIMEZONE")[0]
    year = today().year + 1
    monday = datetime(year, 1, 1) + timedelta(days=(7 - datetime(year, 1, 1).weekday()) % 7)
    event = itip.parse(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\nUID:zone-check\r\n"
        f"DTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/London:{monday:%Y%m%d}T100000\r\n"
        f"DTEND;TZID=Europe/London:{monday:%Y%m%d}T110000\r\nRRULE:FREQ=WEEKLY;COUNT=522\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")
    event.children.insert(0, vtimezone)
    start = datetime(year, 1, 1, tzinfo=UTC)
    by_icaljs = helpers.icaljs_view(event.to_ics(), start, start + timedelta(days=3700))["zone-check"]["meetings"]
    expected = []
    for week in range(522):
        local = (monday + timedelta(weeks=week)).replace(hour=10, tzinfo=LONDON)
        expected.append((helpers.iso(local), helpers.iso(local + timedelta(hours=1))))
    assert by_icaljs == expected
    assert by_icaljs[0][0] == f"{monday:%Y-%m-%d}T10:00:00Z"  # January: GMT
    april = [s for s, _ in by_icaljs if s[5:7] == "04"]
    assert april and all(s.endswith("T09:00:00Z") for s in april)  # April: BST


def test_an_open_ended_series_that_reaches_a_skipped_time_after_the_horizon_is_refused(calendar_world):
    """Weekly on Sundays at 01:30 from the next autumn change, with no end: 01:30 is fine for months, then
    the last Sunday of March skips it. Accepted, it would break the scheduler's extension of the series
    that day (and calendars would each place that meeting their own way): it is refused as the form is
    filled in, naming the date. A fixed number of meetings that stops before March is accepted."""
    from coordinator.meetings import services
    from coordinator.meetings.recurrence import NonexistentLocalTime

    world = calendar_world
    autumn = helpers.next_last_sunday(10, today())
    spring_after = helpers.last_sunday(autumn.year + 1, 3)
    with pytest.raises(services.MeetingError) as refused:
        world.create(world.schedule(autumn, time(1, 30)))
    assert refused.value.field == "start_time"
    assert f"01:30 does not exist on Sunday {spring_after.day} March {spring_after.year}" in str(refused.value)
    db.session.rollback()
    series = world.create(world.schedule(autumn, time(1, 30), count=10))
    db.session.expire_all()
    # The scheduler's extension, far beyond today's horizon, has nothing to trip on.
    services.generate_occurrences(series, until=datetime.combine(autumn, time(0), tzinfo=UTC) + timedelta(days=800))
    assert len(series.occurrences) == 10
    with pytest.raises(NonexistentLocalTime):
        world.schedule(autumn, time(1, 30)).rule().starts_between(
            datetime.combine(autumn, time(0), tzinfo=UTC), datetime.combine(spring_after, time(12), tzinfo=UTC))


def test_meetings_that_span_a_clock_change_keep_their_exact_length(calendar_world):
    """Sunday 00:30 for 90 minutes: on the spring night that is 00:30 GMT to 02:00 BST (01:30 of wall
    clock gone by, 90 minutes of time), on the autumn night 00:30 BST to 01:00 GMT (the second 01:00).
    Clients add lengths differently across a change, so those meetings go as explicit overrides; the
    autumn series starts on the change night itself, so its master gives its length as DURATION."""
    world = calendar_world
    spring, autumn = helpers.next_last_sunday(3, today()), helpers.next_last_sunday(10, today())
    before_spring = world.create(world.schedule(spring - timedelta(days=14), time(0, 30), duration=90, count=5))
    on_autumn = world.create(world.schedule(autumn, time(0, 30), duration=90, count=3))
    world.deliver()
    views = world.assert_calendars()
    for view in views.values():
        assert (f"{spring}T00:30:00Z", f"{spring}T02:00:00Z") in view[before_spring.uid]["meetings"]
        assert (f"{spring - timedelta(days=7)}T00:30:00Z", f"{spring - timedelta(days=7)}T02:00:00Z") \
            in view[before_spring.uid]["meetings"]
        week_after = spring + timedelta(days=7)  # 00:30 BST is 23:30 UTC the evening before
        assert (f"{week_after - timedelta(days=1)}T23:30:00Z", f"{week_after}T01:00:00Z") \
            in view[before_spring.uid]["meetings"]
        assert view[on_autumn.uid]["meetings"][0] == (f"{autumn - timedelta(days=1)}T23:30:00Z", f"{autumn}T01:00:00Z")
        assert view[on_autumn.uid]["meetings"][1] == (f"{autumn + timedelta(days=7)}T00:30:00Z",
                                                      f"{autumn + timedelta(days=7)}T02:00:00Z")
    master = next(e for e in itip.parse(helpers.calendar_of_message(world.messages_for(world.member)[-1])[0]).subs("VEVENT")
              if e.get("RECURRENCE-ID") is None)
    assert master.value("UID") == on_autumn.uid and master.value("DURATION") == "PT1H30M"
    world.check_messages()
