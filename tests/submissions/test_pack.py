"""The chair's pre-meeting pack: who may open it, what it puts on top, and its record of every view."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.submissions.models import Submission
from coordinator.timeutil import long_date, today
from tests.families.helpers import Page
from tests.submissions.conftest import (
    after_deadline,
    complete_answers,
    day_fields,
    first_meeting,
    post_update,
    press,
    send_requests,
    signed_in,
    update_url,
)


@dataclass
class PackWorld:
    team: object
    chair: object
    previous: object  # the last meeting, held three weeks ago
    meeting: object  # the next one (the world's first, in a week)
    requests: dict  # agency name -> request for the next meeting

    def __getattr__(self, name):
        return getattr(self.team, name)

    @property
    def pack_url(self) -> str:
        return f"/families/{self.family.reference}/meetings/{self.meeting.id}/pack"


@pytest.fixture
def pack_world(team, make_user):
    """The team, chaired by a team manager (the lead professional now writes children's social care's update),
    its people known since before the last meeting, and the last meeting held three weeks ago."""
    from coordinator.families import services as families
    from coordinator.families.models import HouseholdMember, NetworkRole
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

    chair = make_user("chair@council.test", "Chris Chair")
    families.add_to_network(team.family, chair, NetworkRole.CHAIR, reason="Chairs the meetings", actor=team.lead)
    for series in (team.series,):
        series.chair = chair
        meetings.set_invitees(series, [team.lead, team.member, team.school, team.police, chair], actor=team.lead)
    for member in db.session.scalars(select(HouseholdMember).where(HouseholdMember.family_id == team.family.id)):
        member.first_recorded_on = today() - timedelta(days=200)
    schedule = meetings.Schedule(MeetingType.PROFESSIONALS, today() - timedelta(days=21), time(10, 0), 90,
                                 Recurrence.WEEKLY, 6, SeriesEnd.AFTER_COUNT, count=1)
    earlier = meetings.create_series(team.family, schedule, actor=team.lead, chair=chair, minute_taker=None,
                                     invitees=[team.member, team.school, team.police], notify=False, allow_past=True)
    [previous] = earlier.occurrences
    meetings.mark_held(previous, actor=team.lead)
    db.session.commit()
    requests = send_requests(team.world)
    return PackWorld(team, chair, previous, first_meeting(team.world), requests)


def earlier_update(pack_world, user, scales: dict):
    """An update given (through the service, as it was then) for the last meeting, with these safety scales
    {child id: scale}."""
    from coordinator.submissions import services

    [request] = [r for r in services.ensure_requests(pack_world.previous) if r.agency_id == user.agency_id]
    data = {"worries": "Earlier worries.", "share_with_family": "yes", "da_asked": "no"}
    data.update({f"child-{child_id}-scale": scale for child_id, scale in scales.items()})
    services.save(request, user, data, submit=True, expected_revision=None,
                  now=services.end_of(request.deadline) - timedelta(hours=14))
    db.session.commit()


def give_update(app, pack_world, user, answers: dict):
    request = pack_world.requests[user.agency.name]
    response = post_update(signed_in(app, user), update_url(pack_world.world, request), answers)
    assert response.status_code == 302, Page(response).summary_errors()


def send_apologies(app, pack_world, user, reason: str):
    from tests.families.helpers import post_form

    url = f"/families/{pack_world.family.reference}/meetings/{pack_world.meeting.id}/respond"
    response = post_form(signed_in(app, user), url, {"response": "APOLOGIES", "reason": reason})
    assert response.status_code == 302


def sent_list(page: Page) -> str:
    return page.section("Who has sent an update").find("ul").text()


def not_brought(child, slot: int, day, kind: str) -> dict:
    """One appointment the child was not brought to, as the update's appointments step records it."""
    return {f"child-{child.id}-appt-{slot}-date": day_fields(day), f"child-{child.id}-appt-{slot}-kind": kind,
            f"child-{child.id}-appt-{slot}-outcome": "was_not_brought"}


def attention(page: Page) -> list[str]:
    items = page.find("ul", cls="app-attention")
    return [li.text() for li in items.find_all("li")] if items else []


def test_the_pack_puts_on_top_everything_that_needs_attention(app, pack_world):
    from coordinator.families import services as families
    from coordinator.families.models import Sex

    w = pack_world
    jack = families.add_child(w.family, actor=w.lead, name="Jack Harrow", date_of_birth=today() - timedelta(days=7 * 365),
                              sex=Sex.MALE)
    db.session.commit()
    ruby = w.child
    earlier_update(w, w.member, {ruby.id: 6, jack.id: 3})
    earlier_update(w, w.school, {ruby.id: 5, jack.id: 7})
    last_meeting = w.previous.starts_at.astimezone(w.previous.series.zone).date()

    give_update(app, w, w.member, complete_answers(w.world, scale="2", last_seen=today() - timedelta(days=2), **{
        f"household-{w.father.id}": "TOLD_OF",
        f"child-{jack.id}-seen_alone": "no", f"child-{jack.id}-scale": "4",
        f"child-{jack.id}-last_seen": day_fields(today() - timedelta(days=2)),
        **not_brought(ruby, 1, today() - timedelta(days=5), "Health visitor check"), "worries": "Health's worries.",
        "new-1-description": "Man in his 20s with a dog", "new-1-sex": "MALE", "new-1-presence": "VISITS",
        "new-1-source": "SEEN"}))
    give_update(app, w, w.school, complete_answers(w.world, scale="6", seen_alone="no", **{
        f"household-{w.father.id}": "NOT_SEEN",
        # Jack was seen alone, but before the last meeting.
        f"child-{jack.id}-seen_alone": "yes", f"child-{jack.id}-scale": "7",
        f"child-{jack.id}-last_seen": day_fields(last_meeting - timedelta(days=3)),
        **not_brought(jack, 1, today() - timedelta(days=4), "Parents' evening"), "worries": "Jack is hungry on Mondays.",
        "share_with_family": "partly", "not_for_family": ["worries"],
        "withheld_reason": "Jack's disclosure to his teacher."}))
    send_apologies(app, w, w.police, "On a course")

    page = Page(signed_in(app, w.chair).get(w.pack_url))
    assert page.status_code == 200
    on_top = attention(page)
    when = long_date(last_meeting)
    assert on_top == [
        "New to the household, reported by Health visiting: Unknown man: Man in his 20s with a dog (waiting for "
        "the lead professional to add them)",
        "Dean Carter: never seen by any agency",
        "Jack Harrow: father not recorded (not known)",
        f"Jack Harrow has not been seen alone since the last meeting on {when}",
        "No agency asked about domestic abuse",
        "Children were not brought to 2 appointments (Health visiting 1, Oakfield Primary 1)",
        "Agencies disagree about how safe Ruby Harrow is: Health visiting 2, Oakfield Primary 6",
        "Health visiting's safety scale for Ruby Harrow is down from 6 to 2",
        "Oakfield Primary's safety scale for Ruby Harrow is up from 5 to 6",
        # Jack: 4 and 7 are three apart, under the threshold of four; the school's 7 has not moved.
        "Health visiting's safety scale for Jack Harrow is up from 3 to 4",
        "No update from Test Children's Services",
        "No update from Police (sent apologies: On a course)",
    ]

    # The new person, with no button for the chair (adding him is the lead professional's decision).
    card = page.section("People reported as new to the household").text()
    assert "Unknown: Man in his 20s with a dog" in card and "Reported by Health visiting: visits, seen" in card
    assert "Add to the household" not in card
    assert "Add to the household" in Page(signed_in(app, w.lead).get(w.pack_url)).text

    sent = sent_list(page)
    assert "Health visiting: Hana Visitor" in sent and "Oakfield Primary: Sam School" in sent
    assert "Not for the family" in sent and sent.count("Not for the family") == 1
    assert "Test Children's Services: no update" in sent
    assert "Police: no update (sending apologies: On a course)" in sent

    table = {row[0]: row[1:] for row in page.table_rows(page.find("div", cls="app-table-wrapper"))}
    assert table["Ruby Harrow: safety scale (last meeting)"] == ["2 (6)", "6 (5)"]
    assert table["Jack Harrow: safety scale (last meeting)"] == ["4 (3)", "7 (7)"]
    assert table["Worried about"] == ["Health's worries.", "Not for the family Jack is hungry on Mondays."]
    assert "Oakfield Primary: not for the family: Worries, what is working well, what needs to happen. Reason: " \
           "Jack's disclosure to his teacher." in page.text

    # The lead adds the man to the household from the pack: now he is on the record, new since the last
    # meeting and with no name, but seen (by the health visitor who met him).
    from coordinator.submissions.models import HouseholdProposal

    [proposal] = db.session.scalars(select(HouseholdProposal)).all()
    response = press(signed_in(app, w.lead), w.pack_url,
                     f"/families/{w.family.reference}/proposals/{proposal.id}/accept")
    assert response.status_code == 302 and response.headers["Location"].endswith(w.pack_url)
    on_top = attention(Page(signed_in(app, w.chair).get(w.pack_url)))
    man = "Unknown man 1"  # on the household record: numbered, the description apart
    assert f"{man}: new since the last meeting" in on_top
    assert f"{man}: name not known" in on_top
    assert f"{man}: never seen by any agency" not in on_top
    assert not any(item.startswith("New to the household, reported by") for item in on_top)


def test_nothing_is_flagged_when_nothing_needs_attention(app, pack_world):
    w = pack_world
    earlier_update(w, w.member, {w.child.id: 5})
    earlier_update(w, w.school, {w.child.id: 7})
    recent = today() - timedelta(days=2)
    kelly = next(m for m in w.family.members if m.name == "Kelly Harrow")
    give_update(app, w, w.member, complete_answers(w.world, scale="5", last_seen=recent, **{
        f"household-{w.father.id}": "SEEN", f"man-{w.father.id}-seen": "yes",
        f"da-{kelly.id}-asked": "yes", f"da-{kelly.id}-date": day_fields(recent), f"da-{kelly.id}-private": "yes",
        **not_brought(w.child, 1, recent, "Health visitor check")}))
    give_update(app, w, w.school, complete_answers(w.world, scale="7", seen_alone="no"))
    give_update(app, w, w.police, complete_answers(w.world, scale="6", seen_alone="no"))
    give_update(app, w, w.lead, complete_answers(w.world, scale="5", seen_alone="no"))

    page = Page(signed_in(app, w.chair).get(w.pack_url))
    assert attention(page) == []
    assert "Nothing flagged." in page.section("What needs attention").text()
    assert "no update" not in sent_list(page)


def test_who_may_open_the_pack(app, pack_world, monkeypatch):
    w = pack_world
    give_update(app, w, w.school, complete_answers(w.world))

    assert signed_in(app, w.chair).get(w.pack_url).status_code == 200
    assert signed_in(app, w.lead).get(w.pack_url).status_code == 200
    # Before the deadline, for the chair and the lead professional only.
    assert signed_in(app, w.member).get(w.pack_url).status_code == 403
    assert signed_in(app, w.school).get(w.pack_url).status_code == 403
    assert signed_in(app, w.outsider).get(w.pack_url).status_code == 404
    updates = Page(signed_in(app, w.member).get(f"/families/{w.family.reference}/meetings/{w.meeting.id}/updates"))
    assert updates.link("Open the pre-meeting pack") is None

    after_deadline(monkeypatch, w.requests["Oakfield Primary"])
    # After the deadline, for everyone who sent an update as well.
    page = Page(signed_in(app, w.school).get(w.pack_url))
    assert page.status_code == 200 and "No update from Health visiting" in page.text
    updates = Page(signed_in(app, w.school).get(f"/families/{w.family.reference}/meetings/{w.meeting.id}/updates"))
    assert updates.link("Open the pre-meeting pack") == w.pack_url
    assert signed_in(app, w.member).get(w.pack_url).status_code == 403  # sent nothing
    assert signed_in(app, w.outsider).get(w.pack_url).status_code == 404


def test_an_update_not_for_the_family_is_marked_on_its_page(app, pack_world):
    w = pack_world
    give_update(app, w, w.school, complete_answers(w.world, **{
        "share_with_family": "partly", "not_for_family": ["engagement", "worries"],
        "withheld_reason": "A disclosure by the child."}))
    [submission] = db.session.scalars(select(Submission)).all()
    url = f"{update_url(w.world, w.requests['Oakfield Primary'])}/submitted/{submission.id}"

    page = Page(signed_in(app, w.chair).get(url))
    assert page.status_code == 200
    assert ("Not for the family: Engagement, Worries, what is working well, what needs to happen. Reason: A "
            "disclosure by the child.") in page.text
    headings = {h.text() for h in page.find_all("h2")}
    assert "Worries, what is working well, what needs to happen Not for the family" in headings
    assert "Engagement Not for the family" in headings
    assert "Appointments" in headings  # the rest may be shared

    # The whole update withheld.
    give_update(app, w, w.member, complete_answers(w.world, share_with_family="no", withheld_reason="Police advice."))
    [health] = db.session.scalars(select(Submission).where(Submission.agency_id == w.member.agency_id)).all()
    page = Page(signed_in(app, w.chair).get(f"{update_url(w.world, w.requests['Health visiting'])}/submitted/{health.id}"))
    assert "Not for the family: the whole update. Reason: Police advice." in page.text
    sent = sent_list(Page(signed_in(app, w.chair).get(w.pack_url)))
    assert sent.count("Not for the family") == 2


def test_every_view_of_an_update_is_audited(app, pack_world):
    w = pack_world
    give_update(app, w, w.member, complete_answers(w.world))
    give_update(app, w, w.school, complete_answers(w.world))
    submissions = {s.agency_id: s for s in db.session.scalars(select(Submission))}
    health = submissions[w.member.agency_id]

    def views(**where):
        db.session.expire_all()
        query = select(AuditEvent).where(AuditEvent.action == "update_viewed")
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return db.session.scalars(query.order_by(AuditEvent.id)).all()

    before = len(views())
    signed_in(app, w.chair).get(w.pack_url)
    in_pack = views(actor_id=w.chair.id)
    assert sorted(e.object_id for e in in_pack) == sorted(str(s.id) for s in submissions.values())
    assert {e.detail for e in in_pack} == {"in the pre-meeting pack"}
    assert {e.family_id for e in in_pack} == {w.family.id}

    signed_in(app, w.lead).get(f"{update_url(w.world, w.requests['Health visiting'])}/submitted/{health.id}")
    [on_its_page] = views(actor_id=w.lead.id)
    assert on_its_page.object_id == str(health.id) and on_its_page.object_type == "submission"

    # The writer opening it again in the form is a view too.
    signed_in(app, w.member).get(update_url(w.world, w.requests["Health visiting"]))
    in_form = [e for e in views(actor_id=w.member.id) if e.detail == "in the update form"][-1]
    assert in_form.object_id == str(health.id)
    assert len(views()) == before + 4
    # A refused look is not a view.
    signed_in(app, w.outsider).get(f"{update_url(w.world, w.requests['Health visiting'])}/submitted/{health.id}")
    assert len(views()) == before + 4


def test_a_submitted_update_is_read_under_the_packs_rule(app, pack_world, monkeypatch):
    """Another agency's update, its "not for the family" parts included, is no more open than the pack:
    before the deadline only the chair, the lead and the minute-taker (and the writer's own agency) read
    it; after it, those who sent an update too; never one who sent nothing, a guest or an outsider."""
    w = pack_world
    give_update(app, w, w.school, complete_answers(w.world, **{
        "share_with_family": "partly", "not_for_family": ["worries"], "withheld_reason": "A disclosure."}))
    [school_update] = db.session.scalars(select(Submission)).all()
    url = f"{update_url(w.world, w.requests['Oakfield Primary'])}/submitted/{school_update.id}"

    assert signed_in(app, w.school).get(url).status_code == 200  # its writer
    assert signed_in(app, w.chair).get(url).status_code == 200
    assert signed_in(app, w.lead).get(url).status_code == 200
    assert signed_in(app, w.member).get(url).status_code == 404  # before the deadline: not another agency
    give_update(app, w, w.member, complete_answers(w.world))
    assert signed_in(app, w.member).get(url).status_code == 404  # even having sent one, until the deadline
    assert signed_in(app, w.outsider).get(url).status_code == 404

    after_deadline(monkeypatch, w.requests["Oakfield Primary"])
    page = signed_in(app, w.member).get(url)
    assert page.status_code == 200 and "A disclosure." in page.get_data(as_text=True)
    assert signed_in(app, w.police).get(url).status_code == 404  # sent nothing
