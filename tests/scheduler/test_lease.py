"""The single-runner lease, in process: renewal, expiry, takeover, and the claims a dead holder leaves."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.notify.models import OutboxState
from coordinator.notify.services import claim_due, send_due
from coordinator.scheduler.models import SchedulerLease
from coordinator.scheduler.services import LeaseKeeper, acquire_lease, last_heartbeat, release_lease
from coordinator.timeutil import utcnow
from tests.notify.conftest import fresh, queue_many, received, states


def _lease() -> SchedulerLease:
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalars(select(SchedulerLease)).one()


def test_a_second_holder_cannot_take_a_renewed_lease_but_takes_an_abandoned_one(app):
    app.config["SCHEDULER_LEASE_SECONDS"] = 2
    t0 = utcnow()
    at = lambda seconds: t0 + timedelta(seconds=seconds)  # noqa: E731

    assert acquire_lease("first", at(0))
    assert not acquire_lease("second", at(1))
    assert acquire_lease("first", at(1.5))  # renewed: now held until 3.5
    assert not acquire_lease("second", at(3))
    assert acquire_lease("first", at(3))  # until 5
    assert not acquire_lease("second", at(4.9))
    lease = _lease()
    assert (lease.holder, lease.epoch, lease.expires_at, lease.heartbeat_at) == ("first", 1, at(5), at(3))

    # "first" stops renewing; once its lease has run out "second" takes over.
    assert acquire_lease("second", at(5.1))
    lease = _lease()
    assert (lease.holder, lease.epoch, lease.acquired_at, lease.expires_at) == ("second", 2, at(5.1), at(7.1))
    assert not acquire_lease("first", at(5.2))  # the old holder does not get it back while "second" renews
    assert acquire_lease("second", at(6))
    assert _lease().holder == "second"
    assert db.session.scalars(select(SchedulerLease)).all() == [_lease()]  # one row, one holder


def test_a_second_holder_takes_over_in_real_time_once_the_first_stops_renewing(app):
    app.config["SCHEDULER_LEASE_SECONDS"] = 1.5
    assert acquire_lease("first")
    stop_renewing = time.monotonic() + 1.6
    while time.monotonic() < stop_renewing:  # longer than a lease: only renewal keeps it
        last_renewal = time.monotonic()
        assert acquire_lease("first")
        assert not acquire_lease("second")
        time.sleep(0.2)
    while not acquire_lease("second"):
        assert time.monotonic() - last_renewal < 10, "the abandoned lease was never taken over"
        time.sleep(0.05)
    taken = time.monotonic()
    assert taken - last_renewal >= 1.5 - 0.01  # not before the last renewal had run its course
    assert _lease().holder == "second"


def test_on_takeover_the_dead_holders_claims_return_to_pending_and_are_then_sent(app):
    app.config["SCHEDULER_LEASE_SECONDS"] = 2
    rows = queue_many(5, "takeover")
    t0 = utcnow() + timedelta(seconds=1)
    assert acquire_lease("dead", t0)
    claimed = claim_due("dead", t0, 3)  # ...and then the holder died, mid-batch
    assert len(claimed) == 3
    assert {fresh(i).state for i in claimed} == {OutboxState.SENDING}

    assert not acquire_lease("heir", t0 + timedelta(seconds=1))
    assert {fresh(i).state for i in claimed} == {OutboxState.SENDING}  # not while the lease is held

    assert acquire_lease("heir", t0 + timedelta(seconds=3))
    for message_id in claimed:
        row = fresh(message_id)
        assert row.state == OutboxState.PENDING
        assert row.claimed_by is None and row.claimed_at is None
        assert row.attempts == 0

    assert send_due("heir", t0 + timedelta(seconds=3)) == {"sent": 5, "retry": 0, "failed": 0}
    assert {fresh(r.id).state for r in rows} == {OutboxState.SENT}


def test_a_takeover_leaves_the_new_holders_own_claims_alone(app):
    app.config["SCHEDULER_LEASE_SECONDS"] = 2
    queue_many(4, "own")
    t0 = utcnow() + timedelta(seconds=1)
    assert acquire_lease("old", t0)
    old_claims = claim_due("old", t0, 2)
    mine = claim_due("new", t0, 2)  # e.g. claimed by this process before the lease came to it
    assert acquire_lease("new", t0 + timedelta(seconds=5))
    assert {fresh(i).state for i in old_claims} == {OutboxState.PENDING}
    assert {(fresh(i).state, fresh(i).claimed_by) for i in mine} == {(OutboxState.SENDING, "new")}


def test_a_released_lease_can_be_taken_at_once_and_keeps_its_heartbeat(app):
    app.config["SCHEDULER_LEASE_SECONDS"] = 60
    assert last_heartbeat() is None
    before = utcnow()
    assert acquire_lease("first")
    assert not acquire_lease("second")
    release_lease("first")
    assert last_heartbeat() >= before
    assert acquire_lease("second")
    assert _lease().holder == "second"


def test_the_outbox_job_keeps_its_lease_through_a_batch_longer_than_the_lease(app, slow_smtp_server):
    from coordinator.scheduler.registry import DUE_JOBS

    app.config.update(slow_smtp_server.config())
    app.config["SCHEDULER_LEASE_SECONDS"] = 1.5
    slow_smtp_server.handler.delay = 0.3
    rows = queue_many(7, "long")  # about 2.1 s of sending
    assert acquire_lease("runner")
    started = _lease().heartbeat_at

    def rival(stop: threading.Event) -> int:
        wins = 0
        with app.app_context():
            try:
                while not stop.is_set():
                    wins += acquire_lease("rival")
                    time.sleep(0.1)
            finally:
                db.session.remove()
        return wins

    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        rival_wins = pool.submit(rival, stop)
        try:
            result = DUE_JOBS["send-outbox"](LeaseKeeper("runner"), utcnow())
        finally:
            stop.set()
        assert rival_wins.result(timeout=10) == 0

    assert result == {"sent": 7, "retry": 0, "failed": 0}
    lease = _lease()
    assert (lease.holder, lease.epoch) == ("runner", 1)
    assert (lease.heartbeat_at - started).total_seconds() > 1.5  # renewed as the batch went
    assert {fresh(r.id).state for r in rows} == {OutboxState.SENT}
    assert len(slow_smtp_server.messages) == 7


def test_a_sender_that_loses_the_lease_stops_and_leaves_the_rest_to_the_new_holder(app, smtp_server):
    app.config.update(smtp_server.config())
    app.config["SCHEDULER_LEASE_SECONDS"] = 60
    rows = queue_many(4, "lost")
    assert acquire_lease("old")
    checks = []

    def still_holder() -> bool:
        checks.append(1)
        if len(checks) == 3:  # after the first message, the lease goes to another process
            assert acquire_lease("new", utcnow() + timedelta(seconds=120))
        return acquire_lease("old")

    assert send_due("old", transport=None, still_holder=still_holder) == {"sent": 1, "retry": 0, "failed": 0}
    assert len(smtp_server.messages) == 1
    # The new holder's takeover returned the old sender's unsent claims; it sends them.
    assert states() == {"sent": 1, "pending": 3}
    assert send_due("new") == {"sent": 3, "retry": 0, "failed": 0}
    assert received(smtp_server) == {fresh(r.id).message_id: 1 for r in rows}
