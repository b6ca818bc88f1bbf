"""The calendar's part of each person's to-do list (coordinator.todo): for a lead professional, what came
back to the organiser address that needs a person (messages kept) and new times proposed from calendars.
One query each."""
from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.families.access import current_membership_clause
from coordinator.families.models import Family, FamilyStatus, NetworkMembership, NetworkRole
from coordinator.meetings.models import MeetingSeries, Occurrence, ProposalStatus, ProposedTime
from coordinator.notify.models import InboundMessage, InboundState
from coordinator.todo import Todo, family_label


def _led_by(user, on: date):
    return (select(NetworkMembership.family_id)
            .where(current_membership_clause(user.id, on), NetworkMembership.role == NetworkRole.LEAD))


def calendar_todo(user, on: date) -> list[Todo]:
    led = _led_by(user, on)
    kept = db.session.execute(
        select(Family, func.count(InboundMessage.id), func.min(InboundMessage.received_at))
        .join(InboundMessage, InboundMessage.family_id == Family.id)
        .where(Family.id.in_(led), Family.status == FamilyStatus.OPEN, InboundMessage.state == InboundState.KEPT)
        .group_by(Family.id)).all()
    proposed = db.session.execute(
        select(Family, func.count(ProposedTime.id))
        .join(MeetingSeries, MeetingSeries.family_id == Family.id)
        .join(Occurrence, Occurrence.series_id == MeetingSeries.id)
        .join(ProposedTime, ProposedTime.occurrence_id == Occurrence.id)
        .where(Family.id.in_(led), Family.status == FamilyStatus.OPEN, ProposedTime.status == ProposalStatus.WAITING)
        .group_by(Family.id)).all()
    items = []
    for family, count, _first in kept:
        items.append(Todo("Read replies about meetings", f"{count} {'reply' if count == 1 else 'replies'} to read",
                          family_label(family), family.reference,
                          url_for("calendar.messages", ref=family.reference)))
    for family, count in proposed:
        items.append(Todo("Decide on a new time proposed",
                          f"{count} {'proposal' if count == 1 else 'proposals'} from calendars",
                          family_label(family), family.reference,
                          url_for("calendar.messages", ref=family.reference)))
    return items
