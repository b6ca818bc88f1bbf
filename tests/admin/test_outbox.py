"""Emails that could not be sent, as an administrator fixes them after an outage: failed emails filtered by
kind and a page at a time, all of them (or all of a kind) resent in one action, and the emails that have
waited long listed apart."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from coordinator.extensions import db
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.timeutil import utcnow
from tests.admin.conftest import audit_events
from tests.conftest import csrf_from
from tests.families.helpers import Page
from tests.notify.conftest import queue, queue_many


def failed(rows, error="451 4.3.0 relay down (gave up after the retry window)"):
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([r.id for r in rows])).values(
        state=OutboxState.FAILED, failed_at=utcnow(), attempts=97, last_error=error))
    db.session.commit()


def state_of_kind(kind: str) -> list[str]:
    db.session.expire_all()
    return sorted(m.state.value for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_failed_emails_are_filtered_by_kind_and_resent_together(app, admin_client, admin):
    failed(queue_many(3, "invite", kind="invite"))
    failed(queue_many(2, "published", kind="minutes_published"))
    page = Page(admin_client.get("/admin/outbox"))
    assert len(page.table_rows()) == 5 + 0  # every failed email (nothing is waiting long)
    assert [o.text() for o in page.find("select", name="kind").find_all("option")] == [
        "All kinds", "Invite", "Minutes published"]
    assert "Resend all 5 failed emails" in page.text

    page = Page(admin_client.get("/admin/outbox?kind=invite"))
    rows = page.table_rows()
    assert len(rows) == 3 and {row[1] for row in rows} == {"Invite"}
    button = "Resend all 3 failed emails of this kind"
    assert button in page.text
    response = admin_client.post("/admin/outbox/resend-failed",
                                 data={"csrf_token": csrf_from(page.html), "kind": "invite"})
    assert response.status_code == 302
    assert state_of_kind("invite") == ["pending"] * 3
    assert state_of_kind("minutes_published") == ["failed"] * 2
    db.session.expire_all()
    resent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invite")).all()
    assert {(m.attempts, m.last_error, m.failed_at) for m in resent} == {(0, None, None)}
    [event] = audit_events("outbox_resend_all")
    assert event.actor_id == admin.id and event.detail == "3 message(s) of kind invite"

    page = Page(admin_client.get("/admin/outbox"))
    assert any("3 failed message(s) of this kind will be sent again shortly." in b for b in page.banners())
    response = admin_client.post("/admin/outbox/resend-failed", data={"csrf_token": csrf_from(page.html), "kind": ""})
    assert response.status_code == 302
    assert state_of_kind("minutes_published") == ["pending"] * 2
    assert "No email has failed." in Page(admin_client.get("/admin/outbox")).text


def test_more_failed_emails_than_a_page_are_all_reachable(app, admin_client):
    failed(queue_many(120, "many"))
    seen = []
    for number in (1, 2, 3):
        page = Page(admin_client.get(f"/admin/outbox?page={number}"))
        seen += [row[2] for row in page.table_rows()]
    assert len(seen) == 120 and len(set(seen)) == 120
    assert "Resend all 120 failed emails" in page.text


def test_emails_waiting_long_are_listed_apart(app, admin_client):
    limit = app.config["HEALTH_OUTBOX_WAIT_MINUTES"]
    stuck = queue("stuck:1", 1, to="stuck@agency.test")
    queue("fresh:2", 2, to="fresh@agency.test")  # just queued: not waiting long
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == stuck.id).values(
        due_at=utcnow() - timedelta(minutes=limit + 90), attempts=6, last_error="421 4.7.0 try again later"))
    db.session.commit()
    page = Page(admin_client.get("/admin/outbox"))
    waiting = page.section(f"Waiting longer than {int(limit)} minutes").text()
    assert "stuck@agency.test" in waiting and "421 4.7.0 try again later" in waiting
    assert "fresh@agency.test" not in waiting
    assert "No email has failed." in page.text
