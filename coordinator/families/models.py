"""Families, their children, the household ("who lives in or visits this home?") and the professional
network, which is also the access list: a practitioner sees a family only while a member of it."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.agencies.models import Agency
from coordinator.audit.services import append_only
from coordinator.auth.models import User
from coordinator.enums import Labelled, stored_enum
from coordinator.extensions import Model
from coordinator.timeutil import UTCDateTime, utcnow


class FamilyStatus(Labelled):
    OPEN = "Open"
    CLOSED = "Closed"


class PlanType(Labelled):
    EARLY_HELP = "Early help"
    CHILD_IN_NEED = "Child in need"
    CHILD_PROTECTION = "Child protection"
    OTHER = "Other"


class Sex(Labelled):
    FEMALE = "Female"
    MALE = "Male"
    NOT_KNOWN = "Not known"


class Presence(Labelled):
    LIVES_IN = "Lives in the home"
    STAYS_SOMETIMES = "Stays sometimes"
    VISITS = "Visits"
    SIGNIFICANT_ELSEWHERE = "Significant adult living elsewhere"
    WHEREABOUTS_UNKNOWN = "Whereabouts not known"


class Relationship(Labelled):
    MOTHER = "Mother"
    FATHER = "Father"
    STEP_PARENT = "Step-parent"
    PARTNER = "Partner of a parent"
    GRANDPARENT = "Grandparent"
    SIBLING = "Sibling"
    LODGER = "Lodger"
    FRIEND = "Friend"
    UNKNOWN = "Not known"


class YesNoUnknown(Labelled):
    YES = "Yes"
    NO = "No"
    NOT_KNOWN = "Not known"


class SightingKind(Labelled):
    SEEN = "Seen"
    TOLD_OF = "Told of (not seen)"
    NOT_SEEN = "Not seen"


class NetworkRole(Labelled):
    LEAD = "Lead professional"
    CHAIR = "Chair"
    MEMBER = "Member"
    # A professional invited to the family's meetings by email: sees the meetings they are invited to and
    # answers them, but not the family's record.
    GUEST = "Invited to meetings"


# Concern flags a household member may carry; the label is what practitioners read.
CONCERNS = {
    "violence_offending": "Violence or offending",
    "mental_health": "Mental health",
    "substance_misuse": "Substance misuse",
    "da_victim": "Domestic abuse: victim",
    "da_perpetrator": "Domestic abuse: perpetrator",
    "other_concern": "Other",
}


class Family(Model):
    __tablename__ = "families"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Opaque reference used in every email and invite instead of names.
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    family_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(100))
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    interpreter_notes: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[FamilyStatus] = mapped_column(stored_enum(FamilyStatus), default=FamilyStatus.OPEN)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(String(500))
    plan_type: Mapped[PlanType] = mapped_column(stored_enum(PlanType))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Raised on every change to the family's details, so two editors cannot silently overwrite each other.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    children: Mapped[list[Child]] = relationship(back_populates="family", order_by="Child.id")
    members: Mapped[list[HouseholdMember]] = relationship(back_populates="family", order_by="HouseholdMember.id")
    network: Mapped[list[NetworkMembership]] = relationship(back_populates="family",
                                                            order_by="NetworkMembership.id")

    @property
    def is_closed(self) -> bool:
        return self.status is FamilyStatus.CLOSED

    def __repr__(self) -> str:
        return f"<Family {self.reference}>"


class Child(Model):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    expected_due_date: Mapped[date | None] = mapped_column(Date)  # for an unborn child
    sex: Mapped[Sex] = mapped_column(stored_enum(Sex), default=Sex.NOT_KNOWN)
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    school_or_setting: Mapped[str | None] = mapped_column(String(200))
    on_plan: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # coordinator.concurrency

    family: Mapped[Family] = relationship(back_populates="children")

    @property
    def is_unborn(self) -> bool:
        return self.date_of_birth is None and self.expected_due_date is not None

    @property
    def display_name(self) -> str:
        return f"{self.name} (unborn)" if self.is_unborn else self.name


def person_label(name: str | None, description: str | None, sex: str | None, number: int | None = None) -> str:
    """How a person of the household is named everywhere: their name, or "Unknown man 1" (numbered within the
    family). The description is shown apart from the label (``HouseholdMember.description``), never as it."""
    if name and name.strip():
        return name.strip()
    noun = unknown_noun(sex)
    if number:
        return f"{noun} {number}"
    # Only someone not yet on the household record (an agency's proposal) has no number: the description
    # is then all there is to tell them apart.
    return f"{noun}: {description}" if description else noun


def unknown_noun(sex: str | None) -> str:
    return {"MALE": "Unknown man", "FEMALE": "Unknown woman"}.get(sex or "", "Unknown person")


class HouseholdMember(Model):
    """Anyone who lives in or visits the home, or is a significant adult living elsewhere."""

    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # When the name is not known: "unknown man" with a description, so the person is never left out.
    description: Mapped[str | None] = mapped_column(String(500))
    sex: Mapped[Sex] = mapped_column(stored_enum(Sex), default=Sex.NOT_KNOWN)
    presence: Mapped[Presence] = mapped_column(stored_enum(Presence, 40))
    parental_responsibility: Mapped[YesNoUnknown] = mapped_column(stored_enum(YesNoUnknown),
                                                                   default=YesNoUnknown.NOT_KNOWN)
    first_recorded_on: Mapped[date] = mapped_column(Date)
    source_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    source_kind: Mapped[SightingKind] = mapped_column(stored_enum(SightingKind))  # seen or told of
    source_note: Mapped[str | None] = mapped_column(String(500))  # e.g. "reported by a neighbour"
    left_on: Mapped[date | None] = mapped_column(Date)
    violence_offending: Mapped[bool] = mapped_column(Boolean, default=False)
    mental_health: Mapped[bool] = mapped_column(Boolean, default=False)
    substance_misuse: Mapped[bool] = mapped_column(Boolean, default=False)
    da_victim: Mapped[bool] = mapped_column(Boolean, default=False)
    da_perpetrator: Mapped[bool] = mapped_column(Boolean, default=False)
    other_concern: Mapped[bool] = mapped_column(Boolean, default=False)
    concern_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # An unnamed person's number among the family's unnamed people of the same label: "Unknown man 1".
    unknown_number: Mapped[int | None] = mapped_column(Integer)

    family: Mapped[Family] = relationship(back_populates="members")
    source_agency: Mapped[Agency | None] = relationship()
    relationships: Mapped[list[ChildRelationship]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="ChildRelationship.child_id")
    sightings: Mapped[list[HouseholdSighting]] = relationship(
        back_populates="member", order_by="HouseholdSighting.seen_on")

    @property
    def display_name(self) -> str:
        return person_label(self.name, self.description, self.sex.name if self.sex else None, self.unknown_number)

    @property
    def whereabouts_unknown(self) -> bool:
        return self.presence is Presence.WHEREABOUTS_UNKNOWN

    @property
    def is_named(self) -> bool:
        return bool(self.name)

    @property
    def concerns(self) -> list[str]:
        return [label for key, label in CONCERNS.items() if getattr(self, key)]


class ChildRelationship(Model):
    """How a household member is related to one child of the family."""

    __tablename__ = "child_relationships"
    __table_args__ = (UniqueConstraint("member_id", "child_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("household_members.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    relationship_type: Mapped[Relationship] = mapped_column(stored_enum(Relationship))

    member: Mapped[HouseholdMember] = relationship(back_populates="relationships")
    child: Mapped[Child] = relationship()

    @property
    def described(self) -> str:
        """As a sentence reads it: "Mother of Ruby Harrow"; "Relationship to Ruby Harrow not known"."""
        if self.relationship_type is Relationship.UNKNOWN:
            return f"Relationship to {self.child.name} not known"
        return f"{self.relationship_type.label} of {self.child.name}"


class HouseholdSighting(Model):
    """A professional's confirmation that a person is (or is not) around: seen, told of, or not seen."""

    __tablename__ = "household_sightings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("household_members.id"), index=True)
    kind: Mapped[SightingKind] = mapped_column(stored_enum(SightingKind))
    seen_on: Mapped[date] = mapped_column(Date)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[HouseholdMember] = relationship(back_populates="sightings")
    agency: Mapped[Agency | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()


@append_only
class HouseholdMemberVersion(Model):
    """Append-only history: the member as it was after each change, so the household on any date can be
    shown. ``snapshot`` is JSON of the member's fields and relationships."""

    __tablename__ = "household_member_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("household_members.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    change: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[str] = mapped_column(Text)

    recorded_by: Mapped[User | None] = relationship()


class NetworkMembership(Model):
    """Membership of a family's professional network: the need-to-know access list."""

    __tablename__ = "network_memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    role: Mapped[NetworkRole] = mapped_column(stored_enum(NetworkRole))
    from_date: Mapped[date] = mapped_column(Date)
    until_date: Mapped[date | None] = mapped_column(Date)
    # The information-sharing rule: why this professional may see the family's records.
    reason_for_sharing: Mapped[str] = mapped_column(String(500))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_reason: Mapped[str | None] = mapped_column(String(500))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # removal ends access at once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # coordinator.concurrency

    family: Mapped[Family] = relationship(back_populates="network")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    agency: Mapped[Agency | None] = relationship()

    def is_current(self, on: date) -> bool:
        return (self.removed_at is None and self.from_date <= on
                and (self.until_date is None or self.until_date >= on))


class BreakGlassAccess(Model):
    """An administrator's time-limited opening of a family they are not in the network of, with the reason."""

    __tablename__ = "break_glass_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
