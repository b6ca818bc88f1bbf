"""Who may write, read and oversee agencies' updates, beyond the family guard (coordinator.families.access).
Each predicate takes (user, family, **the records the route loaded) and is named on the route; the rules
they share with the services (who may write an update) are the services' own functions."""
from __future__ import annotations

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.families.access import is_lead, membership_of, refuses
from coordinator.families.models import NetworkRole
from coordinator.submissions import services
from coordinator.submissions.models import SubmissionRequest, SubmissionStatus


def _chair_minute_taker_or_lead(user, family, occurrence) -> bool:
    series = occurrence.series
    return user.id in (series.chair_id, series.minute_taker_id) or is_lead(family, user)


@refuses(403, "Only the professional asked for this update, or a colleague from the same agency in the family's "
              "network, can write it.")
def may_write_update(user, family, update_request, **_) -> bool:
    return services.may_write(update_request, user)


@refuses(403, "Only the chair or the lead professional can allow an agency more than one update.")
def may_allow_several(user, family, update_request, **_) -> bool:
    return user.id == update_request.occurrence.series.chair_id or is_lead(family, user)


@refuses(403, "The pre-meeting pack is for the chair, the lead professional and the minute-taker, and after the "
              "deadline for everyone who sent an update.")
def may_see_pack(user, family, occurrence, **_) -> bool:
    """The chair, lead professional and minute-taker; after the deadline, every network member who submitted."""
    if _chair_minute_taker_or_lead(user, family, occurrence):
        return True
    requests = db.session.scalars(select(SubmissionRequest).where(SubmissionRequest.occurrence_id == occurrence.id)).all()
    past = bool(requests) and all(services.is_past_deadline(r) for r in requests)
    submitted = any(s.author_id == user.id and s.status is SubmissionStatus.SUBMITTED
                    for r in requests for s in r.submissions)
    membership = membership_of(family, user)
    return past and submitted and membership is not None and membership.role is not NetworkRole.GUEST


def may_allow_several_for(user, family, occurrence) -> bool:
    """Whether the meeting's updates page offers to allow several updates from one agency."""
    return _chair_minute_taker_or_lead(user, family, occurrence)


@refuses(404)
def may_read_update(user, family, update_request, submission, **_) -> bool:
    """An update by those who may write it (a draft only by them); a submitted one also by whoever may see
    its meeting's pack, under the pack's rule: before the deadline no other agency reads it. An
    administrator who has opened the record (the guard let them in) reads what the network reads."""
    if submission.request_id != update_request.id:
        return False
    if services.may_write(update_request, user):
        return True
    if submission.status is SubmissionStatus.DRAFT:
        return False
    if user.is_admin and membership_of(family, user) is None:
        return True
    return may_see_pack(user, family, update_request.occurrence)
