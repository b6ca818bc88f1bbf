"""Personal calendar feeds: every meeting a user is invited to, for Outlook, Google or Apple to subscribe
to. The URL's token is signed with the application key and a per-user secret that the user can reset."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coordinator.calendar import ics
from coordinator.extensions import db
from coordinator.meetings import queries as meeting_queries
from coordinator.meetings import services as meetings
from coordinator.meetings.models import (
    CalendarFeed,
    Invitee,
    MeetingSeries,
    OccurrenceStatus,
)
from coordinator.timeutil import utcnow


def _feed_for(user) -> CalendarFeed:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, secret=secrets.token_hex(16))
        db.session.add(feed)
        db.session.flush()
    return feed


def _signature(user_id: int, secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"feed:{user_id}:{secret}".encode(), hashlib.sha256).hexdigest()[:40]


def token_for(user) -> str:
    feed = _feed_for(user)
    return f"{user.id}-{_signature(user.id, feed.secret)}"


def reset(user) -> str:
    feed = _feed_for(user)
    feed.secret = secrets.token_hex(16)
    return token_for(user)


def user_for_token(token: str):
    from coordinator.auth.models import User

    user_id, _, signature = (token or "").partition("-")
    if not user_id.isdigit() or not signature:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == int(user_id)))
    if feed is None or not hmac.compare_digest(signature, _signature(int(user_id), feed.secret)):
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def feed_ics(user) -> str:
    """Every series the user is (still) invited to. Cancelled meetings stay in the feed with
    STATUS:CANCELLED, so a subscribed calendar shows them as cancelled rather than silently dropping them."""
    series_list = db.session.scalars(
        select(MeetingSeries).join(Invitee, Invitee.series_id == MeetingSeries.id)
        .where(Invitee.user_id == user.id, Invitee.removed_at.is_(None))
        .options(selectinload(MeetingSeries.occurrences), selectinload(MeetingSeries.invitees).selectinload(Invitee.user),
                 selectinload(MeetingSeries.family), selectinload(MeetingSeries.organiser))
        .order_by(MeetingSeries.id)
    ).all()
    stamp = utcnow()
    events, zones = [], set()
    for series in series_list:
        zones.add(series.timezone)
        people = meetings.attendees(series)
        if series.rule_occurrences:
            events.extend(ics.series_events(series, sequence=series.sequence, stamp=stamp, attendees=people,
                                            url_for_occurrence=meeting_queries.meeting_url,
                                            series_url=meeting_queries.series_url(series), cancelled_as_overrides=True))
        for extra in series.occurrences:
            if extra.is_extra:
                events.append(ics.extra_event(
                    series, extra, sequence=series.sequence, stamp=stamp, attendees=people,
                    url=meeting_queries.meeting_url(extra),
                    status="CANCELLED" if extra.status is OccurrenceStatus.CANCELLED else "CONFIRMED"))
    calendar = ics.to_ics(events, method=None, zones=zones or {current_app.config["TIMEZONE"]})
    return calendar.replace("CALSCALE:GREGORIAN\r\n",
                            "CALSCALE:GREGORIAN\r\nX-WR-CALNAME:Professionals meetings\r\n", 1)
