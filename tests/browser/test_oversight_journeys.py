"""The demo's team manager and the partnership's analyst, in a real browser at 320 px: each reaches their
page from the menu, narrows and sorts what it shows, and downloads it; axe checks every page visited and
nothing is wider than the window (WCAG 2.2 1.4.10, reflow)."""
from __future__ import annotations

from pathlib import Path

import pytest

from coordinator.extensions import db
from tests.browser.conftest import browser_sign_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo password for the oversight journeys"


def assert_reflows(page, label: str) -> None:
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{label}: {width} px wide in a {inner} px window (horizontal scroll)"


@pytest.fixture
def demo(app):
    from coordinator.demo import load_demo

    load_demo(DEMO_PASSWORD)
    db.session.commit()


def test_the_team_manager_narrows_sorts_and_downloads_the_teams_work(page, axe, demo):
    page.set_viewport_size({"width": 320, "height": 720})
    browser_sign_in(page, "manager@demo.invalid", DEMO_PASSWORD)
    page.goto("/")
    link = page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your team's work", include_hidden=True)
    page.goto(link.get_attribute("href"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your team's work"
    axe.check("manager: dashboard")
    assert_reflows(page, "manager: dashboard")

    section = page.locator("section", has=page.get_by_role("heading", name="Actions overdue, by owner and agency"))
    assert section.locator("tbody tr").count() > 0
    section.get_by_label("Agency").select_option(label="Demo NHS Trust Health Visiting")
    section.get_by_label("Sort by").select_option(label="Days overdue")
    section.get_by_role("button", name="Show").click()
    section = page.locator("section", has=page.get_by_role("heading", name="Actions overdue, by owner and agency"))
    agencies = section.locator("tbody td[data-label='Agency']").all_inner_texts()
    assert agencies and set(agencies) == {"Demo NHS Trust Health Visiting"}
    assert section.locator("th[aria-sort='ascending']").count() == 1
    days = [int(d) for d in section.locator("tbody td[data-label='Days overdue']").all_inner_texts()]
    assert days == sorted(days)
    axe.check("manager: dashboard, narrowed and sorted")
    assert_reflows(page, "manager: dashboard, narrowed and sorted")

    with page.expect_download() as download:
        section.get_by_role("link", name="Download this table as a spreadsheet").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "Family,Owner,Agency,Was due,Days overdue"
    assert all(",Demo NHS Trust Health Visiting," in line for line in text.splitlines()[1:])


def test_the_analyst_chooses_a_period_and_a_grouping_and_downloads_the_measures(page, axe, demo):
    page.set_viewport_size({"width": 320, "height": 720})
    browser_sign_in(page, "analyst@demo.invalid", DEMO_PASSWORD)
    page.goto("/")
    menu = page.get_by_role("navigation", name="Menu")
    assert menu.get_by_role("link", name="My families", include_hidden=True).count() == 0
    page.goto(menu.get_by_role("link", name="Partnership learning", include_hidden=True).get_attribute("href"))
    assert page.get_by_role("heading", level=1).inner_text() == "Partnership learning"
    axe.check("analyst: measures by agency")
    assert_reflows(page, "analyst: measures by agency")

    page.get_by_label("Plan type").check()
    page.get_by_role("button", name="Show the measures").click()
    table = page.get_by_role("table", name="Households with a man unknown or never seen: the figures")
    groups = table.locator("tbody th").all_inner_texts()
    assert "Child protection" in groups and "Child in need" in groups
    shares = table.locator("tbody td[data-label='Share']").all_inner_texts()
    assert any(s.endswith("%") for s in shares)  # sixty families of history: shown
    assert page.locator("figure.app-chart svg rect").count() > 0
    axe.check("analyst: measures by plan type")
    assert_reflows(page, "analyst: measures by plan type")

    # The end before the start: the error summary, the dates kept, the last year shown meanwhile.
    for field, values in (("start", ("1", "6", "2026")), ("end", ("1", "1", "2026"))):
        group = page.locator(f"#{field}")
        for input_, value in zip(group.locator("input").all(), values, strict=True):
            input_.fill(value)
    page.get_by_role("button", name="Show the measures").click()
    summary = page.locator(".govuk-error-summary")
    assert "on or after its start" in summary.inner_text()
    assert page.locator("#start input").first.input_value() == "1"
    axe.check("analyst: a period refused")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download every measure as a spreadsheet").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Measure,")
    assert len(lines) > 7
    # The analyst opens no family: a family's address is not found.
    from sqlalchemy import select

    from coordinator.families.models import Family

    ref = db.session.scalar(select(Family.reference).where(Family.family_name == "Harrow"))
    response = page.goto(f"/families/{ref}")
    assert response is not None and response.status == 404
