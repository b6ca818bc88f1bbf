"""The demo's oversight: a team (the demo lead and two more social workers) managed by manager@demo.invalid,
and a year of the partnership's history (60 families, written as coordinator.oversight.history says) so that
every measure on analyst@demo.invalid's page shows something above the suppression threshold.

The threshold stays at its real default (5) in the demo: lowering it would show a newcomer a partnership
that names small groups, which a real one must not; sixty families of history show every measure instead,
and the demo's own three families still show what suppression looks like (a plan type with one family)."""
from __future__ import annotations

from sqlalchemy import select

from coordinator.agencies.models import Agency
from coordinator.auth.services import existing_user
from coordinator.extensions import db
from coordinator.oversight.history import make_team, write_history
from coordinator.oversight.models import Team

DEMO_TEAM = "Demo Council Children's Services: Family Support Team"
HISTORY_FAMILIES = 60


def load_demo_oversight() -> None:
    if db.session.scalar(select(Team.id).where(Team.name == DEMO_TEAM)):
        return
    agencies: dict = {kind: db.session.scalar(select(Agency.id).where(Agency.name == name)) for kind, name in (
        ("csc", "Demo Council Children's Services"), ("health", "Demo NHS Trust Health Visiting"),
        ("school", "Demo Primary School"))}
    history = write_history(HISTORY_FAMILIES, leads=4, tag="demo", is_demo=True, agency_ids=agencies)
    lead, manager = existing_user("lead@demo.invalid"), existing_user("manager@demo.invalid")
    make_team(DEMO_TEAM, agencies["csc"], [lead.id, *history.lead_ids[:2]], [manager.id])
    db.session.commit()
