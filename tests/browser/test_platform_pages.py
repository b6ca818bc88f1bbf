"""Every page the platform has, opened in a real browser and checked with axe (WCAG 2.2 AA)."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD, send_all

pytestmark = pytest.mark.browser


def test_public_pages_are_accessible(page, axe):
    for path in ["/sign-in", "/sign-in/code/request", "/forgot-password", "/accessibility", "/cookies",
                 "/no-such-page"]:
        page.goto(path)
        axe.check(path)
    # the error summary pattern, with the input kept
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("someone@partnership.test")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert "Enter your password" in summary.inner_text()
    assert page.get_by_label("Email address").input_value() == "someone@partnership.test"
    assert page.title().startswith("Error:")
    axe.check("sign-in with errors")


def test_administrator_pages_are_accessible(page, axe, make_user):
    make_user("admin@partnership.test", "Ada Admin", admin=True)
    browser_sign_in(page, "admin@partnership.test", PASSWORD)
    expect(page.get_by_text(re.compile("Signed in as Ada Admin"))).to_be_visible()
    axe.check("home")
    for path in ["/admin/", "/admin/agencies", "/admin/agencies/new", "/admin/users", "/admin/users/new",
                 "/admin/audit", "/admin/outbox", "/account", "/sign-out"]:
        page.goto(path)
        axe.check(path)

    page.goto("/admin/agencies/new")
    page.get_by_role("button", name="Save agency").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the agency's name")
    axe.check("new agency with errors")
    page.get_by_label("Agency name").fill("Northshire Health Visiting")
    page.get_by_label("Kind of agency").select_option(label="Health visiting")
    page.get_by_label("Secure email domain").fill("nhs.net")
    page.get_by_role("button", name="Save agency").click()
    expect(page.get_by_role("cell", name="Northshire Health Visiting")).to_be_visible()
    axe.check("agencies after adding one")

    page.goto("/admin/audit")
    expect(page.get_by_role("cell", name="Agency created")).to_be_visible()


def test_partner_signs_in_with_an_emailed_code(page, axe, app, smtp_server, make_user):
    app.config.update(smtp_server.config())
    make_user("hv@nhs.test", "Hana Visitor", password=None, agency_name="Health visiting")
    page.goto("/sign-in")
    page.get_by_role("link", name="sign in with a code sent to your email").click()
    page.get_by_label("Email address").fill("hv@nhs.test")
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    axe.check("enter code")
    send_all()
    [received] = smtp_server.messages
    body = received["message"].get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    page.get_by_label("Sign-in code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(re.compile("Signed in as Hana Visitor"))).to_be_visible()
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    axe.check("signed out")
