"""Two senders claiming due messages at the same moment never claim the same one, on either database."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from coordinator.extensions import db
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.notify.services import claim_due
from coordinator.timeutil import utcnow
from tests.notify.conftest import queue_many

ROUNDS = 4
PER_ROUND = 40
SENDERS = 2


def test_concurrent_claims_never_share_a_message(app, backend):
    if backend == "sqlite":
        assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and ":memory:" not in \
            app.config["SQLALCHEMY_DATABASE_URI"]  # one file, several connections
    for round_ in range(ROUNDS):
        due_ids = {row.id for row in queue_many(PER_ROUND, f"round{round_}")}
        now = utcnow() + timedelta(seconds=1)
        barrier = threading.Barrier(SENDERS)

        def sender(n: int, limit: int, barrier=barrier, now=now) -> list[int]:
            got: list[int] = []
            with app.app_context():  # its own application context, so its own session and connection
                try:
                    barrier.wait(timeout=10)
                    while True:
                        ids = claim_due(f"sender-{n}", now, limit)
                        if not ids:
                            return got
                        got.extend(ids)
                finally:
                    db.session.remove()

        # Alternate between small batches (many interleaved claims) and one big grab each.
        limit = 3 if round_ % 2 == 0 else PER_ROUND
        with ThreadPoolExecutor(SENDERS) as pool:
            results = [f.result(timeout=60) for f in [pool.submit(sender, n, limit) for n in range(SENDERS)]]

        for got in results:
            assert len(got) == len(set(got))
        assert not set(results[0]) & set(results[1]), f"both senders claimed {set(results[0]) & set(results[1])}"
        assert set(results[0]) | set(results[1]) == due_ids

        db.session.rollback()
        rows = db.session.execute(select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.claimed_by)
                                  .where(OutboxMessage.id.in_(due_ids))).all()
        for id_, state, claimed_by in rows:
            assert state == OutboxState.SENDING
            assert claimed_by == ("sender-0" if id_ in results[0] else "sender-1")


def test_a_claimed_message_is_not_claimed_again(app):
    rows = queue_many(5, "once")
    now = utcnow() + timedelta(seconds=1)
    first = claim_due("a", now, 3)
    second = claim_due("b", now, 10)
    assert len(first) == 3 and len(second) == 2
    assert set(first) | set(second) == {r.id for r in rows}
    assert claim_due("c", now, 10) == []


def test_a_message_not_yet_due_is_not_claimed(app):
    now = utcnow()
    [later] = queue_many(1, "later", not_before=now + timedelta(minutes=5))
    [due] = queue_many(1, "due")
    # "Now" is read again: queuing may take a while on a loaded machine, and "due" is due from when it was queued.
    assert claim_due("a", utcnow() + timedelta(seconds=1), 10) == [due.id]
    assert claim_due("a", now + timedelta(minutes=5), 10) == [later.id]


def test_postgresql_claims_skip_rows_another_sender_has_locked(app, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's row locks; SQLite's conditional update is covered by the concurrent test")
    rows = queue_many(4, "locked")
    now = utcnow() + timedelta(seconds=1)
    locked = {rows[0].id, rows[1].id}
    with db.engine.connect() as other:  # another sender, mid-claim, holding two rows
        other.execute(text("SELECT id FROM outbox_messages WHERE id IN (:a, :b) FOR UPDATE"),
                      {"a": rows[0].id, "b": rows[1].id})
        claimed = claim_due("b", now, 10)  # does not wait for the other transaction
        assert set(claimed) == {rows[2].id, rows[3].id}
        other.rollback()
    assert set(claim_due("b", now, 10)) == locked
