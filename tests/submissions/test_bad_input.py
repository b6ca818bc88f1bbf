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
    check_url,
    complete_answers,
    day_fields,
    fresh,
    post_update,
    save_step,
    send_requests,
    signed_in,
    step_url,
    update_form_index,
    update_url,
)

COMPLETE_WORRIES = "Mum's low mood."  # what complete_answers says


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
    page = Page(client.get(step_url(url, "worries")))
    check = Page(client.get(check_url(url)))
    meetings.cancel_occurrence(health.occurrence, actor=team.lead, reason="The family moved away", notify=False)
    db.session.commit()

    result = Page(save_step(client, url, "worries", {"worries": "Typed anyway."}, page=page))
    assert problem_of(result) == ["This meeting was cancelled: no update is needed"]
    assert result.value("worries") == "Typed anyway."
    result = Page(client.post(check_url(url), data={**form_payload(check, update_form_index(check)), "submit": ["1"]}))
    assert problem_of(result) == ["This meeting was cancelled: no update is needed"]
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
    page = Page(client.get(step_url(update_url(team.world, health), "worries")))
    payload = form_payload(page, update_form_index(page))
    payload["submit"] = ["1"]
    ref = team.family.reference
    for request_id in (999999, theirs.id):
        url = f"/families/{ref}/updates/{request_id}"
        for path in (url, step_url(url, "worries"), check_url(url), f"{url}/hand-over"):
            assert client.get(path).status_code == 404, path
        for path in (step_url(url, "worries"), check_url(url)):
            assert client.post(path, data=payload).status_code == 404, path
    # The other family's request is fine under its own reference.
    assert client.get(f"/families/{other.reference}/updates/{theirs.id}").status_code == 200
    assert count(Submission) == 0


def test_someone_outside_the_network_gets_not_found_and_another_agency_forbidden(app, team, health):
    url = update_url(team.world, health)
    page = Page(signed_in(app, team.member).get(step_url(url, "worries")))
    payload = form_payload(page, update_form_index(page))
    payload.update({"worries": ["Not mine to write."], "continue": ["1"], "submit": ["1"]})
    pages = (url, step_url(url, "worries"), check_url(url))

    outsider = signed_in(app, team.outsider)
    assert [outsider.get(path).status_code for path in pages] == [404, 404, 404]
    # With a token of their own session (from a form they may open), so that the refusal is not CSRF's.
    payload["csrf_token"] = [csrf_from(outsider.get("/families/new").get_data(as_text=True))]
    assert [outsider.post(path, data=payload).status_code for path in pages[1:]] == [404, 404]

    school = signed_in(app, team.school)  # in the network, but the school is not the health visiting service
    assert [school.get(path).status_code for path in pages] == [403, 403, 403]
    school_url = update_url(team.world, send_requests(team.world)["Oakfield Primary"])
    school_page = Page(school.get(step_url(school_url, "worries")))
    payload["csrf_token"] = form_payload(school_page, update_form_index(school_page))["csrf_token"]
    assert [school.post(path, data=payload).status_code for path in pages[1:]] == [403, 403]
    assert count(Submission) == 0


def test_a_double_click_on_submit_makes_one_submission(app, team, health):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    post_update(client, url, complete_answers(team.world), button="draft")
    page = Page(client.get(check_url(url)))
    payload = form_payload(page, update_form_index(page))
    payload["submit"] = ["1"]

    first = client.post(check_url(url), data=payload)
    second = Page(client.post(check_url(url), data=payload))  # the same page, the same revision
    assert first.status_code == 302
    # Shown as a submission that came second, with the answers as they are saved now.
    assert problem_of(second) == [
        "This update was changed in another tab or by a colleague since you opened this page. The answers below "
        "are the ones saved now: check them, then submit again."]
    assert second.find("button", name="submit").text() == "Submit the amended update"
    [submission] = fresh(SubmissionRequest, health.id).submissions
    assert submission.version == 1
    assert count(SubmissionVersion) == 1


def test_a_tampered_revision_is_treated_as_a_change_not_a_crash(app, team, health):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    assert post_update(client, url, complete_answers(team.world)).status_code == 302
    page = Page(client.get(step_url(url, "worries")))
    payload = form_payload(page, update_form_index(page))
    payload.update({"revision": ["not-a-number"], "worries": ["Changed."], "continue": ["1"]})
    result = Page(client.post(step_url(url, "worries"), data=payload))
    assert result.conflict() == {"What are you worried about?": (COMPLETE_WORRIES, "Changed.")}
    check = Page(client.get(check_url(url)))
    payload = {**form_payload(check, update_form_index(check)), "revision": ["x"], "submit": ["1"]}
    assert problem_of(Page(client.post(check_url(url), data=payload)))[0].startswith("This update was changed")
    submission = fresh(SubmissionRequest, health.id).submissions[0]
    assert submission.version == 1 and "__amending__" not in submission.fields


@pytest.mark.parametrize("scale", ["11", "-1"])
def test_a_safety_scale_outside_0_to_10_is_an_error(app, team, health, scale):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    field = f"child-{team.child.id}-scale"
    for button in ("continue", "later"):
        page = Page(save_step(client, url, "scales", {field: scale}, button=button))
        assert_form_error(page, "The safety scale must be a whole number from 0 to 10", field)
        assert page.value(field) == scale
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
    for button in ("continue", "later"):
        page = Page(save_step(client, url, "children", {field: day_fields(tomorrow)}, button=button))
        assert_form_error(page, "When you last saw Ruby Harrow cannot be in the future", field)
        assert [n.attrs.get("value") for n in page.find_all("input", name=field)] == day_fields(tomorrow)
    assert count(Submission) == 0
    # Today is fine.
    assert post_update(client, url, complete_answers(team.world, last_seen=today())).status_code == 302


def test_a_new_person_needs_a_name_or_a_description_even_in_a_draft(app, team, health):
    client = signed_in(app, team.member)
    url = update_url(team.world, health)
    for button in ("continue", "later"):
        page = Page(save_step(client, url, "household", {"new-1-sex": "MALE", "new-1-presence": "VISITS",
                                                         "new-2-name": "Kept."}, button=button))
        assert_form_error(page, "Enter the new person's name, or describe them if the name is not known",
                          "new-1-description")
        assert page.value("new-1-sex") == "MALE" and page.value("new-2-name") == "Kept."
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

    tab_one, tab_two = Page(client.get(step_url(url, "worries"))), Page(client.get(step_url(url, "worries")))
    check_one = Page(client.get(check_url(url)))
    assert save_step(client, url, "worries", {"worries": "From the first tab."}, page=tab_one).status_code == 302
    result = Page(save_step(client, url, "worries", {"worries": "From the second tab.", "needs_to_happen": "A visit."},
                            page=tab_two))
    assert result.title.startswith("Error: ")
    shown = result.conflict()
    assert shown["What are you worried about?"] == ("From the first tab.", "From the second tab.")
    assert shown["What needs to happen?"] == ("(blank)", "A visit.")
    # The second tab's text is shown again; the first tab's changes stand, not yet submitted.
    assert result.value("worries") == "From the second tab."
    assert result.value("needs_to_happen") == "A visit."
    submission = fresh(SubmissionRequest, health.id).submissions[0]
    assert submission.version == 1 and submission.fields["__amending__"]["worries"] == "From the first tab."
    # Check your answers opened before either save cannot submit unawares.
    payload = {**form_payload(check_one, update_form_index(check_one)), "submit": ["1"]}
    assert problem_of(Page(client.post(check_url(url), data=payload)))[0].startswith("This update was changed")

    # Having been told, they save again from the page they were shown: now it is kept, and submitted.
    assert save_step(client, url, "worries", {}, page=result).status_code == 302
    assert client.post(check_url(url), data={**form_payload(Page(client.get(check_url(url))), 0),
                                              "submit": ["1"]}).status_code == 302
    submission = fresh(SubmissionRequest, health.id).submissions[0]
    assert submission.version == 2
    assert submission.fields["worries"] == "From the second tab."
    assert submission.fields["needs_to_happen"] == "A visit."
    versions = sorted(submission.versions, key=lambda v: v.version)
    assert [json.loads(v.data)["worries"] for v in versions] == ["Version one.", "From the second tab."]
