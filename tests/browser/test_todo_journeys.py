"""Each persona of the demo starts from the home page and reaches every piece of their work by the to-do list
alone, on a 320 px wide screen: every page visited is checked with axe and has no horizontal scroll (WCAG
2.2 1.4.10, reflow)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from tests.browser.conftest import browser_sign_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo password for the to-do journeys"

# What each persona's to-do list must offer in the demo (the kinds of work the issue names for them).
EXPECTED = {
    "lead@demo.invalid": {"Write your agency's update", "Do the action you own", "Read the pre-meeting pack",
                          "Read and acknowledge the minutes", "Decide who joins the household",
                          "Read replies about meetings", "Decide on a new time proposed"},
    "chair@demo.invalid": {"Read the pre-meeting pack", "Say whether you will attend",
                           "Read and acknowledge the minutes"},
    "health@demo.invalid": {"Say whether you will attend", "Read and acknowledge the minutes",
                            "Write your agency's update"},
    "school@demo.invalid": {"Say whether you will attend", "Write your agency's update"},
    "police@partner.invalid": {"Say whether you will attend"},
}


def assert_reflows(page, label: str) -> None:
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{label}: {width} px wide in a {inner} px window (horizontal scroll)"


def todo_links(page) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        ".govuk-task-list__item a.govuk-task-list__link",
        "links => links.map(a => [a.textContent.trim(), a.getAttribute('href')])")


@pytest.fixture
def demo(app):
    """The demo, and a police officer the Harrow family's lead invited as a partner (no account before)."""
    from coordinator.auth.services import existing_user, hash_password
    from coordinator.demo import load_demo
    from coordinator.families import services as families
    from coordinator.families.models import Family

    load_demo(DEMO_PASSWORD)
    harrow = db.session.scalar(select(Family).where(Family.family_name == "Harrow"))
    police = existing_user("outsider@demo.invalid").agency
    officer = families.invite_partner(harrow, email="police@partner.invalid", name="PC Pat Partner", agency=police,
                                      job_title="Police constable", reason="Attended a domestic incident",
                                      actor=existing_user("lead@demo.invalid"))
    officer.password_hash = hash_password(DEMO_PASSWORD)
    db.session.commit()


@pytest.mark.parametrize("email", sorted(EXPECTED))
def test_every_piece_of_work_is_one_click_from_the_to_do_list_at_320_px(page, axe, demo, email):
    page.set_viewport_size({"width": 320, "height": 720})
    browser_sign_in(page, email, DEMO_PASSWORD)
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your to-do list"
    axe.check(f"{email}: home")
    assert_reflows(page, f"{email}: home")
    links = todo_links(page)
    assert EXPECTED[email] <= {kind for kind, _ in links}, links
    for kind, href in links:
        response = page.goto(href)
        assert response is not None and response.status == 200, (kind, href, response and response.status)
        label = f"{email}: {kind} ({href})"
        axe.check(label)
        assert_reflows(page, label)
    # And at a desktop width the home page lays out the same work.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    assert todo_links(page) == links
    axe.check(f"{email}: home at 1280 px")
