"""The outbox: messages are written in the same transaction as the change that causes them, and sent
later by the scheduler, so a crash or an SMTP outage loses nothing and a rolled-back change sends nothing.

Emails are a notification channel only: subjects and bodies hold an opaque family reference and a link,
never names or case details.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from flask import current_app, render_template
from sqlalchemy import case, func, select, update

from coordinator.extensions import db, rows_matched
from coordinator.notify.mime import CalendarPart, Email, message_id_for, render
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.notify.transports import (
    PermanentFailure,
    TemporaryFailure,
    make_transport,
)
from coordinator.timeutil import utcnow

log = logging.getLogger(__name__)


def enqueue(
    key: str,
    email: Email,
    *,
    kind: str,
    family_id: int | None = None,
    not_before: datetime | None = None,
    checked: bool = False,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; the same key is never queued twice.
    ``checked``: the caller has just read which of its keys are queued (for a batch, in one query); the
    unique key still refuses a duplicate."""
    existing = None if checked else db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    sender = current_app.config["MAIL_FROM"]
    message_id = message_id_for(key, sender)
    mime = render(email, sender=sender, message_id=message_id)
    due = not_before or utcnow()
    row = OutboxMessage(
        idempotency_key=key,
        kind=kind,
        recipient=email.to,
        subject=email.subject,
        message_id=message_id,
        mime=mime.as_string(),
        state=OutboxState.PENDING,
        next_attempt_at=due,
        due_at=due,
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
    checked: bool = False,
    **context,
) -> OutboxMessage:
    """Render ``templates/email/<template>.txt`` and ``.html`` and queue them."""
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    return enqueue(key, Email(to=to, subject=subject, text=text, html=html, calendar=calendar),
                   kind=kind, family_id=family_id, checked=checked)


# --- sending ----------------------------------------------------------------------------------------
#
# A batch of due messages is claimed for one sender; each message's attempt is counted, and committed,
# just before it is handed to the transport, so a message that crashes the sender, or the whole process,
# still uses up its attempts (and the rest of its batch does not). Whatever one send raises ends that
# message's attempt only: it is retried later or failed, and the batch goes on to the next message.

def release_abandoned_claims(holder: str) -> int:
    """Return to the queue the messages claimed by a sender that is gone (called when a lease changes
    hands). A message that sender had already handed to SMTP may go twice; its stable Message-ID lets
    mail systems recognise the duplicate. Losing a message would be worse. One whose claims keep being
    abandoned (it takes the process down) is failed once it has used its attempts."""
    return _release_claims(OutboxMessage.claimed_by != holder)


def release_own_claims(holder: str) -> int:
    """Return to the queue what this sender claimed and did not finish (a run stopped by an error, or a
    stop signal that came in the middle of a batch)."""
    return _release_claims(OutboxMessage.claimed_by == holder)


def _release_claims(whose) -> int:
    """Claimed messages go back to the queue. The one that was in hand (its send never came back) counts
    an interruption; one interrupted OUTBOX_MAX_ATTEMPTS times is failed, as it seems to take the sender
    down. Messages that were only claimed were never tried by this sender and lose nothing."""
    now = utcnow()
    limit = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    sending = (OutboxMessage.state == OutboxState.SENDING, whose)
    in_hand = OutboxMessage.in_hand_since.is_not(None)
    unclaimed = dict(claimed_by=None, claimed_at=None, in_hand_since=None,
                     interruptions=OutboxMessage.interruptions + 1)
    exhausted = rows_matched(
        update(OutboxMessage).where(*sending, in_hand, OutboxMessage.interruptions + 1 >= limit)
        .values(state=OutboxState.FAILED, failed_at=now, **unclaimed,
                last_error=f"sending was interrupted {limit} times (the sender stopped in the middle)"))
    interrupted = rows_matched(
        update(OutboxMessage).where(*sending, in_hand).values(state=OutboxState.PENDING, **unclaimed))
    released = rows_matched(
        update(OutboxMessage).where(*sending)
        .values(state=OutboxState.PENDING, claimed_by=None, claimed_at=None))
    db.session.commit()
    return exhausted + interrupted + released


def claim_due(holder: str, now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due messages for ``holder``; two senders never claim the same row."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    claim = dict(state=OutboxState.SENDING, claimed_by=holder, claimed_at=now)
    claimed: list[int] = []
    if db.session.get_bind().dialect.name == "postgresql":
        ids = db.session.scalars(due.with_for_update(skip_locked=True)).all()
        if ids:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**claim))
        claimed = list(ids)
    else:
        # SQLite has no row locks: a conditional update that only one writer can win, checked by row count.
        for message_id in db.session.scalars(due).all():
            result = rows_matched(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.PENDING)
                .values(**claim)
            )
            if result == 1:
                claimed.append(message_id)
    db.session.commit()
    return claimed


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off from OUTBOX_RETRY_BASE_SECONDS, capped at OUTBOX_RETRY_MAX_SECONDS, with jitter
    so that a queue held up by an outage does not all go back to the relay at the same second."""
    cfg = current_app.config
    base = cfg["OUTBOX_RETRY_BASE_SECONDS"] * (2 ** min(max(0, attempts - 1), 30))
    seconds = min(cfg["OUTBOX_RETRY_MAX_SECONDS"], base) * random.uniform(0.8, 1.2)
    return timedelta(seconds=seconds)


def retry_window() -> timedelta:
    return timedelta(hours=float(current_app.config["OUTBOX_RETRY_WINDOW_HOURS"]))


def send_due(holder: str, now: datetime | None = None, transport=None,
             still_holder: Callable[[], bool] | None = None) -> dict[str, int]:
    """Send every due message once; returns counts by outcome.

    ``still_holder`` (the scheduler passes its lease keeper) is asked before each batch and each message.
    Once it answers False (another process has the lease, or the scheduler is stopping) this sender stops
    at once, finishing only the message in hand, and returns its unsent claims to the queue.
    """
    now = now or utcnow()
    transport = transport or make_transport()
    sender = current_app.config["MAIL_FROM"]
    counts = {"sent": 0, "retry": 0, "failed": 0}

    def may_go_on() -> bool:
        return still_holder is None or still_holder()

    # A run of this sender that stopped on an error (the database went away mid-batch, say) left its
    # claims in 'sending'; a sender runs one send_due at a time, so none of them is in progress now.
    release_own_claims(holder)
    transport.open()
    try:
        while may_go_on():
            ids = claim_due(holder, now, current_app.config["OUTBOX_BATCH_SIZE"])
            if not ids:
                break
            for message_id in ids:
                if not may_go_on():
                    break
                counts[_send_one(transport, sender, message_id, holder, now)] += 1
    finally:
        try:
            transport.close()
        finally:
            if still_holder is not None:
                release_own_claims(holder)  # stopped in the middle of a batch: the rest waits for the next run
    return counts


def _send_one(transport, sender: str, message_id: int, holder: str, now: datetime) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.state != OutboxState.SENDING or message.claimed_by != holder:
        return "retry"
    message.attempts += 1
    message.in_hand_since = utcnow()
    db.session.commit()  # counted before the send: a send that takes the process down still counts
    try:
        transport.send(sender=_envelope(sender), recipient=message.recipient,
                       data=message.mime.encode("utf-8"), name=f"{message.id:06d}-{message.kind}")
    except TemporaryFailure as exc:
        log.warning("outbox message %s: temporary failure: %s", message.id, exc)
        outcome = _retry_or_fail(message, now, str(exc), expected=True)
    except PermanentFailure as exc:
        log.error("outbox message %s: permanent failure: %s", message.id, exc)
        outcome = _fail(message, now, str(exc))
    except Exception as exc:  # noqa: BLE001 - one message's fault must not hold up the others
        log.exception("outbox message %s: unexpected error while sending", message_id)
        db.session.rollback()
        _reset(transport)  # whatever state the connection was left in, the next message starts clean
        reloaded = db.session.get(OutboxMessage, message_id)
        if reloaded is None:  # gone meanwhile: nothing more to record
            return "retry"
        message = reloaded
        outcome = _retry_or_fail(message, now, f"{type(exc).__name__}: {exc}", expected=False)
    else:
        outcome, message.state = "sent", OutboxState.SENT
        message.sent_at = utcnow()
        message.last_error = None
        if message.kind in SECRET_KINDS:
            message.mime = _without_body(message.mime)
    message.claimed_by = None
    message.claimed_at = None
    message.in_hand_since = None
    db.session.commit()
    return outcome


def _retry_or_fail(message: OutboxMessage, now: datetime, error: str, *, expected: bool) -> str:
    """A temporary failure (the relay is down, busy, or refused for now) is retried with back-off for
    OUTBOX_RETRY_WINDOW_HOURS from when the message was due. An unexpected error is retried too, but only
    OUTBOX_MAX_ATTEMPTS times: a message that keeps breaking the sender is quarantined as failed."""
    out_of_time = now - _aware(message.due_at) >= retry_window()
    out_of_attempts = not expected and message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    if out_of_time or out_of_attempts:
        why = "gave up after the retry window" if out_of_time else f"gave up after {message.attempts} attempts"
        return _fail(message, now, f"{error} ({why})")
    message.state = OutboxState.PENDING
    message.next_attempt_at = now + retry_delay(message.attempts)
    message.last_error = error[:1000]
    return "retry"


def _fail(message: OutboxMessage, now: datetime, error: str) -> str:
    message.state = OutboxState.FAILED
    message.failed_at = now
    message.last_error = error[:1000]
    return "failed"


def _reset(transport) -> None:
    try:
        transport.close()
    except Exception:  # noqa: BLE001 - a connection already broken cannot be closed cleanly either
        log.debug("closing the transport after an error failed too", exc_info=True)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


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


# --- what administrators and the health check see ------------------------------------------------------

def resend(message: OutboxMessage) -> None:
    """An administrator's resend of a failed message: it goes back in the queue, due now, with its attempts
    and its retry window started afresh."""
    now = utcnow()
    message.state = OutboxState.PENDING
    message.attempts = 0
    message.interruptions = 0
    message.next_attempt_at = now
    message.due_at = now
    message.failed_at = None
    message.last_error = None


def resend_failed(kind: str | None = None) -> int:
    """Resend every failed message (or every one of ``kind``) in one statement. Returns how many."""
    now = utcnow()
    query = update(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    result = rows_matched(query.values(state=OutboxState.PENDING, attempts=0, next_attempt_at=now, due_at=now,
                                             failed_at=None, last_error=None))
    return result


WAITING = (OutboxState.PENDING, OutboxState.SENDING)


def backlog(now: datetime | None = None) -> dict:
    """The queue in numbers: messages waiting, how long the longest-waiting due message has waited (from
    when it was first due, so one retried through an outage counts its whole wait), failures."""
    now = now or utcnow()
    cfg = current_app.config
    waiting, oldest_created, oldest_due = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at),
               func.min(case((OutboxMessage.due_at <= now, OutboxMessage.due_at))))
        .where(OutboxMessage.state.in_(WAITING))).one()
    failed = db.session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.FAILED))
    window_start = now - timedelta(hours=float(cfg["HEALTH_FAILED_WINDOW_HOURS"]))
    failed_recently = db.session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.FAILED,
                                                                   OutboxMessage.failed_at >= window_start))

    def age(moment):
        return None if moment is None else round((now - _aware(moment)).total_seconds())

    return {
        "pending": waiting,
        "oldest_pending_age_seconds": age(oldest_created),
        "oldest_due_waiting_seconds": age(oldest_due),
        "failed": failed,
        "failed_recently": failed_recently,
    }
