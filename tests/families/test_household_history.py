"""The household as it was on an earlier date: people appear from when they were recorded, show the
presence recorded at the time, and drop out after they left."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from coordinator.extensions import db
from coordinator.families.models import HouseholdMember, HouseholdMemberVersion
from coordinator.timeutil import local_zone, long_date, today
from tests.families.conftest import act_as
from tests.families.helpers import (
    Page,
    assert_form_error,
    family_data,
    member_data,
    post_form,
    shown_values,
    travel_to,
)


def signed_in(app, user):
    client = app.test_client()
    act_as(client, user)
    return client


def noon(day):
    return datetime.combine(day, time(12, 0), local_zone())


def household_on(client, ref: str, day) -> list[str] | None:
    response = client.get(f"/families/{ref}/household/history",
                          query_string={"on": [str(day.day), str(day.month), str(day.year)]})
    assert response.status_code == 200
    page = Page(response)
    assert page.error_summary is None, page.summary_errors()
    assert f"Recorded as living in or visiting the home on {long_date(day)}" in page.text
    if "Nobody was recorded on that date." in page.text:
        return []
    return [li.text() for li in page.find("ul", cls="govuk-list--bullet").find_all("li")]


def test_the_household_on_an_earlier_date(app, world, monkeypatch):
    real_today = today()
    day = {n: real_today - timedelta(days=n) for n in (90, 61, 60, 45, 30, 20, 11, 10, 5)}
    lead = signed_in(app, world.lead)
    hv = signed_in(app, world.member)

    # 90 days ago: the family is created and the health visitor joins the network.
    travel_to(monkeypatch, noon(day[90]))
    response = post_form(lead, "/families/new", family_data(family_name="Okafor"))
    ref = response.headers["Location"].split("/")[2]
    assert post_form(lead, f"/families/{ref}/network/add",
                     {"email": "hv@nhs.test", "role": "MEMBER", "reason": "Health visitor"}).status_code == 302
    # 60 days ago: a man who visits is recorded.
    travel_to(monkeypatch, noon(day[60]))
    assert post_form(hv, f"/families/{ref}/household/new",
                     member_data(name="Tom Baker", presence="VISITS")).status_code == 302
    db.session.expire_all()
    tom = db.session.scalar(db.select(HouseholdMember).where(HouseholdMember.name == "Tom Baker"))
    assert tom.first_recorded_on == day[60]
    # 30 days ago: he has moved in; the grandmother is recorded.
    travel_to(monkeypatch, noon(day[30]))
    edit = f"/families/{ref}/household/{tom.id}/edit"
    form = Page(hv.get(edit))
    assert form.value("presence") == "VISITS" and form.value("revision") == "1"
    response = post_form(hv, edit, {"presence": "LIVES_IN"}, page=form)
    assert response.status_code == 302, Page(response).summary_errors()
    assert post_form(hv, f"/families/{ref}/household/new",
                     member_data(name="Gran Okafor", sex="FEMALE", presence="STAYS_SOMETIMES")).status_code == 302
    # 10 days ago: he left.
    travel_to(monkeypatch, noon(day[10]))
    leaving = Page(hv.get(f"/families/{ref}/household/{tom.id}/left"))
    assert shown_values(leaving, "left_on") == [str(day[10].day), str(day[10].month), str(day[10].year)]
    assert leaving.value("revision") == "2"
    response = post_form(hv, f"/families/{ref}/household/{tom.id}/left", {}, page=leaving)
    assert response.status_code == 302, Page(response).summary_errors()

    monkeypatch.undo()  # back to the present
    assert household_on(hv, ref, day[61]) == []
    assert household_on(hv, ref, day[60]) == ["Tom Baker: visits"]
    assert household_on(hv, ref, day[45]) == ["Tom Baker: visits"]
    assert household_on(hv, ref, day[30]) == ["Tom Baker: lives in the home", "Gran Okafor: stays sometimes"]
    assert household_on(hv, ref, day[20]) == ["Tom Baker: lives in the home", "Gran Okafor: stays sometimes"]
    assert household_on(hv, ref, day[11]) == ["Tom Baker: lives in the home", "Gran Okafor: stays sometimes"]
    assert household_on(hv, ref, day[10]) == ["Gran Okafor: stays sometimes"]
    assert household_on(hv, ref, day[5]) == ["Gran Okafor: stays sometimes"]
    assert household_on(hv, ref, real_today) == ["Gran Okafor: stays sometimes"]

    # Today's page lists him among those who left; his record keeps each change, who made it and when.
    page = Page(hv.get(f"/families/{ref}"))
    assert f"Tom Baker, left {long_date(day[10])}" in page.text
    assert "Tom Baker" not in page.section("Men and fathers").text()
    person = Page(hv.get(f"/families/{ref}/household/{tom.id}"))
    history = [li.text() for li in person.section("History of this record").find_all("li")]
    assert history == [f"{long_date(day[10])} at 12:00: changed date left by Hana Visitor",
                       f"{long_date(day[30])} at 12:00: changed lives in or visits by Hana Visitor",
                       f"{long_date(day[60])} at 12:00: added by Hana Visitor"]
    db.session.expire_all()
    versions = db.session.scalars(db.select(HouseholdMemberVersion).where(HouseholdMemberVersion.member_id == tom.id)
                                  .order_by(HouseholdMemberVersion.id)).all()
    assert [(v.revision, v.recorded_at.date()) for v in versions] == [
        (1, day[60]), (2, day[30]), (3, day[10])]


def test_the_history_page_asks_for_a_date_the_govuk_way(app, world):
    hv = signed_in(app, world.member)
    url = f"/families/{world.family.reference}/household/history"
    page = Page(hv.get(url))
    assert page.status_code == 200 and page.error_summary is None
    assert page.heading == "The household on an earlier date"

    page = Page(hv.get(url, query_string={"on": ["", "", ""]}))
    assert_form_error(page, "Enter a date", "on")
    page = Page(hv.get(url, query_string={"on": ["31", "2", "2024"]}))
    assert_form_error(page, "must be a real date, like 27 3 2024", "on")
    assert shown_values(page, "on") == ["31", "2", "2024"]
    assert "Recorded as living in or visiting the home" not in page.text


def test_today_shows_the_current_household(app, world):
    hv = signed_in(app, world.member)
    assert household_on(hv, world.family.reference, today()) == ["Kelly Harrow: lives in the home"]
    assert household_on(hv, world.family.reference, today() - timedelta(days=1)) == []
