"""Copies: printing and producing the family copy are audited; the family copy leaves out each section and
each agency update marked not for the family, listing every omission with its reason; only the chair or the
lead professional produces it."""
from __future__ import annotations

from tests.minutes.helpers import (
    SCHOOL_REASON,
    answer_invitations,
    audit_events,
    give_update,
    health_update,
    open_page,
    published,
    school_update,
)

WORRIES = "A man seen leaving the flat early in the morning."
DISSENT = "The school disagreed with keeping the plan at this level."
STRENGTHS = "Mum brings the baby to every clinic."
REASON = "Names a third party who has not been told."


def publish_with_withheld_parts(team):
    meeting = team.meetings[0]
    answer_invitations(team, meeting)
    give_update(meeting, team.member, health_update(team, scale=4))
    give_update(meeting, team.school, school_update(team, scale=6, withhold=True))
    version = published(team, meeting, worries=WORRIES, dissent=DISSENT, strengths=STRENGTHS,
                        decisions="The plan continues.", not_for_family=["worries", "dissent"],
                        withheld_reason=REASON)
    return meeting, version


def test_printing_is_audited(team, client_for):
    meeting, version = publish_with_withheld_parts(team)
    page = open_page(client_for(team.member), team.version(meeting, 1, "/print"))
    assert "Confidential: for the professionals named in the distribution list." in page.text
    assert WORRIES in page.text and DISSENT in page.text  # the professionals' copy is whole
    assert "Not for the family" in page.text
    events = audit_events("minutes_printed")
    assert [(e.actor_id, e.object_id, e.family_id) for e in events] == [(team.member.id, str(version.id), team.family.id)]
    assert audit_events("minutes_family_copy") == []


def test_the_family_copy_leaves_out_what_is_not_for_the_family_and_says_why(team, client_for):
    meeting, version = publish_with_withheld_parts(team)
    page = open_page(client_for(team.chair), team.version(meeting, 1, "/family-copy"))
    text = page.text
    assert "Copy for the family" in page.heading

    # Left out: the sections marked not for the family, and the school's update.
    assert WORRIES not in text and DISSENT not in text
    assert "Tired and hungry on Mondays" not in text and "Has a good friendship group." not in text
    assert "Oakfield Primary 6" not in text  # the school's safety scale came from its withheld update
    assert "Not for the family" not in text
    # Kept: everything else, including the health visitor's update, which may be shared.
    assert STRENGTHS in text and "The plan continues." in text
    assert "Baby clean and fed at each of three visits." in text
    assert "Health visiting 4" in text
    # No distribution list of professionals' names.
    assert "Distribution" not in text

    omissions = [li.text() for li in page.section("Left out of this copy").find_all("li")]
    assert f"What we are worried about: {REASON}" in omissions
    assert f"Dissent recorded: {REASON}" in omissions
    assert (f"Oakfield Primary's update: worries, what is working well, what needs to happen (marked not for the "
            f"family in its update): {SCHOOL_REASON}") in omissions
    assert f"Oakfield Primary's update: safety scales (marked not for the family in its update): {SCHOOL_REASON}" in omissions
    assert len(omissions) == 4

    events = audit_events("minutes_family_copy")
    assert [(e.actor_id, e.object_id) for e in events] == [(team.chair.id, str(version.id))]
    assert audit_events("minutes_printed") == []


def test_only_the_chair_or_the_lead_produces_the_family_copy(team, client_for):
    meeting, _ = publish_with_withheld_parts(team)
    url = team.version(meeting, 1, "/family-copy")
    assert client_for(team.chair).get(url).status_code == 200
    assert client_for(team.lead).get(url).status_code == 200
    for user in (team.taker, team.member, team.school):
        assert client_for(user).get(url).status_code == 403, user.email
    for user in (team.gp, team.outsider):  # a guest sees meetings, not the record; an outsider nothing
        assert client_for(user).get(url).status_code == 404, user.email
    assert len(audit_events("minutes_family_copy")) == 2
    # The link is offered only to those who may follow it.
    assert open_page(client_for(team.chair), team.version(meeting, 1)).link("Family copy") == url
    assert open_page(client_for(team.member), team.version(meeting, 1)).link("Family copy") is None


def test_every_section_marked_not_for_the_family_is_left_out(team, client_for):
    from coordinator.minutes.services import SECTIONS

    meeting = team.meetings[0]
    give_update(meeting, team.member, health_update(team, scale=4))  # an update that may be shared
    texts = {key: f"Text of the section {key} for the professionals." for key in SECTIONS}
    published(team, meeting, **texts, **{f"household-{team.father.id}": "left"},
              not_for_family=list(SECTIONS), withheld_reason=REASON)
    professional = open_page(client_for(team.chair), team.version(meeting, 1)).text
    assert "Dean Carter: has left" in professional
    assert "Health visiting 4" in professional

    page = open_page(client_for(team.chair), team.version(meeting, 1, "/family-copy"))
    for key, value in texts.items():
        assert value not in page.text, key
    assert "Dean Carter: has left" not in page.text  # the household as the meeting confirmed it
    assert "Baby clean and fed" not in page.text  # each agency's information
    assert "Health visiting 4" not in page.text  # each agency's safety scale
    omissions = [li.text() for li in page.section("Left out of this copy").find_all("li")]
    assert sorted(omissions) == sorted(f"{label}: {REASON}" for label in SECTIONS.values())


def test_the_family_copy_leaves_out_exactly_the_sections_an_agency_withheld(team, client_for):
    """The school withholds only its worries: its safety scale and its appointments stay in the family copy."""
    meeting = team.meetings[0]
    answer_invitations(team, meeting)
    give_update(meeting, team.member, health_update(team, scale=4))
    school = school_update(team, scale=6, withhold=True)
    school["not_for_family"] = ["worries"]
    school.update({"parent_says_engagement": "engaging", f"child-{team.child.id}-appt-1-date": "2026-01-13",
                   f"child-{team.child.id}-appt-1-kind": "School nurse check",
                   f"child-{team.child.id}-appt-1-outcome": "attended"})
    give_update(meeting, team.school, school)
    published(team, meeting, strengths=STRENGTHS, decisions="The plan continues.")
    professional = open_page(client_for(team.chair), team.version(meeting, 1)).text
    assert "Tired and hungry on Mondays" in professional and "Oakfield Primary 6" in professional

    page = open_page(client_for(team.chair), team.version(meeting, 1, "/family-copy"))
    assert "Oakfield Primary 6" in page.text  # its safety scale: not withheld
    assert "Appointments: appointments offered 2, appointments attended 2" in page.text
    # The child's own appointments and the parent's account belong to sections the school shared.
    assert "School nurse check on Tuesday 13 January 2026: attended" in page.text
    assert "The parent said (not checked) that they are working with every agency" in page.text
    assert "Tired and hungry on Mondays" not in page.text and "Has a good friendship group." not in page.text
    assert "Health visiting 4" in page.text and "Baby clean and fed at each of three visits." in page.text
    omissions = [li.text() for li in page.section("Left out of this copy").find_all("li")]
    assert omissions == [f"Oakfield Primary's update: worries, what is working well, what needs to happen (marked "
                         f"not for the family in its update): {SCHOOL_REASON}"]


def test_the_family_copy_leaves_out_an_agencys_own_notes_when_its_update_is_partly_withheld(team, client_for):
    """A line the minute-taker wrote into the school's information cannot be told apart from its withheld
    worries: it is left out, and the omission says so."""
    from coordinator.minutes import document

    meeting = team.meetings[0]
    answer_invitations(team, meeting)
    school = school_update(team, scale=6, withhold=True)
    school["not_for_family"] = ["worries"]
    give_update(meeting, team.school, school)
    facts = document.agency_facts_key(team.school.agency_id)
    from coordinator.minutes import services

    minutes = services.start_minutes(meeting, team.taker)
    written = minutes.fields[facts] + "\nThe teacher heard about the visitor from Ruby's friend."
    published(team, meeting, **{facts: written})
    page = open_page(client_for(team.chair), team.version(meeting, 1, "/family-copy"))
    assert "The teacher heard about the visitor" not in page.text
    assert "Appointments: appointments offered 2" in page.text
    assert any(o.startswith("Notes on Oakfield Primary's information written at the meeting")
               for o in [li.text() for li in page.section("Left out of this copy").find_all("li")])
