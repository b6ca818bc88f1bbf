"""The agency update form: drafts, submission, amendment, lateness, and what reaches the household record."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.families.models import HouseholdMember, HouseholdSighting, Relationship, SightingKind
from coordinator.submissions.forms import step_of
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
from tests.families.helpers import Page
from tests.submissions.conftest import (
    after_deadline,
    check_url,
    complete_answers,
    day_fields,
    first_meeting,
    fresh,
    pack_url,
    post_update,
    press,
    save_step,
    send_requests,
    signed_in,
    step_url,
    steps_listed,
    submit_update,
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


def test_the_update_is_asked_in_steps_from_a_task_list(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    page = Page(client.get(url))
    assert page.status_code == 200
    assert page.heading.startswith("Your agency's update for the professionals meeting on ")
    summary = page.find("dl", cls="govuk-summary-list").text()
    assert "Health visiting" in summary and "Not started" in summary
    assert f"Due by {long_date(request.deadline)}" in summary
    tasks = [(li.find("a").text(), li.find("div", cls="govuk-task-list__status").text())
             for li in page.find_all("li", cls="govuk-task-list__item")]
    assert tasks == [(title, "Not yet started") for title in (
        "Who lives in or visits the home", "Fathers and male carers", "Contact with each child",
        "Appointments and engagement", "Domestic abuse routine enquiry",
        "Worries, what is working well, what needs to happen", "Each child's lived experience", "Safety scales",
        "Sharing with the family")]
    assert steps_listed(client, url) == ["household", "men", "children", "appointments", "domestic-abuse", "worries",
                                         "lived-experience", "scales", "sharing"]
    assert page.link("Check your answers and submit") is not None

    household = Page(client.get(step_url(url, "household")))
    assert household.heading == "Who lives in or visits the home"
    assert "Step 1 of 9" in household.find("span", cls="govuk-caption-m").text()
    legends = [n.text() for n in household.find_all("legend")]
    assert "Kelly Harrow (lives in the home)" in legends and "Dean Carter (visits)" in legends
    assert household.find("button", name="continue").text() == "Save and continue"
    assert household.find("button", name="later").text() == "Save and come back later"
    assert "Has your agency seen Dean Carter?" in Page(client.get(step_url(url, "men"))).text
    assert "When you last saw Ruby Harrow" in Page(client.get(step_url(url, "children"))).text
    assert "Safety scale for Ruby Harrow" in Page(client.get(step_url(url, "scales"))).text
    assert client.get(step_url(url, "actions")).status_code == 404  # no open actions: not a step
    assert client.get(step_url(url, "nothing-like-it")).status_code == 404


def test_save_and_continue_goes_through_the_steps_to_check_your_answers(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    steps = steps_listed(client, url)
    for here, following in zip(steps, steps[1:], strict=False):
        response = save_step(client, url, here, {})
        assert response.status_code == 302 and response.headers["Location"].endswith(step_url(url, following))
    response = save_step(client, url, steps[-1], {})
    assert response.headers["Location"].endswith(check_url(url))
    # A step opened from check your answers goes back there.
    page = Page(client.get(step_url(url, "children") + "?check=1"))
    assert page.link("Back to check your answers") is not None
    assert page.find("form", id="update-form").attrs.get("action") is None  # posts to its own address
    response = save_step(client, url, "children", {}, page=page, query="?check=1")
    assert response.headers["Location"].endswith(check_url(url))
    # Save and come back later goes to the task list.
    response = save_step(client, url, "worries", {"worries": "Later."}, button="later")
    assert response.headers["Location"].endswith(url)
    assert any("Your answers have been saved" in b for b in Page(client.get(url)).banners())


def test_a_draft_keeps_everything_between_steps_and_after_leaving_and_nobody_else_sees_it(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    seen = today() - timedelta(days=3)
    typed = {
        f"household-{team.person.id}": "SEEN",
        f"man-{team.father.id}-seen": "no",
        f"man-{team.father.id}-mothers_account": "Says he visits 'now and then'.",
        f"child-{team.child.id}-last_seen": day_fields(seen),
        f"child-{team.child.id}-seen_awake": "yes",  # Ruby is a baby
        f"child-{team.child.id}-sleeps": "In a cot",
        f"child-{team.child.id}-contacts": "3",
        f"child-{team.child.id}-scale": "4",
        f"child-{team.child.id}-appt-1-date": day_fields(seen),
        f"child-{team.child.id}-appt-1-kind": "Health visitor check",
        f"child-{team.child.id}-appt-1-outcome": "was_not_brought",
        "parent_says_appointments": "all_attended",
        "engagement_reported": "Mum says she is taking her medication.",
        "engagement_observed": "Blister packs untouched.",
        f"da-{team.person.id}-asked": "yes", f"da-{team.person.id}-date": day_fields(seen),
        f"da-{team.person.id}-private": "yes",
        "worries": "Mum's low mood.\nWho else is in the home.",
        "worries_provenance": "opinion",
        "not_for_family": ["engagement"],
        "new-1-name": "Tom Baker", "new-1-sex": "MALE",
    }
    response = post_update(client, url, typed, button="draft")
    assert response.status_code == 302

    # Leaving and coming back (signed in afresh): every step shows what was saved on it.
    client = signed_in(app, team.member)
    for name, value in typed.items():
        page = Page(client.get(step_url(url, step_of(name))))
        if name == "not_for_family":
            assert page.checked(name) == value
        elif isinstance(value, list):
            assert [n.attrs.get("value") for n in page.find_all("input", name=name)] == value, name
        else:
            assert page.value(name) == value, name
    listing = Page(client.get(url))
    assert "Draft" in listing.find("dl", cls="govuk-summary-list").text()
    statuses = {li.find("a").text(): li.find("div", cls="govuk-task-list__status").text()
                for li in listing.find_all("li", cls="govuk-task-list__item")}
    assert statuses["Contact with each child"] == "Completed"
    assert statuses["Appointments and engagement"] == "Completed"
    assert statuses["Each child's lived experience"] == "Not yet started"
    assert statuses["Sharing with the family"] == "Incomplete"  # withholding a section needs a reason
    assert statuses["Who lives in or visits the home"] == "Incomplete"  # Kelly answered about, Dean not
    assert statuses["Safety scales"] == "Completed"

    # Saving one step leaves the others' answers as they were.
    lived = f"child-{team.child.id}-lived_experience"
    assert save_step(client, url, "lived-experience", {lived: "Ruby babbles at her mum."}).status_code == 302
    [submission] = rows(Submission, Submission.request_id == request.id)
    assert submission.status is SubmissionStatus.DRAFT and submission.version == 0
    assert submission.fields["worries"] == "Mum's low mood.\nWho else is in the home."
    assert submission.fields[lived] == "Ruby babbles at her mum."
    assert submission.fields[f"child-{team.child.id}-appt-1-outcome"] == "was_not_brought"
    assert submission.fields["not_for_family"] == ["engagement"]
    assert count(SubmissionVersion) == 0
    assert fresh(SubmissionRequest, request.id).state is RequestState.OPEN
    assert {e.action for e in rows(AuditEvent, AuditEvent.object_id == str(submission.id))} >= {
        "update_draft_saved", "update_viewed"}
    # A draft reaches nothing: no sighting, no proposal, not the pack.
    assert count(HouseholdProposal) == 0
    assert count(HouseholdSighting, HouseholdSighting.agency_id == team.member.agency_id) == 0
    pack = Page(signed_in(app, team.lead).get(pack_url(team.world, first_meeting(team.world))))
    assert "No update from Health visiting" in pack.text
    assert "Mum's low mood" not in pack.text
    # ... nor another agency, by its address.
    other = signed_in(app, team.school)
    assert other.get(f"{url}/submitted/{submission.id}").status_code == 404
    for path in (step_url(url, "worries"), check_url(url)):
        assert other.get(path).status_code == 403


def test_check_your_answers_shows_each_step_with_a_link_to_change_it(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    post_update(client, url, complete_answers(team.world, worries="Nappy rash.", **{
        "not_for_family": ["engagement"], "share_with_family": "partly", "withheld_reason": "Mum's health.",
        "new-2-name": "Tom Baker"}), button="draft")
    page = Page(client.get(check_url(url)))
    assert page.heading == "Check your answers before you submit"
    cards = {card.find("h2").text(): card for card in page.find_all("div", cls="govuk-summary-card")}
    assert list(cards) == ["Who lives in or visits the home", "Fathers and male carers", "Contact with each child",
                           "Appointments and engagement", "Domestic abuse routine enquiry",
                           "Worries, what is working well, what needs to happen", "Each child's lived experience",
                           "Safety scales", "Sharing with the family"]
    household = cards["Who lives in or visits the home"].text()
    assert "Kelly Harrow" in household and "Seen" in household and "New person 2: Name" in household
    assert "Tom Baker" in household and "New person 1" not in household  # unused slots are left out
    assert "Ruby Harrow: Where" in cards["Contact with each child"].text()
    assert "Shared with the family No: marked not for the family" in cards["Appointments and engagement"].text()
    assert "not for the family" not in cards["Contact with each child"].text()
    # The domestic abuse enquiry is kept from the family unless the author chooses to share it.
    assert "Shared with the family No: marked not for the family" in cards["Domestic abuse routine enquiry"].text()
    assert "Nappy rash." in cards["Worries, what is working well, what needs to happen"].text()
    sharing = cards["Sharing with the family"].text()
    assert "Yes, except the sections marked below" in sharing and "Engagement" in sharing
    change = cards["Safety scales"].find("a")
    assert change.text() == "Change (Safety scales)"
    assert change.attrs["href"].endswith(step_url(url, "scales") + "?check=1")
    assert page.find("button", name="submit").text() == "Submit the update"


def test_submitting_with_answers_missing_opens_the_first_step_that_needs_more(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    typed = {"worries": "Mum's low mood.", "new-1-description": "Man with a dog", "engagement_reported": "Coping."}
    post_update(client, url, typed, button="draft")

    response = submit_update(client, url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(step_url(url, "household") + "?errors=1")
    page = Page(client.get(response.headers["Location"]))
    assert page.status_code == 200
    assert page.title.startswith("Error: ")
    assert page.summary_errors() == {
        f"#household-{team.person.id}": "Say whether you have seen Kelly Harrow",
        f"#household-{team.father.id}": "Say whether you have seen Dean Carter",
        "#new-1-presence": "Say whether the new person lives in or visits the home",
        "#new-1-source": "Say whether you saw the new person or were told of them",
    }
    assert page.value("new-1-description") == "Man with a dog"  # what was typed is kept
    others = page.find("div", cls="govuk-inset-text").text()
    for title in ("Fathers and male carers", "Contact with each child", "Domestic abuse routine enquiry",
                  "Safety scales", "Sharing with the family"):
        assert title in others
    assert "Worries" not in others and "Appointments" not in others
    assert count(SubmissionVersion) == 0
    [submission] = rows(Submission)
    assert submission.status is SubmissionStatus.DRAFT

    # A later step sent back shows its own errors, with what was saved.
    scales = Page(client.get(step_url(url, "scales") + "?errors=1"))
    assert scales.field_error(f"child-{team.child.id}-scale") == "Give a safety scale for Ruby Harrow"
    # Answering the step that was sent back returns to check your answers.
    answers = {f"household-{team.person.id}": "SEEN", f"household-{team.father.id}": "TOLD_OF",
               "new-1-presence": "VISITS", "new-1-source": "SEEN"}
    response = save_step(client, url, "household", answers, page=page, query="?errors=1")
    assert response.headers["Location"].endswith(check_url(url))
    assert submit_update(client, url).headers["Location"].endswith(step_url(url, "men") + "?errors=1")


def test_a_format_error_on_a_step_is_shown_there_with_the_input_kept_and_nothing_saved(app, team):
    request = health_request(team)
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    field = f"child-{team.child.id}-scale"
    page = Page(save_step(client, url, "scales", {field: "11"}))
    assert page.status_code == 200 and page.title.startswith("Error: ")
    assert page.summary_errors() == {f"#{field}": "The safety scale must be a whole number from 0 to 10"}
    assert page.value(field) == "11"
    assert count(Submission) == 0


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
    listing = Page(client.get(url))
    assert "Submitted, version 1" in listing.find("dl", cls="govuk-summary-list").text()
    assert {li.find("div", cls="govuk-task-list__status").text()
            for li in listing.find_all("li", cls="govuk-task-list__item")} == {"Completed"}
    assert Page(client.get(check_url(url))).find("button", name="submit").text() == "Submit the amended update"
    assert Page(client.get(step_url(url, "worries"))).value("worries") == "Nappy rash at two visits."


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
    response = post_update(client, url, complete_answers(team.world))
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

    # Saving a step of it keeps the changes beside it: the chair still reads what was submitted.
    assert save_step(client, url, "worries", {"worries": "Half-written second thoughts."}).status_code == 302
    [submission] = rows(Submission, Submission.request_id == request.id)
    assert submission.fields["worries"] == "As submitted." and submission.version == 1
    assert submission.status is SubmissionStatus.SUBMITTED and count(SubmissionVersion) == 1
    pack = Page(signed_in(app, team.lead).get(pack_url(team.world, first_meeting(team.world))))
    assert "As submitted." in pack.text and "Half-written" not in pack.text
    page = Page(client.get(f"{url}/submitted/{submission.id}"))
    assert "As submitted." in page.text and "Half-written" not in page.text
    event = max(rows(AuditEvent, AuditEvent.action == "update_draft_saved"), key=lambda e: e.id)
    assert event.detail == "amendment of version 1" and event.actor_id == team.member.id
    # ... and the author finds them again, then submits them as a new version.
    client = signed_in(app, team.member)
    assert "changes not yet submitted" in Page(client.get(url)).find("dl", cls="govuk-summary-list").text()
    assert Page(client.get(step_url(url, "worries"))).value("worries") == "Half-written second thoughts."
    assert "Half-written second thoughts." in Page(client.get(check_url(url))).text
    assert submit_update(client, url).status_code == 302
    [submission] = rows(Submission, Submission.request_id == request.id)
    assert submission.version == 2 and submission.fields["worries"] == "Half-written second thoughts."
    assert "__amending__" not in submission.fields
    # The service itself still refuses a draft over a submitted update.
    from coordinator.submissions import services

    try:
        services.save(fresh(SubmissionRequest, request.id), team.member, {"worries": "Draft"}, submit=False,
                      expected_revision=submission.revision)
    except services.UpdateError as error:
        assert "cannot be saved as a draft" in str(error)
    else:
        raise AssertionError("a draft over a submitted update was saved")
    db.session.rollback()
    assert fresh(Submission, submission.id).fields["worries"] == "Half-written second thoughts."


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
    member_page = client.get(step_url(url, "household")).get_data(as_text=True)
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

    member_page = client.get(step_url(update_url(team.world, request), "household")).get_data(as_text=True)
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
