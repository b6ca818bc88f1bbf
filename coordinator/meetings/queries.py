"""What the meetings area tells about a family's meetings without changing them: when each family last
met and next meets, whether a series is overdue against its type's cadence, bank holidays, links."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import contains_eager

from coordinator.extensions import db
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus, SeriesStatus
from coordinator.meetings.recurrence import to_utc
from coordinator.meetings.services import Schedule, held_clause, held_ids, horizon_end, type_settings
from coordinator.meetings.workdays import bank_holiday_name
from coordinator.memo import once_per_page
from coordinator.timeutil import as_utc, utcnow
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
    held: set[int] = field(default_factory=set)  # the ids of its meetings held (where the page lists them)


def overdue_reason(series: MeetingSeries, next_at: datetime | None, last_held_at: datetime | None,
                   now: datetime) -> str | None:
    """Why a series is overdue against its type's cadence, from the start of its next meeting and of its
    last one held; None when it is not."""
    max_gap = timedelta(days=int(type_settings(series.meeting_type)["max_days"]))
    since = last_held_at if last_held_at else (series.first_start if series.first_start < now else None)
    weeks = max_gap.days // 7
    if since is not None and now - since > max_gap:
        return (f"No meeting recorded as held for more than {weeks} weeks"
                if last_held_at else f"No meeting recorded as held since the series began, over {weeks} weeks ago")
    if series.status is SeriesStatus.ACTIVE and next_at is not None:
        if next_at - (last_held_at or now) > max_gap:
            return f"The next meeting is more than {weeks} weeks after the last"
    elif series.status is SeriesStatus.ACTIVE and next_at is None and since is not None:
        return "No further meeting is scheduled"
    return None


def series_health(series: MeetingSeries, now: datetime | None = None) -> SeriesHealth:
    """For a series' own page, which lists every meeting of it anyway (which of them were held: one query)."""
    now = now or utcnow()
    held_now = held_ids(series.occurrences)
    upcoming = [o for o in series.occurrences if o.starts_at >= now and o.status is not OccurrenceStatus.CANCELLED
                and o.id not in held_now]
    held = [o for o in series.occurrences if o.id in held_now]
    next_meeting = min(upcoming, key=lambda o: o.starts_at) if upcoming else None
    last_held = max(held, key=lambda o: o.starts_at) if held else None
    return SeriesHealth(next_meeting, last_held, overdue_reason(
        series, next_meeting.starts_at if next_meeting else None, last_held.starts_at if last_held else None, now),
        held_now)


def health_of(family_id: int, now: datetime | None = None) -> list[tuple[MeetingSeries, SeriesHealth]]:
    """A family's series, each with its health, for the list of them: the next meetings read by their
    start (one query for them all), the last held meeting only by date."""
    now = now or utcnow()
    entries = families_series([family_id], now)
    wanted = [(entry.series.id, entry.next_at) for entry in entries if entry.next_at is not None]
    next_meetings = {o.series_id: o for o in db.session.scalars(select(Occurrence).where(
        tuple_(Occurrence.series_id, Occurrence.starts_at).in_(wanted),
        Occurrence.status != OccurrenceStatus.CANCELLED))} if wanted else {}
    return [(entry.series, SeriesHealth(next_meetings.get(entry.series.id), None, overdue_reason(
        entry.series, entry.next_at, entry.last_held_at, now))) for entry in entries]


def meeting_url(occurrence: Occurrence) -> str:
    return external_url("meetings.show_occurrence", ref=occurrence.series.family.reference, occurrence_id=occurrence.id)


def series_url(series: MeetingSeries) -> str:
    return external_url("meetings.show_series", ref=series.family.reference, series_id=series.id)


@dataclass
class SeriesDates:
    series: MeetingSeries
    next_at: datetime | None  # its next meeting's start (not cancelled, not held already)
    last_held_at: datetime | None  # its last meeting held (recorded so, or its minutes started)
    last_at: datetime | None  # its last meeting that has taken place (not cancelled), or held


def families_series(family_ids: list[int], now: datetime) -> list[SeriesDates]:
    """The families' series with the dates their lists need, in one query (read once for a page however
    many of its parts ask), at a cost that does not grow with each series' history."""

    def read() -> list[SeriesDates]:
        # Each date a subquery that steps along (series_id, starts_at) from now and stops at the first row:
        # what it costs does not depend on how many meetings the series has had.
        def first_start(*where, latest: bool):
            return (select(Occurrence.starts_at).where(Occurrence.series_id == MeetingSeries.id, *where)
                    .order_by(Occurrence.starts_at.desc() if latest else Occurrence.starts_at).limit(1)
                    .correlate(MeetingSeries).scalar_subquery())

        not_cancelled = Occurrence.status != OccurrenceStatus.CANCELLED
        held = held_clause()  # a meeting whose minutes are started is held, whatever its status says
        rows = db.session.execute(
            select(MeetingSeries,
                   first_start(Occurrence.starts_at >= now, not_cancelled, ~held, latest=False),
                   first_start(held, latest=True),
                   first_start(Occurrence.starts_at <= now, not_cancelled, latest=True))
            .where(MeetingSeries.family_id.in_(family_ids)).order_by(MeetingSeries.created_at, MeetingSeries.id))
        return [SeriesDates(series, as_utc(next_at), as_utc(last_held_at),
                            max((as_utc(at) for at in (last_at, last_held_at) if at is not None), default=None))
                for series, next_at, last_held_at, last_at in rows]

    if not family_ids:
        return []
    return once_per_page(("families' series", tuple(sorted(family_ids))), read)


def caseload_meetings(family_ids: list[int], now: datetime | None = None) -> dict[int, dict]:
    """For "My families" and the family page: each family's next meeting start and overdue series."""

    now = now or utcnow()
    result: dict[int, dict] = {fid: {"next": None, "overdue": []} for fid in family_ids}
    for entry in families_series(family_ids, now):
        family = result[entry.series.family_id]
        if entry.next_at is not None and (family["next"] is None or entry.next_at < family["next"]):
            family["next"] = entry.next_at
        overdue = overdue_reason(entry.series, entry.next_at, entry.last_held_at, now)
        if overdue and entry.series.status is SeriesStatus.ACTIVE:
            family["overdue"].append(f"{entry.series.meeting_type.label}: {overdue}")
    return result


def last_meeting_dates(family_ids: list[int], now: datetime | None = None) -> dict[int, date]:
    """Each family's last meeting that has taken place (not cancelled), as a local date."""

    now = now or utcnow()
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    last: dict[int, datetime] = {}
    for entry in families_series(family_ids, now):
        family_id = entry.series.family_id
        if entry.last_at is not None and (family_id not in last or entry.last_at > last[family_id]):
            last[family_id] = entry.last_at
    return {family_id: moment.astimezone(zone).date() for family_id, moment in last.items()}


def past_meetings_of(family_id: int, before: datetime, *, without: Select, latest: int) -> list[tuple[Occurrence, int]]:
    """A family's meetings started before ``before`` and not cancelled, leaving out those whose id ``without``
    selects: the ``latest`` of them, with their series, each with how many there are in all."""
    return [(occurrence, total) for occurrence, total in db.session.execute(
        select(Occurrence, func.count().over()).join(MeetingSeries).options(contains_eager(Occurrence.series))
        .where(MeetingSeries.family_id == family_id, Occurrence.starts_at < before,
               Occurrence.status != OccurrenceStatus.CANCELLED, Occurrence.id.not_in(without))
        .order_by(Occurrence.starts_at.desc()).limit(latest))]
