"""Fixtures for the minutes tests.

The family, its lead professional, the health visitor (``member``), an outsider and an administrator come
from the families tests' ``world`` fixture. ``team`` adds the people of a minuted meeting series that began
six weeks ago: a chair (a team manager, not the lead) and a minute-taker who are different people, a school
in the network, and a GP who is invited but not in the network (a guest). Its three meetings are all past.
"""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from coordinator.extensions import db
from tests.families.conftest import act_as, world  # noqa: F401  (the fixture, re-used here)
from tests.minutes.helpers import Team, last_weekday_on_or_before


@pytest.fixture
def team(world, make_user):  # noqa: F811
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole, Presence, Relationship, Sex, SightingKind
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

    lead = world.lead
    chair = make_user("chair@council.test", "Charlie Chair")
    taker = make_user("minutes@council.test", "Mina Taker")
    school = make_user("dsl@school.test", "Sam School", agency_name="Oakfield Primary")
    gp = make_user("gp@surgery.test", "Gita Practitioner", agency_name="Riverside Surgery")
    for user, reason in ((chair, "Chairs the core group"), (taker, "Takes the minutes"),
                         (school, "Designated safeguarding lead")):
        families.add_to_network(world.family, user, NetworkRole.MEMBER, reason=reason, actor=lead)
    father = families.add_member(world.family, actor=lead, relationships={world.child.id: Relationship.FATHER},
                                 name="Dean Carter", sex=Sex.MALE, presence=Presence.VISITS,
                                 source_kind=SightingKind.TOLD_OF, source_agency_id=lead.agency_id)
    first = last_weekday_on_or_before(date.today() - timedelta(days=42))
    schedule = meetings.Schedule(MeetingType.CORE_GROUP, first, time(10, 0), 90, Recurrence.WEEKLY, 2,
                                 SeriesEnd.AFTER_COUNT, count=3, location="Family centre")
    series = meetings.create_series(world.family, schedule, actor=lead, chair=chair, minute_taker=taker,
                                    invitees=[world.member, school, gp], notify=False, allow_past=True)
    db.session.commit()
    assert len(series.occurrences) == 3
    return Team(world=world, chair=chair, taker=taker, school=school, gp=gp, father=father, series=series)


@pytest.fixture
def client_for(app):
    """A signed-in test client per person: ``client_for(user)``."""
    clients = {}

    def get(user):
        if user.id not in clients:
            client = app.test_client()
            act_as(client, user)
            clients[user.id] = client
        return clients[user.id]

    return get
