"""A move calendars cannot take, in a real browser: the lead moves a meeting past the next one of its series;
the page refuses it with a GOV.UK error (what they typed kept), and offers, as one step, to cancel the
meeting and add an extra meeting at the new time. Every invitee's calendar (rebuilt from the emails, read
by ical.js and recurring-ical-events) agrees with the application before the refusal, after it (nothing
sent) and after the one step. axe checks each page, at full width and at 320 px."""
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from coordinator.extensions import db
from coordinator.meetings.models import OccurrenceStatus
from coordinator.timeutil import today
from tests.browser.conftest import browser_sign_in
from tests.browser.test_meeting_journey import calendars_match, fill_date
from tests.calendar.conftest import calendar_world  # noqa: F401 - the fixture, shared with the calendar tests
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
LONDON = ZoneInfo("Europe/London")


def test_a_move_past_the_next_meeting_is_refused_and_done_the_other_way_in_one_step(app, page, axe, client,
                                                                                     calendar_world):  # noqa: F811
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=4))
    calendars_match(world, client)
    rule = sorted(series.rule_occurrences, key=lambda o: o.original_start)
    second, third = rule[1], rule[2]
    target = third.starts_at.astimezone(LONDON).date() + timedelta(days=1)  # past the third meeting
    sent = len(world.messages())

    browser_sign_in(page, world.lead.email, PASSWORD)
    page.goto(f"/families/{world.family.reference}/meetings/{second.id}/move")
    fill_date(page, "new_date", target)
    page.get_by_label("New start time").fill("14:00")
    page.get_by_label("Reason for the move (optional)").fill("The chair is away that week")
    page.get_by_role("button", name="Continue").click()

    summary = page.locator(".govuk-error-summary")
    third_at = third.starts_at.astimezone(LONDON).strftime("%A %-d %B %Y at %H:%M")
    expect(summary).to_contain_text(f"The new time must be before the next meeting of the series, on {third_at}")
    expect(page.locator("#new_date-error")).to_contain_text("before the next meeting of the series")
    assert page.title().startswith("Error: ")
    assert page.locator("#new_date-day").input_value() == str(target.day)
    assert page.get_by_label("New start time").input_value() == "14:00"
    expect(page.get_by_role("heading", name="Cancel this meeting and add an extra meeting instead")).to_be_visible()
    axe.check("move refused")
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    axe.check("move refused at 320 px")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Refused: nothing was saved or sent; every calendar is as it was.
    db.session.expire_all()
    assert second.status is OccurrenceStatus.SCHEDULED and second.starts_at == second.original_start
    calendars_match(world, client)
    assert len(world.messages()) == sent

    # The one step: one button, one submit.
    page.get_by_role("button", name="Cancel this meeting and add an extra meeting at the new time instead").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("The meeting is cancelled and an extra meeting added on")
    expect(banner).to_contain_text("Updates are on their way")
    axe.check("the extra meeting")
    db.session.expire_all()
    assert second.status is OccurrenceStatus.CANCELLED
    [extra] = [o for o in series.occurrences if o.is_extra]
    assert extra.starts_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == f"{target} 14:00"
    assert f"/meetings/{extra.id}" in page.url
    calendars_match(world, client)
    assert len(world.messages()) == sent + 2 * 4  # each invitee: the cancellation and the invitation
