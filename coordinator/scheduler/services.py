"""The single-runner lease and the tick that runs every due job.

Any number of scheduler processes may be started; only the holder of the unexpired lease runs jobs.
The others keep trying and take over once the holder stops renewing (it died or was stopped).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from coordinator.extensions import db, rows_matched
from coordinator.scheduler.models import SchedulerLease
from coordinator.scheduler.registry import DUE_JOBS
from coordinator.scheduler.signals import lease_taken_over
from coordinator.timeutil import utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


def new_holder_id(kind: str = "scheduler") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(holder: str, now: datetime | None = None) -> bool:
    """Take or renew the lease. Returns True when ``holder`` holds it until now + lease seconds."""
    now = now or utcnow()
    if renew_lease(holder, now):
        return True
    expires = now + timedelta(seconds=current_app.config["SCHEDULER_LEASE_SECONDS"])
    taken = rows_matched(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.expires_at < now)
        .values(holder=holder, acquired_at=now, expires_at=expires, heartbeat_at=now,
                epoch=SchedulerLease.epoch + 1)
    )
    if taken == 1:
        db.session.commit()
        _on_takeover(holder)
        return True
    db.session.rollback()
    if db.session.get(SchedulerLease, LEASE_NAME) is not None:
        db.session.rollback()
        return False
    try:
        db.session.add(SchedulerLease(name=LEASE_NAME, holder=holder, acquired_at=now, expires_at=expires,
                                      heartbeat_at=now, epoch=1))
        db.session.commit()
    except IntegrityError:  # another process created it first
        db.session.rollback()
        return False
    _on_takeover(holder)
    return True


def renew_lease(holder: str, now: datetime | None = None) -> bool:
    """Renew the lease ``holder`` holds; False (and nothing changed) if another process holds it now."""
    now = now or utcnow()
    expires = now + timedelta(seconds=current_app.config["SCHEDULER_LEASE_SECONDS"])
    renewed = rows_matched(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=expires, heartbeat_at=now)
    )
    db.session.commit()
    return renewed == 1


# Set by SIGTERM (or SIGINT): jobs stop at their next step, the sender after the message in hand.
_stopping = threading.Event()


def request_stop() -> None:
    _stopping.set()


def stop_requested() -> bool:
    return _stopping.is_set()


class LeaseKeeper:
    """What a due job asks between its steps (coordinator.scheduler.registry). The lease is renewed once a
    third of it has passed since the last renewal: until then no other process can have taken it, since a
    lease is only ever taken once it has expired."""

    def __init__(self, holder: str):
        self.holder = holder
        self._renewed = time.monotonic()

    def renew(self) -> bool:
        if renew_lease(self.holder):
            self._renewed = time.monotonic()
            return True
        log.warning("scheduler %s lost its lease; stopping the job in hand", self.holder)
        return False

    def may_go_on(self) -> bool:
        if stop_requested():
            return False
        if time.monotonic() - self._renewed < current_app.config["SCHEDULER_LEASE_SECONDS"] / 3:
            return True
        return self.renew()


def _on_takeover(holder: str) -> None:
    lease_taken_over.send(holder)  # the areas give back what the previous holder left claimed


def release_lease(holder: str) -> None:
    """Give the lease up at once (on a clean stop) so another process need not wait for it to expire."""
    db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def run_due_jobs(holder: str, now: datetime | None = None) -> dict[str, object]:
    """Run every registered due job once. One job's failure is logged and does not stop the others. The
    lease is renewed before each job and between a job's steps; the run stops once it is lost, or once
    the scheduler is asked to stop."""
    results: dict[str, object] = {}
    keeper = LeaseKeeper(holder)
    for name, job in DUE_JOBS.items():
        if stop_requested():
            break
        if not keeper.renew():
            log.warning("lost the scheduler lease before job %s; stopping this run", name)
            break
        try:
            results[name] = job(keeper, now or utcnow())
        except Exception:  # noqa: BLE001 - a failing job must not stop the scheduler
            db.session.rollback()
            log.exception("due job %s failed", name)
            results[name] = "error"
    return results


def tick(holder: str) -> dict[str, object] | None:
    """One scheduler tick: renew (or wait for) the lease, then do whatever is due."""
    try:
        if stop_requested() or not acquire_lease(holder):  # a tick queued as the stop came renews nothing
            return None
        return run_due_jobs(holder)
    finally:
        db.session.remove()


def last_heartbeat() -> datetime | None:
    return db.session.scalar(select(SchedulerLease.heartbeat_at).where(SchedulerLease.name == LEASE_NAME))


def _release(app, holder: str) -> None:
    with app.app_context():
        try:
            release_lease(holder)
        finally:
            db.session.remove()


def _in_background(work: Callable[[], None], timeout: float) -> bool:
    """Run ``work`` on a daemon thread; True once it has returned without error within ``timeout``."""
    done, succeeded = threading.Event(), []

    def run():
        try:
            work()
            succeeded.append(True)
        except Exception:  # noqa: BLE001 - logged; the caller exits either way
            log.exception("giving up the scheduler lease failed; it will expire instead")
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name="release-lease").start()
    return done.wait(timeout) and bool(succeeded)


def run_forever(app) -> None:
    """The scheduler process: APScheduler runs one tick job at a fixed interval.

    SIGTERM (or SIGINT) stops it within a few seconds whatever the backlog: the tick in progress finishes
    the message or step in hand and returns its other claims to the queue, then the lease is given up at
    once. A tick still stuck after SCHEDULER_STOP_GRACE_SECONDS (a relay that accepts connections and
    never answers), or a database that does not answer when the lease is given up, is abandoned: the
    process exits, and the next holder sends that message again (or waits for the lease to expire).
    """
    import signal

    from apscheduler.schedulers.blocking import BlockingScheduler

    holder = new_holder_id()
    scheduler = BlockingScheduler(timezone="UTC")
    idle = threading.Event()
    idle.set()

    def job():
        idle.clear()
        try:
            with app.app_context():
                tick(holder)
        finally:
            idle.set()

    scheduler.add_job(job, "interval", seconds=app.config["SCHEDULER_TICK_SECONDS"], id="tick",
                      max_instances=1, coalesce=True, next_run_time=datetime.now().astimezone())

    def stop(signum, frame):
        request_stop()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler %s started; tick every %ss", holder, app.config["SCHEDULER_TICK_SECONDS"])
    try:
        scheduler.start()
    finally:
        request_stop()
        grace = float(app.config["SCHEDULER_STOP_GRACE_SECONDS"])
        deadline = time.monotonic() + grace
        finished = idle.wait(grace)
        # Only after the tick has finished (its sender gave back what it had not sent) or been given up: a
        # tick finishing later would renew the lease. On its own thread, within what is left of the grace
        # (a second at least), as the database may be what is stuck; the lease then simply expires.
        released = _in_background(lambda: _release(app, holder), max(1.0, deadline - time.monotonic()))
        if not (finished and released):
            log.warning("scheduler %s stopped with %s still in hand after %ss; the next holder redoes it",
                        holder, "a step" if not finished else "the lease", grace)
            logging.shutdown()
            os._exit(0)
    log.info("scheduler %s stopped", holder)
