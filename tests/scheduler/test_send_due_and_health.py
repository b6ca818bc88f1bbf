"""`flask send-due`: every due job once, then exit; /healthz afterwards reports the heartbeat and backlog."""
from __future__ import annotations

import subprocess
from datetime import datetime, timedelta

from coordinator.extensions import db
from coordinator.notify.models import OutboxState
from coordinator.scheduler.services import acquire_lease
from coordinator.timeutil import utcnow
from tests.notify.conftest import fresh, queue, received, states
from tests.scheduler.conftest import FLASK, PROJECT


def _send_due(schedulers, smtp_server) -> subprocess.CompletedProcess:
    return subprocess.run([FLASK, "--app", "coordinator", "send-due"], cwd=PROJECT, env=schedulers.env(smtp_server),
                          capture_output=True, text=True, timeout=60)


def test_send_due_sends_what_is_due_once_and_healthz_reports_it(app, client, smtp_server, schedulers):
    now = utcnow()
    bounced = queue("bounce:1", 1, to="nobody@agency.test")  # queued first, so sent first
    due = queue("due:2", 2)
    waiting = queue("later:3", 3, not_before=now + timedelta(hours=1))
    waiting.created_at = now - timedelta(minutes=10)  # queued ten minutes ago, not due for another hour
    db.session.commit()
    smtp_server.reply_next("550 5.1.1 no such user")

    started = utcnow()
    result = _send_due(schedulers, smtp_server)
    assert result.returncode == 0, result.stderr
    assert "send-outbox: {'sent': 1, 'retry': 0, 'failed': 1}" in result.stdout

    assert received(smtp_server) == {due.message_id: 1}
    assert fresh(due.id).state == OutboxState.SENT
    assert fresh(bounced.id).state == OutboxState.FAILED
    assert fresh(waiting.id).state == OutboxState.PENDING

    # Run again (in process this time): nothing more is due, nothing more is sent.
    app.config.update(smtp_server.config())
    again = app.test_cli_runner().invoke(args=["send-due"])
    assert again.exit_code == 0, again.output
    assert "send-outbox: {'sent': 0, 'retry': 0, 'failed': 0}" in again.output
    assert states() == {"sent": 1, "failed": 1, "pending": 1}
    assert received(smtp_server) == {due.message_id: 1}

    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    heartbeat = datetime.fromisoformat(body["scheduler"]["last_heartbeat"])
    assert started <= heartbeat <= utcnow()
    assert 0 <= body["scheduler"]["heartbeat_age_seconds"] <= 30
    assert body["outbox"]["pending"] == 1
    assert 598 <= body["outbox"]["oldest_pending_age_seconds"] <= 630
    assert body["outbox"]["failed"] == 1


def test_send_due_leaves_the_work_to_a_running_scheduler(smtp_app, smtp_server):
    queue("due:1", 1)
    assert acquire_lease("scheduler:elsewhere:1:abc")  # a scheduler process holds the lease
    result = smtp_app.test_cli_runner().invoke(args=["send-due"])
    assert result.exit_code == 0, result.output
    assert "holds the lease" in result.output
    assert states() == {"pending": 1}
    assert smtp_server.messages == []
