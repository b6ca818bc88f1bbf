"""Minutes of a meeting, their published versions, actions, goals and acknowledgements."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.agencies.models import Agency
from coordinator.audit.services import append_only
from coordinator.auth.models import User
from coordinator.enums import Labelled, stored_enum
from coordinator.extensions import Model
from coordinator.families.models import Family
from coordinator.meetings.models import Occurrence
from coordinator.timeutil import UTCDateTime, utcnow


class MinutesStatus(Labelled):
    DRAFT = "Draft"
    AWAITING_APPROVAL = "Waiting for the chair's approval"
    APPROVED = "Approved"
    PUBLISHED = "Published"


class Minutes(Model):
    """The working copy of one meeting's minutes. Published text lives in MinutesVersion, never here."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), unique=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    status: Mapped[MinutesStatus] = mapped_column(stored_enum(MinutesStatus), default=MinutesStatus.DRAFT)
    content: Mapped[str] = mapped_column(Text, default="{}")
    # Raised on every save: two editors at once are shown each other's changes instead of losing them.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    change_requested: Mapped[str | None] = mapped_column(Text)  # the chair's note when asking for a change
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decisions_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occurrence: Mapped[Occurrence] = relationship()
    versions: Mapped[list[MinutesVersion]] = relationship(back_populates="minutes", order_by="MinutesVersion.number")

    @property
    def fields(self) -> dict:
        return json.loads(self.content or "{}")

    @property
    def latest_version(self) -> MinutesVersion | None:
        return self.versions[-1] if self.versions else None


@append_only
class MinutesRevision(Model):
    """Append-only: every saved state of the working copy, with who saved it."""

    __tablename__ = "minutes_revisions"
    __table_args__ = (UniqueConstraint("minutes_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    saved_by: Mapped[User] = relationship()


@append_only
class MinutesVersion(Model):
    """A published version: frozen. The database refuses any UPDATE or DELETE of these rows; a version is
    superseded when a later one of the same minutes exists."""

    __tablename__ = "minutes_versions"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)  # everything shown, frozen: sections, attendance, actions, scores
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    correction_id: Mapped[int | None] = mapped_column(Integer)  # the accepted correction that made it

    minutes: Mapped[Minutes] = relationship(back_populates="versions")
    published_by: Mapped[User] = relationship()

    @property
    def fields(self) -> dict:
        return json.loads(self.content)

    @property
    def superseded(self) -> bool:
        return self.number < self.minutes.versions[-1].number


@append_only
class Acknowledgement(Model):
    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_versions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class CorrectionState(Labelled):
    PENDING = "Waiting for the chair"
    ACCEPTED = "Accepted"
    DECLINED = "Declined"


class CorrectionRequest(Model):
    __tablename__ = "correction_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_versions.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    section: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[CorrectionState] = mapped_column(stored_enum(CorrectionState), default=CorrectionState.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    version: Mapped[MinutesVersion] = relationship()


class ActionStatus(Labelled):
    OPEN = "Open"
    DONE = "Done"
    NOT_POSSIBLE = "Not possible: circumstances changed"
    NOT_DONE = "Not done"


class ActionDecision:
    """What a review of "Not done" decided (ActionUpdate.decision)."""

    CARRIED = "carried"  # carried forward: a new due date and owner
    CLOSURE_ASKED = "closure_asked"  # to be closed, with a reason, once the chair approves
    CLOSURE_APPROVED = "closure_approved"
    CLOSURE_DECLINED = "closure_declined"  # the chair kept it open


class Action(Model):
    """One action in the family's action log, agreed at a meeting and reviewed at the next ones."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    agreed_at_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    intended_outcome: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ActionStatus] = mapped_column(stored_enum(ActionStatus), default=ActionStatus.OPEN)
    evidence: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised by every status change and review (coordinator.concurrency): the owner and a meeting's review
    # cannot overwrite each other unawares.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # "Not done" never closes an action silently: it is carried forward (a new due date and owner) or its
    # closure, with this reason, waits for the chair's approval; until then the action stays open and owned.
    closure_reason: Mapped[str | None] = mapped_column(Text)
    closure_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_review_id: Mapped[int | None] = mapped_column(ForeignKey("occurrences.id"))  # the meeting that asked

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    owner_agency: Mapped[Agency] = relationship()
    agreed_at: Mapped[Occurrence] = relationship(foreign_keys=[agreed_at_id])
    history: Mapped[list[ActionUpdate]] = relationship(order_by="ActionUpdate.id", back_populates="action")
    family: Mapped[Family] = relationship()

    @property
    def closure_awaiting_approval(self) -> bool:
        return self.status is ActionStatus.OPEN and self.closure_requested_at is not None

    @property
    def state_label(self) -> str:
        """The status as people read it: an open action whose closure the chair has still to approve says so."""
        if self.closure_awaiting_approval:
            return "Not done: closure awaiting the chair's approval"
        return self.status.label

    @property
    def carried(self) -> list[ActionUpdate]:
        """Each time the action was carried forward, oldest first (from the loaded history)."""
        return [h for h in self.history if h.decision == ActionDecision.CARRIED]


@append_only
class ActionUpdate(Model):
    """Append-only history of an action's status, including each review at a meeting."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    status: Mapped[ActionStatus] = mapped_column(stored_enum(ActionStatus))
    comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at_id: Mapped[int | None] = mapped_column(ForeignKey("occurrences.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(20))  # an ActionDecision, for "Not done"
    previous_due_date: Mapped[date | None] = mapped_column(Date)  # carried forward: from this date ...
    due_date: Mapped[date | None] = mapped_column(Date)  # ... to this one
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # ... owned from then by

    by: Mapped[User] = relationship(foreign_keys=[by_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    action: Mapped[Action] = relationship(back_populates="history")

    @property
    def described(self) -> str:
        """The line of the action's history: "Carried forward from Tuesday 8 December 2026 to ...: not done
        because ..."."""
        from coordinator.timeutil import long_date

        why = f": not done because {self.comment}" if self.comment else ": not done"
        if self.decision == ActionDecision.CARRIED and self.previous_due_date and self.due_date:
            owner = f", owned by {self.owner.name}" if self.owner else ""
            return (f"Carried forward from {long_date(self.previous_due_date)} to {long_date(self.due_date)}"
                    f"{owner}{why}")
        if self.decision == ActionDecision.CLOSURE_ASKED:
            return "Not done, to be closed once the chair approves" + (f": {self.comment}" if self.comment else "")
        if self.decision == ActionDecision.CLOSURE_APPROVED:
            return "Closed as not done: the chair approved" + (f" ({self.comment})" if self.comment else "")
        if self.decision == ActionDecision.CLOSURE_DECLINED:
            return "The chair kept it open" + (f": {self.comment}" if self.comment else "")
        return self.status.label + (f": {self.comment}" if self.comment else "")


class Goal(Model):
    """What life should be like for the child, agreed at a meeting, scored 0-10 whenever reviewed."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    agreed_at_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"))
    # The child the goal is for; none for a goal about the whole family.
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # raised by each scoring (coordinator.concurrency)

    scores: Mapped[list[GoalScore]] = relationship(order_by="GoalScore.id")


class GoalScore(Model):
    __tablename__ = "goal_scores"
    __table_args__ = (UniqueConstraint("goal_id", "occurrence_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occurrence: Mapped[Occurrence] = relationship()


class DecisionsSummary(Model):
    """The decisions and actions sent to attendees within a working day of the meeting (frozen)."""

    __tablename__ = "decisions_summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), unique=True)
    content: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    @property
    def fields(self) -> dict:
        return json.loads(self.content)
