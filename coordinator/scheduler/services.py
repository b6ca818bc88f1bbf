"""The single-runner lease and the tick that runs every due job.

Any number of scheduler processes may be started; only the holder of the unexpired lease runs jobs.
The others keep trying and take over once the holder stops renewing (it died or was stopped).
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from coordinator.extensions import db
from coordinator.scheduler.models import SchedulerLease
from coordinator.scheduler.registry import DUE_JOBS
from coordinator.timeutil import utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


def new_holder_id(kind: str = "scheduler") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(holder: str, now: datetime | None = None) -> bool:
    """Take or renew the lease. Returns True when ``holder`` holds it until now + lease seconds."""
    now = now or utcnow()
    expires = now + timedelta(seconds=current_app.config["SCHEDULER_LEASE_SECONDS"])
    renewed = db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=expires, heartbeat_at=now)
    )
    if renewed.rowcount == 1:
        db.session.commit()
        return True
    taken = db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.expires_at < now)
        .values(holder=holder, acquired_at=now, expires_at=expires, heartbeat_at=now,
                epoch=SchedulerLease.epoch + 1)
    )
    if taken.rowcount == 1:
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


def _on_takeover(holder: str) -> None:
    from coordinator.notify.services import release_abandoned_claims

    released = release_abandoned_claims(holder)
    if released:
        log.warning("took over the scheduler lease; %d message(s) claimed by the previous holder returned "
                    "to the queue", released)


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
    lease is renewed before each job, and the run stops if another process has taken it over."""
    results: dict[str, object] = {}
    for name, job in DUE_JOBS.items():
        if not acquire_lease(holder):
            log.warning("lost the scheduler lease before job %s; stopping this run", name)
            break
        try:
            results[name] = job(holder, now or utcnow())
        except Exception:  # noqa: BLE001 - a failing job must not stop the scheduler
            db.session.rollback()
            log.exception("due job %s failed", name)
            results[name] = "error"
    return results


def tick(holder: str) -> dict[str, object] | None:
    """One scheduler tick: renew (or wait for) the lease, then do whatever is due."""
    try:
        if not acquire_lease(holder):
            return None
        return run_due_jobs(holder)
    finally:
        db.session.remove()


def last_heartbeat() -> datetime | None:
    return db.session.scalar(select(SchedulerLease.heartbeat_at).where(SchedulerLease.name == LEASE_NAME))


def run_forever(app) -> None:
    """The scheduler process: APScheduler runs one tick job at a fixed interval."""
    import signal

    from apscheduler.schedulers.blocking import BlockingScheduler

    holder = new_holder_id()
    scheduler = BlockingScheduler(timezone="UTC")

    def job():
        with app.app_context():
            tick(holder)

    scheduler.add_job(job, "interval", seconds=app.config["SCHEDULER_TICK_SECONDS"], id="tick",
                      max_instances=1, coalesce=True, next_run_time=datetime.now().astimezone())

    def stop(signum, frame):
        # Wait for a tick under way: finishing after release_lease below, it would renew the lease it
        # had just given up, and the next scheduler would wait the whole lease out.
        if scheduler.running:
            scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler %s started; tick every %ss", holder, app.config["SCHEDULER_TICK_SECONDS"])
    try:
        scheduler.start()
    finally:
        with app.app_context():
            release_lease(holder)
