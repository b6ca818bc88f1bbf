"""The outbox in tests: queue messages, read their rows back fresh, count what the SMTP server got."""
from __future__ import annotations

import time
from collections import Counter
from datetime import datetime

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.notify.mime import Email
from coordinator.notify.models import OutboxMessage
from coordinator.notify.services import enqueue


def make_email(n: int = 1, *, to: str | None = None, **extra) -> Email:
    return Email(
        to=to or f"person{n}@agency.test",
        subject=f"Meeting update (ref F-{n:04d})",
        text=f"There is an update for family reference F-{n:04d}.\nhttp://localhost/families/{n}\n",
        html=f"<p>There is an update for family reference F-{n:04d}.</p>",
        **extra,
    )


def queue(key: str, n: int = 1, *, commit: bool = True, not_before: datetime | None = None,
          kind: str = "test", **extra) -> OutboxMessage:
    row = enqueue(key, make_email(n, **extra), kind=kind, not_before=not_before)
    if commit:
        db.session.commit()
    return row


def queue_many(count: int, prefix: str = "msg", **kwargs) -> list[OutboxMessage]:
    rows = [queue(f"{prefix}:{i}", i, commit=False, **kwargs) for i in range(count)]
    db.session.commit()
    return rows


def fresh(message_id: int) -> OutboxMessage:
    """The row as the database holds it now (another session or process may have changed it)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def states() -> Counter:
    """How many messages are in each state, read fresh."""
    db.session.rollback()
    return Counter(state.value for state in db.session.scalars(select(OutboxMessage.state)))


def all_message_ids() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(select(OutboxMessage.message_id)))


def received(server) -> Counter:
    """How many times the SMTP server accepted each Message-ID."""
    return Counter(m["message"]["Message-ID"] for m in server.messages)


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
