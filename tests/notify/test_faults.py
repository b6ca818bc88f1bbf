"""The outbox under faults, with the real SMTP server: one message that breaks the sender in a way nobody
expected does not hold up the others and ends failed, listed for administrators; a relay down for longer
than a morning loses nothing; an attempt is counted before the message is handed over."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, select, text

from coordinator.extensions import db
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.notify.services import release_abandoned_claims, send_due
from coordinator.notify.transports import make_transport
from coordinator.scheduler.services import acquire_lease
from coordinator.timeutil import utcnow
from tests.conftest import send_all, sign_in
from tests.families.helpers import Page
from tests.notify.conftest import fresh, queue, queue_many, received, states

POISON = "poison@agency.test"


class BrokenForOneRecipient:
    """The real SMTP transport, except that handing over one recipient's message raises an error no
    transport is supposed to raise (a bug, a library's surprise): the fault the outbox must survive."""

    def __init__(self):
        self.real = make_transport()
        self.tried: list[str] = []

    def open(self):
        self.real.open()

    def close(self):
        self.real.close()

    def send(self, *, sender, recipient, data, name):
        self.tried.append(recipient)
        if recipient == POISON:
            raise RuntimeError("the transport tripped over this message")
        self.real.send(sender=sender, recipient=recipient, data=data, name=name)


def test_a_message_that_raises_an_unexpected_error_holds_nothing_up_and_ends_failed(smtp_app, smtp_server, make_user):
    limit = smtp_app.config["OUTBOX_MAX_ATTEMPTS"]
    poison = queue("poison:1", 0, to=POISON)  # queued first, so tried first
    others = queue_many(70, "after-the-poison")
    transport = BrokenForOneRecipient()

    when = utcnow()
    assert send_due("sender", when, transport=transport) == {"sent": 70, "retry": 1, "failed": 0}
    assert received(smtp_server) == {fresh(m.id).message_id: 1 for m in others}  # every other message, once
    row = fresh(poison.id)
    assert row.state == OutboxState.PENDING and row.attempts == 1
    assert row.last_error == "RuntimeError: the transport tripped over this message"
    assert row.next_attempt_at > when  # backed off: not claimed first again at once

    # It is tried again as its back-off allows, and failed once it has used its attempts.
    for attempt in range(2, limit + 1):
        when = row.next_attempt_at
        expected = {"sent": 0, "retry": 0, "failed": 1} if attempt == limit else {"sent": 0, "retry": 1, "failed": 0}
        assert send_due("sender", when, transport=BrokenForOneRecipient()) == expected, attempt
        row = fresh(poison.id)
        assert row.attempts == attempt
    assert row.state == OutboxState.FAILED and f"gave up after {limit} attempts" in row.last_error
    assert states() == {"sent": 70, "failed": 1}
    assert len(smtp_server.messages) == 70

    # Administrators see it, and why.
    make_user("ada@partnership.test", admin=True)
    client = smtp_app.test_client()
    sign_in(client, "ada@partnership.test")
    page = Page(client.get("/admin/outbox"))
    [shown] = [row for row in page.table_rows() if POISON in row]
    assert "RuntimeError: the transport tripped over this message" in shown[5]


def test_the_attempt_is_counted_before_the_message_is_handed_over(smtp_app, smtp_server, database_url):
    """What the database holds at the moment of the send, read over another connection: had the process
    died there, the attempt would still count."""
    row = queue("counted:1", 1)
    other = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    seen = []

    class Watching:
        def __init__(self):
            self.real = make_transport()

        def open(self):
            self.real.open()

        def close(self):
            self.real.close()

        def send(self, **kwargs):
            with other.connect() as conn:
                seen.append(conn.execute(text("SELECT attempts, state FROM outbox_messages WHERE id = :id"),
                                         {"id": row.id}).one())
            self.real.send(**kwargs)

    try:
        assert send_due("sender", transport=Watching()) == {"sent": 1, "retry": 0, "failed": 0}
    finally:
        other.dispose()
    assert [tuple(r) for r in seen] == [(1, "sending")]
    assert fresh(row.id).attempts == 1


def test_a_message_whose_sending_keeps_stopping_the_sender_is_failed(smtp_app, smtp_server):
    """A sender that dies with a message in hand leaves it claimed; the next holder returns it to the queue,
    and once its sends have been interrupted that many times it is failed rather than handed out for ever.
    A message that was only claimed alongside it was never tried, whatever its attempts, and loses nothing."""
    limit = smtp_app.config["OUTBOX_MAX_ATTEMPTS"]
    innocent, culprit = queue("innocent:1", 1), queue("culprit:2", 2)
    db.session.execute(db.update(OutboxMessage).where(OutboxMessage.id.in_([innocent.id, culprit.id])).values(
        state=OutboxState.SENDING, claimed_by="dead-sender", claimed_at=utcnow(), attempts=limit + 3))
    db.session.execute(db.update(OutboxMessage).where(OutboxMessage.id == culprit.id).values(
        in_hand_since=utcnow(), interruptions=limit - 1))
    db.session.commit()
    assert acquire_lease("heir")  # taking the lease over returns the dead sender's claims
    assert release_abandoned_claims("heir") == 0  # (already done)
    returned = fresh(innocent.id)
    assert returned.state == OutboxState.PENDING and returned.interruptions == 0
    failed = fresh(culprit.id)
    assert failed.state == OutboxState.FAILED and failed.failed_at is not None
    assert f"interrupted {limit} times" in failed.last_error
    assert send_all() == {"sent": 1, "retry": 0, "failed": 0}


def test_a_stop_after_an_outage_fails_nothing_that_was_only_waiting(smtp_app, smtp_server):
    """After a relay outage every waiting message has many (temporary) attempts. A stop in the middle of
    the next batch (a deploy) sends the message in hand and returns the others; none of them is failed."""
    limit = smtp_app.config["OUTBOX_MAX_ATTEMPTS"]
    rows = queue_many(4, "after-outage")
    smtp_server.stop()
    when = utcnow()
    for _ in range(limit + 1):
        assert send_all(when)["retry"] == 4
        when = max(fresh(r.id).next_attempt_at for r in rows)
    assert {fresh(r.id).attempts for r in rows} == {limit + 1}
    smtp_server.start()

    answers = iter([True, True])  # the batch starts and one message is sent; then SIGTERM comes
    counts = send_due("deploying", when, still_holder=lambda: next(answers, False))
    assert counts == {"sent": 1, "retry": 0, "failed": 0}
    assert states() == {"sent": 1, "pending": 3}
    assert send_all(when) == {"sent": 3, "retry": 0, "failed": 0}
    assert received(smtp_server) == {fresh(r.id).message_id: 1 for r in rows}


def test_a_relay_down_for_three_hours_loses_nothing(smtp_app, smtp_server):
    rows = queue_many(20, "outage")
    smtp_server.stop()  # the relay is down: connections are refused
    start = when = utcnow()
    tries = 0
    while when - start < timedelta(hours=3):
        outcome = send_all(when)
        assert outcome["failed"] == 0 and outcome["sent"] == 0
        tries += outcome["retry"]
        db.session.rollback()
        when = db.session.scalar(select(db.func.min(OutboxMessage.next_attempt_at)))
    assert states() == {"pending": 20}
    assert tries > 20 * 5  # each retried several times over the three hours
    assert max(fresh(r.id).attempts for r in rows) >= 8  # more than the old limit, which failed them all

    smtp_server.start()  # back, on the same port: each message goes as its back-off next allows
    db.session.rollback()
    later = db.session.scalar(select(db.func.max(OutboxMessage.next_attempt_at)))
    assert later - when <= timedelta(seconds=smtp_app.config["OUTBOX_RETRY_MAX_SECONDS"] * 1.2)
    assert send_all(later) == {"sent": 20, "retry": 0, "failed": 0}
    assert received(smtp_server) == {fresh(r.id).message_id: 1 for r in rows}
