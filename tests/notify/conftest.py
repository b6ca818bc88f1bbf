"""Fixtures for the outbox tests; the outbox helpers every suite uses are in tests/support/outbox.py."""
from __future__ import annotations

import pytest
from flask import g
from flask.testing import FlaskClient

from coordinator.notify.models import OutboxState
from tests.support.outbox import (  # noqa: F401  (re-exported: the suites import them from here)
    all_message_ids,
    fresh,
    make_email,
    queue,
    queue_many,
    received,
    states,
    wait_until,
)


class FreshGlobalsClient(FlaskClient):
    """The test client, but each request starts with an empty ``flask.g``, as it does in production.

    tests/conftest.py's ``app`` fixture keeps one application context pushed for the whole test, and Flask
    reuses a pushed context for requests, so ``g`` outlives a request: Flask-WTF's cached CSRF token (and
    Flask-Login's cached user) would leak from one request into the next. After signing in (which clears
    the session) every form would then fail its CSRF check.
    """

    def open(self, *args, **kwargs):
        vars(g._get_current_object()).clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshGlobalsClient
    return app.test_client()


__all__ = ["make_email", "queue", "queue_many", "fresh", "states", "all_message_ids", "received", "wait_until",
           "OutboxState"]
