"""Each agency's update before a meeting: the request to write it, the update with its versions, and the
people it proposes adding to the household."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.agencies.models import Agency
from coordinator.audit.services import append_only
from coordinator.auth.models import User
from coordinator.enums import Labelled, stored_enum
from coordinator.extensions import Model
from coordinator.families.models import Family
from coordinator.meetings.models import Occurrence
from coordinator.timeutil import UTCDateTime, utcnow


class RequestState(Labelled):
    WAITING = "Not yet sent"  # created ahead of its send date
    OPEN = "Waiting for the update"
    SUBMITTED = "Submitted"
    CLOSED = "Closed"  # the meeting was cancelled, or took place


class SubmissionStatus(Labelled):
    DRAFT = "Draft"
    SUBMITTED = "Submitted"


class SubmissionRequest(Model):
    """A request to one agency (through a named professional) for its update before one meeting."""

    __tablename__ = "submission_requests"
    __table_args__ = (UniqueConstraint("occurrence_id", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[RequestState] = mapped_column(stored_enum(RequestState, 20), default=RequestState.WAITING)
    send_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)  # the update is due by the end of this day
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The chair may allow more than one update from the agency for this meeting.
    allow_several: Mapped[bool] = mapped_column(Boolean, default=False)
    handed_over_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Someone the recipient sends to the meeting in their place (coordinator.meetings: deputies) may write it.
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lead_told_late_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # once per request
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occurrence: Mapped[Occurrence] = relationship()
    agency: Mapped[Agency] = relationship()
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    deputy: Mapped[User | None] = relationship(foreign_keys=[deputy_id])
    submissions: Mapped[list[Submission]] = relationship(back_populates="request", order_by="Submission.id")


class Submission(Model):
    """One agency's update. Its fields live in ``data`` (JSON, the sections of domain.md); every
    submitted version is kept in SubmissionVersion."""

    __tablename__ = "submissions"
    # One update per request and slot, enforced by the database: two first saves at the same instant make
    # one draft, not two.
    __table_args__ = (Index("uq_submissions_request_id", "request_id", "slot", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("submission_requests.id"), index=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # 0 for the agency's one update; the author's user id for each person's own when the chair allows several.
    slot: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[SubmissionStatus] = mapped_column(stored_enum(SubmissionStatus, 20), default=SubmissionStatus.DRAFT)
    data: Mapped[str] = mapped_column(Text, default="{}")
    version: Mapped[int] = mapped_column(Integer, default=0)  # submitted versions; 0 while a first draft
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    # Raised on every save, so two tabs cannot overwrite each other unawares.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[SubmissionRequest] = relationship(back_populates="submissions")
    agency: Mapped[Agency] = relationship()
    author: Mapped[User] = relationship()
    versions: Mapped[list[SubmissionVersion]] = relationship(order_by="SubmissionVersion.version")

    @property
    def fields(self) -> dict:
        return json.loads(self.data or "{}")

    @property
    def amended(self) -> bool:
        return self.version > 1

    @property
    def marked_not_for_family(self) -> list[str]:
        """The sections its author marked not for the family."""
        return list(self.fields.get("not_for_family") or [])

    @property
    def not_for_family(self) -> list[str]:
        """The sections left out of the family's copy: those marked, and the domestic abuse enquiry unless
        its author chose to share it."""
        from coordinator.submissions.document import UpdateDocument

        return UpdateDocument(self.fields).not_for_family()


@append_only
class SubmissionVersion(Model):
    """Append-only: each submitted version of an update, as it was."""

    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    author: Mapped[User] = relationship()


class ProposalState(Labelled):
    PENDING = "Waiting for the lead professional"
    ACCEPTED = "Added to the household"
    DECLINED = "Not added"


class HouseholdProposal(Model):
    """A person an agency's update says lives in or visits the home, not yet on the family's record. The
    lead professional accepts them into the household with one click; nothing is added silently."""

    __tablename__ = "household_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    slot: Mapped[int] = mapped_column(Integer)  # which "new person" of the update
    data: Mapped[str] = mapped_column(Text)
    state: Mapped[ProposalState] = mapped_column(stored_enum(ProposalState, 40), default=ProposalState.PENDING)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("household_members.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship()
    family: Mapped[Family] = relationship()

    @property
    def fields(self) -> dict:
        return json.loads(self.data)


class RequestsChecked(Model):
    """The update-request job's remembered progress: the day it last worked out a meeting's requests and
    reminders, and the series' revision then. Requests and reminders fall due by the day, so a meeting
    checked today whose series has not changed since (invitees, moves) has nothing new until tomorrow:
    a tick with nothing due reads this, not every meeting of the coming month."""

    __tablename__ = "requests_checked"

    # Progress only: it goes with the meeting (a meeting removed when a series ends or is split).
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"), primary_key=True)
    checked_on: Mapped[date] = mapped_column(Date)
    series_revision: Mapped[int] = mapped_column(Integer)
