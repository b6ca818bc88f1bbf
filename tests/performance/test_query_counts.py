"""Each page computes what it shows in a fixed handful of queries, before it renders: the same count for a
small family and for the same family grown (more people in the household, more goals and scores, more agency
updates, more meetings held), and for a caseload of 5, 50 and 500 families. A relationship loaded row by row
from a template raises here (LAZY_LOADS_IN_TEMPLATES), so a count cannot stay flat by luck."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from tests.families.helpers import counting_queries
from tests.support.people import signed_in

MOST_QUERIES = 13  # the to-do home page: one query per area's kinds of work (13: replies from calendars)
DEMO_PASSWORD = "demo password for query counts"


@pytest.fixture
def guarded(app):
    app.config["LAZY_LOADS_IN_TEMPLATES"] = "raise"
    return app


def queries_for(app, email: str, url: str) -> int:
    from coordinator.calendar import feed

    feed._SERIES_TEXT.clear()  # the feed as first built, not from the text kept by an earlier request
    client = signed_in(app, email)
    db.session.remove()  # nothing already loaded: the request starts as a real one does
    with counting_queries(db.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:3000])
    return len(statements)


def harrow_pages(app) -> dict[str, tuple[str, str]]:
    """Every page of the issue, for the demo's Harrow family, each as the person who would read it."""
    from coordinator.auth.services import existing_user
    from coordinator.calendar import feed
    from coordinator.families.models import Family
    from coordinator.meetings.models import MeetingSeries, OccurrenceStatus
    from coordinator.minutes.models import Minutes, MinutesVersion
    from coordinator.submissions.models import SubmissionRequest
    from coordinator.timeutil import utcnow

    family = db.session.scalar(select(Family).where(Family.family_name == "Harrow"))
    series = db.session.scalar(select(MeetingSeries).where(MeetingSeries.family_id == family.id))
    upcoming = min((o for o in series.occurrences if o.starts_at > utcnow()
                    and o.status is not OccurrenceStatus.CANCELLED), key=lambda o: o.starts_at)
    version = db.session.scalars(select(MinutesVersion).join(Minutes).where(MinutesVersion.family_id == family.id)
                                 .order_by(MinutesVersion.id.desc())).first()
    request = db.session.scalar(select(SubmissionRequest).where(SubmissionRequest.occurrence_id == upcoming.id,
                                                                SubmissionRequest.recipient.has(email="health@demo.invalid")))
    ref = family.reference
    with app.test_request_context():
        token = feed.token_for(existing_user("health@demo.invalid"))
        db.session.commit()
    return {
        "to-do (lead)": ("lead@demo.invalid", "/"),
        "to-do (chair)": ("chair@demo.invalid", "/"),
        "to-do (health visitor)": ("health@demo.invalid", "/"),
        "my families": ("lead@demo.invalid", "/families"),
        "family page": ("lead@demo.invalid", f"/families/{ref}"),
        "meeting page": ("lead@demo.invalid", f"/families/{ref}/meetings/{upcoming.id}"),
        "pack": ("chair@demo.invalid", f"/families/{ref}/meetings/{upcoming.id}/pack"),
        "minutes": ("lead@demo.invalid", f"/families/{ref}/minutes/{version.minutes.occurrence_id}/v{version.number}"),
        "update form": ("health@demo.invalid", f"/families/{ref}/updates/{request.id}"),
        "update form step": ("health@demo.invalid", f"/families/{ref}/updates/{request.id}/steps/household"),
        "check your answers": ("health@demo.invalid", f"/families/{ref}/updates/{request.id}/check"),
        "calendar feed": ("health@demo.invalid", f"/calendar/{token}.ics"),
        "audit log": ("admin@demo.invalid", "/admin/audit"),
    }


def grow_harrow() -> None:
    """More of everything the pages list: five more people in the household (each related to every child
    and seen twice), three more goals scored, and an action per person."""
    from coordinator.auth.services import existing_user
    from coordinator.families import services as families
    from coordinator.families.models import Family, Presence, Relationship, Sex, SightingKind, YesNoUnknown
    from coordinator.meetings.models import MeetingSeries, OccurrenceStatus
    from coordinator.minutes import actions as minutes_actions

    lead, health = existing_user("lead@demo.invalid"), existing_user("health@demo.invalid")
    family = db.session.scalar(select(Family).where(Family.family_name == "Harrow"))
    for n in range(5):
        member = families.add_member(
            family, actor=lead, relationships={c.id: Relationship.FRIEND for c in family.children},
            name=f"Visitor {n}", sex=Sex.MALE, presence=Presence.VISITS, parental_responsibility=YesNoUnknown.NO,
            source_kind=SightingKind.SEEN, source_agency_id=health.agency_id, first_recorded_on=date.today())
        families.record_sighting(member, actor=health, kind=SightingKind.SEEN, on=date.today() - timedelta(days=n))
    series = db.session.scalar(select(MeetingSeries).where(MeetingSeries.family_id == family.id))
    held = [o for o in series.occurrences if o.status is OccurrenceStatus.HELD]
    for n in range(3):
        goal = minutes_actions.add_goal(held[-1], actor=lead, description=f"Goal {n}")
        for occurrence in held:
            minutes_actions.score_goal(goal, occurrence, actor=lead, score=n + 3)
        minutes_actions.add_action(held[-1], actor=lead, description=f"Action {n}", owner=health,
                                   due=date.today() - timedelta(days=n), intended_outcome=None)
    db.session.commit()


def test_every_page_costs_the_same_few_queries_however_big_the_family(guarded):
    from coordinator.demo import load_demo

    load_demo(DEMO_PASSWORD)
    db.session.commit()
    pages = harrow_pages(guarded)
    before = {name: queries_for(guarded, *page) for name, page in pages.items()}
    grow_harrow()
    after = {name: queries_for(guarded, *page) for name, page in pages.items()}
    costs = {name: (before[name], after[name]) for name in pages}
    too_many = {name: cost for name, cost in costs.items() if cost[0] != cost[1] or cost[1] > MOST_QUERIES}
    assert too_many == {}, f"queries (small family, grown family): {costs}"


def test_my_families_and_the_to_do_list_cost_the_same_for_a_caseload_of_5_50_and_500(guarded):
    from coordinator.scale import seed_scale

    costs = {}
    for caseload in (5, 50, 500):
        world = seed_scale(caseload, caseload=caseload, tag=f"c{caseload}")
        db.session.commit()
        costs[caseload] = (queries_for(guarded, world.leads[0], "/families"), queries_for(guarded, world.leads[0], "/"))
    assert len(set(costs.values())) == 1 and max(costs[5]) <= MOST_QUERIES, f"queries (My families, to-do) by caseload: {costs}"


def test_seed_scale_writes_a_partnership_whose_pages_work(guarded):
    from click.testing import CliRunner

    from coordinator.families.models import Family
    from coordinator.meetings.models import Occurrence, OccurrenceStatus
    from coordinator.scale import counts

    before = counts()
    result = CliRunner().invoke(guarded.cli, ["seed-scale", "--families", "30", "--caseload", "10",
                                              "--audit-rows", "200", "--yes"])
    assert result.exit_code == 0, result.output
    after = counts()
    assert after["families"] - before["families"] == 30
    assert after["occurrences"] - before["occurrences"] == 30 * 10  # six held and four to come, each
    assert after["audit_events"] - before["audit_events"] >= 200
    assert db.session.scalar(select(func.count()).select_from(Occurrence)
                             .where(Occurrence.status == OccurrenceStatus.HELD)) >= 30 * 6
    # The first lead printed signs in and finds their ten families, each of whose pages opens.
    lead = result.output.split("lead ")[1].split(",")[0]
    client = signed_in(guarded, lead)
    mine = [f for f in db.session.scalars(select(Family).where(Family.reference.like("S%")))
            if any(m.user.email == lead for m in f.network)]
    assert len(mine) == 10
    listing = client.get("/families").get_data(as_text=True)
    assert all(f.reference in listing for f in mine)
    assert all(client.get(f"/families/{f.reference}").status_code == 200 for f in mine)
