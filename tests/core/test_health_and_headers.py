"""/healthz for monitoring: 200 when the service can do its work; 503, with the reasons, when the scheduler
has stopped, mail is held up, or failures are accumulating; the same answer whoever asks."""
from datetime import timedelta

from sqlalchemy import update

from coordinator.extensions import db
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.scheduler.services import acquire_lease
from coordinator.timeutil import utcnow
from tests.conftest import sign_in
from tests.notify.conftest import queue, queue_many


def health(client):
    response = client.get("/healthz")
    return response.status_code, response.get_json()


def test_healthz_reports_database_scheduler_and_outbox(client):
    assert acquire_lease("scheduler:test")  # a scheduler at work: its heartbeat is fresh
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok" and body["reasons"] == []
    assert body["database"]["state"] == "ok"
    assert 0 <= body["scheduler"]["heartbeat_age_seconds"] <= 5
    assert body["outbox"] == {"pending": 0, "oldest_pending_age_seconds": None, "oldest_due_waiting_seconds": None,
                              "failed": 0, "failed_recently": 0}


def test_healthz_is_503_when_the_scheduler_has_never_run_or_has_stopped(client):
    status, body = health(client)
    assert status == 503 and body["status"] == "error"
    assert body["reasons"] == ["the scheduler has never run"]

    assert acquire_lease("scheduler:test", utcnow() - timedelta(minutes=10))  # and nothing since
    status, body = health(client)
    assert status == 503
    [reason] = body["reasons"]
    assert reason.startswith("the scheduler's last heartbeat was ") and reason.endswith(" seconds ago")
    assert 595 <= body["scheduler"]["heartbeat_age_seconds"] <= 610


def test_healthz_is_503_when_an_email_has_waited_too_long(app, client):
    assert acquire_lease("scheduler:test")
    later = queue("later:1", 1, not_before=utcnow() + timedelta(hours=2))
    later.created_at = utcnow() - timedelta(hours=1)  # queued an hour ago for later: not held up
    db.session.commit()
    assert health(client)[0] == 200

    limit = app.config["HEALTH_OUTBOX_WAIT_MINUTES"]
    stuck = queue("stuck:2", 2)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == stuck.id).values(
        due_at=utcnow() - timedelta(minutes=limit + 5), attempts=7, next_attempt_at=utcnow() + timedelta(minutes=20)))
    db.session.commit()
    status, body = health(client)
    assert status == 503
    assert body["reasons"] == [f"an email has been waiting to be sent for {int(limit) + 5} minutes"]
    assert body["outbox"]["pending"] == 2


def test_healthz_is_503_when_failures_accumulate(app, client):
    assert acquire_lease("scheduler:test")
    limit = app.config["HEALTH_FAILED_MAX"]
    rows = queue_many(limit + 1, "failing")
    window = app.config["HEALTH_FAILED_WINDOW_HOURS"]

    def fail(messages, hours_ago):
        ids = [m.id for m in messages]
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
            state=OutboxState.FAILED, failed_at=utcnow() - timedelta(hours=hours_ago)))
        db.session.commit()

    fail(rows[:1], window + 1)  # an old failure: listed for administrators, not a sign of trouble now
    fail(rows[1:limit], 1)
    status, body = health(client)
    assert status == 200 and body["outbox"]["failed"] == limit and body["outbox"]["failed_recently"] == limit - 1
    fail(rows[limit:], 0)
    status, body = health(client)
    assert status == 503
    assert body["reasons"] == [f"{limit} emails failed in the last {window:g} hours"]


def test_healthz_answers_the_same_with_or_without_a_session(make_app, make_user):
    make_user("pat@partnership.test")
    app = make_app(SESSION_IDLE_MINUTES=5)
    with app.app_context():
        assert acquire_lease("scheduler:test")
    anonymous, signed_in, idle = app.test_client(), app.test_client(), app.test_client()
    sign_in(signed_in, "pat@partnership.test")
    sign_in(idle, "pat@partnership.test")
    with idle.session_transaction() as session:
        session["seen"] = int(utcnow().timestamp()) - 3600  # an hour idle: any page would sign it out

    answers = []
    for client in (anonymous, signed_in, idle):
        response = client.get("/healthz")
        assert "Set-Cookie" not in response.headers  # the session is neither renewed nor ended
        body = response.get_json()
        body["scheduler"].pop("heartbeat_age_seconds")
        answers.append((response.status_code, body))
    assert answers[0][0] == 200 and answers[0] == answers[1] == answers[2]
    # The idle session was neither ended nor renewed by the health check: the next page still ends it.
    assert idle.get("/account").headers["Location"].startswith("/sign-in")


def test_pages_carry_security_headers(client, make_user):
    make_user("pat@partnership.test")
    sign_in(client, "pat@partnership.test")
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in response.get_data(as_text=True)


def test_unknown_page_is_a_styled_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_the_health_check_does_not_say_which_database_it_uses(client):
    body = client.get("/healthz").get_json()
    assert body["database"] == {"state": "ok"}
    assert "sqlite" not in str(body).lower() and "postgres" not in str(body).lower()


def test_a_database_error_and_a_log_line_carry_no_value_that_was_typed(app, caplog):
    """A failed statement's error (which is logged) shows the statement, not the names in it; a value
    with a new line in it cannot start a log line of its own."""
    import logging

    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from coordinator.extensions import db

    with pytest.raises(DBAPIError) as error:
        db.session.execute(text("INSERT INTO no_such_table (name) VALUES (:name)"), {"name": "Kelly Harrow"})
    db.session.rollback()
    assert "Kelly Harrow" not in str(error.value)

    with caplog.at_level(logging.WARNING):
        logging.getLogger("coordinator.test").warning("search for %s", "Kelly\n2026-01-01 ERROR forged line")
    [record] = [r for r in caplog.records if r.name == "coordinator.test"]
    assert "\n" not in record.getMessage() and "Kelly\\n2026" in record.getMessage()
