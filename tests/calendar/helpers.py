"""Reading the invites the application sent, as a mail client and a calendar would, and comparing the
calendars they make with what the application's database says."""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from tests.calendar import itip

ROOT = Path(__file__).resolve().parents[2]
EXPAND = Path(__file__).with_name("expand.mjs")
NODE_TIMEOUT_SECONDS = 60


# --- email -------------------------------------------------------------------------------------------

def calendar_of_message(message: EmailMessage) -> tuple[str, str]:
    """Check an iMIP email's structure and return (calendar text, method).

    multipart/mixed -> [multipart/alternative -> (text/plain, text/html, text/calendar; method=M),
    application/ics invite.ics]; the attachment is the inline calendar byte for byte, the method
    parameter equals the METHOD property inside, and the calendar's lines end in CRLF.
    """
    assert message.get_content_type() == "multipart/mixed", message.get_content_type()
    parts = message.get_payload()
    assert len(parts) == 2, [p.get_content_type() for p in parts]
    alternative, attachment = parts
    assert alternative.get_content_type() == "multipart/alternative"
    inner = alternative.get_payload()
    assert [p.get_content_type() for p in inner] == ["text/plain", "text/html", "text/calendar"]
    calendar_part = inner[2]
    method = calendar_part.get_param("method")
    assert method in ("REQUEST", "CANCEL"), method
    assert (calendar_part.get_content_charset() or "").lower() == "utf-8"
    data = calendar_part.get_payload(decode=True)
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b""), "calendar lines must end in CRLF"
    text = data.decode("utf-8")
    assert itip.parse(text).value("METHOD") == method, "the Content-Type method must equal METHOD inside"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == data, "invite.ics must be the inline calendar"
    return text, method


def texts_of_message(message: EmailMessage) -> list[str]:
    """Everything a reader of the email could see: subject, plain and HTML bodies, the calendar."""
    found = [str(message["Subject"])]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        found.append(payload.decode(part.get_content_charset() or "utf-8"))
    return found


def store_for(messages: Iterable[EmailMessage]) -> itip.CalendarStore:
    """Apply each message's calendar, in the order received, to a fresh calendar store."""
    store = itip.CalendarStore()
    for message in messages:
        text, _ = calendar_of_message(message)
        store.apply(text)
    return store


# --- expanding calendars -----------------------------------------------------------------------------

def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expand_with_icaljs(ics_text: str, start: datetime, end: datetime) -> dict:
    """ical.js's reading of the calendar (see expand.mjs), with only the file's own VTIMEZONEs."""
    with tempfile.NamedTemporaryFile("w", suffix=".ics", delete=False, encoding="utf-8", newline="") as handle:
        handle.write(ics_text)
        path = handle.name
    try:
        done = subprocess.run(["node", str(EXPAND), path, iso(start), iso(end)], cwd=ROOT, capture_output=True,
                              text=True, timeout=NODE_TIMEOUT_SECONDS, env={**os.environ, "TZ": "UTC"},
                              check=False)
    finally:
        os.unlink(path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _times(items: list[dict]) -> list[tuple[str, str]]:
    return sorted((i["start"], i["end"]) for i in items)


def icaljs_view(ics_text: str, start: datetime, end: datetime) -> dict[str, dict[str, list]]:
    """{uid: {"meetings": [(start, end)], "cancelled": [(start, end)]}} as ical.js sees it; asserts every
    time is in a registered zone (not floating) and no override is left without an instance."""
    result = expand_with_icaljs(ics_text, start, end)
    view = {}
    for uid, event in result["events"].items():
        assert not event["orphans"], f"{uid}: overrides of no instance of the rule: {event['orphans']}"
        for item in event["occurrences"] + event["cancelled"]:
            assert item["tzid"] in result["zones"] + ["UTC"], f"{uid}: time not in a VTIMEZONE: {item}"
        view[uid] = {"meetings": _times(event["occurrences"]), "cancelled": _times(event["cancelled"])}
    return view


def python_view(ics_text: str, start: datetime, end: datetime) -> dict[str, dict[str, list]]:
    """The same calendar read by recurring_ical_events (icalendar's parser, zoneinfo's zones)."""
    import icalendar
    import recurring_ical_events

    calendar = icalendar.Calendar.from_ical(ics_text)
    view: dict[str, dict[str, list]] = {}
    for event in recurring_ical_events.of(calendar).between(start, end):
        begins = event.decoded("DTSTART")
        if not start <= begins < end:
            continue  # between() also gives events that only overlap the window
        ends = event.decoded("DTEND")
        status = str(event.get("STATUS", "")).upper()
        entry = view.setdefault(str(event["UID"]), {"meetings": [], "cancelled": []})
        entry["cancelled" if status == "CANCELLED" else "meetings"].append((iso(begins), iso(ends)))
    for entry in view.values():
        entry["meetings"].sort()
        entry["cancelled"].sort()
    return view


def app_view(series_list, start: datetime, end: datetime, *, with_cancelled: bool) -> dict[str, dict[str, list]]:
    """What the application's database says: each series' rule meetings under its UID, each extra
    meeting under its own; cancelled ones listed only when the calendar should show them as cancelled."""
    from coordinator.meetings.models import OccurrenceStatus

    view: dict[str, dict[str, list]] = {}
    for series in series_list:
        for occurrence in series.occurrences:
            if not start <= occurrence.starts_at < end:
                continue
            uid = occurrence.extra_uid or series.uid
            entry = view.setdefault(uid, {"meetings": [], "cancelled": []})
            if occurrence.status is OccurrenceStatus.CANCELLED:
                if with_cancelled:
                    entry["cancelled"].append((iso(occurrence.starts_at), iso(occurrence.ends_at)))
            else:
                entry["meetings"].append((iso(occurrence.starts_at), iso(occurrence.ends_at)))
    for entry in view.values():
        entry["meetings"].sort()
        entry["cancelled"].sort()
    return view


def _nonempty(view: dict) -> dict:
    return {uid: entry for uid, entry in view.items() if entry["meetings"] or entry["cancelled"]}


def assert_calendar_is_app(ics_text: str, series_list, start: datetime, end: datetime, *,
                           with_cancelled: bool = False) -> dict:
    """Both parsers read exactly the application's meetings from ``ics_text``, instant by instant."""
    expected = _nonempty(app_view(series_list, start, end, with_cancelled=with_cancelled))
    by_icaljs = _nonempty(icaljs_view(ics_text, start, end))
    by_python = _nonempty(python_view(ics_text, start, end))
    if not with_cancelled:
        for view in (by_icaljs, by_python):
            for uid, entry in view.items():
                assert not entry["cancelled"], f"{uid}: a cancelled instance left in the calendar: {entry}"
    assert by_icaljs == expected, _diff("ical.js", by_icaljs, expected)
    assert by_python == expected, _diff("recurring_ical_events", by_python, expected)
    return expected


def _diff(who: str, got: dict, expected: dict) -> str:
    lines = [f"{who} disagrees with the database:"]
    for uid in sorted(set(got) | set(expected)):
        for kind in ("meetings", "cancelled"):
            mine = set(got.get(uid, {}).get(kind, []))
            theirs = set(expected.get(uid, {}).get(kind, []))
            if mine - theirs:
                lines.append(f"  {uid} {kind} only in the calendar: {sorted(mine - theirs)}")
            if theirs - mine:
                lines.append(f"  {uid} {kind} only in the database: {sorted(theirs - mine)}")
    return "\n".join(lines)


# --- dates around the clock changes ------------------------------------------------------------------

def last_sunday(year: int, month: int):
    from datetime import date

    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def next_last_sunday(month: int, after, *, lead_days: int = 21):
    """The next last Sunday of ``month`` (3: the clocks go forward; 10: back) at least ``lead_days`` after
    ``after`` (a date): at most a year and three weeks ahead, so inside the 400-day horizon."""
    for year in (after.year, after.year + 1):
        day = last_sunday(year, month)
        if day >= after + timedelta(days=lead_days):
            return day
    raise AssertionError("unreachable")


UID_RE = re.compile(r"^[0-9a-f]{32}@[A-Za-z0-9.-]+$")  # random, no personal data
