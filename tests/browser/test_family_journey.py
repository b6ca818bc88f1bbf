"""Issue 3's journey in a real browser: the lead professional creates a family with a child, adds an
unknown man to the household and a health visitor to the network; axe checks every page on the way."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def fill_date(page, name: str, day: str, month: str, year: str) -> None:
    page.locator(f"#{name}-day").fill(day)
    page.locator(f"#{name}-month").fill(month)
    page.locator(f"#{name}-year").fill(year)


def test_lead_creates_a_family_and_adds_an_unknown_man(page, axe, make_user):
    make_user("lead@council.test", "Lee Lead")
    make_user("hv@nhs.test", "Hana Visitor", agency_name="Health visiting")
    browser_sign_in(page, "lead@council.test", PASSWORD)

    page.get_by_role("link", name="My families").first.click()
    axe.check("my families (empty)")
    page.get_by_role("button", name="Create a family").click()
    axe.check("create a family")
    page.get_by_role("button", name="Create family").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the family name")
    axe.check("create a family with errors")
    page.get_by_label("Family name").fill("Harrow")
    page.get_by_label("Child protection").check()
    page.get_by_label("Address").fill("14 Mill Lane")
    page.get_by_label("Why you hold this family's records").fill("Allocated social worker")
    page.get_by_role("button", name="Create family").click()

    banner = page.locator(".govuk-notification-banner").inner_text()
    reference = re.search(r"reference ([A-Z0-9]{4,})", banner).group(1)
    axe.check("add a child")
    page.get_by_label("Child's full name").fill("Ruby Harrow")
    page.get_by_label("Yes").first.check()
    fill_date(page, "date_of_birth", "3", "6", "2026")
    page.get_by_label("Female").check()
    page.get_by_label("NHS number (optional)").fill("943 476 5918")
    page.get_by_role("button", name="Save child").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a valid NHS number")
    assert page.get_by_label("Child's full name").input_value() == "Ruby Harrow"
    axe.check("add a child with errors")
    page.get_by_label("NHS number (optional)").fill("943 476 5919")
    page.get_by_role("button", name="Save child").click()

    expect(page.get_by_role("heading", name="Harrow")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Ruby Harrow: father not recorded")
    axe.check("family page")

    page.get_by_role("button", name="Add a person").click()
    axe.check("add a person")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("Visits", exact=True).check()
    page.get_by_label("Told of (reported, not seen)").check()
    page.get_by_role("button", name="Save person").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the person's name, or describe them")
    assert page.get_by_label("Male", exact=True).is_checked()
    axe.check("add a person with errors")
    page.get_by_label("Description, if the name is not known").fill("Man in his 30s, drives a red van")
    page.get_by_label("Relationship to Ruby Harrow").select_option(label="Not known")
    page.get_by_label("Who reported them or where they were seen (optional)").fill("A neighbour")
    page.get_by_role("button", name="Save person").click()

    men = page.locator("table", has_text="Man in his 30s")
    expect(men).to_be_visible()
    attention = page.locator(".govuk-error-summary").inner_text()
    assert "Unknown man 1: name not known" in attention  # numbered; the description is shown beside, not as his name
    assert "never seen by any agency" in attention
    axe.check("family page with an unknown man")

    page.get_by_role("link", name="Unknown man 1").first.click()
    axe.check("person page")
    page.get_by_role("link", name="Back to the household").click()

    page.get_by_role("button", name="Add a professional").click()
    page.get_by_label("Professional's email address").fill("hv@nhs.test")
    page.get_by_label("Reason for sharing").fill("Health visitor for the baby")
    page.get_by_role("button", name="Add to network").click()
    expect(page.get_by_role("cell", name="Health visiting")).to_be_visible()
    axe.check("family page with network")

    page.goto("/families")
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    axe.check("my families")
    # Searching by a name: found, and the name typed is nowhere in the address.
    search_box = page.get_by_label("Search by reference, family name, or the name of a child or anyone in the household")
    search_box.fill("Harrow")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    assert "Harrow" not in page.url
    axe.check("my families, searched")
    # By the child's first name, among all families open and closed: the row says who matched.
    search_box.fill("ruby")
    page.get_by_label("All families").check()
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("row", name=re.compile(reference))).to_contain_text("Matched: Ruby Harrow (child)")
    assert "ruby" not in page.url.lower() and "status=all" in page.url
    expect(page.get_by_label("All families")).to_be_checked()
    axe.check("my families, searched for a person")
    page.get_by_role("button", name="Clear the search").click()
    expect(search_box).to_have_value("")
    page.goto(f"/families/{reference}/access-history")
    axe.check("access history")
    page.goto(f"/families/{reference}/household/history")
    axe.check("household history")
