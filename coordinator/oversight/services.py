"""Setting up a team: its name, agency, lead professionals and managers."""
from __future__ import annotations

from sqlalchemy import func, select

from coordinator.agencies.models import Agency
from coordinator.audit import services as audit
from coordinator.auth.models import Role, User
from coordinator.extensions import db
from coordinator.oversight.models import Team, TeamMember


class TeamError(ValueError):
    pass


def set_team(name: str, agency_name: str, leads: list[str], managers: list[str]) -> Team:
    """Create the team, or replace its leads and managers (by email). Leads are professionals of an agency;
    managers hold the team manager role."""
    name = name.strip()
    leads = list(dict.fromkeys(e.strip().lower() for e in leads))
    managers = list(dict.fromkeys(e.strip().lower() for e in managers))
    if not name:
        raise TeamError("Enter the team's name")
    agency = db.session.scalar(select(Agency).where(func.lower(Agency.name) == agency_name.strip().lower()))
    if agency is None:
        raise TeamError(f"There is no agency called {agency_name}")
    people = {u.email: u for u in db.session.scalars(
        select(User).where(User.email.in_(leads + managers)))}
    missing = sorted(set(leads + managers) - set(people))
    if missing:
        raise TeamError(f"No user with email {', '.join(missing)}")
    if not managers:
        raise TeamError("Name the team's manager")
    both = set(leads) & set(managers)
    if both:
        raise TeamError(f"{', '.join(sorted(both))}: a person is either a lead professional or a manager of the team")
    for email in managers:
        if people[email].role is not Role.TEAM_MANAGER:
            raise TeamError(f"{email} does not have the team manager role (an administrator gives it on the user page)")
    for email in leads:
        if people[email].agency_id is None or people[email].is_partnership_analyst:
            raise TeamError(f"{email} is not a professional of an agency")
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
    else:  # the old members go first: the same person may be put back
        team.members.clear()
        db.session.flush()
    team.agency_id = agency.id
    team.members = ([TeamMember(user_id=people[e].id, is_manager=False) for e in leads]
                    + [TeamMember(user_id=people[e].id, is_manager=True) for e in managers])
    db.session.add(team)
    db.session.flush()
    audit.record("team_set", object_type="team", object_id=team.id,
                 detail=f"{name}: {len(leads)} lead professionals, {len(managers)} managers")
    return team
