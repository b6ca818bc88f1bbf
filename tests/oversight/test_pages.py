"""The two pages as their readers use them: a team manager's dashboard (filters, sorts, CSV that no
spreadsheet runs as a formula, audited) and the partnership's learning (no names, no references, audited),
each refused to everyone else."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from coordinator.extensions import db
from tests.support.people import signed_in


def audit_actions() -> list[str]:
    from coordinator.audit.models import AuditEvent

    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_manager_reads_the_teams_work_and_downloads_it(app, oversight):
    client = signed_in(app, oversight.manager)
    page = client.get("/team").get_data(as_text=True)
    assert "Your team&#39;s work" in page or "Your team's work" in page
    assert "Actions overdue, by owner and agency" in page
    assert audit_actions()[-1] == "team_dashboard_viewed"
    from coordinator.families.models import Family

    refs = {f.reference: i for i, f in enumerate(db.session.scalars(
        select(Family).where(Family.id.in_(oversight.history.family_ids)).order_by(Family.id)))}
    shown = {ref for ref in refs if f">{ref}<" in page}
    assert shown and all(oversight.in_team(refs[ref]) for ref in shown)
    assert not any(f">{ref}<" in page for ref, i in refs.items() if not oversight.in_team(i))
    assert "Mother 0" not in page and "Father 1" not in page  # no one in a family is named

    response = client.get("/team.csv?table=late-updates&filter=History+t+School&sort=deadline&order=desc")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Family", "Agency", "Asked of", "Deadline", "State"]
    assert len(rows) > 1 and {r[1] for r in rows[1:]} == {"History t School"}
    assert client.get("/team.csv?table=nothing").status_code == 404
    every = list(csv.reader(io.StringIO(client.get("/team.csv").get_data(as_text=True))))
    assert every[0] == ["Table", "Family", "What"]
    assert {row[0] for row in every[1:]} >= {"Actions overdue, by owner and agency", "Agencies' updates late or missing"}


def test_csv_cells_that_a_spreadsheet_would_run_are_made_text(app, oversight):
    from coordinator.agencies.models import Agency

    school = db.session.get(Agency, oversight.history.agency_ids["school"])
    school.name = "=HYPERLINK(\"http://evil.test\")"
    db.session.commit()
    client = signed_in(app, oversight.manager)
    text = client.get("/team.csv?table=late-updates").get_data(as_text=True)
    agencies = {row[1] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert agencies == {"'=HYPERLINK(\"http://evil.test\")"}


def test_the_analyst_reads_the_measures_without_a_name_or_reference(app, oversight):
    from coordinator.families.models import Family

    client = signed_in(app, oversight.analyst)
    page = client.get("/partnership").get_data(as_text=True)
    for title in ("Meetings held within their cadence", "Agencies&#39; updates on time", "Minutes within the service level",
                  "Domestic abuse routine enquiry", "Households with a man unknown or never seen",
                  "Children not brought to appointments", "Goal scores between the first meeting and the latest"):
        assert title in page
    refs = list(db.session.scalars(select(Family.reference)))
    assert not any(ref in page for ref in refs)
    assert "Lead 0" not in page and "Mother" not in page
    assert audit_actions()[-1] == "partnership_measures_viewed"

    page = client.get("/partnership?start=1&start=1&start=2020&end=1&end=1&end=2019"
                      "&by=plan_type").get_data(as_text=True)
    assert "There is a problem" in page and "on or after its start" in page
    page = client.get("/partnership?by=plan_type").get_data(as_text=True)
    assert "Child protection" in page
    response = client.get("/partnership.csv?by=agency")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Measure", "Agency", "Counted"] and len(rows) > 7
    assert not any(ref in response.get_data(as_text=True) for ref in refs)


def test_each_page_is_refused_to_everyone_else(app, oversight, make_user):
    outsider = make_user("someone@council.test", "Sol Someone")
    for user, url in ((oversight.analyst, "/team"), (oversight.manager, "/partnership"), (outsider, "/team"),
                      (outsider, "/partnership")):
        assert signed_in(app, user).get(url).status_code == 403, (user.email, url)
    assert app.test_client().get("/team").status_code == 302


def test_the_analyst_opens_no_family_even_if_put_in_its_network(app, oversight):
    from coordinator.families.models import Family, NetworkMembership, NetworkRole
    from coordinator.timeutil import today

    family = db.session.get(Family, oversight.history.family_ids[0])
    db.session.add(NetworkMembership(family_id=family.id, user_id=oversight.analyst.id, role=NetworkRole.MEMBER,
                                     from_date=today(), reason_for_sharing="A mistake"))
    db.session.commit()
    client = signed_in(app, oversight.analyst)
    assert client.get(f"/families/{family.reference}").status_code == 404
    assert family.reference not in client.get("/families").get_data(as_text=True)
    assert client.get("/families/new").status_code == 403


def test_a_manager_opens_a_family_only_in_its_network(app, oversight):
    """The dashboard lists the team's families by reference; their records stay with their networks."""
    from coordinator.families import services
    from coordinator.families.models import Family, NetworkRole

    family = db.session.get(Family, oversight.history.family_ids[0])
    client = signed_in(app, oversight.manager)
    assert client.get(f"/families/{family.reference}").status_code == 404
    from coordinator.auth.models import User

    lead = db.session.get(User, oversight.history.lead_ids[0])
    services.add_to_network(family, oversight.manager, NetworkRole.MEMBER, reason="Supervises the lead", actor=lead)
    db.session.commit()
    assert client.get(f"/families/{family.reference}").status_code == 200
