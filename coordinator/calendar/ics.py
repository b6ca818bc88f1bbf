"""iCalendar building: iMIP REQUEST and CANCEL messages (RFC 5545/5546/6047) and personal feeds.

Every message holds one UID. A REQUEST for a series is the whole current state (the master with its
RRULE and EXDATEs, and every moved meeting as an override), so a calendar that applies it ends up exactly
as the application shows the series. Times are written as wall-clock times with TZID and our own compact
VTIMEZONE built from yearly rules, not a long RDATE list (which Outlook mis-reads).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)

from coordinator.meetings.recurrence import WEEKDAY_CODES

PRODID = "-//Local safeguarding partnership//Professionals meeting coordinator//EN"
UTC = timezone.utc


# --- VTIMEZONE ---------------------------------------------------------------------------------------

def _last_of_month(day: date) -> bool:
    return (day + timedelta(days=7)).month != day.month


@lru_cache(maxsize=32)
def _transitions(zone_name: str, year: int) -> tuple:
    """(instant, offset before, offset after, name after) for each change of offset in ``year``."""
    zone = ZoneInfo(zone_name)
    step = timedelta(minutes=15)
    moment = datetime(year, 1, 1, tzinfo=UTC)
    before = moment.astimezone(zone).utcoffset()
    found = []
    while moment.year == year:
        moment += step
        local = moment.astimezone(zone)
        if local.utcoffset() != before:
            found.append((moment, before, local.utcoffset(), local.tzname()))
            before = local.utcoffset()
    return tuple(found)


def vtimezone(zone_name: str, year: int | None = None) -> Timezone:
    """A compact VTIMEZONE for ``zone_name``: one STANDARD and one DAYLIGHT part with yearly RRULEs
    derived from the zone's transitions (for Europe/London: the last Sunday of March at 01:00 GMT, the
    last Sunday of October at 02:00 BST)."""
    year = year or datetime.now(UTC).year
    zone = ZoneInfo(zone_name)
    tz = Timezone()
    tz.add("tzid", zone_name)
    transitions = _transitions(zone_name, year)
    part: TimezoneDaylight | TimezoneStandard
    if not transitions:
        part = TimezoneStandard()
        offset = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone).utcoffset()
        part.add("dtstart", datetime(1970, 1, 1))
        part.add("tzoffsetfrom", offset)
        part.add("tzoffsetto", offset)
        part.add("tzname", datetime(year, 1, 1, tzinfo=UTC).astimezone(zone).tzname())
        tz.add_component(part)
        return tz
    for instant, before, after, name in transitions:
        wall = (instant + before).replace(tzinfo=None)  # the local time the change happens, in the old offset
        day = wall.date()
        nth = -1 if _last_of_month(day) else (day.day - 1) // 7 + 1
        code = WEEKDAY_CODES[day.weekday()]
        part = TimezoneDaylight() if after > before else TimezoneStandard()
        part.add("dtstart", _first_matching_1970(day.month, nth, day.weekday()).replace(
            hour=wall.hour, minute=wall.minute))
        part.add("rrule", {"freq": "YEARLY", "bymonth": day.month, "byday": f"{nth}{code}"})
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", name)
        tz.add_component(part)
    return tz


def _first_matching_1970(month: int, nth: int, weekday: int) -> datetime:
    days = [date(1970, month, d) for d in range(1, 32) if _valid(1970, month, d)]
    matching = [d for d in days if d.weekday() == weekday]
    chosen = matching[-1] if nth == -1 else matching[nth - 1]
    return datetime(chosen.year, chosen.month, chosen.day)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


# --- events ------------------------------------------------------------------------------------------

def _calendar(method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def _happens_twice(instant: datetime, zone: ZoneInfo) -> bool:
    """Whether the instant's wall-clock time comes round twice (the hour the clocks go back). Such a time
    cannot be written with TZID: RFC 5545 reads it as the first of the two, while libical-based clients
    (ical.js, Thunderbird) read it as the second."""
    local = instant.astimezone(zone).replace(tzinfo=None)
    return (local.replace(tzinfo=zone, fold=0).astimezone(UTC)
            != local.replace(tzinfo=zone, fold=1).astimezone(UTC))


def _exact(instant: datetime, zone: ZoneInfo) -> datetime:
    """A DTSTART/DTEND value every client reads as this instant: wall-clock with TZID, or UTC when the
    wall-clock time happens twice."""
    return instant.astimezone(UTC) if _happens_twice(instant, zone) else _local(instant, zone)


def _read_alike(start: datetime, end: datetime, zone: ZoneInfo) -> bool:
    """Whether every client expands a rule instance to exactly [start, end): neither end a wall-clock time
    that happens twice, and no change of the clocks in between (across one, clients differ on whether a
    duration is added in exact or in wall-clock time)."""
    return (not _happens_twice(start, zone) and not _happens_twice(end, zone)
            and start.astimezone(zone).utcoffset() == end.astimezone(zone).utcoffset())


def _people(event: Event, series, attendees) -> None:
    organiser = vCalAddress(f"mailto:{series.organiser_email}")
    organiser.params["cn"] = vText(series.organiser_name)
    event.add("organizer", organiser)
    for person in attendees:
        attendee = vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = vText(person.name)
        attendee.params["role"] = vText(person.role)
        # Each person's answer as given anywhere (in the service or from their calendar); only those who have
        # not answered are asked to (RSVP), so a change sent later does not ask everyone again.
        partstat = getattr(person, "partstat", "NEEDS-ACTION")
        attendee.params["partstat"] = vText(partstat)
        attendee.params["rsvp"] = vText("TRUE" if partstat == "NEEDS-ACTION" else "FALSE")
        event.add("attendee", attendee, encode=False)


def _base_event(uid: str, series, *, sequence: int, stamp: datetime, start: datetime, end: datetime,
                location: str | None, link: str | None, url: str, attendees, status: str | None = "CONFIRMED",
                recurring: bool = False, titled_cancelled: bool = False) -> Event:
    """``titled_cancelled``: a cancelled meeting kept in a published calendar (the feed) says so in its
    title, since Outlook shows an event with STATUS:CANCELLED alone as going ahead."""
    zone = ZoneInfo(series.timezone)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    if recurring:
        # A rule's DTSTART stays wall-clock, so its meetings follow the clocks. Its length goes as DTEND,
        # unless clients would measure that differently (see _read_alike): then as DURATION.
        event.add("dtstart", _local(start, zone))
        if _read_alike(start, end, zone):
            event.add("dtend", _local(end, zone))
        else:
            event.add("duration", end - start)
    else:
        event.add("dtstart", _exact(start, zone))
        event.add("dtend", _exact(end, zone))
    cancelled = status == "CANCELLED"
    event.add("summary", f"Cancelled: {series.title}" if cancelled and titled_cancelled else series.title)
    # The description is a link to the meeting page and nothing else: no names, no case details.
    event.add("description", url)
    event.add("url", url)
    place = ", ".join(part for part in (location, link) if part)
    if place:
        event.add("location", place)
    if status is not None:
        event.add("status", status)
    # A cancelled meeting leaves the time free.
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    # PRIVATE (CALENDAR_CLASS): calendars others can see show the time only, not the link or the people.
    event.add("class", current_app.config["CALENDAR_CLASS"])
    event.add("last-modified", series.updated_at.astimezone(UTC))
    _people(event, series, attendees)
    return event


def series_events(series, *, sequence: int, stamp: datetime, attendees, url_for_occurrence, series_url: str,
                  cancelled_as_overrides: bool = False, attendees_at=None) -> list[Event]:
    """The master VEVENT (RRULE, EXDATE for cancelled meetings) and an override for each moved meeting.
    ``cancelled_as_overrides`` (a published calendar, the feed): each cancelled meeting an override instead,
    kept in the calendar as "Cancelled: ...", free time. ``attendees_at(occurrence)``: the people with their
    answers to that meeting; a meeting whose answers differ from the series' gets an override carrying them."""
    zone = ZoneInfo(series.timezone)
    first = series.first_start
    master = _base_event(series.uid, series, sequence=sequence, stamp=stamp, start=first,
                         end=first + timedelta(minutes=series.duration_minutes), location=series.location,
                         link=series.online_link, url=series_url, attendees=attendees, recurring=True)
    master.add("rrule", series.rule.ical_rrule())
    cancelled = [o for o in series.rule_occurrences if o.status_name == "CANCELLED"]
    if cancelled and not cancelled_as_overrides:
        master.add("exdate", [_local(o.original_start, zone) for o in cancelled])
    events = [master]
    duration = timedelta(minutes=series.duration_minutes)
    for occurrence in series.rule_occurrences:
        # Whatever its status says (a moved meeting is HELD once it has taken place; a change of length
        # alone leaves it SCHEDULED), a meeting not as the rule makes it needs an override.
        moved = occurrence.status_name == "MOVED" or (occurrence.status_name != "CANCELLED" and (
            occurrence.starts_at != occurrence.original_start or occurrence.ends_at != occurrence.starts_at + duration
            or occurrence.location or occurrence.online_link))
        # A meeting the rule places where clients would read it differently is spelt out as an override.
        unclear = (occurrence.status_name != "CANCELLED"
                   and not _read_alike(occurrence.starts_at, occurrence.ends_at, zone))
        people = attendees_at(occurrence) if attendees_at is not None else attendees
        answered = (people != attendees and occurrence.status_name != "CANCELLED"
                    and occurrence.starts_at >= stamp)
        if moved or unclear or answered or (cancelled_as_overrides and occurrence.status_name == "CANCELLED"):
            override = _base_event(
                series.uid, series, sequence=sequence, stamp=stamp, start=occurrence.starts_at,
                end=occurrence.ends_at, location=occurrence.where, link=occurrence.link,
                url=url_for_occurrence(occurrence), attendees=people,
                status="CANCELLED" if occurrence.status_name == "CANCELLED" else "CONFIRMED",
                titled_cancelled=cancelled_as_overrides)
            override.add("recurrence-id", _local(occurrence.original_start, zone))
            events.append(override)
    return events


def extra_event(series, occurrence, *, sequence: int, stamp: datetime, attendees, url: str,
                status: str = "CONFIRMED", titled_cancelled: bool = False) -> Event:
    return _base_event(occurrence.extra_uid, series, sequence=sequence, stamp=stamp, start=occurrence.starts_at,
                       end=occurrence.ends_at, location=occurrence.where, link=occurrence.link, url=url,
                       attendees=attendees, status=status, titled_cancelled=titled_cancelled)


def occurrence_cancel_event(series, occurrence, *, sequence: int, stamp: datetime, attendees, url: str) -> Event:
    zone = ZoneInfo(series.timezone)
    event = _base_event(series.uid, series, sequence=sequence, stamp=stamp, start=occurrence.starts_at,
                        end=occurrence.ends_at, location=occurrence.where, link=occurrence.link, url=url,
                        attendees=attendees, status="CANCELLED")
    event.add("recurrence-id", _local(occurrence.original_start, zone))
    return event


def series_cancel_event(series, *, sequence: int, stamp: datetime, attendees, url: str) -> Event:
    first = series.first_start
    event = _base_event(series.uid, series, sequence=sequence, stamp=stamp, start=first,
                        end=first + timedelta(minutes=series.duration_minutes), location=series.location,
                        link=series.online_link, url=url, attendees=attendees, status="CANCELLED", recurring=True)
    event.add("rrule", series.rule.ical_rrule())
    return event


def to_ics(events: list[Event], *, method: str | None, zones: set[str]) -> str:
    cal = _calendar(method)
    for zone_name in sorted(zones):
        cal.add_component(vtimezone(zone_name))
    for event in events:
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def uninvite_event(series, occurrence=None, *, sequence: int, stamp: datetime, removed, url: str) -> Event:
    """RFC 5546 3.2.5: a CANCEL that takes one attendee off the event (the series, or an extra meeting):
    it lists the person removed, and carries no STATUS, since the event itself goes on for the others."""
    if occurrence is not None:
        return _base_event(occurrence.extra_uid, series, sequence=sequence, stamp=stamp, start=occurrence.starts_at,
                           end=occurrence.ends_at, location=occurrence.where, link=occurrence.link, url=url,
                           attendees=removed, status=None)
    first = series.first_start
    event = _base_event(series.uid, series, sequence=sequence, stamp=stamp, start=first,
                        end=first + timedelta(minutes=series.duration_minutes), location=series.location,
                        link=series.online_link, url=url, attendees=removed, status=None, recurring=True)
    event.add("rrule", series.rule.ical_rrule())
    return event


def deputy_event(series, occurrence, *, sequence: int, stamp: datetime, attendees, url: str, delegator: str,
                 deputy, status: str = "CONFIRMED") -> Event:
    """One meeting as sent to a deputy (RFC 5546 3.2.2.3, delegation): that meeting only (its RECURRENCE-ID
    within the series, or an extra meeting's own UID), the invitee who sent them marked DELEGATED-TO and the
    deputy DELEGATED-FROM."""
    zone = ZoneInfo(series.timezone)
    uid = occurrence.extra_uid or series.uid
    event = _base_event(uid, series, sequence=sequence, stamp=stamp, start=occurrence.starts_at,
                        end=occurrence.ends_at, location=occurrence.where, link=occurrence.link, url=url,
                        attendees=[*attendees, deputy], status=status)
    if not occurrence.extra_uid:
        event.add("recurrence-id", _local(occurrence.original_start, zone))
    people = event.get("attendee")
    for address in people if isinstance(people, list) else [people]:
        email = str(address).removeprefix("mailto:")
        if email == delegator:
            address.params["partstat"] = vText("DELEGATED")
            address.params["delegated-to"] = vText(f"mailto:{deputy.email}")
            address.params.pop("rsvp", None)
        elif email == deputy.email:
            address.params["delegated-from"] = vText(f"mailto:{delegator}")
    return event


def decline_counter_event(series, occurrence, *, sequence: int, stamp: datetime, person, url: str,
                          comment: str | None = None) -> Event:
    """RFC 5546 3.2.8: the organiser declines a counter-proposal; the event names the meeting (its UID and,
    within a series, its RECURRENCE-ID) and the one attendee who proposed."""
    zone = ZoneInfo(series.timezone)
    event = Event()
    event.add("uid", occurrence.extra_uid or series.uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    if not occurrence.extra_uid:
        event.add("recurrence-id", _local(occurrence.original_start, zone))
    organiser = vCalAddress(f"mailto:{series.organiser_email}")
    organiser.params["cn"] = vText(series.organiser_name)
    event.add("organizer", organiser)
    attendee = vCalAddress(f"mailto:{person.email}")
    attendee.params["cn"] = vText(person.name)
    event.add("attendee", attendee, encode=False)
    event.add("url", url)
    if comment:
        event.add("comment", comment)
    return event
