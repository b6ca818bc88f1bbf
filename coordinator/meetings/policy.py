"""Who may see and answer a family's meetings, beyond the family guard (coordinator.families.access).
Each predicate takes (user, family, **the records the route loaded) and is named on the route."""
from __future__ import annotations

from coordinator.families.access import membership_of, refuses
from coordinator.families.models import NetworkRole


def is_invited(series, user) -> bool:
    return any(invitee.user_id == user.id for invitee in series.current_invitees)


def _guest_invited(user, family, series) -> bool:
    """A professional invited by email (a guest) sees only the series they are invited to."""
    membership = membership_of(family, user)
    return membership is None or membership.role is not NetworkRole.GUEST or is_invited(series, user)


@refuses(404)
def may_see_series(user, family, series, **_) -> bool:
    return _guest_invited(user, family, series)


@refuses(404)
def may_see_meeting(user, family, occurrence, **_) -> bool:
    """A guest sees the meetings of the series they are invited to, and a meeting they are sent to as a
    deputy."""
    from coordinator.meetings.deputies import is_deputy_at

    return _guest_invited(user, family, occurrence.series) or is_deputy_at(occurrence, user)


@refuses(403, "Only people invited to this meeting can answer it.")
def may_answer_meeting(user, family, occurrence, **_) -> bool:
    return is_invited(occurrence.series, user)
