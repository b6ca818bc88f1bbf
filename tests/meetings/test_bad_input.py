"""Bad input when setting up a series is refused the GOV.UK way: an error summary linking to the field,
the message at the field, what was typed shown again, and nothing saved or sent."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.families.models import NetworkMembership
from coordinator.meetings.models import MeetingSeries
from tests.families.helpers import Page
from tests.meetings.helpers import (
    EXTERNAL,
    assert_refused,
    dmy,
    meeting_counts,
    next_spring_forward_sunday,
    next_weekday,
    post,
    press,
    series_data,
    signed_in,
    today,
)


def url(world) -> str:
    return f"/families/{world.family.reference}/series/new"


def data(world, first=None, **overrides):
    return series_data(first or next_weekday(1), chair=world.lead, invitees=[world.member], external=EXTERNAL,
                       **overrides)


def refuse(app, world, overrides: dict, message: str, field_id: str, *, first=None, kept: dict | None = None):
    lead = signed_in(app, world.lead)
    first = first or next_weekday(1)
    typed = data(world, first, **overrides)
    expected = {"first_date": dmy(first), "external_emails": EXTERNAL, "chair_id": str(world.lead.id),
                "location": typed["location"], "online_link": typed["online_link"]}
    expected.update({k: v for k, v in overrides.items() if isinstance(v, str) and k not in ("until_date",)})
    expected.update(kept or {})
    page = assert_refused(lead, url(world), typed, message, field_id, kept=expected)
    assert page.checked("invitee_ids") == [str(world.member.id)]
    return page


def test_an_end_date_before_the_first_meeting(app, world):
    first = next_weekday(1, after_days=14)
    before = first - timedelta(days=3)
    refuse(app, world, {"end_kind": "ON_DATE", "until_date": dmy(before)},
           "The end date must be on or after the first meeting", "until_date", first=first,
           kept={"until_date": dmy(before), "end_kind": "ON_DATE"})


@pytest.mark.parametrize("minutes", ["0", "1441"])
def test_a_duration_of_nothing_or_over_a_day(app, world, minutes):
    refuse(app, world, {"duration_minutes": minutes}, "Duration must be between 1 minute and 24 hours",
           "duration_minutes", kept={"duration_minutes": minutes})


@pytest.mark.parametrize("interval", ["0", "53"])
def test_an_interval_of_0_or_more_than_52_weeks(app, world, interval):
    refuse(app, world, {"interval": interval}, "How often must be between 1 and 52", "interval",
           kept={"interval": interval})


def test_an_interval_of_13_months(app, world):
    first = next_weekday(1)
    first = first if first.day <= 28 else first + timedelta(days=7)
    refuse(app, world, {"recurrence": "MONTHLY_WEEKDAY", "interval": "13"}, "How often must be between 1 and 12 months",
           "interval", first=first, kept={"interval": "13", "recurrence": "MONTHLY_WEEKDAY"})


def test_after_0_meetings(app, world):
    refuse(app, world, {"end_kind": "AFTER_COUNT", "count": "0"}, "The number of meetings must be between 1 and 200",
           "count", kept={"count": "0", "end_kind": "AFTER_COUNT"})


def test_a_first_date_10_years_ahead(app, world):
    first = today().replace(year=today().year + 10) if not (today().month == 2 and today().day == 29) else \
        date(today().year + 10, 3, 1)
    refuse(app, world, {}, "The first meeting must be within 2 years", "first_date", first=first)


def test_a_first_date_in_the_past(app, world):
    refuse(app, world, {}, "The first meeting must be today or in the future", "first_date",
           first=today() - timedelta(days=1))


def test_an_invalid_external_email(app, world):
    refuse(app, world, {"external_emails": f"{EXTERNAL}\nnot-an-email"},
           "Enter email addresses in the correct format", "external_emails",
           kept={"external_emails": f"{EXTERNAL}\nnot-an-email"})


@pytest.mark.parametrize("link", ["http://meet.example.org/harrow", "meet.example.org/harrow",
                                  "javascript:alert(1)"])
def test_a_joining_link_that_is_not_https(app, world, link):
    refuse(app, world, {"online_link": link}, "The joining link must start with https://", "online_link")


def test_neither_place_nor_link(app, world):
    refuse(app, world, {"location": "", "online_link": "  "}, "Enter a place, a joining link, or both", "location")


@pytest.mark.parametrize("typed", ["25:00", "ten", "10:60", "1000"])
def test_a_start_time_that_is_not_a_time(app, world, typed):
    refuse(app, world, {"start_time": typed}, "Start time must be a time like 10:00 or 14:30", "start_time")


def test_a_local_time_that_does_not_exist(app, world):
    """01:30 on the Sunday the clocks go forward (28 March 2027 as of writing) does not exist in London."""
    sunday = next_spring_forward_sunday()
    page = refuse(app, world, {"start_time": "01:30"}, "the clocks go forward", "start_time", first=sunday)
    assert f"01:30 does not exist on Sunday {sunday.day} March {sunday.year}" in page.field_error("start_time")


def test_a_weekly_series_that_reaches_a_time_that_does_not_exist(app, world):
    """Weekly on Sundays at 01:30 from a few weeks before: the meeting on the night the clocks go forward
    cannot happen, and the lead is told which one."""
    sunday = next_spring_forward_sunday()
    first = sunday - timedelta(weeks=3)
    if first <= today():
        first = sunday
    page = refuse(app, world, {"start_time": "01:30", "interval": "1"}, "the clocks go forward", "start_time",
                  first=first)
    assert f"{sunday.day} March {sunday.year}" in page.field_error("start_time")


def test_the_hour_the_clocks_go_back_is_accepted(app, world):
    """01:30 on the night the clocks go back happens twice: that is allowed (the first of the two)."""
    year = today().year + (1 if today() >= date(today().year, 10, 20) else 0)
    last = date(year, 10, 31)
    sunday = last - timedelta(days=(last.weekday() - 6) % 7)
    lead = signed_in(app, world.lead)
    page = Page(post(lead, url(world), data(world, sunday, start_time="01:30", end_kind="AFTER_COUNT", count="2")))
    assert page.heading == "Send the invitations?", page.text[:2000]


@pytest.mark.parametrize("day", [29, 30, 31])
def test_monthly_on_a_date_after_the_28th(app, world, day):
    year, month = today().year, today().month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        try:
            first = date(year, month, day)
        except ValueError:
            continue
        break
    refuse(app, world, {"recurrence": "MONTHLY_DATE", "interval": "1"}, "choose a first date between the 1st and 28th",
           "first_date", first=first, kept={"recurrence": "MONTHLY_DATE"})


def test_monthly_on_the_28th_is_accepted(app, world):
    first = today().replace(day=28) + timedelta(days=31)
    first = first.replace(day=28)
    lead = signed_in(app, world.lead)
    before = meeting_counts()
    page = Page(post(lead, url(world), data(world, first, recurrence="MONTHLY_DATE", interval="1")))
    assert page.heading == "Send the invitations?", page.text[:2000]
    assert meeting_counts() == before


def test_a_chair_must_be_chosen(app, world):
    refuse(app, world, {"chair_id": "0"}, "Select the chair", "chair_id", kept={"chair_id": "0"})


def test_an_external_email_of_a_deactivated_account(app, world, make_user):
    """Such an account cannot be given access to the family: refused at once, not a failure on saving."""
    make_user("former@agency.test", "Former Worker", agency_name="Agency", active=False)
    refuse(app, world, {"external_emails": "former@agency.test"},
           "The account for former@agency.test is deactivated", "external_emails",
           kept={"external_emails": "former@agency.test"})


def test_an_external_email_of_someone_already_in_the_network_is_no_new_guest(app, world):
    """Typing a network member's address invites them as themselves: no second membership, no new account."""
    lead = signed_in(app, world.lead)
    before = meeting_counts()
    page = Page(post(lead, url(world), data(world, external_emails="HV@nhs.test")))
    assert press(lead, url(world), page, "no").status_code == 302
    db.session.expire_all()
    series = db.session.scalars(select(MeetingSeries).order_by(MeetingSeries.id.desc())).first()
    assert {i.user_id for i in series.current_invitees} == {world.lead.id, world.member.id}
    after = meeting_counts()
    assert after["users"] == before["users"] and after["network_memberships"] == before["network_memberships"]
    assert db.session.scalars(select(NetworkMembership).where(NetworkMembership.user_id == world.member.id)).all() \
        == [world.member_membership]
