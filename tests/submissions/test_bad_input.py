"""Bad input and faults on the update form: meetings that no longer want an update, requests that are not
the sender's, people who may not write, double clicks, impossible answers, two tabs."""
from __future__ import annotations

import json
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.submissions.models import HouseholdProposal, Submission, SubmissionRequest, SubmissionVersion
from coordinator.timeutil import today
from tests.conftest import csrf_from
from tests.families.helpers import Page, assert_form_error, form_payload
from tests.submissions.conftest import (
    complete_answers,
    day_fields,
    fresh,
    post_update,
    send_requests,
    signed_in,
    update_form_index,
    update_url,
)

COMPLETE_WORRIES = "Mum's low mood."  # what complete_answers says
LIVED_EXPERIENCE = "The child's lived experience"


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def problem_of(page: Page) -> list[str]:
    assert page.status_code == 200, page.status_code
    assert page.title.startswith("Error: "), page.title
    return list(page.summary_errors().values())


@pytest.fixture
def health(team):
    return send_requests(team.world)["Health visiting"]


def test_an_update_for_a_cancelled_meeting_is_refused(app, team, health):
    from coordinator.meetings import services as meetings

    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    page = Page(client.get(url))
    meetings.cancel_occurrence(health.occurrence, actor=team.lead, reason="The family moved away", notify=False)
    db.session.commit()

    for button in ("draft", "submit"):
        result = Page(post_update(client, url, complete_answers(team.world, worries="Typed anyway."), button=button,
                                  page=page))
        assert problem_of(result) == ["This meeting was cancelled: no update is needed"]
        assert result.value("worries") == "Typed anyway."
    assert count(Submission) == 0


def test_an_update_for_a_held_meeting_is_refused(app, team):
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from coordinator.submissions import services

    schedule = meetings.Schedule(MeetingType.CORE_GROUP, today() - timedelta(days=14), time(10, 0), 60,
                                 Recurrence.WEEKLY, 4, SeriesEnd.AFTER_COUNT, count=1)
    series = meetings.create_series(team.family, schedule, actor=team.lead, chair=team.lead, minute_taker=None,
                                    invitees=[team.member], notify=False, allow_past=True)
    [occurrence] = series.occurrences
    [request] = services.ensure_requests(occurrence)
    meetings.mark_held(occurrence, actor=team.lead)
    db.session.commit()

    client = signed_in(app, team.member)
    result = Page(post_update(client, update_url(team.world, request), complete_answers(team.world)))
    assert problem_of(result) == ["This meeting has taken place: updates can no longer be given for it"]
    assert count(Submission) == 0


def test_a_forged_request_id_or_another_familys_request_is_not_found(app, team, health):
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole, PlanType
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from coordinator.submissions import services

    # Another family with the same lead and health visitor, and its own request to the health visitor.
    other = families.create_family(lead=team.lead, family_name="Okafor", plan_type=PlanType.CHILD_IN_NEED,
                                   reason_for_sharing="Allocated social worker")
    families.add_to_network(other, team.member, NetworkRole.MEMBER, reason="Health visitor", actor=team.lead)
    schedule = meetings.Schedule(MeetingType.PROFESSIONALS, today() + timedelta(days=9), time(14, 0), 60,
                                 Recurrence.WEEKLY, 6, SeriesEnd.AFTER_COUNT, count=1)
    series = meetings.create_series(other, schedule, actor=team.lead, chair=team.lead, minute_taker=None,
                                    invitees=[team.member], notify=False)
    [theirs] = services.ensure_requests(series.occurrences[0])
    db.session.commit()

    client = signed_in(app, team.member)
    page = Page(client.get(update_url(team.world, health)))
    payload = form_payload(page, update_form_index(page))
    payload["submit"] = ["1"]
    ref = team.family.reference
    for request_id in (999999, theirs.id):
        url = f"/families/{ref}/updates/{request_id}"
        assert client.get(url).status_code == 404
        assert client.post(url, data=payload).status_code == 404
        assert client.get(f"{url}/hand-over").status_code == 404
    # The other family's request is fine under its own reference.
    assert client.get(f"/families/{other.reference}/updates/{theirs.id}").status_code == 200
    assert count(Submission) == 0


def test_someone_outside_the_network_gets_not_found_and_another_agency_forbidden(app, team, health):
    url = update_url(team.world, health)
    page = Page(signed_in(app, team.member).get(url))
    payload = form_payload(page, update_form_index(page))
    payload.update({"worries": ["Not mine to write."], "submit": ["1"]})

    outsider = signed_in(app, team.outsider)
    assert outsider.get(url).status_code == 404
    # With a token of their own session (from a form they may open), so that the refusal is not CSRF's.
    payload["csrf_token"] = [csrf_from(outsider.get("/families/new").get_data(as_text=True))]
    assert outsider.post(url, data=payload).status_code == 404

    school = signed_in(app, team.school)  # in the network, but the school is not the health visiting service
    assert school.get(url).status_code == 403
    school_page = Page(school.get(update_url(team.world, send_requests(team.world)["Oakfield Primary"])))
    payload["csrf_token"] = form_payload(school_page, update_form_index(school_page))["csrf_token"]
    assert school.post(url, data=payload).status_code == 403
    assert count(Submission) == 0


def test_a_double_click_on_submit_makes_one_submission(app, team, health):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    page = Page(client.get(url))
    payload = form_payload(page, update_form_index(page))
    payload.update({k: v if isinstance(v, list) else [v] for k, v in complete_answers(team.world).items()})
    payload["submit"] = ["1"]

    first = client.post(url, data=payload)
    second = Page(client.post(url, data=payload))  # the same form, the same revision
    assert first.status_code == 302
    # Shown as a save that came second; what is saved is what they sent, so nothing differs.
    assert second.conflict_title() == "Someone else saved this update while you were editing"
    assert second.conflict() == {}
    [submission] = fresh(SubmissionRequest, health.id).submissions
    assert submission.version == 1
    assert count(SubmissionVersion) == 1


def test_a_tampered_revision_is_treated_as_a_change_not_a_crash(app, team, health):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    assert post_update(client, url, complete_answers(team.world)).status_code == 302
    page = Page(client.get(url))
    payload = form_payload(page, update_form_index(page))
    payload.update({"revision": ["not-a-number"], "worries": ["Changed."], "submit": ["1"]})
    result = Page(client.post(url, data=payload))
    assert result.conflict() == {"What are you worried about?": (COMPLETE_WORRIES, "Changed.")}
    assert fresh(SubmissionRequest, health.id).submissions[0].version == 1


@pytest.mark.parametrize("scale", ["11", "-1"])
def test_a_safety_scale_outside_0_to_10_is_an_error(app, team, health, scale):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    field = f"child-{team.child.id}-scale"
    for button in ("submit", "draft"):
        page = Page(post_update(client, url, complete_answers(team.world, scale=scale, worries="Kept."), button=button))
        assert_form_error(page, "The safety scale must be a whole number from 0 to 10", field)
        assert page.value(field) == scale and page.value("worries") == "Kept."
    assert count(Submission) == 0


def test_the_edges_of_the_safety_scale_are_accepted(app, team, health):
    client = signed_in(app, team.member)
    assert post_update(client, update_url(team.world, health), complete_answers(team.world, scale="0")).status_code == 302
    assert post_update(client, update_url(team.world, health), complete_answers(team.world, scale="10")).status_code == 302
    submission = fresh(SubmissionRequest, health.id).submissions[0]
    assert submission.version == 2 and submission.fields[f"child-{team.child.id}-scale"] == 10


def test_a_last_seen_date_in_the_future_is_an_error(app, team, health):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    field = f"child-{team.child.id}-last_seen"
    tomorrow = today() + timedelta(days=1)
    for button in ("submit", "draft"):
        page = Page(post_update(client, url, complete_answers(team.world, last_seen=tomorrow), button=button))
        assert_form_error(page, "When you last saw Ruby Harrow cannot be in the future", field)
        assert [n.attrs.get("value") for n in page.find_all("input", name=field)] == day_fields(tomorrow)
    assert count(Submission) == 0
    # Today is fine.
    assert post_update(client, url, complete_answers(team.world, last_seen=today())).status_code == 302


def test_a_new_person_needs_a_name_or_a_description_even_in_a_draft(app, team, health):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    for button in ("draft", "submit"):
        page = Page(post_update(client, url, {"new-1-sex": "MALE", "new-1-presence": "VISITS", "worries": "Kept."},
                                button=button))
        assert_form_error(page, "Enter the new person's name, or describe them if the name is not known",
                          "new-1-description")
        assert page.value("new-1-sex") == "MALE" and page.value("worries") == "Kept."
    assert count(Submission) == 0 and count(HouseholdProposal) == 0
    # Spaces are not a description.
    page = Page(post_update(client, url, {"new-1-description": "   ", "new-1-sex": "MALE"}, button="draft"))
    assert_form_error(page, "Enter the new person's name, or describe them if the name is not known",
                      "new-1-description")
    assert count(Submission) == 0


def test_two_tabs_amending_the_same_update_lose_nothing(app, team, health):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    assert post_update(client, url, complete_answers(team.world, worries="Version one.")).status_code == 302

    tab_one, tab_two = Page(client.get(url)), Page(client.get(url))
    assert post_update(client, url, {"worries": "From the first tab."}, page=tab_one).status_code == 302
    result = Page(post_update(client, url, {"worries": "From the second tab.", "lived_experience": "Smiles at mum."},
                              page=tab_two))
    assert result.title.startswith("Error: ")
    shown = result.conflict()
    assert shown["What are you worried about?"] == ("From the first tab.", "From the second tab.")
    assert shown[LIVED_EXPERIENCE][1] == "Smiles at mum."
    # The second tab's text is shown again; the first tab's amendment stands.
    assert result.value("worries") == "From the second tab."
    assert result.value("lived_experience") == "Smiles at mum."
    submission = fresh(SubmissionRequest, health.id).submissions[0]
    assert submission.version == 2 and submission.fields["worries"] == "From the first tab."

    # Having been told, they save again from the page they were shown: now it is kept.
    assert post_update(client, url, {}, page=result).status_code == 302
    submission = fresh(SubmissionRequest, health.id).submissions[0]
    assert submission.version == 3
    assert submission.fields["worries"] == "From the second tab."
    assert submission.fields["lived_experience"] == "Smiles at mum."
    versions = sorted(submission.versions, key=lambda v: v.version)
    assert [json.loads(v.data)["worries"] for v in versions] == ["Version one.", "From the first tab.",
                                                                  "From the second tab."]
