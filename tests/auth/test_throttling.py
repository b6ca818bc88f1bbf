"""Lock-out after repeated failures: per account typed (known or not) and, generously, per address."""
from __future__ import annotations

from sqlalchemy import func, select

from coordinator.auth.models import SignInFailure
from coordinator.extensions import db
from tests.auth.conftest import move_sign_in_failures_back, text_of, who_is_signed_in, without_csrf
from tests.conftest import PASSWORD, sign_in, submit

WRONG_DETAILS = "Enter a correct email address and password"
THROTTLED = "There have been too many attempts to sign in. Wait 15 minutes and try again"


def fail(client, email, times, password="not the password"):
    for _ in range(times):
        response = submit(client, "/sign-in", {"email": email, "password": password})
        assert response.status_code == 200
        assert WRONG_DETAILS in text_of(response)
        assert THROTTLED not in text_of(response)


def failure_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(SignInFailure))


def test_known_account_is_locked_after_max_failures_even_with_the_right_password(app, client, make_user):
    make_user("pat@partnership.test", "Pat Worker")
    limit = app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]

    fail(client, "pat@partnership.test", limit)
    response = submit(client, "/sign-in", {"email": "pat@partnership.test", "password": PASSWORD})

    assert response.status_code == 200
    assert THROTTLED in text_of(response)
    assert WRONG_DETAILS not in text_of(response)
    assert who_is_signed_in(client) is None
    # The lock is on the account, not on this browser: another one is refused too.
    other = app.test_client()
    response = submit(other, "/sign-in", {"email": "PAT@partnership.test", "password": PASSWORD})
    assert THROTTLED in text_of(response)
    assert who_is_signed_in(other) is None


def test_one_failure_fewer_than_the_limit_does_not_lock(app, client, make_user):
    make_user("pat@partnership.test", "Pat Worker")

    fail(client, "pat@partnership.test", app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"] - 1)
    sign_in(client, "pat@partnership.test")

    assert who_is_signed_in(client) == "Pat Worker"
    assert failure_rows() == 0  # a successful sign-in clears the account's failures


def test_unknown_email_is_locked_exactly_like_a_known_one(app, make_user):
    make_user("pat@partnership.test", "Pat Worker")
    limit = app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]
    known, unknown = app.test_client(), app.test_client()

    fail(known, "pat@partnership.test", limit)
    fail(unknown, "nobody@partnership.test", limit)
    known_page = submit(known, "/sign-in", {"email": "pat@partnership.test", "password": PASSWORD})
    unknown_page = submit(unknown, "/sign-in", {"email": "nobody@partnership.test", "password": PASSWORD})

    assert known_page.status_code == unknown_page.status_code == 200
    assert THROTTLED in text_of(unknown_page)
    assert (without_csrf(text_of(known_page)).replace("pat@partnership.test", "EMAIL")
            == without_csrf(text_of(unknown_page)).replace("nobody@partnership.test", "EMAIL"))


def test_lock_out_clears_after_the_window(app, client, make_user):
    make_user("pat@partnership.test", "Pat Worker")
    window = app.config["SIGNIN_WINDOW_MINUTES"]
    fail(client, "pat@partnership.test", app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"])

    # Not yet: a minute before the window ends the account is still locked.
    move_sign_in_failures_back(window - 1)
    response = submit(client, "/sign-in", {"email": "pat@partnership.test", "password": PASSWORD})
    assert THROTTLED in text_of(response)
    assert who_is_signed_in(client) is None

    # Once every failure (the refused attempt just now included) is older than the window, it clears.
    move_sign_in_failures_back(window + 1)
    sign_in(client, "pat@partnership.test")
    assert who_is_signed_in(client) == "Pat Worker"
    assert failure_rows() == 0


def test_per_address_limit_is_generous_by_default(app):
    # Many practitioners share one council or NHS outgoing address.
    assert app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"] >= 10 * app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]


def test_failures_from_one_address_throttle_that_address_only(app, make_user):
    make_user("pat@partnership.test", "Pat Worker")
    app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"] = 3  # low, so a few attempts reach it
    shared, elsewhere = app.test_client(), app.test_client()
    shared.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"

    # Three different addresses typed, one failure each: no single account is near its own limit.
    for email in ("one@partnership.test", "two@partnership.test", "three@partnership.test"):
        fail(shared, email, 1)
    response = submit(shared, "/sign-in", {"email": "pat@partnership.test", "password": PASSWORD})

    assert THROTTLED in text_of(response)
    assert who_is_signed_in(shared) is None
    # The same person from another address is not affected.
    sign_in(elsewhere, "pat@partnership.test")
    assert who_is_signed_in(elsewhere) == "Pat Worker"


def test_lock_out_message_states_the_configured_wait(app, client, make_user):
    app.config["SIGNIN_WINDOW_MINUTES"] = 30
    make_user("pat@partnership.test", "Pat Worker")
    fail(client, "pat@partnership.test", app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"])

    response = submit(client, "/sign-in", {"email": "pat@partnership.test", "password": PASSWORD})

    assert "Wait 30 minutes and try again" in text_of(response)


def test_refusals_while_throttled_do_not_count_against_the_account(app, client, make_user):
    """A shared address over its limit must not lock the real accounts typed from it."""
    make_user("shared@partnership.test", "Pat Worker")
    app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"] = 2
    for _ in range(2):
        submit(client, "/sign-in", {"email": "someone-else@partnership.test", "password": "wrong"})
    before = db.session.scalar(select(func.count()).select_from(SignInFailure))
    submit(client, "/sign-in", {"email": "shared@partnership.test", "password": "wrong"})
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == before
    app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"] = 100
    response = submit(client, "/sign-in", {"email": "shared@partnership.test", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
