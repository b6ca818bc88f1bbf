"""Handing an update request to a colleague in the same agency, through the hand-over page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.families.models import NetworkMembership, NetworkRole
from coordinator.submissions.models import SubmissionRequest, SubmissionStatus
from tests.conftest import csrf_from
from tests.families.helpers import Page, assert_form_error
from tests.submissions.conftest import (
    complete_answers,
    delivered,
    fresh,
    html_body,
    plain_body,
    post_update,
    send_requests,
    signed_in,
    step_url,
    update_url,
)


@pytest.fixture
def colleague(team, make_user):
    """Another health visitor, whom the lead professional has added to the family's network."""
    from coordinator.families import services as families

    hal = make_user("hv2@nhs.test", "Hal Visitor", agency_name="Health visiting")
    families.add_to_network(team.family, hal, NetworkRole.MEMBER, reason="Covers the health visitor's leave",
                            actor=team.lead)
    db.session.commit()
    return hal


def hand_over_url(world, request) -> str:
    return f"{update_url(world, request)}/hand-over"


def post_hand_over(client, url, colleague_id):
    page = Page(client.get(url))
    assert page.status_code == 200
    # The page's form, with its button.
    form = page.find("form", method="post")
    assert form.find("button") is not None or form.find("input", type="submit") is not None, "no button to press"
    return client.post(url, data={"csrf_token": csrf_from(page.html), "colleague_id": str(colleague_id)})


def test_the_colleague_is_emailed_and_can_write_the_update(app, team, colleague, smtp_server):
    app.config.update(smtp_server.config())
    request = send_requests(team.world)["Health visiting"]
    delivered(smtp_server)
    smtp_server.handler.messages.clear()
    client = signed_in(app, team.member)
    url = hand_over_url(team.world, request)

    page = Page(client.get(url))
    options = {o.attrs.get("value"): o.text() for o in page.find("select", name="colleague_id").find_all("option")}
    # Only colleagues of the same agency are offered.
    assert options == {"0": "Choose a colleague", str(colleague.id): "Hal Visitor (hv2@nhs.test)"}

    response = post_hand_over(client, url, colleague.id)
    assert response.status_code == 302
    occurrence = request.occurrence
    assert response.headers["Location"].endswith(f"/families/{team.family.reference}/meetings/{occurrence.id}")
    banner = Page(client.get(response.headers["Location"])).banners()
    assert any("The request is now with Hal Visitor, who has been emailed" in b for b in banner)

    request = fresh(SubmissionRequest, request.id)
    assert request.recipient_id == colleague.id and request.handed_over_by_id == team.member.id
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update_request_handed_over")).all()
    assert event.actor_id == team.member.id and event.object_id == str(request.id)
    # Handing over gives no one access: the colleague was in the network already, as the lead decided.
    memberships = db.session.scalars(select(NetworkMembership).where(NetworkMembership.family_id == team.family.id,
                                                                     NetworkMembership.user_id == colleague.id)).all()
    assert [m.role for m in memberships] == [NetworkRole.MEMBER]

    [message] = delivered(smtp_server)
    assert message["To"] == "hv2@nhs.test"
    day = request.occurrence.starts_at.astimezone(request.occurrence.series.zone)
    assert message["Subject"] == (f"You have been asked to write the update for the professionals meeting "
                                  f"(ref {team.family.reference}) on {day.day} {day:%B}")
    link = f"http://localhost{update_url(team.world, request)}"
    text = plain_body(message)
    assert re.findall(r"https?://\S+", text) == [link]
    for secret in ("Harrow", "Ruby", "Kelly", "Hana", "Hal Visitor"):
        assert secret not in text and secret not in html_body(message) and secret not in message["Subject"]

    # The colleague opens the link and writes the update.
    other = signed_in(app, colleague)
    assert other.get(update_url(team.world, request)).status_code == 200
    page = Page(other.get(step_url(update_url(team.world, request), "household")))
    assert page.status_code == 200
    assert "Kelly Harrow (lives in the home)" in page.text
    response = post_update(other, update_url(team.world, request), complete_answers(team.world))
    assert response.status_code == 302
    request = fresh(SubmissionRequest, request.id)
    [submission] = request.submissions
    assert submission.status is SubmissionStatus.SUBMITTED and submission.author_id == colleague.id


def test_a_colleague_from_another_agency_is_refused(app, team, colleague, smtp_server):
    app.config.update(smtp_server.config())
    request = send_requests(team.world)["Health visiting"]
    delivered(smtp_server)
    before = len(smtp_server.messages)
    client = signed_in(app, team.member)
    url = hand_over_url(team.world, request)

    # The school's safeguarding lead is in the network, but not in the health visitor's agency.
    page = Page(post_hand_over(client, url, team.school.id))
    assert_form_error(page, "Choose a colleague from your own agency", "colleague_id")
    # Nobody chosen at all.
    page = Page(post_hand_over(client, url, 0))
    assert_form_error(page, "Choose a colleague from your own agency", "colleague_id")

    request = fresh(SubmissionRequest, request.id)
    assert request.recipient_id == team.member.id and request.handed_over_by_id is None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "update_request_handed_over")) is None
    assert len(delivered(smtp_server)) == before
    assert signed_in(app, team.school).get(update_url(team.world, request)).status_code == 403


def test_only_someone_who_may_write_the_update_can_hand_it_over(app, team, colleague):
    request = send_requests(team.world)["Health visiting"]
    url = hand_over_url(team.world, request)
    assert signed_in(app, team.outsider).get(url).status_code == 404  # not in the network
    assert signed_in(app, team.school).get(url).status_code == 403  # in the network, another agency
    client = signed_in(app, team.school)
    html = client.get(f"/families/{team.family.reference}/meetings/{request.occurrence_id}/respond").get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_from(html), "colleague_id": str(colleague.id)})
    assert response.status_code == 403
    assert fresh(SubmissionRequest, request.id).recipient_id == team.member.id


def test_a_colleague_outside_the_network_is_not_offered_and_is_refused(app, team, make_user):
    """Writing the update shows the household: handing it to a colleague the lead professional has not
    added to the network is refused, with what to do instead, and gives them nothing."""
    outside = make_user("hv3@nhs.test", "Holly Visitor", agency_name="Health visiting")
    request = send_requests(team.world)["Health visiting"]
    client = signed_in(app, team.member)
    url = hand_over_url(team.world, request)
    page = Page(client.get(url))
    offered = {o.attrs.get("value") for o in page.find("select", name="colleague_id").find_all("option")}
    assert str(outside.id) not in offered
    assert "ask the lead professional, Lee Lead, to add them first" in page.text

    response = client.post(url, data={"csrf_token": csrf_from(page.html), "colleague_id": str(outside.id)})
    assert_form_error(Page(response), "Choose a colleague from your own agency", "colleague_id")
    assert fresh(SubmissionRequest, request.id).recipient_id == team.member.id
    assert signed_in(app, outside).get(update_url(team.world, request)).status_code == 404
    from coordinator.submissions import services

    with pytest.raises(services.UpdateError, match="not in this family's professional network"):
        services.hand_over(fresh(SubmissionRequest, request.id), actor=team.member, colleague=outside)
