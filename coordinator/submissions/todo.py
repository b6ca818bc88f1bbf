"""The agencies' updates area's part of each person's to-do list (coordinator.todo): updates they owe,
packs ready to read, and people reported as new to a household they lead. One query per kind of item."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import url_for
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import contains_eager

from coordinator.extensions import db
from coordinator.families.access import current_membership_clause
from coordinator.families.models import Family, FamilyStatus, NetworkMembership, NetworkRole
from coordinator.hooks import on
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus
from coordinator.submissions.models import (
    HouseholdProposal,
    ProposalState,
    RequestState,
    Submission,
    SubmissionRequest,
    SubmissionStatus,
)
from coordinator.timeutil import local_zone
from coordinator.todo import Todo, asked, family_label, spoken_date

PACK_AHEAD_DAYS = 14  # a pack shows on the to-do list this long before its meeting


def _meeting(occurrence: Occurrence) -> str:
    return f"{occurrence.series.meeting_type.label} on {spoken_date(occurrence.day)}"


def updates_owed(user, on: date) -> list[Todo]:
    """Requests addressed to the user that are still waiting for their update (a draft included)."""
    rows = db.session.scalars(
        select(SubmissionRequest)
        .join(SubmissionRequest.occurrence).join(Occurrence.series).join(MeetingSeries.family)
        .where(or_(SubmissionRequest.recipient_id == user.id, SubmissionRequest.deputy_id == user.id),
               SubmissionRequest.state == RequestState.OPEN,
               Family.status == FamilyStatus.OPEN,
               Occurrence.status.in_((OccurrenceStatus.SCHEDULED, OccurrenceStatus.MOVED)))
        .options(contains_eager(SubmissionRequest.occurrence).contains_eager(Occurrence.series)
                 .contains_eager(MeetingSeries.family))
    ).all()
    drafts = set(db.session.scalars(select(Submission.request_id).where(
        Submission.request_id.in_([r.id for r in rows]), Submission.status == SubmissionStatus.DRAFT))) if rows else set()
    return [Todo("Finish your agency's update" if r.id in drafts else "Write your agency's update",
                 _meeting(r.occurrence),
                 family_label(r.occurrence.series.family), r.occurrence.series.family.reference,
                 url_for("submissions.update_form", ref=r.occurrence.series.family.reference, request_id=r.id),
                 due=r.deadline)
            for r in rows]


def packs_to_read(user, on: date) -> list[Todo]:
    """Coming meetings the user chairs, takes the minutes of or leads, with at least one update in."""
    zone = local_zone()
    start = datetime.combine(on, time(0), tzinfo=zone)
    end = datetime.combine(on + timedelta(days=PACK_AHEAD_DAYS + 1), time(0), tzinfo=zone)
    leads = exists().where(NetworkMembership.family_id == MeetingSeries.family_id,
                           NetworkMembership.role == NetworkRole.LEAD, current_membership_clause(user.id, on))
    submitted = exists().where(Submission.occurrence_id == Occurrence.id,
                               Submission.status == SubmissionStatus.SUBMITTED)
    rows = db.session.scalars(
        select(Occurrence).join(Occurrence.series).join(MeetingSeries.family)
        .where(Occurrence.starts_at >= start, Occurrence.starts_at < end,
               Occurrence.status.in_((OccurrenceStatus.SCHEDULED, OccurrenceStatus.MOVED)),
               Family.status == FamilyStatus.OPEN, submitted,
               or_(MeetingSeries.chair_id == user.id, MeetingSeries.minute_taker_id == user.id, leads))
        .options(contains_eager(Occurrence.series).contains_eager(MeetingSeries.family))
    ).all()
    return [Todo("Read the pre-meeting pack", _meeting(o), family_label(o.series.family), o.series.family.reference,
                 url_for("submissions.meeting_pack", ref=o.series.family.reference, occurrence_id=o.id),
                 due=o.day, due_label="Meeting on")
            for o in rows]


def proposals_to_decide(user, on: date) -> list[Todo]:
    """People agencies reported as living in or visiting a home, waiting for the lead professional."""
    rows = db.session.execute(
        select(Family, func.count(HouseholdProposal.id), func.min(HouseholdProposal.created_at))
        .join(HouseholdProposal, HouseholdProposal.family_id == Family.id)
        .where(HouseholdProposal.state == ProposalState.PENDING, Family.status == FamilyStatus.OPEN,
               exists().where(and_(NetworkMembership.family_id == Family.id, NetworkMembership.role == NetworkRole.LEAD,
                                   current_membership_clause(user.id, on))))
        .group_by(Family.id)
    ).all()
    return [Todo("Decide who joins the household",
                 f"{count} {'person' if count == 1 else 'people'} reported by agencies' updates",
                 family_label(family), family.reference, url_for("families.show", ref=family.reference) + "#household",
                 due=None)
            for family, count, _ in rows]


@on(asked)
def updates_todo(sender, *, user, today, **_):
    return updates_owed(user, today) + packs_to_read(user, today) + proposals_to_decide(user, today)
