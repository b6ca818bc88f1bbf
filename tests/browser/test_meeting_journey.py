"""Issue 4's journey in a real browser: the lead professional sets up a series, moves one meeting, cancels
another and ends the series. After each step the invites captured by the test SMTP server, applied in
order as a calendar does and read by ical.js and recurring-ical-events, leave every invitee's calendar
exactly as the application shows it; the personal feed agrees; no invite names the family; axe checks
every page."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from coordinator.extensions import db
from tests.browser.conftest import browser_sign_in
from tests.calendar import helpers
from tests.calendar.conftest import calendar_world  # noqa: F401 - the fixture, shared with the calendar tests
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def fill_date(page, name, day: date):
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def confirm_and_send(page, axe, label):
    expect(page.get_by_role("heading", name="Who will get a calendar update")).to_be_visible()
    axe.check(f"confirm: {label}")
    page.get_by_role("button", name="Save and send updates").click()


def calendars_match(world, client):
    """Every invitee's calendar (from the emails) and feed hold exactly the application's meetings."""
    from coordinator.calendar import feed

    world.deliver()
    world.assert_calendars()
    start, end = world.window()
    for user in [world.lead, *world.invitees]:
        token = feed.token_for(user)
        db.session.commit()
        response = client.get(f"/calendar/{token}.ics")
        assert response.status_code == 200
        helpers.assert_calendar_is_app(response.get_data(as_text=True), world.series_of(user), start, end,
                                       with_cancelled=True)
    world.check_messages()


def test_series_set_up_moved_cancelled_and_ended_in_every_calendar(app, page, axe, calendar_world, client):  # noqa: F811
    world = calendar_world
    reference = world.family.reference
    browser_sign_in(page, "lead@council.test", PASSWORD)
    page.goto(f"/families/{reference}")
    page.get_by_role("link", name="See and arrange meetings").click()
    axe.check("family meetings (none)")
    page.get_by_role("button", name="Set up a meeting series").click()
    axe.check("new series form")

    first = date.today() + timedelta(days=7)
    first += timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday
    fill_date(page, "first_date", first)
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Duration in minutes").fill("90")
    page.get_by_label("Every how many weeks (or months, for monthly meetings)").fill("6")
    page.get_by_label("Place").fill("Demotown Family Centre")
    page.get_by_label("Online joining link").fill("http://not-secure.example/meet")
    page.get_by_label("Chair").select_option(label="Lee Lead (Lead professional)")
    page.get_by_label("Invite other professionals by email").fill("pc@police.test")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The joining link must start with https://")
    assert page.get_by_label("Place").input_value() == "Demotown Family Centre"
    axe.check("new series form with errors")
    page.get_by_label("Online joining link").fill("https://video.example/meet/abc")
    page.get_by_role("button", name="Continue").click()
    recipients = page.locator("main ul").first.inner_text()
    for person in (world.lead, *world.invitees):
        assert person.email in recipients
    confirm_and_send(page, axe, "new series")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Meeting series set up")
    axe.check("series page")
    calendars_match(world, client)

    # Move the second meeting to the next day at 14:00.
    page.locator("main table tbody tr").nth(1).get_by_role("link").click()
    axe.check("meeting page")
    page.get_by_role("button", name="Move this meeting").click()
    moved_to = date.fromisoformat(page.locator("#new_date-year").input_value() + "-"
                                  + page.locator("#new_date-month").input_value().zfill(2) + "-"
                                  + page.locator("#new_date-day").input_value().zfill(2)) + timedelta(days=1)
    fill_date(page, "new_date", moved_to)
    page.get_by_label("New start time").fill("14:00")
    page.get_by_role("button", name="Continue").click()
    confirm_and_send(page, axe, "move")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The meeting has moved")
    calendars_match(world, client)

    # Cancel the third.
    page.get_by_role("link", name="Back to the series").click()
    page.locator("main table tbody tr").nth(2).get_by_role("link").click()
    page.get_by_role("button", name="Cancel this meeting").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for cancelling")
    page.get_by_label("Reason for cancelling").fill("The chair is on leave")
    page.get_by_role("button", name="Continue").click()
    confirm_and_send(page, axe, "cancel")
    rows = page.locator("main table tbody").inner_text()
    assert "Moved" in rows and "Cancelled" in rows and "The chair is on leave" in rows
    calendars_match(world, client)

    # End the series: every future meeting goes from every calendar.
    page.get_by_role("button", name="End the series").click()
    axe.check("end the series")
    page.get_by_role("button", name="Continue").click()
    confirm_and_send(page, axe, "end")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The series has ended")
    calendars_match(world, client)
    for user in [world.lead, *world.invitees]:
        assert helpers.store_for(world.messages_for(user)).events == {}

    # Nothing anyone received names the family, a child or a household member.
    for _, message in world.messages():
        for text in helpers.texts_of_message(message):
            assert not re.search(r"Harrow|Ruby|Kelly|Darren", text)
