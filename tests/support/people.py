"""Signing people in for a test: a session for a user put straight into a test client's cookie (the sign-in
pages have tests of their own)."""
from __future__ import annotations

from coordinator.extensions import db


def act_as(client, user) -> None:
    """Put a signed-in session for ``user`` in the test client's cookie (no password round trip)."""
    from coordinator.timeutil import utcnow

    db.session.refresh(user)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        # Sessions keep the real clock (tests.support.clock): a client signed in while a test travels in
        # time is not signed out as idle.
        session["seen"] = int(getattr(utcnow, "real", utcnow)().timestamp())


def signed_in(app, user_or_email):
    """A test client of ``app`` signed in as the user (or the user with this email)."""
    if isinstance(user_or_email, str):
        from coordinator.auth.services import existing_user

        user_or_email = existing_user(user_or_email)
    client = app.test_client()
    act_as(client, user_or_email)
    return client
