"""The sign-in form against forged, oversized and redirecting requests."""
from __future__ import annotations

import pytest

from tests.auth.conftest import audit_events, referer_a_browser_sends, text_of, who_is_signed_in
from tests.conftest import PASSWORD, csrf_from, sign_in

EMAIL = "pat@partnership.test"
CSRF_PAGE = "Your form could not be sent"


def test_sign_in_post_without_csrf_token_is_refused(client, make_user):
    make_user(EMAIL, "Pat Worker")
    client.get("/sign-in")  # the browser has a session, but the form comes from elsewhere

    response = client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD})

    assert response.status_code == 400
    assert CSRF_PAGE in text_of(response)
    assert who_is_signed_in(client) is None
    assert audit_events("signed_in") == []


@pytest.mark.parametrize("token_kind", ["another session's token", "made-up token"])
def test_sign_in_post_with_wrong_csrf_token_is_refused(app, client, make_user, token_kind):
    make_user(EMAIL, "Pat Worker")
    client.get("/sign-in")
    if token_kind == "another session's token":
        token = csrf_from(text_of(app.test_client().get("/sign-in")))
    else:
        token = "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.Zz0000.abcdefghijklmnopqrstuvwxyz0"

    response = client.post("/sign-in", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD})

    assert response.status_code == 400
    assert CSRF_PAGE in text_of(response)
    assert who_is_signed_in(client) is None
    assert audit_events("signed_in") == []


def test_oversized_sign_in_body_gets_a_clear_413_page(app, client, make_user):
    make_user(EMAIL, "Pat Worker")
    token = csrf_from(text_of(client.get("/sign-in")))
    padding = "a" * (app.config["MAX_CONTENT_LENGTH"] + 1024)

    response = client.post("/sign-in", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD,
                                             "padding": padding})

    assert response.status_code == 413
    assert "What you sent is too large" in text_of(response)
    assert "Sorry, there is a problem with the service" not in text_of(response)
    assert who_is_signed_in(client) is None


def sign_in_with_next(client, target):
    page = client.get("/sign-in", query_string={"next": target})
    assert page.status_code == 200
    response = client.post("/sign-in", data={"csrf_token": csrf_from(text_of(page)), "email": EMAIL,
                                             "password": PASSWORD})
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize("target", [
    "//evil.example",
    "https://evil.example",
    "https://evil.example/sign-in",
    "https:evil.example",
    "javascript:alert(1)",
])
def test_next_pointing_off_site_goes_home_after_sign_in(client, make_user, target):
    make_user(EMAIL, "Pat Worker")

    assert sign_in_with_next(client, target) == "/"


@pytest.mark.parametrize("target", [
    "/\\evil.example",  # browsers read a bare backslash as a slash, i.e. //evil.example
    "/\t/evil.example",  # browsers drop tabs, i.e. //evil.example
    "/%2F/evil.example",
])
def test_next_disguised_as_a_path_stays_on_this_site(client, make_user, target):
    make_user(EMAIL, "Pat Worker")

    location = sign_in_with_next(client, target)

    # What the browser receives must be a path on this site: no scheme or host, and nothing a browser
    # would turn into one (a leading "//", a backslash, a tab or newline).
    assert location.startswith("/") and not location.startswith("//")
    assert not any(ch in location for ch in "\\\t\r\n")


def test_next_within_the_site_is_followed_after_sign_in(client, make_user):
    make_user(EMAIL, "Pat Worker")
    asked = client.get("/account")
    assert asked.status_code == 302

    response = sign_in_from(client, asked.headers["Location"])

    assert response.headers["Location"] == "/account"


def sign_in_from(client, url):
    page = client.get(url)
    return client.post("/sign-in", data={"csrf_token": csrf_from(text_of(page)), "email": EMAIL,
                                         "password": PASSWORD})


def test_signed_in_visit_to_sign_in_page_goes_home(client, make_user):
    make_user(EMAIL, "Pat Worker")
    sign_in(client, EMAIL)

    response = client.get("/sign-in?next=//evil.example")

    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_over_https_works_for_a_browser_following_the_referrer_policy(make_app, make_user):
    make_user(EMAIL, "Pat Worker")
    app = make_app(BASE_URL="https://coordinator.partnership.test")
    browser = app.test_client()
    page_url = "https://coordinator.partnership.test/sign-in"

    page = browser.get(page_url)
    referer = referer_a_browser_sends(page, page_url)
    response = browser.post(page_url, headers={"Referer": referer} if referer else {},
                            data={"csrf_token": csrf_from(text_of(page)), "email": EMAIL, "password": PASSWORD})

    assert CSRF_PAGE not in text_of(response)
    assert response.status_code == 302 and response.headers["Location"] == "/"
