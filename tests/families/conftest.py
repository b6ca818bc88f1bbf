"""A family with its network, and the people around it, for the families tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest

from coordinator.extensions import db
from tests.support.people import act_as  # noqa: F401  (re-exported: the suites import it from here)


@dataclass
class World:
    family: object
    child: object
    person: object
    member_membership: object
    lead: object
    member: object
    outsider: object
    admin: object
    series: object = None


@pytest.fixture
def world(app, make_user):
    from coordinator.families import services
    from coordinator.families.models import NetworkRole, PlanType, Presence, Relationship, Sex, SightingKind

    lead = make_user("lead@council.test", "Lee Lead")
    member = make_user("hv@nhs.test", "Hana Visitor", agency_name="Health visiting")
    outsider = make_user("out@police.test", "Olu Outsider", agency_name="Police")
    admin = make_user("admin@council.test", "Ada Admin", admin=True)
    family = services.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    reason_for_sharing="Allocated social worker")
    child = services.add_child(family, actor=lead, name="Ruby Harrow", date_of_birth=date.today() - timedelta(days=150),
                               sex=Sex.FEMALE)
    membership = services.add_to_network(family, member, NetworkRole.MEMBER, reason="Health visitor", actor=lead)
    person = services.add_member(family, actor=lead, relationships={child.id: Relationship.MOTHER},
                                 name="Kelly Harrow", sex=Sex.FEMALE, presence=Presence.LIVES_IN,
                                 source_kind=SightingKind.SEEN, source_agency_id=lead.agency_id)
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

    schedule = meetings.Schedule(MeetingType.PROFESSIONALS, date.today() + timedelta(days=7), time(10, 0), 90,
                                 Recurrence.WEEKLY, 6, SeriesEnd.AFTER_COUNT, count=4, location="Family centre")
    series = meetings.create_series(family, schedule, actor=lead, chair=lead, minute_taker=None,
                                    invitees=[member], notify=False)
    db.session.commit()
    return World(family, child, person, membership, lead, member, outsider, admin, series)


