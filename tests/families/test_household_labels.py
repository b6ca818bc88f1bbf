"""The household as the briefing asks it to be read: someone recorded without a name is "Unknown man 1",
numbered within the family, with the description beside the label and never as it; a parent or household
member whose whereabouts are not known stands out."""
from __future__ import annotations

from coordinator.extensions import db
from coordinator.families import services
from coordinator.families.models import HouseholdMember, Presence, Sex
from tests.families.helpers import Page
from tests.families.test_household_flags import add_person, attention, my_families_attention, row_of
from tests.support.people import signed_in


def test_unnamed_people_are_numbered_and_described_apart(app, world):
    hv = signed_in(app, world.member)
    ref = world.family.reference
    first = add_person(hv, ref, name="", description="Man in his 30s, drives a red van", sex="MALE",
                       presence="VISITS", source_kind="TOLD_OF")
    second = add_person(hv, ref, name="", description="Older man with a walking stick", sex="MALE",
                        presence="VISITS", source_kind="SEEN")
    woman = add_person(hv, ref, name="", description="Woman who collects Ruby from nursery", sex="FEMALE",
                       presence="VISITS", source_kind="SEEN")
    someone = add_person(hv, ref, name="", description="A lodger, never met", sex="NOT_KNOWN",
                         presence="LIVES_IN", source_kind="TOLD_OF")
    assert [m.display_name for m in (first, second, woman, someone)] == [
        "Unknown man 1", "Unknown man 2", "Unknown woman 1", "Unknown person 1"]

    page = Page(hv.get(f"/families/{ref}"))
    assert "Unknown man 1: name not known" in attention(page)
    assert not any("red van" in item for item in attention(page))  # the description is not his name
    assert row_of(page, "Men and fathers", "Unknown man 2 Older man with a walking stick")[2] == "Visits"
    assert row_of(page, "Everyone else", "Unknown woman 1 Woman who collects Ruby from nursery")
    person = Page(hv.get(f"/families/{ref}/household/{first.id}"))
    assert person.heading == "Unknown man 1"
    assert "Man in his 30s, drives a red van" in person.text

    # Named later, the name is the label; a number is never given twice (the next man is 3).
    services.update_member(first, actor=world.lead, expected_revision=first.revision, name="Lee Driver")
    third = services.add_member(world.family, actor=world.lead, relationships={}, description="Man at the door",
                                sex=Sex.MALE, presence=Presence.VISITS, source_kind=second.source_kind)
    db.session.commit()
    assert (first.display_name, third.display_name) == ("Lee Driver", "Unknown man 3")
    # The household on a past date reads the same labels.
    assert {p.display_name for p in services.household_on(world.family, services.today())} >= {
        "Lee Driver", "Unknown man 2", "Unknown man 3", "Unknown woman 1"}


def test_a_father_whose_whereabouts_are_not_known_stands_out(app, world):
    lead = signed_in(app, world.lead)
    ref = world.family.reference
    father = add_person(lead, ref, name="Dean Carter", presence="WHEREABOUTS_UNKNOWN", source_kind="TOLD_OF",
                        **{f"relationship-{world.child.id}": "FATHER"})
    assert father.presence is Presence.WHEREABOUTS_UNKNOWN
    page = Page(lead.get(f"/families/{ref}"))
    assert "Dean Carter: whereabouts not known" in attention(page)
    row = row_of(page, "Men and fathers", "Dean Carter")
    assert row[2] == "Whereabouts not known" and "Whereabouts not known" in row[6]
    assert my_families_attention(lead, ref) == "Father or man not known or not seen"
    flags = services.household_flags(db.session.get(HouseholdMember, father.id).family)
    assert [f.text for f in flags.father_concerns if f.kind == "whereabouts_man"] == ["Dean Carter: whereabouts not known"]
    # The form offers it beside the other answers.
    form = Page(lead.get(f"/families/{ref}/household/new"))
    assert form.find("input", name="presence", value="WHEREABOUTS_UNKNOWN") is not None
