"""Sending the outbox through a real SMTP server: success, temporary and permanent refusals, an outage."""
from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr

from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.notify.models import OutboxState
from coordinator.notify.services import retry_delay
from coordinator.timeutil import utcnow
from tests.conftest import csrf_from, send_all, sign_in
from tests.notify.conftest import fresh, queue, queue_many, received


def test_a_message_arrives_over_smtp_and_is_marked_sent(smtp_app, smtp_server):
    row = queue("invite:1", 1, to="pat@agency.test")
    before = utcnow()

    assert send_all() == {"sent": 1, "retry": 0, "failed": 0}

    [delivered] = smtp_server.messages
    assert delivered["from"] == "coordinator@partnership.test"  # the envelope sender, without the name
    assert delivered["to"] == ["pat@agency.test"]
    msg = delivered["message"]  # parsed by the server with email.message_from_bytes, as a mail client would
    assert parseaddr(msg["From"]) == ("Coordinator", "coordinator@partnership.test")
    assert msg["To"] == "pat@agency.test"
    assert msg["Subject"] == "Meeting update (ref F-0001)"
    assert msg["Message-ID"] == row.message_id
    assert msg.get_body(("plain",)).get_content().startswith("There is an update for family reference F-0001")
    assert msg.get_body(("html",)).get_content().strip() == "<p>There is an update for family reference F-0001.</p>"

    row = fresh(row.id)
    assert row.state == OutboxState.SENT
    assert row.attempts == 1
    assert row.sent_at is not None and row.sent_at >= before
    assert row.claimed_by is None and row.claimed_at is None and row.last_error is None

    assert send_all(utcnow() + timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(smtp_server.messages) == 1


def test_retry_delay_backs_off_with_jitter_within_bounds(app):
    base, cap = app.config["OUTBOX_RETRY_BASE_SECONDS"], app.config["OUTBOX_RETRY_MAX_SECONDS"]
    for attempts in range(1, 12):
        nominal = min(cap, base * 2 ** (attempts - 1))
        delays = {retry_delay(attempts).total_seconds() for _ in range(50)}
        assert all(0.8 * nominal <= d <= 1.2 * nominal for d in delays), (attempts, nominal, delays)
        assert len(delays) > 1  # there is jitter: many senders retrying do not all come back at once


def test_a_temporary_refusal_is_retried_later_and_delivered_once(smtp_app, smtp_server):
    row = queue("reminder:1", 1)
    smtp_server.reply_next("451 4.3.0 try later")
    now = utcnow()

    assert send_all(now) == {"sent": 0, "retry": 1, "failed": 0}
    assert smtp_server.messages == []
    row = fresh(row.id)
    assert row.state == OutboxState.PENDING
    assert row.attempts == 1
    assert "451" in row.last_error and "try later" in row.last_error
    base = smtp_app.config["OUTBOX_RETRY_BASE_SECONDS"]
    assert now + timedelta(seconds=0.8 * base) <= row.next_attempt_at <= now + timedelta(seconds=1.2 * base)
    assert row.claimed_by is None

    # Not due yet: a send a little later does nothing.
    assert send_all(now + timedelta(seconds=30)) == {"sent": 0, "retry": 0, "failed": 0}
    assert smtp_server.messages == []

    # Due: delivered.
    assert send_all(row.next_attempt_at) == {"sent": 1, "retry": 0, "failed": 0}
    row = fresh(row.id)
    assert row.state == OutboxState.SENT
    assert row.attempts == 2
    assert row.last_error is None
    assert send_all(utcnow() + timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert received(smtp_server) == {row.message_id: 1}


def test_a_second_temporary_refusal_waits_longer(smtp_app, smtp_server):
    row = queue("reminder:2", 2)
    smtp_server.reply_next("451 4.3.0 try later", "452 4.2.2 mailbox full")
    now = utcnow()
    send_all(now)
    first_due = fresh(row.id).next_attempt_at
    send_all(first_due)
    row = fresh(row.id)
    assert row.state == OutboxState.PENDING and row.attempts == 2 and "452" in row.last_error
    base = smtp_app.config["OUTBOX_RETRY_BASE_SECONDS"]
    assert first_due + timedelta(seconds=1.6 * base) <= row.next_attempt_at <= first_due + timedelta(seconds=2.4 * base)


def test_a_permanent_refusal_fails_and_an_administrator_can_resend_it(smtp_app, smtp_server, client, make_user):
    row = queue("invite:gone", 5, to="gone@agency.test")
    smtp_server.reply_next("550 5.1.1 no such user")

    assert send_all() == {"sent": 0, "retry": 0, "failed": 1}
    row = fresh(row.id)
    assert row.state == OutboxState.FAILED
    assert row.attempts == 1
    assert row.last_error == "550 5.1.1 no such user"
    assert smtp_server.messages == []
    # A failed message is not tried again by later runs.
    assert send_all(utcnow() + timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}

    make_user("admin@partnership.test", "Ada Admin", admin=True)
    sign_in(client, "admin@partnership.test")
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "gone@agency.test" in html
    assert "Meeting update (ref F-0005)" in html
    assert "550 5.1.1 no such user" in html
    assert f"/admin/outbox/{row.id}/resend" in html
    assert "Failed: 1." in html

    # Without the form's CSRF token the resend is refused and changes nothing.
    assert client.post(f"/admin/outbox/{row.id}/resend").status_code == 400
    assert fresh(row.id).state == OutboxState.FAILED

    response = client.post(f"/admin/outbox/{row.id}/resend", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    row = fresh(row.id)
    assert row.state == OutboxState.PENDING
    assert row.attempts == 0
    assert row.last_error is None
    assert row.next_attempt_at <= utcnow()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox_resend")).one()
    assert event.object_id == str(row.id)
    assert "No email has failed." in client.get("/admin/outbox").get_data(as_text=True)

    assert send_all() == {"sent": 1, "retry": 0, "failed": 0}
    assert fresh(row.id).state == OutboxState.SENT
    assert received(smtp_server) == {row.message_id: 1}
    assert smtp_server.messages[0]["to"] == ["gone@agency.test"]


def test_a_practitioner_cannot_see_or_resend_failed_messages(smtp_app, smtp_server, client, make_user):
    row = queue("invite:gone", 5)
    smtp_server.reply_next("550 5.1.1 no such user")
    send_all()
    make_user("pat@partnership.test", "Pat Worker")
    sign_in(client, "pat@partnership.test")
    # A valid token from a page the practitioner may open, so only their role can be what refuses them.
    token = csrf_from(client.get("/account").get_data(as_text=True))

    response = client.get("/admin/outbox")
    assert response.status_code == 403
    assert "person5@agency.test" not in response.get_data(as_text=True)
    response = client.post(f"/admin/outbox/{row.id}/resend", data={"csrf_token": token})
    assert response.status_code == 403
    assert fresh(row.id).state == OutboxState.FAILED


def test_messages_wait_out_an_smtp_outage_and_each_arrives_once(smtp_app, smtp_server):
    rows = queue_many(3, "outage")
    smtp_server.stop()
    try:
        now = utcnow()
        assert send_all(now) == {"sent": 0, "retry": 3, "failed": 0}
        for row in rows:
            row = fresh(row.id)
            assert row.state == OutboxState.PENDING
            assert row.attempts == 1
            assert "cannot connect" in row.last_error
            assert row.next_attempt_at > now
        # Still down at the next attempt: still pending, never failed.
        later = max(fresh(r.id).next_attempt_at for r in rows)
        assert send_all(later) == {"sent": 0, "retry": 3, "failed": 0}
        assert {fresh(r.id).state for r in rows} == {OutboxState.PENDING}
        assert {fresh(r.id).attempts for r in rows} == {2}
    finally:
        smtp_server.start()  # the same port

    # Back up, but nothing is due before its next attempt.
    assert send_all(later) == {"sent": 0, "retry": 0, "failed": 0}
    assert smtp_server.messages == []

    due = max(fresh(r.id).next_attempt_at for r in rows)
    assert send_all(due) == {"sent": 3, "retry": 0, "failed": 0}
    assert send_all(due + timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert received(smtp_server) == {fresh(r.id).message_id: 1 for r in rows}
    assert {fresh(r.id).state for r in rows} == {OutboxState.SENT}


def test_a_relay_refusing_for_now_is_retried_with_capped_back_off_for_the_whole_window(smtp_app, smtp_server):
    """A relay answering 451 is tried again, each wait longer up to the cap, until the retry window (48
    hours by default) has passed since the message was due; only then is it failed and listed."""
    cfg = smtp_app.config
    window = timedelta(hours=cfg["OUTBOX_RETRY_WINDOW_HOURS"])
    cap = timedelta(seconds=cfg["OUTBOX_RETRY_MAX_SECONDS"])
    assert window >= timedelta(hours=48)
    row = queue("flaky:1", 1)
    due = fresh(row.id).due_at
    smtp_server.reply_next(*["451 4.3.0 try later"] * 400)

    when, waits = utcnow(), []
    while True:
        outcome = send_all(when)
        row = fresh(row.id)
        if row.state == OutboxState.FAILED:
            break
        assert outcome == {"sent": 0, "retry": 1, "failed": 0} and row.state == OutboxState.PENDING
        waits.append(row.next_attempt_at - when)
        when = row.next_attempt_at
    assert outcome == {"sent": 0, "retry": 0, "failed": 1}
    assert when - due >= window  # not before the window was over
    assert when - due <= window + cap * 1.2  # and not long after
    assert waits[1] > waits[0] and max(waits) <= cap * 1.2  # backing off, up to the cap (with jitter)
    assert row.attempts == len(waits) + 1 > 80
    assert "451" in row.last_error and "retry window" in row.last_error
    assert send_all(when + timedelta(days=30)) == {"sent": 0, "retry": 0, "failed": 0}
    assert smtp_server.messages == []


def test_sending_costs_one_database_statement_per_message(smtp_app, smtp_server):
    """Each message is recorded as sent by the statement that takes the next one in hand: a backlog costs
    one statement a message, plus a handful for each batch (claim, read, release)."""
    from coordinator.notify.services import send_due
    from tests.families.helpers import counting_queries

    smtp_app.config["OUTBOX_BATCH_SIZE"] = 100

    def statements_to_send(count: int, prefix: str) -> int:
        queue_many(count, prefix)
        with counting_queries(db.engine) as statements:
            assert send_due(f"sender-{prefix}") == {"sent": count, "retry": 0, "failed": 0}
        return len(statements)

    small, large = statements_to_send(10, "small"), statements_to_send(60, "large")
    assert large - small == 50, (small, large)
    assert small <= 10 + 10  # the claim, read and release of a batch, and the connection set up
    assert len(smtp_server.messages) == 70
