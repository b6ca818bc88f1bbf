"""The team manager's dashboard and the partnership's learning, each as a page and as CSV. Both are
audited; neither shows a name of anyone in a family, and the learning page no reference either."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from coordinator.access import partnership_analyst_only, team_manager_only
from coordinator.audit import services as audit
from coordinator.audit.services import csv_safe
from coordinator.extensions import commit_keeping_loaded
from coordinator.oversight import dashboard as team_work
from coordinator.oversight import measures
from coordinator.oversight.forms import PeriodForm
from coordinator.timeutil import today

bp = Blueprint("oversight", __name__)


def csv_response(header: list[str], rows: list[list[str]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in [header, *rows]:
        writer.writerow([csv_safe(str(value)) for value in line])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def _team_work(as_csv: bool):
    """The manager's teams, their tables, and how the table asked for is narrowed and sorted; audited."""
    teams = team_work.managed_teams(current_user)
    tables = team_work.dashboard(teams, today()) if teams else []
    wanted = request.args.get("table")
    chosen = {t.key: (request.args.get("filter") or None, request.args.get("sort"), request.args.get("order") == "desc")
              if t.key == wanted else (None, None, False) for t in tables}
    shown = next((t.title for t in tables if t.key == wanted), "every table")
    # One team in object_id; a manager of several has them in the detail (object_id is 64 characters).
    audit.record("team_dashboard_viewed", object_type="team", object_id=teams[0].id if len(teams) == 1 else None,
                 detail=(f"{shown}{', as a spreadsheet' if as_csv else ''}"
                         + (f"; teams {', '.join(str(t.id) for t in teams)}" if len(teams) > 1 else ""))[:500])
    commit_keeping_loaded()
    return teams, tables, chosen, wanted


@bp.get("/team")
@team_manager_only
def team_dashboard():
    teams, tables, chosen, _ = _team_work(as_csv=False)
    return render_template("oversight/team.html", teams=teams, tables=tables, chosen=chosen,
                           families=team_work.family_count(teams, today()) if teams else 0)


@bp.get("/team.csv")
@team_manager_only
def team_csv():
    _, tables, chosen, wanted = _team_work(as_csv=True)
    if wanted is None:  # every table, one after the other, each row saying which
        return csv_response(["Table", "Family", "What"], [
            [t.title, r.cells["ref"], "; ".join(f"{c.label}: {r.cells[c.key]}" for c in t.columns[1:])]
            for t in tables for r in t.rows], "team-work.csv")
    table = next((t for t in tables if t.key == wanted), None)
    if table is None:
        abort(404)
    rows = table.narrowed(*chosen[table.key])
    return csv_response([c.label for c in table.columns], [[r.cells[c.key] for c in table.columns] for r in rows],
                        f"{table.key}.csv")


def _measures(as_csv: bool) -> tuple[PeriodForm, measures.Period, str, list[measures.Measure]]:
    """The period and grouping asked for (the last year by agency, when none or a wrong one), and the
    measures over it; audited."""
    on = today()
    form = PeriodForm(request.args)
    valid = form.validate() if request.args else True
    end = (form.end.data if valid else None) or on
    start = (form.start.data if valid else None) or end - timedelta(days=365)
    if not start <= end <= start + timedelta(days=measures.MAX_PERIOD_DAYS):
        form.end.errors.append("Choose an end of the period on or after its start, and within three years of it")
        start, end = on - timedelta(days=365), on
    by = form.by.data if form.by.data in measures.BY else "agency"
    period = measures.Period(start, end)
    audit.record("partnership_measures_viewed", detail=f"from {start.isoformat()} to {end.isoformat()}, by "
                 f"{measures.BY[by].lower()}{', as a spreadsheet' if as_csv else ''}")
    results = measures.all_measures(period, by, on)
    commit_keeping_loaded()
    return form, period, by, results


@bp.get("/partnership")
@partnership_analyst_only
def learning():
    form, period, by, results = _measures(as_csv=False)
    return render_template("oversight/learning.html", form=form, measures=results, period=period, by=by,
                           threshold=measures.threshold())


@bp.get("/partnership.csv")
@partnership_analyst_only
def learning_csv():
    _, _, by, results = _measures(as_csv=True)
    return csv_response(["Measure", measures.BY[by], "Counted", "Out of", "Share", "Average change"],
                        [[m.title, c.group, c.shown_numerator, c.shown_denominator, c.shown_value,
                          "" if c.total is None else (str(c.average) if c.average is not None else c.shown_value)]
                         for m in results for c in m.cells], "partnership-measures.csv")
