"""The family's action log and goals: agreed at a meeting, reviewed at the next, updated by their owners, scored
at each meeting; owners reminded by email, once per due date, when an action is overdue."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from coordinator.audit import services as audit
from coordinator.auth.models import User
from coordinator.concurrency import claim_revision
from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings.models import Occurrence
from coordinator.minutes.models import Action, ActionDecision, ActionStatus, ActionUpdate, Goal, GoalScore
from coordinator.minutes.services import MinutesError
from coordinator.notify.services import enqueue_template
from coordinator.timeutil import local_zone, today, utcnow
from coordinator.urls import external_url


def add_action(occurrence: Occurrence, *, actor: User, description: str, owner: User | None, due: date | None,
               intended_outcome: str | None) -> Action:
    if not (description or "").strip():
        raise MinutesError("Describe the action", "description")
    if owner is None:
        raise MinutesError("Choose who owns the action", "owner_id")
    if due is None:
        raise MinutesError("Enter the date it is due by", "due_date")
    if due < occurrence.day:
        raise MinutesError("The due date cannot be before the meeting", "due_date")
    if owner.agency_id is None:
        raise MinutesError("The owner must belong to an agency", "owner_id")
    action = Action(family_id=occurrence.series.family_id, agreed_at_id=occurrence.id, description=description.strip(),
                    owner_agency_id=owner.agency_id, owner_id=owner.id, due_date=due,
                    intended_outcome=(intended_outcome or "").strip() or None, status=ActionStatus.OPEN)
    db.session.add(action)
    db.session.flush()
    db.session.add(ActionUpdate(action_id=action.id, status=ActionStatus.OPEN, comment="Agreed at the meeting",
                                reviewed_at_id=occurrence.id, by_id=actor.id))
    audit.record("action_added", object_type="action", object_id=action.id, family_id=action.family_id, actor=actor)
    return action


class StaleAction(MinutesError):
    """The action was updated by someone else since the page was opened."""


def update_action(action: Action, *, actor: User, status: ActionStatus, comment: str | None,
                  reviewed_at: Occurrence | None = None, expected_revision: int | None = None,
                  decision: str | None = None, new_due: date | None = None, new_owner: User | None = None) -> None:
    """A new status for the action, kept in its history. "Not done" never closes it silently: it needs a
    ``decision``, to carry it forward (``new_due`` and ``new_owner``, required) or to close it with a reason
    (``comment``) that the chair approves; until the chair does, it stays open and owned."""
    comment = (comment or "").strip() or None
    if status is ActionStatus.NOT_DONE:
        _check_not_done(action, decision=decision, comment=comment, new_due=new_due, new_owner=new_owner,
                        on=reviewed_at.day if reviewed_at else today())
    claim_revision(action, expected_revision, StaleAction(
        f"Someone else updated the action \u201c{action.description[:80]}\u201d while you were working on it"))
    action.updated_at = utcnow()
    update = ActionUpdate(action_id=action.id, status=status, comment=comment,
                          reviewed_at_id=reviewed_at.id if reviewed_at else None, by_id=actor.id)
    if comment:
        action.evidence = comment
    if status is not ActionStatus.NOT_DONE:
        action.status = status
        _forget_closure(action)
    elif decision == ActionDecision.CARRIED:
        assert new_due is not None and new_owner is not None and new_owner.agency_id is not None
        update.decision, update.previous_due_date, update.due_date = decision, action.due_date, new_due
        update.owner_id = new_owner.id
        action.status, action.due_date = ActionStatus.OPEN, new_due
        action.owner_id, action.owner_agency_id = new_owner.id, new_owner.agency_id
        _forget_closure(action)
    else:  # to be closed, once the chair approves: open and owned until then
        action.status = ActionStatus.OPEN
        action.closure_reason, action.closure_requested_by_id = comment, actor.id
        action.closure_requested_at, action.closure_review_id = utcnow(), reviewed_at.id if reviewed_at else None
        update.decision = ActionDecision.CLOSURE_ASKED
    db.session.add(update)
    action.history.append(update)
    audit.record("action_updated", object_type="action", object_id=action.id, family_id=action.family_id,
                 actor=actor, detail=status.name + (f" ({update.decision})" if update.decision else ""))
    if update.decision == ActionDecision.CLOSURE_ASKED and may_approve_closure(action, actor):
        decide_closure(action, actor=actor, approve=True)  # the chair reviewing it decides at once


def _check_not_done(action: Action, *, decision: str | None, comment: str | None, new_due: date | None,
                    new_owner: User | None, on: date) -> None:
    if decision not in (ActionDecision.CARRIED, ActionDecision.CLOSURE_ASKED):
        raise MinutesError("Say whether the action is carried forward or closed", "decision")
    if decision == ActionDecision.CLOSURE_ASKED:
        if not comment:
            raise MinutesError("Give the reason for closing the action: the chair approves it", "comment")
        return
    if new_due is None:
        raise MinutesError("Enter the new date it is due by", "new_due")
    if new_due < on:
        raise MinutesError("The new due date cannot be in the past", "new_due")
    if new_owner is None:
        raise MinutesError("Choose who owns the action from now on", "new_owner")
    if new_owner.agency_id is None:
        raise MinutesError("The owner must belong to an agency", "new_owner")


def _forget_closure(action: Action) -> None:
    action.closure_reason = action.closure_requested_by_id = action.closure_requested_at = None
    action.closure_review_id = None


def closure_chair(action: Action) -> User | None:
    """Who approves closing the action: the chair of the meeting that asked (else of the one that agreed it)."""
    occurrence = db.session.get(Occurrence, action.closure_review_id) if action.closure_review_id else action.agreed_at
    return occurrence.series.chair if occurrence is not None else None


def may_approve_closure(action: Action, user: User) -> bool:
    chair = closure_chair(action)
    return chair is not None and chair.id == user.id


def decide_closure(action: Action, *, actor: User, approve: bool, note: str | None = None,
                   expected_revision: int | None = None) -> None:
    """The chair approves closing an action as not done (it is closed), or keeps it open (and owned)."""
    if not action.closure_awaiting_approval:
        raise MinutesError("This action is not waiting for the chair to approve its closure")
    if not may_approve_closure(action, actor):
        raise MinutesError("Only the chair can approve closing an action")
    claim_revision(action, expected_revision, StaleAction(
        f"Someone else updated the action \u201c{action.description[:80]}\u201d while you were working on it"))
    reason = action.closure_reason
    note = (note or "").strip() or None
    update = ActionUpdate(action_id=action.id, by_id=actor.id, comment=(note or reason) if approve else note,
                          status=ActionStatus.NOT_DONE if approve else ActionStatus.OPEN,
                          decision=ActionDecision.CLOSURE_APPROVED if approve else ActionDecision.CLOSURE_DECLINED)
    if approve:
        action.status = ActionStatus.NOT_DONE
    _forget_closure(action)
    action.updated_at = utcnow()
    db.session.add(update)
    action.history.append(update)
    audit.record("action_closure_approved" if approve else "action_closure_declined", object_type="action",
                 object_id=action.id, family_id=action.family_id, actor=actor)


def actions_of(family: Family) -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.family_id == family.id)
                              .order_by(Action.due_date, Action.id)))


def open_actions_before(occurrence: Occurrence) -> list[Action]:
    """Open actions agreed at earlier meetings: carried into this meeting's minutes for review."""

    return list(db.session.scalars(
        select(Action).join(Occurrence, Action.agreed_at_id == Occurrence.id)
        .where(Action.family_id == occurrence.series.family_id, Occurrence.starts_at < occurrence.starts_at,
               Action.status == ActionStatus.OPEN)
        .options(selectinload(Action.history).joinedload(ActionUpdate.owner), joinedload(Action.owner))
        .order_by(Action.due_date, Action.id)))


def open_actions_for_agency(family: Family, agency_id: int) -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.family_id == family.id, Action.owner_agency_id == agency_id,
                                                   Action.status == ActionStatus.OPEN).order_by(Action.id)))


def overdue_actions(family: Family, on: date | None = None) -> list[Action]:
    on = on or today()
    return [a for a in actions_of(family) if a.status is ActionStatus.OPEN and a.due_date < on]


def remind_overdue(now: datetime | None = None, may_go_on: Callable[[], bool] = lambda: True) -> int:
    """The scheduler's job: tell each owner, once per due date, that an action of theirs is overdue. One
    reminder at a time, each committed, asking ``may_go_on`` before the next."""
    on = (now or utcnow()).astimezone(local_zone()).date()
    sent = 0
    from coordinator.notify.models import OutboxMessage

    overdue = db.session.scalars(select(Action).where(Action.status == ActionStatus.OPEN, Action.due_date < on)).all()
    for action in overdue:
        if not may_go_on():
            break
        key = f"action-overdue:{action.id}:{action.due_date.isoformat()}"
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
            continue
        family = action.family
        enqueue_template(key, to=action.owner.email, subject=f"An action for ref {family.reference} is overdue",
                         template="action_overdue", kind="action_overdue", family_id=family.id,
                         url=external_url("minutes.action", ref=family.reference, action_id=action.id))
        db.session.commit()
        sent += 1
    db.session.commit()
    return sent


# --- goals --------------------------------------------------------------------------------------------

def add_goal(occurrence: Occurrence, *, actor: User, description: str) -> Goal:
    if not (description or "").strip():
        raise MinutesError("Describe the goal: what life should be like for the child", "description")
    goal = Goal(family_id=occurrence.series.family_id, agreed_at_id=occurrence.id, description=description.strip())
    db.session.add(goal)
    db.session.flush()
    audit.record("goal_added", object_type="goal", object_id=goal.id, family_id=goal.family_id, actor=actor)
    return goal


def score_goal(goal: Goal, occurrence: Occurrence, *, actor: User, score: int,
               expected_revision: int | None = None) -> GoalScore:
    if score is None or not 0 <= int(score) <= 10:
        raise MinutesError("The score must be a whole number from 0 to 10", "score")
    claim_revision(goal, expected_revision, MinutesError(
        f"Someone else scored the goal \u201c{goal.description[:80]}\u201d while you were working on it", "score"))
    row = db.session.scalar(select(GoalScore).where(GoalScore.goal_id == goal.id, GoalScore.occurrence_id == occurrence.id))
    if row is None:
        row = GoalScore(goal_id=goal.id, occurrence_id=occurrence.id, score=int(score), recorded_by_id=actor.id)
        db.session.add(row)
        goal.scores.append(row)
    row.score = int(score)
    audit.record("goal_scored", object_type="goal", object_id=goal.id, family_id=goal.family_id, actor=actor,
                 detail=str(score))
    return row


def goals_of(family: Family, *, with_scores: bool = False) -> list[Goal]:
    """The family's goals; ``with_scores``: each with its scores and their meetings, for a chart."""
    query = select(Goal).where(Goal.family_id == family.id).order_by(Goal.id)
    if with_scores:
        query = query.options(joinedload(Goal.scores).joinedload(GoalScore.occurrence).joinedload(Occurrence.series))
    return list(db.session.scalars(query).unique())


# Published versions are append-only in the ORM (@append_only) and in the database: triggers installed by
# migration 0005 refuse UPDATE and DELETE on minutes_versions.

def overdue_actions_by_family(family_ids: list[int], on: date | None = None) -> dict[int, int]:
    """For "My families": how many open actions are past their due date, per family, in one query."""
    if not family_ids:
        return {}
    on = on or today()
    rows = db.session.execute(
        select(Action.family_id, func.count()).where(Action.family_id.in_(family_ids), Action.status == ActionStatus.OPEN,
                                                     Action.due_date < on).group_by(Action.family_id)).all()
    return {family_id: count for family_id, count in rows}
