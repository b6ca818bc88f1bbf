"""Requests for agencies' updates, the updates themselves, and the pre-meeting pack.

Requests and reminders are scheduler work through the outbox: idempotent (each email has its own key) and
caught up after downtime. Deadlines follow the meeting: move the meeting and its deadline moves too.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.orm import joinedload

from coordinator.audit import services as audit
from coordinator.auth.models import User
from coordinator.concurrency import claim_revision, flush_or_raise
from coordinator.extensions import db, rows_matched
from coordinator.families import services as family_services
from coordinator.families.access import current_membership_clause, membership_of
from coordinator.families.models import (
    Family,
    FamilyStatus,
    NetworkMembership,
    NetworkRole,
    Presence,
    Relationship,
    Sex,
    SightingKind,
)
from coordinator.meetings.models import Invitee, MeetingDeputy, MeetingSeries, Occurrence, OccurrenceStatus
from coordinator.meetings.workdays import add_working_days
from coordinator.notify.services import enqueue_template
from coordinator.submissions import notices
from coordinator.submissions.document import UpdateDocument
from coordinator.submissions.models import (
    HouseholdProposal,
    ProposalState,
    RequestsChecked,
    RequestState,
    Submission,
    SubmissionRequest,
    SubmissionStatus,
    SubmissionVersion,
)
from coordinator.timeutil import local_zone, long_date, today, utcnow
from coordinator.urls import external_url


class UpdateError(ValueError):
    pass


class StaleUpdate(UpdateError):
    pass


# --- dates --------------------------------------------------------------------------------------------


def deadline_for(occurrence: Occurrence) -> date:
    return add_working_days(occurrence.day, -int(current_app.config["UPDATE_DEADLINE_WORKING_DAYS"]))


def send_on_for(occurrence: Occurrence) -> date:
    return add_working_days(occurrence.day, -int(current_app.config["UPDATE_REQUEST_WORKING_DAYS"]))


def reminder_days(deadline: date) -> list[date]:
    return sorted({add_working_days(deadline, -int(n)) if n else deadline
                   for n in current_app.config["UPDATE_REMINDER_WORKING_DAYS_BEFORE_DEADLINE"]})


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), local_zone())


def is_past_deadline(request: SubmissionRequest, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= end_of(request.deadline)


# --- requests -----------------------------------------------------------------------------------------

def _recipients_by_agency(occurrence: Occurrence) -> dict[int, User]:
    """One named professional per invited agency: the first invitee of that agency who is not the chair.
    The chair prepares from the updates rather than writing one, so an agency whose only invitee is the
    chair is not asked."""
    series = occurrence.series
    chosen: dict[int, User] = {}
    for invitee in series.current_invitees:
        user = invitee.user
        if user.agency_id is None or not user.active or user.id == series.chair_id:
            continue
        chosen.setdefault(user.agency_id, user)
    return chosen


def deputies_named(occurrence_ids) -> dict[tuple[int, int], int]:
    """The deputies named for these meetings: {(meeting, invitee): deputy}, in one query."""
    return {(o, f): d for o, f, d in db.session.execute(
        select(MeetingDeputy.occurrence_id, MeetingDeputy.for_user_id, MeetingDeputy.deputy_id).where(
            MeetingDeputy.occurrence_id.in_(list(occurrence_ids)), MeetingDeputy.withdrawn_at.is_(None)))}


def ensure_requests(occurrence: Occurrence, existing: dict[int, SubmissionRequest] | None = None,
                    flush: bool = True, deputies: dict[tuple[int, int], int] | None = None) -> list[SubmissionRequest]:
    """Create the occurrence's requests (one per invited agency) if missing; keep their dates in step with
    the meeting. ``existing``: its requests by agency, if the caller has read them with others';
    ``deputies``: the deputies named, by (meeting, invitee), likewise."""
    if existing is None:
        existing = {r.agency_id: r for r in db.session.scalars(
            select(SubmissionRequest).where(SubmissionRequest.occurrence_id == occurrence.id))}
    deadline, send_on = deadline_for(occurrence), send_on_for(occurrence)
    for agency_id, user in _recipients_by_agency(occurrence).items():
        request = existing.get(agency_id)
        if request is None:
            request = SubmissionRequest(occurrence_id=occurrence.id, family_id=occurrence.series.family_id,
                                        agency_id=agency_id, recipient_id=user.id, state=RequestState.WAITING,
                                        send_on=send_on, deadline=deadline)
            db.session.add(request)
            existing[agency_id] = request
    made = [r for r in existing.values() if r.id is None]
    if made:  # an invitee may have named a deputy before the request was made: the deputy may write it too
        if deputies is None:
            deputies = deputies_named([occurrence.id])
        for request in made:
            request.deputy_id = deputies.get((occurrence.id, request.recipient_id))
    asked = _recipients_by_agency(occurrence)
    for request in existing.values():
        if request.deadline != deadline:
            request.lead_told_late_at = None  # a new deadline: late against it is news again
        request.deadline, request.send_on = deadline, send_on
        if request.agency_id not in asked and request.state in (RequestState.WAITING, RequestState.OPEN):
            request.state = RequestState.CLOSED  # the agency is no longer invited: no more reminders
    if flush:
        db.session.flush()
    return [r for r in existing.values() if r.agency_id in asked or r.state is not RequestState.CLOSED]


def _meeting_label(occurrence: Occurrence) -> str:
    return f"{occurrence.series.meeting_type.label.lower()} (ref {occurrence.series.family.reference})"


def _update_url(request: SubmissionRequest) -> str:
    return external_url("submissions.update_form", ref=request.occurrence.series.family.reference,
                        request_id=request.id)


def _email_request(request: SubmissionRequest, kind: str, key: str, checked: bool = False) -> None:
    occurrence = request.occurrence
    subjects = {
        "request": "Your update for the {meeting} on {day} is due by {deadline}",
        "reminder": "Reminder: your update for the {meeting} on {day} is due by {deadline}",
        "handed_over": "You have been asked to write the update for the {meeting} on {day}",
    }
    day = occurrence.day.strftime("%-d %B")
    deadline = request.deadline.strftime("%-d %B")
    subject = subjects[kind].format(meeting=_meeting_label(occurrence), day=day, deadline=deadline)
    enqueue_template(key, to=request.recipient.email, subject=subject[0].upper() + subject[1:],
                     template="update_request", kind=f"update_{kind}", family_id=request.family_id,
                     meeting=_meeting_label(occurrence), day=day, deadline=deadline, url=_update_url(request),
                     reminder=kind == "reminder", checked=checked)



def run_requests(now: datetime | None = None, may_go_on: Callable[[], bool] = lambda: True) -> dict[str, int]:
    """The scheduler's job: send requests that are due, remind those who have not submitted, close what is
    over. Safe to run any number of times: every email has its own key. A batch of meetings at a time, read
    together and committed together, asking ``may_go_on`` before the next: a run that has lost the
    scheduler's lease stops rather than run alongside the new holder. Requests and reminders fall due by
    the day, so a meeting already worked out today is not read again unless its series has changed since."""
    now = now or utcnow()
    day = now.astimezone(local_zone()).date()
    lookahead = now + timedelta(days=int(current_app.config["UPDATE_LOOKAHEAD_DAYS"]))
    counts = {"requests": 0, "reminders": 0, "skipped": 0, "closed": 0}
    due = db.session.scalars(
        select(Occurrence.id).join(MeetingSeries).join(Family, Family.id == MeetingSeries.family_id)
        .outerjoin(RequestsChecked, RequestsChecked.occurrence_id == Occurrence.id)
        .where(Occurrence.starts_at > now, Occurrence.starts_at <= lookahead,
               Occurrence.status.in_([OccurrenceStatus.SCHEDULED, OccurrenceStatus.MOVED]),
               Family.status != FamilyStatus.CLOSED,
               (RequestsChecked.occurrence_id.is_(None)) | (RequestsChecked.checked_on != day)
               | (RequestsChecked.series_revision != MeetingSeries.revision))
        .order_by(Occurrence.starts_at, Occurrence.id)).all()
    batch = int(current_app.config["UPDATE_REQUESTS_BATCH"])
    for start in range(0, len(due), batch):
        if not may_go_on():
            return counts
        _requests_for(due[start:start + batch], now, day, counts)
        db.session.commit()
    if may_go_on():
        counts["closed"] = _close_finished(now)
        db.session.commit()
    return counts


def _requests_for(occurrence_ids: Sequence[int], now: datetime, day: date, counts: dict[str, int]) -> None:
    """One batch of meetings: their series, invitees, requests, submissions and queued reminders read in a
    query each; new requests written in one statement."""
    occurrences = db.session.scalars(
        select(Occurrence).where(Occurrence.id.in_(occurrence_ids)).order_by(Occurrence.starts_at, Occurrence.id)
        .options(joinedload(Occurrence.series).joinedload(MeetingSeries.family),
                 joinedload(Occurrence.series).selectinload(MeetingSeries.invitees).joinedload(Invitee.user))
    ).unique().all()
    existing: dict[int, dict[int, SubmissionRequest]] = {}
    for row in db.session.scalars(select(SubmissionRequest).where(SubmissionRequest.occurrence_id.in_(occurrence_ids))
                                  .options(joinedload(SubmissionRequest.recipient))):
        existing.setdefault(row.occurrence_id, {})[row.agency_id] = row
    deputies = deputies_named(occurrence_ids)
    every = [request for occurrence in occurrences
             for request in ensure_requests(occurrence, existing.setdefault(occurrence.id, {}), flush=False,
                                            deputies=deputies)]
    asking = [request for request in every if request.state is RequestState.WAITING and request.send_on <= day]
    for request in asking:
        request.state, request.sent_at = RequestState.OPEN, now  # a new request is written already open
    db.session.flush()  # the new requests, together: their ids make the emails' keys
    for request in asking:
        _email_request(request, "request", f"update-request:{request.id}", checked=True)
        counts["requests"] += 1
    submitted = set(db.session.scalars(select(Submission.request_id).where(
        Submission.request_id.in_([r.id for r in every]), Submission.status == SubmissionStatus.SUBMITTED)))
    late = [r for r in every if r.state is RequestState.OPEN and r.id not in submitted and r.deadline < day
            and r.lead_told_late_at is None]
    for request in notices.updates_late(late):
        request.lead_told_late_at = now
    reminders: dict[int, str] = {}
    for request in every:
        if request.state is RequestState.OPEN and request.id not in submitted:
            # Only the latest reminder that has fallen due: after downtime, one reminder, not a burst; and
            # none for a day before the request itself went out.
            sent_day = request.sent_at.astimezone(local_zone()).date() if request.sent_at else day
            due = [n for n, when in enumerate(reminder_days(request.deadline), start=1) if sent_day < when <= day]
            if due:
                reminders[request.id] = f"update-reminder:{request.id}:{request.deadline.isoformat()}:{due[-1]}"
    queued = _queued(list(reminders.values()))
    for request in every:
        key = reminders.get(request.id)
        if key and key not in queued:
            _email_request(request, "reminder", key, checked=True)
            counts["reminders"] += 1
    _remember_checked(occurrences, day)


def _remember_checked(occurrences: Sequence[Occurrence], day: date) -> None:
    ids = [o.id for o in occurrences]
    db.session.execute(delete(RequestsChecked).where(RequestsChecked.occurrence_id.in_(ids)))
    db.session.execute(insert(RequestsChecked), [
        {"occurrence_id": o.id, "checked_on": day, "series_revision": o.series.revision} for o in occurrences])


def forget_checked_for(user: User) -> None:
    """The request job works out again the meetings of every series ``user`` is invited to."""
    series = select(Invitee.series_id).where(Invitee.user_id == user.id, Invitee.removed_at.is_(None))
    meetings = select(Occurrence.id).where(Occurrence.series_id.in_(series))
    db.session.execute(delete(RequestsChecked).where(RequestsChecked.occurrence_id.in_(meetings)))


def _queued(keys: list[str]) -> set[str]:
    from coordinator.notify.models import OutboxMessage

    return set(db.session.scalars(select(OutboxMessage.idempotency_key)
                                  .where(OutboxMessage.idempotency_key.in_(keys)))) if keys else set()


def close_requests_of(family) -> int:
    """Close the family's requests still waiting or open (its record was closed): no more reminders."""
    requests = db.session.scalars(select(SubmissionRequest).where(
        SubmissionRequest.family_id == family.id,
        SubmissionRequest.state.in_([RequestState.WAITING, RequestState.OPEN]))).all()
    for request in requests:
        request.state = RequestState.CLOSED
    audit.record_each("update_request_closed", object_type="submission_request", object_ids=[r.id for r in requests],
                      family_id=family.id, detail="family record closed")
    return len(requests)


def _close_finished(now: datetime) -> int:
    """Requests for meetings that were cancelled, held or have passed are closed; reminders that were due
    while the scheduler was down are skipped, with a record, rather than sent after the meeting."""
    closed = 0
    open_requests = db.session.scalars(
        select(SubmissionRequest).join(Occurrence, SubmissionRequest.occurrence_id == Occurrence.id)
        .where(SubmissionRequest.state.in_([RequestState.WAITING, RequestState.OPEN]),
               (Occurrence.starts_at <= now) | Occurrence.status.in_([OccurrenceStatus.CANCELLED,
                                                                       OccurrenceStatus.HELD]))
        .options(joinedload(SubmissionRequest.occurrence))
    ).all()
    if not open_requests:
        return 0
    today_here = now.astimezone(local_zone()).date()
    submitted = set(db.session.scalars(select(Submission.request_id).where(
        Submission.request_id.in_([r.id for r in open_requests]), Submission.status == SubmissionStatus.SUBMITTED)))
    keys = {r.id: [f"update-reminder:{r.id}:{r.deadline.isoformat()}:{n}"
                   for n in range(1, len(reminder_days(r.deadline)) + 1)] for r in open_requests}
    queued = _queued([key for request_keys in keys.values() for key in request_keys])
    for request in open_requests:
        # Only reminders that had fallen due: a meeting cancelled before its reminders skipped none.
        skipped = [] if request.id in submitted else [
            d for key, d in zip(keys[request.id], reminder_days(request.deadline), strict=True)
            if key not in queued
            and d < request.occurrence.starts_at.astimezone(local_zone()).date() and d <= today_here]
        request.state = RequestState.CLOSED
        audit.record("update_request_closed", object_type="submission_request", object_id=request.id,
                     family_id=request.family_id,
                     detail=f"meeting {request.occurrence.status.name.lower()}"
                     + (f"; reminders not sent: {', '.join(d.isoformat() for d in skipped)}" if skipped else ""))
        closed += 1
    return closed


# --- who may write -------------------------------------------------------------------------------------

def may_write(request: SubmissionRequest, user: User) -> bool:
    if user.id == request.recipient_id:
        return True
    if request.deputy_id is not None and user.id == request.deputy_id:
        from coordinator.meetings.deputies import is_deputy_at

        return is_deputy_at(request.occurrence, user)  # still sent, by someone still invited
    if user.agency_id != request.agency_id:
        return False
    on = today()
    return db.session.scalar(select(NetworkMembership.id).where(
        NetworkMembership.family_id == request.family_id, current_membership_clause(user.id, on),
        NetworkMembership.role != NetworkRole.GUEST)) is not None


def in_network(family, user: User) -> bool:
    """A current member of the family's network (a guest, invited to its meetings only, is not)."""
    membership = membership_of(family, user)
    return membership is not None and membership.role is not NetworkRole.GUEST


def colleagues_in_network(request: SubmissionRequest) -> list[User]:
    """Who the request may be handed to, in one query: active colleagues of its agency in the family's
    network (not guests); the lead professional decides who sees the household the update shows."""
    return list(db.session.scalars(
        select(User).where(User.agency_id == request.agency_id, User.active.is_(True), User.id != request.recipient_id,
                           exists().where(NetworkMembership.family_id == request.family_id,
                                          NetworkMembership.role != NetworkRole.GUEST,
                                          current_membership_clause(User.id, today())))
        .order_by(User.name)))


def hand_over(request: SubmissionRequest, *, actor: User, colleague: User) -> None:
    if colleague.agency_id != request.agency_id:
        raise UpdateError("Choose a colleague from your own agency")
    if not colleague.active:
        raise UpdateError("That colleague's account is deactivated")
    if colleague.id == request.recipient_id:
        raise UpdateError("The request is already theirs")
    if not in_network(request.occurrence.series.family, colleague):
        # Writing the update shows the household: only the lead professional decides who sees that.
        raise UpdateError(f"{colleague.name} is not in this family's professional network: ask the lead "
                          "professional to add them first")
    request.recipient_id = colleague.id
    request.recipient = colleague
    request.handed_over_by_id = actor.id
    audit.record("update_request_handed_over", object_type="submission_request", object_id=request.id,
                 family_id=request.family_id, actor=actor, detail=f"to user {colleague.id}")
    _email_request(request, "handed_over", f"update-handover:{request.id}:{colleague.id}:{utcnow().isoformat()}")


# --- updates ------------------------------------------------------------------------------------------

def submission_for(request: SubmissionRequest, user: User) -> Submission | None:
    """The update this user works on for the request: the agency's one update, or (when the chair allows
    several) their own."""
    if request.allow_several:
        return next((s for s in request.submissions if s.author_id == user.id), None)
    return request.submissions[0] if request.submissions else None


def slot_for(request: SubmissionRequest, user: User) -> int:
    """Which update of the request a new draft is: the agency's one (0), or, when the chair allows several,
    the author's own."""
    return user.id if request.allow_several else 0


def _check_open(request: SubmissionRequest, now: datetime) -> None:
    occurrence = request.occurrence
    if occurrence.status is OccurrenceStatus.CANCELLED:
        raise UpdateError("This meeting was cancelled: no update is needed")
    if occurrence.starts_at <= now:  # held meetings have started, too
        raise UpdateError("This meeting has taken place: updates can no longer be given for it")
    if request.state is RequestState.CLOSED:
        raise UpdateError("This request is closed")


def _check_writer(request: SubmissionRequest, user: User) -> None:
    if not may_write(request, user):
        raise UpdateError("Only the professional asked, or a colleague from the same agency in the network, can "
                          "write this update")


def _check_amendable(submission: Submission | None, request: SubmissionRequest, now: datetime) -> None:
    """A submitted update is amended until its deadline, not after."""
    if submission is not None and submission.status is SubmissionStatus.SUBMITTED and is_past_deadline(request, now):
        raise UpdateError("The deadline has passed, so this update can no longer be amended. Tell the chair about "
                          "anything new at the meeting.")


def save(request: SubmissionRequest, user: User, data: dict, *, submit: bool,
         expected_revision: int | None, now: datetime | None = None) -> Submission:
    """Save a draft, or submit (or amend) the update. ``now`` is for loading past updates (the demo)."""
    now = now or utcnow()
    _check_open(request, now)
    _check_writer(request, user)
    submission = submission_for(request, user)
    stale = StaleUpdate("This update was changed in another tab or by a colleague since you opened it. Your "
                        "text is below and has not been saved: check it against the saved update, then save again.")
    if submission is not None and expected_revision is not None and submission.revision != expected_revision:
        raise stale
    if submission is None and expected_revision not in (None, 0):
        raise stale  # opened on an update that is no longer there
    if submission is None:
        # A first save: the database allows one update per request and slot, so of two first saves at the
        # same instant one makes the draft and the other is shown it.
        submission = Submission(request=request, occurrence_id=request.occurrence_id, family_id=request.family_id,
                                agency_id=request.agency_id, author_id=user.id, status=SubmissionStatus.DRAFT,
                                slot=slot_for(request, user), revision=1, version=0, late=False, data="{}")
        db.session.add(submission)
        flush_or_raise(stale)
    else:
        claim_revision(submission, expected_revision, stale)
    _check_amendable(submission, request, now)
    if not submit and submission.status is SubmissionStatus.SUBMITTED:
        # A draft would overwrite what the chair already reads, with no new version.
        raise UpdateError("This update has been submitted, so it cannot be saved as a draft. To change it, submit "
                          "the amended update: it becomes a new version.")
    submission.data = json.dumps(data, sort_keys=True)
    submission.updated_at = now
    submission.author_id = user.id
    if submit:
        submission.status = SubmissionStatus.SUBMITTED
        submission.version += 1
        submission.submitted_at = now
        submission.first_submitted_at = submission.first_submitted_at or now
        submission.late = submission.late or is_past_deadline(request, now)
        db.session.flush()
        db.session.add(SubmissionVersion(submission_id=submission.id, version=submission.version,
                                         data=submission.data, author_id=user.id, submitted_at=now,
                                         late=is_past_deadline(request, now)))
        request.state = RequestState.SUBMITTED
        earlier = submission.versions[-2].data if len(submission.versions) >= 2 else None
        proposed = _apply_household(submission, data, user, now, previous=json.loads(earlier) if earlier else {})
        notices.update_submitted(submission)
        if proposed:
            notices.person_proposed(submission, proposed)
    db.session.flush()
    audit.record("update_submitted" if submit else "update_draft_saved", object_type="submission",
                 object_id=submission.id, family_id=request.family_id, actor=user,
                 detail=f"version {submission.version}" + (" (late)" if submission.late and submit else ""))
    return submission


def check_may_submit(request: SubmissionRequest, user: User, now: datetime | None = None) -> None:
    """Raise the reason ``user`` may not submit the update now, if there is one (before its answers are
    checked: a cancelled meeting wants no answers)."""
    now = now or utcnow()
    _check_open(request, now)
    _check_writer(request, user)
    submission = submission_for(request, user)
    _check_amendable(submission, request, now)


# On an update already submitted, the amendment being written, step by step, until it is submitted: kept in
# the update's document under this key, which no reader of the update looks at.
AMENDING = "__amending__"


def answers_being_written(submission: Submission | None) -> dict:
    """What the author is writing: the amendment not yet submitted if there is one, else the saved answers
    (without the bookkeeping of a kept amendment or of what was typed when a session ran out)."""
    if submission is None:
        return {}
    data = submission.fields
    if submission.status is SubmissionStatus.SUBMITTED and isinstance(data.get(AMENDING), dict):
        return dict(data[AMENDING])
    return {key: value for key, value in data.items() if not key.startswith("__")}


def save_step(request: SubmissionRequest, user: User, answers: dict, *, expected_revision: int | None,
              now: datetime | None = None) -> Submission:
    """One step of the update saved: its answers over what is being written. A draft is saved as ever (made
    if need be); an update already submitted keeps what the chair reads, and the changes wait beside it
    until the amended update is submitted (a new version)."""
    now = now or utcnow()
    submission = submission_for(request, user)
    if submission is None or submission.status is SubmissionStatus.DRAFT:
        return save(request, user, {**answers_being_written(submission), **answers}, submit=False,
                    expected_revision=expected_revision, now=now)
    _check_open(request, now)
    _check_writer(request, user)
    stale = StaleUpdate("This update was changed in another tab or by a colleague since you opened it. Your "
                        "text is below and has not been saved: check it against the saved update, then save again.")
    being_written = answers_being_written(submission)
    claim_revision(submission, expected_revision, stale)
    if is_past_deadline(request, now):
        raise UpdateError("The deadline has passed, so this update can no longer be amended. Tell the chair about "
                          "anything new at the meeting.")
    data = {key: value for key, value in submission.fields.items() if not key.startswith("__")}
    data[AMENDING] = {**being_written, **answers}
    submission.data = json.dumps(data, sort_keys=True)
    submission.updated_at = now
    db.session.flush()
    audit.record("update_draft_saved", object_type="submission", object_id=submission.id,
                 family_id=request.family_id, actor=user, detail=f"amendment of version {submission.version}")
    return submission


def keep_unsaved(request: SubmissionRequest, user: User, typed: dict, attempts: int = 3) -> Submission | None:
    """What someone typed when their session ran out, kept with their draft (made if need be) until they
    sign in again. Their saved text is not touched; a colleague saving at the same instant is retried."""
    for _ in range(attempts):
        submission = submission_for(request, user)
        try:
            if submission is None:
                submission = Submission(request=request, occurrence_id=request.occurrence_id,
                                        family_id=request.family_id, agency_id=request.agency_id, author_id=user.id,
                                        status=SubmissionStatus.DRAFT, slot=slot_for(request, user), revision=1,
                                        version=0, late=False, data="{}")
                db.session.add(submission)
                flush_or_raise(StaleUpdate("made meanwhile"))
            else:
                claim_revision(submission, None, StaleUpdate("changed meanwhile"))
        except StaleUpdate:
            continue  # rolled back: read the other save, and keep the typed text beside it
        data = submission.fields
        data["__unsaved__"] = typed
        submission.data = json.dumps(data, sort_keys=True)
        db.session.flush()
        return submission
    return None


def _apply_household(submission: Submission, data: dict, user: User, now: datetime, previous: dict) -> int:
    """What the update says about the household reaches the record: sightings of known people at once
    (an amendment adds only the answers it changed), new people as proposals for the lead professional.
    Returns how many people it proposes for the first time."""
    from coordinator.families.models import HouseholdMember

    on = now.astimezone(local_zone()).date()
    before = UpdateDocument(previous).household()
    for member_id, value in UpdateDocument(data).household().items():
        if value in SightingKind.__members__ and before.get(member_id) != value:
            member = db.session.get(HouseholdMember, member_id)
            if member is None or member.family_id != submission.family_id:
                continue
            family_services.record_sighting(
                member, actor=user, kind=SightingKind[value], on=on, agency_id=submission.agency_id,
                note=f"From the agency update for the meeting on {long_date(submission.request.occurrence.day)}")
    from coordinator.submissions.forms import NEW_PERSON_SLOTS

    existing = {p.slot: p for p in db.session.scalars(
        select(HouseholdProposal).where(HouseholdProposal.submission_id == submission.id))}
    proposed = 0
    for slot in range(1, NEW_PERSON_SLOTS + 1):
        person = UpdateDocument(data).new_person(slot)
        if not ((person.get("name") or "").strip() or (person.get("description") or "").strip()):
            continue
        proposal = existing.pop(slot, None)
        if proposal is None:
            db.session.add(HouseholdProposal(family_id=submission.family_id, submission_id=submission.id, slot=slot,
                                             data=json.dumps(person, sort_keys=True)))
            proposed += 1
        else:  # only while still undecided: the lead may be adding them at this moment
            rows_matched(update(HouseholdProposal).where(*_undecided(proposal))
                         .values(data=json.dumps(person, sort_keys=True))
                         .execution_options(synchronize_session=False))
    for withdrawn in existing.values():  # the amended update no longer mentions them
        rows_matched(delete(HouseholdProposal).where(*_undecided(withdrawn))
                     .execution_options(synchronize_session=False))
    return proposed


def _undecided(proposal: HouseholdProposal) -> tuple:
    return HouseholdProposal.id == proposal.id, HouseholdProposal.state == ProposalState.PENDING


def _decide(proposal: HouseholdProposal, state: ProposalState, actor: User) -> None:
    """Record the lead's decision if nobody has decided and the agency has not withdrawn the person: one
    conditional write, so a double click or two leads at once add nobody twice."""
    decided = rows_matched(update(HouseholdProposal).where(*_undecided(proposal))
                           .values(state=state, decided_by_id=actor.id, decided_at=utcnow())
                           .execution_options(synchronize_session=False))
    if decided != 1:
        db.session.rollback()
        raise UpdateError("This person has already been dealt with, or the agency has taken them out of its update")
    db.session.refresh(proposal)


def allow_several(request: SubmissionRequest, *, actor: User) -> None:
    request.allow_several = True
    audit.record("update_request_allows_several", object_type="submission_request", object_id=request.id,
                 family_id=request.family_id, actor=actor)


# --- household proposals --------------------------------------------------------------------------------

def pending_proposals(family: Family) -> list[HouseholdProposal]:
    return list(db.session.scalars(select(HouseholdProposal).where(HouseholdProposal.family_id == family.id,
                                                             HouseholdProposal.state == ProposalState.PENDING)
                              .options(joinedload(HouseholdProposal.submission).joinedload(Submission.agency))
                              .order_by(HouseholdProposal.id)))


def accept_proposal(proposal: HouseholdProposal, *, actor: User):
    _decide(proposal, ProposalState.ACCEPTED, actor)
    person = proposal.fields
    family = proposal.family
    relationship = Relationship[person["relationship"]] if person.get("relationship") else Relationship.UNKNOWN
    member = family_services.add_member(
        family, actor=actor, relationships={c.id: relationship for c in family.children},
        name=(person.get("name") or "").strip() or None, description=(person.get("description") or "").strip() or None,
        sex=Sex[person["sex"]] if person.get("sex") else Sex.NOT_KNOWN,
        presence=Presence[person["presence"]] if person.get("presence") else Presence.VISITS,
        source_agency_id=proposal.submission.agency_id,
        source_kind=SightingKind[person.get("source") or "TOLD_OF"],
        source_note=f"From {proposal.submission.agency.name}'s update",
        first_recorded_on=proposal.created_at.astimezone(local_zone()).date(),
        seen_on=_date_seen(person),  # the date the agency saw them (or was told of them), not the update's
    )
    proposal.member_id = member.id
    audit.record("household_proposal_accepted", object_type="household_proposal", object_id=proposal.id,
                 family_id=family.id, actor=actor)
    return member


def _date_seen(person: dict) -> date | None:
    try:
        return date.fromisoformat(person["seen_on"]) if person.get("seen_on") else None
    except (TypeError, ValueError):
        return None


def decline_proposal(proposal: HouseholdProposal, *, actor: User) -> None:
    _decide(proposal, ProposalState.DECLINED, actor)
    audit.record("household_proposal_declined", object_type="household_proposal", object_id=proposal.id,
                 family_id=proposal.family_id, actor=actor)
