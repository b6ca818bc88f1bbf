"""What the meetings area tells about a family's meetings without changing them: when each family last
met and next meets, whether a series is overdue against its type's cadence, bank holidays, links."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus, SeriesStatus
from coordinator.meetings.recurrence import to_utc
from coordinator.meetings.services import Schedule, horizon_end, type_settings
from coordinator.meetings.workdays import bank_holiday_name
from coordinator.memo import once_per_page
from coordinator.timeutil import utcnow
from coordinator.urls import external_url


def bank_holiday_warnings(series: MeetingSeries) -> list[str]:
    warnings = []
    for occurrence in series.occurrences:
        if occurrence.status in (OccurrenceStatus.CANCELLED,) or occurrence.starts_at < utcnow():
            continue
        local = occurrence.starts_at.astimezone(series.zone).date()
        name = bank_holiday_name(local)
        if name:
            warnings.append(f"{local.strftime('%A %-d %B %Y')} is a bank holiday ({name})")
    return warnings


def holiday_warning(day: date) -> list[str]:
    name = bank_holiday_name(day)
    return [f"{day.strftime('%A %-d %B %Y')} is a bank holiday ({name})"] if name else []


def schedule_holiday_warnings(schedule: Schedule) -> list[str]:
    """The bank holidays a (checked) schedule's meetings fall on, up to the horizon: for the confirmation
    page, before any meeting exists."""
    first = to_utc(datetime.combine(schedule.first_date, schedule.start_time), ZoneInfo(schedule.timezone))
    return [warning for start in schedule.rule().starts_between(first, horizon_end())
            for warning in holiday_warning(start.astimezone(ZoneInfo(schedule.timezone)).date())]


@dataclass
class SeriesHealth:
    next_meeting: Occurrence | None
    last_held: Occurrence | None
    overdue: str | None  # why, when it is


def series_health(series: MeetingSeries, now: datetime | None = None) -> SeriesHealth:
    now = now or utcnow()
    max_gap = timedelta(days=int(type_settings(series.meeting_type)["max_days"]))
    upcoming = [o for o in series.occurrences if o.starts_at >= now and o.status is not OccurrenceStatus.CANCELLED]
    held = [o for o in series.occurrences if o.status is OccurrenceStatus.HELD]
    next_meeting = min(upcoming, key=lambda o: o.starts_at) if upcoming else None
    last_held = max(held, key=lambda o: o.starts_at) if held else None
    overdue = None
    since = last_held.starts_at if last_held else (series.first_start if series.first_start < now else None)
    weeks = max_gap.days // 7
    if since is not None and now - since > max_gap:
        overdue = (f"No meeting recorded as held for more than {weeks} weeks"
                   if last_held else f"No meeting recorded as held since the series began, over {weeks} weeks ago")
    elif series.status is SeriesStatus.ACTIVE and next_meeting is not None:
        gap_from = last_held.starts_at if last_held else now
        if next_meeting.starts_at - gap_from > max_gap:
            overdue = f"The next meeting is more than {weeks} weeks after the last"
    elif series.status is SeriesStatus.ACTIVE and next_meeting is None and since is not None:
        overdue = "No further meeting is scheduled"
    return SeriesHealth(next_meeting, last_held, overdue)


def series_of_family(family: Family) -> list[MeetingSeries]:
    return list(db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == family.id)
                              .order_by(MeetingSeries.created_at)))


def family_meetings(family_id: int) -> list[MeetingSeries]:
    """A family's series, each with all its meetings, read once for a page however many of its parts ask."""
    return once_per_page(("family meetings", family_id), lambda: list(db.session.scalars(
        select(MeetingSeries).where(MeetingSeries.family_id == family_id)
        .options(joinedload(MeetingSeries.occurrences)).order_by(MeetingSeries.created_at)).unique()))


def meeting_url(occurrence: Occurrence) -> str:
    return external_url("meetings.show_occurrence", ref=occurrence.series.family.reference, occurrence_id=occurrence.id)


def series_url(series: MeetingSeries) -> str:
    return external_url("meetings.show_series", ref=series.family.reference, series_id=series.id)


def caseload_meetings(family_ids: list[int], now: datetime | None = None) -> dict[int, dict]:
    """For "My families": each family's next meeting and overdue series, in a constant number of queries."""

    now = now or utcnow()
    result: dict[int, dict] = {fid: {"next": None, "overdue": []} for fid in family_ids}
    if not family_ids:
        return result
    series_list = family_meetings(family_ids[0]) if len(family_ids) == 1 else db.session.scalars(
        select(MeetingSeries).where(MeetingSeries.family_id.in_(family_ids))
        .options(selectinload(MeetingSeries.occurrences))
    ).all()
    for series in series_list:
        health = series_health(series, now)
        entry = result[series.family_id]
        if health.next_meeting and (entry["next"] is None or health.next_meeting.starts_at < entry["next"].starts_at):
            entry["next"] = health.next_meeting
        if health.overdue and series.status is SeriesStatus.ACTIVE:
            entry["overdue"].append(f"{series.meeting_type.label}: {health.overdue}")
    return result


def last_meeting_dates(family_ids: list[int], now: datetime | None = None) -> dict[int, date]:
    """Each family's last meeting that has taken place (not cancelled), as a local date, in one query."""

    now = now or utcnow()
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    if len(family_ids) == 1:  # one family's page: from its meetings, which the page reads anyway
        held = [o.starts_at for series in family_meetings(family_ids[0]) for o in series.occurrences
                if o.starts_at <= now and o.status is not OccurrenceStatus.CANCELLED]
        return {family_ids[0]: max(held).astimezone(zone).date()} if held else {}
    rows = db.session.execute(
        select(MeetingSeries.family_id, func.max(Occurrence.starts_at))
        .join(Occurrence, Occurrence.series_id == MeetingSeries.id)
        .where(MeetingSeries.family_id.in_(family_ids), Occurrence.starts_at <= now,
               Occurrence.status != OccurrenceStatus.CANCELLED)
        .group_by(MeetingSeries.family_id)).all()
    result = {}
    for family_id, last in rows:
        if last is not None:
            if last.tzinfo is None:  # aggregates may come back without the column type's conversion
                last = last.replace(tzinfo=timezone.utc)
            result[family_id] = last.astimezone(zone).date()
    return result
