"""Sessions: idle timeout, signing out (here and everywhere), and the session cookie's flags."""
from __future__ import annotations

from coordinator.timeutil import utcnow
from tests.auth.conftest import audit_events, fresh, text_of, urlpath, who_is_signed_in
from tests.conftest import PASSWORD, csrf_from, sign_in, submit

EMAIL = "pat@partnership.test"
IDLE_MESSAGE = "You were signed out because you had not done anything for a while."


def set_last_seen(client, seconds_ago: int) -> None:
    with client.session_transaction() as session:
        assert "seen" in session, "the app records when the session was last used"
        session["seen"] = int(utcnow().timestamp()) - seconds_ago


def test_idle_session_is_signed_out_and_sent_to_sign_in(make_app, make_user):
    make_user(EMAIL, "Pat Worker")
    app = make_app(SESSION_IDLE_MINUTES=5)
    client = app.test_client()
    sign_in(client, EMAIL)
    assert who_is_signed_in(client) == "Pat Worker"

    # Four minutes idle: still signed in.
    set_last_seen(client, 4 * 60)
    assert who_is_signed_in(client) == "Pat Worker"

    # Six minutes idle: the next request is sent to sign in, with a reason.
    set_last_seen(client, 6 * 60)
    response = client.get("/account")
    assert response.status_code == 302
    assert urlpath(response.headers["Location"]) == "/sign-in"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert IDLE_MESSAGE in text_of(page)
    assert who_is_signed_in(client) is None

    # Signing in again returns to the page that was asked for.
    again = sign_in(client, EMAIL)
    assert again.headers["Location"].startswith("/account")


def test_get_sign_out_only_asks_for_confirmation(client, make_user):
    make_user(EMAIL, "Pat Worker")
    sign_in(client, EMAIL)

    response = client.get("/sign-out")

    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Sign out</h1>' in text_of(response)
    assert 'method="post" action="/sign-out"' in text_of(response)
    csrf_from(text_of(response))
    assert who_is_signed_in(client) == "Pat Worker"
    assert audit_events("signed_out") == []


def test_sign_out_by_post_with_csrf_token(client, make_user):
    user = make_user(EMAIL, "Pat Worker")
    sign_in(client, EMAIL)

    response = submit(client, "/sign-out", {})

    assert response.status_code == 302 and response.headers["Location"] == "/signed-out"
    assert "You have signed out" in text_of(client.get("/signed-out"))
    assert who_is_signed_in(client) is None
    assert client.get("/account").status_code == 302
    [event] = audit_events("signed_out")
    assert event.actor_id == user.id


def test_sign_out_post_without_csrf_token_is_refused(client, make_user):
    make_user(EMAIL, "Pat Worker")
    sign_in(client, EMAIL)

    response = client.post("/sign-out", data={})

    assert response.status_code == 400
    assert "Your form could not be sent" in text_of(response)
    assert who_is_signed_in(client) == "Pat Worker"


def test_sign_out_everywhere_ends_other_sessions(app, make_user):
    user = make_user(EMAIL, "Pat Worker")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, EMAIL)
    sign_in(phone, EMAIL)
    assert who_is_signed_in(phone) == "Pat Worker"

    response = submit(laptop, "/account/sign-out-everywhere", {}, page="/account")

    assert response.status_code == 302 and response.headers["Location"] == "/signed-out"
    assert who_is_signed_in(phone) is None
    assert who_is_signed_in(laptop) is None
    assert fresh(user).session_version == 2
    assert len(audit_events("signed_out_everywhere")) == 1
    # Signing in again works as usual.
    sign_in(phone, EMAIL)
    assert who_is_signed_in(phone) == "Pat Worker"


def session_cookie_header(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("coordinator_session=")]
    assert headers, "no session cookie set"
    return headers[-1]


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    make_user(EMAIL, "Pat Worker")

    for response in (client.get("/sign-in"), sign_in(client, EMAIL), client.get("/")):
        header = session_cookie_header(response)
        assert "httponly" in cookie_attributes(header)
        assert "SameSite=Lax" in header
        assert "secure" not in cookie_attributes(header)  # BASE_URL is http in the tests


def test_session_cookie_is_secure_when_base_url_is_https(make_app, make_user):
    make_user(EMAIL, "Pat Worker")
    app = make_app(BASE_URL="https://coordinator.partnership.test")
    client = app.test_client()
    page_url = "https://coordinator.partnership.test/sign-in"

    first = client.get(page_url)
    # The Referer is sent by hand, as a browser does under the page's same-origin policy (Flask-WTF refuses
    # HTTPS form posts without one; see test_sign_in_over_https_works_for_a_browser_following_...).
    response = client.post(page_url, headers={"Referer": page_url},
                           data={"csrf_token": csrf_from(text_of(first)), "email": EMAIL,
                                 "password": PASSWORD})

    assert response.status_code == 302
    for r in (first, response):
        header = session_cookie_header(r)
        assert {"secure", "httponly"} <= cookie_attributes(header)
        assert "SameSite=Lax" in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_copy_of_the_cookie_taken_before_signing_out_opens_nothing_afterwards(client, make_app, make_user):
    """Signing out ends the session on the server: someone who copied the cookie (a shared computer, a
    stolen cookie) is sent to sign in."""
    make_user(EMAIL, "Pat Worker")
    sign_in(client, EMAIL)
    cookie = client.get_cookie("coordinator_session").value
    page = client.get("/sign-out")
    response = client.post("/sign-out", data={"csrf_token": csrf_from(text_of(page))})
    assert response.status_code == 302

    thief = client.application.test_client()
    thief.set_cookie("coordinator_session", cookie, domain="localhost")
    response = thief.get("/account")
    assert response.status_code == 302 and urlpath(response.headers["Location"]) == "/sign-in"


def test_a_session_kept_in_use_ends_after_its_absolute_lifetime(make_app, make_user):
    make_user(EMAIL, "Pat Worker")
    app = make_app(SESSION_ABSOLUTE_HOURS=12)
    client = app.test_client()
    sign_in(client, EMAIL)
    with client.session_transaction() as session:
        assert "signed_in_at" in session, "the app records when the person signed in"
        session["signed_in_at"] = int(utcnow().timestamp()) - 11 * 3600  # used all day: still in
    assert who_is_signed_in(client) == "Pat Worker"
    with client.session_transaction() as session:
        session["signed_in_at"] = int(utcnow().timestamp()) - 12 * 3600 - 60
    response = client.get("/account")
    assert response.status_code == 302 and urlpath(response.headers["Location"]) == "/sign-in"
    assert "a session lasts at most 12 hours" in text_of(client.get(response.headers["Location"]))
    assert who_is_signed_in(client) is None
