"""Emailed single-use links: password reset, and an administrator's invitation."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.auth.models import UserToken
from coordinator.extensions import db
from coordinator.timeutil import utcnow
from tests.auth.conftest import (
    audit_events,
    fresh,
    html_body,
    link_in,
    messages_to,
    plain_body,
    text_of,
    who_is_signed_in,
)
from tests.conftest import PASSWORD, csrf_from, send_all, sign_in, submit

EMAIL = "pat@partnership.test"
NEW_PASSWORD = "a brand new password for pat"
EXPIRED = "This link has expired or has already been used"
WRONG_DETAILS = "Enter a correct email address and password"


def emailed_reset_link(client, smtp_server, email=EMAIL) -> str:
    response = submit(client, "/forgot-password", {"email": email})
    assert response.status_code == 200
    assert "Check your email" in text_of(response)
    send_all()
    [received] = messages_to(smtp_server, email)
    assert received["message"]["Subject"] == "Reset your password"
    return link_in(received)


def choose_password(client, link, password=NEW_PASSWORD):
    return submit(client, link, {"password": password, "confirm": password})


def test_reset_link_sets_a_new_password_and_works_only_once(app, smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, "Pat Worker")
    link = emailed_reset_link(client, smtp_server)

    form = client.get(link)
    assert form.status_code == 200
    assert "Choose a new password" in text_of(form)
    response = choose_password(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert "Your password has been saved and you are signed in." in text_of(home)
    assert "Signed in as Pat Worker" in text_of(home)
    assert [e.detail for e in audit_events("password_set")] == ["password_reset"]

    # Used once: opening it again, or posting to it, shows the expired page and changes nothing.
    again = app.test_client()
    reopened = again.get(link)
    assert reopened.status_code == 410
    assert EXPIRED in text_of(reopened)
    token = csrf_from(text_of(again.get("/sign-in")))
    posted = again.post(link, data={"csrf_token": token, "password": "yet another password 3",
                                    "confirm": "yet another password 3"})
    assert posted.status_code == 410
    assert who_is_signed_in(again) is None
    sign_in(app.test_client(), EMAIL, NEW_PASSWORD)


def test_expired_reset_link_shows_the_expired_page(app, smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, "Pat Worker")
    link = emailed_reset_link(client, smtp_server)

    row = db.session.scalar(select(UserToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(link)

    assert response.status_code == 410
    assert EXPIRED in text_of(response)
    assert "Ask for a new link" in text_of(response)
    token = csrf_from(text_of(client.get("/sign-in")))
    posted = client.post(link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert posted.status_code == 410
    assert who_is_signed_in(client) is None
    sign_in(app.test_client(), EMAIL, PASSWORD)  # the old password still stands


def test_reset_ends_every_other_session(app, smtp_app, smtp_server, make_user):
    user = make_user(EMAIL, "Pat Worker")
    elsewhere = app.test_client()
    sign_in(elsewhere, EMAIL)
    assert who_is_signed_in(elsewhere) == "Pat Worker"

    resetting = app.test_client()
    link = emailed_reset_link(resetting, smtp_server)
    assert choose_password(resetting, link).status_code == 302

    assert fresh(user).session_version == 2
    assert who_is_signed_in(elsewhere) is None
    assert who_is_signed_in(resetting) == "Pat Worker"


def test_new_password_works_and_old_one_does_not_after_reset(app, smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, "Pat Worker")
    link = emailed_reset_link(client, smtp_server)
    choose_password(client, link)

    old = submit(app.test_client(), "/sign-in", {"email": EMAIL, "password": PASSWORD})
    assert old.status_code == 200 and WRONG_DETAILS in text_of(old)
    browser = app.test_client()
    sign_in(browser, EMAIL, NEW_PASSWORD)
    assert who_is_signed_in(browser) == "Pat Worker"


def test_reset_for_unknown_email_shows_the_same_page_and_sends_nothing(smtp_app, smtp_server, client):
    response = submit(client, "/forgot-password", {"email": "nobody@partnership.test"})

    assert response.status_code == 200
    assert "Check your email" in text_of(response)
    assert send_all()["sent"] == 0
    assert smtp_server.messages == []


def test_admin_invitation_link_sets_a_password(app, smtp_app, smtp_server, make_user):
    admin = make_user("admin@partnership.test", "Ada Admin", admin=True)
    admin_browser = app.test_client()
    sign_in(admin_browser, "admin@partnership.test")
    response = submit(admin_browser, "/admin/users/new", {
        "name": "Nia Newcomer", "email": "nia@health.test", "job_title": "", "agency_id": str(admin.agency_id),
        "role": "PRACTITIONER", "active": "y", "send_invite": "y",
    })
    assert response.status_code == 302, text_of(response)[:2000]

    send_all()
    [received] = messages_to(smtp_server, "nia@health.test")
    assert received["message"]["Subject"] == "You have been given access"
    assert "Nia" not in plain_body(received) and "Nia" not in html_body(received)
    link = link_in(received)

    invitee = app.test_client()
    form = invitee.get(link)
    assert form.status_code == 200
    assert "Set a password for your account" in text_of(form)
    assert choose_password(invitee, link, "nia chose this password").status_code == 302
    assert who_is_signed_in(invitee) == "Nia Newcomer"
    assert [e.detail for e in audit_events("password_set")] == ["invite"]

    later = app.test_client()
    sign_in(later, "nia@health.test", "nia chose this password")
    assert who_is_signed_in(later) == "Nia Newcomer"
    assert later.get(link).status_code == 410


def test_set_password_form_refuses_short_or_mismatched_passwords(smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, "Pat Worker")
    link = emailed_reset_link(client, smtp_server)

    short = submit(client, link, {"password": "too short", "confirm": "too short"})
    assert short.status_code == 200
    assert "Password must be between 12 and 200 characters" in text_of(short)
    mismatch = submit(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert "The passwords do not match" in text_of(mismatch)
    assert who_is_signed_in(client) is None
    # Nothing was used up: the link still works.
    assert choose_password(client, link).status_code == 302


def test_set_password_form_follows_the_password_min_length_setting(app, smtp_app, smtp_server, client, make_user):
    app.config["PASSWORD_MIN_LENGTH"] = 16
    make_user(EMAIL, "Pat Worker")
    link = emailed_reset_link(client, smtp_server)

    form = client.get(link)
    assert "At least 16 characters" in text_of(form)
    fourteen = "fourteen chars"
    response = submit(client, link, {"password": fourteen, "confirm": fourteen})
    assert response.status_code == 200
    assert "Password must be between 16 and 200 characters" in text_of(response)
    assert who_is_signed_in(client) is None
    assert choose_password(client, link, "sixteen chars ok").status_code == 302


def test_setting_a_password_voids_every_other_unused_link(app, smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, "Pat Worker")
    first = emailed_reset_link(client, smtp_server)
    submit(client, "/forgot-password", {"email": EMAIL})
    send_all()
    second = link_in(messages_to(smtp_server, EMAIL)[-1])
    assert second != first
    assert choose_password(client, second).status_code == 302
    assert EXPIRED in text_of(app.test_client().get(first))


def test_reset_links_are_not_sent_without_limit(app, smtp_app, smtp_server, client, make_user):
    make_user(EMAIL, "Pat Worker")
    app.config["PASSWORD_RESETS_PER_WINDOW"] = 2
    for _ in range(4):
        submit(client, "/forgot-password", {"email": EMAIL})
    send_all()
    assert len(messages_to(smtp_server, EMAIL)) == 2
