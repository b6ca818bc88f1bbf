"""Fixtures for the meetings tests. The family, its network (lead and health visitor) and a first series
come from the families tests' ``world`` fixture; ``net`` adds a third professional to the network (to be
minute-taker, or the network member who is not invited)."""
from __future__ import annotations

import pytest

from coordinator.extensions import db
from tests.families.conftest import world  # noqa: F401  (the fixture, re-used here)
from tests.meetings.helpers import Network


@pytest.fixture
def net(world, make_user):  # noqa: F811
    from coordinator.families import services
    from coordinator.families.models import NetworkRole

    school = make_user("dsl@school.test", "Sam School", agency_name="Oakfield Primary")
    services.add_to_network(world.family, school, NetworkRole.MEMBER, reason="Designated safeguarding lead",
                            actor=world.lead)
    db.session.commit()
    return Network(world, school)
