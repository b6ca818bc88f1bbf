"""Demo meeting series: one per demo family, each spanning the clocks going forward, with one meeting
moved and one cancelled, and their invitations waiting in the outbox for `flask send-due`."""
from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from coordinator.auth.services import user_by_email
from coordinator.extensions import db
from coordinator.families.models import Family, NetworkRole
from coordinator.families.services import current_network
from coordinator.meetings import services
from coordinator.meetings.models import MeetingSeries, MeetingType, Recurrence, SeriesEnd


def _next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _clock_change_after(day: date) -> date:
    """The last Sunday of the next March: the night the clocks go forward."""
    year = day.year + (1 if day.month > 3 or (day.month == 3 and day.day > 24) else 0)
    last = date(year, 3, 31)
    return last - timedelta(days=(last.weekday() - 6) % 7)


PLANS = {
    # family name: (meeting type, weekday, time, weeks apart, weeks before the clock change to start)
    "Harrow": (MeetingType.CORE_GROUP, 1, time(10, 0), 4, 9),
    "Okafor": (MeetingType.CIN_REVIEW, 2, time(13, 30), 6, 13),
    "Patel": (MeetingType.TEAM_AROUND_FAMILY, 3, time(15, 45), 6, 11),
}


def load_demo_meetings() -> list[MeetingSeries]:
    lead = user_by_email("lead@demo.invalid")
    made = []
    change = _clock_change_after(date.today())
    for name, (meeting_type, weekday, at, weeks, weeks_before) in PLANS.items():
        family = db.session.scalar(select(Family).where(Family.family_name == name))
        if family is None or db.session.scalar(select(MeetingSeries.id).where(MeetingSeries.family_id == family.id)):
            continue
        first = _next_weekday(max(date.today() + timedelta(days=7), change - timedelta(weeks=weeks_before)), weekday)
        network = [m for m in current_network(family) if m.role is not NetworkRole.GUEST]
        chair = next(m.user for m in network if m.role is NetworkRole.CHAIR)
        schedule = services.Schedule(meeting_type, first, at, 90, Recurrence.WEEKLY, weeks, SeriesEnd.AFTER_COUNT,
                                     count=8, location="Demotown Family Centre, room 2",
                                     online_link="https://video.demo.invalid/join/family-meeting")
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
