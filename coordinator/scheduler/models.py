from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.extensions import Model
from coordinator.timeutil import UTCDateTime


class SchedulerLease(Model):
    """The single-runner lease: whoever holds an unexpired row runs the jobs."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Raised each time the lease changes hands, so work claimed by a dead holder can be recognised.
    epoch: Mapped[int] = mapped_column(Integer, default=1)
