"""The lead professional creates a family through the pages, adds its children and household, builds
the network; everyone in the network sees it in My families and nobody else does."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from coordinator.extensions import db
from coordinator.families import services
from coordinator.families.models import (
    Child,
    Family,
    HouseholdMember,
    NetworkRole,
    PlanType,
    Presence,
    Relationship,
    Sex,
    SightingKind,
)
from coordinator.timeutil import long_date, today
from tests.families.helpers import Page, child_data, family_data, member_data, post_form
from tests.support.people import signed_in

AMBIGUOUS = set("0O1IL5S2Z8B")




def create_family_through_the_page(client, **overrides) -> str:
    response = post_form(client, "/families/new", family_data(**overrides))
    assert response.status_code == 302, Page(response).summary_errors()
    match = re.fullmatch(r"/families/([^/]+)/children/new", urlsplit(response.headers["Location"]).path)
    assert match, response.headers["Location"]
    return match.group(1)


def test_lead_creates_a_family_with_children_and_household_and_only_the_network_sees_it(app, world):
    lead = signed_in(app, world.lead)

    # 1. The family, with an opaque reference the lead is told about.
    ref = create_family_through_the_page(lead, family_name="Okafor", plan_type="CHILD_IN_NEED")
    assert len(ref) == services.REFERENCE_LENGTH
    assert set(ref) <= set(services.REFERENCE_ALPHABET)
    assert not set(ref) & AMBIGUOUS
    assert "OKAFOR" not in ref
    page = Page(lead.get(f"/families/{ref}/children/new"))
    assert page.status_code == 200
    assert any(f"Family created with reference {ref}" in banner for banner in page.banners())
    assert f"Family {ref}" in page.text and page.heading == "Add a child"

    db.session.expire_all()
    family = db.session.scalar(db.select(Family).where(Family.reference == ref))
    assert family.family_name == "Okafor" and family.plan_type is PlanType.CHILD_IN_NEED
    assert family.address == "Flat 3, 22 Station Road" and family.interpreter_needed is True

    # 2. The lead is the lead professional in the network, with the stated reason for sharing.
    [membership] = family.network
    assert membership.user_id == world.lead.id and membership.role is NetworkRole.LEAD
    assert membership.reason_for_sharing == "Allocated social worker under a child in need plan"
    shown = Page(lead.get(f"/families/{ref}"))
    assert shown.heading == "Okafor"
    network = shown.table_rows(shown.section("Professional network"))
    assert network == [["Lee Lead", "Test Children's Services", "Lead professional", long_date(today()),
                        "Allocated social worker under a child in need plan", ""]]
    details = shown.section("Family details").text()
    assert f"Reference {ref}" in details and "Plan type Child in need" in details
    assert "Lead professional Lee Lead, Test Children's Services" in details
    assert "Interpreter Needed: Female interpreter preferred" in details

    # 3. Children: one born (and "add another" brings the form back), one unborn with a due date.
    born_on = today() - timedelta(days=4 * 365)
    due_on = today() + timedelta(days=90)
    response = post_form(lead, f"/families/{ref}/children/new",
                         child_data(name="Amara Okafor", date_of_birth=born_on, nhs_number="943 476 5919",
                                    school_or_setting="Little Acorns Nursery", another="1"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/families/{ref}/children/new")
    response = post_form(lead, f"/families/{ref}/children/new",
                         child_data(name="Unborn baby Okafor", born=False, expected_due_date=due_on, sex="NOT_KNOWN"))
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == f"/families/{ref}"

    db.session.expire_all()
    amara, unborn = db.session.scalars(db.select(Child).where(Child.family_id == family.id).order_by(Child.id)).all()
    assert amara.date_of_birth == born_on and amara.expected_due_date is None and not amara.is_unborn
    assert amara.nhs_number == "9434765919" and amara.sex is Sex.FEMALE
    assert unborn.date_of_birth is None and unborn.expected_due_date == due_on and unborn.is_unborn

    children = Page(lead.get(f"/families/{ref}"))
    rows = children.table_rows(children.section("Children"))
    assert rows[0][:6] == ["Amara Okafor", long_date(born_on), "Female", "9434765919", "Little Acorns Nursery", "Yes"]
    assert rows[1][:6] == ["Unborn baby Okafor (unborn)", f"Due {long_date(due_on)}", "Not known", "Not recorded",
                           "None recorded", "Yes"]

    # 4. The network: the lead adds the health visitor, who then adds people to the household.
    response = post_form(lead, f"/families/{ref}/network/add",
                         {"email": "hv@nhs.test", "role": "MEMBER", "reason": "Midwifery and health visiting"})
    assert response.status_code == 302
    hv = signed_in(app, world.member)
    response = post_form(hv, f"/families/{ref}/household/new",
                         member_data(name="Grace Okafor", sex="FEMALE", presence="LIVES_IN",
                                     parental_responsibility="YES",
                                     **{f"relationship-{amara.id}": "MOTHER", f"relationship-{unborn.id}": "MOTHER"}))
    assert response.status_code == 302, Page(response).summary_errors()
    response = post_form(hv, f"/families/{ref}/household/new",
                         member_data(name="Tom Baker", sex="MALE", presence="LIVES_IN", source_kind="SEEN",
                                     concerns=["da_perpetrator"],
                                     **{f"relationship-{unborn.id}": "FATHER", f"relationship-{amara.id}": "STEP_PARENT"}))
    assert response.status_code == 302
    response = post_form(hv, f"/families/{ref}/household/new",
                         member_data(name="", description="Woman who collects Amara from nursery", sex="FEMALE",
                                     presence="VISITS", source_kind="TOLD_OF", source_note="Nursery staff"))
    assert response.status_code == 302

    db.session.expire_all()
    grace, tom, visitor = db.session.scalars(
        db.select(HouseholdMember).where(HouseholdMember.family_id == family.id).order_by(HouseholdMember.id)).all()
    assert {r.child_id: r.relationship_type for r in grace.relationships} == {
        amara.id: Relationship.MOTHER, unborn.id: Relationship.MOTHER}
    assert {r.child_id: r.relationship_type for r in tom.relationships} == {
        amara.id: Relationship.STEP_PARENT, unborn.id: Relationship.FATHER}
    assert tom.da_perpetrator is True and tom.presence is Presence.LIVES_IN
    assert tom.source_agency_id == world.member.agency_id and tom.first_recorded_on == today()
    assert [s.kind for s in tom.sightings] == [SightingKind.SEEN]
    assert visitor.name is None and visitor.display_name == "Unknown woman 1"
    assert [s.kind for s in visitor.sightings] == [SightingKind.TOLD_OF]

    household = Page(hv.get(f"/families/{ref}"))
    men = [row[:4] for row in household.table_rows(household.section("Men and fathers"))]
    assert men == [["Tom Baker", "Step-parent of Amara Okafor Father of Unborn baby Okafor", "Lives in the home",
                    "Not known"]]
    others = [row[:4] for row in household.table_rows(household.section("Everyone else"))]
    assert others == [
        ["Grace Okafor", "Mother of Amara Okafor Mother of Unborn baby Okafor", "Lives in the home", "Yes"],
        ["Unknown woman 1 Woman who collects Amara from nursery", "Not recorded", "Visits", "Not known"],
    ]

    # 5. My families: every network member sees it; a practitioner outside the network does not.
    for client in (lead, hv):
        listing = Page(client.get("/families"))
        assert listing.status_code == 200
        row = next(r for r in listing.table_rows() if r[0] == ref)
        assert row[1:4] == ["Okafor", "Child in need", "Lee Lead"]
        assert listing.link(ref) == f"/families/{ref}"
    outsider = signed_in(app, world.outsider)
    listing = Page(outsider.get("/families"))
    assert ref not in listing.text and "Okafor" not in listing.text
    assert "You are not in any family's professional network yet" in listing.text
    assert outsider.get(f"/families/{ref}").status_code == 404
    assert outsider.get(f"/families/{ref}/household/{tom.id}").status_code == 404


def test_references_are_short_unique_and_use_only_unambiguous_characters(app, world):
    lead = signed_in(app, world.lead)
    refs = {create_family_through_the_page(lead, family_name=f"Family {n}") for n in range(5)}
    refs.add(world.family.reference)
    assert len(refs) == 6
    generated = {services.new_reference() for _ in range(300)} | refs
    for ref in generated:
        assert len(ref) == services.REFERENCE_LENGTH and not set(ref) & AMBIGUOUS, ref
        assert set(ref) <= set("34679ACDEFGHJKMNPQRTUVWXY"), ref


def test_a_reference_typed_in_lower_case_finds_the_family(app, world):
    lead = signed_in(app, world.lead)
    assert lead.get(f"/families/{world.family.reference.lower()}").status_code == 200


def test_a_person_is_changed_through_their_change_page(app, world):
    hv = signed_in(app, world.member)
    ref = world.family.reference
    url = f"/families/{ref}/household/{world.person.id}/edit"
    form = Page(hv.get(url))
    assert form.heading == "Change Kelly Harrow"
    assert form.value("name") == "Kelly Harrow" and form.value("presence") == "LIVES_IN"
    assert form.value(f"relationship-{world.child.id}") == "MOTHER"
    assert form.find("input", name="source_kind") is None  # where the record came from is not changed here
    response = post_form(hv, url, {"presence": "VISITS", "concerns": ["substance_misuse"],
                                   "concern_notes": "Says she has stopped drinking"}, page=form)
    assert response.status_code == 302, Page(response).summary_errors()
    person = Page(hv.get(response.headers["Location"]))
    assert any("Kelly Harrow saved." in banner for banner in person.banners())
    assert "Lives in or visits Visits" in person.text
    assert "Known concerns Substance misuse" in person.text
    assert "Notes about the concerns Says she has stopped drinking" in person.text
    db.session.expire_all()
    kelly = db.session.get(HouseholdMember, world.person.id)
    assert kelly.presence is Presence.VISITS and kelly.substance_misuse and kelly.revision == 2
    assert kelly.source_kind is SightingKind.SEEN  # unchanged


def test_an_unborn_baby_is_recorded_as_born(app, world):
    lead = signed_in(app, world.lead)
    ref = world.family.reference
    due = today() + timedelta(days=20)
    response = post_form(lead, f"/families/{ref}/children/new",
                         child_data(name="Unborn baby Harrow", born=False, expected_due_date=due, sex="NOT_KNOWN"))
    assert response.status_code == 302
    db.session.expire_all()
    baby = db.session.scalar(db.select(Child).where(Child.name == "Unborn baby Harrow"))
    url = f"/families/{ref}/children/{baby.id}/edit"
    form = Page(lead.get(url))
    assert form.value("born") == "no" and form.value("name") == "Unborn baby Harrow"
    born_on = today() - timedelta(days=2)
    response = post_form(lead, url, child_data(name="Lily Harrow", date_of_birth=born_on, sex="FEMALE"), page=form)
    assert response.status_code == 302, Page(response).summary_errors()
    db.session.expire_all()
    baby = db.session.get(Child, baby.id)
    assert baby.name == "Lily Harrow" and baby.date_of_birth == born_on and baby.expected_due_date is None
    page = Page(lead.get(f"/families/{ref}"))
    row = [r for r in page.table_rows(page.section("Children")) if r[0] == "Lily Harrow"][0]
    assert row[1] == long_date(born_on)
