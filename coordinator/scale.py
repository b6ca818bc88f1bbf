"""A partnership at scale, for ``make bench`` and the query-count tests: ``flask seed-scale --families 10000``.

Realistic shapes, written in bulk (one statement per table and batch, not the services one record at a
time): each family has one to three children, a mother, a father or partner and sometimes a man whose name
nobody knows, each seen or told of by an agency; a lead professional (a social worker with a caseload of
about ``caseload`` families), a chair and three partner agencies in its network; one series every six weeks
with ``past_meetings`` held and ``future_meetings`` to come, everyone in the network invited. Optionally
``audit_rows`` audit events. Nothing here is sent anywhere: the rows are written as if long settled.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, select, text

from coordinator.agencies.models import Agency, AgencyKind
from coordinator.audit.models import AuditEvent
from coordinator.auth.models import Role, User
from coordinator.extensions import db
from coordinator.families.models import (
    Child,
    ChildRelationship,
    Family,
    HouseholdMember,
    HouseholdSighting,
    NetworkMembership,
    NetworkRole,
    PlanType,
    Presence,
    Relationship,
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
from coordinator.timeutil import utcnow

BATCH = 5_000
PARTNER_KINDS = (AgencyKind.HEALTH_VISITING, AgencyKind.SCHOOL, AgencyKind.POLICE, AgencyKind.GP,
                 AgencyKind.ADULT_MENTAL_HEALTH, AgencyKind.HOUSING)
CADENCE = timedelta(weeks=6)


@dataclass
class ScaleWorld:
    """What was written: the people to sign in as, and how much of everything."""
    leads: list[str] = field(default_factory=list)  # emails, the first with the largest caseload
    partners: list[str] = field(default_factory=list)
    chair: str = ""
    families: int = 0
    meetings: int = 0
    audit_rows: int = 0


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if not number:
            return text


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert in batches; the new ids, in the order of ``rows``."""
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        ids += list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), batch))
    return ids


def _insert_only(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])


def seed_scale(families: int, *, caseload: int = 50, past_meetings: int = 6, future_meetings: int = 4,
               audit_rows: int = 0, seed: int = 1, tag: str | None = None) -> ScaleWorld:
    """Write ``families`` families and everything around them; return who to sign in as. ``tag`` keeps a
    second run's emails and references apart from the first's (default: a fresh one)."""
    rng = random.Random(seed)
    tag = tag or uuid.uuid4().hex[:4]
    world = ScaleWorld(families=families)
    now = utcnow()
    today = now.date()
    zone_name = current_app.config["TIMEZONE"]
    zone = ZoneInfo(zone_name)

    kinds = (AgencyKind.CHILDRENS_SOCIAL_CARE, *PARTNER_KINDS)
    agency_ids = dict(zip(kinds, _insert(Agency, [
        {"name": f"Scale {tag} {kind.value}", "kind": kind, "secure_email_domain": None} for kind in kinds]), strict=True))

    def people(kind: AgencyKind, prefix: str, count: int, title: str) -> tuple[list[int], list[str]]:
        emails = [f"{prefix}{n}.{tag}@scale.invalid" for n in range(count)]
        ids = _insert(User, [{"email": e, "name": f"{title} {n} ({tag})", "job_title": title,
                              "agency_id": agency_ids[kind], "role": Role.PRACTITIONER, "active": True,
                              "password_hash": None} for n, e in enumerate(emails)])
        return ids, emails

    lead_count = max(1, -(-families // caseload))
    lead_ids, world.leads = people(AgencyKind.CHILDRENS_SOCIAL_CARE, "lead", lead_count, "Social worker")
    chair_ids, chairs = people(AgencyKind.CHILDRENS_SOCIAL_CARE, "chair", max(1, families // 200), "Team manager")
    world.chair = chairs[0]
    partner_ids: dict[AgencyKind, list[int]] = {}
    for kind in PARTNER_KINDS:
        partner_ids[kind], emails = people(kind, kind.name.lower().replace("_", "-"), max(1, families // 100),
                                           kind.value)
        world.partners += emails[:1]
    emails_by_id = dict(db.session.execute(select(User.id, User.email).where(User.email.like(f"%.{tag}@scale.invalid"))).all())

    # References "S" and six base-36 digits, numbered on from the families already there: unique across runs.
    first = db.session.scalar(select(func.count(Family.id))) or 0
    family_ids = _insert(Family, [{"reference": "S" + _base36(first + n).rjust(6, "0"), "family_name": f"Scale{n}",
                                   "plan_type": rng.choice(list(PlanType)), "created_by_id": lead_ids[n % lead_count]}
                                  for n in range(families)])

    children: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    for n, family_id in enumerate(family_ids):
        for c in range(rng.randint(1, 3)):
            children.append({"family_id": family_id, "name": f"Child {c} Scale{n}", "sex": rng.choice([Sex.FEMALE, Sex.MALE]),
                             "date_of_birth": today - timedelta(days=rng.randint(60, 5000)), "on_plan": True})
        mother = {"family_id": family_id, "name": f"Mother Scale{n}", "sex": Sex.FEMALE, "presence": Presence.LIVES_IN,
                  "parental_responsibility": YesNoUnknown.YES}
        man = {"family_id": family_id, "name": f"Father Scale{n}", "sex": Sex.MALE,
               "presence": rng.choice([Presence.LIVES_IN, Presence.VISITS]), "parental_responsibility": YesNoUnknown.YES}
        household = [mother, man]
        if rng.random() < 0.2:
            household.append({"family_id": family_id, "name": None, "description": "Man seen at the door",
                              "sex": Sex.MALE, "presence": Presence.VISITS,
                              "parental_responsibility": YesNoUnknown.NOT_KNOWN})
        for person in household:
            person.update(first_recorded_on=today - timedelta(days=rng.randint(20, 400)),
                          source_kind=rng.choice([SightingKind.SEEN, SightingKind.TOLD_OF]),
                          source_agency_id=agency_ids[AgencyKind.CHILDRENS_SOCIAL_CARE])
            members.append(person)
        network = [(lead_ids[n % lead_count], AgencyKind.CHILDRENS_SOCIAL_CARE, NetworkRole.LEAD),
                   (chair_ids[n % len(chair_ids)], AgencyKind.CHILDRENS_SOCIAL_CARE, NetworkRole.CHAIR)]
        for kind in rng.sample(PARTNER_KINDS, 3):
            network.append((rng.choice(partner_ids[kind]), kind, NetworkRole.MEMBER))
        for user_id, kind, role in network:
            memberships.append({"family_id": family_id, "user_id": user_id, "agency_id": agency_ids[kind], "role": role,
                                "from_date": today - timedelta(days=400), "reason_for_sharing": "Scale data"})
    child_ids = _insert(Child, children)
    member_ids = _insert(HouseholdMember, members)
    _insert_only(NetworkMembership, memberships)

    children_of: dict[int, list[int]] = {}
    for row, child_id in zip(children, child_ids, strict=True):
        children_of.setdefault(row["family_id"], []).append(child_id)
    relationships: list[dict[str, Any]] = []
    sightings: list[dict[str, Any]] = []
    for row, member_id in zip(members, member_ids, strict=True):
        relationship = (Relationship.MOTHER if row["sex"] is Sex.FEMALE
                        else Relationship.FATHER if row["name"] else Relationship.UNKNOWN)
        relationships += [{"member_id": member_id, "child_id": child_id, "relationship_type": relationship}
                          for child_id in children_of[row["family_id"]]]
        sightings.append({"member_id": member_id, "kind": row["source_kind"], "seen_on": row["first_recorded_on"],
                          "agency_id": row["source_agency_id"]})
    _insert_only(ChildRelationship, relationships)
    _insert_only(HouseholdSighting, sightings)

    # Each family's meetings fall on its own day of the six weeks, so some are due in every week to come.
    offsets = [timedelta(days=rng.randrange(CADENCE.days)) for _ in family_ids]
    first_dates = [today - CADENCE * past_meetings + offset for offset in offsets]
    count = past_meetings + future_meetings
    series_ids = _insert(MeetingSeries, [{
        "family_id": family_id, "meeting_type": MeetingType.CORE_GROUP, "organiser_id": lead_ids[n % lead_count],
        "chair_id": chair_ids[n % len(chair_ids)], "minute_taker_id": lead_ids[n % lead_count],
        "first_date": first_dates[n], "start_time": time(10, 0), "duration_minutes": 90, "timezone": zone_name,
        "recurrence": Recurrence.WEEKLY, "interval": 6, "end_kind": SeriesEnd.AFTER_COUNT, "count": count,
        "location": "Family centre", "uid": f"{uuid.uuid4()}@scale.invalid", "sequence": 0,
        "status": SeriesStatus.ACTIVE, "generated_until": now + timedelta(days=3650)}
        for n, family_id in enumerate(family_ids)])
    occurrences = [{"series_id": series_id, "original_start": start, "starts_at": start,
                    "ends_at": start + timedelta(minutes=90),
                    "status": OccurrenceStatus.HELD if start < now else OccurrenceStatus.SCHEDULED}
                   for series_id, first_date in zip(series_ids, first_dates, strict=True)
                   for start in (datetime.combine(first_date + CADENCE * k, time(10, 0), zone).astimezone(timezone.utc)
                                 for k in range(count))]
    _insert_only(Occurrence, occurrences)
    world.meetings = len(occurrences)
    series_of = dict(zip(family_ids, series_ids, strict=True))
    _insert_only(Invitee, [{"series_id": series_of[m["family_id"]], "user_id": m["user_id"],
                            "email": emails_by_id[m["user_id"]]} for m in memberships])

    if audit_rows:
        _audit_rows(audit_rows, lead_ids, family_ids, now)
        world.audit_rows = audit_rows
    return world


def _audit_rows(count: int, actor_ids: list[int], family_ids: list[int], now: datetime) -> None:
    """``count`` events over the past year, generated by the database itself (a million in seconds, not
    shipped row by row): views, updates read and people added, by the leads, about the families. The ids
    were inserted in one run each, so they are a contiguous range."""
    action = "CASE n % 4 WHEN 0 THEN 'family_viewed' WHEN 1 THEN 'minutes_viewed' " \
             "WHEN 2 THEN 'update_viewed' ELSE 'household_member_added' END"
    values = {"count": count, "step": 365 * 24 * 3600 / count, "first_actor": min(actor_ids),
              "actors": len(actor_ids), "first_family": min(family_ids), "families": len(family_ids)}
    columns = "at, actor_id, action, object_type, object_id, family_id, address"
    family = "(:first_family + n % :families)"
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(
            f"INSERT INTO audit_events ({columns}) SELECT "
            f"CAST(:now AS timestamptz) - make_interval(secs => (:count - n) * :step), :first_actor + n % :actors, "
            f"{action}, 'family', CAST({family} AS text), {family}, '127.0.0.1' "
            "FROM generate_series(0, :count - 1) AS n"), {**values, "now": now})
    else:
        db.session.execute(text(
            "WITH RECURSIVE numbers(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM numbers WHERE n + 1 < :count) "
            f"INSERT INTO audit_events ({columns}) SELECT "
            "strftime('%Y-%m-%d %H:%M:%f', :now, '-' || ((:count - n) * :step) || ' seconds'), "
            f":first_actor + n % :actors, {action}, 'family', CAST({family} AS TEXT), {family}, '127.0.0.1' "
            "FROM numbers"), {**values, "now": now.replace(tzinfo=None).isoformat(sep=" ")})


def counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Family, HouseholdMember, MeetingSeries, Occurrence, AuditEvent)}
