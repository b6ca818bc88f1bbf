"""Teams: a set of lead professionals within an agency, with the manager(s) who oversee their work; and
the indexes the oversight queries need on the other areas' tables (declared here, with the queries that
use them)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.agencies.models import Agency
from coordinator.auth.models import User
from coordinator.extensions import Model
from coordinator.minutes.models import Action, Minutes
from coordinator.submissions.models import SubmissionRequest
from coordinator.timeutil import UTCDateTime, utcnow


class Team(Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship()
    members: Mapped[list[TeamMember]] = relationship(back_populates="team", order_by="TeamMember.id",
                                                     cascade="all, delete-orphan")


class TeamMember(Model):
    """A lead professional of the team (their families are the team's), or one of its managers."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_manager: Mapped[bool] = mapped_column(Boolean, default=False)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


# What the dashboard and the measures filter on, on tables of the areas below.
Index("ix_submission_requests_deadline", SubmissionRequest.deadline)
Index("ix_actions_status_due_date", Action.status, Action.due_date)
Index("ix_minutes_status", Minutes.status)
