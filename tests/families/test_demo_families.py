"""The demo families: three plan types, an unborn baby, and households that show every flag, seen by the
demo people in their networks and by nobody else."""
from __future__ import annotations

from datetime import timedelta

import pytest

from coordinator.extensions import db
from coordinator.families import services
from coordinator.families.demo import load_demo_families
from coordinator.families.models import Child, Family, PlanType
from coordinator.timeutil import long_date, today
from tests.families.helpers import Page
from tests.support.people import signed_in

DEMO_PASSWORD = "demo password for tests only"


@pytest.fixture
def demo(app):
    from coordinator.demo import load_demo

    load_demo(DEMO_PASSWORD)
    families = load_demo_families()  # again: idempotent, gives the same three
    db.session.commit()
    return {family.family_name: family for family in families}




def attention(page: Page) -> list[str]:
    for box in page.find_all("div", cls="govuk-error-summary"):
        if "Needs attention in the household" in box.text():
            return [li.text() for li in box.find_all("li")]
    return []


def test_three_families_of_different_plan_types_and_one_unborn_child(app, demo):
    assert sorted(demo) == ["Harrow", "Okafor", "Patel"]
    # (and the partnership's generated history, coordinator.oversight.demo, in no demo person's network)
    assert db.session.scalar(db.select(db.func.count()).select_from(Family)
                             .where(Family.family_name.not_like("History %"))) == 3
    assert {f.plan_type for f in demo.values()} == {PlanType.CHILD_PROTECTION, PlanType.CHILD_IN_NEED,
                                                    PlanType.EARLY_HELP}
    unborn = [c for c in db.session.scalars(db.select(Child)).all() if c.is_unborn]
    assert [c.name for c in unborn] == ["Unborn baby Okafor"]
    assert unborn[0].family_id == demo["Okafor"].id and unborn[0].expected_due_date > today()
    assert len({f.reference for f in demo.values()}) == 3


def test_the_households_show_every_flag(app, demo):
    harrow = services.household_flags(demo["Harrow"])
    okafor = services.household_flags(demo["Okafor"])
    patel = services.household_flags(demo["Patel"])
    kinds = {f.kind for flags in (harrow, okafor, patel) for f in flags.flags}
    assert {"unconfirmed", "unseen_man", "unknown_man", "no_father"} <= kinds

    lead = signed_in(app, "lead@demo.invalid")
    # A father, known for serious violence, whom no agency has seen.
    page = Page(lead.get(f"/families/{demo['Harrow'].reference}"))
    assert "Dean Carter: never seen by any agency" in attention(page)
    dean = [r for r in page.table_rows(page.section("Men and fathers")) if r[0] == "Dean Carter"][0]
    assert dean[1] == "Father of Ruby Harrow" and "Violence or offending" in dean[5] and "Never seen" in dean[6]

    # An unknown man reported by a neighbour; a partner not confirmed for more than 42 days.
    page = Page(lead.get(f"/families/{demo['Okafor'].reference}"))
    unknown, description = "Unknown man 1", "Man in his 30s, drives a red van, seen leaving early in the morning"
    assert f"{unknown}: name not known" in attention(page)
    assert f"{unknown}: never seen by any agency" in attention(page)
    assert description not in attention(page)  # the description is not his name
    assert "Daniel Okafor: whereabouts not known" in attention(page)  # Amara's father
    row = [r for r in page.table_rows(page.section("Men and fathers")) if r[0] == f"{unknown} {description}"][0]
    assert "Told of (not seen)".lower() in row[4]
    member_id = [f.member_id for f in okafor.flags if f.kind == "unknown_man"][0]
    person = Page(lead.get(f"/families/{demo['Okafor'].reference}/household/{member_id}"))
    assert "Reported by a neighbour" in person.text
    confirmed = today() - timedelta(days=60)
    assert f"Tom Baker: presence not confirmed since {long_date(confirmed)}" in attention(page)
    assert (today() - confirmed).days > app.config["HOUSEHOLD_UNCONFIRMED_DAYS"] == 42
    tom = [r for r in page.table_rows(page.section("Men and fathers")) if r[0] == "Tom Baker"][0]
    assert "Not confirmed" in tom[6] and "Step-parent of Amara Okafor" in tom[1]

    # The early-help family, where everyone was seen recently, needs no attention.
    assert attention(Page(lead.get(f"/families/{demo['Patel'].reference}"))) == []

    listing = {row[1]: row for row in Page(lead.get("/families")).table_rows()}
    assert "Father or man not known or not seen" in listing["Harrow"][4]
    assert "1 not confirmed" in listing["Okafor"][4]
    assert "not confirmed" not in listing["Patel"][4] and "Father" not in listing["Patel"][4]


@pytest.mark.parametrize("email, expected", [
    ("lead@demo.invalid", ["Harrow", "Okafor", "Patel"]),
    ("chair@demo.invalid", ["Harrow", "Okafor", "Patel"]),
    ("health@demo.invalid", ["Harrow", "Okafor"]),
    ("school@demo.invalid", ["Harrow", "Patel"]),
    ("outsider@demo.invalid", []),
])
def test_who_sees_the_demo_families(app, demo, email, expected):
    client = signed_in(app, email)
    page = Page(client.get("/families", query_string={"sort": "name"}))
    assert [row[1] for row in page.table_rows()] == expected
    for name, family in demo.items():
        status = client.get(f"/families/{family.reference}").status_code
        assert status == (200 if name in expected else 404), (email, name)
    if not expected:
        assert "You are not in any family's professional network yet" in page.text


def test_the_demo_people_can_sign_in_with_the_demo_password(app, demo):
    from tests.conftest import sign_in

    client = app.test_client()
    sign_in(client, "health@demo.invalid", DEMO_PASSWORD)
    page = Page(client.get("/families", query_string={"sort": "name"}))
    assert [row[1] for row in page.table_rows()] == ["Harrow", "Okafor"]
