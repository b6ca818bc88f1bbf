"""Meeting series and their occurrences: scheduling, changes, invitations, answers.

Every change that people's calendars must follow puts one iMIP email per invitee in the outbox, in the same
transaction as the change (unless the organiser chose not to notify). Only the changes RFC 5546 (section
2.1.4) calls significant raise the series' SEQUENCE: a meeting's time or place, a cancellation, the rule's
end. A change of who is invited sends the series as it now is with the same SEQUENCE and a later DTSTAMP
(section 2.1.5), so calendars take the new attendee list without asking everyone to answer again.
"""
from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, exists, or_, select

from coordinator.audit import services as audit
from coordinator.auth import services as auth_services
from coordinator.auth.models import User
from coordinator.concurrency import claim_revision, lock_for_change
from coordinator.extensions import db
from coordinator.families import services as family_services
from coordinator.families.access import current_membership_clause
from coordinator.families.models import Family, NetworkMembership, NetworkRole
from coordinator.hooks import answers
from coordinator.meetings import signals
from coordinator.meetings.models import (
    InvitationResponse,
    Invitee,
    MeetingSeries,
    MeetingType,
    Occurrence,
    OccurrenceStatus,
    Recurrence,
    Response,
    SeriesEnd,
    SeriesStatus,
)
from coordinator.meetings.recurrence import NonexistentLocalTime, Rule, to_utc
from coordinator.timeutil import local_zone, long_date, today, utcnow

# InvitationResponse.source of an answer a meeting took from its series' answer (given from a calendar).
SERIES_ANSWER = "calendar-series"


class MeetingError(ValueError):
    """A rule of scheduling refused the change. ``field`` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class StaleSeries(MeetingError):
    pass


@dataclass
class Schedule:
    meeting_type: MeetingType
    first_date: date
    start_time: time
    duration_minutes: int
    recurrence: Recurrence
    interval: int
    end_kind: SeriesEnd
    until_date: date | None = None
    count: int | None = None
    timezone: str = "Europe/London"
    location: str | None = None
    online_link: str | None = None

    def rule(self) -> Rule:
        return Rule(self.recurrence.name, self.interval, self.first_date, self.start_time, self.timezone,
                    until_date=self.until_date if self.end_kind is SeriesEnd.ON_DATE else None,
                    count=self.count if self.end_kind is SeriesEnd.AFTER_COUNT else None)


def type_settings(meeting_type: MeetingType) -> dict:
    return current_app.config["MEETING_TYPE_SETTINGS"][meeting_type.name]


def horizon_end(now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(days=int(current_app.config["MEETING_HORIZON_DAYS"]))


NONEXISTENT_CHECK_YEARS = 28


def check_schedule(schedule: Schedule, *, allow_past: bool = False) -> None:
    """Refuse a schedule that cannot be right, naming the field at fault."""
    cfg = current_app.config
    if not 0 < schedule.duration_minutes <= cfg["MEETING_MAX_DURATION_MINUTES"]:
        raise MeetingError("Duration must be between 1 minute and 24 hours", "duration_minutes")
    limit = 52 if schedule.recurrence is Recurrence.WEEKLY else 12
    unit = "weeks" if schedule.recurrence is Recurrence.WEEKLY else "months"
    if not 1 <= schedule.interval <= limit:
        raise MeetingError(f"How often must be between 1 and {limit} {unit}", "interval")
    if schedule.recurrence is Recurrence.MONTHLY_DATE and schedule.first_date.day > 28:
        raise MeetingError("For monthly meetings on the same date, choose a first date between the 1st and "
                           "28th: not every month has a 29th, 30th or 31st", "first_date")
    if not allow_past and schedule.first_date < today():
        raise MeetingError("The first meeting must be today or in the future", "first_date")
    if schedule.first_date > today() + timedelta(days=365 * int(cfg["MEETING_MAX_YEARS_AHEAD"])):
        raise MeetingError(f"The first meeting must be within {cfg['MEETING_MAX_YEARS_AHEAD']} years", "first_date")
    if schedule.end_kind is SeriesEnd.ON_DATE:
        if schedule.until_date is None:
            raise MeetingError("Enter the date of the last meeting", "until_date")
        if schedule.until_date < schedule.first_date:
            raise MeetingError("The end date must be on or after the first meeting", "until_date")
    if schedule.end_kind is SeriesEnd.AFTER_COUNT and not (schedule.count and 1 <= schedule.count <= 200):
        raise MeetingError("The number of meetings must be between 1 and 200", "count")
    if schedule.online_link and not schedule.online_link.lower().startswith("https://"):
        raise MeetingError("The joining link must start with https://", "online_link")
    # Not just up to the horizon: the scheduler extends the series later, and a meeting the clocks skip
    # then would stop it. Calendar dates repeat every 28 years, so looking that far covers the pattern.
    problem = schedule.rule().first_nonexistent(horizon_end() + timedelta(days=365 * NONEXISTENT_CHECK_YEARS))
    if problem:
        raise MeetingError(str(problem), "start_time")


# --- occurrences -------------------------------------------------------------------------------------

def generate_occurrences(series: MeetingSeries, until: datetime | None = None) -> int:
    """Create the series' meetings up to the horizon; never duplicates one that exists."""
    if series.status is not SeriesStatus.ACTIVE and until is None:
        return 0
    end = until or horizon_end()
    if series.generated_until is not None and series.generated_until >= end:
        return 0
    existing = {o.original_start for o in series.occurrences}
    duration = timedelta(minutes=series.duration_minutes)
    made = 0
    for start in series.rule.starts_between(series.first_start, end):
        if start in existing:
            continue
        occurrence = Occurrence(original_start=start, starts_at=start, ends_at=start + duration,
                                status=OccurrenceStatus.SCHEDULED)
        series.occurrences.append(occurrence)
        # An answer given from a calendar for the whole series holds for its later meetings too.
        for invitee in series.current_invitees:
            if invitee.series_answer is not None:
                occurrence.responses.append(InvitationResponse(
                    user_id=invitee.user_id, response=invitee.series_answer, source=SERIES_ANSWER,
                    answer_stamp=invitee.answer_stamp, responded_at=invitee.answer_stamp or utcnow()))
        made += 1
    series.generated_until = end
    return made


def extend_all(now: datetime | None = None, may_go_on: Callable[[], bool] = lambda: True) -> int:
    """The scheduler's job: extend active series whose generated meetings run out within a week of the
    horizon. Cheap when there is nothing to do, so it can run on every tick. One series at a time, each
    committed, asking ``may_go_on`` before the next."""
    end = horizon_end(now)
    due = db.session.scalars(select(MeetingSeries.id).where(
        MeetingSeries.status == SeriesStatus.ACTIVE,
        (MeetingSeries.generated_until.is_(None)) | (MeetingSeries.generated_until < end - timedelta(days=7)))
    ).all()
    made = 0
    for series_id in due:
        if not may_go_on():
            break
        series = db.session.get(MeetingSeries, series_id)
        if series is not None and series.status is SeriesStatus.ACTIVE:
            try:  # like any change to a series: a lead ending or moving it at this moment is not overwritten
                claim_revision(series, None, StaleSeries("changed at the same moment"))
            except StaleSeries:
                continue  # (rolled back) the next tick extends it as it is then
            made += generate_occurrences(series, end)
        db.session.commit()
    return made


# --- invitees -------------------------------------------------------------------------------------

@dataclass
class Attendee:
    email: str
    name: str
    role: str  # CHAIR or REQ-PARTICIPANT
    partstat: str = "NEEDS-ACTION"  # the answer as calendars know it (RFC 5545 3.2.12)


def attendees(series: MeetingSeries, occurrence: Occurrence | None = None) -> list[Attendee]:
    """Who is invited, each with their answer: for the series (its master event), the answer they gave from
    a calendar for the whole series; for one meeting, their answer to that meeting (given anywhere), else
    that. The organiser is never asked: they are ACCEPTED."""
    answers = {r.user_id: r.response for r in occurrence.responses} if occurrence is not None else {}
    people = []
    for i in series.current_invitees:
        answer = answers.get(i.user_id) or i.series_answer
        partstat = ("ACCEPTED" if i.user_id == series.organiser_id
                    else answer.partstat if answer is not None else "NEEDS-ACTION")
        people.append(Attendee(i.user.email, i.user.name,
                               "CHAIR" if i.user_id == series.chair_id else "REQ-PARTICIPANT", partstat))
    return people


def _ensure_guest_access(family: Family, user: User, actor: User | None) -> None:
    """Someone invited who is not in the network gets scoped access: this family's meetings only."""
    on = today()
    lock_for_change(family)  # the same person invited to another of the family's series at this moment
    member = db.session.scalar(select(NetworkMembership).where(NetworkMembership.family_id == family.id,
                                                               current_membership_clause(user.id, on)))
    if member is None:
        if actor is None:
            raise MeetingError("An invitation is made by someone: the scheduler only takes people off")
        family_services.add_to_network(family, user, NetworkRole.GUEST, actor=actor,
                                       reason="Invited to the family's meetings")


def user_for_external(email: str, actor: User) -> User:
    """The account for an invited professional, created (with no password: they sign in with emailed
    codes) if they have none."""
    user = auth_services.user_by_email(email)
    if user is None:
        name = email.split("@")[0].replace(".", " ").title()
        user = auth_services.create_user(email=email, name=name, actor=actor)
    return user


def set_invitees(series: MeetingSeries, users: list[User], *, actor: User | None,
                 now: datetime | None = None) -> tuple[list[Invitee], list[Invitee]]:
    """Make the invitee list exactly ``users``. Returns (added, removed). ``now``: when they were added
    (the series' creation, for those it was set up with: invited to all its meetings)."""
    wanted = {u.id: u for u in users}
    added, removed = [], []
    by_user = {i.user_id: i for i in series.invitees}
    now = now or utcnow()
    for user_id, user in wanted.items():
        invitee = by_user.get(user_id)
        if invitee is None:
            invitee = Invitee(user_id=user.id, email=user.email, user=user, added_at=now)
            series.invitees.append(invitee)
            added.append(invitee)
        elif invitee.removed_at is not None:
            invitee.removed_at = None
            invitee.added_at = now  # asked again: invited from now on
            added.append(invitee)
        else:
            continue  # invited already: an invitation gives access when it is made, not on every re-save
        _ensure_guest_access(series.family, user, actor)
    for invitee in series.invitees:
        if invitee.user_id not in wanted and invitee.removed_at is None:
            invitee.removed_at = now
            removed.append(invitee)
    if added or removed:
        audit.record("meeting_invitees_changed", object_type="meeting_series", object_id=series.id,
                     family_id=series.family_id, actor=actor,
                     detail=f"added {[i.user_id for i in added]}, removed {[i.user_id for i in removed]}")
    return added, removed


# --- the series ---------------------------------------------------------------------------------------

def new_uid() -> str:
    """A random UID with no personal data in it."""
    host = current_app.config["BASE_URL"].split("//")[-1].split("/")[0].split(":")[0] or "coordinator.invalid"
    return f"{secrets.token_hex(16)}@{host}"


def create_series(family: Family, schedule: Schedule, *, actor: User, chair: User | None,
                  minute_taker: User | None, invitees: list[User], notify: bool = True,
                  split_from: MeetingSeries | None = None, allow_past: bool = False) -> MeetingSeries:
    """``allow_past`` is for recording a series that began before it was entered (imports, the demo)."""
    check_schedule(schedule, allow_past=allow_past)
    now = utcnow()
    series = MeetingSeries(
        family=family, meeting_type=schedule.meeting_type, organiser_id=actor.id, organiser=actor,
        chair=chair, minute_taker=minute_taker, first_date=schedule.first_date, start_time=schedule.start_time,
        duration_minutes=schedule.duration_minutes, timezone=schedule.timezone, recurrence=schedule.recurrence,
        interval=schedule.interval, end_kind=schedule.end_kind,
        until_date=schedule.until_date if schedule.end_kind is SeriesEnd.ON_DATE else None,
        count=schedule.count if schedule.end_kind is SeriesEnd.AFTER_COUNT else None,
        location=schedule.location, online_link=schedule.online_link, uid=new_uid(), sequence=0,
        status=SeriesStatus.ACTIVE, split_from_id=split_from.id if split_from else None,
        created_at=now, updated_at=now,
    )
    db.session.add(series)
    people = list(invitees)
    for person in (chair, minute_taker):
        if person is not None and person.id not in {p.id for p in people}:
            people.append(person)
    set_invitees(series, people, actor=actor, now=series.created_at)
    generate_occurrences(series)
    db.session.flush()
    audit.record("meeting_series_created", object_type="meeting_series", object_id=series.id,
                 family_id=family.id, actor=actor, detail=f"{schedule.meeting_type.name}, uid {series.uid}")
    if notify:
        signals.series_issued.send(series, invitees=series.current_invitees, new=series.current_invitees)
    return series


def _touch(series: MeetingSeries, expected_revision: int | None) -> None:
    """Every change to a series or one of its meetings claims the series' revision first: two changes made
    from the same page, however close together, cannot both go out (coordinator.concurrency)."""
    claim_revision(series, expected_revision, StaleSeries(
        "Someone else changed this meeting series while you were working on it. Nothing has been saved: check "
        "the series as it is now, then make your change again."))
    series.updated_at = _later_second(series.updated_at)


def _later_second(last: datetime | None) -> datetime:
    """Now, or if the series last changed within this second, the next whole second: the series' last
    change is the DTSTAMP of the messages it sends, and calendars written to the second tell two messages
    with the same SEQUENCE apart by their DTSTAMP alone (RFC 5546 2.1.5), so each change must have its own."""
    now = utcnow()
    if last is None:
        return now
    return max(now, last.replace(microsecond=0) + timedelta(seconds=1))


def significant_change(series: MeetingSeries) -> None:
    """A change calendars must ask people about again (RFC 5546 2.1.4: the time, the place, the recurrence,
    a cancellation): raise the series' SEQUENCE, stamped on every VEVENT of the messages that follow."""
    series.sequence += 1


def held_clause() -> ColumnElement[bool]:
    """Whether an Occurrence row is a meeting that has been held: recorded so here, or shown so by another
    area's records (its minutes started), asked through ``held_elsewhere`` without importing that area."""
    return or_(Occurrence.status == OccurrenceStatus.HELD, *answers(signals.held_elsewhere))


def held_ids(occurrences: Sequence[Occurrence]) -> set[int]:
    """The ids of those of ``occurrences`` that have been held: one query for them all (none when each is
    recorded as held here already, or cancelled: minutes are never started for a cancelled meeting)."""
    held = {o.id for o in occurrences if o.status is OccurrenceStatus.HELD}
    ask = [o.id for o in occurrences if o.id is not None and o.id not in held
           and o.status is not OccurrenceStatus.CANCELLED]
    if ask:
        held |= set(db.session.scalars(select(Occurrence.id).where(Occurrence.id.in_(ask), held_clause())))
    return held


def is_held(occurrence: Occurrence) -> bool:
    return occurrence.id in held_ids([occurrence])


def _require_changeable(occurrence: Occurrence) -> None:
    if occurrence.status is not OccurrenceStatus.CANCELLED and is_held(occurrence):
        raise MeetingError("This meeting has been held: it cannot be moved or cancelled")
    if occurrence.status is OccurrenceStatus.CANCELLED:
        raise MeetingError("This meeting was cancelled: it cannot be moved or cancelled again")


def _start_of(series: MeetingSeries, on: date, at: time, field: str = "new_time") -> datetime:
    try:
        return to_utc(datetime.combine(on, at), series.zone)
    except NonexistentLocalTime as problem:
        raise MeetingError(str(problem), field) from None


def _check_duration(minutes: int) -> timedelta:
    if not 0 < minutes <= current_app.config["MEETING_MAX_DURATION_MINUTES"]:
        raise MeetingError("Duration must be between 1 minute and 24 hours", "duration_minutes")
    return timedelta(minutes=minutes)


def _check_clash(series: MeetingSeries, start: datetime, but: Occurrence | None = None) -> None:
    if any(o is not but and o.starts_at == start and o.status is not OccurrenceStatus.CANCELLED
           for o in series.occurrences):
        raise MeetingError("Another meeting of this series is already at that time", "new_date")


def check_move(occurrence: Occurrence, *, on: date, at: time, duration_minutes: int | None) -> tuple[datetime, timedelta]:
    """Refuse a move that cannot be right; returns the new start and duration."""
    _require_changeable(occurrence)
    series = occurrence.series
    start = _start_of(series, on, at)
    if start < utcnow():
        raise MeetingError("A meeting cannot be moved into the past", "new_date")
    duration = _check_duration(duration_minutes or int((occurrence.ends_at - occurrence.starts_at).total_seconds() // 60))
    _check_clash(series, start, but=occurrence)
    if not occurrence.is_extra and not is_the_only_meeting(occurrence):
        _check_between_neighbours(occurrence, start)
    return start, duration


def is_the_only_meeting(occurrence: Occurrence) -> bool:
    """A series whose rule makes this one meeting (one meeting by count, or an end date before a second):
    moving it moves the series itself (its DTSTART), which every calendar takes, wherever it goes."""
    series = occurrence.series
    if occurrence.is_extra or series.end_kind is SeriesEnd.NEVER:
        return False
    if series.end_kind is SeriesEnd.AFTER_COUNT:
        return series.count == 1
    return len(list(itertools.islice(series.rule.local_starts(), 2))) == 1


class MoveRefused(MeetingError):
    """A move of a meeting of the series that calendars cannot take: past the next or the previous meeting,
    or past the series' end. Cancelling it and adding an extra meeting at that time does the same."""


def _when(series: MeetingSeries, instant: datetime) -> str:
    return instant.astimezone(series.zone).strftime("%A %-d %B %Y at %H:%M")


def _check_between_neighbours(occurrence: Occurrence, start: datetime) -> None:
    """A meeting of the series stays between its neighbours and within the series' end. Calendars hold it
    as an exception to the series' rule (a RECURRENCE-ID override), and Outlook refuses ("cannot reschedule
    an occurrence ... if it skips over a later occurrence") and Exchange fails to sync an exception moved to
    or past the next or the previous meeting, or beyond the rule's last date."""
    series = occurrence.series
    others = sorted((o for o in series.rule_occurrences
                     if o is not occurrence and o.status is not OccurrenceStatus.CANCELLED),
                    key=lambda o: o.original_start)
    before = [o for o in others if o.original_start < occurrence.original_start]
    after = [o for o in others if o.original_start > occurrence.original_start]
    if before and start <= before[-1].starts_at:
        raise MoveRefused("The new time must be after the previous meeting of the series, on "
                          f"{_when(series, before[-1].starts_at)}", "new_date")
    following = after[0].starts_at if after else _next_by_rule(series, occurrence)
    if following is not None and start >= following:
        raise MoveRefused(f"The new time must be before the next meeting of the series, on {_when(series, following)}",
                          "new_date")
    last_day = _last_day(series)
    if last_day is not None and start.astimezone(series.zone).date() > last_day:
        raise MoveRefused(f"The new date must be on or before {long_date(last_day)}, the last date of the series",
                          "new_date")


def _next_by_rule(series: MeetingSeries, occurrence: Occurrence) -> datetime | None:
    """When no later meeting of the series is made and still happening: the start the rule gives the next
    one not made yet (beyond the horizon), or None if the rule has no more."""
    made = {o.original_start for o in series.rule_occurrences}
    local = occurrence.original_start.astimezone(series.zone).replace(tzinfo=None)
    for candidate in series.rule.local_starts():
        if candidate <= local:
            continue
        try:
            start = to_utc(candidate, series.zone)
        except NonexistentLocalTime:
            continue
        if start not in made:
            return start
    return None


def _last_day(series: MeetingSeries) -> date | None:
    """The last date of the series' rule: its end date, or the date of its last counted meeting."""
    if series.end_kind is SeriesEnd.ON_DATE and series.until_date is not None:
        return series.until_date
    if series.end_kind is SeriesEnd.AFTER_COUNT and series.count:
        starts = list(series.rule.local_starts())
        return starts[-1].date() if starts else None
    return None


def check_extra(series: MeetingSeries, *, on: date, at: time, duration_minutes: int,
                but: Occurrence | None = None) -> datetime:
    """``but``: a meeting being cancelled for this one at the same time (replace_with_extra)."""
    if series.status is not SeriesStatus.ACTIVE:
        raise MeetingError("This series has ended: set up a new one instead", "new_date")
    start = _start_of(series, on, at)
    if start < utcnow():
        raise MeetingError("An extra meeting must be in the future", "new_date")
    _check_duration(duration_minutes)
    _check_clash(series, start, but=but)
    return start


MOVE_REASON_MAX = 500


def names_someone_in(family: Family, text: str) -> bool:
    """Whether ``text`` names the family, a child or a household member (any part of a name, as a word):
    what goes out by email must not."""
    names = [family.family_name, *(c.name for c in family.children), *(m.name for m in family.members if m.name)]
    parts = {part.lower() for name in names for part in re.findall(r"[^\W\d_]+", name) if len(part) > 1}
    return any(word.lower() in parts for word in re.findall(r"[^\W\d_]+", text))


def check_move_reason(occurrence: Occurrence, reason: str | None) -> str | None:
    """The organiser's reason for a move as kept and emailed (None if none); refused if too long or if it
    names someone of the family."""
    reason = (reason or "").strip() or None
    if reason and len(reason) > MOVE_REASON_MAX:
        raise MeetingError(f"Reason for the move must be {MOVE_REASON_MAX} characters or fewer", "reason")
    if reason and names_someone_in(occurrence.series.family, reason):
        raise MeetingError("Reason for the move must not name the family or anyone in it: it is emailed to "
                           "everyone invited", "reason")
    return reason


def move_occurrence(occurrence: Occurrence, *, actor: User, new_date: date, new_time: time,
                    duration_minutes: int | None = None, location: str | None = None,
                    online_link: str | None = None, reason: str | None = None, expected_revision: int | None = None,
                    notify: bool = True) -> None:
    """``reason``: the organiser's, optional; kept on the meeting, audited and told to the invitees."""
    series = occurrence.series
    if online_link and not online_link.lower().startswith("https://"):
        raise MeetingError("The joining link must start with https://", "online_link")
    start, duration = check_move(occurrence, on=new_date, at=new_time, duration_minutes=duration_minutes)
    reason = check_move_reason(occurrence, reason)
    _touch(series, expected_revision)
    was = occurrence.starts_at
    if is_the_only_meeting(occurrence):
        # The series' one meeting: the series starts then (no exception to a rule for calendars to place).
        local = start.astimezone(series.zone)
        series.first_date, series.start_time = local.date(), local.time()
        series.duration_minutes = int(duration.total_seconds() // 60)
        if series.end_kind is SeriesEnd.ON_DATE:
            series.until_date = local.date()
        occurrence.original_start = start
    occurrence.starts_at = start
    occurrence.ends_at = start + duration
    occurrence.location = location or None
    occurrence.online_link = online_link or None
    occurrence.move_reason = reason
    back_as_planned = start == occurrence.original_start and not location and not online_link
    occurrence.status = (OccurrenceStatus.SCHEDULED if occurrence.is_extra or back_as_planned
                         else OccurrenceStatus.MOVED)
    occurrence.revision += 1
    occurrence.updated_at = utcnow()
    audit.record("meeting_moved", object_type="occurrence", object_id=occurrence.id, family_id=series.family_id,
                 actor=actor, detail=f"to {start.isoformat()}" + (f"; reason: {reason[:400]}" if reason else ""))
    significant_change(series)
    if notify:
        moved = signals.Moved(occurrence, was, reason)
        if occurrence.is_extra:
            signals.extra_issued.send(occurrence, invitees=series.current_invitees, moved=moved)
        else:
            signals.series_issued.send(series, invitees=series.current_invitees, moved=moved)


def cancel_occurrence(occurrence: Occurrence, *, actor: User, reason: str, expected_revision: int | None = None,
                      notify: bool = True) -> None:
    _require_changeable(occurrence)
    series = occurrence.series
    _touch(series, expected_revision)
    _cancel(occurrence, actor=actor, reason=reason)
    if notify:
        signals.occurrence_cancelled.send(occurrence, invitees=series.current_invitees)


def _cancel(occurrence: Occurrence, *, actor: User, reason: str) -> None:
    series = occurrence.series
    occurrence.status = OccurrenceStatus.CANCELLED
    occurrence.cancel_reason = reason.strip()
    occurrence.revision += 1
    occurrence.updated_at = utcnow()
    audit.record("meeting_cancelled", object_type="occurrence", object_id=occurrence.id, family_id=series.family_id,
                 actor=actor, detail=reason[:400])
    significant_change(series)


def _check_link(online_link: str | None) -> None:
    if online_link and not online_link.lower().startswith("https://"):
        raise MeetingError("The joining link must start with https://", "online_link")


def add_extra(series: MeetingSeries, *, actor: User, on: date, at: time, duration_minutes: int,
              location: str | None = None, online_link: str | None = None, expected_revision: int | None = None,
              notify: bool = True) -> Occurrence:
    """An extra one-off meeting: an event of its own (its own UID), so the series' SEQUENCE stays as it is."""
    _check_link(online_link)
    start = check_extra(series, on=on, at=at, duration_minutes=duration_minutes)
    _touch(series, expected_revision)
    occurrence = _add_extra(series, actor=actor, start=start, duration_minutes=duration_minutes, location=location,
                            online_link=online_link)
    if notify:
        signals.extra_issued.send(occurrence, invitees=series.current_invitees)
    return occurrence


def _add_extra(series: MeetingSeries, *, actor: User, start: datetime, duration_minutes: int,
               location: str | None, online_link: str | None) -> Occurrence:
    occurrence = Occurrence(original_start=start, starts_at=start, ends_at=start + timedelta(minutes=duration_minutes),
                            status=OccurrenceStatus.SCHEDULED, location=location or None,
                            online_link=online_link or None, extra_uid=new_uid())
    series.occurrences.append(occurrence)
    db.session.flush()
    audit.record("meeting_extra_added", object_type="occurrence", object_id=occurrence.id,
                 family_id=series.family_id, actor=actor, detail=start.isoformat())
    return occurrence


def replace_with_extra(occurrence: Occurrence, *, actor: User, new_date: date, new_time: time,
                       duration_minutes: int | None = None, location: str | None = None,
                       online_link: str | None = None, reason: str | None = None,
                       expected_revision: int | None = None, notify: bool = True) -> Occurrence:
    """What to do instead of a move that calendars cannot take (check_move refuses it): cancel this meeting
    of the series and add an extra meeting at the new time, in one change. Everyone invited is sent the
    cancellation and the extra meeting's invitation together. Returns the extra meeting."""
    if occurrence.is_extra:
        raise MeetingError("An extra meeting can be moved to any time in the future: move it instead", "new_date")
    _require_changeable(occurrence)
    series = occurrence.series
    _check_link(online_link)
    minutes = duration_minutes or int((occurrence.ends_at - occurrence.starts_at).total_seconds() // 60)
    start = check_extra(series, on=new_date, at=new_time, duration_minutes=minutes, but=occurrence)
    reason = check_move_reason(occurrence, reason)
    _touch(series, expected_revision)
    when = start.astimezone(series.zone).strftime("%A %-d %B %Y at %H:%M")
    _cancel(occurrence, actor=actor, reason=f"Replaced by an extra meeting on {when}" + (f": {reason}" if reason else ""))
    extra = _add_extra(series, actor=actor, start=start, duration_minutes=minutes,
                       location=location or occurrence.location, online_link=online_link or occurrence.online_link)
    extra.move_reason = reason
    if notify:
        signals.occurrence_cancelled.send(occurrence, invitees=series.current_invitees, replaced_by=extra)
        signals.extra_issued.send(extra, invitees=series.current_invitees, replaces=occurrence)
    return extra


def end_series(series: MeetingSeries, *, actor: User, expected_revision: int | None = None,
               notify: bool = True) -> None:
    """End the series now: every future meeting goes; held and past ones stay as history."""
    if series.status is not SeriesStatus.ACTIVE:
        raise MeetingError("This series has already ended")
    _touch(series, expected_revision)
    now = utcnow()
    held = held_ids(series.occurrences)
    future = [o for o in series.occurrences if o.starts_at >= now and o.id not in held]
    past = [o for o in series.rule_occurrences if o not in future]
    future_extras = [o for o in future if o.is_extra and o.status is not OccurrenceStatus.CANCELLED]
    _truncate(series, keep=past, spare=future_extras, held=held)
    series.status = SeriesStatus.ENDED
    audit.record("meeting_series_ended", object_type="meeting_series", object_id=series.id,
                 family_id=series.family_id, actor=actor)
    significant_change(series)
    if notify:
        signals.series_cut_short.send(series, invitees=series.current_invitees, had_past=bool(past))
        for extra in future_extras:
            signals.extra_withdrawn.send(extra, invitees=series.current_invitees)
    for extra in future_extras:  # only now: their cancellations need them still attached to the series
        _delete_occurrence(series, extra)


def _delete_occurrence(series: MeetingSeries, occurrence: Occurrence) -> None:
    """Take a meeting out of its series: deleted, unless another area holds records about it (an update
    asked for it, say), which are not lost: it is then kept, cancelled."""
    if occurrence.id is not None and any(answers(signals.occurrence_in_use, occurrence)):
        _cancel_as_dropped(occurrence)
        return
    for response in list(occurrence.responses):
        db.session.delete(response)
    series.occurrences.remove(occurrence)
    db.session.delete(occurrence)


def _drop(series: MeetingSeries, occurrence: Occurrence) -> None:
    """Take a meeting out of a series whose rule was just cut short. A meeting of the rule that the cut
    rule still reaches (one moved from before the cut to after it) stays, cancelled, so that calendars
    keep it out with an EXDATE; any other is deleted."""
    reached = (not occurrence.is_extra and series.until_date is not None
               and occurrence.original_start.astimezone(series.zone).date() <= series.until_date)
    if not reached:
        _delete_occurrence(series, occurrence)
    else:
        _cancel_as_dropped(occurrence)


def _cancel_as_dropped(occurrence: Occurrence) -> None:
    if occurrence.status is not OccurrenceStatus.CANCELLED:
        occurrence.status = OccurrenceStatus.CANCELLED
        occurrence.cancel_reason = "The series no longer runs at this time"
        occurrence.revision += 1
        occurrence.updated_at = utcnow()


def _truncate(series: MeetingSeries, *, keep: list[Occurrence], spare: Sequence[Occurrence] = (),
              held: set[int]) -> None:
    """Cut the rule after the last meeting in ``keep``; drop the later (never held: not in ``held``)
    occurrences, except those in ``spare`` (which the caller deletes itself)."""
    now = utcnow()
    if keep:
        last = max(o.original_start for o in keep)
        series.end_kind = SeriesEnd.ON_DATE
        series.until_date = last.astimezone(series.zone).date()
        series.count = None
    else:
        series.end_kind = SeriesEnd.ON_DATE
        series.until_date = series.first_date
        series.count = None
    for occurrence in list(series.occurrences):
        if (occurrence.starts_at >= now and occurrence.id not in held
                and occurrence not in keep and occurrence not in spare):
            _drop(series, occurrence)


def split_series(series: MeetingSeries, schedule: Schedule, *, actor: User, expected_revision: int | None = None,
                 notify: bool = True) -> MeetingSeries:
    """Change the schedule from a date on: the old series keeps the meetings before that date (held ones
    with their history), a new series with a new UID takes over from then, and both are re-issued."""
    if series.status is not SeriesStatus.ACTIVE:
        raise MeetingError("This series has ended: set up a new one instead")
    check_schedule(schedule)
    split_at = to_utc(datetime.combine(schedule.first_date, time(0)), series.zone)
    _touch(series, expected_revision)
    held = held_ids(series.occurrences)
    # The meetings before the new schedule's first date stay, moved ones included, whichever way they moved.
    keep = [o for o in series.rule_occurrences
            if o.original_start < split_at or o.starts_at < split_at or o.id in held]
    future_extras = [o for o in series.occurrences if o.is_extra and o.starts_at >= split_at
                     and o.status is not OccurrenceStatus.CANCELLED and o.id not in held]
    recipients = list(series.current_invitees)
    people = [i.user for i in recipients]
    if keep:
        last = max(o.original_start for o in keep)
        series.end_kind, series.until_date, series.count = SeriesEnd.ON_DATE, last.astimezone(series.zone).date(), None
    for occurrence in list(series.occurrences):
        if (occurrence.starts_at >= split_at and occurrence.id not in held
                and occurrence not in keep and occurrence not in future_extras):
            if keep:
                _drop(series, occurrence)
            else:
                _delete_occurrence(series, occurrence)
    series.status = SeriesStatus.SPLIT
    db.session.flush()
    new = create_series(series.family, schedule, actor=actor, chair=series.chair, minute_taker=series.minute_taker,
                        invitees=people, notify=notify, split_from=series)
    audit.record("meeting_series_split", object_type="meeting_series", object_id=series.id,
                 family_id=series.family_id, actor=actor, detail=f"new series {new.id} from {schedule.first_date}")
    significant_change(series)
    if notify:
        signals.series_cut_short.send(series, invitees=recipients, had_past=bool(keep))
        for extra in future_extras:
            signals.extra_withdrawn.send(extra, invitees=recipients)
    for extra in future_extras:  # only now: their cancellations need them still attached to the series
        _delete_occurrence(series, extra)
    return new


def change_invitees(series: MeetingSeries, users: list[User], *, actor: User | None,
                    expected_revision: int | None = None, notify: bool = True) -> tuple[list[Invitee], list[Invitee]]:
    """Who is invited is not a significant change (RFC 5546 2.1.4): the series goes out as it now is with the
    same SEQUENCE (and a later DTSTAMP), to those newly invited as an invitation, to the others as the new
    attendee list; those taken off are sent their uninvite."""
    _touch(series, expected_revision)
    added, removed = set_invitees(series, users, actor=actor)
    if notify and (added or removed):
        signals.series_issued.send(series, invitees=series.current_invitees, new=added)
        for extra in series.occurrences:
            if extra.is_extra and extra.status is not OccurrenceStatus.CANCELLED and extra.starts_at >= utcnow():
                signals.extra_issued.send(extra, invitees=series.current_invitees)
        signals.invitees_removed.send(series, removed=removed)
    return added, removed


def withdraw_invitations(series: MeetingSeries, user_ids: set[int], *, actor: User | None) -> None:
    """Take people off a running series because they are no longer in the family's network: they are sent
    the cancellation (their calendars and feeds drop the meetings), the others the series as it now is."""
    remaining = [i.user for i in series.current_invitees if i.user_id not in user_ids]
    if len(remaining) < len(series.current_invitees):
        change_invitees(series, remaining, actor=actor)


def withdraw_lapsed_invitations(now: datetime | None = None, may_go_on: Callable[[], bool] = lambda: True) -> int:
    """The scheduler's job: people whose membership of a family's network has ended (by its date, or
    removed) are taken off the family's running series. One query when there is nothing to do."""
    on = (now or utcnow()).astimezone(local_zone()).date()  # as today() has it
    lapsed = db.session.execute(
        select(Invitee.series_id, Invitee.user_id).join(MeetingSeries, MeetingSeries.id == Invitee.series_id)
        .where(MeetingSeries.status == SeriesStatus.ACTIVE, Invitee.removed_at.is_(None),
               ~exists().where(NetworkMembership.family_id == MeetingSeries.family_id,
                               current_membership_clause(Invitee.user_id, on)))).all()
    by_series: dict[int, set[int]] = {}
    for series_id, user_id in lapsed:
        by_series.setdefault(series_id, set()).add(user_id)
    for series_id, user_ids in by_series.items():
        if not may_go_on():
            break
        series = db.session.get(MeetingSeries, series_id)
        if series is not None and series.status is SeriesStatus.ACTIVE:
            withdraw_invitations(series, user_ids, actor=None)
        db.session.commit()
    return sum(len(user_ids) for user_ids in by_series.values())


def mark_held(occurrence: Occurrence, *, actor: User) -> None:
    if occurrence.starts_at > utcnow():
        raise MeetingError("A meeting cannot be recorded as held before it starts")
    # The series first, then the meeting as it is now: a cancellation at this moment has either committed
    # (and is seen here) or waits, and is then refused as a change made to an older series.
    _touch(occurrence.series, None)
    db.session.refresh(occurrence)
    if occurrence.status is OccurrenceStatus.CANCELLED:
        raise MeetingError("A cancelled meeting cannot be recorded as held")
    occurrence.status = OccurrenceStatus.HELD
    occurrence.updated_at = utcnow()
    audit.record("meeting_held", object_type="occurrence", object_id=occurrence.id,
                 family_id=occurrence.series.family_id, actor=actor)


def respond(occurrence: Occurrence, user: User, response: Response, *, reason: str | None = None,
            deputy_name: str | None = None, deputy_email: str | None = None,
            from_calendar_at: datetime | None = None) -> InvitationResponse:
    """``from_calendar_at``: the answer came from the person's calendar (an iTIP REPLY stamped then)."""
    if occurrence.status is OccurrenceStatus.CANCELLED:
        raise MeetingError("This meeting was cancelled")
    row = db.session.scalar(select(InvitationResponse).where(InvitationResponse.occurrence_id == occurrence.id,
                                                             InvitationResponse.user_id == user.id))
    if row is None:
        row = InvitationResponse(occurrence_id=occurrence.id, user_id=user.id, response=response)
        occurrence.responses.append(row)
    row.response = response
    row.reason = reason or None
    row.deputy_name = deputy_name or None
    row.deputy_email = deputy_email or None
    row.responded_at = utcnow()
    row.source = "calendar" if from_calendar_at else None
    row.answer_stamp = from_calendar_at
    from coordinator.meetings import deputies  # it uses this module's account and access helpers

    try:
        deputies.name_deputy(occurrence, user, name=deputy_name if response is Response.DEPUTY else None,
                             email=deputy_email if response is Response.DEPUTY else None)
    except deputies.DeputyError as error:
        raise MeetingError(str(error), "deputy_email") from error
    audit.record("meeting_response", object_type="occurrence", object_id=occurrence.id,
                 family_id=occurrence.series.family_id, actor=user,
                 detail=response.name + (" (from their calendar)" if from_calendar_at else ""))
    return row


def answer_series(invitee: Invitee, response: Response, *, from_calendar_at: datetime) -> list[Occurrence]:
    """An answer from a calendar for the whole series: every meeting still to come takes it, except those
    with an answer given in the application (a considered answer to that one meeting stands), and so do
    meetings generated later. Returns the meetings it changed."""
    invitee.series_answer = response
    invitee.answer_stamp = from_calendar_at
    now, changed = utcnow(), []
    for occurrence in invitee.series.occurrences:
        if occurrence.starts_at < now or occurrence.status is OccurrenceStatus.CANCELLED or occurrence.is_extra:
            continue
        if not invitee.invited_to(occurrence):
            continue
        mine = next((r for r in occurrence.responses if r.user_id == invitee.user_id), None)
        if mine is not None and mine.source != SERIES_ANSWER:
            continue  # an answer to this one meeting (in the service, or from a calendar) stands
        if mine is None:
            mine = InvitationResponse(user_id=invitee.user_id, response=response)
            occurrence.responses.append(mine)
        mine.response, mine.source, mine.answer_stamp, mine.responded_at = response, SERIES_ANSWER, from_calendar_at, now
        mine.reason = mine.deputy_name = mine.deputy_email = None
        changed.append(occurrence)
    audit.record("meeting_series_response", object_type="meeting_series", object_id=invitee.series_id,
                 family_id=invitee.series.family_id, actor=invitee.user,
                 detail=f"{response.name} (from their calendar) for {len(changed)} meeting(s)")
    return changed
