"""What needs attention in the household, on the family page and in My families: people not confirmed for
a while, fathers and men no agency has seen or cannot name, children with no father recorded."""
from __future__ import annotations

from datetime import timedelta

import pytest

from coordinator.extensions import db
from coordinator.families.models import HouseholdMember
from coordinator.timeutil import long_date, today
from tests.families.helpers import Page, date_fields, member_data, post_form
from tests.support.people import signed_in


def attention(page: Page) -> list[str]:
    """The 'Needs attention in the household' list on the family page."""
    for box in page.find_all("div", cls="govuk-error-summary"):
        if "Needs attention in the household" in box.text():
            return [li.text() for li in box.find_all("li")]
    return []


def row_of(page: Page, section: str, name: str) -> list[str]:
    rows = [r for r in page.table_rows(page.section(section)) if r[0] == name]
    assert len(rows) == 1, (name, page.table_rows(page.section(section)))
    return rows[0]


def my_families_attention(client, ref: str) -> str:
    page = Page(client.get("/families"))
    rows = [r for r in page.table_rows() if r[0] == ref]
    assert len(rows) == 1
    return rows[0][4]


def add_person(client, ref: str, **fields) -> HouseholdMember:
    response = post_form(client, f"/families/{ref}/household/new", member_data(**fields))
    assert response.status_code == 302, Page(response).summary_errors()
    db.session.expire_all()
    return db.session.scalar(db.select(HouseholdMember).order_by(HouseholdMember.id.desc()).limit(1))


def test_the_world_family_starts_with_only_the_missing_father_flagged(app, world):
    lead = signed_in(app, world.lead)
    page = Page(lead.get(f"/families/{world.family.reference}"))
    assert attention(page) == ["Ruby Harrow: father not recorded (not known)"]
    assert page.link("Ruby Harrow: father not recorded") == "#children"
    assert "No father or man is recorded." in page.section("Men and fathers").text()
    assert row_of(page, "Everyone else", "Kelly Harrow")[6] == "No flags"
    assert my_families_attention(lead, world.family.reference) == "Father or man not known or not seen"


@pytest.mark.parametrize("days_ago, flagged", [(42, False), (43, True)])
def test_a_person_not_confirmed_for_longer_than_the_default_is_flagged(app, world, days_ago, flagged):
    assert app.config["HOUSEHOLD_UNCONFIRMED_DAYS"] == 42
    hv = signed_in(app, world.member)
    ref = world.family.reference
    first = today() - timedelta(days=days_ago)
    grandma = add_person(hv, ref, name="Gran Harrow", sex="FEMALE", presence="STAYS_SOMETIMES",
                         **date_fields("first_recorded_on", first))
    page = Page(hv.get(f"/families/{ref}"))
    text = f"Gran Harrow: presence not confirmed since {long_date(first)}"
    row = row_of(page, "Everyone else", "Gran Harrow")
    assert row[4] == f"{long_date(first)} (seen, Health visiting)"
    listing = my_families_attention(hv, ref)
    if flagged:
        assert text in attention(page)
        assert page.link(text) == f"/families/{ref}/household/{grandma.id}"
        assert row[6] == "Not confirmed"
        assert "1 not confirmed" in listing
        person = Page(hv.get(f"/families/{ref}/household/{grandma.id}"))
        assert text in person.tags()
    else:
        assert not any("not confirmed" in item for item in attention(page))
        assert row[6] == "No flags"
        assert "not confirmed" not in listing


def test_the_unconfirmed_limit_follows_the_setting(app, world):
    hv = signed_in(app, world.member)
    ref = world.family.reference
    add_person(hv, ref, name="Eleven Days", sex="FEMALE", **date_fields("first_recorded_on", today() - timedelta(days=11)))
    add_person(hv, ref, name="Ten Days", sex="FEMALE", **date_fields("first_recorded_on", today() - timedelta(days=10)))
    page = Page(hv.get(f"/families/{ref}"))
    assert not any("not confirmed" in item for item in attention(page))

    app.config["HOUSEHOLD_UNCONFIRMED_DAYS"] = 10
    page = Page(hv.get(f"/families/{ref}"))
    unconfirmed = [item for item in attention(page) if "not confirmed" in item]
    assert unconfirmed == [f"Eleven Days: presence not confirmed since {long_date(today() - timedelta(days=11))}"]
    assert "1 not confirmed" in my_families_attention(hv, ref)


def test_a_person_never_confirmed_is_flagged_and_a_not_seen_report_does_not_confirm(app, world):
    from coordinator.families import services
    from coordinator.families.models import Presence, Sex, SightingKind

    # "Not seen" is not a confirmation: recorded by a colleague as not seen when the record was made.
    ghost = services.add_member(world.family, actor=world.lead, relationships={}, name="Mystery Lodger",
                                sex=Sex.FEMALE, presence=Presence.LIVES_IN, source_kind=SightingKind.NOT_SEEN,
                                source_agency_id=world.lead.agency_id)
    db.session.commit()
    hv = signed_in(app, world.member)
    response = post_form(hv, f"/families/{world.family.reference}/household/{ghost.id}/sighting",
                         {"kind": "NOT_SEEN", **date_fields("seen_on", today())})
    assert response.status_code == 302
    page = Page(hv.get(f"/families/{world.family.reference}"))
    assert "Mystery Lodger: presence not confirmed ever" in attention(page)
    assert row_of(page, "Everyone else", "Mystery Lodger")[4] == "Never"


def test_a_father_never_seen_by_any_agency_is_flagged_until_someone_sees_him(app, world):
    lead = signed_in(app, world.lead)
    ref = world.family.reference
    dean = add_person(lead, ref, name="Dean Carter", sex="MALE", presence="SIGNIFICANT_ELSEWHERE", source_kind="TOLD_OF",
                      source_note="Named by the mother", concerns=["violence_offending"],
                      **{f"relationship-{world.child.id}": "FATHER"})
    page = Page(lead.get(f"/families/{ref}"))
    assert "Dean Carter: never seen by any agency" in attention(page)
    assert "Ruby Harrow: father not recorded (not known)" not in attention(page)
    row = row_of(page, "Men and fathers", "Dean Carter")
    assert row[1] == "Father of Ruby Harrow" and row[5] == "Violence or offending" and row[6] == "Never seen"
    assert my_families_attention(lead, ref) == "Father or man not known or not seen"

    # A second "told of" report still is not a sighting.
    hv = signed_in(app, world.member)
    post_form(hv, f"/families/{ref}/household/{dean.id}/sighting",
              {"kind": "TOLD_OF", "note": "Mother says he visits", **date_fields("seen_on", today())})
    assert "Dean Carter: never seen by any agency" in attention(Page(hv.get(f"/families/{ref}")))

    # The health visitor sees him: the flag clears, on the family page and in My families.
    response = post_form(hv, f"/families/{ref}/household/{dean.id}/sighting",
                         {"kind": "SEEN", "note": "At the home visit", **date_fields("seen_on", today())})
    assert response.status_code == 302
    person = Page(hv.get(response.headers["Location"]))
    assert any("Recorded for Dean Carter." in b for b in person.banners())
    assert "Seen by Health visiting (Hana Visitor): At the home visit" in person.text
    page = Page(hv.get(f"/families/{ref}"))
    assert attention(page) == []
    assert row_of(page, "Men and fathers", "Dean Carter")[6] == "No flags"
    assert my_families_attention(hv, ref) == ""


def test_a_man_in_the_home_never_seen_is_flagged_even_when_not_a_father(app, world):
    lead = signed_in(app, world.lead)
    add_person(lead, world.family.reference, name="Lee Lodger", sex="MALE", presence="LIVES_IN", source_kind="TOLD_OF",
               **{f"relationship-{world.child.id}": "LODGER"})
    page = Page(lead.get(f"/families/{world.family.reference}"))
    assert "Lee Lodger: never seen by any agency" in attention(page)
    assert row_of(page, "Men and fathers", "Lee Lodger")[6] == "Never seen"


def test_an_unknown_man_is_listed_described_and_flagged(app, world):
    hv = signed_in(app, world.member)
    ref = world.family.reference
    add_person(hv, ref, name="", description="Man in his 30s, drives a red van", sex="MALE", presence="VISITS",
               source_kind="TOLD_OF", source_note="Reported by a neighbour")
    page = Page(hv.get(f"/families/{ref}"))
    name = "Unknown man 1"
    assert f"{name}: name not known" in attention(page)
    assert f"{name}: never seen by any agency" in attention(page)
    row = row_of(page, "Men and fathers", f"{name} Man in his 30s, drives a red van")  # described apart
    assert row[1] == "Not recorded" and row[2] == "Visits"
    assert row[6] == "Name not known Never seen"
    assert my_families_attention(hv, ref) == "Father or man not known or not seen"


def test_a_father_of_unknown_sex_is_still_among_men_and_fathers_and_women_are_not(app, world):
    lead = signed_in(app, world.lead)
    ref = world.family.reference
    add_person(lead, ref, name="Sam Parent", sex="NOT_KNOWN", presence="VISITS", source_kind="SEEN",
               **{f"relationship-{world.child.id}": "FATHER"})
    add_person(lead, ref, name="Step Dad", sex="NOT_KNOWN", presence="LIVES_IN", source_kind="SEEN",
               **{f"relationship-{world.child.id}": "STEP_PARENT"})
    add_person(lead, ref, name="Aunt May", sex="FEMALE", presence="VISITS", source_kind="SEEN")
    page = Page(lead.get(f"/families/{ref}"))
    men = [r[0] for r in page.table_rows(page.section("Men and fathers"))]
    others = [r[0] for r in page.table_rows(page.section("Everyone else"))]
    assert men == ["Sam Parent", "Step Dad"]
    assert others == ["Kelly Harrow", "Aunt May"]
    assert attention(page) == []  # a father is recorded and everyone was seen today


def test_each_child_without_a_father_is_flagged(app, world):
    lead = signed_in(app, world.lead)
    ref = world.family.reference
    response = post_form(lead, f"/families/{ref}/children/new",
                         {"name": "Unborn baby Harrow", "born": "no", "sex": "NOT_KNOWN",
                          **date_fields("expected_due_date", today() + timedelta(days=60))})
    assert response.status_code == 302
    page = Page(lead.get(f"/families/{ref}"))
    assert attention(page) == ["Ruby Harrow: father not recorded (not known)",
                               "Unborn baby Harrow (unborn): father not recorded (not known)"]
    # Recording a father for one child leaves the other flagged.
    add_person(lead, ref, name="Dean Carter", sex="MALE", presence="VISITS", source_kind="SEEN",
               **{f"relationship-{world.child.id}": "FATHER"})
    assert attention(Page(lead.get(f"/families/{ref}"))) == [
        "Unborn baby Harrow (unborn): father not recorded (not known)"]


def test_people_who_left_are_not_flagged_and_listed_apart(app, world):
    lead = signed_in(app, world.lead)
    ref = world.family.reference
    dean = add_person(lead, ref, name="Dean Carter", sex="MALE", presence="VISITS", source_kind="TOLD_OF")
    assert "Dean Carter: never seen by any agency" in attention(Page(lead.get(f"/families/{ref}")))
    response = post_form(lead, f"/families/{ref}/household/{dean.id}/left",
                         date_fields("left_on", today()))
    assert response.status_code == 302
    page = Page(lead.get(f"/families/{ref}"))
    assert not any("Dean Carter" in item for item in attention(page))
    assert "Dean Carter" not in page.section("Men and fathers").text()
    assert "People who have left (1)" in page.text and f"Dean Carter, left {long_date(today())}" in page.text


def test_someone_recorded_since_the_last_meeting_is_flagged_new(app, world):
    """The household flags anyone new since the family's last meeting (one that took place, not cancelled)."""
    from datetime import date, time, timedelta

    from coordinator.families import services as families
    from coordinator.families.models import Presence, Sex, SightingKind
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from tests.families.conftest import act_as

    meetings.create_series(world.family, meetings.Schedule(
        MeetingType.CORE_GROUP, date.today() - timedelta(days=10), time(10, 0), 60, Recurrence.WEEKLY, 52,
        SeriesEnd.AFTER_COUNT, count=1, location="Centre"), actor=world.lead, chair=world.lead, minute_taker=None,
        invitees=[world.member], notify=False, allow_past=True)
    families.update_member(world.person, actor=world.lead, expected_revision=world.person.revision,
                           first_recorded_on=date.today() - timedelta(days=30))  # known before that meeting
    families.add_member(world.family, actor=world.lead, relationships={}, name="Wayne Visitor", sex=Sex.MALE,
                        presence=Presence.VISITS, source_kind=SightingKind.SEEN, source_agency_id=world.lead.agency_id)
    db.session.commit()
    client = app.test_client()
    act_as(client, world.lead)
    page = client.get(f"/families/{world.family.reference}").get_data(as_text=True)
    assert "Wayne Visitor: new since the last meeting" in page
    assert "Kelly Harrow: new since the last meeting" not in page

