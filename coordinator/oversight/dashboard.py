"""A team manager's dashboard: across the team's families (open families whose lead professional is in the
team), the work that is late or outstanding. One query per table, whatever the number of families; each row
names the family by its reference only, and links to where the work is done."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from coordinator.agencies.models import Agency
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.families.models import (
    ChildRelationship,
    Family,
    FamilyStatus,
    HouseholdMember,
    HouseholdSighting,
    NetworkMembership,
    NetworkRole,
    Relationship,
    Sex,
    SightingKind,
)
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus, SeriesStatus
from coordinator.meetings.queries import families_series, overdue_reason
from coordinator.meetings.workdays import add_working_days
from coordinator.minutes.models import Acknowledgement, Action, ActionStatus, Minutes, MinutesStatus, MinutesVersion
from coordinator.oversight.models import Team, TeamMember
from coordinator.submissions.models import RequestState, Submission, SubmissionRequest, SubmissionStatus
from coordinator.timeutil import local_zone, long_date, utcnow


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass
class Row:
    url: str
    cells: dict  # key -> what is shown
    sort: dict = field(default_factory=dict)  # key -> what it sorts by, where not the text shown


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    filter_by: str  # the column a manager narrows the table by
    rows: list[Row] = field(default_factory=list)
    empty: str = "Nothing outstanding."

    @property
    def filter_label(self) -> str:
        return next(c.label for c in self.columns if c.key == self.filter_by)

    def filter_values(self) -> list[str]:
        return sorted({r.cells[self.filter_by] for r in self.rows})

    def narrowed(self, value: str | None, sort: str | None, descending: bool) -> list[Row]:
        rows = [r for r in self.rows if not value or r.cells[self.filter_by] == value]
        if sort in {c.key for c in self.columns}:
            rows.sort(key=lambda r: (r.sort.get(sort, r.cells[sort]) is None, r.sort.get(sort, r.cells[sort])),
                      reverse=descending)
        return rows


def managed_teams(user) -> list[Team]:
    return list(db.session.scalars(select(Team).join(TeamMember).where(TeamMember.user_id == user.id,
                                                                      TeamMember.is_manager.is_(True))
                                   .order_by(Team.name)))


def _current(on: date):
    return and_(NetworkMembership.removed_at.is_(None), NetworkMembership.from_date <= on,
                or_(NetworkMembership.until_date.is_(None), NetworkMembership.until_date >= on))


def team_families(team_ids: list[int], on: date):
    """The team's families: open, with a lead professional (now) who is one of the team's leads. A
    subquery of (family id, reference, lead's name)."""
    leads = select(TeamMember.user_id).where(TeamMember.team_id.in_(team_ids), TeamMember.is_manager.is_(False))
    return (select(Family.id, Family.reference, func.min(User.name).label("lead"))
            .join(NetworkMembership, NetworkMembership.family_id == Family.id)
            .join(User, User.id == NetworkMembership.user_id)
            .where(Family.status == FamilyStatus.OPEN, NetworkMembership.role == NetworkRole.LEAD, _current(on),
                   NetworkMembership.user_id.in_(leads))
            .group_by(Family.id, Family.reference).subquery("team_families"))


def _family_url(ref: str) -> str:
    return url_for("families.show", ref=ref)


def _meeting_url(ref: str, occurrence_id: int) -> str:
    return url_for("meetings.show_occurrence", ref=ref, occurrence_id=occurrence_id)


def _day(moment: datetime | date | None) -> str:
    return long_date(moment) if moment else "Not known"


def _local_day(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def overdue_series(families, on: date) -> Table:
    table = Table("overdue-series", "Meeting series overdue against their cadence",
                  [Column("ref", "Family"), Column("lead", "Lead professional"), Column("type", "Meeting"),
                   Column("why", "Why it is overdue")], "lead")
    leads = dict((fid, (ref, lead)) for fid, ref, lead in db.session.execute(select(families)))
    now = utcnow()
    for entry in families_series(list(leads), now):
        why = overdue_reason(entry.series, entry.next_at, entry.last_held_at, now)
        if why and entry.series.status is SeriesStatus.ACTIVE:
            ref, lead = leads[entry.series.family_id]
            table.rows.append(Row(url_for("meetings.show_series", ref=ref, series_id=entry.series.id),
                                  {"ref": ref, "lead": lead, "type": entry.series.meeting_type.label, "why": why}))
    return table


def minutes_missing(families, on: date) -> Table:
    levels = int(current_app.config["MINUTES_PUBLISH_WORKING_DAYS"])
    table = Table("minutes-missing", "Meetings without minutes past the service level",
                  [Column("ref", "Family"), Column("lead", "Lead professional"), Column("meeting", "Meeting"),
                   Column("due", "Minutes were due")], "lead")
    # The last meeting day whose minutes are due before today.
    last_day = on - timedelta(days=1)
    while add_working_days(last_day, levels) >= on:
        last_day -= timedelta(days=1)
    cutoff = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), local_zone())
    published = exists().where(Minutes.occurrence_id == Occurrence.id, MinutesVersion.minutes_id == Minutes.id)
    for occurrence_id, starts_at, ref, lead in db.session.execute(
            select(Occurrence.id, Occurrence.starts_at, families.c.reference, families.c.lead).select_from(Occurrence)
            .join(MeetingSeries, MeetingSeries.id == Occurrence.series_id)
            .join(families, families.c.id == MeetingSeries.family_id)
            .where(Occurrence.status != OccurrenceStatus.CANCELLED, Occurrence.starts_at < cutoff, ~published)):
        due = add_working_days(_local_day(starts_at), levels)
        table.rows.append(Row(_meeting_url(ref, occurrence_id),
                              {"ref": ref, "lead": lead, "meeting": _day(starts_at), "due": _day(due)},
                              {"meeting": starts_at, "due": due}))
    return table


def minutes_awaiting_approval(families, on: date) -> Table:
    table = Table("awaiting-approval", "Minutes waiting for the chair's approval",
                  [Column("ref", "Family"), Column("chair", "Chair"), Column("meeting", "Meeting"),
                   Column("since", "Last changed")], "chair")
    chair = aliased(User)
    for occurrence_id, starts_at, updated_at, ref, chair_name in db.session.execute(
            select(Occurrence.id, Occurrence.starts_at, Minutes.updated_at, families.c.reference, chair.name)
            .select_from(Occurrence).join(Minutes, Minutes.occurrence_id == Occurrence.id)
            .join(MeetingSeries, MeetingSeries.id == Occurrence.series_id)
            .outerjoin(chair, chair.id == MeetingSeries.chair_id)
            .join(families, families.c.id == Minutes.family_id)
            .where(Minutes.status == MinutesStatus.AWAITING_APPROVAL)):
        table.rows.append(Row(url_for("minutes.edit", ref=ref, occurrence_id=occurrence_id),
                              {"ref": ref, "chair": chair_name or "No chair", "meeting": _day(starts_at),
                               "since": _day(updated_at)}, {"meeting": starts_at, "since": updated_at}))
    return table


def overdue_actions(families, on: date) -> Table:
    table = Table("overdue-actions", "Actions overdue, by owner and agency",
                  [Column("ref", "Family"), Column("owner", "Owner"), Column("agency", "Agency"),
                   Column("due", "Was due"), Column("days", "Days overdue", numeric=True)], "agency")
    for ref, owner, agency, due in db.session.execute(
            select(families.c.reference, User.name, Agency.name, Action.due_date).select_from(Action)
            .join(families, families.c.id == Action.family_id).join(User, User.id == Action.owner_id)
            .join(Agency, Agency.id == Action.owner_agency_id)
            .where(Action.status == ActionStatus.OPEN, Action.due_date < on)):
        table.rows.append(Row(url_for("minutes.action_log", ref=ref),
                              {"ref": ref, "owner": owner, "agency": agency, "due": _day(due),
                               "days": str((on - due).days)}, {"due": due, "days": (on - due).days}))
    return table


def late_updates(families, on: date) -> Table:
    table = Table("late-updates", "Agencies' updates late or missing",
                  [Column("ref", "Family"), Column("agency", "Agency"), Column("asked", "Asked of"),
                   Column("deadline", "Deadline"), Column("state", "State")], "agency")
    submitted = exists().where(Submission.request_id == SubmissionRequest.id,
                               Submission.status == SubmissionStatus.SUBMITTED)
    late = exists().where(Submission.request_id == SubmissionRequest.id, Submission.late.is_(True))
    for occurrence_id, ref, agency, asked, deadline, is_late, is_in in db.session.execute(
            select(SubmissionRequest.occurrence_id, families.c.reference, Agency.name, User.name,
                   SubmissionRequest.deadline, late, submitted)
            .select_from(SubmissionRequest).join(families, families.c.id == SubmissionRequest.family_id)
            .join(Occurrence, Occurrence.id == SubmissionRequest.occurrence_id)
            .join(Agency, Agency.id == SubmissionRequest.agency_id).join(User, User.id == SubmissionRequest.recipient_id)
            .where(Occurrence.status != OccurrenceStatus.CANCELLED, SubmissionRequest.deadline < on,
                   or_(late, and_(~submitted, SubmissionRequest.state.in_([RequestState.OPEN, RequestState.WAITING]))))):
        state = "Submitted late" if is_in and is_late else "Missing"
        table.rows.append(Row(_meeting_url(ref, occurrence_id),
                              {"ref": ref, "agency": agency, "asked": asked, "deadline": _day(deadline),
                               "state": state}, {"deadline": deadline}))
    return table


def men_unknown_or_unseen(families, on: date) -> Table:
    table = Table("men", "Households with a man unknown or not seen",
                  [Column("ref", "Family"), Column("lead", "Lead professional"),
                   Column("unknown", "Name not known", numeric=True),
                   Column("unseen", "Never seen by any agency", numeric=True)], "lead")
    male_carer = exists().where(ChildRelationship.member_id == HouseholdMember.id,
                                ChildRelationship.relationship_type.in_([Relationship.FATHER, Relationship.STEP_PARENT]))
    seen = exists().where(HouseholdSighting.member_id == HouseholdMember.id, HouseholdSighting.kind == SightingKind.SEEN)
    unknown = or_(HouseholdMember.name.is_(None), HouseholdMember.name == "")
    rows = db.session.execute(
        select(families.c.reference, families.c.lead, func.sum(case((unknown, 1), else_=0)),
               func.sum(case((~seen, 1), else_=0)))
        .select_from(HouseholdMember).join(families, families.c.id == HouseholdMember.family_id)
        .where(or_(HouseholdMember.left_on.is_(None), HouseholdMember.left_on > on),
               or_(HouseholdMember.sex == Sex.MALE, male_carer), or_(unknown, ~seen))
        .group_by(families.c.reference, families.c.lead))
    for ref, lead, unknowns, unseen in rows:
        table.rows.append(Row(url_for("families.show", ref=ref) + "#household",
                              {"ref": ref, "lead": lead, "unknown": str(unknowns), "unseen": str(unseen)},
                              {"unknown": unknowns, "unseen": unseen}))
    return table


def unconfirmed_people(families, on: date) -> Table:
    days = int(current_app.config["HOUSEHOLD_UNCONFIRMED_DAYS"])
    table = Table("unconfirmed", f"People not confirmed for more than {days} days",
                  [Column("ref", "Family"), Column("lead", "Lead professional"),
                   Column("people", "People not confirmed", numeric=True)], "lead")
    confirmed = (select(func.max(HouseholdSighting.seen_on)).where(
        HouseholdSighting.member_id == HouseholdMember.id,
        HouseholdSighting.kind.in_([SightingKind.SEEN, SightingKind.TOLD_OF])).correlate(HouseholdMember)
        .scalar_subquery())
    rows = db.session.execute(
        select(families.c.reference, families.c.lead, func.count())
        .select_from(HouseholdMember).join(families, families.c.id == HouseholdMember.family_id)
        .where(or_(HouseholdMember.left_on.is_(None), HouseholdMember.left_on > on),
               or_(confirmed.is_(None), confirmed < on - timedelta(days=days)))
        .group_by(families.c.reference, families.c.lead))
    for ref, lead, people in rows:
        table.rows.append(Row(url_for("families.show", ref=ref) + "#household",
                              {"ref": ref, "lead": lead, "people": str(people)}, {"people": people}))
    return table


def acknowledgements_outstanding(families, on: date) -> Table:
    """The latest published minutes of each meeting, and how many of the network (non-guests, members when
    they were published) have not acknowledged them."""
    table = Table("acknowledgements", "Acknowledgements of minutes outstanding",
                  [Column("ref", "Family"), Column("lead", "Lead professional"), Column("meeting", "Meeting"),
                   Column("published", "Published"), Column("people", "Not yet acknowledged", numeric=True)], "lead")
    later = aliased(MinutesVersion)
    newer = exists().where(later.minutes_id == MinutesVersion.minutes_id, later.number > MinutesVersion.number)
    acknowledged = exists().where(Acknowledgement.version_id == MinutesVersion.id,
                                  Acknowledgement.user_id == NetworkMembership.user_id)
    rows = db.session.execute(
        select(Occurrence.id, Occurrence.starts_at, MinutesVersion.number, MinutesVersion.published_at,
               families.c.reference, families.c.lead, func.count(func.distinct(NetworkMembership.user_id)))
        .select_from(MinutesVersion).join(Minutes, Minutes.id == MinutesVersion.minutes_id)
        .join(Occurrence, Occurrence.id == Minutes.occurrence_id)
        .join(families, families.c.id == MinutesVersion.family_id)
        .join(NetworkMembership, NetworkMembership.family_id == MinutesVersion.family_id)
        .where(~newer, ~acknowledged, NetworkMembership.role != NetworkRole.GUEST, _current(on),
               NetworkMembership.from_date <= func.date(MinutesVersion.published_at))
        .group_by(Occurrence.id, Occurrence.starts_at, MinutesVersion.number, MinutesVersion.published_at,
                  families.c.reference, families.c.lead))
    for occurrence_id, starts_at, number, published_at, ref, lead, people in rows:
        table.rows.append(Row(url_for("minutes.show_version", ref=ref, occurrence_id=occurrence_id, number=number),
                              {"ref": ref, "lead": lead, "meeting": _day(starts_at), "published": _day(published_at),
                               "people": str(people)}, {"meeting": starts_at, "published": published_at,
                                                        "people": people}))
    return table


TABLES = (overdue_series, minutes_missing, minutes_awaiting_approval, overdue_actions, late_updates,
          men_unknown_or_unseen, unconfirmed_people, acknowledgements_outstanding)


def dashboard(teams: list[Team], on: date) -> list[Table]:
    families = team_families([t.id for t in teams], on)
    return [build(families, on) for build in TABLES]


def family_count(teams: list[Team], on: date) -> int:
    families = team_families([t.id for t in teams], on)
    return db.session.scalar(select(func.count()).select_from(families)) or 0
