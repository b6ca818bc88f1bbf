"""Errors while sending never strand a batch: every message ends sent, pending with a retry, or failed."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from coordinator.extensions import db
from coordinator.notify.models import OutboxState
from coordinator.notify.services import claim_due
from coordinator.notify.transports import make_transport
from coordinator.timeutil import utcnow
from tests.conftest import send_all
from tests.notify.conftest import fresh, queue, queue_many, received, states


def test_an_address_smtp_cannot_carry_fails_alone(smtp_app, smtp_server):
    """The sign-in and user forms accept internationalised addresses; without SMTPUTF8 (the test server,
    like many relays, does not offer it) such a message cannot be sent. It must fail, visibly, on its own."""
    before = queue("a", 1)
    odd = queue("b", 2, to="zoë@agency.test")
    after = queue("c", 3)

    assert send_all() == {"sent": 2, "retry": 0, "failed": 1}
    row = fresh(odd.id)
    assert row.state == OutboxState.FAILED
    assert "zoë@agency.test" in row.last_error
    assert states() == {"sent": 2, "failed": 1}
    # The refused message left the SMTP session clean: the next message in the batch went through.
    assert received(smtp_server) == {before.message_id: 1, after.message_id: 1}


def test_a_file_that_cannot_be_written_is_retried(app):
    rows = queue_many(2, "files")
    first_id = rows[0].id
    mail_dir = Path(app.config["MAIL_DIR"])
    mail_dir.mkdir(parents=True)
    blocker = mail_dir / f"{first_id:06d}-test.eml"
    blocker.mkdir()  # something in the way: writing the first message fails with an OSError

    assert send_all() == {"sent": 1, "retry": 1, "failed": 0}
    row = fresh(first_id)
    assert row.state == OutboxState.PENDING and row.attempts == 1
    assert "cannot write" in row.last_error
    assert states() == {"sent": 1, "pending": 1}
    assert not list(mail_dir.glob("*.part"))

    blocker.rmdir()
    assert send_all(row.next_attempt_at)["sent"] == 1
    assert states() == {"sent": 2}
    assert blocker.is_file()


def test_claims_left_by_an_interrupted_run_are_sent_by_that_senders_next_run(smtp_app, smtp_server):
    rows = queue_many(3, "interrupted")
    # An earlier run of this sender claimed a batch and then stopped on an error (say the database
    # went away for a moment) before sending; the sender itself carries on and still holds the lease.
    assert len(claim_due("test-sender", utcnow(), 10)) == 3
    assert states() == {"sending": 3}

    assert send_all() == {"sent": 3, "retry": 0, "failed": 0}
    assert states() == {"sent": 3}
    assert received(smtp_server) == {fresh(r.id).message_id: 1 for r in rows}


def test_a_database_connection_lost_mid_batch_strands_nothing(smtp_app, smtp_server, backend, database_url):
    if backend != "postgresql":
        pytest.skip("PostgreSQL: a server-side end of the connection; SQLite is covered by the test above")
    rows = queue_many(4, "dbgone")
    admin = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))

    class CuttingTransport:
        """The real SMTP transport; after the second delivery the database ends the sender's connections."""

        def __init__(self):
            self.inner, self.sent = make_transport(), 0

        def open(self):
            self.inner.open()

        def close(self):
            self.inner.close()

        def send(self, **kwargs):
            self.inner.send(**kwargs)
            self.sent += 1
            if self.sent == 2:
                with admin.begin() as conn:
                    conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE datname = current_database() AND pid <> pg_backend_pid()"))

    from coordinator.notify.services import send_due

    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a lost connection
            send_due("test-sender", transport=CuttingTransport())
        db.session.rollback()
        assert states() == {"sent": 1, "sending": 3}  # the second was delivered; its commit was lost

        assert send_all() == {"sent": 3, "retry": 0, "failed": 0}
        assert states() == {"sent": 4}
        got = received(smtp_server)
        assert set(got) == {fresh(r.id).message_id for r in rows}
        assert sum(got.values()) == 5  # the one delivered before its commit was lost went twice
    finally:
        admin.dispose()
