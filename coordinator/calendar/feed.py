"""Personal calendar feeds: every meeting a user is invited to, for Outlook, Google or Apple to subscribe
to. The URL's token is signed with the application key and a per-user secret that the user can reset."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from coordinator.auth.models import User
from coordinator.calendar import ics
from coordinator.extensions import db, rows_matched
from coordinator.families.access import current_membership_clause
from coordinator.families.models import Family, FamilyStatus, NetworkMembership
from coordinator.meetings import queries as meeting_queries
from coordinator.meetings import services as meetings
from coordinator.meetings.models import (
    CalendarFeed,
    Invitee,
    MeetingSeries,
    OccurrenceStatus,
)
from coordinator.timeutil import today, utcnow


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
    if feed.version_etag is None:  # the feed as it is when its address is given: its first poll writes nothing
        version = feed_version(user)
        feed.version_etag, feed.version_since = version.etag, served_since(feed, version)[0]
    return f"{user.id}-{_signature(user.id, feed.secret)}"


def reset(user) -> str:
    feed = _feed_for(user)
    feed.secret = secrets.token_hex(16)
    return token_for(user)


def user_for_token(token: str):
    found = feed_for_token(token)
    return found[1] if found else None


def feed_for_token(token: str) -> tuple[CalendarFeed, User] | None:
    """The feed and its (active) user that the token opens, or None."""
    user_id, _, signature = (token or "").partition("-")
    if not user_id.isdigit() or not signature:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == int(user_id)))
    if feed is None or not hmac.compare_digest(signature, _signature(int(user_id), feed.secret)):
        return None
    user = db.session.get(User, int(user_id))
    return (feed, user) if user is not None and user.active else None


def served_since(feed: CalendarFeed, version: FeedVersion) -> tuple[datetime, bool]:
    """Since when the feed has been at ``version`` (its Last-Modified), and whether that is new, to be
    recorded (``record_version``) once the answer is made. A new version is dated the current second, or
    the second after the previous version's if that is later (two changes within one second): a later
    version never has the same or an earlier date, so a client's If-Modified-Since answers "not modified"
    for the version it holds only. (The series' own last change would not do: it stays put when the person
    is taken off a series, a colleague is renamed or the family's record closes.)"""
    if feed.version_etag == version.etag and feed.version_since is not None:
        return feed.version_since, False
    now = utcnow().replace(microsecond=0)
    if feed.version_since is None:
        return now, True
    return max(now, feed.version_since.replace(microsecond=0) + timedelta(seconds=1)), True


def record_version(feed: CalendarFeed, version: FeedVersion, since: datetime) -> datetime:
    """Keep ``version`` as the feed's, since ``since`` (a statement once per change of the feed, not on every
    poll). Two polls at once record it once: the second takes the first one's date, which it returns."""
    recorded = rows_matched(
        update(CalendarFeed).where(CalendarFeed.id == feed.id, (CalendarFeed.version_etag.is_(None))
                                   | (CalendarFeed.version_etag != version.etag))
        .values(version_etag=version.etag, version_since=since).execution_options(synchronize_session=False))
    if not recorded:
        since = db.session.scalar(select(CalendarFeed.version_since).where(CalendarFeed.id == feed.id)) or since
    return since


# Each series' VEVENTs as text, kept while the series, its meetings and its people are unchanged: a feed
# is rebuilt from the series that changed only, and every worker process keeps its own copy.
_SERIES_TEXT: OrderedDict[tuple, str] = OrderedDict()
_SERIES_TEXT_LIMIT = 20_000


@dataclass(frozen=True)
class FeedVersion:
    """What a feed's text depends on, read in one query: each series' revision (raised by every change to
    the series or one of its meetings) and its people's revisions (a changed name or address)."""
    series: tuple[tuple[int, str, int, tuple[int, str], str], ...]  # (id, UID, revision, (people's revisions, last series answer), time zone)
    etag: str


def feed_version(user) -> FeedVersion:
    people, person, organiser = aliased(Invitee), aliased(User), aliased(User)
    rows = db.session.execute(  # one grouped join: each series with the sum of its people's revisions
        select(MeetingSeries.id, MeetingSeries.uid, MeetingSeries.revision,
               func.sum(person.revision) + func.max(organiser.revision), MeetingSeries.timezone,
               func.max(people.answer_stamp))  # an answer for the series from a calendar (its PARTSTAT)
        .join(Invitee, Invitee.series_id == MeetingSeries.id)
        .join(people, (people.series_id == MeetingSeries.id) & people.removed_at.is_(None))
        .join(person, person.id == people.user_id)
        .join(organiser, organiser.id == MeetingSeries.organiser_id)
        .where(Invitee.user_id == user.id, Invitee.removed_at.is_(None),
               # Only while in the family's network, and the family's record open: leaving the network (now
               # or by date) or the record closing takes its meetings out of the feed at once.
               exists().where(NetworkMembership.family_id == MeetingSeries.family_id,
                              current_membership_clause(user.id, today())),
               exists().where(Family.id == MeetingSeries.family_id, Family.status == FamilyStatus.OPEN))
        .group_by(MeetingSeries.id, MeetingSeries.uid, MeetingSeries.revision, MeetingSeries.timezone)
        .order_by(MeetingSeries.id)).all()
    series = tuple((row[0], row[1], row[2], (int(row[3] or 0), str(row[5])), row[4]) for row in rows)
    # The year: the time zones' rules. The settings written into every event: the address and CLASS.
    key = (user.id, current_app.config["BASE_URL"], current_app.config["CALENDAR_CLASS"], utcnow().year, series)
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    return FeedVersion(series, digest)


def feed_ics(user, version: FeedVersion | None = None) -> str:
    """Every series the user is (still) invited to. Cancelled meetings stay in the feed with
    STATUS:CANCELLED, so a subscribed calendar shows them as cancelled rather than silently dropping them.
    Each series' events are stamped with the series' last change, so an unchanged feed is the same text."""
    version = version or feed_version(user)
    # The UID as well as the id: an id can come back (a restored database); a UID is never used twice. The
    # settings written into every event as well: the address and the CLASS.
    base = (current_app.config["BASE_URL"], current_app.config["CALENDAR_CLASS"])
    keys = {series_id: (series_id, uid, revision, people, base) for series_id, uid, revision, people, _ in version.series}
    texts = {}
    for key in keys.values():
        if key in _SERIES_TEXT:
            texts[key] = _SERIES_TEXT[key]
            _SERIES_TEXT.move_to_end(key)
    missing = [series_id for series_id, key in keys.items() if key not in texts]
    if missing:
        for series in db.session.scalars(
                select(MeetingSeries).where(MeetingSeries.id.in_(missing))
                .options(selectinload(MeetingSeries.occurrences),
                         selectinload(MeetingSeries.invitees).joinedload(Invitee.user),
                         joinedload(MeetingSeries.family), joinedload(MeetingSeries.organiser))):
            texts[keys[series.id]] = _series_text(series)
            _remember(keys[series.id], texts[keys[series.id]])
    zones = {zone for *_, zone in version.series} or {current_app.config["TIMEZONE"]}
    head = _calendar_head(tuple(sorted(zones)), utcnow().year)
    return head + "".join(texts[key] for key in keys.values()) + "END:VCALENDAR\r\n"


def _remember(key: tuple, text: str) -> None:
    _SERIES_TEXT[key] = text
    while len(_SERIES_TEXT) > _SERIES_TEXT_LIMIT:
        _SERIES_TEXT.popitem(last=False)


def _series_text(series: MeetingSeries) -> str:
    stamp = series.updated_at
    people = meetings.attendees(series)
    events = []
    if series.rule_occurrences:
        events.extend(ics.series_events(series, sequence=series.sequence, stamp=stamp, attendees=people,
                                        url_for_occurrence=meeting_queries.meeting_url,
                                        series_url=meeting_queries.series_url(series), cancelled_as_overrides=True))
    for extra in series.occurrences:
        if extra.is_extra:
            events.append(ics.extra_event(
                series, extra, sequence=series.sequence, stamp=stamp, attendees=people,
                url=meeting_queries.meeting_url(extra),
                status="CANCELLED" if extra.status is OccurrenceStatus.CANCELLED else "CONFIRMED", titled_cancelled=True))
    return "".join(event.to_ical().decode("utf-8") for event in events)


@lru_cache(maxsize=64)
def _calendar_head(zones: tuple[str, ...], year: int) -> str:
    """The calendar's opening lines and time zones: everything before its events."""
    text = ics.to_ics([], method=None, zones=set(zones))
    text = text.replace("CALSCALE:GREGORIAN\r\n", "CALSCALE:GREGORIAN\r\nX-WR-CALNAME:Professionals meetings\r\n", 1)
    assert text.endswith("END:VCALENDAR\r\n")
    return text[:-len("END:VCALENDAR\r\n")]
