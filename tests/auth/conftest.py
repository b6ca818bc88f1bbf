"""Fixtures and helpers for the sign-in tests.

Every helper here reads what a person would see (pages, emails) or what an auditor would check (the
audit log, the database). Nothing of ours is mocked.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from coordinator.extensions import db


class OneContextPerRequestClient(FlaskClient):
    """A test client whose every request (each hop of a redirect too) runs in a fresh app context.

    The shared ``app`` fixture keeps an app context pushed for the whole test, and Flask reuses a pushed
    context for requests to the same app. Flask-Login caches the signed-in user on ``g`` (which lives on
    the app context), so without this a user signed in by one request or client would still be "signed
    in" for the next request of any other client, and every request would share one database session.
    A fresh context per request is what a real server gives each request.
    """

    def run_wsgi_app(self, environ, buffered=False):
        with self.application.app_context():
            return super().run_wsgi_app(environ, buffered)


@pytest.fixture
def app(app):
    app.test_client_class = OneContextPerRequestClient
    return app


# --- reading pages ----------------------------------------------------------------------------------

CSRF_VALUE_RE = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]*(")')
SIGNED_IN_AS_RE = re.compile(r"Signed in as ([^<]+)</span>")


def without_csrf(html: str) -> str:
    return CSRF_VALUE_RE.sub(r"\1CSRF\2", html)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def who_is_signed_in(client) -> str | None:
    """The name on the home page, or None when the home page sends the visitor to sign in."""
    response = client.get("/")
    if response.status_code == 302:
        assert urlpath(response.headers["Location"]) == "/sign-in"
        return None
    assert response.status_code == 200
    match = SIGNED_IN_AS_RE.search(text_of(response))
    assert match, "home page does not say who is signed in"
    return match.group(1).strip()


def urlpath(location: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(location).path


# --- the database as an auditor sees it -------------------------------------------------------------

def audit_events(action: str):
    from coordinator.audit.models import AuditEvent

    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def fresh(obj):
    """Re-read a row the requests may have changed."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def move_sign_in_failures_back(minutes: float) -> None:
    """Time passes: every recorded sign-in failure happened ``minutes`` earlier than recorded."""
    from coordinator.auth.models import SignInFailure

    db.session.expire_all()
    for row in db.session.scalars(select(SignInFailure)):
        row.at = row.at - timedelta(minutes=minutes)
    db.session.commit()


# --- reading email ----------------------------------------------------------------------------------

def plain_body(received: dict) -> str:
    return received["message"].get_body(preferencelist=("plain",)).get_content()


def html_body(received: dict) -> str:
    return received["message"].get_body(preferencelist=("html",)).get_content()


def messages_to(smtp_server, address: str) -> list[dict]:
    return [m for m in smtp_server.messages if address in m["to"]]


def code_in(received: dict) -> str:
    match = re.search(r"^\s*(\d{6})\s*$", plain_body(received), re.M)
    assert match, "no 6-digit code in the email"
    code = match.group(1)
    assert code in html_body(received)
    return code


def link_in(received: dict) -> str:
    """The path of the /set-password/... link in the email (its host is the configured BASE_URL)."""
    text = plain_body(received)
    match = re.search(r"http://localhost(/set-password/[A-Za-z0-9_-]+)\s", text)
    assert match, f"no set-password link in the email:\n{text}"
    path = match.group(1)
    assert f'href="http://localhost{path}"' in html_body(received)
    return path


# --- what a browser sends back ----------------------------------------------------------------------

def referer_a_browser_sends(page_response, page_url: str) -> str | None:
    """The Referer a browser sends when a form on ``page_url`` posts to the same origin, following the
    Referrer-Policy header that page came with (https://www.w3.org/TR/referrer-policy/)."""
    from urllib.parse import urlsplit

    policy = (page_response.headers.get("Referrer-Policy") or "strict-origin-when-cross-origin")
    policy = [p.strip().lower() for p in policy.split(",") if p.strip()][-1]
    if policy == "no-referrer":
        return None
    if policy in {"origin", "strict-origin"}:
        parts = urlsplit(page_url)
        return f"{parts.scheme}://{parts.netloc}/"
    assert policy in {"same-origin", "origin-when-cross-origin", "strict-origin-when-cross-origin",
                      "no-referrer-when-downgrade", "unsafe-url"}, policy
    return page_url.split("#")[0]
