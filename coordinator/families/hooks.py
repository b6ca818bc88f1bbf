"""The families area's part in what the areas below it ask (coordinator.hooks)."""
from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.families.access import current_membership_clause
from coordinator.families.models import NetworkMembership, NetworkRole
from coordinator.hooks import on
from coordinator.notify.signals import reply_address
from coordinator.timeutil import today


@on(reply_address)
def lead_address(family_id: int) -> str | None:
    """Replies to an email about a family go to its lead professional (while their account is active)."""
    return db.session.scalar(
        select(User.email).join(NetworkMembership, NetworkMembership.user_id == User.id)
        .where(NetworkMembership.family_id == family_id, NetworkMembership.role == NetworkRole.LEAD,
               current_membership_clause(User.id, today()), User.active.is_(True))
        .order_by(NetworkMembership.id).limit(1))
