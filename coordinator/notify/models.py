from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.enums import Labelled, stored_enum
from coordinator.extensions import Model
from coordinator.timeutil import UTCDateTime, utcnow


class OutboxState(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; returned to pending if that sender died
    SENT = "sent"
    FAILED = "failed"  # permanent failure, or out of attempts: shown to administrators


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(300))
    mime: Mapped[str] = mapped_column(Text)  # the whole rendered message, ready to send as is
    state: Mapped[OutboxState] = mapped_column(
        Enum(OutboxState, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]),
        default=OutboxState.PENDING,
        index=True,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # counted when claimed, before the send
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the message is being handed to the relay; a claim released with it still set was a send
    # that never came back (the process stopped or died in the middle), counted in ``interruptions``.
    in_hand_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interruptions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When it was first due: how long a message has waited is measured from here (health, the admin page).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    family_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Delivery(Labelled):
    IMMEDIATELY = "As it happens, one email each time"
    DAILY_DIGEST = "In one email each morning"


class NotificationSetting(Model):
    """How one person wants one kind of notification (coordinator.notify.personal); no row: the default."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    delivery: Mapped[Delivery] = mapped_column(stored_enum(Delivery, 20))


class DigestItem(Model):
    """A notification held for the person's next daily digest: one line and a link, never a name."""

    __tablename__ = "digest_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # the same event is never held twice
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))
    line: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(500))
    family_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


Index("ix_digest_items_waiting", DigestItem.sent_at, DigestItem.user_id)


class InboundState(Labelled):
    NEW = "Not yet read"
    APPLIED = "Applied"
    KEPT = "Kept for the lead professional to look at"
    DONE = "Looked at"


class InboundMessage(Model):
    """One email that reached the organiser mailbox (coordinator.notify.inbound), kept whole before the
    mailbox is told it was read, so nothing is lost if the service stops halfway: what the calendar area made
    of it (an answer applied, or kept for a person to look at, and why) is recorded on it."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the raw message: read once
    source: Mapped[str] = mapped_column(String(200))  # the mailbox and the message's place in it
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: larger than MAIL_INBOUND_MAX_BYTES
    size: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[InboundState] = mapped_column(stored_enum(InboundState, 10), default=InboundState.NEW, index=True)
    outcome: Mapped[str | None] = mapped_column(String(500))  # in words: what was applied, or why it was kept
    family_id: Mapped[int | None] = mapped_column(Integer, index=True)  # when it could be placed
    occurrence_id: Mapped[int | None] = mapped_column(Integer)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    looked_at_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    looked_at_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
