"""A small iTIP calendar store (RFC 5546), applying iMIP messages in order as a calendar client does.

It reads iCalendar with its own content-line parser (RFC 5545 section 3.1: unfolding, parameters, quoted
values), not with the ``icalendar`` package that wrote the messages, and keeps each component's lines as
received, so what it writes out is what the application sent, plus what a client itself adds (an EXDATE
for a cancelled meeting).

Rules, per UID:
- REQUEST with a master (a VEVENT with no RECURRENCE-ID): replaces everything stored for the UID (master
  and overrides) with the message's components, if its SEQUENCE is not lower than the stored one.
- REQUEST with only RECURRENCE-ID overrides: each replaces (or adds) the stored override for its instance.
- CANCEL without RECURRENCE-ID: deletes the UID.
- CANCEL with RECURRENCE-ID: adds an EXDATE for that instance to the stored master and drops its override.
Which message is newer (RFC 5546 section 2.1.5, "Message Sequencing", rules 2 and 4): the higher SEQUENCE;
with the same SEQUENCE, the later DTSTAMP (how an organiser updates the attendee list without asking anyone
to answer again). A message that is not newer than the latest one applied for its UID (a lower SEQUENCE, or
the same SEQUENCE and a DTSTAMP no later) is ignored, and recorded in ``ignored``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CRLF = "\r\n"


# --- content lines -----------------------------------------------------------------------------------

@dataclass
class Prop:
    name: str  # upper case
    params: dict[str, list[str]]  # upper-case names; values unquoted
    value: str  # as written (still escaped)

    def param(self, name: str) -> str | None:
        values = self.params.get(name.upper())
        return values[0] if values else None

    def to_line(self) -> str:
        text = self.name
        for name, values in self.params.items():
            text += ";" + name + "=" + ",".join(_quote(v) for v in values)
        return text + ":" + self.value


def _quote(value: str) -> str:
    return f'"{value}"' if re.search(r'[;:,]', value) else value


_NAME = re.compile(r"[A-Za-z0-9-]+")


def parse_line(line: str) -> Prop:
    """One unfolded content line: name *(";" param) ":" value."""
    match = _NAME.match(line)
    if not match:
        raise ValueError(f"not a content line: {line!r}")
    name, pos = match.group().upper(), match.end()
    params: dict[str, list[str]] = {}
    while pos < len(line) and line[pos] == ";":
        pos += 1
        match = _NAME.match(line, pos)
        if not match or line[match.end():match.end() + 1] != "=":
            raise ValueError(f"bad parameter in {line!r}")
        pname, pos = match.group().upper(), match.end() + 1
        values = []
        while True:
            if pos < len(line) and line[pos] == '"':
                end = line.index('"', pos + 1)
                values.append(line[pos + 1:end])
                pos = end + 1
            else:
                end = pos
                while end < len(line) and line[end] not in ';:,':
                    end += 1
                values.append(line[pos:end])
                pos = end
            if pos < len(line) and line[pos] == ",":
                pos += 1
                continue
            break
        params[pname] = values
    if pos >= len(line) or line[pos] != ":":
        raise ValueError(f"no value in {line!r}")
    return Prop(name, params, line[pos + 1:])


def unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def fold(line: str) -> str:
    """Fold at 75 octets, never inside a UTF-8 sequence."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return CRLF.join(out)


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


@dataclass
class Component:
    name: str
    props: list[Prop] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def all(self, name: str) -> list[Prop]:
        return [p for p in self.props if p.name == name.upper()]

    def get(self, name: str) -> Prop | None:
        found = self.all(name)
        return found[0] if found else None

    def value(self, name: str) -> str | None:
        prop = self.get(name)
        return prop.value if prop else None

    def subs(self, name: str) -> list[Component]:
        return [c for c in self.children if c.name == name.upper()]

    def lines(self) -> list[str]:
        out = [f"BEGIN:{self.name}"]
        out += [p.to_line() for p in self.props]
        for child in self.children:
            out += child.lines()
        out.append(f"END:{self.name}")
        return out

    def to_ics(self) -> str:
        return "".join(fold(line) + CRLF for line in self.lines())


def parse(text: str) -> Component:
    """An iCalendar stream holding one VCALENDAR."""
    stack: list[Component] = []
    root = None
    for line in unfold(text):
        prop = parse_line(line)
        if prop.name == "BEGIN":
            component = Component(prop.value.upper())
            if stack:
                stack[-1].children.append(component)
            elif root is not None:
                raise ValueError("more than one VCALENDAR")
            else:
                root = component
            stack.append(component)
        elif prop.name == "END":
            if not stack or stack[-1].name != prop.value.upper():
                raise ValueError(f"unbalanced END:{prop.value}")
            stack.pop()
        else:
            if not stack:
                raise ValueError(f"property outside any component: {line!r}")
            stack[-1].props.append(prop)
    if root is None or stack or root.name != "VCALENDAR":
        raise ValueError("not one complete VCALENDAR")
    return root


# --- date-times --------------------------------------------------------------------------------------

def instant(prop: Prop) -> datetime:
    """A DATE-TIME property as a UTC instant (TZID resolved with zoneinfo; used to match instances)."""
    value = prop.value
    if value.endswith("Z"):
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    local = datetime.strptime(value, "%Y%m%dT%H%M%S")
    tzid = prop.param("TZID")
    if tzid is None:
        raise ValueError(f"floating time in {prop.to_line()!r}")
    return local.replace(tzinfo=ZoneInfo(tzid)).astimezone(UTC)


def sequence_of(event: Component) -> int:
    return int(event.value("SEQUENCE") or 0)


def stamp_of(event: Component) -> datetime:
    prop = event.get("DTSTAMP")
    if prop is None:
        raise ValueError("a VEVENT without DTSTAMP")
    return instant(prop)


# --- the store ---------------------------------------------------------------------------------------

@dataclass
class StoredEvent:
    master: Component | None = None
    overrides: dict[datetime, Component] = field(default_factory=dict)

    @property
    def sequence(self) -> int:
        if self.master is not None:
            return sequence_of(self.master)
        return max((sequence_of(o) for o in self.overrides.values()), default=-1)


class CalendarStore:
    def __init__(self):
        self.events: dict[str, StoredEvent] = {}
        self.timezones: dict[str, Component] = {}
        self.applied: list[tuple[str, str, int]] = []  # (method, uid, sequence)
        self.ignored: list[tuple[str, str, int]] = []
        self.latest: dict[str, tuple[int, datetime]] = {}  # uid -> (SEQUENCE, DTSTAMP) of the newest applied

    def apply(self, text: str) -> None:
        calendar = parse(text)
        method = (calendar.value("METHOD") or "").upper()
        if method not in ("REQUEST", "CANCEL"):
            raise ValueError(f"unexpected METHOD {method!r}")
        for tz in calendar.subs("VTIMEZONE"):
            self.timezones[tz.value("TZID")] = tz
        vevents = calendar.subs("VEVENT")
        uids = {e.value("UID") for e in vevents}
        if len(uids) != 1:
            raise ValueError(f"an iTIP message must carry exactly one UID, not {sorted(uids)}")
        uid = uids.pop()
        sequence = max(sequence_of(e) for e in vevents)
        stamp = max(stamp_of(e) for e in vevents)
        stored = self.events.get(uid)
        newest = self.latest.get(uid)
        if (stored is not None and sequence < stored.sequence) or (newest is not None and (sequence, stamp) <= newest):
            self.ignored.append((method, uid, sequence))
            return
        self.latest[uid] = (sequence, stamp)
        masters = [e for e in vevents if e.get("RECURRENCE-ID") is None]
        overrides = [e for e in vevents if e.get("RECURRENCE-ID") is not None]
        if len(masters) > 1:
            raise ValueError(f"two masters for {uid}")
        if method == "REQUEST":
            if masters:
                self.events[uid] = StoredEvent(masters[0], {instant(o.get("RECURRENCE-ID")): o for o in overrides})
            else:
                stored = self.events.setdefault(uid, StoredEvent())
                for override in overrides:
                    stored.overrides[instant(override.get("RECURRENCE-ID"))] = override
        else:  # CANCEL
            if masters:
                self.events.pop(uid, None)
            elif stored is not None:
                for override in overrides:
                    rid = override.get("RECURRENCE-ID")
                    stored.overrides.pop(instant(rid), None)
                    if stored.master is not None:
                        stored.master.props.append(Prop("EXDATE", dict(rid.params), rid.value))
        self.applied.append((method, uid, sequence))

    def to_ics(self) -> str:
        calendar = Component("VCALENDAR", [Prop("VERSION", {}, "2.0"),
                                           Prop("PRODID", {}, "-//tests//iTIP calendar store//EN")])
        calendar.children.extend(self.timezones.values())
        for stored in self.events.values():
            if stored.master is not None:
                calendar.children.append(stored.master)
            calendar.children.extend(stored.overrides[k] for k in sorted(stored.overrides))
        return calendar.to_ics()
