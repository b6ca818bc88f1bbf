from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.extensions import Model
from coordinator.timeutil import UTCDateTime, utcnow


class AuditEvent(Model):
    """Append-only: the ORM refuses updates and deletes, and database triggers refuse them too."""

    __tablename__ = "audit_events"
    # The log is read newest first within one family or one person (the filters of its page and export).
    __table_args__ = (Index("ix_audit_events_family_id_at", "family_id", "at"),
                      Index("ix_audit_events_actor_id_at", "actor_id", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    # Plain integer, not a foreign key: families arrive in a later area and audit must outlive them.
    family_id: Mapped[int | None] = mapped_column(Integer, index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(500))

    actor = relationship("User", lazy="joined")
