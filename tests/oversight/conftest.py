"""A partnership history with known answers (coordinator.oversight.history), a team manager whose team is
the first two leads, and the partnership's analyst."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from coordinator.extensions import db


@dataclass
class Oversight:
    history: object
    team: object
    manager: object
    analyst: object
    leads: int

    def in_team(self, i: int) -> bool:
        return i % self.leads in (0, 1)


def make_oversight(make_user, families: int = 40, leads: int = 3, tag: str = "t") -> Oversight:
    from coordinator.auth.models import Role
    from coordinator.oversight.history import make_team, write_history

    history = write_history(families, leads=leads, tag=tag)
    manager = make_user(f"manager.{tag}@council.test", "Mo Manager")
    manager.role = Role.TEAM_MANAGER
    analyst = make_user(f"analyst.{tag}@partnership.test", "Ana Analyst", agency_name="The partnership")
    analyst.role = Role.PARTNERSHIP_ANALYST
    team = make_team(f"Team {tag}", history.agency_ids["csc"], history.lead_ids[:2], [manager.id])
    db.session.commit()
    return Oversight(history, team, manager, analyst, leads)


@pytest.fixture
def oversight(app, make_user):
    return make_oversight(make_user)
