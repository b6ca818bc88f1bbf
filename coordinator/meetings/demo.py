"""Demo meeting series. Each spans a change of the clocks and has one meeting moved and one cancelled,
with the invitations waiting in the outbox for `flask send-due`.

- Harrow: a core group that began 16 weeks ago (across the clocks going back in October), four meetings
  held, the next one on the next working day, so its update deadline has just passed.
- Okafor and Patel: series that start in the new year and run across the clocks going forward in March.
"""
from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from coordinator.auth.services import existing_user
from coordinator.extensions import db
from coordinator.families.models import Family, NetworkRole
from coordinator.families.services import current_network
from coordinator.meetings import services
from coordinator.meetings.models import (
    MeetingSeries,
    MeetingType,
    OccurrenceStatus,
    Recurrence,
    SeriesEnd,
)
from coordinator.meetings.signals import series_issued
from coordinator.meetings.workdays import add_working_days
from coordinator.timeutil import utcnow

PLACE = "Demotown Family Centre, room 2"
LINK = "https://video.demo.invalid/join/family-meeting"


def _next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _clock_change_after(day: date) -> date:
    """The last Sunday of the next March: the night the clocks go forward."""
    year = day.year + (1 if day.month > 3 or (day.month == 3 and day.day > 24) else 0)
    last = date(year, 3, 31)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def _people(family: Family):
    network = [m for m in current_network(family) if m.role is not NetworkRole.GUEST]
    chair = next(m.user for m in network if m.role is NetworkRole.CHAIR)
    return network, chair


def _harrow(family: Family, lead) -> MeetingSeries:
    network, chair = _people(family)
    next_meeting = add_working_days(date.today(), 1)
    schedule = services.Schedule(MeetingType.CORE_GROUP, next_meeting - timedelta(weeks=16), time(10, 0), 90,
                                 Recurrence.WEEKLY, 4, SeriesEnd.NEVER, location=PLACE, online_link=LINK)
    series = services.create_series(family, schedule, actor=lead, chair=chair, minute_taker=lead,
                                    invitees=[m.user for m in network], allow_past=True)
    db.session.flush()
    past = [o for o in series.occurrences if o.starts_at < utcnow()]
    # The third meeting took place a day late: moved before it happened (recorded here after the event).
    third = past[2]
    third.starts_at, third.ends_at = third.starts_at + timedelta(days=1), third.ends_at + timedelta(days=1)
    third.status = OccurrenceStatus.MOVED
    for occurrence in past:
        services.mark_held(occurrence, actor=lead)
    upcoming = [o for o in series.occurrences if o.starts_at >= utcnow()]
    services.cancel_occurrence(upcoming[2], actor=lead, reason="Christmas: the chair is on leave")
    series.sequence += 1
    series_issued.send(series, invitees=series.current_invitees)
    return series


def load_demo_meetings() -> list[MeetingSeries]:
    lead = existing_user("lead@demo.invalid")
    made = []
    change = _clock_change_after(date.today())
    plans = {
        # family: (meeting type, weekday, time, weeks apart, weeks before the clock change to start)
        "Okafor": (MeetingType.CIN_REVIEW, 2, time(13, 30), 6, 13),
        "Patel": (MeetingType.TEAM_AROUND_FAMILY, 3, time(15, 45), 6, 11),
    }
    for family in db.session.scalars(select(Family).where(Family.family_name.in_(["Harrow", "Okafor", "Patel"]))):
        if db.session.scalar(select(MeetingSeries.id).where(MeetingSeries.family_id == family.id)):
            continue
        if family.family_name == "Harrow":
            made.append(_harrow(family, lead))
            continue
        meeting_type, weekday, at, weeks, weeks_before = plans[family.family_name]
        first = _next_weekday(max(date.today() + timedelta(days=7), change - timedelta(weeks=weeks_before)), weekday)
        network, chair = _people(family)
        schedule = services.Schedule(meeting_type, first, at, 90, Recurrence.WEEKLY, weeks, SeriesEnd.AFTER_COUNT,
                                     count=8, location=PLACE, online_link=LINK)
        series = services.create_series(family, schedule, actor=lead, chair=chair, minute_taker=lead,
                                        invitees=[m.user for m in network])
        db.session.flush()
        second, third = series.occurrences[1], series.occurrences[2]
        moved_to = (second.starts_at + timedelta(days=1)).astimezone(series.zone)
        services.move_occurrence(second, actor=lead, new_date=moved_to.date(), new_time=time(14, 0))
        services.cancel_occurrence(third, actor=lead, reason="The chair is on leave; the next meeting goes ahead")
        made.append(series)
    db.session.commit()
    return made
