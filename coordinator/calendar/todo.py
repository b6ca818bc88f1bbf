"""The calendar's part of each person's to-do list (coordinator.todo): for a lead professional, what came
back to the organiser address that needs a person (messages kept) and new times proposed from calendars.
One query each."""
from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import func, literal, select, union_all

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
    """Replies kept to read and proposed times to decide, per family the user leads: one query."""
    kept = (select(InboundMessage.family_id.label("family_id"), literal("reply").label("kind"))
            .where(InboundMessage.state == InboundState.KEPT))
    proposed = (select(MeetingSeries.family_id.label("family_id"), literal("proposal").label("kind"))
                .join(Occurrence, Occurrence.series_id == MeetingSeries.id)
                .join(ProposedTime, ProposedTime.occurrence_id == Occurrence.id)
                .where(ProposedTime.status == ProposalStatus.WAITING))
    waiting = union_all(kept, proposed).subquery()
    rows = db.session.execute(
        select(Family, waiting.c.kind, func.count())
        .join(waiting, waiting.c.family_id == Family.id)
        .where(Family.id.in_(_led_by(user, on)), Family.status == FamilyStatus.OPEN)
        .group_by(Family.id, waiting.c.kind)).all()
    items = []
    for family, kind, count in rows:
        if kind == "reply":
            items.append(Todo("Read replies about meetings", f"{count} {'reply' if count == 1 else 'replies'} to read",
                              family_label(family), family.reference,
                              url_for("calendar.messages", ref=family.reference)))
        else:
            items.append(Todo("Decide on a new time proposed",
                              f"{count} {'proposal' if count == 1 else 'proposals'} from calendars",
                              family_label(family), family.reference,
                              url_for("calendar.messages", ref=family.reference)))
    return items
