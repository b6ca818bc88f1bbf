"""The agencies' updates area's part in the areas below it (coordinator.hooks): people reported as new to the
household on the family page, and the update due and the pack on a meeting's page."""
from flask import render_template
from sqlalchemy import select

from coordinator.auth import signals as auth_signals
from coordinator.extensions import db
from coordinator.families import signals as family_signals
from coordinator.families.access import membership_of
from coordinator.families.models import NetworkRole
from coordinator.hooks import fills, on
from coordinator.meetings import signals as meeting_signals
from coordinator.meetings.models import OccurrenceStatus
from coordinator.submissions import services
from coordinator.submissions import todo as _todo  # noqa: F401 - connects its part of the to-do list
from coordinator.submissions.models import SubmissionRequest


@fills("family.household", priority=10)
def proposals(family, can_manage, **context):
    return render_template("submissions/_proposals.html", family=family, can_manage=can_manage,
                           proposals=services.pending_proposals(family))


@fills("meeting.links", priority=10)
def meeting_updates(family, occurrence, user, **context):
    requests = []
    if occurrence.status in (OccurrenceStatus.SCHEDULED, OccurrenceStatus.MOVED):
        rows = db.session.scalars(select(SubmissionRequest).where(SubmissionRequest.occurrence_id == occurrence.id))
        requests = [r for r in rows if services.may_write(r, user)]
    membership = membership_of(family, user)
    may_see_updates = membership is not None and membership.role is not NetworkRole.GUEST
    return render_template("submissions/_meeting_links.html", family=family, occurrence=occurrence,
                           requests=requests, may_see_updates=may_see_updates)


@on(auth_signals.user_changed)
def recheck_their_meetings(user, **_):
    """A person's agency or whether they are active decides who is asked for an update: the meetings they
    are invited to are worked out again on the next tick, not tomorrow."""
    services.forget_checked_for(user)


@on(meeting_signals.occurrence_in_use)
def meeting_has_requests(occurrence, **_):
    """A meeting an update was asked for stays (cancelled) when its series is cut short: the request, and
    any draft or update written for it, are kept; the request is closed at the next tick."""
    return db.session.scalar(select(SubmissionRequest.id).where(SubmissionRequest.occurrence_id == occurrence.id)
                             .limit(1)) is not None


@on(family_signals.family_closed)
def close_the_family_requests(family, **_):
    """A closed family is asked for nothing more: its requests still waiting or open are closed (what was
    drafted or submitted stays)."""
    services.close_requests_of(family)


@on(meeting_signals.deputy_named)
def deputy_writes_the_update(occurrence, for_user, deputy, **_):
    """The deputy may write the update the invitee was asked for, for that meeting (the invitee still may)."""
    for request in db.session.scalars(select(SubmissionRequest).where(SubmissionRequest.occurrence_id == occurrence.id,
                                                                      SubmissionRequest.recipient_id == for_user.id)):
        request.deputy_id = deputy.id if deputy is not None else None
