"""The outbox: messages are written in the same transaction as the change that causes them, and sent
later by the scheduler, so a crash or an SMTP outage loses nothing and a rolled-back change sends nothing.

Emails are a notification channel only: subjects and bodies hold an opaque family reference and a link,
never names or case details.
"""
from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from flask import current_app, render_template
from sqlalchemy import Table, and_, bindparam, case, func, literal, null, or_, select, update

from coordinator.extensions import db, rows_matched
from coordinator.hooks import answers
from coordinator.notify.mime import CalendarPart, Email, message_id_for, render
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.notify.signals import reply_address
from coordinator.notify.transports import (
    PermanentFailure,
    TemporaryFailure,
    make_transport,
)
from coordinator.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)


def enqueue(
    key: str,
    email: Email,
    *,
    kind: str,
    family_id: int | None = None,
    not_before: datetime | None = None,
    checked: bool = False,
    reply_to: str | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; the same key is never queued twice.
    ``checked``: the caller has just read which of its keys are queued (for a batch, in one query); the
    unique key still refuses a duplicate. ``reply_to``: where replies go, if not where ``reply_to_for``
    sends them."""
    existing = None if checked else db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    reply_to = reply_to or reply_to_for(family_id)
    if reply_to and "Reply-To" not in email.headers:
        email.headers["Reply-To"] = reply_to
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
    reply_to: str | None = None,
    **context,
) -> OutboxMessage:
    """Render ``templates/email/<template>.txt`` and ``.html`` and queue them."""
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    return enqueue(key, Email(to=to, subject=subject, text=text, html=html, calendar=calendar),
                   kind=kind, family_id=family_id, checked=checked, reply_to=reply_to)


def reply_to_for(family_id: int | None) -> str | None:
    """Where a reply to an email goes, since its sender (MAIL_FROM) is a no-reply address: the team mailbox
    MAIL_REPLY_TO when set; otherwise, for an email about a family, the family's lead professional (asked
    of the areas above through ``reply_address``, once per family in a transaction); otherwise nowhere."""
    team = current_app.config.get("MAIL_REPLY_TO")
    if team:
        return team
    if family_id is None:
        return None
    known = _reply_addresses()
    if family_id not in known:
        found = answers(reply_address, family_id)
        known[family_id] = found[0] if found else None
    return known[family_id]


def _reply_addresses() -> dict[int, str | None]:
    """The reply addresses found in the current transaction (a batch of emails asks once per family; a new
    transaction sees a lead changed meanwhile)."""
    transaction = db.session().get_transaction()
    held = db.session.info.get("notify.reply_addresses")
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        db.session.info["notify.reply_addresses"] = held
    return held[1]


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
        # SQLite has no row locks, but one writer at a time: a conditional update of the due rows, which
        # another sender's claim made a moment before no longer matches, returns what this one won.
        ids = db.session.scalars(due).all()
        if ids:
            claimed = list(db.session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.PENDING)
                .values(**claim).returning(OutboxMessage.id)))
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
    sender = _envelope(current_app.config["MAIL_FROM"])
    counts = {"sent": 0, "retry": 0, "failed": 0}

    def may_go_on() -> bool:
        return still_holder is None or still_holder()

    # A run of this sender that stopped on an error (the database went away mid-batch, say) left its
    # claims in 'sending'; a sender runs one send_due at a time, so none of them is in progress now.
    release_own_claims(holder)
    transport.open()
    # The per-message writes on a connection of their own, held for the run: one taken from the pool for
    # each message would be pinged and reset each time, tripling a message's round trips to the database.
    delivered = _Delivered(holder, db.engine.connect().execution_options(isolation_level="AUTOCOMMIT"))
    # On PostgreSQL these bookkeeping commits do not wait for the disk: a database crash could forget the
    # last half second of them, and the messages concerned would go again (their Message-ID lets mail
    # systems drop the copy). None is lost: a message is queued by its change's own, synchronous, commit.
    asynchronous = delivered.connection.dialect.name == "postgresql"
    if asynchronous:
        delivered.connection.exec_driver_sql("SET synchronous_commit = off")
    try:
        while may_go_on():
            ids = claim_due(holder, now, current_app.config["OUTBOX_BATCH_SIZE"])
            if not ids:
                break
            for message in _batch(ids):
                if not may_go_on():
                    break
                counts[_send_one(transport, sender, message, holder, now, delivered)] += 1
    finally:
        try:
            transport.close()
        finally:
            try:
                delivered.record_and_take(None)
            finally:
                if asynchronous and not delivered.connection.invalidated:
                    with contextlib.suppress(Exception):
                        delivered.connection.exec_driver_sql("RESET synchronous_commit")
                delivered.connection.close()
                if still_holder is not None:
                    release_own_claims(holder)  # stopped mid-batch: the rest waits for the next run
    return counts


def _batch(ids: list[int]):
    """The claimed messages, read in one query as plain rows (a commit does not send them back to the
    database one by one)."""
    columns = (OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.mime)
    rows = db.session.execute(select(*columns).where(OutboxMessage.id.in_(ids)).order_by(
        OutboxMessage.next_attempt_at, OutboxMessage.id)).all()
    db.session.commit()  # no transaction left open on the session while the batch goes to the relay
    return rows


class _Delivered:
    """The message the relay has just accepted, recorded as sent by the same statement that marks the next
    one in hand: one short transaction per message, and still nothing handed to the relay before the
    message before it is recorded, so a sender that dies can only have sent the message in hand twice."""

    def __init__(self, holder: str, connection):
        self.holder, self.connection = holder, connection
        self.message = None

    def record_and_take(self, next_id: int | None) -> bool:
        """Record the delivered message (if any) as sent and, if ``next_id``, count an attempt at that
        message and mark it in hand; True if it was still this sender's to send."""
        delivered, self.message = self.message, None
        if delivered is None and next_id is None:
            return False
        kept_mime = _without_body(delivered.mime) if delivered is not None and delivered.kind in SECRET_KINDS else None
        # One statement, committed as it runs: the attempt is counted before the send, so a send that takes
        # the process down still counts.
        taken = self.connection.execute(_RECORD_AND_TAKE, dict(
            sent_id=delivered.id if delivered is not None else None, next_id=next_id, holder=self.holder,
            at=utcnow(), kept_mime=kept_mime)).scalars().all()
        return next_id in taken


# Sending runs this once per message: built once, on the table rather than through the ORM, and one
# statement for both rows, so that a message costs the relay's time and one commit. The next message only
# while still claimed by this sender (one that took the lease over meanwhile owns the rest); the delivered
# one is sent whoever holds it now, and recording it so stops a new holder from sending it again.
_table = cast(Table, OutboxMessage.__table__)
_sent = _table.c.id == bindparam("sent_id")
_now = bindparam("at", type_=_table.c.sent_at.type)


def _for_sent(value, otherwise):
    return case((_sent, value), else_=otherwise)


_RECORD_AND_TAKE = (
    update(_table)
    .where(or_(_sent, and_(_table.c.id == bindparam("next_id"), _table.c.claimed_by == bindparam("holder"),
                           _table.c.state == OutboxState.SENDING)))
    .values(state=_for_sent(literal(OutboxState.SENT, _table.c.state.type), _table.c.state),
            sent_at=_for_sent(_now, _table.c.sent_at),
            last_error=_for_sent(null(), _table.c.last_error),
            claimed_by=_for_sent(null(), _table.c.claimed_by),
            claimed_at=_for_sent(null(), _table.c.claimed_at),
            in_hand_since=_for_sent(null(), _now),
            attempts=_for_sent(_table.c.attempts, _table.c.attempts + 1),
            # A sent message that carried a sign-in secret keeps only its headers.
            mime=_for_sent(func.coalesce(bindparam("kept_mime", type_=_table.c.mime.type), _table.c.mime),
                           _table.c.mime))
    .returning(_table.c.id)
)


def _send_one(transport, sender: str, message, holder: str, now: datetime, delivered: _Delivered) -> str:
    if not delivered.record_and_take(message.id):  # gone, or given back meanwhile
        return "retry"
    try:
        transport.send(sender=sender, recipient=message.recipient,
                       data=message.mime.encode("utf-8"), name=f"{message.id:06d}-{message.kind}")
    except TemporaryFailure as exc:
        log.warning("outbox message %s: temporary failure: %s", message.id, exc)
        return _record_failure(message.id, now, str(exc), expected=True)
    except PermanentFailure as exc:
        log.error("outbox message %s: permanent failure: %s", message.id, exc)
        return _record_failure(message.id, now, str(exc), permanent=True)
    except Exception as exc:  # noqa: BLE001 - one message's fault must not hold up the others
        log.exception("outbox message %s: unexpected error while sending", message.id)
        db.session.rollback()
        _reset(transport)  # whatever state the connection was left in, the next message starts clean
        return _record_failure(message.id, now, f"{type(exc).__name__}: {exc}", expected=False)
    delivered.message = message
    return "sent"


def _record_failure(message_id: int, now: datetime, error: str, *, expected: bool = True,
                    permanent: bool = False) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:  # gone meanwhile: nothing more to record
        return "retry"
    outcome = _fail(message, now, error) if permanent else _retry_or_fail(message, now, error, expected=expected)
    message.claimed_by = None
    message.claimed_at = None
    message.in_hand_since = None
    db.session.commit()
    return outcome


def _retry_or_fail(message: OutboxMessage, now: datetime, error: str, *, expected: bool) -> str:
    """A temporary failure (the relay is down, busy, or refused for now) is retried with back-off for
    OUTBOX_RETRY_WINDOW_HOURS from when the message was due. An unexpected error is retried too, but only
    OUTBOX_MAX_ATTEMPTS times: a message that keeps breaking the sender is quarantined as failed."""
    out_of_time = now - as_utc(message.due_at) >= retry_window()
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
        return None if moment is None else round((now - as_utc(moment)).total_seconds())

    return {
        "pending": waiting,
        "oldest_pending_age_seconds": age(oldest_created),
        "oldest_due_waiting_seconds": age(oldest_due),
        "failed": failed,
        "failed_recently": failed_recently,
    }
