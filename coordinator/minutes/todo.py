"""The minutes area's part of each person's to-do list (coordinator.todo): minutes to write, approve or
publish, published minutes to acknowledge, corrections to decide and the actions they own. One query
per kind of item, whatever the caseload."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app, url_for
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from coordinator.extensions import db
from coordinator.families.access import current_membership_clause
from coordinator.families.models import Family, FamilyStatus, NetworkMembership, NetworkRole
from coordinator.hooks import on
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus
from coordinator.meetings.workdays import add_working_days
from coordinator.minutes.models import (
    Acknowledgement,
    Action,
    ActionStatus,
    CorrectionRequest,
    CorrectionState,
    Minutes,
    MinutesStatus,
    MinutesVersion,
)
from coordinator.timeutil import local_zone
from coordinator.todo import Todo, asked, family_label, spoken_date

WRITE_WITHIN_DAYS = 90


def _meeting(occurrence: Occurrence) -> str:
    return f"{occurrence.series.meeting_type.label} on {spoken_date(occurrence.day)}"


def _minutes_due(occurrence: Occurrence) -> date:
    return add_working_days(occurrence.day, int(current_app.config["MINUTES_PUBLISH_WORKING_DAYS"]))


def _edit_url(occurrence: Occurrence) -> str:
    return url_for("minutes.edit", ref=occurrence.series.family.reference, occurrence_id=occurrence.id)


def minutes_to_write_or_approve(user, on: date) -> list[Todo]:
    """Meetings from their day on whose minutes are not yet published, where the next step is the user's:
    writing them (the minute-taker, or the chair where there is none), approving or publishing (the chair)."""
    tomorrow = datetime.combine(on + timedelta(days=1), time(0), tzinfo=local_zone())
    # Meetings of the last WRITE_WITHIN_DAYS: older ones without minutes are the family page's warning.
    since = datetime.combine(on - timedelta(days=WRITE_WITHIN_DAYS), time(0), tzinfo=local_zone())
    published = exists().where(MinutesVersion.minutes_id == Minutes.id)
    rows = db.session.execute(
        select(Occurrence, Minutes).join(Occurrence.series).join(MeetingSeries.family)
        .outerjoin(Minutes, Minutes.occurrence_id == Occurrence.id)
        .where(Occurrence.starts_at < tomorrow, Occurrence.starts_at >= since,
               Occurrence.status != OccurrenceStatus.CANCELLED,
               Family.status == FamilyStatus.OPEN, or_(Minutes.id.is_(None), ~published),
               or_(MeetingSeries.minute_taker_id == user.id, MeetingSeries.chair_id == user.id))
        .options(contains_eager(Occurrence.series).contains_eager(MeetingSeries.family))
        .order_by(Occurrence.starts_at)
    ).all()
    items = []
    for occurrence, minutes in rows:
        series = occurrence.series
        writer = series.minute_taker_id or series.chair_id
        status = minutes.status if minutes is not None else MinutesStatus.DRAFT
        if status is MinutesStatus.DRAFT and writer == user.id:
            kind = "Change the minutes the chair sent back" if minutes is not None and minutes.change_requested \
                else "Write the minutes"
        elif status is MinutesStatus.AWAITING_APPROVAL and series.chair_id == user.id:
            kind = "Approve the minutes"
        elif status is MinutesStatus.APPROVED and series.chair_id == user.id:
            kind = "Publish the minutes"
        else:
            continue
        items.append(Todo(kind, _meeting(occurrence), family_label(series.family), series.family.reference, _edit_url(occurrence),
                          due=_minutes_due(occurrence)))
    return items


def minutes_to_acknowledge(user, on: date) -> list[Todo]:
    """The latest published version of minutes sent to the user (a network member when it was
    published, or a guest invited to the meeting) that they have not acknowledged; due by the end of the time allowed to ask for corrections."""
    later = aliased(MinutesVersion)
    newer = exists().where(later.minutes_id == MinutesVersion.minutes_id, later.number > MinutesVersion.number)
    member_since = (select(func.min(NetworkMembership.from_date))
                    .where(NetworkMembership.family_id == Family.id, current_membership_clause(user.id, on))
                    .scalar_subquery())
    member_role = exists().where(NetworkMembership.family_id == Family.id, NetworkMembership.role != NetworkRole.GUEST,
                                 current_membership_clause(user.id, on))
    acknowledged = exists().where(Acknowledgement.version_id == MinutesVersion.id, Acknowledgement.user_id == user.id)
    rows = db.session.execute(
        select(MinutesVersion, Occurrence, member_since, member_role)
        .join(MinutesVersion.minutes).join(Minutes.occurrence).join(Occurrence.series).join(MeetingSeries.family)
        .where(~newer, Family.status == FamilyStatus.OPEN, ~acknowledged,
               member_since.is_not(None))
        .options(contains_eager(MinutesVersion.minutes),
                 contains_eager(Occurrence.series).contains_eager(MeetingSeries.family),
                 contains_eager(Occurrence.series).selectinload(MeetingSeries.invitees))
    ).all()
    items = []
    zone = local_zone()
    for version, occurrence, since, member in rows:
        series = occurrence.series
        published_on = version.published_at.astimezone(zone).date()
        if member:  # sent to the network as it was when published; a later joiner reads them, unasked
            sent_to_them = since <= published_on
        else:
            sent_to_them = any(i.user_id == user.id and i.invited_to(occurrence) for i in series.invitees)
        if sent_to_them:
            items.append(Todo("Read and acknowledge the minutes", _meeting(occurrence), family_label(series.family), series.family.reference,
                              url_for("minutes.show_version", ref=series.family.reference,
                                      occurrence_id=occurrence.id, number=version.number),
                              due=add_working_days(published_on, int(current_app.config["MINUTES_CORRECTION_WORKING_DAYS"]))))
    return items


def corrections_to_decide(user, on: date) -> list[Todo]:
    rows = db.session.scalars(
        select(CorrectionRequest).join(CorrectionRequest.version).join(MinutesVersion.minutes)
        .join(Minutes.occurrence).join(Occurrence.series).join(MeetingSeries.family)
        .where(CorrectionRequest.state == CorrectionState.PENDING, MeetingSeries.chair_id == user.id,
               Family.status == FamilyStatus.OPEN)
        .options(contains_eager(CorrectionRequest.version).contains_eager(MinutesVersion.minutes)
                 .contains_eager(Minutes.occurrence).contains_eager(Occurrence.series)
                 .contains_eager(MeetingSeries.family))
    ).all()
    zone = local_zone()
    return [Todo("Decide on a correction to the minutes",
                 f"{_meeting(c.version.minutes.occurrence)}, asked for on {spoken_date(c.created_at.astimezone(zone).date())}",
                 family_label(c.version.minutes.occurrence.series.family), c.version.minutes.occurrence.series.family.reference,
                 url_for("minutes.decide_correction", ref=c.version.minutes.occurrence.series.family.reference,
                         correction_id=c.id))
            for c in rows]


def actions_owned(user, on: date) -> list[Todo]:
    """The open actions the user owns, and those whose closure (not done) waits for them as the chair: one
    query for both."""
    chaired = aliased(Occurrence)
    series = aliased(MeetingSeries)
    awaiting = Action.closure_requested_at.is_not(None)
    rows = db.session.execute(
        select(Action, series.chair_id).join(Action.family)
        .join(chaired, chaired.id == func.coalesce(Action.closure_review_id, Action.agreed_at_id))
        .join(series, series.id == chaired.series_id)
        .where(Action.status == ActionStatus.OPEN, Family.status == FamilyStatus.OPEN,
               or_(Action.owner_id == user.id, awaiting & (series.chair_id == user.id) & exists().where(
                   # a chair who may still open the record (not a guest, not since removed) approves it
                   NetworkMembership.family_id == Action.family_id, current_membership_clause(user.id, on),
                   NetworkMembership.role != NetworkRole.GUEST)))
        .options(contains_eager(Action.family))
    ).all()
    todos = []
    for a, chair_id in rows:
        what = a.description if len(a.description) <= 120 else a.description[:117] + "..."
        if a.owner_id == user.id:
            todos.append(Todo("Do the action you own", what, family_label(a.family), a.family.reference,
                              url_for("minutes.action", ref=a.family.reference, action_id=a.id), due=a.due_date))
        if a.closure_requested_at is not None and chair_id == user.id:
            todos.append(Todo("Approve closing an action not done", what, family_label(a.family), a.family.reference,
                              url_for("minutes.action_closure", ref=a.family.reference, action_id=a.id)))
    return todos


@on(asked)
def minutes_todo(sender, *, user, today, **_):
    return (minutes_to_write_or_approve(user, today) + minutes_to_acknowledge(user, today)
            + corrections_to_decide(user, today) + actions_owned(user, today))

