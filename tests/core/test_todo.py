"""The home page is each person's to-do list: every piece of work waiting for them, soonest first, each one
click from the work, and gone once done."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.extensions import db
from tests.families.conftest import world  # noqa: F401  (the fixture)
from tests.minutes.conftest import client_for, team  # noqa: F401  (the fixtures)
from tests.minutes.helpers import today
from tests.support.pages import Page


def todo(client) -> list[dict]:
    """The to-do list as a reader sees it: each item's link text, its link, and its hint and status text."""
    page = Page(client.get("/"))
    assert page.heading == "Your to-do list"
    items = []
    for li in page.find_all("li", cls="govuk-task-list__item"):
        link = li.find("a")
        items.append({"kind": link.text(), "url": link.attrs["href"], "text": li.text()})
    return items


def kinds(client) -> list[str]:
    return [item["kind"] for item in todo(client)]


def item(client, kind: str) -> dict:
    found = [i for i in todo(client) if i["kind"] == kind]
    assert len(found) == 1, (kind, todo(client))
    return found[0]


def opens(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)


def test_minutes_move_from_the_minute_taker_to_the_chair_to_everyone_who_acknowledges(app, team, client_for):  # noqa: F811
    from coordinator.minutes import services
    from coordinator.minutes.models import MinutesVersion

    taker, chair, member, gp = (client_for(p) for p in (team.taker, team.chair, team.member, team.gp))
    meetings = team.meetings
    # Three past meetings, no minutes yet: the minute-taker is asked to write each, the chair is not.
    write = [i for i in todo(taker) if i["kind"] == "Write the minutes"]
    assert [i["url"] for i in write] == [team.editor(m) for m in meetings]
    assert "Write the minutes" not in kinds(chair)
    assert "Harrow" in write[0]["text"] and team.ref in write[0]["text"]
    opens(taker, write[0]["url"])

    last = meetings[-1]
    minutes = services.start_minutes(last, team.taker)
    services.send_for_approval(minutes, actor=team.taker)
    db.session.commit()
    assert [i["url"] for i in todo(taker) if i["kind"] == "Write the minutes"] == [team.editor(m) for m in meetings[:2]]
    approve = item(chair, "Approve the minutes")
    assert approve["url"] == team.editor(last)
    opens(chair, approve["url"])

    services.approve(minutes, actor=team.chair)
    db.session.commit()
    assert item(chair, "Publish the minutes")["url"] == team.editor(last)
    services.publish(minutes, actor=team.chair)
    db.session.commit()
    assert "Publish the minutes" not in kinds(chair)

    # Published: each recipient, the guest invited to the meeting too, is asked to acknowledge.
    for client in (member, gp, chair):
        ack = item(client, "Read and acknowledge the minutes")
        assert ack["url"] == team.version(last, 1)
        opens(client, ack["url"])
    version = db.session.scalar(select(MinutesVersion).where(MinutesVersion.minutes_id == minutes.id))
    services.acknowledge(version, team.member)
    db.session.commit()
    assert "Read and acknowledge the minutes" not in kinds(member)
    assert "Read and acknowledge the minutes" in kinds(gp)

    # A correction asked for waits for the chair.
    services.request_correction(version, team.school, section="worries", text="The rash was at one visit, not two")
    db.session.commit()
    correction = item(chair, "Decide on a correction to the minutes")
    opens(chair, correction["url"])


def test_actions_owned_overdue_first_and_gone_when_done(app, team, client_for):  # noqa: F811
    from coordinator.minutes import actions
    from coordinator.minutes.models import ActionStatus

    last = team.meetings[-1]
    late = actions.add_action(last, actor=team.lead, description="Visit the home with the police", owner=team.member,
                              due=last.day, intended_outcome=None)  # the meeting is past: so is this
    later = actions.add_action(last, actor=team.lead, description="Refer to the perinatal team", owner=team.member,
                               due=today() + timedelta(days=20), intended_outcome=None)
    db.session.commit()
    member = client_for(team.member)
    owned = [i for i in todo(member) if i["kind"] == "Do the action you own"]
    assert [i["url"] for i in owned] == [team.action(late), team.action(later)]
    assert late.due_date < today() and "Overdue" in owned[0]["text"]
    assert "Overdue" not in owned[1]["text"]
    opens(member, owned[0]["url"])
    actions.update_action(later, actor=team.member, status=ActionStatus.DONE, comment="Referred")
    db.session.commit()
    assert [i["url"] for i in todo(member) if i["kind"] == "Do the action you own"] == [team.action(late)]
    assert "Do the action you own" not in kinds(client_for(team.school))


def test_updates_owed_answers_awaited_and_packs_for_the_coming_meeting(app, world, make_user):  # noqa: F811
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import Response
    from coordinator.submissions import services as updates
    from coordinator.submissions.models import RequestState
    from tests.support.people import signed_in

    meeting = min(world.series.occurrences, key=lambda o: o.starts_at)
    [request] = [r for r in updates.ensure_requests(meeting) if r.recipient_id == world.member.id]
    request.state = RequestState.OPEN
    db.session.commit()
    member, lead = signed_in(app, world.member), signed_in(app, world.lead)
    ref = world.family.reference

    owed = item(member, "Write your agency's update")
    assert owed["url"] == f"/families/{ref}/updates/{request.id}"
    assert f"Due {request.deadline:%A} {request.deadline.day} {request.deadline:%B %Y}" in owed["text"]
    opens(member, owed["url"])
    # The invitee is asked to answer each coming meeting; the lead, who organised it, is not.
    answer = [i for i in todo(member) if i["kind"] == "Say whether you will attend"]
    assert answer[0]["url"] == f"/families/{ref}/meetings/{meeting.id}/respond"
    opens(member, answer[0]["url"])
    assert "Say whether you will attend" not in kinds(lead)
    meetings.respond(meeting, world.member, Response.ATTENDING)
    db.session.commit()
    assert f"/families/{ref}/meetings/{meeting.id}/respond" not in [i["url"] for i in todo(member)]

    # No update in yet: no pack to read. Once the update is in, the chair (here the lead) is sent to the pack.
    assert "Read the pre-meeting pack" not in kinds(lead)
    updates.save(request, world.member, {"worries": "Nappy rash", "share_with_family": "yes"}, submit=True,
                 expected_revision=None)
    db.session.commit()
    assert "Write your agency's update" not in kinds(member)
    pack = item(lead, "Read the pre-meeting pack")
    assert pack["url"] == f"/families/{ref}/meetings/{meeting.id}/pack"
    opens(lead, pack["url"])


def test_closed_families_and_other_peoples_work_never_show(app, team, client_for):  # noqa: F811
    from coordinator.families import services as families

    outsider = client_for(team.outsider)
    assert todo(outsider) == []
    assert "Nothing is waiting for you" in Page(outsider.get("/")).text
    assert "Harrow" not in Page(outsider.get("/")).text
    assert todo(client_for(team.taker))
    families.close_family(team.family, actor=team.lead, on=today(), reason="Case closed after review")
    db.session.commit()
    assert todo(client_for(team.taker)) == []


def test_a_guest_sees_the_reference_only_and_someone_who_left_sees_nothing_of_the_family(app, team, client_for):  # noqa: F811
    from coordinator.families import services as families
    from coordinator.families.models import NetworkMembership

    # The GP is invited to the meetings (a guest of the network, not a member): published minutes to
    # acknowledge show the family's reference, not its name.
    from coordinator.minutes import actions, services

    last = team.meetings[-1]
    minutes = services.start_minutes(last, team.taker)
    services.send_for_approval(minutes, actor=team.taker)
    services.approve(minutes, actor=team.chair)
    services.publish(minutes, actor=team.chair)
    db.session.commit()
    ack = item(client_for(team.gp), "Read and acknowledge the minutes")
    assert f"Family {team.ref}" in ack["text"] and "Harrow" not in ack["text"]
    assert "Harrow" in item(client_for(team.member), "Read and acknowledge the minutes")["text"]

    # The school owns an action, then leaves the network: the action no longer shows, nor the family.
    actions.add_action(last, actor=team.lead, description="Check attendance weekly", owner=team.school,
                       due=today() + timedelta(days=5), intended_outcome=None)
    db.session.commit()
    school = client_for(team.school)
    assert "Do the action you own" in kinds(school)
    membership = db.session.scalar(select(NetworkMembership).where(NetworkMembership.user_id == team.school.id,
                                                                   NetworkMembership.family_id == team.family.id))
    families.remove_from_network(membership, actor=team.lead, reason="Moved school")
    db.session.commit()
    assert todo(school) == []
    assert "Harrow" not in Page(school.get("/")).text
