"""Stopping and losing the lease, with real scheduler processes and a real SMTP server: SIGTERM during a
backlog exits within seconds, finishing only the message in hand, and nothing goes twice; a relay that
accepts connections and never answers does not hold the stop up either; a due job that loses the lease
stops before writing more."""
from __future__ import annotations

import signal
import socket
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.scheduler.models import SchedulerLease
from coordinator.timeutil import utcnow
from tests.families.conftest import world  # noqa: F401  (the fixture, re-used here)
from tests.notify.conftest import all_message_ids, queue_many, received, states, wait_until

STOP_WITHIN = 5  # seconds, from SIGTERM to the process gone
BACKLOG = 250


def stopped_within(schedulers, process) -> float:
    started = time.monotonic()
    code = schedulers.stop(process, signal.SIGTERM, timeout=30)
    took = time.monotonic() - started
    print(f"stopped {took:.2f} s after SIGTERM")  # shown with pytest -s; the figure the closing note gives
    assert code == 0, schedulers.output(process)[-3000:]
    return took


def lease_free_now() -> bool:
    db.session.rollback()
    lease = db.session.scalars(select(SchedulerLease)).one()
    return lease.expires_at <= utcnow()


def test_sigterm_during_a_backlog_stops_within_seconds_and_sends_nothing_twice(app, slow_smtp_server, schedulers):
    slow_smtp_server.handler.delay = 0.02
    queue_many(BACKLOG, "backlog")  # several seconds of sending
    expected = all_message_ids()
    first = schedulers.start(slow_smtp_server)
    wait_until(lambda: len(slow_smtp_server.messages) >= 20, timeout=30, message="the backlog under way")

    assert stopped_within(schedulers, first) < STOP_WITHIN
    counts = states()
    assert "sending" not in counts, counts  # what it had claimed and not sent went back to the queue
    assert 20 <= counts["sent"] < BACKLOG and counts["sent"] + counts["pending"] == BACKLOG
    assert lease_free_now()  # given up at once: the next scheduler need not wait the lease out
    assert "stopped" in schedulers.output(first)

    second = schedulers.start(slow_smtp_server)
    try:
        wait_until(lambda: states() == {"sent": BACKLOG}, timeout=60, message="the rest sent by the next scheduler")
    finally:
        schedulers.stop(second)
    assert received(slow_smtp_server) == {message_id: 1 for message_id in expected}  # each once


class SilentRelay:
    """Accepts SMTP connections and never says a word: the sender waits for a greeting that never comes."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        self.listener.settimeout(0.2)
        while self.running:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            self.connections.append(connection)

    def close(self):
        self.running = False
        for connection in self.connections:
            connection.close()
        self.listener.close()


def test_sigterm_while_a_relay_never_answers_still_stops_within_seconds(app, smtp_server, schedulers):
    queue_many(5, "stuck")
    expected = all_message_ids()
    relay = SilentRelay()
    try:
        first = schedulers.start(relay, SMTP_TIMEOUT_SECONDS=45)
        wait_until(lambda: relay.connections and states().get("sending"), timeout=30,
                   message="a message in hand, waiting on the relay")
        assert stopped_within(schedulers, first) < STOP_WITHIN
        assert "next holder redoes it" in schedulers.output(first)
        assert lease_free_now()
    finally:
        relay.close()

    # The next scheduler, with a relay that answers, takes over at once and sends every message once.
    second = schedulers.start(smtp_server)
    try:
        wait_until(lambda: states() == {"sent": 5}, timeout=30, message="the messages sent by the next holder")
    finally:
        schedulers.stop(second)
    assert received(smtp_server) == {message_id: 1 for message_id in expected}


def test_a_due_job_that_loses_the_lease_stops_before_writing_more(app, world):
    """The update-request job works a batch of meetings at a time (here one meeting per batch). Another
    scheduler takes the lease after its first batch (this one was stalled past the lease): the job stops
    there, and writes nothing more."""
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from coordinator.scheduler.services import LeaseKeeper, acquire_lease, release_lease
    from coordinator.submissions.models import SubmissionRequest
    from coordinator.submissions.services import run_requests

    for week in range(3):  # three more series, so the job has several meetings to go through
        schedule = meetings.Schedule(MeetingType.PROFESSIONALS, world.series.first_date + timedelta(days=week + 1),
                                     world.series.start_time, 60, Recurrence.WEEKLY, 2, SeriesEnd.AFTER_COUNT, count=2)
        meetings.create_series(world.family, schedule, actor=world.lead, chair=world.lead, minute_taker=None,
                               invitees=[world.member], notify=False)
    db.session.commit()

    class StalledAfterTheFirstMeeting(LeaseKeeper):
        checks = 0

        def may_go_on(self) -> bool:
            self.checks += 1
            if self.checks == 2:  # after the first meeting's step: stalled, the lease ran out and was taken
                release_lease(self.holder)
                assert acquire_lease("scheduler:elsewhere")
                self._renewed = float("-inf")  # so this check asks the database, as it would by now
            return super().may_go_on()

    def meetings_asked() -> int:
        db.session.rollback()
        return db.session.scalars(select(func.count(func.distinct(SubmissionRequest.occurrence_id)))).one()

    app.config["UPDATE_REQUESTS_BATCH"] = 1  # a step per meeting, so the stall falls between two
    assert acquire_lease("scheduler:here")
    keeper = StalledAfterTheFirstMeeting("scheduler:here")
    run_requests(utcnow(), may_go_on=keeper.may_go_on)
    assert keeper.checks == 2
    assert meetings_asked() == 1  # the first meeting only: nothing written after the lease was lost

    # The scheduler now holding the lease does the rest.
    from coordinator.scheduler.registry import Unlimited

    run_requests(utcnow(), may_go_on=Unlimited().may_go_on)
    assert meetings_asked() >= 4


class LeaseRowLocked:
    """Another connection holds the lease row (PostgreSQL) or the whole database (SQLite) for writing, as a
    database that has stopped answering would: giving the lease up blocks."""

    def __init__(self, database_url: str):
        self.database_url = database_url

    def __enter__(self):
        if self.database_url.startswith("sqlite"):
            import sqlite3

            self.connection = sqlite3.connect(self.database_url.split("///", 1)[1], isolation_level=None)
            self.connection.execute("BEGIN EXCLUSIVE")
        else:
            import psycopg

            self.connection = psycopg.connect(self.database_url.replace("postgresql+psycopg://", "postgresql://"))
            self.connection.execute("SELECT * FROM scheduler_leases FOR UPDATE")
        return self

    def __exit__(self, *exc):
        self.connection.rollback()
        self.connection.close()


def test_sigterm_while_the_database_does_not_answer_still_stops_within_seconds(app, smtp_server, schedulers,
                                                                               database_url):
    first = schedulers.start(smtp_server)
    def lease_held() -> bool:
        db.session.rollback()
        lease = db.session.scalars(select(SchedulerLease)).first()
        return lease is not None and lease.expires_at > utcnow()

    wait_until(lease_held, timeout=30, message="the scheduler holding the lease")
    db.session.rollback()
    with LeaseRowLocked(database_url):
        time.sleep(0.5)
        assert stopped_within(schedulers, first) < STOP_WITHIN
    assert "next holder redoes it" in schedulers.output(first)
