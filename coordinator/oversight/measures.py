"""The partnership's learning: aggregate, de-identified measures over a period, by agency or by plan type.

Each measure is one GROUP BY query (a constant number of queries whatever the number of families); no
name, reference or id leaves this module, only groups and counts. Counts from 1 to the threshold less one
(``SUPPRESSION_THRESHOLD``) are shown as "fewer than N", and so is any rate or average drawn from such a
count, so that no small group of families can be picked out.

"By agency" means, for what an agency does (its updates: on time, the domestic abuse enquiry, "was not
brought"), the agency that was asked or wrote; for what the family's meetings do (cadence, minutes,
household, goals), the lead professional's agency.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import (
    JSON,
    Date,
    Integer,
    and_,
    case,
    cast,
    column,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import aliased

from coordinator.agencies.models import Agency
from coordinator.extensions import db
from coordinator.families.models import (
    ChildRelationship,
    Family,
    HouseholdMember,
    HouseholdSighting,
    NetworkMembership,
    NetworkRole,
    PlanType,
    Relationship,
    Sex,
    SightingKind,
)
from coordinator.meetings.models import MeetingSeries, MeetingType, Occurrence, OccurrenceStatus
from coordinator.meetings.workdays import add_working_days
from coordinator.minutes.models import Goal, GoalScore, Minutes, MinutesVersion
from coordinator.submissions.models import Submission, SubmissionRequest, SubmissionStatus
from coordinator.timeutil import local_zone, utcnow

BY = {"agency": "Agency", "plan_type": "Plan type", "all": "The whole partnership"}
MAX_PERIOD_DAYS = 3 * 366  # the minutes' service-level calendar is sent with the query: keep it bounded


@dataclass
class Cell:
    group: str
    numerator: int
    denominator: int
    threshold: int
    total: float | None = None  # for an average: the sum it divides

    @property
    def hidden(self) -> bool:
        # The few on either side: "48 of 50" would tell of the 2 who were not, as "2 of 50" would.
        return (0 < self.numerator < self.threshold or self.denominator < self.threshold
                or 0 < self.denominator - self.numerator < self.threshold)

    def count(self, value: int) -> str:
        return f"fewer than {self.threshold}" if 0 < value < self.threshold else f"{value:,}"

    @property
    def shown_numerator(self) -> str:
        return self.count(self.numerator)

    @property
    def shown_denominator(self) -> str:
        return self.count(self.denominator)

    @property
    def percent(self) -> int | None:
        if self.hidden or not self.denominator:
            return None
        return round(100 * self.numerator / self.denominator)

    @property
    def average(self) -> float | None:
        if self.total is None or self.denominator < self.threshold or not self.denominator:
            return None
        return round(self.total / self.denominator, 1)

    @property
    def shown_value(self) -> str:
        if not self.denominator:
            return "No records"
        if self.hidden:
            return f"Not shown: fewer than {self.threshold}"
        return f"{self.percent}%"


@dataclass
class Measure:
    key: str
    title: str
    explanation: str
    numerator_label: str
    denominator_label: str
    cells: list[Cell] = field(default_factory=list)
    average_label: str | None = None


@dataclass
class Period:
    start: date
    end: date  # inclusive

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(0), local_zone()).astimezone(timezone.utc)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(0), local_zone()).astimezone(timezone.utc)


def threshold() -> int:
    return int(current_app.config["SUPPRESSION_THRESHOLD"])


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _days_between(later, earlier):
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _json_text(column_, key: str):
    if _dialect() == "postgresql":
        return cast(column_, JSON)[key].as_string()
    return func.json_extract(column_, f"$.{key}")


def _json_int(column_, key: str):
    if _dialect() == "postgresql":
        return cast(func.nullif(cast(column_, JSON)[key].as_string(), ""), Integer)
    return cast(func.json_extract(column_, f"$.{key}"), Integer)


def _families():
    """Each family with what the measures group by: its plan type and its lead professional's agency (the
    first, should there be two)."""
    lead_agency = (select(func.min(NetworkMembership.agency_id))
                   .where(NetworkMembership.family_id == Family.id, NetworkMembership.role == NetworkRole.LEAD,
                          NetworkMembership.removed_at.is_(None))
                   .correlate(Family).scalar_subquery())
    return select(Family.id, Family.plan_type, Family.created_at, Family.closed_on,
                  lead_agency.label("lead_agency_id")).subquery("family_groups")


def _group(families, by: str, own_agency=None):
    if by == "plan_type":
        return families.c.plan_type
    if by == "agency":
        return own_agency if own_agency is not None else families.c.lead_agency_id
    return literal_column("'all'")


def _grouped(statement, group, by: str):
    return statement if by == "all" else statement.group_by(group)


def _cells(rows, by: str, *, with_total: bool = False) -> list[Cell]:
    limit = threshold()
    rows = list(rows)
    names: dict = {}
    if by == "agency":
        ids = {row[0] for row in rows if row[0] is not None}
        names = dict(db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(ids))).all()) if ids else {}

    def label(key) -> str:
        if by == "plan_type":
            return (key if isinstance(key, PlanType) else PlanType[key]).label if key else "No plan type"
        if by == "agency":
            return names.get(key, "No lead professional")
        return "The whole partnership"

    cells = [Cell(label(row[0]), int(row[1] or 0), int(row[2] or 0), limit,
                  float(row[3] or 0) if with_total else None) for row in rows]
    return sorted(cells, key=lambda c: c.group)


def _max_days():
    settings = current_app.config["MEETING_TYPE_SETTINGS"]
    return case(*[(MeetingSeries.meeting_type == kind, int(settings[kind.name]["max_days"])) for kind in MeetingType],
                else_=int(max(s["max_days"] for s in settings.values())))


def meetings_within_cadence(period: Period, by: str) -> Measure:
    """Of the meetings that took place in the period (each after an earlier one of its series), those held
    within their type's longest interval of the one before."""
    ordered = (select(Occurrence.series_id, Occurrence.starts_at,
                      func.lag(Occurrence.starts_at).over(partition_by=Occurrence.series_id,
                                                          order_by=Occurrence.starts_at).label("previous"))
               .where(Occurrence.status != OccurrenceStatus.CANCELLED, Occurrence.starts_at < utcnow())
               .subquery())
    families = _families()
    group = _group(families, by)
    within = _days_between(ordered.c.starts_at, ordered.c.previous) <= _max_days()
    rows = db.session.execute(_grouped(
        select(group, func.sum(case((within, 1), else_=0)), func.count())
        .select_from(ordered).join(MeetingSeries, MeetingSeries.id == ordered.c.series_id)
        .join(families, families.c.id == MeetingSeries.family_id)
        .where(ordered.c.previous.is_not(None), ordered.c.starts_at >= period.starts_at,
               ordered.c.starts_at < period.ends_at), group, by))
    return Measure("cadence", "Meetings held within their cadence",
                   "Meetings that took place in the period within the longest interval their type allows after "
                   "the meeting before (a series' first meeting is not counted).",
                   "Within the cadence", "Meetings", _cells(rows, by))


def updates_on_time(period: Period, by: str, on: date) -> Measure:
    """Of the updates asked for whose deadline fell in the period (and has passed), those submitted by it."""
    on_time = exists().where(Submission.request_id == SubmissionRequest.id,
                             Submission.first_submitted_at.is_not(None), Submission.late == false())
    families = _families()
    group = _group(families, by, SubmissionRequest.agency_id)
    rows = db.session.execute(_grouped(
        select(group, func.sum(case((on_time, 1), else_=0)), func.count())
        .select_from(SubmissionRequest).join(Occurrence, Occurrence.id == SubmissionRequest.occurrence_id)
        .join(families, families.c.id == SubmissionRequest.family_id)
        .where(Occurrence.status != OccurrenceStatus.CANCELLED, SubmissionRequest.deadline >= period.start,
               SubmissionRequest.deadline <= min(period.end, on - timedelta(days=1))), group, by))
    return Measure("updates", "Agencies' updates on time",
                   "Updates asked for whose deadline fell in the period, and those submitted by the deadline.",
                   "On time", "Updates asked for", _cells(rows, by))


def _due_days(period: Period, levels: int):
    """A calendar for the query: each day of the period and the day its meeting's minutes are due by."""
    days, day = [], period.start
    while day <= period.end:
        days.append((day, add_working_days(day, levels)))
        day += timedelta(days=1)
    params, parts = {}, []
    for n, (meeting_day, due) in enumerate(days):
        params[f"d{n}"], params[f"u{n}"] = meeting_day.isoformat(), due.isoformat()
        parts.append(f"(CAST(:d{n} AS DATE), CAST(:u{n} AS DATE))" if _dialect() == "postgresql" else f"(:d{n}, :u{n})")
    return (text("VALUES " + ", ".join(parts)).bindparams(**params)
            .columns(column("column1", Date), column("column2", Date)).cte("due_days"))


def minutes_within_service_level(period: Period, by: str, on: date) -> Measure:
    """Of the meetings that took place in the period whose minutes are due (or published), those whose
    first version was published within the service level (MINUTES_PUBLISH_WORKING_DAYS)."""
    levels = int(current_app.config["MINUTES_PUBLISH_WORKING_DAYS"])
    due_days = _due_days(period, levels)
    first = (select(Minutes.occurrence_id, func.min(MinutesVersion.published_at).label("published_at"))
             .join(MinutesVersion, MinutesVersion.minutes_id == Minutes.id).group_by(Minutes.occurrence_id).subquery())
    due = due_days.c.column2
    published_on = func.date(first.c.published_at, type_=Date)
    families = _families()
    group = _group(families, by)
    rows = db.session.execute(_grouped(
        select(group, func.sum(case((published_on <= due, 1), else_=0)), func.count())
        .select_from(Occurrence).join(MeetingSeries, MeetingSeries.id == Occurrence.series_id)
        .join(families, families.c.id == MeetingSeries.family_id)
        .join(due_days, due_days.c.column1 == func.date(Occurrence.starts_at, type_=Date))
        .outerjoin(first, first.c.occurrence_id == Occurrence.id)
        .where(Occurrence.status != OccurrenceStatus.CANCELLED, Occurrence.starts_at >= period.starts_at,
               Occurrence.starts_at < min(period.ends_at, utcnow()),
               or_(due < on, first.c.published_at.is_not(None))), group, by))
    return Measure("minutes", "Minutes within the service level",
                   f"Meetings that took place in the period whose minutes were due, and those whose minutes were "
                   f"published within {levels} working days of the meeting.",
                   "Within the service level", "Meetings", _cells(rows, by))


def _submitted_in(period: Period, families):
    return (select(Submission.id).join(Occurrence, Occurrence.id == Submission.occurrence_id)
            .join(families, families.c.id == Submission.family_id)
            .where(Submission.status == SubmissionStatus.SUBMITTED, Occurrence.starts_at >= period.starts_at,
                   Occurrence.starts_at < period.ends_at))


def domestic_abuse_enquiry(period: Period, by: str) -> Measure:
    families = _families()
    group = _group(families, by, Submission.agency_id)
    asked = _json_text(Submission.data, "da_asked") == "yes"
    rows = db.session.execute(_grouped(_submitted_in(period, families).with_only_columns(
        group, func.sum(case((asked, 1), else_=0)), func.count(), maintain_column_froms=True), group, by))
    return Measure("domestic_abuse", "Domestic abuse routine enquiry",
                   "Agencies' updates for meetings in the period, and those saying the agency asked about domestic "
                   "abuse.", "Asked", "Updates", _cells(rows, by))


def was_not_brought(period: Period, by: str) -> Measure:
    families = _families()
    group = _group(families, by, Submission.agency_id)
    rows = db.session.execute(_grouped(_submitted_in(period, families).with_only_columns(
        group, func.coalesce(func.sum(_json_int(Submission.data, "was_not_brought")), 0),
        func.coalesce(func.sum(_json_int(Submission.data, "appointments_offered")), 0),
        maintain_column_froms=True), group, by))
    return Measure("was_not_brought", "Children not brought to appointments",
                   "Appointments offered to children, as agencies' updates for meetings in the period report "
                   "them, and those the child was not brought to.", "Not brought", "Appointments offered",
                   _cells(rows, by))


def men_unknown_or_unseen(period: Period, by: str) -> Measure:
    """Of the families open at some time in the period, those whose household had a man or father whose name
    is not known or whom no agency has seen."""
    male_carer = exists().where(ChildRelationship.member_id == HouseholdMember.id,
                                ChildRelationship.relationship_type.in_([Relationship.FATHER, Relationship.STEP_PARENT]))
    seen = exists().where(HouseholdSighting.member_id == HouseholdMember.id,
                          HouseholdSighting.kind == SightingKind.SEEN, HouseholdSighting.seen_on <= period.end)
    families = _families()
    flagged = exists().where(HouseholdMember.family_id == families.c.id, HouseholdMember.first_recorded_on <= period.end,
                             or_(HouseholdMember.left_on.is_(None), HouseholdMember.left_on >= period.start),
                             or_(HouseholdMember.sex == Sex.MALE, male_carer),
                             or_(HouseholdMember.name.is_(None), HouseholdMember.name == "", ~seen))
    group = _group(families, by)
    rows = db.session.execute(_grouped(
        select(group, func.sum(case((flagged, 1), else_=0)), func.count()).select_from(families)
        .where(families.c.created_at < period.ends_at,
               or_(families.c.closed_on.is_(None), families.c.closed_on >= period.start)), group, by))
    return Measure("men", "Households with a man unknown or never seen",
                   "Families open in the period, and those whose household had a man or father whose name is not "
                   "known or whom no agency had seen.", "With such a man", "Families", _cells(rows, by))


def goal_movement(period: Period, by: str) -> Measure:
    """Goals scored at two meetings or more, the latest in the period: how many moved up, and the average
    movement between the first score and the latest."""
    ranked = (select(GoalScore.goal_id, GoalScore.score,
                     func.row_number().over(partition_by=GoalScore.goal_id,
                                            order_by=(Occurrence.starts_at, GoalScore.id)).label("first_rank"),
                     func.row_number().over(partition_by=GoalScore.goal_id,
                                            order_by=(Occurrence.starts_at.desc(), GoalScore.id.desc())).label("last_rank"),
                     Occurrence.starts_at)
              .join(Occurrence, Occurrence.id == GoalScore.occurrence_id).subquery())
    first, latest = aliased(ranked), aliased(ranked)
    movement = latest.c.score - first.c.score
    families = _families()
    group = _group(families, by)
    rows = db.session.execute(_grouped(
        select(group, func.sum(case((movement > 0, 1), else_=0)), func.count(), func.sum(movement))
        .select_from(Goal).join(families, families.c.id == Goal.family_id)
        .join(first, and_(first.c.goal_id == Goal.id, first.c.first_rank == 1))
        .join(latest, and_(latest.c.goal_id == Goal.id, latest.c.last_rank == 1, latest.c.first_rank > 1))
        .where(latest.c.starts_at >= period.starts_at, latest.c.starts_at < period.ends_at), group, by))
    return Measure("goals", "Goal scores between the first meeting and the latest",
                   "Goals scored at two meetings or more, the latest in the period: those scored higher at the "
                   "latest than at the first, and the average change (0 to 10 scale).", "Scored higher", "Goals",
                   _cells(rows, by, with_total=True), average_label="Average change")


def all_measures(period: Period, by: str, on: date) -> list[Measure]:
    return [meetings_within_cadence(period, by), updates_on_time(period, by, on),
            minutes_within_service_level(period, by, on), domestic_abuse_enquiry(period, by),
            men_unknown_or_unseen(period, by), was_not_brought(period, by), goal_movement(period, by)]


