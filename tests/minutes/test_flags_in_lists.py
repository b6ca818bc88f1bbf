"""Overdue actions reach "My families", and overdue minutes the family page."""
from datetime import date, time, timedelta

from coordinator.extensions import db
from coordinator.timeutil import date_and_time
from tests.families.conftest import act_as


def test_overdue_actions_are_flagged_in_my_families(app, world):
    from coordinator.minutes import actions as minutes_actions

    occurrence = world.series.occurrences[0]
    action = minutes_actions.add_action(occurrence, actor=world.lead, description="See the baby", owner=world.member,
                                due=occurrence.starts_at.date() + timedelta(days=1), intended_outcome=None)
    db.session.commit()
    client = app.test_client()
    act_as(client, world.member)
    assert "action overdue" not in client.get("/families").get_data(as_text=True)
    action.due_date = date.today() - timedelta(days=1)  # time passes: the due date is now behind us
    db.session.commit()
    assert "1 action overdue" in client.get("/families").get_data(as_text=True)


def test_minutes_not_published_within_the_service_level_are_flagged_on_the_family_page(app, world):
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

    past = meetings.create_series(
        world.family, meetings.Schedule(MeetingType.CORE_GROUP, date.today() - timedelta(days=40), time(10, 0), 60,
                                        Recurrence.WEEKLY, 52, SeriesEnd.AFTER_COUNT, count=1, location="Centre"),
        actor=world.lead, chair=world.lead, minute_taker=None, invitees=[world.member], notify=False, allow_past=True)
    db.session.commit()
    client = app.test_client()
    act_as(client, world.lead)
    page = client.get(f"/families/{world.family.reference}").get_data(as_text=True)
    assert "Minutes overdue: the minutes of the meeting on" in page
    assert past.occurrences[0].starts_at is not None


def test_many_overdue_minutes_are_summed_up_with_the_latest_dates(app, world):
    """A long history of unpublished minutes is one warning: how many meetings, and the latest three. A
    meeting still within the service level, or cancelled, is not counted."""
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, OccurrenceStatus, Recurrence, SeriesEnd
    from coordinator.minutes.outcomes import service_levels

    series = meetings.create_series(
        world.family, meetings.Schedule(MeetingType.CORE_GROUP, date.today() - timedelta(days=60), time(10, 0), 60,
                                        Recurrence.WEEKLY, 1, SeriesEnd.AFTER_COUNT, count=9, location="Centre"),
        actor=world.lead, chair=world.lead, minute_taker=None, invitees=[world.member], notify=False, allow_past=True)
    db.session.commit()
    meetings_held = sorted(series.occurrences, key=lambda o: o.starts_at)
    meetings_held[2].status = OccurrenceStatus.CANCELLED
    db.session.commit()
    late = [o for o in meetings_held if o.status is not OccurrenceStatus.CANCELLED and service_levels(o, None).minutes_late]
    assert 3 < len(late) < 8  # some late, the most recent not yet

    client = app.test_client()
    act_as(client, world.lead)
    page = client.get(f"/families/{world.family.reference}").get_data(as_text=True)
    assert f"Minutes overdue: the minutes of {len(late)} meetings are not yet published" in page
    for occurrence in late[-3:]:
        assert date_and_time(occurrence.starts_at) in page
    assert date_and_time(late[0].starts_at) not in page
