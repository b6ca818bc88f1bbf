"""The agency update form: drafts, submission, amendment, lateness, and what reaches the household record."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.families.models import HouseholdMember, HouseholdSighting, Relationship, SightingKind
from coordinator.submissions.models import (
    HouseholdProposal,
    ProposalState,
    RequestState,
    Submission,
    SubmissionRequest,
    SubmissionStatus,
    SubmissionVersion,
)
from coordinator.timeutil import long_date, today
from tests.conftest import csrf_from
from tests.families.helpers import Page, form_payload
from tests.submissions.conftest import (
    after_deadline,
    complete_answers,
    day_fields,
    first_meeting,
    fresh,
    pack_url,
    post_update,
    press,
    send_requests,
    signed_in,
    update_form_index,
    update_url,
)


def rows(model, *where) -> list:
    db.session.expire_all()
    return db.session.scalars(select(model).where(*where)).all()


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def health_request(team):
    return send_requests(team.world)["Health visiting"]


def test_the_form_asks_about_each_person_in_the_household_each_man_and_each_child(app, team):
    request = health_request(team)
    page = Page(signed_in(app, team.member).get(update_url(team.world, request)))
    assert page.status_code == 200
    assert page.heading.startswith("Your agency's update for the professionals meeting on ")
    legends = [n.text() for n in page.find_all("legend")]
    assert "Kelly Harrow (lives in the home)" in legends and "Dean Carter (visits)" in legends
    men = page.section("Fathers and male carers")
    assert "Dean Carter" in men.text() and "Has your agency seen Dean Carter?" in men.text()
    assert "When you last saw Ruby Harrow" in page.section("Contact with each child").text()
    assert "Safety scale for Ruby Harrow" in page.section("Safety scales").text()
    summary = page.find("dl", cls="govuk-summary-list").text()
    assert "Health visiting" in summary and "Not started" in summary
    assert f"Due by {long_date(request.deadline)}" in summary
    assert page.find("button", name="submit").text() == "Submit the update"
    assert page.find("button", name="draft").text() == "Save as draft"


def test_a_draft_keeps_everything_and_nobody_else_sees_it(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    seen = today() - timedelta(days=3)
    typed = {
        f"household-{team.person.id}": "SEEN",
        f"man-{team.father.id}-seen": "no",
        f"man-{team.father.id}-mothers_account": "Says he visits 'now and then'.",
        f"child-{team.child.id}-last_seen": day_fields(seen),
        f"child-{team.child.id}-seen_alone": "yes",
        f"child-{team.child.id}-contacts": "3",
        f"child-{team.child.id}-scale": "4",
        "was_not_brought": "1",
        "engagement_reported": "Mum says she is taking her medication.",
        "engagement_observed": "Blister packs untouched.",
        "da_asked": "yes", "da_date": day_fields(seen), "da_private": "yes",
        "worries": "Mum's low mood.\nWho else is in the home.",
        "worries_provenance": "opinion",
        "not_for_family": ["engagement"],
        "new-1-name": "Tom Baker", "new-1-sex": "MALE",
    }
    response = post_update(client, url, typed, button="draft")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)

    page = Page(client.get(url))
    assert any("Draft saved" in b for b in page.banners())
    for name, value in typed.items():
        if isinstance(value, list) and name != "not_for_family":
            assert [n.attrs.get("value") for n in page.find_all("input", name=name)] == value, name
        elif name == "not_for_family":
            assert page.checked(name) == value
        else:
            assert page.value(name) == value, name
    assert "Draft" in page.find("dl", cls="govuk-summary-list").text()

    [submission] = rows(Submission, Submission.request_id == request.id)
    assert submission.status is SubmissionStatus.DRAFT and submission.version == 0
    assert submission.fields["worries"] == "Mum's low mood.\nWho else is in the home."
    assert count(SubmissionVersion) == 0
    assert fresh(SubmissionRequest, request.id).state is RequestState.OPEN
    # A draft reaches nothing: no sighting, no proposal, not the pack.
    assert count(HouseholdProposal) == 0
    assert count(HouseholdSighting, HouseholdSighting.agency_id == team.member.agency_id) == 0
    pack = Page(signed_in(app, team.lead).get(pack_url(team.world, first_meeting(team.world))))
    assert "No update from Health visiting" in pack.text
    assert "Mum's low mood" not in pack.text
    # ... nor another agency, by its address.
    other = signed_in(app, team.school)
    assert other.get(f"{url}/submitted/{submission.id}").status_code == 404


def test_submitting_with_answers_missing_shows_an_error_summary_and_keeps_the_input(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    typed = {"worries": "Mum's low mood.", "new-1-description": "Man with a dog", "engagement_reported": "Coping."}

    page = Page(post_update(client, url, typed))
    assert page.status_code == 200
    assert page.title.startswith("Error: ")
    errors = page.summary_errors()
    expected = {
        f"#household-{team.person.id}": "Say whether you have seen Kelly Harrow",
        f"#household-{team.father.id}": "Say whether you have seen Dean Carter",
        f"#man-{team.father.id}-seen": "Say whether your agency has seen Dean Carter",
        f"#child-{team.child.id}-seen_alone": "Say whether Ruby Harrow was seen alone",
        f"#child-{team.child.id}-scale": "Give a safety scale for Ruby Harrow",
        "#da_asked": "Say whether you asked about domestic abuse",
        "#share_with_family": "Say whether this update may be shared with the parents",
        "#new-1-presence": "Say whether the new person lives in or visits the home",
        "#new-1-source": "Say whether you saw the new person or were told of them",
    }
    assert errors == expected
    assert page.field_error(f"child-{team.child.id}-scale") == "Give a safety scale for Ruby Harrow"
    for name, value in typed.items():
        assert page.value(name) == value
    assert count(Submission) == 0 and count(SubmissionVersion) == 0


def test_a_full_submission(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    answers = complete_answers(team.world, last_seen=today() - timedelta(days=2), worries="Nappy rash at two visits.")

    response = post_update(client, url, answers)
    assert response.status_code == 302
    [submission] = rows(Submission, Submission.request_id == request.id)
    assert response.headers["Location"].endswith(f"{url}/submitted/{submission.id}")
    page = Page(client.get(response.headers["Location"]))
    assert any("Your update has been submitted." in b for b in page.banners())
    assert not any("late" in b for b in page.banners())
    assert page.heading == "Health visiting's update"
    assert "Nappy rash at two visits." in page.text
    assert "Kelly Harrow: Seen" in page.text and "Dean Carter: Told of, not seen" in page.text

    assert submission.status is SubmissionStatus.SUBMITTED and submission.version == 1 and not submission.late
    assert submission.author_id == team.member.id and submission.agency_id == team.member.agency_id
    [version] = rows(SubmissionVersion, SubmissionVersion.submission_id == submission.id)
    assert version.version == 1 and version.data == submission.data and not version.late
    assert fresh(SubmissionRequest, request.id).state is RequestState.SUBMITTED
    assert [e.detail for e in rows(AuditEvent, AuditEvent.action == "update_submitted")] == ["version 1"]

    # The form now amends it.
    page = Page(client.get(url))
    assert page.find("button", name="submit").text() == "Submit the amended update"
    assert page.value("worries") == "Nappy rash at two visits."


def test_amending_before_the_deadline_makes_version_two_and_keeps_every_version(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    assert post_update(client, url, complete_answers(team.world, scale="6", worries="First worries.")).status_code == 302

    response = post_update(client, url, {f"child-{team.child.id}-scale": "3", "worries": "Second worries."})
    assert response.status_code == 302
    [submission] = rows(Submission, Submission.request_id == request.id)
    assert submission.version == 2 and submission.amended and not submission.late
    assert submission.fields["worries"] == "Second worries."
    versions = rows(SubmissionVersion, SubmissionVersion.submission_id == submission.id)
    assert [(v.version, json.loads(v.data)["worries"], json.loads(v.data)[f"child-{team.child.id}-scale"])
            for v in sorted(versions, key=lambda v: v.version)] == [(1, "First worries.", 6), (2, "Second worries.", 3)]

    page = Page(client.get(response.headers["Location"]))
    assert "amended (version 2)" in page.text
    pack = Page(signed_in(app, team.lead).get(pack_url(team.world, first_meeting(team.world))))
    sent = pack.section("Who has sent an update").text()
    assert "Health visiting: Hana Visitor" in sent and "(amended, version 2)" in sent
    assert "Second worries." in pack.text and "First worries." not in pack.text


def test_after_the_deadline_a_first_submission_is_accepted_but_marked_late(app, team, monkeypatch):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    after_deadline(monkeypatch, request)

    page = Page(client.get(url))
    assert "the deadline has passed: an update now is marked late" in page.find("dl", cls="govuk-summary-list").text()
    response = post_update(client, url, complete_answers(team.world), page=page)
    assert response.status_code == 302
    page = Page(client.get(response.headers["Location"]))
    assert any("It was after the deadline, so it is marked late." in b for b in page.banners())
    assert ", late." in page.text

    [submission] = rows(Submission, Submission.request_id == request.id)
    assert submission.status is SubmissionStatus.SUBMITTED and submission.version == 1 and submission.late
    [version] = rows(SubmissionVersion, SubmissionVersion.submission_id == submission.id)
    assert version.late
    lead = signed_in(app, team.lead)
    pack = Page(lead.get(pack_url(team.world, first_meeting(team.world))))
    assert "(late)" in pack.section("Who has sent an update").text()
    updates = Page(lead.get(f"/families/{team.family.reference}/meetings/{request.occurrence_id}/updates"))
    assert "Submitted late" in updates.text


def test_amending_after_the_deadline_is_refused_with_a_clear_message(app, team, monkeypatch):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    assert post_update(client, url, complete_answers(team.world, worries="On time.")).status_code == 302
    after_deadline(monkeypatch, request)

    page = Page(post_update(client, url, {"worries": "Too late to change."}))
    assert page.status_code == 200
    assert page.title.startswith("Error: ")
    assert list(page.summary_errors().values()) == [
        "The deadline has passed, so this update can no longer be amended. Tell the chair about anything new at "
        "the meeting."]
    assert page.value("worries") == "Too late to change."  # what they typed is still in front of them
    [submission] = rows(Submission, Submission.request_id == request.id)
    assert submission.version == 1 and submission.fields["worries"] == "On time."
    assert count(SubmissionVersion) == 1
    # The update page no longer offers to amend it.
    page = Page(client.get(f"{url}/submitted/{submission.id}"))
    assert page.link("Amend this update") is None


def test_a_submitted_update_cannot_be_changed_by_saving_a_draft(app, team):
    """Only a submission changes what the chair reads: a draft saved over a submitted update would change it
    with no new version (and the pack would show text nobody submitted)."""
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    assert post_update(client, url, complete_answers(team.world, worries="As submitted.")).status_code == 302
    page = Page(client.get(url))
    assert page.find("button", name="draft") is None  # amending is submitting a new version

    # A draft sent anyway (an old tab, a crafted request) is refused, and changes nothing.
    payload = form_payload(page, update_form_index(page))
    payload["worries"] = ["Half-written second thoughts."]
    payload["draft"] = ["1"]
    page = Page(client.post(url, data=payload))
    assert page.status_code == 200 and page.error_summary is not None
    assert "submitted" in page.error_summary.text()
    assert page.value("worries") == "Half-written second thoughts."
    [submission] = rows(Submission, Submission.request_id == request.id)
    assert submission.fields["worries"] == "As submitted." and submission.version == 1
    pack = Page(signed_in(app, team.lead).get(pack_url(team.world, first_meeting(team.world))))
    assert "As submitted." in pack.text and "Half-written" not in pack.text


def test_household_answers_become_sightings_on_the_family_record(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    answers = complete_answers(team.world)  # Kelly seen, Dean told of
    assert post_update(client, update_url(team.world, request), answers).status_code == 302

    sightings = rows(HouseholdSighting, HouseholdSighting.agency_id == team.member.agency_id)
    assert sorted((s.member_id, s.kind, s.seen_on) for s in sightings) == sorted(
        [(team.person.id, SightingKind.SEEN, today()), (team.father.id, SightingKind.TOLD_OF, today())])
    assert all(s.recorded_by_id == team.member.id and "agency update" in s.note for s in sightings)
    # The family record shows them.
    page = Page(signed_in(app, team.lead).get(f"/families/{team.family.reference}/household/{team.person.id}"))
    sightings = page.section("Sightings and reports").text()
    assert f"{long_date(today())}: Seen by Health visiting (Hana Visitor): From the agency update" in sightings


def test_a_new_person_waits_for_the_lead_to_add_them_to_the_household(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    answers = complete_answers(team.world, **{
        "new-1-description": "Man in his 20s with a dog, answered the door", "new-1-sex": "MALE",
        "new-1-relationship": "UNKNOWN", "new-1-presence": "VISITS", "new-1-source": "SEEN"})
    assert post_update(client, url, answers).status_code == 302

    [proposal] = rows(HouseholdProposal)
    assert proposal.state is ProposalState.PENDING and proposal.family_id == team.family.id
    assert proposal.fields["description"] == "Man in his 20s with a dog, answered the door"
    assert count(HouseholdMember, HouseholdMember.family_id == team.family.id) == 2  # not in the household yet
    family_url = f"/families/{team.family.reference}"
    accept_url = f"{family_url}/proposals/{proposal.id}/accept"

    # A network member cannot add him: only the lead professional.
    member_page = client.get(url).get_data(as_text=True)
    assert client.post(accept_url, data={"csrf_token": csrf_from(member_page)}).status_code == 403
    assert fresh(HouseholdProposal, proposal.id).state is ProposalState.PENDING

    lead = signed_in(app, team.lead)
    page = Page(lead.get(family_url))
    assert "Man in his 20s with a dog, answered the door" in page.text
    pack_html = lead.get(pack_url(team.world, first_meeting(team.world))).get_data(as_text=True)
    response = press(lead, family_url, accept_url)
    assert response.status_code == 302
    assert any("added to the household" in b for b in Page(lead.get(response.headers["Location"])).banners())

    proposal = fresh(HouseholdProposal, proposal.id)
    assert proposal.state is ProposalState.ACCEPTED and proposal.decided_by_id == team.lead.id
    member = db.session.get(HouseholdMember, proposal.member_id)
    assert member.family_id == team.family.id and member.name is None
    assert member.description == "Man in his 20s with a dog, answered the door"
    assert member.display_name.startswith("Unknown man")
    assert [(r.child_id, r.relationship_type) for r in member.relationships] == [(team.child.id, Relationship.UNKNOWN)]
    assert count(HouseholdMember, HouseholdMember.family_id == team.family.id) == 3
    assert [e.actor_id for e in rows(AuditEvent, AuditEvent.action == "household_proposal_accepted")] == [team.lead.id]
    # Dealt with: the button pressed again (on the pack, opened before) does not add him twice.
    lead.post(accept_url, data={"csrf_token": csrf_from(pack_html)})
    assert fresh(HouseholdProposal, proposal.id).member_id == member.id
    assert count(HouseholdMember, HouseholdMember.family_id == team.family.id) == 3


def test_declining_a_new_person_leaves_the_household_unchanged(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    answers = complete_answers(team.world, **{
        "new-2-name": "Tom Baker", "new-2-sex": "MALE", "new-2-presence": "VISITS", "new-2-source": "TOLD_OF"})
    assert post_update(client, update_url(team.world, request), answers).status_code == 302
    [proposal] = rows(HouseholdProposal)
    assert proposal.slot == 2 and proposal.fields["name"] == "Tom Baker"
    family_url = f"/families/{team.family.reference}"

    member_page = client.get(update_url(team.world, request)).get_data(as_text=True)
    decline_url = f"{family_url}/proposals/{proposal.id}/decline"
    assert client.post(decline_url, data={"csrf_token": csrf_from(member_page)}).status_code == 403

    lead = signed_in(app, team.lead)
    response = press(lead, family_url, decline_url)
    assert response.status_code == 302
    assert fresh(HouseholdProposal, proposal.id).state is ProposalState.DECLINED
    assert count(HouseholdMember, HouseholdMember.family_id == team.family.id) == 2
    assert "Tom Baker" not in Page(lead.get(family_url)).text
    # The update that mentioned him is unchanged.
    [submission] = rows(Submission)
    assert submission.fields["new-2-name"] == "Tom Baker"


def test_an_amendment_adds_only_changed_household_answers_and_withdraws_dropped_people(app, world):
    """Amending an update must not record the same sighting twice, and a person the amended update no longer
    mentions stops waiting for the lead professional."""
    from coordinator.families.models import HouseholdSighting
    from coordinator.submissions import services as updates

    occurrence = world.series.occurrences[0]
    request = {r.agency_id: r for r in updates.ensure_requests(occurrence)}[world.member.agency_id]
    answer = {f"household-{world.person.id}": "SEEN",
              "new-1-description": "Man with a dog", "new-1-presence": "VISITS", "new-1-source": "SEEN"}
    first = updates.save(request, world.member, answer, submit=True, expected_revision=None)
    db.session.commit()
    sightings = lambda: db.session.scalar(db.select(db.func.count()).select_from(HouseholdSighting)  # noqa: E731
                                          .where(HouseholdSighting.member_id == world.person.id))
    before = sightings()
    assert len(updates.pending_proposals(world.family)) == 1
    updates.save(request, world.member, {f"household-{world.person.id}": "SEEN"}, submit=True,
                 expected_revision=first.revision)
    db.session.commit()
    assert sightings() == before
    assert updates.pending_proposals(world.family) == []
