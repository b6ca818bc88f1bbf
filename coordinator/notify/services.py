"""The outbox: messages are written in the same transaction as the change that causes them, and sent
later by the scheduler, so a crash or an SMTP outage loses nothing and a rolled-back change sends nothing.

Emails are a notification channel only: subjects and bodies hold an opaque family reference and a link,
never names or case details.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import func, select, update

from coordinator.extensions import db
from coordinator.notify.mime import CalendarPart, Email, message_id_for, render
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.notify.transports import PermanentFailure, TemporaryFailure, make_transport
from coordinator.timeutil import utcnow

log = logging.getLogger(__name__)


def enqueue(
    key: str,
    email: Email,
    *,
    kind: str,
    family_id: int | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; the same key is never queued twice."""
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    sender = current_app.config["MAIL_FROM"]
    message_id = message_id_for(key, sender)
    mime = render(email, sender=sender, message_id=message_id)
    row = OutboxMessage(
        idempotency_key=key,
        kind=kind,
        recipient=email.to,
        subject=email.subject,
        message_id=message_id,
        mime=mime.as_string(),
        state=OutboxState.PENDING,
        next_attempt_at=not_before or utcnow(),
        family_id=family_id,
    )
    db.session.add(row)
    return row


def enqueue_template(
    key: str,
    *,
    to: str,
    subject: str,
    template: str,
    kind: str,
    family_id: int | None = None,
    calendar: CalendarPart | None = None,
    **context,
) -> OutboxMessage:
    """Render ``templates/email/<template>.txt`` and ``.html`` and queue them."""
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    return enqueue(key, Email(to=to, subject=subject, text=text, html=html, calendar=calendar),
                   kind=kind, family_id=family_id)


# --- sending ----------------------------------------------------------------------------------------

def release_abandoned_claims(holder: str) -> int:
    """Return to pending the messages claimed by a sender that is gone (called when a lease changes
    hands). A message that sender had already handed to SMTP may go twice; its stable Message-ID lets
    mail systems recognise the duplicate. Losing a message would be worse."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_by != holder)
        .values(state=OutboxState.PENDING, claimed_by=None, claimed_at=None)
    )
    db.session.commit()
    return result.rowcount


def claim_due(holder: str, now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due messages for ``holder``; two senders never claim the same row."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    claimed: list[int] = []
    if db.session.get_bind().dialect.name == "postgresql":
        ids = db.session.scalars(due.with_for_update(skip_locked=True)).all()
        if ids:
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                .values(state=OutboxState.SENDING, claimed_by=holder, claimed_at=now)
            )
        claimed = list(ids)
    else:
        # SQLite has no row locks: a conditional update that only one writer can win, checked by row count.
        for message_id in db.session.scalars(due).all():
            result = db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.PENDING)
                .values(state=OutboxState.SENDING, claimed_by=holder, claimed_at=now)
            )
            if result.rowcount == 1:
                claimed.append(message_id)
    db.session.commit()
    return claimed


def retry_delay(attempts: int) -> timedelta:
    cfg = current_app.config
    base = cfg["OUTBOX_RETRY_BASE_SECONDS"] * (2 ** max(0, attempts - 1))
    seconds = min(cfg["OUTBOX_RETRY_MAX_SECONDS"], base) * random.uniform(0.8, 1.2)  # jitter
    return timedelta(seconds=seconds)


def send_due(holder: str, now: datetime | None = None, transport=None,
             still_holder: Callable[[], bool] | None = None) -> dict[str, int]:
    """Send every due message once; returns counts by outcome.

    ``still_holder`` (the scheduler passes one that renews its lease) is asked before each batch and each
    message. Once it answers False another process has taken the lease over, and with it this sender's
    unsent claims, so this sender stops at once rather than send alongside the new holder.
    """
    now = now or utcnow()
    transport = transport or make_transport()
    sender = current_app.config["MAIL_FROM"]
    counts = {"sent": 0, "retry": 0, "failed": 0}

    def may_go_on() -> bool:
        if still_holder is None or still_holder():
            return True
        log.warning("outbox sender %s lost the scheduler lease; stopping", holder)
        return False

    # A run of this sender that stopped on an error (the database went away mid-batch, say) left its
    # claims in 'sending', and no takeover will release them while this sender keeps the lease. A sender
    # runs one send_due at a time, so none of them is in progress now.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_by == holder)
        .values(state=OutboxState.PENDING, claimed_by=None, claimed_at=None)
    )
    db.session.commit()

    transport.open()
    try:
        while may_go_on():
            ids = claim_due(holder, now, current_app.config["OUTBOX_BATCH_SIZE"])
            if not ids:
                break
            for message_id in ids:
                if not may_go_on():
                    return counts
                counts[_send_one(transport, sender, message_id, holder, now)] += 1
    finally:
        transport.close()
    return counts


def _send_one(transport, sender: str, message_id: int, holder: str, now: datetime) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.state != OutboxState.SENDING or message.claimed_by != holder:
        return "retry"
    message.attempts += 1
    try:
        transport.send(sender=_envelope(sender), recipient=message.recipient,
                       data=message.mime.encode("utf-8"), name=f"{message.id:06d}-{message.kind}")
    except TemporaryFailure as exc:
        if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            outcome, message.state = "failed", OutboxState.FAILED
        else:
            outcome, message.state = "retry", OutboxState.PENDING
            message.next_attempt_at = now + retry_delay(message.attempts)
        message.last_error = str(exc)[:1000]
        log.warning("outbox message %s: temporary failure: %s", message.id, exc)
    except PermanentFailure as exc:
        outcome, message.state = "failed", OutboxState.FAILED
        message.last_error = str(exc)[:1000]
        log.error("outbox message %s: permanent failure: %s", message.id, exc)
    else:
        outcome, message.state = "sent", OutboxState.SENT
        message.sent_at = utcnow()
        message.last_error = None
        if message.kind in SECRET_KINDS:
            message.mime = _without_body(message.mime)
    message.claimed_by = None
    message.claimed_at = None
    db.session.commit()
    return outcome


# Emails that carry a sign-in secret (a code, a reset or invitation link): once delivered, only their
# headers are kept, so the outbox table never holds live secrets longer than it must.
SECRET_KINDS = {"one_time_code", "password_reset", "invite"}


def _without_body(mime: str) -> str:
    from email import message_from_string
    from email.message import EmailMessage
    from email.policy import SMTP

    original = message_from_string(mime)
    kept = EmailMessage(policy=SMTP)
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        if original[name]:
            kept[name] = original[name]
    kept.set_content("(The body of this message held a sign-in secret and was removed once it was sent.)")
    return kept.as_string()


def _envelope(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1]


def resend(message: OutboxMessage) -> None:
    """An administrator's resend of a failed message: it goes back in the queue, due now."""
    message.state = OutboxState.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.last_error = None


def backlog(now: datetime | None = None) -> dict:
    now = now or utcnow()
    oldest = db.session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]))
    )
    pending = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]))
    )
    failed = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED)
    )
    if oldest is not None and oldest.tzinfo is None:
        from datetime import timezone

        oldest = oldest.replace(tzinfo=timezone.utc)
    return {
        "pending": pending,
        "oldest_pending_age_seconds": None if oldest is None else round((now - oldest).total_seconds()),
        "failed": failed,
    }
