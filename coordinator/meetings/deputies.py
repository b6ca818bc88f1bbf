"""Deputies: an invitee who cannot come names someone to go in their place, for one meeting. The deputy is
given an account if they have none (they sign in with emailed codes), access to that meeting only (a
guest of the family's network, if not already in it), an invitation to it, and the update request the
invitee was asked for; the lead professional is told. Answering otherwise later withdraws it."""
from __future__ import annotations

from sqlalchemy import select

from coordinator.audit import services as audit
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.meetings import signals
from coordinator.meetings.models import MeetingDeputy, Occurrence
from coordinator.notify.personal import notify_person
from coordinator.timeutil import utcnow
from coordinator.todo import spoken_date
from coordinator.urls import external_url


class DeputyError(Exception):
    pass


def current_deputy(occurrence: Occurrence, for_user: User) -> MeetingDeputy | None:
    return db.session.scalar(select(MeetingDeputy).where(
        MeetingDeputy.occurrence_id == occurrence.id, MeetingDeputy.for_user_id == for_user.id,
        MeetingDeputy.withdrawn_at.is_(None)))


def is_deputy_at(occurrence: Occurrence, user) -> bool:
    """Sent to this meeting in someone's place (not withdrawn), by someone whose own invitation still covers
    it: a deputy's access never outlasts the access of the person who sent them."""
    rows = db.session.scalars(select(MeetingDeputy).where(
        MeetingDeputy.occurrence_id == occurrence.id, MeetingDeputy.deputy_id == user.id,
        MeetingDeputy.withdrawn_at.is_(None))).all()
    return any(_sender_still_invited(row, occurrence) for row in rows)


def _sender_still_invited(row: MeetingDeputy, occurrence: Occurrence) -> bool:
    from coordinator.families.access import membership_of

    invited = any(i.user_id == row.for_user_id and i.removed_at is None and i.invited_to(occurrence)
                  for i in occurrence.series.invitees)
    return invited and membership_of(occurrence.series.family, row.for_user) is not None


def name_deputy(occurrence: Occurrence, for_user: User, *, name: str | None, email: str | None) -> MeetingDeputy | None:
    """Record ``for_user``'s deputy for the meeting (None: no deputy any more); the calendar and updates
    areas follow through ``signals.deputy_named``."""
    from coordinator.auth.services import user_by_email
    from coordinator.concurrency import lock_for_change
    from coordinator.meetings.services import _ensure_guest_access, user_for_external

    lock_for_change(occurrence.series.family)  # one answer at a time: never two deputies named at once
    earlier = current_deputy(occurrence, for_user)
    address = (email or "").strip().lower()
    if earlier is not None and address and earlier.deputy.email == address:
        return earlier  # the same deputy, answered again
    if earlier is not None:
        earlier.withdrawn_at = utcnow()
        audit.record("deputy_withdrawn", object_type="occurrence", object_id=occurrence.id,
                     family_id=occurrence.series.family_id, actor=for_user, detail=f"user {earlier.deputy_id}")
        signals.deputy_named.send(occurrence, for_user=for_user, deputy=None, withdrawn=earlier.deputy, row=earlier)
    if not address:
        return None
    if address == for_user.email:
        raise DeputyError("Enter the email address of the person you are sending, not your own")
    if occurrence.starts_at <= utcnow():
        raise DeputyError("A deputy can only be sent to a meeting that has not yet started")
    if not any(i.user_id == for_user.id and i.removed_at is None and i.invited_to(occurrence)
               for i in occurrence.series.invitees):
        raise DeputyError("Only someone invited to this meeting can send a deputy to it")
    new_account = user_by_email(address) is None
    deputy = user_for_external(address, actor=for_user)
    if not deputy.active:
        raise DeputyError("That person's account is deactivated: send someone else, or ask an administrator")
    if new_account and (name or "").strip():
        deputy.name = (name or "").strip()[:200]  # a new account takes the name the invitee gave
    _ensure_guest_access(occurrence.series.family, deputy, for_user)
    row = MeetingDeputy(occurrence_id=occurrence.id, for_user_id=for_user.id, deputy_id=deputy.id, deputy=deputy)
    db.session.add(row)
    db.session.flush()
    audit.record("deputy_named", object_type="occurrence", object_id=occurrence.id,
                 family_id=occurrence.series.family_id, actor=for_user, detail=f"user {deputy.id}")
    signals.deputy_named.send(occurrence, for_user=for_user, deputy=deputy, withdrawn=None, row=row)
    _tell_the_lead(occurrence, for_user, row)
    return row


def _tell_the_lead(occurrence: Occurrence, for_user: User, row: MeetingDeputy) -> None:
    from coordinator.families.models import NetworkRole
    from coordinator.families.services import current_network

    series = occurrence.series
    family = series.family
    leads = [m.user for m in current_network(family) if m.role is NetworkRole.LEAD and m.user_id != for_user.id]
    for lead in leads:
        notify_person(lead, "deputy_named", key=f"{row.id}",
                      subject=f"An invitee is sending a deputy: family {family.reference}",
                      line=f"An invitee is sending a deputy to {series.meeting_type.in_a_sentence} on "
                           f"{spoken_date(occurrence.day)} (family {family.reference}). The deputy has been sent "
                           "an invitation to that meeting only.",
                      url=external_url("meetings.show_occurrence", ref=family.reference, occurrence_id=occurrence.id),
                      family_id=family.id)
