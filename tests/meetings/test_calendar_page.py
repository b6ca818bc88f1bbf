"""The personal calendar page: a feed address to subscribe to and a webcal:// link; getting a new
address stops the old one working."""
from __future__ import annotations

from tests.families.helpers import Page
from tests.meetings.helpers import csrf_from, signed_in


def feed_address(page: Page) -> str:
    field = page.find("input", id="feed-url")
    assert field is not None and "readonly" in field.attrs
    return field.attrs["value"]


def test_the_page_shows_the_feed_address_and_a_webcal_link(app, world):
    hv = signed_in(app, world.member)
    page = Page(hv.get("/calendar"))
    assert page.status_code == 200
    url = feed_address(page)
    assert url.startswith("http://localhost/calendar/") and url.endswith(".ics")
    assert page.link("Open in your calendar app") == "webcal://" + url.split("://", 1)[1]
    # the same address each time the page is opened
    assert feed_address(Page(hv.get("/calendar"))) == url

    feed = hv.get(url.removeprefix("http://localhost"))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert f"Professionals meeting - ref {world.family.reference}" in body
    assert "Harrow" not in body and "Ruby" not in body


def test_getting_a_new_address_changes_it_and_retires_the_old_one(app, world):
    hv = signed_in(app, world.member)
    page = Page(hv.get("/calendar"))
    old = feed_address(page)
    response = hv.post("/calendar/reset", data={"csrf_token": csrf_from(page.html)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/calendar")
    page = Page(hv.get("/calendar"))
    new = feed_address(page)
    assert new != old
    assert page.link("Open in your calendar app") == "webcal://" + new.split("://", 1)[1]
    assert "Your calendar feed has a new address" in page.text
    assert hv.get(old.removeprefix("http://localhost")).status_code == 404
    assert hv.get(new.removeprefix("http://localhost")).status_code == 200


def test_reset_needs_the_form(app, world):
    hv = signed_in(app, world.member)
    url = feed_address(Page(hv.get("/calendar")))
    assert hv.post("/calendar/reset", data={}).status_code == 400
    assert feed_address(Page(hv.get("/calendar"))) == url


def test_each_person_has_their_own_address(app, world):
    one = feed_address(Page(signed_in(app, world.member).get("/calendar")))
    two = feed_address(Page(signed_in(app, world.lead).get("/calendar")))
    assert one != two


def test_signed_out_the_page_asks_to_sign_in(app, world):
    response = app.test_client().get("/calendar")
    assert response.status_code == 302 and "sign-in" in response.headers["Location"]
