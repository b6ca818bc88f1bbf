"""A save that came second, in a real browser: the person sees what is saved now beside what they typed,
their text still in the form, on a wide screen and at 320 px; saving again keeps theirs. axe checks it."""
import pytest
from playwright.sync_api import expect

from coordinator.extensions import db
from tests.browser.conftest import AccessibilityChecker, browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_the_second_save_shows_both_versions_and_keeps_the_typing(app, page, axe, make_user, live_server, tmp_path):
    from coordinator.families import services as families
    from coordinator.families.models import Family, PlanType

    lead = make_user("lead@council.test", "Lee Lead")
    family = families.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    address="1 Old Road", reason_for_sharing="Allocated social worker")
    db.session.commit()
    edit = f"/families/{family.reference}/edit"

    # The same lead in a second browser, on a phone-sized screen.
    other = page.context.browser.new_context(base_url=live_server, viewport={"width": 320, "height": 800})
    narrow = other.new_page()
    narrow.set_default_timeout(10_000)
    browser_sign_in(page, "lead@council.test", PASSWORD)
    browser_sign_in(narrow, "lead@council.test", PASSWORD)

    page.goto(edit)
    narrow.goto(edit)
    page.get_by_label("Address").fill("2 New Street")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Family details saved")

    narrow.get_by_label("Address").fill("3 Other Lane")
    narrow.get_by_role("button", name="Save").click()
    summary = narrow.locator("#conflict")
    expect(summary).to_contain_text("Someone else saved this family's details while you were editing")
    expect(narrow.locator("#conflict-address")).to_contain_text("2 New Street")
    expect(narrow.locator("#conflict-address")).to_contain_text("3 Other Lane")
    expect(narrow.get_by_label("Address")).to_have_value("3 Other Lane")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling (WCAG 1.4.10)
    narrow.screenshot(path=str(tmp_path / "conflict-320.png"), full_page=True)
    AccessibilityChecker(narrow).check("a save that came second, at 320 px")

    narrow.get_by_role("button", name="Save").click()  # having seen both, they keep theirs
    expect(narrow.locator(".govuk-notification-banner")).to_contain_text("Family details saved")
    db.session.expire_all()
    assert db.session.get(Family, family.id).address == "3 Other Lane"
    other.close()
