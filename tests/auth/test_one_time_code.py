"""Signing in with a one-time code sent by email (for people without a password)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from coordinator.auth.models import OneTimeCode
from coordinator.extensions import db
from coordinator.timeutil import utcnow
from tests.auth.conftest import (
    audit_events,
    code_in,
    html_body,
    messages_to,
    plain_body,
    text_of,
    who_is_signed_in,
    without_csrf,
)
from tests.conftest import send_all, submit

EMAIL = "o.quennell@health.test"
NAME = "Ottoline Quennell"
AGENCY = "Wrenbury Vale Community Health"
CODE_REFUSED = "The code is wrong or has expired"


def request_code(client, email=EMAIL):
    response = submit(client, "/sign-in/code/request", {"email": email})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/code"
    return response


def enter_code(client, code):
    return submit(client, "/sign-in/code", {"code": code})


def emailed_code(smtp_server, email=EMAIL) -> str:
    send_all()
    received = messages_to(smtp_server, email)
    assert received, "no email arrived"
    return code_in(received[-1])


def another_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_code_arrives_by_email_and_signs_in(smtp_app, smtp_server, client, make_user):
    user = make_user(EMAIL, NAME, password=None, agency_name=AGENCY)

    request_code(client)
    page = client.get("/sign-in/code")
    assert page.status_code == 200
    assert "Check your email" in text_of(page)
    assert send_all()["sent"] == 1
    [received] = smtp_server.messages
    assert received["to"] == [EMAIL]
    assert received["message"]["Subject"] == "Your sign-in code"
    code = code_in(received)

    response = enter_code(client, code)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert who_is_signed_in(client) == NAME
    [event] = audit_events("signed_in")
    assert event.actor_id == user.id and event.detail == "one-time code"
    assert len(audit_events("one_time_code_sent")) == 1


def test_code_email_holds_no_names(smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, NAME, password=None, agency_name=AGENCY)

    request_code(client)
    send_all()
    [received] = smtp_server.messages
    code = code_in(received)

    assert code not in received["message"]["Subject"]
    for part in (received["message"]["Subject"], plain_body(received), html_body(received)):
        for words in (NAME, "Ottoline", "Quennell", AGENCY, "Wrenbury"):
            assert words not in part


def test_code_works_only_once(app, smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, NAME, password=None)
    onlooker = app.test_client()
    request_code(onlooker)  # a second browser that also reached the "enter your code" page
    first = emailed_code(smtp_server)
    request_code(client)  # the newest code replaces the earlier one
    code = emailed_code(smtp_server)
    assert enter_code(client, code).status_code == 302

    # The used code, typed in the other browser, is refused; so is the code it replaced.
    for attempt in (code, first):
        response = enter_code(onlooker, attempt)
        assert response.status_code == 200
        assert CODE_REFUSED in text_of(response)
    assert who_is_signed_in(onlooker) is None


def test_expired_code_is_refused(app, smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, NAME, password=None)
    request_code(client)
    code = emailed_code(smtp_server)

    row = db.session.scalar(select(OneTimeCode))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = enter_code(client, code)

    assert response.status_code == 200
    assert CODE_REFUSED in text_of(response)
    assert who_is_signed_in(client) is None


def test_five_wrong_codes_invalidate_the_code(app, smtp_app, smtp_server, client, make_user):
    # Raise the account lock-out so it cannot be what refuses the right code at the end.
    app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"] = 50
    make_user(EMAIL, NAME, password=None)
    request_code(client)
    code = emailed_code(smtp_server)

    for _ in range(app.config["ONE_TIME_CODE_MAX_TRIES"]):
        response = enter_code(client, another_code(code))
        assert CODE_REFUSED in text_of(response)
    response = enter_code(client, code)

    assert response.status_code == 200
    assert CODE_REFUSED in text_of(response)
    assert "too many attempts" not in text_of(response)
    assert who_is_signed_in(client) is None
    assert len(audit_events("sign_in_failed")) == app.config["ONE_TIME_CODE_MAX_TRIES"] + 1


def test_four_wrong_codes_still_leave_the_code_usable(app, smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, NAME, password=None)
    request_code(client)
    code = emailed_code(smtp_server)

    for _ in range(app.config["ONE_TIME_CODE_MAX_TRIES"] - 1):
        assert CODE_REFUSED in text_of(enter_code(client, another_code(code)))

    assert enter_code(client, code).status_code == 302
    assert who_is_signed_in(client) == NAME


def test_unknown_email_gets_the_same_page_and_no_email(app, smtp_app, smtp_server, make_user):
    # The same address asked for before its account exists and after.
    before = app.test_client()
    request_code(before)
    before_page = before.get("/sign-in/code")
    assert send_all()["sent"] == 0
    assert smtp_server.messages == []

    make_user(EMAIL, NAME, password=None)
    after = app.test_client()
    request_code(after)
    after_page = after.get("/sign-in/code")
    assert send_all()["sent"] == 1

    assert before_page.status_code == after_page.status_code == 200
    assert "Check your email" in text_of(before_page)
    assert without_csrf(text_of(before_page)) == without_csrf(text_of(after_page))
    assert [m["to"] for m in smtp_server.messages] == [[EMAIL]]


def test_deactivated_user_is_sent_no_code(smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, NAME, password=None, active=False)

    request_code(client)

    assert "Check your email" in text_of(client.get("/sign-in/code"))
    assert send_all()["sent"] == 0
    assert smtp_server.messages == []


def test_code_is_stored_only_as_a_hash(smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, NAME, password=None)
    request_code(client)
    code = emailed_code(smtp_server)

    row = db.session.scalar(select(OneTimeCode))
    assert code not in row.code_hash
    for value in db.session.execute(text("SELECT * FROM one_time_codes")).one():
        assert code not in str(value)


def test_code_page_and_email_state_the_configured_lifetime(app, smtp_app, smtp_server, client, make_user):
    app.config["ONE_TIME_CODE_MINUTES"] = 5
    make_user(EMAIL, NAME, password=None)
    request_code(client)

    assert "It works once, for 5 minutes." in text_of(client.get("/sign-in/code"))
    send_all()
    [received] = smtp_server.messages
    assert "for 5 minutes" in plain_body(received)


def test_codes_are_not_sent_without_limit(app, smtp_app, smtp_server, client, make_user):
    """Asking again and again does not flood the person's inbox: past the limit, nothing more is sent."""
    make_user(EMAIL, NAME, password=None, agency_name=AGENCY)
    app.config["ONE_TIME_CODES_PER_WINDOW"] = 3
    for _ in range(5):
        request_code(client)
    send_all()
    assert len(messages_to(smtp_server, EMAIL)) == 3


def test_wrong_passwords_typed_by_someone_else_do_not_lock_the_owner_out(smtp_app, smtp_server, client, make_user):
    """Someone who knows an address and types wrong passwords locks the password sign-in only: the owner
    still signs in with a code emailed to them."""
    from tests.auth.test_throttling import THROTTLED, fail

    make_user(EMAIL, NAME, agency_name=AGENCY)
    attacker = smtp_app.test_client()
    fail(attacker, EMAIL, smtp_app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"])
    assert THROTTLED in text_of(submit(attacker, "/sign-in", {"email": EMAIL, "password": "guess"}))

    request_code(client)
    send_all()
    [received] = smtp_server.messages
    response = enter_code(client, code_in(received))
    assert response.status_code == 302
    assert who_is_signed_in(client) == NAME
