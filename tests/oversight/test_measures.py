"""Every measure of the partnership's learning and every table of a team manager's dashboard, over a
generated history whose answers are known (coordinator.oversight.history), on SQLite and PostgreSQL; and the
suppression rule."""
from __future__ import annotations

from datetime import timedelta

from coordinator.extensions import db
from tests.oversight.conftest import make_oversight

N = 40


def count(condition) -> int:
    return sum(1 for i in range(N) if condition(i))


def figures(measure) -> dict:
    return {cell.group: (cell.numerator, cell.denominator) for cell in measure.cells}


def run(oversight, by: str):
    from coordinator.oversight import measures

    on = oversight.history.on
    return {m.key: m for m in measures.all_measures(measures.Period(on - timedelta(days=200), on), by, on)}


def test_every_measure_over_the_whole_partnership(app, oversight):
    app.config["SUPPRESSION_THRESHOLD"] = 5
    with app.test_request_context():
        results = run(oversight, "all")
    everyone = "The whole partnership"
    assert figures(results["cadence"]) == {everyone: (2 * N - count(lambda i: i % 4 == 0), 2 * N)}
    assert figures(results["updates"]) == {everyone: (3 * N + 3 * count(lambda i: i % 4 in (0, 3)), 6 * N)}
    assert figures(results["minutes"]) == {everyone: (N + count(lambda i: i % 3) + count(lambda i: i % 6 not in (1, 2)),
                                                      3 * N)}
    assert figures(results["domestic_abuse"]) == {everyone: (3 * N, 3 * N + 3 * count(lambda i: i % 4 != 2))}
    assert figures(results["men"]) == {everyone: (count(lambda i: i % 5 in (0, 1)), N)}
    assert figures(results["was_not_brought"]) == {everyone: (3 * count(lambda i: i % 2 == 0),
                                                              12 * N + 6 * count(lambda i: i % 4 != 2))}
    goals = results["goals"].cells[0]
    assert (goals.numerator, goals.denominator) == (count(lambda i: i % 3 == 2), N)
    assert goals.average == round((count(lambda i: i % 3 == 2) - count(lambda i: i % 3 == 0)) / N, 1)
    assert results["cadence"].cells[0].shown_value == f"{round(100 * (2 * N - 10) / (2 * N))}%"


def test_measures_by_plan_type_and_by_agency(app, oversight):
    app.config["SUPPRESSION_THRESHOLD"] = 5
    with app.test_request_context():
        by_plan = run(oversight, "plan_type")
        by_agency = run(oversight, "agency")
    protection, need = "Child protection", "Child in need"
    assert figures(by_plan["men"]) == {protection: (count(lambda i: i % 2 == 0 and i % 5 in (0, 1)), N // 2),
                                       need: (count(lambda i: i % 2 == 1 and i % 5 in (0, 1)), N // 2)}
    assert figures(by_plan["was_not_brought"])[need][0] == 0
    csc, health, school = (f"History t {kind}" for kind in ("Children's social care", "Health visiting", "School"))
    assert figures(by_agency["updates"]) == {health: (3 * N, 3 * N),
                                             school: (3 * count(lambda i: i % 4 in (0, 3)), 3 * N)}
    assert figures(by_agency["domestic_abuse"]) == {health: (3 * N, 3 * N),
                                                    school: (0, 3 * count(lambda i: i % 4 != 2))}
    # What the family's meetings do is counted under the lead professional's agency.
    assert set(figures(by_agency["cadence"])) == {csc}
    assert figures(by_agency["goals"]) == {csc: (count(lambda i: i % 3 == 2), N)}


def test_small_numbers_are_suppressed(app, make_user):
    """With six families, each plan type has three: every count from 1 to 4 is "fewer than 5", and no share
    or average drawn from one is shown; a threshold of 1 shows them all."""
    oversight = make_oversight(make_user, families=6, leads=2, tag="s")
    app.config["SUPPRESSION_THRESHOLD"] = 5
    with app.test_request_context():
        results = run(oversight, "plan_type")
    men = {cell.group: cell for cell in results["men"].cells}
    assert (men["Child protection"].shown_numerator, men["Child protection"].shown_denominator) == \
        ("fewer than 5", "fewer than 5")
    assert men["Child protection"].shown_value == "Not shown: fewer than 5"
    assert men["Child protection"].percent is None
    goals = {cell.group: cell for cell in results["goals"].cells}
    assert goals["Child in need"].average is None
    # A zero reveals no one and is shown; a count at the threshold is shown.
    updates = {cell.group: cell for cell in results["updates"].cells}
    assert updates["Child protection"].shown_denominator == "18"
    wnb = {cell.group: cell for cell in results["was_not_brought"].cells}
    assert wnb["Child in need"].shown_numerator == "0"

    app.config["SUPPRESSION_THRESHOLD"] = 1
    with app.test_request_context():
        results = run(oversight, "plan_type")
    men = {cell.group: cell for cell in results["men"].cells}
    assert (men["Child protection"].shown_numerator, men["Child protection"].shown_denominator) == ("1", "3")
    assert men["Child protection"].shown_value == "33%"


def test_the_team_dashboard_lists_the_teams_families_only(app, oversight):
    from coordinator.oversight import dashboard

    on = oversight.history.on
    with app.test_request_context():
        tables = {t.key: t for t in dashboard.dashboard([oversight.team], on)}
        total = dashboard.family_count([oversight.team], on)
    team = [i for i in range(N) if oversight.in_team(i)]
    refs = {oversight.history.family_ids[i]: i for i in team}
    assert total == len(team)

    def of(condition) -> int:
        return sum(1 for i in team if condition(i))

    sizes = {key: len(table.rows) for key, table in tables.items()}
    assert sizes == {
        "overdue-series": of(lambda i: i % 10 == 3),
        "minutes-missing": of(lambda i: i % 6 in (1, 2)),
        "awaiting-approval": of(lambda i: i % 6 == 2),
        "overdue-actions": of(lambda i: i % 3 == 0),
        "late-updates": 3 * of(lambda i: i % 4 in (1, 2)),
        "men": of(lambda i: i % 5 in (0, 1)),
        "unconfirmed": of(lambda i: i % 5 == 1),
        "acknowledgements": sum(2 if i % 6 in (1, 2) else 3 for i in team),
    }
    from coordinator.families.models import Family

    team_refs = {f.reference for f in db.session.scalars(db.select(Family).where(Family.id.in_(list(refs))))}
    assert {row.cells["ref"] for t in tables.values() for row in t.rows} <= team_refs
    assert {row.cells["people"] for row in tables["acknowledgements"].rows} == {"2"}
    late = tables["late-updates"]
    assert {row.cells["state"] for row in late.rows} == {"Submitted late", "Missing"}
    assert {row.cells["agency"] for row in late.rows} == {"History t School"}
    # Filter and sort
    missing = late.narrowed("History t School", "deadline", True)
    assert [r.sort["deadline"] for r in missing] == sorted((r.sort["deadline"] for r in missing), reverse=True)


def test_the_few_on_the_other_side_are_suppressed_too():
    """"48 of 50" tells of the 2 who were not as plainly as "2 of 50" does: a share is hidden when either
    side is under the threshold; all or none of a large group is shown."""
    from coordinator.oversight.measures import Cell

    assert Cell("A", 48, 50, 5).hidden and Cell("A", 2, 50, 5).hidden
    assert not Cell("A", 45, 50, 5).hidden
    assert not Cell("A", 50, 50, 5).hidden and not Cell("A", 0, 50, 5).hidden
