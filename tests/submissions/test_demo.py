"""The demo's agency updates: the Harrow family's next meeting, whose deadline has just passed, with every kind
of update and every kind of attention item in the chair's pack."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from coordinator.auth.services import user_by_email
from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings.models import MeetingSeries, OccurrenceStatus
from coordinator.notify.models import OutboxMessage
from coordinator.submissions import pack as pack_builder
from coordinator.submissions import services
from coordinator.submissions.models import (
    HouseholdProposal,
    ProposalState,
    RequestState,
    SubmissionRequest,
    SubmissionStatus,
    SubmissionVersion,
)
from coordinator.timeutil import utcnow
from tests.families.helpers import Page
from tests.submissions.conftest import signed_in

DEMO_PASSWORD = "demo password for tests only"
EVERY_KIND = {"reported_vs_observed", "new_person", "men", "not_seen_alone", "known_concerns", "was_not_brought",
              "scale_spread", "scale_change", "overdue_action", "missing"}


@pytest.fixture
def harrow(app):
    from coordinator.demo import load_demo

    load_demo(DEMO_PASSWORD)
    db.session.commit()
    family = db.session.scalar(select(Family).where(Family.family_name == "Harrow"))
    series = db.session.scalar(select(MeetingSeries).where(MeetingSeries.family_id == family.id))
    now = utcnow()
    upcoming = sorted((o for o in series.occurrences if o.starts_at > now and o.status is not OccurrenceStatus.CANCELLED),
                      key=lambda o: o.starts_at)
    return family, upcoming[0]


def test_the_next_meeting_has_its_requests_out_and_its_updates_in_every_state(app, harrow):
    family, meeting = harrow
    health, school, lead = (user_by_email(e) for e in ("health@demo.invalid", "school@demo.invalid",
                                                       "lead@demo.invalid"))
    requests = {r.agency.name: r for r in db.session.scalars(
        select(SubmissionRequest).where(SubmissionRequest.occurrence_id == meeting.id))}
    assert set(requests) == {"Demo NHS Trust Health Visiting", "Demo Primary School",
                             "Demo Council Children's Services"}
    assert all(services.is_past_deadline(r) for r in requests.values())  # the deadline has just passed
    for request in requests.values():
        assert request.sent_at is not None and request.state is not RequestState.WAITING
        assert db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.idempotency_key == f"update-request:{request.id}")) is not None

    # Health: submitted on time, then amended (version 2) to add a man nobody knows.
    [update] = requests["Demo NHS Trust Health Visiting"].submissions
    assert update.status is SubmissionStatus.SUBMITTED and update.version == 2 and not update.late
    assert update.author_id == health.id
    versions = db.session.scalars(select(SubmissionVersion).where(SubmissionVersion.submission_id == update.id)
                                  .order_by(SubmissionVersion.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert "new-1-description" not in json.loads(versions[0].data)
    assert json.loads(versions[1].data)["new-1-description"] == "Man in his 20s with a dog, answered the door"
    [proposal] = db.session.scalars(select(HouseholdProposal).where(HouseholdProposal.family_id == family.id)).all()
    assert proposal.state is ProposalState.PENDING and proposal.submission_id == update.id

    # School: late, with a section not for the family.
    [update] = requests["Demo Primary School"].submissions
    assert update.status is SubmissionStatus.SUBMITTED and update.late and update.author_id == school.id
    assert update.marked_not_for_family == ["worries"] and update.fields["withheld_reason"]
    assert update.not_for_family == ["worries", "domestic_abuse"]  # the enquiry is kept from the family by default

    # Children's social care (the lead professional asked): nothing yet.
    request = requests["Demo Council Children's Services"]
    assert request.recipient_id == lead.id and request.submissions == []
    assert request.state is RequestState.OPEN


def test_the_chairs_pack_shows_every_kind_of_attention_item(app, harrow):
    family, meeting = harrow
    pack = pack_builder.build_pack(meeting)
    assert {item.kind for item in pack.attention} == EVERY_KIND

    chair = signed_in(app, user_by_email("chair@demo.invalid"))
    page = Page(chair.get(f"/families/{family.reference}/meetings/{meeting.id}/pack"))
    assert page.status_code == 200
    shown = [li.text() for li in page.find("ul", cls="app-attention").find_all("li")]
    assert shown == [item.text for item in pack.attention]
    # On top, what the family says against what agencies saw.
    assert shown[0].startswith("Reported and observed disagree: the parent told Demo NHS "
                               "Trust Health Visiting the children went to every appointment, but Demo NHS Trust "
                               "Health Visiting recorded Ruby Harrow was not brought to 2 appointments (Health visitor check on ")
    assert any("the children went to every appointment" in item for item in shown[:3])
    assert any("nobody else lives in or visits the home, but Demo NHS Trust Health Visiting saw Unknown man" in item
               for item in shown[:3])
    assert any("working with every agency, but Demo NHS Trust Health Visiting had 1 home visit with no answer" in item
               for item in shown[:3])
    assert any(item.startswith("New to the household, reported by Demo NHS Trust Health Visiting: Unknown man: "
                               "Man in his 20s with a dog") for item in shown)
    assert "No update from Demo Council Children's Services" in shown
    assert any(item.startswith("Agencies disagree about how safe Jack Harrow is") for item in shown)
    assert ("Dean Carter: known concerns on the family record: violence or offending, mental health, domestic "
            "abuse: perpetrator") in shown
    assert "Ruby Harrow was not brought to 3 appointments over 2 meetings (Demo NHS Trust Health Visiting)" in shown
    assert any(item.startswith("Action overdue since ") and item.endswith(
        "Social worker to meet Dean Carter (owned by Lee Lead, Demo Council Children's "
        "Services)") for item in shown), shown

    sent = page.section("Who has sent an update").find("ul").text()
    assert "(amended, version 2)" in sent and "(late)" in sent and "Not for the family" in sent
    assert "Demo Council Children's Services: no update" in sent


def pack_page(app, harrow) -> Page:
    family, meeting = harrow
    page = Page(signed_in(app, user_by_email("chair@demo.invalid")).get(
        f"/families/{family.reference}/meetings/{meeting.id}/pack"))
    assert page.status_code == 200
    return page


def card_node(page: Page, title: str):
    [found] = [c for c in page.find_all("div", cls="govuk-summary-card")
               if c.find("h3", cls="govuk-summary-card__title").text() == title]
    return found


def card(page: Page, title: str) -> str:
    return card_node(page, title).text()


def test_the_pack_shows_the_actions_the_last_decisions_and_each_childs_goals(app, harrow):
    page = pack_page(app, harrow)
    actions = {row[0]: row[1:] for row in page.table_rows(page.section("Open actions"))}
    overdue = actions["Social worker to meet Dean Carter Overdue"]
    assert overdue[0] == "Lee Lead, Demo Council Children's Services"
    assert actions["Refer Kelly to the perinatal mental health team"][0] == "Lee Lead, Demo Council Children's Services"
    # Actions done, not possible or not done are not open.
    assert not any(a.startswith("Health visitor to see Ruby every week") for a in actions)

    decisions = page.section("Decisions at the last meeting").text()
    assert "Meeting 4: the core group continues every four weeks. Reason: the risks are not reduced." in decisions

    goals = page.section("Goals, their scores and trend").text()
    assert ("Ruby is cared for every day by adults who meet her needs and keep her safe: No change: 5 at the last "
            "two meetings (scores: 3, 4, 5, 5)") in goals
    assert "Jack gets to school on time, fed and rested: Up from 6 to 7 (scores: 4, 4, 6, 7)" in goals
    headings = [h.text() for h in page.find_all("h3")]
    assert headings.index("Ruby Harrow") < headings.index("Jack Harrow")  # each child's own goals, under the child


def test_the_pack_shows_each_adults_concerns_beside_the_domestic_abuse_enquiries(app, harrow):
    page = pack_page(app, harrow)
    dean = card(page, "Dean Carter")
    assert "Known concerns on the family record Violence or offending, Mental health, Domestic abuse: perpetrator" in dean
    assert "Demo NHS Trust Health Visiting Not asked" in dean and "Demo Primary School Not asked" in dean
    kelly = card(page, "Kelly Harrow")
    assert "Known concerns on the family record Mental health" in kelly
    assert (re.search(r"Demo NHS Trust Health Visiting Asked \w+day \d+ \w+ \d{4}", kelly)
            and "on their own. Kelly said nobody hurts or "
            "frightens her; she looked at the door as she answered. MARAC: not needed" in kelly)
    # Kept from the family unless the agency chose to share it.
    family, meeting = harrow
    for update in pack_builder.build_pack(meeting).submissions:
        assert "domestic_abuse" in update.not_for_family


def test_the_pack_shows_each_child_and_every_appointment_ruby_was_not_brought_to(app, harrow):
    page = pack_page(app, harrow)
    ruby = card(page, "Ruby Harrow (a baby)")
    # A baby: seen awake, where she sleeps, held -- not "seen alone".
    assert ("awake: yes; sleeps: Moses basket in her mum's bedroom; held or seen undressed: yes" in ruby
            and "seen alone" not in ruby)
    assert "lived experience Ruby smiles at her mum; nappy rash at the last two visits." in ruby
    assert "appointments 3 offered, 1 attended, 2 not brought." in ruby
    assert "Health visitor check: was not brought" in ruby and "GP, baby's immunisations: attended" in ruby
    assert "Demo Primary School" not in ruby  # the school wrote nothing about Ruby

    family, meeting = harrow
    [ruby_view, jack_view] = pack_builder.build_pack(meeting).children
    timeline = [(n.kind, n.agency, n.meeting_day) for n in ruby_view.not_brought]
    this_meeting = meeting.day
    assert [kind for kind, _, _ in timeline] == ["Health visitor clinic (weighing)", "Health visitor check",
                                                 "Health visitor clinic (weighing)"]
    assert {agency for _, agency, _ in timeline} == {"Demo NHS Trust Health Visiting"}
    assert [day == this_meeting for _, _, day in timeline] == [False, True, True]  # across meetings
    assert [n.day for n in ruby_view.not_brought] == sorted(n.day for n in ruby_view.not_brought)
    rows = page.table_rows(card_node(page, "Ruby Harrow (a baby)"))
    assert [row[1] for row in rows] == ["Health visitor clinic (weighing)", "Health visitor check",
                                        "Health visitor clinic (weighing)"]
    assert all(row[2] == "Demo NHS Trust Health Visiting" for row in rows)

    jack = card(page, "Jack Harrow")
    assert "seen alone: no" in jack and "awake" not in jack
    assert "Demo Primary School: lived experience Jack is quiet on Mondays and eats everything at lunch." in jack
    assert "School nurse review: attended" in jack
    assert jack_view.not_brought == [] and "None recorded." in jack
