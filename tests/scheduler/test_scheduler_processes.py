"""Real scheduler processes against the test database and a real SMTP server: two at once, one killed.

What the SMTP server received is counted only after the processes have stopped (SIGTERM lets a tick in
progress finish), so a late duplicate cannot slip in after the count.
"""
from __future__ import annotations

import signal

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.scheduler.models import SchedulerLease
from tests.notify.conftest import all_message_ids, queue_many, received, states, wait_until

MESSAGES = 30
KILLED_BATCH = 20


def _lease_rows() -> list[tuple[str, int]]:
    db.session.rollback()
    return [(row.holder, row.epoch) for row in db.session.scalars(select(SchedulerLease))]


def _pid(holder: str) -> int:
    return int(holder.split(":")[2])  # scheduler:<host>:<pid>:<random>


def _wait_all_sent(schedulers, count: int, timeout: float):
    try:
        wait_until(lambda: states() == {"sent": count}, timeout=timeout, message=f"all {count} messages sent")
    except AssertionError as timed_out:
        logs = "\n".join(f"--- process {p.pid} (exit {p.poll()}):\n{schedulers.output(p)[-3000:]}"
                         for p in schedulers.processes)
        raise AssertionError(f"{timed_out}; outbox states {dict(states())}\n{logs}") from None


def _assert_no_errors(schedulers, *processes):
    for process in processes:
        output = schedulers.output(process)
        assert "Traceback" not in output and " ERROR " not in output, output[-4000:]


def test_two_schedulers_started_at_once_send_each_message_once(app, smtp_server, schedulers):
    queue_many(MESSAGES, "pair")
    expected = all_message_ids()

    a = schedulers.start(smtp_server)
    b = schedulers.start(smtp_server)
    try:
        _wait_all_sent(schedulers, MESSAGES, timeout=30)
        assert a.poll() is None and b.poll() is None, "a scheduler exited"
        [(holder, epoch)] = _lease_rows()  # one lease, held by one of the two, never changed hands
        assert _pid(holder) in {a.pid, b.pid}
        assert epoch == 1
    finally:
        codes = [schedulers.stop(process) for process in (a, b)]
    assert codes == [0, 0]
    assert received(smtp_server) == {message_id: 1 for message_id in expected}
    assert states() == {"sent": MESSAGES}
    _assert_no_errors(schedulers, a, b)


def test_a_backlog_longer_than_the_lease_is_still_sent_once_by_two_schedulers(app, slow_smtp_server, schedulers):
    """30 messages at 0.15 s each keep the holder busy for 4.5 s, longer than its 3 s lease: the other
    scheduler must not take the lease (and the unsent messages) from a holder that is alive and sending."""
    slow_smtp_server.handler.delay = 0.15
    queue_many(MESSAGES, "backlog")
    expected = all_message_ids()

    a = schedulers.start(slow_smtp_server)
    b = schedulers.start(slow_smtp_server)
    try:
        _wait_all_sent(schedulers, MESSAGES, timeout=40)
        [(holder, epoch)] = _lease_rows()
        assert _pid(holder) in {a.pid, b.pid}
        assert epoch == 1, "the lease changed hands while its holder was sending"
    finally:
        codes = [schedulers.stop(process) for process in (a, b)]
    assert codes == [0, 0]
    assert received(slow_smtp_server) == {message_id: 1 for message_id in expected}
    _assert_no_errors(schedulers, a, b)


def test_a_scheduler_killed_mid_batch_loses_nothing(app, slow_smtp_server, schedulers):
    slow_smtp_server.handler.delay = 0.1
    queue_many(KILLED_BATCH, "killed")
    expected = all_message_ids()

    first = schedulers.start(slow_smtp_server)
    try:
        # Mid-batch: some messages delivered, the rest claimed by the first process and not yet sent.
        wait_until(lambda: len(slow_smtp_server.messages) >= 5, timeout=20, message="the batch under way")
    finally:
        schedulers.stop(first, signal.SIGKILL)
    assert first.returncode == -signal.SIGKILL
    counts = states()
    assert counts["sending"] > 0, counts  # the kill really left work claimed by a dead process
    assert counts["sent"] < KILLED_BATCH

    second = schedulers.start(slow_smtp_server)
    try:
        _wait_all_sent(schedulers, KILLED_BATCH, timeout=40)
        [(holder, epoch)] = _lease_rows()
        assert _pid(holder) == second.pid and epoch == 2
    finally:
        code = schedulers.stop(second)
    assert code == 0
    got = received(slow_smtp_server)
    assert set(got) == expected  # nothing lost
    # Only the one message being handed to SMTP when the process died can have gone twice.
    assert sum(got.values()) - len(expected) <= 1, got
    assert states() == {"sent": KILLED_BATCH}  # nothing left pending or sending
    output = schedulers.output(second)
    assert "took over the scheduler lease" in output and "returned to the queue" in output
    _assert_no_errors(schedulers, second)


def test_a_stopped_scheduler_hands_the_lease_over_at_once(app, smtp_server, schedulers):
    a = schedulers.start(smtp_server)
    b = schedulers.start(smtp_server)
    try:
        wait_until(lambda: _lease_rows(), timeout=15, message="a scheduler to take the lease")
        db.session.rollback()
        lease = db.session.scalars(select(SchedulerLease)).one()
        first, second = (a, b) if _pid(lease.holder) == a.pid else (b, a)
        held_until_at_least = lease.expires_at  # renewals only push this later
        assert schedulers.stop(first) == 0  # SIGTERM: a clean stop gives the lease up
        wait_until(lambda: _pid(_lease_rows()[0][0]) == second.pid, timeout=5, message="the hand-over")
        db.session.rollback()
        lease = db.session.scalars(select(SchedulerLease)).one()
        assert lease.epoch == 2
        assert lease.acquired_at < held_until_at_least  # taken at once, not after the lease ran out
    finally:
        for process in (a, b):
            schedulers.stop(process)
    _assert_no_errors(schedulers, a, b)
