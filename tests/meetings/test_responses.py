"""Invitees answer each meeting in the application: attending, apologies (with a reason), a deputy (whose
name is needed), or a report only. Answers show on the meeting page. Only invitees can answer, and a
cancelled meeting cannot be answered."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.meetings import services
from coordinator.meetings.models import InvitationResponse, Occurrence, Response
from tests.families.helpers import Page, assert_form_error
from tests.meetings.helpers import count, csrf_from, open_form, post, post_from, signed_in


def urls(world, occurrence):
    base = f"/families/{world.family.reference}/meetings/{occurrence.id}"
    return base, base + "/respond"


def answer_of(user, occurrence) -> InvitationResponse | None:
    db.session.expire_all()
    return db.session.scalar(select(InvitationResponse).where(InvitationResponse.user_id == user.id,
                                                              InvitationResponse.occurrence_id == occurrence.id))


def answers_table(page: Page) -> dict[str, str]:
    return {row[0]: row[2] for row in page.table_rows(page.section("Invited and their answers"))}


@pytest.mark.parametrize("answer, extra, shown", [
    ("ATTENDING", {}, "Attending"),
    ("APOLOGIES", {"reason": "On leave that week"}, "Sending apologies (On leave that week)"),
    ("DEPUTY", {"deputy_name": "Dee Puty", "deputy_email": "dee.puty@nhs.test"}, "Sending a deputy: Dee Puty"),
    ("REPORT_ONLY", {}, "Sending a report only"),
])
def test_an_invitee_answers(app, world, answer, extra, shown):
    meeting = world.series.occurrences[0]
    page_url, respond_url = urls(world, meeting)
    hv = signed_in(app, world.member)
    assert Page(hv.get(page_url)).link("Answer this meeting")
    response = post(hv, respond_url, {"response": answer, **extra})
    assert response.status_code == 302 and response.headers["Location"].endswith(page_url)

    row = answer_of(world.member, meeting)
    assert row.response is Response[answer]
    assert row.reason == extra.get("reason") and row.deputy_name == extra.get("deputy_name")
    assert row.deputy_email == extra.get("deputy_email")
    page = Page(hv.get(page_url))
    assert f"Your answer: {Response[answer].label}" in page.text
    assert answers_table(page)["Hana Visitor"] == shown
    # the lead sees it too; and the chair, who has not answered, shows as such
    lead_view = answers_table(Page(signed_in(app, world.lead).get(page_url)))
    assert lead_view["Hana Visitor"] == shown and lead_view["Lee Lead (chair)"] == "No answer yet"


def test_a_deputy_needs_a_name(app, world):
    meeting = world.series.occurrences[0]
    _, respond_url = urls(world, meeting)
    hv = signed_in(app, world.member)
    page = Page(post(hv, respond_url, {"response": "DEPUTY", "deputy_email": "dee.puty@nhs.test"}))
    assert_form_error(page, "Enter the name of the deputy you are sending", "deputy_name")
    assert page.checked("response") == ["DEPUTY"] and page.value("deputy_email") == "dee.puty@nhs.test"
    assert count(InvitationResponse) == 0


def test_an_answer_is_needed(app, world):
    _, respond_url = urls(world, world.series.occurrences[0])
    hv = signed_in(app, world.member)
    page = Page(post(hv, respond_url, {"reason": "no choice made"}))
    assert_form_error(page, "Select your answer")
    assert page.value("reason") == "no choice made"


def test_changing_an_answer_keeps_one_answer(app, world):
    meeting = world.series.occurrences[0]
    page_url, respond_url = urls(world, meeting)
    hv = signed_in(app, world.member)
    assert post(hv, respond_url, {"response": "ATTENDING"}).status_code == 302
    form = open_form(hv, respond_url)
    assert form.checked("response") == ["ATTENDING"]
    assert post(hv, respond_url, {"response": "APOLOGIES", "reason": "Clash"}).status_code == 302
    assert count(InvitationResponse) == 1
    assert answer_of(world.member, meeting).response is Response.APOLOGIES
    # each meeting has its own answer
    other = world.series.occurrences[1]
    other_page = Page(hv.get(urls(world, other)[0]))
    assert "Your answer:" not in other_page.text and other_page.link("Answer this meeting")


def test_a_network_member_who_is_not_invited_cannot_answer(app, net):
    w = net.world
    meeting = w.series.occurrences[0]
    page_url, respond_url = urls(w, meeting)
    school = signed_in(app, net.school)
    page = Page(school.get(page_url))
    assert page.status_code == 200  # a network member sees the family's meetings
    assert not page.link("Answer this meeting")
    assert school.get(respond_url).status_code == 403
    token = csrf_from(open_form(school, "/calendar").html)  # the session's token, from a page with a form
    assert school.post(respond_url, data={"csrf_token": token, "response": "ATTENDING"}).status_code == 403
    assert count(InvitationResponse) == 0


def test_someone_outside_the_network_gets_not_found(app, world):
    _, respond_url = urls(world, world.series.occurrences[0])
    assert signed_in(app, world.outsider).get(respond_url).status_code == 404


def test_a_cancelled_meeting_cannot_be_answered(app, world):
    meeting = world.series.occurrences[0]
    page_url, respond_url = urls(world, meeting)
    hv = signed_in(app, world.member)
    form = open_form(hv, respond_url)  # opened before the meeting was cancelled

    occurrence = db.session.get(Occurrence, meeting.id)
    services.cancel_occurrence(occurrence, actor=world.lead, reason="Chair unwell", notify=False)
    db.session.commit()

    page = Page(post_from(hv, respond_url, form, {"response": "ATTENDING"}))
    assert_form_error(page, "This meeting was cancelled")
    assert count(InvitationResponse) == 0
    assert not Page(hv.get(page_url)).link("Answer this meeting")
