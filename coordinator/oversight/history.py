"""A partnership's history, written in bulk, whose measures are known in advance: for the oversight tests
(every measure checked against the answers below, at 100 and at 10,000 families) and for the demo (so that
every measure shows something above the suppression threshold).

Family ``i`` (of ``families``), led by lead ``i % leads`` (a social worker of the children's services),
with a health visitor and a school in its network:

- plan type: child protection when ``i`` is even, child in need when odd;
- household: a mother, seen; a man who, when ``i % 5 == 0``, has no name (seen); when ``i % 5 == 1``, was
  told of 100 days ago and never seen (so also unconfirmed); otherwise named and seen;
- one core group series (42 days at most between meetings): meetings 30 and 58 days ago, and one before
  those, 28 days earlier or, when ``i % 4 == 0``, 56 (outside the cadence); a meeting to come in 10 days,
  except when ``i % 10 == 3`` (the series is then overdue: nothing further scheduled);
- minutes of the first meeting published the day after; of the second the day after, or 35 days after
  when ``i % 3 == 0`` (past the service level); of the last two days after, except: none when
  ``i % 6 == 1``, waiting for the chair's approval when ``i % 6 == 2``; the lead acknowledges each;
- each meeting asks the health visitor and the school for an update, due three days before it: health
  always on time (asked about domestic abuse; 4 appointments offered, 1 not brought when ``i`` is even);
  the school late when ``i % 4 == 1``, missing when ``i % 4 == 2``, else on time (not asked; 2 offered);
- one action of the health visitor due five days ago, still open when ``i % 3 == 0``;
- one goal scored 4 at the first meeting, then at the latest 3, 4 or 5 for ``i % 3`` 0, 1 or 2.
"""
from __future__ import annotations

import enum
import functools
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, text

from coordinator.agencies.models import Agency, AgencyKind
from coordinator.auth.models import Role, User
from coordinator.extensions import db
from coordinator.families.models import (
    Family,
    HouseholdMember,
    HouseholdSighting,
    NetworkMembership,
    NetworkRole,
    PlanType,
    Presence,
    Sex,
    SightingKind,
    YesNoUnknown,
)
from coordinator.meetings.models import (
    Invitee,
    MeetingSeries,
    MeetingType,
    Occurrence,
    OccurrenceStatus,
    Recurrence,
    SeriesEnd,
    SeriesStatus,
)
from coordinator.minutes.models import (
    Acknowledgement,
    Action,
    ActionStatus,
    Goal,
    GoalScore,
    Minutes,
    MinutesStatus,
    MinutesVersion,
)
from coordinator.oversight.models import Team, TeamMember
from coordinator.submissions.models import RequestState, Submission, SubmissionRequest, SubmissionStatus
from coordinator.timeutil import today as local_today

BATCH = 5_000


@dataclass
class History:
    families: int
    family_ids: list[int] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)
    health_id: int = 0
    school_id: int = 0
    agency_ids: dict[str, int] = field(default_factory=dict)
    on: date = date.min


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert with ids given here (the next after the largest), in one executemany per batch through the
    connection (not the ORM, whose bulk path costs ten times as much); PostgreSQL's sequence follows."""
    table = model.__table__
    first = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    _insert_only(model, rows)
    if rows and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :last)"),
                           {"last": ids[-1]})
    return ids


def _converter(sample, sqlite: bool):
    """How a column's values are written, judged from one of them (a column's values are all alike)."""
    if isinstance(sample, enum.Enum):
        return lambda raw: raw.name
    if isinstance(sample, datetime):
        if sqlite:
            return lambda raw: raw.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")
        return lambda raw: raw.astimezone(timezone.utc).replace(tzinfo=None)
    if sqlite and isinstance(sample, date):
        return date.isoformat
    if sqlite and isinstance(sample, time):
        return lambda raw: raw.isoformat("microseconds")
    if sqlite and isinstance(sample, bool):
        return int
    return None


def _insert_only(model, rows: list[dict]) -> None:
    """One executemany per batch straight to the driver: the values converted here once as the column types
    would (an enumeration's name, UTC instants without their zone, SQLite's dates as text), the columns'
    defaults filled in; SQLAlchemy's per-value processing would cost ten times the insert itself."""
    if not rows:
        return
    table = model.__table__
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    defaults = {}
    for col in table.columns:
        if col.name not in rows[0] and col.default is not None:
            arg = col.default.arg
            defaults[col.name] = arg(None) if callable(arg) else arg
    names = [c.name for c in table.columns if c.name in rows[0] or c.name in defaults]
    values = [[row[n] if n in row else defaults[n] for n in names] for row in rows]
    for i in range(len(names)):
        convert = _converter(next((v[i] for v in values if v[i] is not None), None), sqlite)
        if convert is not None:
            for v in values:
                if v[i] is not None:
                    v[i] = convert(v[i])
    connection = db.session.connection()
    if not sqlite:  # PostgreSQL's COPY, in the session's transaction
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for v in values:
                copy.write_row(v)
        return
    statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(['?'] * len(names))})"
    for start in range(0, len(values), BATCH):
        connection.exec_driver_sql(statement, [tuple(v) for v in values[start:start + BATCH]])


def meeting_days(i: int, on: date) -> list[date]:
    """Family ``i``'s meetings that took place, oldest first."""
    second = on - timedelta(days=58)
    return [second - timedelta(days=56 if i % 4 == 0 else 28), second, on - timedelta(days=30)]


def write_history(families: int, *, leads: int | None = None, tag: str | None = None, on: date | None = None,
                  is_demo: bool = False, lead_ids: list[int] | None = None, agency_ids: dict | None = None,
                  partner_ids: tuple[int, int] | None = None) -> History:
    """Write ``families`` families as the module says. The leads, agencies and partners are made unless
    given (the demo gives its own)."""
    on = on or local_today()
    tag = tag or uuid.uuid4().hex[:4]
    zone_name = current_app.config["TIMEZONE"]
    zone = ZoneInfo(zone_name)
    history = History(families, on=on)

    if agency_ids is None:
        kinds = {"csc": AgencyKind.CHILDRENS_SOCIAL_CARE, "health": AgencyKind.HEALTH_VISITING,
                 "school": AgencyKind.SCHOOL}
        agency_ids = dict(zip(kinds, _insert(Agency, [{"name": f"History {tag} {kind.value}", "kind": kind}
                                                      for kind in kinds.values()]), strict=True))
    history.agency_ids = agency_ids
    if lead_ids is None:
        lead_ids = _insert(User, [{"email": f"lead{n}.{tag}@history.invalid", "name": f"Lead {n} ({tag})",
                                   "job_title": "Social worker", "agency_id": agency_ids["csc"],
                                   "role": Role.PRACTITIONER, "is_demo": is_demo}
                                  for n in range(leads or max(2, families // 25))])
    if partner_ids is None:
        health, school = _insert(User, [
            {"email": f"{who}.{tag}@history.invalid", "name": f"{who.title()} ({tag})", "job_title": title,
             "agency_id": agency_ids[who], "role": Role.PRACTITIONER, "is_demo": is_demo}
            for who, title in (("health", "Health visitor"), ("school", "Designated safeguarding lead"))])
        partner_ids = (health, school)
    history.lead_ids = lead_ids
    history.health_id, history.school_id = partner_ids
    health_id, school_id = partner_ids

    @functools.lru_cache(maxsize=None)
    def at(day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour), zone).astimezone(timezone.utc)

    first = db.session.scalar(select(func.count(Family.id))) or 0
    created = at(on - timedelta(days=300))
    history.family_ids = family_ids = _insert(Family, [
        {"reference": f"H{first + i:06d}", "family_name": f"History {i}", "created_at": created,
         "plan_type": PlanType.CHILD_PROTECTION if i % 2 == 0 else PlanType.CHILD_IN_NEED,
         "created_by_id": lead_ids[i % len(lead_ids)]} for i in range(families)])

    memberships, members = [], []
    for i, family_id in enumerate(family_ids):
        for user_id, agency, role in ((lead_ids[i % len(lead_ids)], "csc", NetworkRole.LEAD),
                                      (health_id, "health", NetworkRole.MEMBER),
                                      (school_id, "school", NetworkRole.MEMBER)):
            memberships.append({"family_id": family_id, "user_id": user_id, "agency_id": agency_ids[agency],
                                "role": role, "from_date": on - timedelta(days=400), "reason_for_sharing": "History"})
        base = {"family_id": family_id, "first_recorded_on": on - timedelta(days=200),
                "source_agency_id": agency_ids["csc"], "parental_responsibility": YesNoUnknown.YES}
        members.append(base | {"name": f"Mother {i}", "description": None, "sex": Sex.FEMALE, "presence": Presence.LIVES_IN,
                               "source_kind": SightingKind.SEEN})
        members.append(base | {"name": None if i % 5 == 0 else f"Father {i}",
                               "description": "A man seen at the door" if i % 5 == 0 else None,
                               "sex": Sex.MALE, "presence": Presence.VISITS,
                               "source_kind": SightingKind.TOLD_OF if i % 5 == 1 else SightingKind.SEEN})
    _insert_only(NetworkMembership, memberships)
    member_ids = _insert(HouseholdMember, members)
    _insert_only(HouseholdSighting, [
        {"member_id": member_id, "kind": row["source_kind"], "agency_id": agency_ids["csc"],
         "seen_on": on - timedelta(days=100 if row["source_kind"] is SightingKind.TOLD_OF else 10)}
        for row, member_id in zip(members, member_ids, strict=True)])

    series_ids = _insert(MeetingSeries, [
        {"family_id": family_id, "meeting_type": MeetingType.CORE_GROUP, "organiser_id": lead_ids[i % len(lead_ids)],
         "chair_id": lead_ids[i % len(lead_ids)], "minute_taker_id": lead_ids[i % len(lead_ids)],
         "first_date": meeting_days(i, on)[0], "start_time": time(10, 0), "duration_minutes": 90,
         "timezone": zone_name, "recurrence": Recurrence.WEEKLY, "interval": 4, "end_kind": SeriesEnd.NEVER,
         "uid": f"{uuid.uuid4()}@history.invalid", "sequence": 0, "status": SeriesStatus.ACTIVE,
         "generated_until": at(on + timedelta(days=400))} for i, family_id in enumerate(family_ids)])
    _insert_only(Invitee, [{"series_id": series_id, "user_id": user_id, "email": f"{user_id}@history.invalid"}
                           for series_id in series_ids for user_id in (health_id, school_id)])

    occurrence_rows, held_of = [], []
    for i, series_id in enumerate(series_ids):
        days = meeting_days(i, on)
        for day in days:
            occurrence_rows.append({"series_id": series_id, "original_start": at(day), "starts_at": at(day),
                                    "ends_at": at(day, 11), "status": OccurrenceStatus.HELD})
            held_of.append((i, day))
        if i % 10 != 3:
            future = on + timedelta(days=10)
            occurrence_rows.append({"series_id": series_id, "original_start": at(future), "starts_at": at(future),
                                    "ends_at": at(future, 11), "status": OccurrenceStatus.SCHEDULED})
    all_ids = _insert(Occurrence, occurrence_rows)
    held_ids = [oid for oid, row in zip(all_ids, occurrence_rows, strict=True)
                if row["status"] is OccurrenceStatus.HELD]

    _updates(history, held_of, held_ids, at)
    _minutes(history, held_of, held_ids, at)
    return history


def _updates(history: History, held_of, held_ids, at) -> None:
    requests, submissions = [], []
    for (i, day), occurrence_id in zip(held_of, held_ids, strict=True):
        family_id = history.family_ids[i]
        deadline = day - timedelta(days=3)
        for who, user_id in (("health", history.health_id), ("school", history.school_id)):
            missing = who == "school" and i % 4 == 2
            late = who == "school" and i % 4 == 1
            requests.append({"occurrence_id": occurrence_id, "family_id": family_id,
                             "agency_id": history.agency_ids[who], "recipient_id": user_id,
                             "state": RequestState.OPEN if missing else RequestState.SUBMITTED,
                             "send_on": deadline - timedelta(days=7), "deadline": deadline,
                             "sent_at": at(deadline - timedelta(days=7))})
            if missing:
                continue
            data = ({"da_asked": "yes", "appointments_offered": 4, "was_not_brought": 1 if i % 2 == 0 else 0}
                    if who == "health" else {"da_asked": "no", "appointments_offered": 2, "was_not_brought": 0})
            sent = at(deadline + timedelta(days=1) if late else deadline - timedelta(days=1))
            submissions.append({"occurrence_id": occurrence_id, "family_id": family_id,
                                "agency_id": history.agency_ids[who], "author_id": user_id, "slot": 0,
                                "status": SubmissionStatus.SUBMITTED, "data": json.dumps(data), "version": 1,
                                "first_submitted_at": sent, "submitted_at": sent, "late": late})
    request_ids = _insert(SubmissionRequest, requests)
    by_key = {(r["occurrence_id"], r["agency_id"]): rid for r, rid in zip(requests, request_ids, strict=True)}
    for row in submissions:
        row["request_id"] = by_key[(row["occurrence_id"], row["agency_id"])]
    _insert_only(Submission, submissions)


def _minutes(history: History, held_of, held_ids, at) -> None:
    minutes_rows, published = [], []
    for n, ((i, day), occurrence_id) in enumerate(zip(held_of, held_ids, strict=True)):
        which = n % 3  # the family's first, second or last meeting
        lead = history.lead_ids[i % len(history.lead_ids)]
        if which == 2 and i % 6 == 1:
            continue
        waiting = which == 2 and i % 6 == 2
        minutes_rows.append({"occurrence_id": occurrence_id, "family_id": history.family_ids[i], "content": "{}",
                             "status": MinutesStatus.AWAITING_APPROVAL if waiting else MinutesStatus.PUBLISHED,
                             "revision": 1})
        if not waiting:
            after = 35 if which == 1 and i % 3 == 0 else (1 if which < 2 else 2)
            published.append({"family_id": history.family_ids[i], "number": 1, "content": "{}",
                              "published_at": at(day + timedelta(days=after), 12), "published_by_id": lead,
                              "occurrence_id": occurrence_id})
    minutes_ids = _insert(Minutes, minutes_rows)
    minutes_of = {row["occurrence_id"]: mid for row, mid in zip(minutes_rows, minutes_ids, strict=True)}
    for row in published:
        row["minutes_id"] = minutes_of[row.pop("occurrence_id")]
    version_ids = _insert(MinutesVersion, published)
    _insert_only(Acknowledgement, [{"version_id": vid, "user_id": row["published_by_id"], "at": row["published_at"]}
                                   for row, vid in zip(published, version_ids, strict=True)])

    first_meeting = {i: oid for n, ((i, _), oid) in enumerate(zip(held_of, held_ids, strict=True)) if n % 3 == 0}
    last_meeting = {i: oid for n, ((i, _), oid) in enumerate(zip(held_of, held_ids, strict=True)) if n % 3 == 2}
    _insert_only(Action, [{"family_id": family_id, "agreed_at_id": first_meeting[i], "description": "Visit weekly",
                           "owner_agency_id": history.agency_ids["health"], "owner_id": history.health_id,
                           "due_date": history.on - timedelta(days=5),
                           "status": ActionStatus.OPEN if i % 3 == 0 else ActionStatus.DONE}
                          for i, family_id in enumerate(history.family_ids)])
    goal_ids = _insert(Goal, [{"family_id": family_id, "agreed_at_id": first_meeting[i], "description": "Safe at home"}
                              for i, family_id in enumerate(history.family_ids)])
    lead = history.lead_ids[0]
    _insert_only(GoalScore, [row for i, goal_id in enumerate(goal_ids) for row in (
        {"goal_id": goal_id, "occurrence_id": first_meeting[i], "score": 4, "recorded_by_id": lead},
        {"goal_id": goal_id, "occurrence_id": last_meeting[i], "score": 3 + i % 3, "recorded_by_id": lead})])


def make_team(name: str, agency_id: int, lead_ids: list[int], manager_ids: list[int]) -> Team:
    team = Team(name=name, agency_id=agency_id)
    team.members = ([TeamMember(user_id=uid, is_manager=False) for uid in lead_ids]
                    + [TeamMember(user_id=uid, is_manager=True) for uid in manager_ids])
    db.session.add(team)
    db.session.flush()
    return team
