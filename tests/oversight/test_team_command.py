"""`flask --app coordinator team`: how a partnership sets up a team and its manager."""
from __future__ import annotations

from coordinator.extensions import db
from tests.support.people import signed_in


def test_a_team_is_set_up_and_its_manager_sees_its_families(app, make_user):
    from coordinator.auth.models import Role
    from coordinator.families import services
    from coordinator.families.models import PlanType

    lead = make_user("lead@council.test", "Lee Lead")
    manager = make_user("manager@council.test", "Mo Manager")
    services.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                           reason_for_sharing="Allocated social worker")
    db.session.commit()
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["team", "Team A", "--agency", "Test Children's Services", "--lead",
                                  "lead@council.test", "--manager", "manager@council.test"])
    assert refused.exit_code != 0 and "does not have the team manager role" in refused.output
    manager.role = Role.TEAM_MANAGER
    db.session.commit()
    assert "no agency called" in runner.invoke(args=["team", "Team A", "--agency", "Nowhere", "--manager",
                                                     "manager@council.test"]).output
    result = runner.invoke(args=["team", "Team A", "--agency", "test children's services", "--lead",
                                 "Lead@Council.test", "--manager", "manager@council.test"])
    assert result.exit_code == 0, result.output
    assert "Team Team A: 1 lead professionals, 1 managers" in result.output
    page = signed_in(app, manager).get("/team").get_data(as_text=True)
    assert "the 1 open family whose lead professional is in your team" in page

    assert runner.invoke(args=["team", "Team A", "--agency", "Test Children's Services", "--lead",
                               "lead@council.test", "--manager", "manager@council.test"]).exit_code == 0  # again
    both = runner.invoke(args=["team", "Team A", "--agency", "Test Children's Services", "--lead",
                               "manager@council.test", "--manager", "manager@council.test"])
    assert both.exit_code != 0 and "either a lead professional or a manager" in both.output
    again = runner.invoke(args=["team", "Team A", "--agency", "Test Children's Services", "--manager",
                                "manager@council.test"])
    assert again.exit_code == 0
    assert "the 0 open families" in signed_in(app, manager).get("/team").get_data(as_text=True)
