"""What the minutes give the chair's pre-meeting pack (through the updates area's signal and page slot):
the open actions with their owners, overdue ones on top; the last meeting's decisions; each goal, with the
child it is for, its scores and their trend."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings.models import Occurrence
from coordinator.memo import once_per_page
from coordinator.minutes.models import Action, ActionStatus, Goal, GoalScore, Minutes, MinutesVersion
from coordinator.timeutil import long_date, today


def open_actions(family: Family, occurrence: Occurrence) -> list[Action]:
    """The family's open actions agreed before this meeting, with their owners, soonest due first."""
    def read() -> list[Action]:
        return list(db.session.scalars(
            select(Action).join(Occurrence, Action.agreed_at_id == Occurrence.id)
            .where(Action.family_id == family.id, Action.status == ActionStatus.OPEN,
                   Occurrence.starts_at < occurrence.starts_at)
            .options(joinedload(Action.owner), joinedload(Action.owner_agency))
            .order_by(Action.due_date, Action.id)))

    return once_per_page(("pack-open-actions", family.id, occurrence.id), read)


def overdue_attention(family: Family, occurrence: Occurrence, on: date | None = None) -> list[tuple[str, str]]:
    on = on or today()
    return [("overdue_action", f"Action overdue since {long_date(a.due_date)}: {a.description} (owned by "
                               f"{a.owner.name}, {a.owner_agency.name})")
            for a in open_actions(family, occurrence) if a.due_date < on]


@dataclass
class GoalLine:
    description: str
    scores: list[tuple[date, int]]

    @property
    def trend(self) -> str:
        if not self.scores:
            return "Not yet scored"
        if len(self.scores) == 1:
            return f"Scored {self.scores[-1][1]} (the first score)"
        before, now = self.scores[-2][1], self.scores[-1][1]
        if now == before:
            return f"No change: {now} at the last two meetings"
        return f"{'Up' if now > before else 'Down'} from {before} to {now}"


def goals_by_child(family: Family, children) -> list[tuple[str, list[GoalLine]]]:
    """Each child's goals (and the family's, not tied to a child), with their scores by meeting day."""
    goals = db.session.scalars(
        select(Goal).where(Goal.family_id == family.id).order_by(Goal.id)
        .options(joinedload(Goal.scores).joinedload(GoalScore.occurrence).joinedload(Occurrence.series))).unique()
    names = {child.id: child.display_name for child in children}
    grouped: dict[int | None, list[GoalLine]] = {}
    for goal in goals:
        scores = sorted((s.occurrence.day, s.score) for s in goal.scores)
        grouped.setdefault(goal.child_id if goal.child_id in names else None, []).append(
            GoalLine(goal.description, scores))
    order = [child.id for child in children if child.id in grouped] + ([None] if None in grouped else [])
    return [(names.get(key, "The whole family") if key is not None else "The whole family", grouped[key])
            for key in order]


def last_decisions(previous: Occurrence | None) -> tuple[str, bool] | None:
    """The decisions recorded at the last meeting: (text, True), from its latest published version; None
    before they are published."""
    if previous is None:
        return None
    row = db.session.execute(
        select(MinutesVersion.content, Minutes.content).select_from(Minutes)
        .outerjoin(MinutesVersion, MinutesVersion.minutes_id == Minutes.id)
        .where(Minutes.occurrence_id == previous.id).order_by(MinutesVersion.number.desc()).limit(1)).first()
    if row is None:
        return None
    import json

    published, _working = row
    if published:
        text = (json.loads(published).get("sections") or {}).get("decisions") or ""
        return (text, True) if text else None
    # Minutes still being written are seen only by those writing and approving them (minutes.policy): the
    # pack, read by everyone who gave an update, shows their decisions once published.
    return None
