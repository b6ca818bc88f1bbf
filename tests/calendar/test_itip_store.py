"""The test calendar store itself (itip.py): it must apply iTIP as a client does, or the other tests
prove nothing. Hand-written messages, no application."""
from __future__ import annotations

import pytest

from tests.calendar import itip

TZ = ("BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\nBEGIN:STANDARD\r\nDTSTART:19701025T020000\r\n"
      "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
      "BEGIN:DAYLIGHT\r\nDTSTART:19700329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
      "TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n")


def message(method: str, *events: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:" + method + "\r\n" + TZ
            + "".join(events) + "END:VCALENDAR\r\n")


def event(uid="u1", seq=0, start="20270104T100000", rid=None, status=None, extra="", stamp="20261101T000000Z"):
    lines = [f"UID:{uid}", f"SEQUENCE:{seq}", f"DTSTAMP:{stamp}",
             f"DTSTART;TZID=Europe/London:{start}", f"DTEND;TZID=Europe/London:{start[:9]}110000"]
    if rid is None:
        lines.append("RRULE:FREQ=WEEKLY;COUNT=4")
    else:
        lines.append(f"RECURRENCE-ID;TZID=Europe/London:{rid}")
    if status:
        lines.append(f"STATUS:{status}")
    if extra:
        lines.append(extra)
    return "BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n"


def test_request_cancel_and_sequence_rules():
    store = itip.CalendarStore()
    store.apply(message("REQUEST", event(seq=0), event(seq=0, rid="20270111T100000", start="20270112T100000")))
    assert set(store.events["u1"].overrides) and store.events["u1"].master is not None
    # A whole-series REQUEST replaces everything: the override it does not carry goes.
    store.apply(message("REQUEST", event(seq=1)))
    assert store.events["u1"].overrides == {}
    # An override alone is added; a lower SEQUENCE is ignored.
    store.apply(message("REQUEST", event(seq=2, rid="20270118T100000", start="20270118T140000")))
    assert len(store.events["u1"].overrides) == 1
    store.apply(message("REQUEST", event(seq=0)))
    assert store.ignored == [("REQUEST", "u1", 0)] and len(store.events["u1"].overrides) == 1
    # CANCEL of one instance: an EXDATE on the master, and its override dropped.
    store.apply(message("CANCEL", event(seq=3, rid="20270118T100000", status="CANCELLED")))
    assert store.events["u1"].overrides == {}
    assert [p.to_line() for p in store.events["u1"].master.all("EXDATE")] == [
        "EXDATE;TZID=Europe/London:20270118T100000"]
    text = store.to_ics()
    assert "EXDATE;TZID=Europe/London:20270118T100000\r\n" in text and "BEGIN:VTIMEZONE" in text
    # CANCEL of the UID: gone.
    store.apply(message("CANCEL", event(seq=4, status="CANCELLED")))
    assert store.events == {}


def test_the_same_sequence_applies_with_a_later_dtstamp_only():
    """RFC 5546 2.1.5 ("Message Sequencing", rule 4): where UID and SEQUENCE match, the later DTSTAMP is the
    newer message. An organiser changes who is invited so, without asking everyone to answer again."""
    store = itip.CalendarStore()
    store.apply(message("REQUEST", event(seq=1, stamp="20261101T090000Z")))
    store.apply(message("REQUEST", event(seq=1, stamp="20261101T090001Z", extra="ATTENDEE:mailto:new@x.test")))
    assert store.events["u1"].master.value("ATTENDEE") == "mailto:new@x.test" and store.ignored == []
    # The same message again, or an older one with that SEQUENCE arriving late: ignored.
    store.apply(message("REQUEST", event(seq=1, stamp="20261101T090001Z")))
    store.apply(message("REQUEST", event(seq=1, stamp="20261101T085959Z")))
    assert store.ignored == [("REQUEST", "u1", 1), ("REQUEST", "u1", 1)]
    assert store.events["u1"].master.value("ATTENDEE") == "mailto:new@x.test"
    # An uninvite with the same SEQUENCE and a later DTSTAMP removes it; asked again later, it comes back.
    store.apply(message("CANCEL", event(seq=1, stamp="20261101T100000Z")))
    assert store.events == {}
    store.apply(message("REQUEST", event(seq=1, stamp="20261101T110000Z")))
    assert store.events["u1"].master is not None
    # A higher SEQUENCE wins whatever its DTSTAMP.
    store.apply(message("REQUEST", event(seq=2, stamp="20261101T000000Z", start="20270104T140000")))
    assert store.events["u1"].master.value("DTSTART") == "20270104T140000"


def test_content_lines_unfold_quote_and_fold_back():
    prop = itip.parse_line('ATTENDEE;CN="Ó Briain, Siân";ROLE=CHAIR;X-A=a,"b:c":mailto:x@y.test')
    assert prop.params == {"CN": ["Ó Briain, Siân"], "ROLE": ["CHAIR"], "X-A": ["a", "b:c"]}
    assert prop.value == "mailto:x@y.test"
    long = "DESCRIPTION:" + "é" * 100
    folded = itip.fold(long)
    assert all(len(line.encode()) <= 75 for line in folded.split("\r\n"))
    assert itip.unfold(folded + "\r\n") == [long]
    with pytest.raises(ValueError):
        itip.parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n")
    with pytest.raises(ValueError, match="exactly one UID"):
        itip.CalendarStore().apply(message("REQUEST", event(uid="a"), event(uid="b")))
