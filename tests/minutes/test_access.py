"""Who sees minutes: drafts only the chair, the minute-taker and the lead professional; published minutes
the family's network and the meeting's invitees; to anyone else they do not exist."""
from __future__ import annotations

import pytest

from coordinator.extensions import db
from tests.minutes.helpers import csrf_token, minutes_of, open_page, published


def test_drafts_are_seen_only_by_the_chair_the_minute_taker_and_the_lead(team, client_for):
    meeting = team.meetings[0]
    url = team.editor(meeting)
    for user in (team.chair, team.taker, team.lead):
        page = open_page(client_for(user), url)
        assert "Minutes:" in page.heading
    for user in (team.member, team.school):  # in the network, even invited: not the draft
        response = client_for(user).get(url)
        assert response.status_code == 403, user.email
    for user in (team.gp, team.outsider):  # a guest sees meetings, not the record; an outsider nothing
        assert client_for(user).get(url).status_code == 404, user.email
    # An administrator must state a reason first (break glass).
    response = client_for(team.admin).get(url)
    assert response.status_code == 302 and "break-glass" in response.headers["Location"]
    # Nor can a member post to the draft, whichever of its buttons they claim to press.
    member = client_for(team.member)
    token = csrf_token(member)
    for intent in ("save", "send", "publish", "add_action", "add_goal", "scores", "review", "decisions"):
        response = member.post(url, data={"csrf_token": token, "decisions": "Mine", "intent": intent})
        assert response.status_code == 403, intent
    assert "Mine" not in minutes_of(meeting).content
    # There is no published version to read yet.
    for user in (team.chair, team.member):
        assert client_for(user).get(team.version(meeting, 1)).status_code == 404
    # The list of minutes offers the draft only to those who may edit it.
    assert open_page(client_for(team.member), team.minutes_list).link("Draft") is None
    assert open_page(client_for(team.taker), team.minutes_list).link("Draft") == url


def test_published_minutes_are_read_by_the_network_and_the_invitees(team, client_for, make_user):
    from coordinator.meetings import services as meetings

    meeting = team.meetings[0]
    published(team, meeting, decisions="The plan continues.")
    # A guest invited to the family's other series only: not this meeting's invitee.
    other = make_user("ward@housing.test", "Wendy Housing", agency_name="Housing")
    meetings.set_invitees(team.world.series, [team.member, other], actor=team.lead)
    db.session.commit()

    for user in (team.lead, team.chair, team.taker, team.member, team.school, team.gp):
        for suffix in ("", "/print"):
            page = open_page(client_for(user), team.version(meeting, 1, suffix))
            assert "The plan continues." in page.text
    for user in (team.outsider, other):
        for suffix in ("", "/print", "/correction"):
            assert client_for(user).get(team.version(meeting, 1, suffix)).status_code == 404, (user.email, suffix)
        client = client_for(user)
        response = client.post(team.version(meeting, 1, "/acknowledge"), data={"csrf_token": csrf_token(client)})
        assert response.status_code == 404


@pytest.mark.parametrize("path", ["/edit", "/v1", "/decisions"])
def test_a_meeting_of_another_family_is_not_found(team, client_for, path):
    from coordinator.families import services as families
    from coordinator.families.models import PlanType

    other = families.create_family(lead=team.lead, family_name="Okafor", plan_type=PlanType.CHILD_IN_NEED,
                                   reason_for_sharing="Allocated social worker")
    db.session.commit()
    meeting = team.meetings[0]
    published(team, meeting, decisions="The plan continues.")
    url = f"/families/{other.reference}/minutes/{meeting.id}{path}"
    assert client_for(team.lead).get(url).status_code == 404


def test_an_administrator_reading_through_break_glass_neither_acknowledges_nor_asks_for_corrections(team, client_for):
    from coordinator.minutes.models import Acknowledgement, CorrectionRequest

    meeting = team.meetings[0]
    published(team, meeting, decisions="The plan continues.")
    admin = client_for(team.admin)
    reason = {"csrf_token": csrf_token(admin), "reason": "Audit of the partnership's minutes, ref IG-7"}
    assert admin.post(f"/families/{team.ref}/break-glass", data=reason).status_code == 302

    page = open_page(admin, team.version(meeting, 1))
    assert "The plan continues." in page.text  # reads them
    assert "I have read these minutes" not in page.text and "Ask for a correction" not in page.text
    token = csrf_token(admin)
    assert admin.post(team.version(meeting, 1, "/acknowledge"), data={"csrf_token": token}).status_code == 403
    assert admin.post(team.version(meeting, 1, "/correction"),
                      data={"csrf_token": token, "section": "decisions", "text": "Mine"}).status_code == 403
    assert db.session.scalars(db.select(Acknowledgement)).all() == []
    assert db.session.scalars(db.select(CorrectionRequest)).all() == []
    # Someone the minutes were sent to still sees both.
    page = open_page(client_for(team.member), team.version(meeting, 1))
    assert "I have read these minutes" in page.text and "Ask for a correction" in page.text


def test_a_guest_invited_later_reads_only_the_minutes_of_meetings_from_then_on(team, client_for, make_user):
    """A guest (invited by email, outside the network) added to the series after its first meeting is not
    sent, and cannot open or acknowledge, that meeting's minutes; those of the meetings after they were
    invited, they can. Taken off again, they read no later ones."""
    from datetime import timedelta

    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import Invitee
    from coordinator.minutes import services as minutes

    first, second, third = team.meetings
    team.series.created_at = first.starts_at - timedelta(days=14)  # set up before its meetings, as usual
    probation = make_user("po@probation.test", "Pat Probation", agency_name="Probation")
    meetings.set_invitees(team.series, [i.user for i in team.series.current_invitees] + [probation], actor=team.lead,
                          now=first.starts_at + timedelta(days=1))
    db.session.commit()
    published(team, first, decisions="First meeting's plan.")
    published(team, second, decisions="Second meeting's plan.")
    assert probation.id not in {u.id for u in minutes.distribution(first)}
    assert probation.id in {u.id for u in minutes.distribution(second)}

    guest = client_for(probation)
    assert guest.get(team.version(first, 1)).status_code == 404
    response = guest.post(team.version(first, 1, "/acknowledge"), data={"csrf_token": csrf_token(guest)})
    assert response.status_code == 404
    assert "Second meeting's plan." in open_page(guest, team.version(second, 1)).text

    invitation = db.session.scalar(db.select(Invitee).where(Invitee.user_id == probation.id))
    invitation.removed_at = second.starts_at + timedelta(days=1)
    db.session.commit()
    published(team, third, decisions="Third meeting's plan.")
    assert guest.get(team.version(third, 1)).status_code == 404
