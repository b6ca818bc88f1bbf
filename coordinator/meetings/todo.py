"""The meetings area's part of each person's to-do list (coordinator.todo): coming meetings they are
invited to and have not answered. One query."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import url_for
from sqlalchemy import exists, select
from sqlalchemy.orm import contains_eager

from coordinator.extensions import db
from coordinator.families.models import Family, FamilyStatus
from coordinator.hooks import on
from coordinator.meetings.models import (
    InvitationResponse,
    Invitee,
    MeetingSeries,
    Occurrence,
    OccurrenceStatus,
    SeriesStatus,
)
from coordinator.timeutil import local_zone, utcnow
from coordinator.todo import Todo, asked, family_label, spoken_date

ANSWER_AHEAD_DAYS = 42  # meetings this far ahead are worth answering now (one cycle of a six-weekly series)


def meetings_to_answer(user, on: date) -> list[Todo]:
    """Meetings from now to ANSWER_AHEAD_DAYS ahead, in series the user is invited to (not as their
    organiser, who is not asked), with no answer from them yet."""
    end = datetime.combine(on + timedelta(days=ANSWER_AHEAD_DAYS + 1), time(0), tzinfo=local_zone())
    answered = exists().where(InvitationResponse.occurrence_id == Occurrence.id,
                              InvitationResponse.user_id == user.id)
    rows = db.session.execute(
        select(Occurrence, Invitee).join(Occurrence.series).join(MeetingSeries.family)
        .join(Invitee, Invitee.series_id == MeetingSeries.id)
        .where(Invitee.user_id == user.id, Invitee.removed_at.is_(None), MeetingSeries.organiser_id != user.id,
               MeetingSeries.status == SeriesStatus.ACTIVE, Family.status == FamilyStatus.OPEN,
               Occurrence.starts_at >= utcnow(), Occurrence.starts_at < end,
               Occurrence.status.in_((OccurrenceStatus.SCHEDULED, OccurrenceStatus.MOVED)), ~answered)
        .options(contains_eager(Occurrence.series).contains_eager(MeetingSeries.family))
        .order_by(Occurrence.starts_at)
    ).all()
    return [Todo("Say whether you will attend", f"{o.series.meeting_type.label} on {spoken_date(o.day)}",
                 family_label(o.series.family), o.series.family.reference,
                 url_for("meetings.respond", ref=o.series.family.reference, occurrence_id=o.id),
                 due=o.day, due_label="Meeting on")
            for o, invitee in rows if invitee.invited_to(o)]


@on(asked)
def meetings_todo(sender, *, user, today, **_):
    return meetings_to_answer(user, today)
