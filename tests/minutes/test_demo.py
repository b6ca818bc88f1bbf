"""The demo: the Harrow family's minutes as someone trying the service should find them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator.auth.services import user_by_email
from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings.models import MeetingSeries, OccurrenceStatus
from coordinator.minutes import outcomes as minutes_outcomes
from coordinator.minutes import services
from coordinator.minutes.models import Acknowledgement, Action, ActionStatus, CorrectionRequest, CorrectionState
from tests.minutes.helpers import open_page
from tests.support.people import signed_in

DEMO_PASSWORD = "demo password for the minutes tests"


@pytest.fixture
def harrow(app):
    from coordinator.demo import load_demo

    load_demo(DEMO_PASSWORD)
    db.session.commit()
    return db.session.scalar(select(Family).where(Family.family_name == "Harrow"))


def held_meetings(family):
    series = db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == family.id)).all()
    return sorted((o for s in series for o in s.occurrences if o.status is OccurrenceStatus.HELD),
                  key=lambda o: o.starts_at)




def test_harrow_has_three_or_more_held_meetings_with_published_minutes_one_corrected(app, harrow):
    held = held_meetings(harrow)
    assert len(held) >= 3
    numbers = []
    for meeting in held:
        minutes = services.minutes_for(meeting)
        assert minutes is not None and minutes.versions, meeting.id
        numbers.append([v.number for v in minutes.versions])
    assert [1, 2] in numbers
    corrected = held[numbers.index([1, 2])]
    assert db.session.scalar(select(CorrectionRequest.state)) is CorrectionState.ACCEPTED
    ref = harrow.reference
    client = signed_in(app, "health@demo.invalid")
    page = open_page(client, f"/families/{ref}/minutes/{corrected.id}/v1")
    assert "Superseded" in page.text
    page = open_page(client, f"/families/{ref}/minutes/{corrected.id}/v2")
    assert "What changed from version 1" in page.text


def test_harrow_has_actions_in_every_status_and_scores_that_change(app, harrow):
    statuses = {a.status for a in db.session.scalars(select(Action).where(Action.family_id == harrow.id))}
    assert statuses == set(ActionStatus)
    charts = minutes_outcomes.outcome_charts(harrow)
    assert charts["goals"]
    for line in charts["goals"]:
        assert len(line.points) >= 3 and len({score for _, score in line.points}) > 1, line.label
    assert charts["scales"]
    for child, lines in charts["scales"].items():
        assert any(len({score for _, score in line.points}) > 1 for line in lines), child
    page = open_page(signed_in(app, "lead@demo.invalid"), f"/families/{harrow.reference}")
    assert page.find("svg", role="img") is not None


def test_harrows_latest_minutes_await_the_health_visitors_acknowledgement(app, harrow):
    latest = held_meetings(harrow)[-1]
    version = services.minutes_for(latest).latest_version
    health = user_by_email("health@demo.invalid")
    acknowledged = {a.user_id for a in db.session.scalars(select(Acknowledgement)
                                                          .where(Acknowledgement.version_id == version.id))}
    assert health.id in {u.id for u in services.distribution(latest)}
    assert health.id not in acknowledged
    assert acknowledged  # the others have

    url = f"/families/{harrow.reference}/minutes/{latest.id}/v{version.number}"
    page = open_page(signed_in(app, "health@demo.invalid"), url)
    assert page.find("form", action=url + "/acknowledge") is not None
    page = open_page(signed_in(app, "chair@demo.invalid"), url)
    assert f"{health.name}: not yet" in page.section("Who has acknowledged").text()


def test_harrows_action_to_meet_dean_carter_stays_owned_carried_forward_and_overdue(app, harrow):
    from coordinator.minutes import actions as minutes_actions

    dean = db.session.scalar(select(Action).where(Action.family_id == harrow.id,
                                                  Action.description == "Social worker to meet Dean Carter"))
    lead = user_by_email("lead@demo.invalid")
    assert dean.status is ActionStatus.OPEN and dean.owner_id == lead.id
    assert dean in minutes_actions.overdue_actions(harrow)
    client = signed_in(app, "lead@demo.invalid")
    page = open_page(client, f"/families/{harrow.reference}/actions/{dean.id}")
    assert "Carried forward from" in page.section("Carried forward").text()
    assert "not done because Two visits, no answer" in page.text
    assert "Social worker to meet Dean Carter" in open_page(client, "/").text  # the lead's to-do list
    family = open_page(client, f"/families/{harrow.reference}").section("Actions and minutes").text()
    assert "Social worker to meet Dean Carter" in family
