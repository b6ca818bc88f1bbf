"""Is anything changing for the children, and is the work on time: goal scores and each agency's safety
scales over the family's meetings, the minutes' service levels, minutes overdue."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings import queries as meeting_queries
from coordinator.meetings.models import Occurrence
from coordinator.meetings.workdays import add_working_days
from coordinator.minutes.actions import goals_of
from coordinator.minutes.models import Minutes, MinutesVersion
from coordinator.submissions.document import UpdateDocument
from coordinator.timeutil import local_zone, today, utcnow


@dataclass
class ServiceLevels:
    decisions_due: date
    minutes_due: date
    decisions_late: bool
    minutes_late: bool


def service_levels(occurrence: Occurrence, minutes: Minutes | None, on: date | None = None) -> ServiceLevels:
    cfg = current_app.config
    day = occurrence.day
    on = on or today()
    decisions_due = add_working_days(day, int(cfg["DECISIONS_SUMMARY_WORKING_DAYS"]))
    minutes_due = add_working_days(day, int(cfg["MINUTES_PUBLISH_WORKING_DAYS"]))
    first_published = (minutes.versions[0].published_at.astimezone(local_zone()).date()
                       if minutes is not None and minutes.versions else None)
    decisions_sent = minutes.decisions_sent_at.astimezone(local_zone()).date() if minutes and minutes.decisions_sent_at else None
    return ServiceLevels(
        decisions_due, minutes_due,
        decisions_late=(decisions_sent or on) > decisions_due,
        minutes_late=(first_published or on) > minutes_due,
    )


@dataclass
class Line:
    label: str
    points: list[tuple[date, int]]


def outcome_charts(family: Family) -> dict:
    """Goal scores, and each agency's safety scale per child, over the family's meetings."""
    from coordinator.agencies.models import Agency
    from coordinator.submissions.models import Submission, SubmissionStatus

    goals = [Line(g.description, sorted((s.occurrence.day, s.score) for s in g.scores))
             for g in goals_of(family, with_scores=True)]
    scales: dict[str, list[Line]] = {}
    rows = db.session.execute(
        select(Submission, Occurrence, Agency.name).join(Occurrence, Submission.occurrence_id == Occurrence.id)
        .join(Agency, Agency.id == Submission.agency_id)
        .where(Submission.family_id == family.id, Submission.status == SubmissionStatus.SUBMITTED)
        .options(joinedload(Occurrence.series)).order_by(Occurrence.starts_at)).all()
    for child in family.children:
        per_agency: dict[str, list[tuple[date, int]]] = {}
        for submission, occurrence, agency in rows:
            value = UpdateDocument(submission.fields).scale(child.id)
            if value is None:
                continue
            per_agency.setdefault(agency, []).append((occurrence.day, value))
        if per_agency:
            scales[child.display_name] = [Line(agency, points) for agency, points in sorted(per_agency.items())]
    return {"goals": [g for g in goals if g.points], "scales": scales}


@dataclass
class OverdueMinutes:
    count: int  # past meetings whose minutes are late
    latest: list[Occurrence]  # the most recent of them (at most SHOWN_OVERDUE_MINUTES)


SHOWN_OVERDUE_MINUTES = 3


def last_late_day(on: date) -> date:
    """The last meeting day whose minutes are late on ``on``: a meeting's minutes are late once ``on`` is
    past MINUTES_PUBLISH_WORKING_DAYS working days after it, and that only moves later with the day."""
    cfg = current_app.config
    return _last_late_day(on, int(cfg["MINUTES_PUBLISH_WORKING_DAYS"]),
                          cfg["BANK_HOLIDAY_COUNTRY"], cfg["BANK_HOLIDAY_SUBDIVISION"])


@lru_cache(maxsize=16)
def _last_late_day(on: date, allowed: int, *region: str) -> date:  # the region only keys the cache
    day = on - timedelta(days=allowed + 1)
    while add_working_days(day, allowed) >= on:
        day -= timedelta(days=1)
    return day


def overdue_minutes(family: Family, on: date | None = None) -> OverdueMinutes:
    """Past meetings whose full minutes are not published by their service-level date (working days in the
    partnership's time zone), counted in the database: the cost does not grow with the family's history."""
    on = on or today()
    late_before = datetime.combine(last_late_day(on) + timedelta(days=1), time(0), tzinfo=local_zone())
    published = select(Minutes.occurrence_id).where(exists().where(MinutesVersion.minutes_id == Minutes.id))
    rows = meeting_queries.past_meetings_of(family.id, min(utcnow(), late_before), without=published,
                                            latest=SHOWN_OVERDUE_MINUTES)
    return OverdueMinutes(rows[0][1] if rows else 0, [occurrence for occurrence, _ in rows])
