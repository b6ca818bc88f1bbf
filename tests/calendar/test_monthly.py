"""Monthly series, on the nth weekday (including the last, fifth one) and on a date: every calendar expands
them to exactly the application's meetings, across the clocks going forward."""
from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordinator.extensions import db
from coordinator.timeutil import today
from tests.calendar import helpers

LONDON = ZoneInfo("Europe/London")


def _nth_weekday_on_or_after(start: date, weekday: int, nth: int) -> date:
    """The first date from ``start`` that is the nth ``weekday`` of its month (nth=5: a fifth one)."""
    day = start
    while True:
        if day.weekday() == weekday and (day.day - 1) // 7 + 1 == nth:
            return day
        day += timedelta(days=1)


@pytest.mark.parametrize("nth", [2, 5])
def test_monthly_on_the_nth_weekday(calendar_world, nth):
    from coordinator.meetings.models import Recurrence

    world = calendar_world
    first = _nth_weekday_on_or_after(today() + timedelta(days=3), 3, nth)  # a Thursday
    series = world.create(world.schedule(first, time(14, 30), count=8, recurrence=Recurrence.MONTHLY_WEEKDAY))
    world.deliver()
    world.assert_calendars()
    db.session.expire_all()
    starts = [o.starts_at.astimezone(LONDON) for o in series.occurrences]
    assert len(starts) == 8 and all(s.weekday() == 3 and s.time() == time(14, 30) for s in starts)
    if nth == 5:  # "the last Thursday": months with only four Thursdays have it on the fourth
        assert all((s + timedelta(days=7)).month != s.month for s in starts)
    else:
        assert all((s.day - 1) // 7 + 1 == 2 for s in starts)
    world.check_messages()


def test_monthly_on_a_date(calendar_world):
    from coordinator.meetings.models import Recurrence

    world = calendar_world
    first = today() + timedelta(days=5)
    if first.day > 28:
        first = first.replace(day=1) + timedelta(days=31)
        first = first.replace(day=3)
    series = world.create(world.schedule(first, time(9, 15), count=6, recurrence=Recurrence.MONTHLY_DATE))
    world.deliver()
    world.assert_calendars()
    db.session.expire_all()
    assert [o.starts_at.astimezone(LONDON).day for o in series.occurrences] == [first.day] * 6
    helpers.assert_calendar_is_app(world.calendar_of(world.member), world.series_of(world.member), *world.window())
