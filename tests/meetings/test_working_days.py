"""Working days: weekdays that are not bank holidays in England and Wales, as the holidays library lists
them (checked against the library: Christmas Day 2026 is Friday 25 December, Boxing Day falls on Saturday
26 December and is observed on Monday 28 December; in 2027 Good Friday is 26 March and Easter Monday 29
March, and Christmas and Boxing Day, on a weekend, are observed on 27 and 28 December). A meeting placed on
a bank holiday is warned about."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from coordinator.meetings import workdays
from coordinator.meetings.workdays import add_working_days, bank_holiday_name, is_working_day, working_days_between
from tests.families.helpers import Page
from tests.meetings.helpers import (
    move_data,
    next_weekday_bank_holiday,
    post,
    press,
    series_data,
    signed_in,
)


def test_the_library_has_the_bank_holidays_the_tests_rely_on(app):
    assert bank_holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert "Boxing Day" in bank_holiday_name(date(2026, 12, 28))
    assert bank_holiday_name(date(2027, 3, 26)) == "Good Friday"
    assert bank_holiday_name(date(2027, 3, 29)) == "Easter Monday"
    assert bank_holiday_name(date(2026, 12, 24)) is None
    assert bank_holiday_name(date(2026, 12, 29)) is None


@pytest.mark.parametrize("day, working", [
    (date(2026, 12, 24), True),  # Thursday
    (date(2026, 12, 25), False),  # Friday, Christmas Day
    (date(2026, 12, 26), False),  # Saturday (Boxing Day)
    (date(2026, 12, 27), False),  # Sunday
    (date(2026, 12, 28), False),  # Monday, Boxing Day observed
    (date(2026, 12, 29), True),  # Tuesday
    (date(2027, 3, 29), False),  # Easter Monday
])
def test_is_working_day(app, day, working):
    assert is_working_day(day) is working


def test_add_working_days_across_a_weekend_and_bank_holidays(app):
    # Thursday 24 December 2026 + 1: Christmas Day, the weekend and Boxing Day (observed) are skipped
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    # Friday 18 December + 5: 21, 22, 23, 24, then 29
    assert add_working_days(date(2026, 12, 18), 5) == date(2026, 12, 29)
    # and backwards
    assert add_working_days(date(2026, 12, 29), -1) == date(2026, 12, 24)
    assert add_working_days(date(2026, 12, 29), -5) == date(2026, 12, 18)
    # an ordinary weekend: Friday + 1 is Monday
    assert add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 8)
    # Easter 2027: Thursday 25 March + 1 is Tuesday 30 March
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    # zero is the day itself
    assert add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_working_days_between(app):
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert working_days_between(date(2026, 12, 18), date(2026, 12, 31)) == 7  # 21-24, 29-31
    assert working_days_between(date(2026, 12, 29), date(2026, 12, 24)) == 0


def test_without_an_application_the_default_is_england_and_wales():
    assert workdays._region() == ("GB", "ENG")
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_the_region_comes_from_the_configuration(app):
    """Scotland has 2 January and St Andrew's Day; England and Wales do not."""
    assert is_working_day(date(2027, 1, 4))  # Monday, substitute for 2 January in Scotland only
    app.config["BANK_HOLIDAY_SUBDIVISION"] = "SCT"
    try:
        assert not is_working_day(date(2027, 1, 4))
    finally:
        app.config["BANK_HOLIDAY_SUBDIVISION"] = "ENG"


# --- warnings ---------------------------------------------------------------------------------------------

def test_moving_a_meeting_onto_a_bank_holiday_is_warned_about(app, world):
    holiday = next_weekday_bank_holiday()
    name = bank_holiday_name(holiday)
    warning = f"{holiday.strftime('%A %-d %B %Y')} is a bank holiday ({name})"
    lead = signed_in(app, world.lead)
    target = world.series.occurrences[0]
    url = f"/families/{world.family.reference}/meetings/{target.id}/move"
    confirmation = Page(post(lead, url, move_data(holiday, "14:00")))  # 14:00: clear of the series' 10:00
    assert confirmation.heading == "Move this meeting?"
    assert warning in confirmation.text
    assert press(lead, url, confirmation, "no").status_code == 302

    series_page = Page(lead.get(f"/families/{world.family.reference}/series/{world.series.id}"))
    assert warning in series_page.text
    meeting_page = Page(lead.get(f"/families/{world.family.reference}/meetings/{target.id}"))
    assert warning in meeting_page.text


def test_a_series_with_a_meeting_on_a_bank_holiday_is_warned_about(app, world):
    holiday = next_weekday_bank_holiday(after_days=1)
    name = bank_holiday_name(holiday)
    warning = f"{holiday.strftime('%A %-d %B %Y')} is a bank holiday ({name})"
    lead = signed_in(app, world.lead)
    url = f"/families/{world.family.reference}/series/new"
    confirmation = Page(post(lead, url, series_data(holiday, chair=world.lead, invitees=[world.member])))
    assert confirmation.heading == "Send the invitations?"
    assert warning in confirmation.text
    response = press(lead, url, confirmation, "no")
    assert response.status_code == 302
    series_page = Page(lead.get(response.headers["Location"]))
    assert warning in series_page.text


def test_an_extra_meeting_on_a_bank_holiday_is_warned_about(app, world):
    holiday = next_weekday_bank_holiday()
    lead = signed_in(app, world.lead)
    url = f"/families/{world.family.reference}/series/{world.series.id}/extra"
    confirmation = Page(post(lead, url, move_data(holiday, "12:00")))
    assert f"{holiday.strftime('%A %-d %B %Y')} is a bank holiday" in confirmation.text


def test_no_warning_on_an_ordinary_working_day(app, world):
    lead = signed_in(app, world.lead)
    day = world.series.occurrences[0].starts_at.date()
    while not is_working_day(day + timedelta(days=1)):
        day += timedelta(days=1)
    day += timedelta(days=1)
    url = f"/families/{world.family.reference}/meetings/{world.series.occurrences[0].id}/move"
    confirmation = Page(post(lead, url, move_data(day, "10:00")))
    assert "bank holiday" not in confirmation.text
