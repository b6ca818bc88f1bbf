"""Signing in with an email address and password."""
from __future__ import annotations

from tests.auth.conftest import audit_events, text_of, who_is_signed_in, without_csrf
from tests.conftest import PASSWORD, sign_in, submit

WRONG_DETAILS = "Enter a correct email address and password"


def test_password_sign_in_lands_on_home_page_and_is_audited(app, client, make_user):
    user = make_user("pat@partnership.test", "Pat Worker")

    response = sign_in(client, "pat@partnership.test")

    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Signed in as Pat Worker" in text_of(home)
    events = audit_events("signed_in")
    assert len(events) == 1
    assert events[0].actor_id == user.id
    assert events[0].object_id == str(user.id)
    assert events[0].detail == "password"
    assert events[0].address == "127.0.0.1"


def test_email_address_is_matched_whatever_its_case_and_spaces(client, make_user):
    make_user("pat@partnership.test", "Pat Worker")

    sign_in(client, "  Pat@Partnership.TEST ")

    assert who_is_signed_in(client) == "Pat Worker"


def test_wrong_password_and_unknown_email_show_the_identical_page(app, make_user):
    # The same address typed before its account exists and after: nothing on the page may differ.
    unknown = submit(app.test_client(), "/sign-in",
                     {"email": "pat@partnership.test", "password": "a guess at a password"})
    user = make_user("pat@partnership.test", "Pat Worker")
    wrong = submit(app.test_client(), "/sign-in",
                   {"email": "pat@partnership.test", "password": "a guess at a password"})

    assert unknown.status_code == wrong.status_code == 200
    assert WRONG_DETAILS in text_of(unknown)
    assert WRONG_DETAILS in text_of(wrong)
    assert "<title>Error: Sign in" in text_of(wrong)
    assert without_csrf(text_of(unknown)) == without_csrf(text_of(wrong))
    # The password typed is never sent back.
    assert "a guess at a password" not in text_of(wrong)

    failed = audit_events("sign_in_failed")
    assert [(e.actor_id, e.detail) for e in failed] == [
        (None, "unknown or inactive account"),
        (user.id, "wrong password"),
    ]
    assert all(e.address == "127.0.0.1" for e in failed)
    assert audit_events("signed_in") == []


def test_wrong_password_for_another_known_address_gives_the_same_message(app, client, make_user):
    make_user("pat@partnership.test")
    known = submit(client, "/sign-in", {"email": "pat@partnership.test", "password": "wrong password 1"})
    unknown = submit(app.test_client(), "/sign-in",
                     {"email": "nobody@partnership.test", "password": "wrong password 1"})

    def normalised(response, email):
        return without_csrf(text_of(response)).replace(email, "EMAIL")

    assert normalised(known, "pat@partnership.test") == normalised(unknown, "nobody@partnership.test")
    assert len(audit_events("sign_in_failed")) == 2
    assert who_is_signed_in(client) is None


def test_deactivated_user_cannot_sign_in_with_the_right_password(client, make_user):
    user = make_user("gone@partnership.test", "Former Worker", active=False)

    response = submit(client, "/sign-in", {"email": "gone@partnership.test", "password": PASSWORD})

    assert response.status_code == 200
    assert WRONG_DETAILS in text_of(response)
    assert who_is_signed_in(client) is None
    assert audit_events("signed_in") == []
    failed = audit_events("sign_in_failed")
    assert len(failed) == 1 and failed[0].object_id == str(user.id)


def test_deactivating_a_signed_in_user_ends_their_session(client, make_user):
    from coordinator.extensions import db

    user = make_user("pat@partnership.test", "Pat Worker")
    sign_in(client, "pat@partnership.test")
    assert who_is_signed_in(client) == "Pat Worker"

    user.active = False
    db.session.commit()

    assert who_is_signed_in(client) is None
