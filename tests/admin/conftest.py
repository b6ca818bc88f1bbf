"""Fixtures for the administrator pages: a signed-in administrator and a signed-in practitioner.

Each browser here is ``app.test_client()``: tests/conftest.py makes it run every request in an application
context of its own, so one client's signed-in user (cached in ``g``) never leaks into another's requests.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from tests.conftest import sign_in

ADMIN_EMAIL = "ada.admin@partnership.test"
PRACTITIONER_EMAIL = "pat.worker@partnership.test"


@pytest.fixture
def admin(make_user):
    return make_user(ADMIN_EMAIL, "Ada Admin", admin=True)


@pytest.fixture
def admin_client(app, admin):
    """A browser signed in as an administrator."""
    client = app.test_client()
    sign_in(client, ADMIN_EMAIL)
    return client


@pytest.fixture
def practitioner(make_user):
    return make_user(PRACTITIONER_EMAIL, "Pat Worker")


@pytest.fixture
def practitioner_client(app, practitioner):
    client = app.test_client()
    sign_in(client, PRACTITIONER_EMAIL)
    return client


def audit_events(action: str | None = None) -> list[AuditEvent]:
    """The audit log as stored, oldest first (read fresh from the database)."""
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))
