from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.agencies.models import Agency
from coordinator.extensions import Model
from coordinator.timeutil import UTCDateTime, utcnow


class Role(enum.Enum):
    ADMIN = "Administrator"
    PRACTITIONER = "Practitioner"
    # A professional who manages a team of leads: sees the team's outstanding work (coordinator.oversight),
    # and a family's record only while in its network, like anyone else.
    TEAM_MANAGER = "Team manager"
    # Reads the partnership's aggregate, de-identified measures, and never a family's record.
    PARTNERSHIP_ANALYST = "Partnership analyst"

    @property
    def label(self) -> str:
        return self.value


class User(UserMixin, Model):
    __tablename__ = "users"
    # Stored lower-case, and unique whatever the case in the database too.
    __table_args__ = (Index("uq_users_email_lower", func.lower(text("email")), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20), default=Role.PRACTITIONER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Argon2id hash; None for partner-agency staff who sign in with a one-time code by email.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Changing this ends every session of the user (sign-out everywhere, password change, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Demo users are marked so the demo command can refuse to touch a database with real people.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at = mapped_column(UTCDateTime)
    # A partner a lead professional invited to one family's meetings (no administrator involved): shown to
    # administrators, who may revoke the account.
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Raised by an administrator's edit (coordinator.concurrency); sign-ins and sessions do not touch it.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    agency: Mapped[Agency | None] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[invited_by_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_team_manager(self) -> bool:
        return self.role is Role.TEAM_MANAGER

    @property
    def is_partnership_analyst(self) -> bool:
        return self.role is Role.PARTNERSHIP_ANALYST

    def get_id(self) -> str:
        # The session holds id and version, so bumping session_version invalidates old sessions.
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class OneTimeCode(Model):
    """A short-lived, single-use sign-in code sent by email; only its keyed hash is stored."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tries: Mapped[int] = mapped_column(Integer, default=0)


class TokenPurpose(enum.Enum):
    PASSWORD_RESET = "password_reset"
    INVITE = "invite"


class UserToken(Model):
    """A single-use emailed link token (password reset or invitation); only its hash is stored."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(Enum(TokenPurpose, native_enum=False, length=20))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SignInFailure(Model):
    """One failed sign-in, keyed by the email typed (known or not) and by the request address."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64), index=True)  # hash of the email typed
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
