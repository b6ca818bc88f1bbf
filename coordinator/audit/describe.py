"""Audit events as people read them on a page (the access history, the administrators' log). What is stored,
and exported as CSV, stays as it was written: stored names, ISO times, endpoint names, user ids."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.timeutil import date_and_time, long_date

# Pages whose view name does not say what they are; any other page reads as its view's name in words.
PAGES = {
    "families.show": "Family page",
    "families.show_member": "A household member's page",
    "families.household_history": "The household on an earlier date",
    "families.edit": "Change the family's details",
    "families.edit_member": "Change a household member",
    "families.edit_child": "Change a child's details",
    "families.add_sighting": "Record a sighting",
    "families.member_left": "Record that someone left",
    "families.add_network_member": "Add someone to the network",
    "families.remove_network_member": "Remove someone from the network",
    "meetings.show_series": "A meeting series",
    "meetings.show_occurrence": "A meeting",
    "meetings.respond": "Answer a meeting invitation",
    "minutes.show_version": "Published minutes",
    "minutes.print_version": "Minutes for printing",
    "minutes.family_copy": "Minutes: the family's copy",
    "minutes.version_pdf": "Minutes as a PDF",
    "minutes.family_copy_pdf": "Minutes: the family's copy as a PDF",
    "minutes.action_closure": "Approve closing an action",
    "minutes.edit": "Write the minutes",
    "minutes.action": "An action",
    "minutes.action_log": "Actions",
    "submissions.update_form": "An agency's update",
    "submissions.show_submission": "An agency's update",
    "submissions.meeting_pack": "Pre-meeting pack",
    "submissions.pack_pdf": "Pre-meeting pack as a PDF",
    "submissions.meeting_updates": "Agencies' updates for a meeting",
}

ISO_INSTANT = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?")
ISO_DAY = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
USER = re.compile(r"\buser (\d+)\b")
USER_LIST = re.compile(r"\b(added|removed) \[([\d, ]*)\]")
# Settings written as name=value by the areas (role=ADMIN; active=True; the audit log's filters).
KEY_VALUE = re.compile(r"\b(role|active|user|family|from|to)=([^;\s]*)")
UID = re.compile(r",? uid \S+")
UPPER = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\b")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


# Actions whose detail the areas write from stored values (names, ids, lists); in any other detail, and after
# "reason: " in these, the text is what someone typed and is shown as typed (apart from ISO dates and times).
STRUCTURED = {
    "meeting_series_created", "meeting_response", "meeting_invitees_changed", "meeting_series_split",
    "action_updated", "household_sighting_recorded", "network_member_added", "network_member_removed",
    "update_request_handed_over", "update_request_closed", "user_created", "user_invited", "user_updated",
    "family_updated", "child_updated", "household_member_updated", "outbox_resend_all", "signed_in",
}


@dataclass(frozen=True)
class Described:
    event: AuditEvent
    action: str
    detail: str


def _stored_names() -> dict[str, str]:
    """Every stored enumeration name the application has, with what people read for it."""
    names: dict[str, str] = {}
    todo = list(enum.Enum.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith("coordinator."):
            continue
        for name, member in cls.__members__.items():
            label = getattr(member, "label", None)
            names.setdefault(name, label if isinstance(label, str) else name.replace("_", " ").capitalize())
    return names


def _words(name: str) -> str:
    return name.replace("_", " ")


def page_name(endpoint: str) -> str:
    return PAGES.get(endpoint) or _words(endpoint.split(".", 1)[1]).capitalize()


def _user_names(events: list[AuditEvent]) -> dict[int, str]:
    ids: set[int] = set()
    for event in events:
        if event.action not in STRUCTURED:
            continue
        detail = event.detail or ""
        ids.update(int(i) for i in USER.findall(detail))
        for _, listed in USER_LIST.findall(detail):
            ids.update(int(i) for i in listed.replace(" ", "").split(",") if i)
    if not ids:
        return {}
    user = AuditEvent.actor.property.mapper.class_  # the users table, without importing an area above this one
    return {row.id: row.name for row in db.session.execute(select(user.id, user.name).where(user.id.in_(ids)))}


def _detail(event: AuditEvent, endpoints: set[str], names: dict[int, str], stored: dict[str, str]) -> str:
    text = event.detail or ""
    if text in endpoints:
        return page_name(text)

    def instant(match: re.Match) -> str:
        try:
            return date_and_time(datetime.fromisoformat(match.group(0).replace("Z", "+00:00")))
        except ValueError:
            return match.group(0)

    def day(match: re.Match) -> str:
        try:
            return long_date(date.fromisoformat(match.group(0)))
        except ValueError:
            return match.group(0)

    def person(user_id: str) -> str:
        return names.get(int(user_id), "someone no longer recorded")

    def listed(match: re.Match) -> str:
        people = [person(i) for i in match.group(2).replace(" ", "").split(",") if i]
        joined = ", ".join(people[:-1]) + " and " + people[-1] if len(people) > 1 else (people[0] if people else "nobody")
        return f"{match.group(1)} {joined}"

    def key_value(match: re.Match) -> str:
        value = match.group(2)
        value = {"True": "yes", "False": "no", "": "(any)"}.get(value, stored.get(value, value))
        return f"{match.group(1)}: {value}"

    written, typed = text, ""
    if event.action in STRUCTURED and "reason: " in text:
        written, typed = text.split("reason: ", 1)
        typed = "reason: " + typed
    written = ISO_DAY.sub(day, ISO_INSTANT.sub(instant, written.replace("filters=", "filters: ", 1)))
    written = KEY_VALUE.sub(key_value, written)
    if event.action in STRUCTURED:
        written = UID.sub("", written)
        written = USER_LIST.sub(listed, written.replace("], removed [", "]; removed ["))
        written = USER.sub(lambda m: person(m.group(1)), written)
        written = UPPER.sub(lambda m: stored.get(m.group(0), m.group(0)), written)
        written = SNAKE.sub(lambda m: _words(m.group(0)), written)
    return written + ISO_DAY.sub(day, ISO_INSTANT.sub(instant, typed))


def describe(events) -> list[Described]:
    """Each event with its action and detail in words: "Meeting moved", "to Friday 26 February 2027 at 14:00"."""
    events = list(events)
    endpoints = {rule.endpoint for rule in current_app.url_map.iter_rules()}
    names = _user_names(events)
    stored = _stored_names()
    return [Described(e, _words(e.action).capitalize(),
                      _detail(e, endpoints, names, stored) if e.detail else "") for e in events]
