"""Notifications to a person about work waiting for them: a line and a link, never a name, sent as it
happens or held for one email each morning, as each person chooses per kind (with defaults that suit
the kind). The areas that know the event call ``notify_person``; the digest is a due job."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import column, select, table

from coordinator.extensions import db
from coordinator.notify.models import Delivery, DigestItem, NotificationSetting, OutboxMessage
from coordinator.notify.services import enqueue_template
from coordinator.timeutil import local_zone, utcnow


@dataclass(frozen=True)
class Kind:
    name: str  # stored
    label: str  # what the person chooses about, on their account page
    default: Delivery


KINDS = [
    Kind("minutes_to_approve", "Minutes sent to you for approval", Delivery.IMMEDIATELY),
    Kind("update_submitted", "An agency submits its update for a meeting you lead", Delivery.DAILY_DIGEST),
    Kind("update_late", "An agency's update is not in by its deadline, for a meeting you lead", Delivery.IMMEDIATELY),
    Kind("person_proposed", "An agency reports a new person living in or visiting a home, for a family you lead",
         Delivery.IMMEDIATELY),
    Kind("deputy_named", "An invitee sends a deputy to a meeting you lead", Delivery.IMMEDIATELY),
]
BY_NAME = {kind.name: kind for kind in KINDS}
# The accounts table, read for whether a person is still active (auth is above this area).
_users = table("users", column("id"), column("active"))


def settings_of(user_id: int) -> dict[str, Delivery]:
    """Each kind's delivery for the person: their choice, or the kind's default."""
    chosen = {s.kind: s.delivery for s in db.session.scalars(
        select(NotificationSetting).where(NotificationSetting.user_id == user_id))}
    return {kind.name: chosen.get(kind.name, kind.default) for kind in KINDS}


def choose(user_id: int, choices: dict[str, Delivery]) -> list[str]:
    """Store the person's choices; returns the kinds that changed."""
    rows = {s.kind: s for s in db.session.scalars(
        select(NotificationSetting).where(NotificationSetting.user_id == user_id))}
    changed = []
    for name, delivery in choices.items():
        if name not in BY_NAME:
            continue
        row = rows.get(name)
        if row is None:
            if delivery is BY_NAME[name].default:
                continue
            db.session.add(NotificationSetting(user_id=user_id, kind=name, delivery=delivery))
            changed.append(name)
        elif row.delivery is not delivery:
            row.delivery = delivery
            changed.append(name)
    return changed


def notify_person(user, kind: str, *, key: str, subject: str, line: str, url: str,
                  family_id: int | None = None) -> None:
    """Tell ``user`` (anything with id, email and active) about ``line`` with a link to ``url``, now or in
    their next digest. ``key``: the event's own key, so the same event never notifies twice. ``line`` and
    ``subject`` must hold no name: a family is named by its reference only."""
    if not getattr(user, "active", True):
        return
    delivery = settings_of(user.id)[kind]
    key = f"notify:{kind}:{key}:{user.id}"
    if delivery is Delivery.IMMEDIATELY:
        enqueue_template(key, to=user.email, subject=subject, template="notification", kind=f"notify_{kind}",
                         family_id=family_id, line=line, url=url)
        return
    if db.session.scalar(select(DigestItem.id).where(DigestItem.key == key)) is None:
        db.session.add(DigestItem(key=key, user_id=user.id, email=user.email, kind=kind, line=line, url=url,
                                  family_id=family_id))


def digest_time(on) -> datetime:
    hour = int(current_app.config["NOTIFICATION_DIGEST_HOUR"])
    return datetime.combine(on, time(hour), tzinfo=local_zone())


def send_digests(now: datetime | None = None) -> int:
    """From the digest hour each day: one email per person holding everything waiting for their digest,
    the lines marked sent in the same transaction (the email's key is the person and the day, so a second
    run the same day adds nothing). Returns the number of digests queued."""
    now = now or utcnow()
    local = now.astimezone(local_zone())
    due = digest_time(local.date())
    if now < due:
        return 0
    # What arrived after today's digest hour waits for tomorrow's: one email a day, and nothing marked sent
    # that this day's email (already queued under its key) did not carry.
    waiting = db.session.scalars(select(DigestItem).where(DigestItem.sent_at.is_(None), DigestItem.created_at < due)
                                 .order_by(DigestItem.user_id, DigestItem.id)).all()
    by_person: dict[int, list[DigestItem]] = defaultdict(list)
    active = set(db.session.scalars(select(_users.c.id).where(
        _users.c.id.in_({i.user_id for i in waiting}), _users.c.active.is_(True)))) if waiting else set()
    for item in waiting:
        if item.user_id in active:
            by_person[item.user_id].append(item)
        else:
            item.sent_at = now  # a deactivated account is sent nothing
    keys = {user_id: f"digest:{user_id}:{local.date().isoformat()}" for user_id in by_person}
    queued = set(db.session.scalars(select(OutboxMessage.idempotency_key).where(
        OutboxMessage.idempotency_key.in_(list(keys.values()))))) if keys else set()
    for user_id, items in list(by_person.items()):
        if keys[user_id] in queued:  # today's went already: these (committed late) go in tomorrow's
            del by_person[user_id]
            continue
        count = len(items)
        enqueue_template(keys[user_id], to=items[-1].email,
                         subject=f"Your daily summary: {count} {'thing' if count == 1 else 'things'} to look at",
                         template="notification_digest", kind="notify_digest",
                         items=[(BY_NAME[i.kind].label if i.kind in BY_NAME else "", i.line, i.url) for i in items])
        for item in items:
            item.sent_at = now
    db.session.commit()
    return len(by_person)


def next_digest(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    local = now.astimezone(local_zone())
    today_at = digest_time(local.date())
    return today_at if now < today_at else digest_time(local.date() + timedelta(days=1))
