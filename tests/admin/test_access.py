"""Only administrators reach /admin: a practitioner gets the styled 403 page, a visitor is sent to sign in."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from coordinator.extensions import db
from coordinator.notify.models import InboundState, OutboxMessage, OutboxState
from tests.admin.conftest import audit_events
from tests.conftest import csrf_from
from tests.support.pages import page_of


@pytest.fixture
def failed_message(app):
    message = OutboxMessage(idempotency_key="test:failed", kind="invite", recipient="someone@nhs.test",
                            subject="You have been given access", message_id="<failed@coordinator.test>",
                            mime="Subject: x\r\n\r\nbody", state=OutboxState.FAILED, attempts=8,
                            last_error="550 mailbox unavailable")
    db.session.add(message)
    db.session.commit()
    return message


@pytest.fixture
def unplaced_reply(app):
    """A reply to the organiser mailbox no family could be found for."""
    from coordinator.notify.inbound import store

    message, _ = store(b"From: someone@elsewhere.test\r\nSubject: hello\r\n\r\nNot about any meeting.\r\n", "test:1")
    message.state = InboundState.KEPT
    db.session.commit()
    return message


@pytest.fixture
def admin_routes(app, admin, practitioner, failed_message, unplaced_reply):
    """(method, url) for every route of the admin blueprint, with real records for its parameters."""
    ids = {"agency_id": admin.agency_id, "user_id": practitioner.id, "message_id": failed_message.id,
           "inbound_message_id": unplaced_reply.id}
    routes = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint.split(".")[0] != "admin":
                continue
            url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, url))
    # Every kind of admin page is here: if a route is added, it is walked too.
    paths = {url for _, url in routes}
    assert {"/admin/", "/admin/agencies", "/admin/agencies/new", f"/admin/agencies/{admin.agency_id}",
            "/admin/users", "/admin/users/new", f"/admin/users/{practitioner.id}", "/admin/audit",
            "/admin/audit.csv", "/admin/outbox", f"/admin/outbox/{failed_message.id}/resend"} <= paths
    return routes


def request(client, method: str, url: str, token_page: str):
    if method == "GET":
        return client.get(url)
    # A real form post, with a valid CSRF token, so it is the access check that answers, not CSRF.
    token = csrf_from(client.get(token_page).get_data(as_text=True))
    return client.open(url, method=method, data={"csrf_token": token, "name": "Changed", "submit": "y"})


def test_a_practitioner_gets_the_styled_403_on_every_admin_route(practitioner_client, admin_routes,
                                                                 failed_message, admin):
    assert "Administration" not in page_of(practitioner_client.get("/")).body_text
    for method, url in admin_routes:
        response = request(practitioner_client, method, url, "/account")
        assert response.status_code == 403, (method, url)
        page = page_of(response)
        assert page.heading == "You do not have access to this page", (method, url)
        assert "govuk-template__body" in response.get_data(as_text=True)  # our styled page, not Werkzeug's
        assert "Administration" not in page.text
    # Nothing was changed by any of those posts.
    db.session.expire_all()
    assert failed_message.state is OutboxState.FAILED
    assert admin.agency.name == "Test Children's Services"
    assert audit_events("outbox_resend") == [] and audit_events("agency_updated") == []
    assert audit_events("user_updated") == [] and audit_events("audit_log_viewed") == []


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_from_every_admin_route(app, admin_routes,
                                                                                  failed_message):
    visitor = app.test_client()
    for method, url in admin_routes:
        response = request(visitor, method, url, "/sign-in")
        assert response.status_code == 302, (method, url)
        location = urlsplit(response.headers["Location"])
        assert location.path == "/sign-in", (method, url)
        if method == "GET":
            assert parse_qs(location.query)["next"] == [url], (method, url)  # back here after signing in
    page = page_of(visitor.get("/sign-in"))
    assert any("Sign in to continue." in b for b in page.banners())
    db.session.expire_all()
    assert failed_message.state is OutboxState.FAILED
    assert audit_events("audit_log_viewed") == [] and audit_events("audit_log_exported") == []


def test_an_administrator_opens_every_admin_page(admin_client, admin_routes):
    for method, url in admin_routes:
        if method == "GET":
            response = admin_client.get(url)
            assert response.status_code == 200, url
    assert "Administration" in page_of(admin_client.get("/")).body_text


def test_an_administrator_resends_a_failed_email(admin_client, admin, failed_message):
    page = page_of(admin_client.get("/admin/outbox"))
    assert page.table_rows()[0][1:6] == \
        ["Invite", "someone@nhs.test", "You have been given access", "8", "550 mailbox unavailable"]
    token = csrf_from(page.html)
    response = admin_client.post(f"/admin/outbox/{failed_message.id}/resend", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert failed_message.state is OutboxState.PENDING and failed_message.attempts == 0
    [event] = audit_events("outbox_resend")
    assert event.actor_id == admin.id and event.object_id == str(failed_message.id)
    page = page_of(admin_client.get("/admin/outbox"))
    assert any(f"Message {failed_message.id} will be sent again shortly." in b for b in page.banners())
    assert "No email has failed." in page.text
