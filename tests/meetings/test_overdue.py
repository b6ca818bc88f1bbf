"""Overdue series: one that has gone longer than its type's maximum interval (MEETING_TYPE_SETTINGS
max_days) without a held meeting, or whose next meeting is further than that after the last held one, is
flagged on the family page, the series page, the family's meetings page and in My families.

The application never creates meetings in the past, so these tests set a series up for the future and
then move it (its first date and every meeting row) back in time directly in the database."""
from __future__ import annotations

from datetime import timedelta

from coordinator.extensions import db
from coordinator.meetings import queries as meeting_queries
from coordinator.meetings import services
from coordinator.meetings.models import MeetingSeries, MeetingType, OccurrenceStatus
from tests.families.helpers import Page
from tests.meetings.helpers import create_series, shift_into_past, signed_in, today


def pages(app, world, series):
    lead = signed_in(app, world.lead)
    ref = world.family.reference
    return {
        "family": Page(lead.get(f"/families/{ref}")),
        "series": Page(lead.get(f"/families/{ref}/series/{series.id}")),
        "meetings": Page(lead.get(f"/families/{ref}/meetings")),
        "my families": Page(lead.get("/families")),
    }


def my_families_row(page: Page, ref: str) -> list[str]:
    return next(row for row in page.table_rows() if row[0].startswith(ref))


def assert_flagged(app, world, series, reason: str):
    shown = pages(app, world, series)
    assert f"Overdue: {reason}" in shown["series"].text
    assert f"Overdue: Professionals meeting: {reason}" in shown["family"].text
    assert "Overdue" in shown["meetings"].tags() and reason in shown["meetings"].text
    row = my_families_row(shown["my families"], world.family.reference)
    assert "Meetings overdue" in " ".join(row)


def assert_not_flagged(app, world, series):
    shown = pages(app, world, series)
    for name, page in shown.items():
        assert "Overdue" not in page.text and "overdue" not in " ".join(page.tags()).lower(), name
    assert "Meetings overdue" not in " ".join(my_families_row(shown["my families"], world.family.reference))


def held(series, *indexes):
    for index in indexes:
        series.occurrences[index].status = OccurrenceStatus.HELD
    db.session.commit()


def max_days(app) -> int:
    return app.config["MEETING_TYPE_SETTINGS"]["PROFESSIONALS"]["max_days"]


def test_no_meeting_held_since_the_series_began_longer_ago_than_the_maximum(app, world):
    assert max_days(app) == 56
    # every 6 weeks, begun 70 days ago: the meeting 28 days ago was never recorded as held
    series = create_series(world, today() + timedelta(days=14), interval=6)
    shift_into_past(series, 84)
    assert_flagged(app, world, series, "No meeting recorded as held since the series began, over 8 weeks ago")


def test_the_last_held_meeting_longer_ago_than_the_maximum(app, world):
    # every 10 weeks: held 60 days ago, the next one in 10 days
    series = create_series(world, today() + timedelta(days=10), interval=10)
    shift_into_past(series, 70)
    held(series, 0)
    health = meeting_queries.series_health(db.session.get(MeetingSeries, series.id))
    assert health.last_held is not None and health.next_meeting is not None
    assert_flagged(app, world, series, "No meeting recorded as held for more than 8 weeks")


def test_the_next_meeting_further_than_the_maximum_after_the_last_held_one(app, world):
    # every 9 weeks (63 days): held 20 days ago, the next one in 43 days, 63 days after it
    series = create_series(world, today() + timedelta(days=43), interval=9)
    shift_into_past(series, 63)
    held(series, 0)
    assert_flagged(app, world, series, "The next meeting is more than 8 weeks after the last")


def test_a_first_meeting_set_further_ahead_than_the_maximum(app, world):
    series = create_series(world, today() + timedelta(days=70), interval=6)
    assert_flagged(app, world, series, "The next meeting is more than 8 weeks after the last")


def test_recent_held_meetings_and_a_next_one_in_time_are_not_overdue(app, world):
    # every 6 weeks (42 days): held 62 and 20 days ago, the next one in 22 days
    series = create_series(world, today() + timedelta(days=22), interval=6)
    shift_into_past(series, 84)
    held(series, 0, 1)
    health = meeting_queries.series_health(db.session.get(MeetingSeries, series.id))
    assert health.overdue is None and health.last_held is not None and health.next_meeting is not None
    assert_not_flagged(app, world, series)


def test_the_maximum_is_per_meeting_type(app, world):
    # the same 63-day gap is within a child in need review's 84 days
    series = create_series(world, today() + timedelta(days=43), interval=9, meeting_type=MeetingType.CIN_REVIEW)
    shift_into_past(series, 63)
    held(series, 0)
    assert meeting_queries.series_health(db.session.get(MeetingSeries, series.id)).overdue is None
    assert_not_flagged(app, world, series)

    app.config["MEETING_TYPE_SETTINGS"] = {**app.config["MEETING_TYPE_SETTINGS"],
                                           "CIN_REVIEW": {"default_weeks": 8, "max_days": 60}}
    shown = pages(app, world, series)
    assert "Overdue: The next meeting is more than 8 weeks after the last" in shown["series"].text


def test_an_ended_series_is_not_flagged(app, world):
    series = create_series(world, today() + timedelta(days=14), interval=6)
    shift_into_past(series, 84)
    series = db.session.get(MeetingSeries, series.id)
    services.end_series(series, actor=world.lead, notify=False)
    db.session.commit()
    shown = pages(app, world, series)
    assert "Overdue" not in shown["series"].text and "Overdue" not in shown["family"].text
