"""Who may write, approve, read and act on a family's minutes and actions, beyond the family guard
(coordinator.families.access). Each predicate takes (user, family, **the records the route loaded) and
is named on the route; the rules the services check too (who may edit, who approves) are theirs."""
from __future__ import annotations

from coordinator.families.access import is_lead, membership_of, refuses
from coordinator.families.models import NetworkRole
from coordinator.minutes import services


@refuses(403, "Draft minutes are seen only by the chair, the minute-taker and the lead professional.")
def may_edit_minutes(user, family, occurrence, **_) -> bool:
    return services.may_edit(occurrence, user)


@refuses(404)
def may_read_minutes(user, family, occurrence, **_) -> bool:
    """Published minutes: the family's network, an administrator who has opened the record, and the
    meeting's invitees."""
    membership = membership_of(family, user)
    if membership is not None and membership.role is not NetworkRole.GUEST:
        return True
    if membership is None and user.is_admin:
        return True  # administrators reach here only through break glass (the family guard)
    return was_invited_to(user, occurrence)


def was_invited_to(user, occurrence) -> bool:
    """Invited to the meeting's series when the meeting took place: a guest (invited by email, outside the
    network) reads the minutes of the meetings they were asked to, not those held before they were invited
    or after they were taken off."""
    from coordinator.meetings.deputies import is_deputy_at

    return (any(invitee.user_id == user.id and invitee.invited_to(occurrence) for invitee in occurrence.series.invitees)
            or is_deputy_at(occurrence, user))


@refuses(403, "Only the people the minutes were sent to acknowledge them or ask for a correction.")
def may_answer_minutes(user, family, occurrence, **_) -> bool:
    """Acknowledging and asking for corrections are for the distribution list; an administrator reading
    the record through break glass reads only."""
    return any(person.id == user.id for person in services.distribution(occurrence))


@refuses(403, "The family copy is produced by the chair or the lead professional.")
def may_make_family_copy(user, family, occurrence, **_) -> bool:
    return (services.may_approve(occurrence, user) or services.is_chair(occurrence, user) or is_lead(family, user)
            or user.is_admin)


@refuses(403, "Only the chair decides on corrections.")
def may_decide_correction(user, family, correction, **_) -> bool:
    return services.may_approve(correction.version.minutes.occurrence, user)


@refuses(403, "Only the action's owner or the lead professional can update it.")
def may_update_action(user, family, action, **_) -> bool:
    return (action.owner_id == user.id or is_lead(family, user)) and not family.is_closed


@refuses(403, "Only the chair approves closing an action that was not done.")
def may_approve_action_closure(user, family, action, **_) -> bool:
    from coordinator.minutes.actions import may_approve_closure

    return may_approve_closure(action, user)  # (a closed family: the change itself is refused by the guard)
