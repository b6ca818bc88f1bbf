"""What the agencies' updates tell the lead professional (coordinator.notify.personal): an update submitted,
an update not in by its deadline, a new person reported in the household. A line and a link; the family
named by its reference only."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coordinator.extensions import db
from coordinator.families.models import NetworkMembership, NetworkRole
from coordinator.notify.personal import notify_person
from coordinator.submissions.models import Submission, SubmissionRequest
from coordinator.timeutil import today
from coordinator.todo import spoken_date
from coordinator.urls import external_url


def leads_of(family_ids) -> dict[int, list]:
    """The current lead professionals of each family, in one query."""
    rows = db.session.scalars(select(NetworkMembership).where(
        NetworkMembership.family_id.in_(set(family_ids)), NetworkMembership.role == NetworkRole.LEAD,
        NetworkMembership.removed_at.is_(None), NetworkMembership.from_date <= today())
        .options(joinedload(NetworkMembership.user))).all()
    found: dict[int, list] = {}
    for membership in rows:
        if membership.is_current(today()):
            found.setdefault(membership.family_id, []).append(membership.user)
    return found


def _meeting(request: SubmissionRequest) -> str:
    occurrence = request.occurrence
    return f"{occurrence.series.meeting_type.in_a_sentence} on {spoken_date(occurrence.day)}"


def _updates_page(request: SubmissionRequest) -> str:
    return external_url("submissions.meeting_updates", ref=request.occurrence.series.family.reference,
                        occurrence_id=request.occurrence_id)


def update_submitted(submission: Submission) -> None:
    request = submission.request
    ref = request.occurrence.series.family.reference
    what = "amended" if submission.amended else "submitted"
    for lead in leads_of([request.family_id]).get(request.family_id, []):
        if lead.id == submission.author_id:
            continue
        notify_person(lead, "update_submitted", key=f"{submission.id}:v{submission.version}",
                      subject=f"An agency's update was {what}: family {ref}",
                      line=f"{request.agency.name} {what} its update for {_meeting(request)} (family {ref}).",
                      url=_updates_page(request), family_id=request.family_id)


def updates_late(requests: list[SubmissionRequest]) -> list[SubmissionRequest]:
    """Requests whose deadline has passed with no update in: the lead is told once per request and deadline.
    Returns the requests whose lead was told (a family with no lead just now is told once it has one)."""
    leads = leads_of([r.family_id for r in requests]) if requests else {}
    told = []
    for request in requests:
        ref = request.occurrence.series.family.reference
        if leads.get(request.family_id):
            told.append(request)
        for lead in leads.get(request.family_id, []):
            if lead.id == request.recipient_id:
                continue
            notify_person(lead, "update_late", key=f"{request.id}:{request.deadline.isoformat()}",
                          subject=f"An agency's update is late: family {ref}",
                          line=f"{request.agency.name} has not sent its update for {_meeting(request)} (family "
                               f"{ref}); it was due by {spoken_date(request.deadline)}.",
                          url=_updates_page(request), family_id=request.family_id)
    return told


def person_proposed(submission: Submission, count: int) -> None:
    request = submission.request
    ref = request.occurrence.series.family.reference
    for lead in leads_of([request.family_id]).get(request.family_id, []):
        notify_person(lead, "person_proposed", key=f"{submission.id}:v{submission.version}",
                      subject=f"A new person reported in the household: family {ref}",
                      line=f"{request.agency.name}'s update reports {count} "
                           f"{'person' if count == 1 else 'people'} living in or visiting the home who "
                           f"{'is' if count == 1 else 'are'} not on the family's record (family {ref}). Decide "
                           "whether to add them to the household.",
                      url=external_url("families.show", ref=ref) + "#household", family_id=request.family_id)

