"""Families, children, the household and the network: the domain logic, callable from views, jobs and
tests alike. Every change is audited in the same transaction; household changes also keep a version."""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from coordinator.audit import services as audit
from coordinator.auth.models import User
from coordinator.concurrency import claim_revision, lock_for_change
from coordinator.extensions import db
from coordinator.families import signals
from coordinator.families.access import current_memberships
from coordinator.families.models import (
    CONCERNS,
    Child,
    ChildRelationship,
    Family,
    FamilyStatus,
    HouseholdMember,
    HouseholdMemberVersion,
    HouseholdSighting,
    NetworkMembership,
    NetworkRole,
    Presence,
    Relationship,
    Sex,
    SightingKind,
    person_label,
    unknown_noun,
)
from coordinator.hooks import answers
from coordinator.timeutil import local_zone, long_date, today, utcnow

# Unambiguous characters: no 0/O, 1/I/L, 5/S, 2/Z, 8/B.
REFERENCE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
REFERENCE_LENGTH = 4


class FamilyError(ValueError):
    """A domain rule refused the change; the message is for the person who asked."""


# --- references and NHS numbers --------------------------------------------------------------------

def new_reference() -> str:
    length = REFERENCE_LENGTH
    for attempt in range(50):
        if attempt and attempt % 10 == 0:
            length += 1  # the space is filling up: make references longer rather than loop
        candidate = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))
        if db.session.scalar(select(Family.id).where(Family.reference == candidate)) is None:
            return candidate
    raise RuntimeError("could not find a free family reference")


def nhs_number_is_valid(value: str) -> bool:
    """Modulus 11 check digit of an NHS number (10 digits)."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def normalise_nhs_number(value: str | None) -> str | None:
    digits = re.sub(r"[\s-]", "", value or "")
    return digits or None


# --- families ---------------------------------------------------------------------------------------

def create_family(*, lead: User, family_name: str, plan_type, address=None, language=None,
                  interpreter_needed=False, interpreter_notes=None, reason_for_sharing: str | None = None) -> Family:
    family = Family(reference=new_reference(), family_name=family_name.strip(), plan_type=plan_type,
                    address=address, language=language, interpreter_needed=bool(interpreter_needed),
                    interpreter_notes=interpreter_notes, created_by_id=lead.id, status=FamilyStatus.OPEN)
    db.session.add(family)
    db.session.flush()
    audit.record("family_created", object_type="family", object_id=family.id, family_id=family.id,
                 actor=lead, detail=f"ref {family.reference}")
    add_to_network(family, lead, NetworkRole.LEAD, reason=reason_for_sharing or "Lead professional for the family",
                   actor=lead)
    return family


FAMILY_FIELDS = ("family_name", "address", "language", "interpreter_needed", "interpreter_notes", "plan_type")


def update_family(family: Family, *, actor: User, expected_revision: int, **changes) -> list[str]:
    if family.revision != expected_revision:
        raise StaleEdit("Someone else changed this family's details while you were editing.")
    changed = [name for name in FAMILY_FIELDS if name in changes and getattr(family, name) != changes[name]]
    if changed:
        claim_revision(family, expected_revision,
                       StaleEdit("Someone else changed this family's details while you were editing."))
        for name in changed:
            setattr(family, name, changes[name])
        audit.record("family_updated", object_type="family", object_id=family.id, family_id=family.id,
                     actor=actor, detail="changed " + ", ".join(changed))
    return changed


class StaleEdit(FamilyError):
    """The record was changed by someone else since the form was opened (coordinator.concurrency)."""


class PossibleDuplicate(FamilyError):
    """Someone with this name was recorded meanwhile: the person adding must say whether it is the same one."""

    def __init__(self, message: str, duplicates: list[HouseholdMember]):
        super().__init__(message)
        self.duplicates = duplicates


def close_family(family: Family, *, actor: User, on: date, reason: str) -> None:
    if family.is_closed:
        raise FamilyError("This family's record is already closed")
    claim_revision(family, None, FamilyError("Someone else changed this family's record at the same moment: "
                                             "check it, then close it again"))
    family.status = FamilyStatus.CLOSED
    family.closed_on = on
    family.closed_reason = reason.strip()
    audit.record("family_closed", object_type="family", object_id=family.id, family_id=family.id, actor=actor,
                 detail=reason[:400])
    signals.family_closed.send(family, actor=actor)


def reopen_family(family: Family, *, actor: User, reason: str) -> None:
    if not family.is_closed:
        raise FamilyError("This family's record is open")
    claim_revision(family, None, FamilyError("Someone else changed this family's record at the same moment: "
                                             "check it, then reopen it again"))
    family.status = FamilyStatus.OPEN
    family.closed_on = None
    family.closed_reason = None
    audit.record("family_reopened", object_type="family", object_id=family.id, family_id=family.id,
                 actor=actor, detail=reason[:400])


# --- children ---------------------------------------------------------------------------------------

def add_child(family: Family, *, actor: User, **fields) -> Child:
    child = Child(family_id=family.id, **fields)
    db.session.add(child)
    db.session.flush()
    audit.record("child_added", object_type="child", object_id=child.id, family_id=family.id, actor=actor)
    return child


def update_child(child: Child, *, actor: User, expected_revision: int | None = None, **fields) -> None:
    stale = StaleEdit("Someone else changed this child's details while you were editing.")
    if expected_revision is not None and child.revision != expected_revision:
        raise stale
    changed = [k for k, v in fields.items() if getattr(child, k) != v]
    if changed:
        claim_revision(child, expected_revision, stale)
    for key in changed:
        setattr(child, key, fields[key])
    if changed:
        audit.record("child_updated", object_type="child", object_id=child.id, family_id=child.family_id,
                     actor=actor, detail="changed " + ", ".join(changed))


# --- household --------------------------------------------------------------------------------------

MEMBER_FIELDS = ("name", "description", "sex", "presence", "parental_responsibility", "first_recorded_on",
                 "source_agency_id", "source_kind", "source_note", "left_on", *CONCERNS.keys(), "concern_notes")


MEMBER_FIELD_LABELS = {
    "name": "name", "description": "description", "sex": "sex", "presence": "lives in or visits",
    "parental_responsibility": "parental responsibility", "first_recorded_on": "date first known",
    "left_on": "date left", "concern_notes": "notes about concerns", "relationships": "relationships",
    **{key: f"concern: {label.lower()}" for key, label in CONCERNS.items()},
}


def _snapshot(member: HouseholdMember) -> str:
    data = {}
    for key in MEMBER_FIELDS:
        value = getattr(member, key)
        if isinstance(value, date):
            value = value.isoformat()
        elif hasattr(value, "name") and not isinstance(value, (str, int, bool)):
            value = value.name
        data[key] = value
    data["relationships"] = {str(r.child_id): r.relationship_type.name for r in member.relationships}
    data["unknown_number"] = member.unknown_number
    return json.dumps(data, sort_keys=True)


def _number_unnamed(member: HouseholdMember, family: Family, *, renumber: bool = False) -> None:
    """An unnamed person is "Unknown man 1", "Unknown man 2", ... within the family: the next number of
    their label, never one used before (a number stays with the person)."""
    if (member.name or "").strip() or (member.unknown_number and not renumber):
        return
    noun = unknown_noun(member.sex.name if member.sex else None)
    used = [m.unknown_number or 0 for m in family.members
            if m is not member and unknown_noun(m.sex.name if m.sex else None) == noun]
    member.unknown_number = max(used, default=0) + 1


def _keep_version(member: HouseholdMember, actor: User | None, change: str) -> None:
    db.session.flush()
    db.session.add(HouseholdMemberVersion(member_id=member.id, family_id=member.family_id, revision=member.revision,
                                          recorded_at=utcnow(), recorded_by_id=getattr(actor, "id", None),
                                          change=change[:200], snapshot=_snapshot(member)))


def normalised_name(name: str | None) -> str:
    return re.sub(r"\s+", " ", (name or "").strip()).casefold()


def possible_duplicates(family: Family, name: str | None, exclude_id: int | None = None) -> list[HouseholdMember]:
    """People already recorded in the household under the same name: offer to merge, not duplicate."""
    key = normalised_name(name)
    if not key:
        return []
    return [m for m in family.members
            if m.id != exclude_id and m.left_on is None and normalised_name(m.name) == key]


def _set_relationships(member: HouseholdMember, family: Family, relationships: dict[int, Relationship]) -> None:
    child_ids = {c.id for c in family.children}
    foreign = set(relationships) - child_ids
    if foreign:
        # A child id from another family in the form: refused, never silently linked.
        raise FamilyError("Choose children from this family only")
    current = {r.child_id: r for r in member.relationships}
    for child_id, rel in relationships.items():
        if child_id in current:
            current[child_id].relationship_type = rel
        else:
            member.relationships.append(ChildRelationship(child_id=child_id, relationship_type=rel))
    for child_id, row in current.items():
        if child_id not in relationships:
            member.relationships.remove(row)


def add_member(family: Family, *, actor: User, relationships: dict[int, Relationship],
               known_duplicates: tuple[int, ...] | None = None, seen_on: date | None = None,
               **fields) -> HouseholdMember:
    """Add a person. ``known_duplicates``: the ids of same-named people the person adding was shown and said
    are someone else; anyone else of that name recorded meanwhile (by a colleague at the same instant) is
    refused with PossibleDuplicate. None: no check (the caller has decided). ``seen_on``: when the recording
    agency saw them (or was told of them), if not the day they are recorded."""
    if not (fields.get("name") or "").strip() and not (fields.get("description") or "").strip():
        raise FamilyError("Enter the person's name, or describe them if the name is not known")
    if known_duplicates is not None:
        lock_for_change(family)  # two people adding the same name at once: the second sees the first
        found = [m for m in possible_duplicates(family, fields.get("name")) if m.id not in set(known_duplicates)]
        if found:
            raise PossibleDuplicate("Someone with this name is already recorded: say whether this is the same "
                                    "person", found)
    fields.setdefault("first_recorded_on", today())
    if not (fields.get("name") or "").strip() and known_duplicates is None:
        lock_for_change(family)  # two unnamed people added at once: the second gets the next number
    member = HouseholdMember(family_id=family.id, **fields)
    db.session.add(member)
    family.members.append(member) if member not in family.members else None
    _number_unnamed(member, family)
    _set_relationships(member, family, relationships)
    db.session.flush()
    # Where the record came from is its first sighting: seen by, or told of to, the recording agency.
    if member.source_kind in (SightingKind.SEEN, SightingKind.TOLD_OF):
        db.session.add(HouseholdSighting(member_id=member.id, kind=member.source_kind,
                                         seen_on=min(seen_on, member.first_recorded_on) if seen_on else member.first_recorded_on,
                                         agency_id=member.source_agency_id, recorded_by_id=actor.id,
                                         note=member.source_note))
    _keep_version(member, actor, "added")
    audit.record("household_member_added", object_type="household_member", object_id=member.id,
                 family_id=family.id, actor=actor)
    return member


def update_member(member: HouseholdMember, *, actor: User, expected_revision: int,
                  relationships: dict[int, Relationship] | None = None, **fields) -> list[str]:
    stale = StaleEdit("Someone else changed this person's record while you were editing.")
    if member.revision != expected_revision:
        raise stale
    if "name" in fields or "description" in fields:
        name = fields.get("name", member.name)
        description = fields.get("description", member.description)
        if not (name or "").strip() and not (description or "").strip():
            raise FamilyError("Enter the person's name, or describe them if the name is not known")
    if relationships is not None and set(relationships) - {c.id for c in member.family.children}:
        raise FamilyError("Choose children from this family only")
    changed = [k for k, v in fields.items() if getattr(member, k) != v]
    before = {r.child_id: r.relationship_type for r in member.relationships}
    if relationships is not None and before != relationships:
        changed.append("relationships")
    if not changed:
        return changed
    claim_revision(member, expected_revision, stale)
    for key in changed:
        if key != "relationships":
            setattr(member, key, fields[key])
    if relationships is not None:
        _set_relationships(member, member.family, relationships)
    if "sex" in changed or "name" in changed:
        _number_unnamed(member, member.family, renumber="sex" in changed)
    if changed:
        said = "changed " + ", ".join(MEMBER_FIELD_LABELS.get(name, name.replace("_", " ")) for name in changed)
        _keep_version(member, actor, said)
        audit.record("household_member_updated", object_type="household_member", object_id=member.id,
                     family_id=member.family_id, actor=actor, detail=said)
    return changed


def record_sighting(member: HouseholdMember, *, actor: User, kind: SightingKind, on: date,
                    note: str | None = None, agency_id: int | None = None) -> HouseholdSighting:
    """Someone was seen, told of, or not seen, by ``agency_id`` (the actor's agency unless said): the one
    way a sighting reaches the record, whoever records it (a page, an agency's update, the minutes)."""
    if on > today():
        raise FamilyError("The date cannot be in the future")
    sighting = HouseholdSighting(member_id=member.id, kind=kind, seen_on=on, agency_id=agency_id or actor.agency_id,
                                 recorded_by_id=actor.id, note=note)
    db.session.add(sighting)
    member.sightings.append(sighting)
    audit.record("household_sighting_recorded", object_type="household_member", object_id=member.id,
                 family_id=member.family_id, actor=actor, detail=kind.name)
    return sighting


def mark_left(member: HouseholdMember, *, actor: User, on: date, expected_revision: int) -> None:
    update_member(member, actor=actor, expected_revision=expected_revision, left_on=on)


# --- flags ------------------------------------------------------------------------------------------

MALE_CARER_RELATIONSHIPS = {Relationship.FATHER, Relationship.STEP_PARENT}


def is_man_or_father(member: HouseholdMember) -> bool:
    """Men and fathers are shown in plain sight: any father or step-parent, and any man in the home."""
    if any(r.relationship_type in MALE_CARER_RELATIONSHIPS for r in member.relationships):
        return True
    return member.sex is Sex.MALE


def last_confirmation(member: HouseholdMember) -> HouseholdSighting | None:
    confirmations = [s for s in member.sightings if s.kind in (SightingKind.SEEN, SightingKind.TOLD_OF)]
    return max(confirmations, key=lambda s: (s.seen_on, s.id or 0)) if confirmations else None


def ever_seen(member: HouseholdMember) -> bool:
    return any(s.kind is SightingKind.SEEN for s in member.sightings)


@dataclass
class Flag:
    kind: str  # "unconfirmed", "unseen_man", "unknown_man", "no_father", "new", "whereabouts", "whereabouts_man"
    text: str
    member_id: int | None = None
    child_id: int | None = None


@dataclass
class HouseholdFlags:
    flags: list[Flag] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[Flag]:
        return [f for f in self.flags if f.kind in kinds]

    @property
    def unconfirmed(self) -> list[Flag]:
        return self.of_kind("unconfirmed")

    @property
    def father_concerns(self) -> list[Flag]:
        return self.of_kind("unseen_man", "unknown_man", "no_father", "whereabouts_man")

    def for_member(self, member_id: int) -> list[Flag]:
        return [f for f in self.flags if f.member_id == member_id]


# A provider of "the date of the family's last meeting" (the meetings area registers one).
_ASK = object()


def last_meeting_dates(family_ids: list[int]) -> dict[int, date]:
    """When each family last met (for "new since the last meeting"): the families area knows nothing of
    meetings, so it asks the areas above it (coordinator.families.signals)."""
    if not family_ids:
        return {}
    dates: dict[int, date] = {}
    for answer in answers(signals.last_meeting_dates, family_ids=family_ids):
        dates.update(answer)
    return dates


def household_flags(family: Family, on: date | None = None, last_meeting=_ASK) -> HouseholdFlags:
    """The household's flags; only uses the family's loaded relationships (eager-load for lists). Lists
    pass ``last_meeting`` (from one query for the page); otherwise it is looked up."""
    on = on or today()
    days = int(current_app.config["HOUSEHOLD_UNCONFIRMED_DAYS"])
    if last_meeting is _ASK:
        last_meeting = last_meeting_dates([family.id]).get(family.id)
    result = HouseholdFlags()
    current = [m for m in family.members if m.left_on is None or m.left_on > on]
    for member in current:
        confirmation = last_confirmation(member)
        confirmed_on = confirmation.seen_on if confirmation else None
        if confirmed_on is None or (on - confirmed_on).days > days:
            since = f"since {long_date(confirmed_on)}" if confirmed_on else "ever"
            result.flags.append(Flag("unconfirmed", f"{member.display_name}: presence not confirmed {since}",
                                     member_id=member.id))
        if member.whereabouts_unknown:  # "not known" must stand out: a father whose whereabouts nobody knows
            result.flags.append(Flag("whereabouts_man" if is_man_or_father(member) else "whereabouts",
                                     f"{member.display_name}: whereabouts not known", member_id=member.id))
        if is_man_or_father(member):
            if not member.is_named:
                result.flags.append(Flag("unknown_man", f"{member.display_name}: name not known",
                                         member_id=member.id))
            if not ever_seen(member):
                result.flags.append(Flag("unseen_man", f"{member.display_name}: never seen by any agency",
                                         member_id=member.id))
        if last_meeting is not None and member.first_recorded_on > last_meeting:
            result.flags.append(Flag("new", f"{member.display_name}: new since the last meeting",
                                     member_id=member.id))
    for child in family.children:
        has_father = any(r.child_id == child.id and r.relationship_type is Relationship.FATHER
                         for m in family.members for r in m.relationships)
        if not has_father:
            result.flags.append(Flag("no_father", f"{child.display_name}: father not recorded (not known)",
                                     child_id=child.id))
    return result


# --- the household as it was on a date ---------------------------------------------------------------

@dataclass
class PastMember:
    member_id: int
    data: dict
    recorded_at: datetime

    @property
    def display_name(self) -> str:
        return person_label(self.data.get("name"), self.data.get("description"), self.data.get("sex"),
                            self.data.get("unknown_number"))

    @property
    def presence(self) -> Presence:
        return Presence[self.data["presence"]]


def household_on(family: Family, on: date) -> list[PastMember]:
    """The household as the record stood at the end of ``on``: who was recorded and had not left."""
    end_of_day = datetime.combine(on + timedelta(days=1), time(0), local_zone())
    versions = db.session.scalars(
        select(HouseholdMemberVersion).where(HouseholdMemberVersion.family_id == family.id,
                                             HouseholdMemberVersion.recorded_at < end_of_day)
        .order_by(HouseholdMemberVersion.member_id, HouseholdMemberVersion.recorded_at, HouseholdMemberVersion.id)
    ).all()
    latest: dict[int, HouseholdMemberVersion] = {}
    for version in versions:
        latest[version.member_id] = version
    result = []
    for member_id, version in latest.items():
        data = json.loads(version.snapshot)
        first = date.fromisoformat(data["first_recorded_on"])
        left = date.fromisoformat(data["left_on"]) if data.get("left_on") else None
        if first <= on and (left is None or left > on):
            result.append(PastMember(member_id, data, version.recorded_at))
    return result


# --- network ----------------------------------------------------------------------------------------

def add_to_network(family: Family, user: User, role: NetworkRole, *, reason: str, actor: User,
                   from_date: date | None = None, until_date: date | None = None) -> NetworkMembership:
    on = today()
    lock_for_change(family)  # two people adding at once: the second sees the first's membership
    existing = [m for m in family.network if m.user_id == user.id and m.is_current(on)]
    if existing:
        raise FamilyError(f"{user.name} is already in this family's network")
    if role is NetworkRole.LEAD and any(m.role is NetworkRole.LEAD and m.is_current(on) for m in family.network):
        raise FamilyError("This family already has a lead professional: change that membership first")
    if not user.active:
        raise FamilyError(f"{user.name}'s account is deactivated")
    membership = NetworkMembership(family_id=family.id, user_id=user.id, agency_id=user.agency_id, role=role,
                                   from_date=from_date or on, until_date=until_date, reason_for_sharing=reason.strip(),
                                   added_by_id=actor.id)
    db.session.add(membership)
    family.network.append(membership) if membership not in family.network else None
    db.session.flush()
    audit.record("network_member_added", object_type="network_membership", object_id=membership.id,
                 family_id=family.id, actor=actor, detail=f"user {user.id} as {role.name}; reason: {reason}"[:500])
    return membership


def remove_from_network(membership: NetworkMembership, *, actor: User, reason: str) -> None:
    on = today()
    lock_for_change(membership.family)  # removed twice at once: the second is told, and keeps the first reason
    if not membership.is_current(on):
        raise FamilyError("This person is no longer in the network")
    if membership.role is NetworkRole.LEAD:
        raise FamilyError("The lead professional cannot be removed: hand the family to a new lead first")
    membership.removed_at = utcnow()
    membership.until_date = max(membership.from_date, on)
    membership.removed_reason = reason.strip()
    membership.removed_by_id = actor.id
    audit.record("network_member_removed", object_type="network_membership", object_id=membership.id,
                 family_id=membership.family_id, actor=actor,
                 detail=f"user {membership.user_id}; reason: {reason}"[:500])
    if not current_memberships(membership.family, membership.user):
        signals.member_left.send(membership.family, user=membership.user, actor=actor)


def current_network(family: Family) -> list[NetworkMembership]:
    on = today()
    return [m for m in family.network if m.is_current(on)]


def lead_of(family: Family) -> NetworkMembership | None:
    return next((m for m in current_network(family) if m.role is NetworkRole.LEAD), None)


# --- caseload ("My families") -------------------------------------------------------------------------

SORTS = {
    "reference": Family.reference,
    "name": func.lower(Family.family_name),
    "plan": Family.plan_type,
    "created": Family.created_at,
}


# What the household flags read of a family, loaded with it: children, people, their links and sightings.
HOUSEHOLD_LOADS = (
    selectinload(Family.children),
    selectinload(Family.members).joinedload(HouseholdMember.relationships),
    selectinload(Family.members).selectinload(HouseholdMember.sightings).joinedload(HouseholdSighting.agency),
)
# One family's page: the household, and the whole network with each person and agency. A few children and
# a few network members: joined to the family's own row rather than read by further queries.
RECORD_LOADS = (
    joinedload(Family.children),
    joinedload(Family.network).joinedload(NetworkMembership.user),
    joinedload(Family.network).joinedload(NetworkMembership.agency),
) + HOUSEHOLD_LOADS[1:]


# Which families My families lists: the open ones unless asked otherwise.
STATUS_FILTERS = {
    "open": Family.status == FamilyStatus.OPEN,
    "closed": Family.status == FamilyStatus.CLOSED,
    "all": None,
}


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def _contains(column, search: str):
    """``column`` contains ``search``, whatever the case. Both databases lower-case the column; SQLite only
    ASCII letters, so the search lower-cased the same way matches too (a name with a capital Ł is found there
    by typing it as written). % and _ typed in a search are literal characters, not wildcards."""
    def pattern(text: str) -> str:
        return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    lowered = func.lower(column)
    forms = dict.fromkeys((search.lower(), _ascii_lower(search)))  # one, unless the search has non-ASCII capitals
    return or_(*(lowered.like(pattern(text), escape="\\") for text in forms))


def caseload_query(scope, *, search: str = "", status: str = "open", sort: str = "reference",
                   descending: bool = False):
    """The families of ``scope`` (the user's own: the caller's visibility scope) with ``status``, matching
    ``search`` by reference, family name, or the name of any child or household member. The people are
    looked for in EXISTS subqueries: one query however many families and people."""
    query = scope.options(*HOUSEHOLD_LOADS, selectinload(Family.network).selectinload(NetworkMembership.user))
    if STATUS_FILTERS.get(status) is not None:
        query = query.where(STATUS_FILTERS[status])
    search = (search or "").strip()
    if search:
        query = query.where(
            _contains(Family.reference, search) | _contains(Family.family_name, search)
            | select(Child.id).where(Child.family_id == Family.id, _contains(Child.name, search)).exists()
            | select(HouseholdMember.id).where(HouseholdMember.family_id == Family.id,
                                              _contains(HouseholdMember.name, search)).exists())
    order = SORTS.get(sort, Family.reference)
    return query.order_by(order.desc() if descending else order, Family.id)


@dataclass(frozen=True)
class SearchMatch:
    name: str
    role: str  # "child" or "household member"


def people_matching(family: Family, search: str) -> list[SearchMatch]:
    """The family's children and household members whose name the search found, when the family's own name
    and reference did not: read from the household already loaded with the family (no query). Everyone
    listed is on the family's page, which the user reading their caseload may open."""
    search = (search or "").strip()
    if not search:
        return []
    needles = {search.lower(), _ascii_lower(search)}

    def found(text: str | None) -> bool:
        if not text:
            return False
        return any(needle in seen for needle in needles for seen in (text.lower(), _ascii_lower(text)))

    if found(family.reference) or found(family.family_name):
        return []
    return ([SearchMatch(child.name, "child") for child in family.children if found(child.name)]
            + [SearchMatch(member.name, "household member") for member in family.members
               if member.name and found(member.name)])


def access_history(family: Family, limit: int = 100):
    from coordinator.audit.models import AuditEvent

    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.family_id == family.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    ).all()


def invite_partner(family: Family, *, email: str, name: str, agency, job_title: str | None, reason: str,
                   actor: User) -> User:
    """A professional with no account yet, added by the lead professional: an account (signing in with
    emailed codes, or a password they set from the email), invited by the lead, as a guest of this family's
    network: its meetings and the updates asked of them, not its record. The meetings area invites them to
    the family's running series (``signals.partner_invited``)."""
    from coordinator.auth import services as auth_services

    if not (name or "").strip():
        raise FamilyError("Enter the professional's name")
    if agency is None:
        raise FamilyError("Choose the professional's agency")
    user = auth_services.create_user(email=email, name=name, agency=agency, job_title=(job_title or "").strip() or None,
                                     actor=actor, invited_by=actor)
    add_to_network(family, user, NetworkRole.GUEST, reason=reason, actor=actor)
    auth_services.invite_user(user, actor)
    audit.record("partner_invited", object_type="user", object_id=user.id, family_id=family.id, actor=actor)
    signals.partner_invited.send(family, user=user, actor=actor)
    return user
