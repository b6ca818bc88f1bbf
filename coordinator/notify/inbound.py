"""The organiser mailbox, read: calendar answers (iTIP REPLY, COUNTER) and plain replies come back here.

``MAIL_INBOUND`` chooses how: "imap" (the scheduler polls a folder; a message is marked with our keyword
once kept, never deleted or moved, so people can still read the mailbox), "maildir" (a directory a local
MTA delivers to; a message kept is moved to ``cur`` with the seen flag), or "none".

Nothing is lost and nothing is applied twice: each message is stored whole (``InboundMessage``, keyed by the
SHA-256 of its bytes) and committed *before* the mailbox is told it was read. A poll interrupted after the
commit reads the message again next time, finds its digest and only marks it; one interrupted before it
stored nothing. What a message means is for the areas above: ``process_waiting`` offers each stored, unread
message to ``received`` (the calendar area answers), one message per transaction; a message no area takes,
or one whose handling fails, is kept for a person to look at.
"""
from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import mailbox
import os
import re
import ssl
from collections.abc import Callable, Iterator
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import parseaddr
from typing import Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coordinator.extensions import db
from coordinator.hooks import answers, signals
from coordinator.notify.models import InboundMessage, InboundState
from coordinator.timeutil import utcnow

log = logging.getLogger(__name__)

# Sent with message= (a stored InboundMessage, its raw bytes parsed by the receiver). A receiver that takes
# the message returns (state, outcome in words, family id or None, occurrence id or None); None otherwise.
received = signals.signal("inbound-message-received")

READ_KEYWORD = "CoordinatorKept"  # IMAP keyword: kept in the database (RFC 3501 flag-keyword)


class InboundError(Exception):
    """The mailbox cannot be read (the poll is tried again at the next tick)."""


class Mailbox(Protocol):
    def unread(self, limit: int) -> Iterator[tuple[str, bytes]]: ...  # (its place in the mailbox, raw bytes)

    def mark_read(self, place: str) -> None: ...

    def close(self) -> None: ...


class ImapMailbox:
    """One IMAP folder. Messages without our keyword are unread to us, whatever people did to them."""

    def __init__(self, config):
        host, port, security = config["MAIL_INBOUND_HOST"], int(config["MAIL_INBOUND_PORT"]), config["MAIL_INBOUND_SECURITY"]
        try:
            if security == "tls":
                self.imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(),
                                                             timeout=30)
            else:
                self.imap = imaplib.IMAP4(host, port, timeout=30)
                if security == "starttls":
                    self.imap.starttls(ssl.create_default_context())
            user = config["MAIL_INBOUND_USERNAME"] or ""
            token = config.get("MAIL_INBOUND_OAUTH2_TOKEN")
            if token:  # SASL XOAUTH2, as Microsoft 365 and Google ask of service mailboxes
                auth = f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
                self.imap.authenticate("XOAUTH2", lambda _: auth)
            else:
                self.imap.login(user, config["MAIL_INBOUND_PASSWORD"] or "")
            kind, _ = self.imap.select(_quoted(config["MAIL_INBOUND_FOLDER"]))
            if kind != "OK":
                raise InboundError(f"the folder {config['MAIL_INBOUND_FOLDER']} cannot be opened")
        except (OSError, imaplib.IMAP4.error) as problem:
            if hasattr(self, "imap"):
                with contextlib.suppress(OSError):
                    self.imap.shutdown()
            raise InboundError(f"the mailbox at {host}:{port} cannot be read: {problem}") from problem

    def unread(self, limit: int) -> Iterator[tuple[str, bytes]]:
        kind, data = self.imap.uid("SEARCH", "UNKEYWORD", READ_KEYWORD)
        if kind != "OK":
            raise InboundError("the mailbox refused the search for unread messages")
        for uid in (data[0] or b"").split()[:limit]:
            kind, parts = self.imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            raw = next((part[1] for part in parts if isinstance(part, tuple)), None)
            if kind == "OK" and raw is not None:
                yield uid.decode(), raw

    def mark_read(self, place: str) -> None:
        kind, _ = self.imap.uid("STORE", place, "+FLAGS", f"({READ_KEYWORD})")
        if kind != "OK":
            raise InboundError("the mailbox refused to mark a message as kept")

    def close(self) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.imap.logout()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MaildirMailbox:
    """A maildir (``new``, ``cur``, ``tmp``): a message without the seen flag is unread to us."""

    def __init__(self, config):
        path = config.get("MAIL_INBOUND_MAILDIR")
        if not path:
            raise InboundError("MAIL_INBOUND_MAILDIR is not set")
        self.box = mailbox.Maildir(path, factory=None, create=True)

    def unread(self, limit: int) -> Iterator[tuple[str, bytes]]:
        taken = 0
        for key in sorted(self.box.keys()):
            if taken >= limit:
                return
            try:
                message = self.box.get_message(key)
            except (KeyError, FileNotFoundError):
                continue  # moved by someone else meanwhile
            if "S" in message.get_flags():
                continue
            taken += 1
            yield key, self.box.get_bytes(key)

    def mark_read(self, place: str) -> None:
        # Rename within the maildir (the maildir way of setting a flag): new/KEY -> cur/KEY:2,S
        message = self.box.get_message(place)
        message.set_subdir("cur")
        message.add_flag("S")
        old = os.path.join(self.box._path, self.box._lookup(place))  # type: ignore[attr-defined]
        new = os.path.join(self.box._path, "cur", place + self.box.colon + "2," + message.get_flags())
        os.rename(old, new)
        self.box._refresh()  # type: ignore[attr-defined]

    def close(self) -> None:
        pass


def open_mailbox(config) -> Mailbox | None:
    kind = (config.get("MAIL_INBOUND") or "none").lower()
    if kind == "imap":
        return ImapMailbox(config)
    if kind == "maildir":
        return MaildirMailbox(config)
    if kind == "none":
        return None
    raise InboundError(f"MAIL_INBOUND must be imap, maildir or none, not {kind!r}")


def _headers(raw: bytes) -> tuple[str, str]:
    headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
    try:
        sender = parseaddr(str(headers.get("From", "")))[1]
        subject = re.sub(r"\s+", " ", str(headers.get("Subject", ""))).strip()
    except (ValueError, TypeError, IndexError):  # a header no parser can make sense of
        sender, subject = "", ""
    return sender[:254], subject[:300]


def store(raw: bytes, source: str) -> tuple[InboundMessage, bool]:
    """Keep one message (committed by the caller); (the row, whether it is new). A message already kept
    (the same bytes) is not kept again."""
    digest = hashlib.sha256(raw).hexdigest()
    existing = db.session.scalar(select(InboundMessage).where(InboundMessage.digest == digest))
    if existing is not None:
        return existing, False
    sender, subject = _headers(raw)
    too_large = len(raw) > current_app.config["MAIL_INBOUND_MAX_BYTES"]
    row = InboundMessage(digest=digest, source=source[:200], raw=None if too_large else raw, size=len(raw),
                         sender=sender, subject=subject, received_at=utcnow())
    if too_large:
        row.state = InboundState.KEPT
        row.outcome = (f"Too large to read here ({len(raw) // (1024 * 1024)} MB): look at it in the organiser "
                       "mailbox itself")
        row.handled_at = utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # another poller kept it at this moment
        existing = db.session.scalar(select(InboundMessage).where(InboundMessage.digest == digest))
        assert existing is not None
        return existing, False
    return row, True


def collect(may_go_on: Callable[[], bool] = lambda: True, *, stop_after_store: Callable[[], bool] | None = None) -> int:
    """Read the mailbox: keep each unread message, then mark it read there. Returns how many were new.
    ``stop_after_store`` (tests): asked after each commit, before the mailbox is told; True stops the poll
    there, as a process killed at that moment would."""
    config = current_app.config
    box = open_mailbox(config)
    if box is None:
        return 0
    new = 0
    try:
        for place, raw in box.unread(int(config["MAIL_INBOUND_BATCH"])):
            if not may_go_on():
                break
            _, is_new = store(raw, f"{config['MAIL_INBOUND']}:{place}")
            db.session.commit()
            new += is_new
            if stop_after_store is not None and stop_after_store():
                return new
            box.mark_read(place)
    finally:
        box.close()
    return new


def process_waiting(may_go_on: Callable[[], bool] = lambda: True, now: datetime | None = None) -> int:
    """Offer each kept, unread message to the areas that understand it, one per transaction. Returns how many
    were handled."""
    ids = db.session.scalars(select(InboundMessage.id).where(InboundMessage.state == InboundState.NEW)
                             .order_by(InboundMessage.id)).all()
    done = 0
    for message_id in ids:
        if not may_go_on():
            break
        message = db.session.scalar(select(InboundMessage).where(InboundMessage.id == message_id,
                                                                 InboundMessage.state == InboundState.NEW)
                                    .with_for_update())
        if message is None:
            continue  # handled by another process meanwhile
        try:
            taken = answers(received, message=message)
            if taken:
                state, outcome, family_id, occurrence_id = taken[0]
            else:
                state, outcome, family_id, occurrence_id = (InboundState.KEPT, "Not something the service can "
                                                            "apply: look at it", None, None)
            message.state, message.outcome = state, outcome[:500]
            message.family_id, message.occurrence_id = family_id, occurrence_id
            message.handled_at = now or utcnow()
            db.session.commit()
        except Exception as problem:  # noqa: BLE001 - whatever went wrong, the message is kept for a person
            db.session.rollback()
            log.exception("inbound message %s could not be handled", message_id)
            message = db.session.get(InboundMessage, message_id)
            if message is not None and message.state is InboundState.NEW:
                message.state = InboundState.KEPT
                message.outcome = f"Could not be applied ({type(problem).__name__}): look at it"
                message.handled_at = now or utcnow()
                db.session.commit()
        done += 1
    return done


def message_text(message: InboundMessage, limit: int = 4000) -> str:
    """The message's own words (its first text/plain part), for the person who looks at it."""
    if message.raw is None:
        return ""
    from email import message_from_bytes

    parsed = message_from_bytes(message.raw, policy=default_policy)
    try:
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
    except (LookupError, ValueError, AttributeError):
        text = ""
    return str(text)[:limit]
