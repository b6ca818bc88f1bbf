"""Bad input is refused the GOV.UK way: an error summary with the message, the message at the field, the
form shown again with what the person typed, and nothing written."""
from __future__ import annotations

from datetime import timedelta

import pytest

from coordinator.extensions import db
from coordinator.families.models import Child, HouseholdMember, HouseholdSighting, SightingKind
from coordinator.timeutil import today
from tests.families.helpers import (
    Page,
    assert_form_error,
    assert_refused,
    child_data,
    count,
    date_fields,
    family_data,
    member_data,
    post_form,
    table_counts,
)
from tests.support.people import signed_in

NHS_HELP = "Enter a valid NHS number: 10 digits whose last digit is the check digit, like 943 476 5919"




def dmy(value) -> list[str]:
    return [str(value.day), str(value.month), str(value.year)]


# --- children -----------------------------------------------------------------------------------------

def test_date_of_birth_in_the_future_is_refused(app, world):
    lead = signed_in(app, world.lead)
    tomorrow = today() + timedelta(days=1)
    assert_refused(lead, f"/families/{world.family.reference}/children/new",
                   child_data(name="Amara Okafor", date_of_birth=tomorrow, nhs_number="943 476 5919"),
                   "Date of birth must be today or in the past", "date_of_birth",
                   kept={"name": "Amara Okafor", "date_of_birth": dmy(tomorrow), "born": "yes",
                         "nhs_number": "943 476 5919", "sex": "FEMALE"})


def test_date_of_birth_today_is_accepted(app, world):
    lead = signed_in(app, world.lead)
    response = post_form(lead, f"/families/{world.family.reference}/children/new",
                         child_data(name="New Baby", date_of_birth=today()))
    assert response.status_code == 302
    assert count(Child, Child.name == "New Baby", Child.date_of_birth == today()) == 1


def test_expected_due_date_long_past_is_refused(app, world):
    lead = signed_in(app, world.lead)
    past = int(app.config["DUE_DATE_PAST_DAYS"])
    assert past == 28  # the documented default
    long_ago = today() - timedelta(days=past + 1)
    assert_refused(lead, f"/families/{world.family.reference}/children/new",
                   child_data(name="Unborn baby Harrow", born=False, expected_due_date=long_ago),
                   f"Expected due date is more than {past} days ago: if the baby has been born, select 'Yes' and "
                   "enter the date of birth", "expected_due_date",
                   kept={"name": "Unborn baby Harrow", "born": "no", "expected_due_date": dmy(long_ago)})
    # On the limit itself, the due date stands (a baby can be overdue).
    response = post_form(lead, f"/families/{world.family.reference}/children/new",
                         child_data(name="Unborn baby Harrow", born=False, expected_due_date=today() - timedelta(days=past)))
    assert response.status_code == 302
    assert count(Child, Child.name == "Unborn baby Harrow") == 1


def test_the_due_date_limit_follows_the_setting(app, world):
    app.config["DUE_DATE_PAST_DAYS"] = 7
    lead = signed_in(app, world.lead)
    ten_days_ago = today() - timedelta(days=10)
    assert_refused(lead, f"/families/{world.family.reference}/children/new",
                   child_data(name="Unborn baby Harrow", born=False, expected_due_date=ten_days_ago),
                   "Expected due date is more than 7 days ago", "expected_due_date",
                   kept={"expected_due_date": dmy(ten_days_ago)})


def test_due_date_too_far_ahead_is_refused(app, world):
    lead = signed_in(app, world.lead)
    far = today() + timedelta(days=int(app.config["DUE_DATE_AHEAD_DAYS"]) + 1)
    assert_refused(lead, f"/families/{world.family.reference}/children/new",
                   child_data(name="Unborn baby Harrow", born=False, expected_due_date=far),
                   "Expected due date must be within the next 10 months", "expected_due_date",
                   kept={"expected_due_date": dmy(far)})


@pytest.mark.parametrize("field, born, label", [
    ("date_of_birth", True, "Date of birth"),
    ("expected_due_date", False, "Expected due date"),
])
def test_an_impossible_date_is_refused(app, world, field, born, label):
    lead = signed_in(app, world.lead)
    data = child_data(name="Amara Okafor", born=born)
    data[field] = ["31", "2", "2024"]
    assert_refused(lead, f"/families/{world.family.reference}/children/new", data,
                   f"{label} must be a real date, like 27 3 2024", field,
                   kept={field: ["31", "2", "2024"], "name": "Amara Okafor"})


def test_a_date_with_a_missing_part_is_refused(app, world):
    lead = signed_in(app, world.lead)
    data = child_data(name="Amara Okafor")
    data["date_of_birth"] = ["14", "", "2023"]
    assert_refused(lead, f"/families/{world.family.reference}/children/new", data,
                   "Date of birth must be a real date, like 27 3 2024", "date_of_birth",
                   kept={"date_of_birth": ["14", "", "2023"]})


def test_a_born_child_needs_a_date_of_birth_and_an_unborn_child_a_due_date(app, world):
    lead = signed_in(app, world.lead)
    url = f"/families/{world.family.reference}/children/new"
    assert_refused(lead, url, child_data(name="Amara Okafor"), "Enter the date of birth", "date_of_birth",
                   kept={"name": "Amara Okafor"})
    assert_refused(lead, url, child_data(name="Unborn baby", born=False), "Enter the expected due date",
                   "expected_due_date", kept={"name": "Unborn baby", "born": "no"})


@pytest.mark.parametrize("typed", ["9434765918", "943 476 5910", "94347659", "94347659190", "943476591X"])
def test_an_invalid_nhs_number_is_refused(app, world, typed):
    lead = signed_in(app, world.lead)
    assert_refused(lead, f"/families/{world.family.reference}/children/new",
                   child_data(name="Amara Okafor", date_of_birth=today() - timedelta(days=400), nhs_number=typed),
                   NHS_HELP, "nhs_number", kept={"nhs_number": typed, "name": "Amara Okafor"})


@pytest.mark.parametrize("typed", ["9434765919", "943 476 5919", "943-476-5919"])
def test_a_valid_nhs_number_is_accepted_and_stored_as_ten_digits(app, world, typed):
    lead = signed_in(app, world.lead)
    response = post_form(lead, f"/families/{world.family.reference}/children/new",
                         child_data(name="Amara Okafor", date_of_birth=today() - timedelta(days=400), nhs_number=typed))
    assert response.status_code == 302
    db.session.expire_all()
    child = db.session.scalar(db.select(Child).where(Child.name == "Amara Okafor"))
    assert child.nhs_number == "9434765919"
    page = Page(lead.get(f"/families/{world.family.reference}"))
    assert "9434765919" in page.section("Children").text()


def test_a_child_edited_with_bad_input_keeps_its_stored_record(app, world):
    lead = signed_in(app, world.lead)
    url = f"/families/{world.family.reference}/children/{world.child.id}/edit"
    page = Page(lead.get(url))
    assert page.value("name") == "Ruby Harrow" and page.value("born") == "yes"
    data = child_data(name="Ruby Changed", sex="FEMALE", date_of_birth=today() - timedelta(days=150),
                      nhs_number="1234567890")
    assert_refused(lead, url, data, NHS_HELP, "nhs_number", kept={"name": "Ruby Changed", "nhs_number": "1234567890"})
    db.session.expire_all()
    assert db.session.get(Child, world.child.id).name == "Ruby Harrow"


# --- household members -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, description", [("", ""), ("   ", "  ")])
def test_a_household_member_needs_a_name_or_a_description(app, world, name, description):
    hv = signed_in(app, world.member)
    assert_refused(hv, f"/families/{world.family.reference}/household/new",
                   member_data(name=name, description=description, presence="VISITS", source_note="Neighbour"),
                   "Enter the person's name, or describe them if the name is not known", "description",
                   kept={"presence": "VISITS", "sex": "MALE", "source_kind": "SEEN", "source_note": "Neighbour"})


def test_an_unnamed_person_with_a_description_is_accepted(app, world):
    hv = signed_in(app, world.member)
    response = post_form(hv, f"/families/{world.family.reference}/household/new",
                         member_data(name="", description="Tall man, red van", source_kind="TOLD_OF"))
    assert response.status_code == 302
    assert count(HouseholdMember, HouseholdMember.description == "Tall man, red van",
                 HouseholdMember.name.is_(None)) == 1


def test_date_first_known_in_the_future_or_impossible_is_refused(app, world):
    hv = signed_in(app, world.member)
    url = f"/families/{world.family.reference}/household/new"
    tomorrow = today() + timedelta(days=1)
    assert_refused(hv, url, member_data(**date_fields("first_recorded_on", tomorrow)),
                   "Date first known cannot be in the future", "first_recorded_on",
                   kept={"name": "Tom Baker", "first_recorded_on": dmy(tomorrow)})
    assert_refused(hv, url, member_data(first_recorded_on=["30", "2", "2025"]),
                   "Date first known must be a real date, like 27 3 2024", "first_recorded_on",
                   kept={"name": "Tom Baker", "first_recorded_on": ["30", "2", "2025"]})


def test_a_sighting_or_a_leaving_date_in_the_future_is_refused(app, world):
    hv = signed_in(app, world.member)
    base = f"/families/{world.family.reference}/household/{world.person.id}"
    tomorrow = today() + timedelta(days=1)
    assert_refused(hv, f"{base}/sighting", {"kind": "SEEN", "note": "Home visit", **date_fields("seen_on", tomorrow)},
                   "The date cannot be in the future", "seen_on",
                   kept={"kind": "SEEN", "note": "Home visit", "seen_on": dmy(tomorrow)})
    assert_refused(hv, f"{base}/left", date_fields("left_on", tomorrow),
                   "The date they left cannot be in the future", "left_on", kept={"left_on": dmy(tomorrow)})


# --- too long ---------------------------------------------------------------------------------------------

def test_very_long_text_is_refused_with_the_limit_named(app, world):
    lead = signed_in(app, world.lead)
    hv = signed_in(app, world.member)
    ref = world.family.reference

    long_name = "N" * 201
    assert_refused(lead, "/families/new", family_data(family_name=long_name), "Family name must be 200 characters or fewer",
                   "family_name", kept={"family_name": long_name, "plan_type": "CHILD_IN_NEED"})
    long_address = "A" * 501
    assert_refused(lead, "/families/new", family_data(address=long_address), "Address must be 500 characters or fewer",
                   "address", kept={"address": long_address, "family_name": "Okafor"})
    assert_refused(lead, f"/families/{ref}/edit",
                   family_data(family_name=long_name, reason_for_sharing=None),
                   "Family name must be 200 characters or fewer", "family_name", kept={"family_name": long_name})
    assert_refused(lead, f"/families/{ref}/children/new",
                   child_data(name="C" * 201, date_of_birth=today() - timedelta(days=10)),
                   "Name must be 200 characters or fewer", "name", kept={"name": "C" * 201})
    assert_refused(hv, f"/families/{ref}/household/new", member_data(name="P" * 201),
                   "Name must be 200 characters or fewer", "name", kept={"name": "P" * 201})
    long_description = "D" * 501
    assert_refused(hv, f"/families/{ref}/household/new", member_data(name="", description=long_description),
                   "Description must be 500 characters or fewer", "description",
                   kept={"description": long_description})
    long_notes = "x" * 5001
    assert_refused(hv, f"/families/{ref}/household/new", member_data(concern_notes=long_notes),
                   "Notes must be 5000 characters or fewer", "concern_notes", kept={"concern_notes": long_notes})
    assert_refused(hv, f"/families/{ref}/household/{world.person.id}/sighting",
                   {"kind": "SEEN", "note": "n" * 501, **date_fields("seen_on", today())},
                   "Note must be 500 characters or fewer", "note", kept={"note": "n" * 501})


def test_text_at_the_limit_is_accepted_on_every_database(app, world):
    lead = signed_in(app, world.lead)
    response = post_form(lead, "/families/new", family_data(family_name="N" * 200, address="A" * 500))
    assert response.status_code == 302
    hv = signed_in(app, world.member)
    response = post_form(hv, f"/families/{world.family.reference}/household/new",
                         member_data(name="P" * 200, description="D" * 500, concern_notes="x" * 5000))
    assert response.status_code == 302
    assert count(HouseholdMember, HouseholdMember.name == "P" * 200) == 1


# --- required answers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["", "   "])
def test_a_family_needs_a_name(app, world, typed):
    lead = signed_in(app, world.lead)
    assert_refused(lead, "/families/new", family_data(family_name=typed), "Enter the family name", "family_name",
                   kept={"plan_type": "CHILD_IN_NEED", "address": "Flat 3, 22 Station Road"})


@pytest.mark.parametrize("typed", ["", "   "])
def test_a_child_needs_a_name(app, world, typed):
    lead = signed_in(app, world.lead)
    assert_refused(lead, f"/families/{world.family.reference}/children/new",
                   child_data(name=typed, date_of_birth=today() - timedelta(days=30)), "Enter the child's name", "name",
                   kept={"born": "yes"})


def test_a_family_needs_a_plan_type_and_a_reason_for_sharing(app, world):
    lead = signed_in(app, world.lead)
    assert_refused(lead, "/families/new", family_data(plan_type=None), "Select the plan type", "plan_type",
                   kept={"family_name": "Okafor"})
    assert_refused(lead, "/families/new", family_data(reason_for_sharing=""), "Enter why you hold this family's records",
                   "reason_for_sharing", kept={"family_name": "Okafor"})


# --- a person recorded twice ----------------------------------------------------------------------------

def test_the_same_name_twice_offers_to_merge_and_same_person_adds_a_sighting(app, world):
    hv = signed_in(app, world.member)
    url = f"/families/{world.family.reference}/household/new"
    data = member_data(name="  kelly   HARROW ", sex="FEMALE", presence="LIVES_IN", source_kind="TOLD_OF",
                       source_note="Named by the nursery")
    before = table_counts()
    page = assert_refused(hv, url, data,
                          "Someone with this name is already recorded: say whether this is the same person",
                          "same_person", kept={"name": "  kelly   HARROW ", "source_note": "Named by the nursery"})
    assert "Someone with this name is already recorded in this household" in page.text
    options = [n.attrs["value"] for n in page.find_all("input", name="same_person")]
    assert options == [str(world.person.id), "new"]
    assert "Yes: this is Kelly Harrow, already recorded" in page.text
    assert "No: this is a different person with the same name" in page.text

    # The re-shown form keeps everything typed: she only answers the new question.
    response = post_form(hv, url, {"same_person": str(world.person.id)}, page=page)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/household/{world.person.id}")
    after = table_counts()
    assert after["household_members"] == before["household_members"]
    assert after["household_sightings"] == before["household_sightings"] + 1
    sightings = db.session.scalars(db.select(HouseholdSighting).where(HouseholdSighting.member_id == world.person.id)
                                   .order_by(HouseholdSighting.id)).all()
    assert sightings[-1].kind is SightingKind.TOLD_OF and sightings[-1].note == "Named by the nursery"
    assert sightings[-1].recorded_by_id == world.member.id and sightings[-1].agency_id == world.member.agency_id
    shown = Page(hv.get(response.headers["Location"]))
    assert any("Kelly Harrow was already recorded, so no duplicate was made: your sighting was added" in b
               for b in shown.banners())
    assert "Told of (not seen) by Health visiting (Hana Visitor): Named by the nursery" in shown.text


def test_the_same_name_twice_as_a_different_person_adds_a_second_row(app, world):
    hv = signed_in(app, world.member)
    url = f"/families/{world.family.reference}/household/new"
    data = member_data(name="Kelly Harrow", sex="FEMALE", presence="VISITS", description="The maternal aunt")
    page = assert_refused(hv, url, data,
                          "Someone with this name is already recorded: say whether this is the same person",
                          "same_person", kept={"description": "The maternal aunt", "presence": "VISITS"})
    response = post_form(hv, url, {"same_person": "new"}, page=page)
    assert response.status_code == 302
    db.session.expire_all()
    people = db.session.scalars(db.select(HouseholdMember).where(HouseholdMember.family_id == world.family.id,
                                                                 HouseholdMember.name == "Kelly Harrow")
                                .order_by(HouseholdMember.id)).all()
    assert len(people) == 2 and people[0].id == world.person.id
    assert people[1].description == "The maternal aunt" and people[1].presence.name == "VISITS"
    page = Page(hv.get(f"/families/{world.family.reference}"))
    names = [row[0] for row in page.table_rows(page.section("Everyone else"))]
    assert names == ["Kelly Harrow", "Kelly Harrow"]


def test_choosing_a_person_not_offered_is_refused(app, world):
    hv = signed_in(app, world.member)
    url = f"/families/{world.family.reference}/household/new"
    data = member_data(name="Kelly Harrow", sex="FEMALE")
    page = assert_refused(hv, url, data,
                          "Someone with this name is already recorded: say whether this is the same person",
                          "same_person")
    before = table_counts()
    page = Page(post_form(hv, url, {"same_person": "999999"}, page=page))
    assert_form_error(page, "Not a valid choice", "same_person")
    assert table_counts() == before


# --- markup typed as text ---------------------------------------------------------------------------------

SCRIPT = '<script>alert("x")</script><b>Bold</b>'


def test_html_in_names_and_descriptions_is_shown_as_text_never_as_markup(app, world):
    lead = signed_in(app, world.lead)
    response = post_form(lead, "/families/new", family_data(family_name=f"Smith {SCRIPT}", address=SCRIPT,
                                                            interpreter_notes=SCRIPT))
    assert response.status_code == 302
    ref = response.headers["Location"].split("/")[2]
    response = post_form(lead, f"/families/{ref}/children/new",
                         child_data(name=f"Kid {SCRIPT}", date_of_birth=today() - timedelta(days=30)))
    assert response.status_code == 302
    hv_data = member_data(name="", description=f"Man {SCRIPT}", source_note=SCRIPT, concern_notes=SCRIPT)
    response = post_form(lead, f"/families/{ref}/household/new", hv_data)
    assert response.status_code == 302
    named = member_data(name=f"Dad {SCRIPT}")
    assert post_form(lead, f"/families/{ref}/household/new", named).status_code == 302
    db.session.expire_all()
    unnamed, dad = db.session.scalars(db.select(HouseholdMember).where(HouseholdMember.family.has(reference=ref))
                                      .order_by(HouseholdMember.id)).all()

    pages = {
        "family": lead.get(f"/families/{ref}"),
        "my families": lead.get("/families"),
        "person": lead.get(f"/families/{ref}/household/{unnamed.id}"),
        "person edit": lead.get(f"/families/{ref}/household/{unnamed.id}/edit"),
        "family edit": lead.get(f"/families/{ref}/edit"),
        "history": lead.get(f"/families/{ref}/household/history", query_string={"on": dmy(today())}),
        # the merge question quotes the recorded name back
        "merge": post_form(lead, f"/families/{ref}/household/new", named),
    }
    for what, response in pages.items():
        assert response.status_code == 200, what
        page = Page(response)
        assert not page.find_all("script", src=None), f"{what}: a script element from user text"
        assert not page.find_all("b"), f"{what}: a <b> element from user text"
        assert "&lt;script&gt;" in page.html, what
    family_page = Page(pages["family"])
    assert family_page.heading == f"Smith {SCRIPT}"
    assert "Unknown man 1: name not known" in family_page.text  # the label, and the description apart
    assert f"Man {SCRIPT}" in family_page.text
    assert f"Kid {SCRIPT}" in family_page.text
    assert f"Smith {SCRIPT}" in Page(pages["my families"]).text
    assert f"Yes: this is Dad {SCRIPT}, already recorded" in Page(pages["merge"]).text
    assert Page(pages["family edit"]).value("family_name") == f"Smith {SCRIPT}"
    assert Page(pages["person"]).heading == "Unknown man 1"
    assert f"Man {SCRIPT}" in Page(pages["person"]).text
    assert f"Dad {SCRIPT}" in Page(pages["history"]).text


# --- another family's records through this family's URLs and forms ----------------------------------

@pytest.fixture
def other_family(world):
    from coordinator.families import services
    from coordinator.families.models import PlanType, Presence, Relationship, Sex

    family = services.create_family(lead=world.lead, family_name="Other", plan_type=PlanType.EARLY_HELP,
                                    reason_for_sharing="Allocated worker")
    services.add_to_network(family, world.member, services.NetworkRole.MEMBER, reason="HV", actor=world.lead)
    child = services.add_child(family, actor=world.lead, name="Other Child",
                               date_of_birth=today() - timedelta(days=800), sex=Sex.MALE)
    person = services.add_member(family, actor=world.lead, relationships={child.id: Relationship.FATHER},
                                 name="Other Dad", sex=Sex.MALE, presence=Presence.LIVES_IN,
                                 source_kind=SightingKind.SEEN, source_agency_id=world.lead.agency_id)
    db.session.commit()
    return family, child, person


def test_a_family_reference_that_does_not_exist_is_not_found(app, world):
    lead = signed_in(app, world.lead)
    for path in ("/families/QQQQ", "/families/QQQQ/household/history", f"/families/QQQQ/household/{world.person.id}",
                 "/families/QQQQ/edit", "/families/QQQQ/access-history"):
        assert lead.get(path).status_code == 404, path


def test_another_familys_child_or_person_in_a_url_is_not_found(app, world, other_family):
    _, other_child, other_person = other_family
    lead = signed_in(app, world.lead)  # lead of both families: still not through the wrong family
    ref = world.family.reference
    for path in (f"/families/{ref}/children/{other_child.id}/edit",
                 f"/families/{ref}/household/{other_person.id}",
                 f"/families/{ref}/household/{other_person.id}/edit",
                 f"/families/{ref}/household/{other_person.id}/sighting",
                 f"/families/{ref}/household/{other_person.id}/left"):
        assert lead.get(path).status_code == 404, path
    before = table_counts()
    response = post_form(lead, f"/families/{ref}/household/{other_person.id}/sighting",
                         {"kind": "SEEN", **date_fields("seen_on", today())},
                         page_url=f"/families/{ref}/household/{world.person.id}/sighting")
    assert response.status_code == 404
    response = post_form(lead, f"/families/{ref}/children/{other_child.id}/edit",
                         child_data(name="Renamed", date_of_birth=today() - timedelta(days=800)),
                         page_url=f"/families/{ref}/children/{world.child.id}/edit")
    assert response.status_code == 404
    assert table_counts() == before
    db.session.expire_all()
    assert db.session.get(Child, other_child.id).name == "Other Child"


def test_another_familys_child_in_the_person_form_is_refused(app, world, other_family):
    _, other_child, _ = other_family
    hv = signed_in(app, world.member)
    ref = world.family.reference
    data = member_data(name="Sneaky Link", **{f"relationship-{world.child.id}": "FATHER"})
    assert_refused(hv, f"/families/{ref}/household/new", data, "Choose children from this family only", None,
                   kept={"name": "Sneaky Link", "presence": "VISITS"},
                   forged={f"relationship-{other_child.id}": "FATHER"})
    assert_refused(hv, f"/families/{ref}/household/{world.person.id}/edit", {"presence": "VISITS"},
                   "Choose children from this family only", None, kept={"name": "Kelly Harrow", "presence": "VISITS"},
                   forged={f"relationship-{other_child.id}": "MOTHER"})
    db.session.expire_all()
    person = db.session.get(HouseholdMember, world.person.id)
    assert [r.child_id for r in person.relationships] == [world.child.id]
