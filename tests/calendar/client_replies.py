"""Calendar answers as each client sends them to the organiser (iMIP, RFC 6047), built by hand in each
client's own shape, not with the icalendar package the application reads them with.

Sources for each shape:
- Outlook / Exchange: [MS-OXCICAL] (Microsoft's iCalendar-to-appointment spec): 2.1.3.1.1.20 (METHOD REPLY /
  COUNTER), the "GMT Standard Time" TZID with a VTIMEZONE starting 1601, COMMENT;LANGUAGE, SUMMARY prefixed
  "Accepted:", X-MICROSOFT-CDO-* properties and X-MS-OLK-ORIGINALSTART/END on a counter ("New Time
  Proposed:"); sent as multipart/alternative with the calendar base64-encoded.
- Google Calendar: replies observed from Gmail: multipart/mixed holding multipart/alternative (text/plain,
  text/html, text/calendar; method=REPLY) and the same calendar again as application/ics "invite.ics"
  (base64); PRODID "-//Google Inc//Google Calendar 70.9054//EN", DTSTART in UTC, RECURRENCE-ID with an
  Olson TZID and no VTIMEZONE, ATTENDEE with X-NUM-GUESTS.
- Apple Calendar (macOS / iCloud): text/calendar "iCal-<date>.ics" quoted-printable; ATTENDEE with the EMAIL
  parameter and REQUEST-STATUS:2.0;Success; a VTIMEZONE with X-LIC-LOCATION.
- Thunderbird: its itip code (calItipUtils / calItipEmailTransport.sys.mjs): text/plain "has accepted your
  event invitation", text/calendar; method=REPLY (8bit) and application/ics "invite.ics"; PRODID
  "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN"; COUNTER with COMMENT; delegation per RFC 5546
  3.2.2.3 (the delegator DELEGATED-TO, the delegate DELEGATED-FROM).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP
from email.utils import formataddr, make_msgid
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


@dataclass
class Answer:
    uid: str
    organiser: str
    email: str
    name: str
    partstat: str = "ACCEPTED"
    recurrence_id: datetime | None = None  # the meeting's original start (aware); None: the whole series
    start: datetime | None = None  # the meeting as the client has it (or as proposed, for a counter)
    end: datetime | None = None
    sequence: int = 0
    stamp: datetime | None = None
    summary: str = "Core group - ref TEST"
    comment: str | None = None
    delegate: tuple[str, str] | None = None  # (email, name)
    from_address: str | None = None  # the email's From, when it is not the attendee (a forgery)


def _utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _wall(value: datetime) -> str:
    return value.astimezone(LONDON).strftime("%Y%m%dT%H%M%S")


def _stamp(answer: Answer) -> str:
    return _utc(answer.stamp or datetime.now(timezone.utc))


def _fold(text: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets folded (CRLF + space)."""
    out = []
    for line in text.strip("\n").split("\n"):
        line = line.rstrip("\r")
        while len(line.encode()) > 75:
            cut = 75
            while len(line[:cut].encode()) > 75:
                cut -= 1
            out.append(line[:cut])
            line = " " + line[cut:]
        out.append(line)
    return "\r\n".join(out) + "\r\n"


def _envelope(answer: Answer, subject: str, body: MIMEMultipart | MIMEText) -> bytes:
    body["From"] = formataddr((answer.name, answer.from_address or answer.email))
    body["To"] = answer.organiser
    body["Subject"] = subject
    body["Message-ID"] = make_msgid(domain=(answer.from_address or answer.email).split("@")[1])
    body["Date"] = "Mon, 30 Nov 2026 10:10:10 +0000"
    body["MIME-Version"] = "1.0"
    return body.as_bytes(policy=SMTP)  # headers with a name like "Siân" encoded (RFC 2047), lines in CRLF


_OUTLOOK_ZONE = """BEGIN:VTIMEZONE
TZID:GMT Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T010000
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""

_LONDON_ZONE = """BEGIN:VTIMEZONE
TZID:Europe/London
X-LIC-LOCATION:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""

_VERB = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative", "DELEGATED": "Delegated"}


def outlook(answer: Answer, method: str = "REPLY") -> bytes:
    start, end = answer.start or answer.recurrence_id, answer.end
    lines = ["BEGIN:VCALENDAR", f"METHOD:{method}", "PRODID:Microsoft Exchange Server 2010", "VERSION:2.0",
             _OUTLOOK_ZONE, "BEGIN:VEVENT",
             f"ATTENDEE;PARTSTAT={answer.partstat};CN={answer.name}:mailto:{answer.email}",
             f"COMMENT;LANGUAGE=en-GB:{answer.comment or chr(92) + 'n'}",
             f"SUMMARY;LANGUAGE=en-GB:{'New Time Proposed' if method == 'COUNTER' else _VERB[answer.partstat]}: "
             f"{answer.summary}"]
    if start:
        lines.append(f"DTSTART;TZID=GMT Standard Time:{_wall(start)}")
    if end:
        lines.append(f"DTEND;TZID=GMT Standard Time:{_wall(end)}")
    lines.append(f"UID:{answer.uid}")
    if answer.recurrence_id:
        lines.append(f"RECURRENCE-ID;TZID=GMT Standard Time:{_wall(answer.recurrence_id)}")
    if method == "COUNTER" and answer.recurrence_id:
        lines += [f"X-MS-OLK-ORIGINALSTART;TZID=GMT Standard Time:{_wall(answer.recurrence_id)}"]
    lines += ["CLASS:PUBLIC", "PRIORITY:5", f"DTSTAMP:{_stamp(answer)}", "TRANSP:OPAQUE", "STATUS:CONFIRMED",
              f"SEQUENCE:{answer.sequence}", "LOCATION;LANGUAGE=en-GB:Family centre",
              f"X-MICROSOFT-CDO-APPT-SEQUENCE:{answer.sequence}", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
              "X-MICROSOFT-CDO-IMPORTANCE:1", "X-MICROSOFT-DISALLOW-COUNTER:FALSE", "END:VEVENT", "END:VCALENDAR"]
    message = MIMEMultipart("alternative")
    message.attach(MIMEText(answer.comment or "", "plain", "us-ascii"))
    calendar = MIMEText(_fold("\n".join(lines)), "calendar", "utf-8")  # base64, as Exchange sends it
    calendar.set_param("method", method)
    message.attach(calendar)
    subject = ("New Time Proposed: " if method == "COUNTER" else f"{_VERB[answer.partstat]}: ") + answer.summary
    return _envelope(answer, subject, message)


def google(answer: Answer) -> bytes:
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
             "CALSCALE:GREGORIAN", "METHOD:REPLY", "BEGIN:VEVENT"]
    if answer.start:
        lines.append(f"DTSTART:{_utc(answer.start)}")
    if answer.end:
        lines.append(f"DTEND:{_utc(answer.end)}")
    lines += [f"DTSTAMP:{_stamp(answer)}", f"ORGANIZER;CN={answer.organiser}:mailto:{answer.organiser}",
              f"UID:{answer.uid}",
              f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={answer.partstat};CN={answer.name};"
              f"X-NUM-GUESTS=0:mailto:{answer.email}"]
    if answer.recurrence_id:
        lines.append(f"RECURRENCE-ID;TZID=Europe/London:{_wall(answer.recurrence_id)}")
    lines += ["CREATED:20261130T090000Z", "DESCRIPTION:", "LAST-MODIFIED:" + _stamp(answer),
              "LOCATION:Family centre", f"SEQUENCE:{answer.sequence}", "STATUS:CONFIRMED",
              f"SUMMARY:{answer.summary}", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    text = _fold("\n".join(lines))
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(f"{answer.name} has accepted this invitation.", "plain", "utf-8"))
    alternative.attach(MIMEText(f"<p>{answer.name} has accepted this invitation.</p>", "html", "utf-8"))
    inline = MIMEText(text, "calendar", "utf-8")
    inline.set_param("method", "REPLY")
    alternative.attach(inline)
    message = MIMEMultipart("mixed")
    message.attach(alternative)
    attachment = MIMEApplication(text.encode(), "ics", name="invite.ics")
    attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(attachment)
    return _envelope(answer, f"{_VERB[answer.partstat]}: {answer.summary} @ Tue 8 Dec 2026 10am - 11am (GMT) "
                     f"({answer.organiser})", message)


def apple(answer: Answer) -> bytes:
    lines = ["BEGIN:VCALENDAR", "CALSCALE:GREGORIAN", "METHOD:REPLY", "PRODID:-//Apple Inc.//macOS 15.1//EN",
             "VERSION:2.0", _LONDON_ZONE, "BEGIN:VEVENT",
             f"ATTENDEE;CN={answer.name};CUTYPE=INDIVIDUAL;EMAIL={answer.email};PARTSTAT={answer.partstat}:"
             f"mailto:{answer.email}"]
    if answer.end:
        lines.append(f"DTEND;TZID=Europe/London:{_wall(answer.end)}")
    lines.append(f"DTSTAMP:{_stamp(answer)}")
    if answer.start:
        lines.append(f"DTSTART;TZID=Europe/London:{_wall(answer.start)}")
    lines += ["LAST-MODIFIED:" + _stamp(answer), f"ORGANIZER;EMAIL={answer.organiser}:mailto:{answer.organiser}"]
    if answer.recurrence_id:
        lines.append(f"RECURRENCE-ID;TZID=Europe/London:{_wall(answer.recurrence_id)}")
    lines += ["REQUEST-STATUS:2.0;Success", f"SEQUENCE:{answer.sequence}", f"SUMMARY:{answer.summary}",
              f"UID:{answer.uid}", "END:VEVENT", "END:VCALENDAR"]
    calendar = MIMEText("", "calendar", "utf-8")
    calendar.replace_header("Content-Transfer-Encoding", "quoted-printable")
    import quopri

    calendar.set_payload(quopri.encodestring(_fold("\n".join(lines)).encode()).decode())
    calendar.set_param("method", "REPLY")
    calendar.set_param("name", "iCal-20261130-101010.ics")
    calendar.add_header("Content-Disposition", "attachment", filename="iCal-20261130-101010.ics")
    message = MIMEMultipart("mixed")
    message.attach(calendar)
    return _envelope(answer, f"Invitation: {answer.summary} ({_VERB[answer.partstat].lower()})", message)


def thunderbird(answer: Answer, method: str = "REPLY") -> bytes:
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN", "VERSION:2.0",
             f"METHOD:{method}", _LONDON_ZONE, "BEGIN:VEVENT", "CREATED:20261130T090000Z",
             "LAST-MODIFIED:" + _stamp(answer), f"DTSTAMP:{_stamp(answer)}", f"UID:{answer.uid}",
             f"SUMMARY:{answer.summary}", f"ORGANIZER;CN={answer.organiser}:mailto:{answer.organiser}"]
    if answer.delegate:
        deputy_email, deputy_name = answer.delegate
        lines += [f'ATTENDEE;CN={answer.name};PARTSTAT=DELEGATED;ROLE=REQ-PARTICIPANT;DELEGATED-TO="mailto:'
                  f'{deputy_email}":mailto:{answer.email}',
                  f'ATTENDEE;RSVP=TRUE;CN={deputy_name};PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;DELEGATED-FROM='
                  f'"mailto:{answer.email}":mailto:{deputy_email}']
    else:
        lines.append(f"ATTENDEE;RSVP=TRUE;CN={answer.name};PARTSTAT={answer.partstat};ROLE=REQ-PARTICIPANT:"
                     f"mailto:{answer.email}")
    if answer.recurrence_id:
        lines.append(f"RECURRENCE-ID;TZID=Europe/London:{_wall(answer.recurrence_id)}")
    if answer.start:
        lines.append(f"DTSTART;TZID=Europe/London:{_wall(answer.start)}")
    if answer.end:
        lines.append(f"DTEND;TZID=Europe/London:{_wall(answer.end)}")
    if answer.comment:
        lines.append(f"COMMENT:{answer.comment}")
    lines += [f"SEQUENCE:{answer.sequence}", "X-MOZ-GENERATION:1", "END:VEVENT", "END:VCALENDAR"]
    text = _fold("\n".join(lines))
    message = MIMEMultipart("mixed")
    verb = "proposed a new time for" if method == "COUNTER" else (
        "delegated" if answer.delegate else f"{_VERB[answer.partstat].lower()}")
    message.attach(MIMEText(f"{answer.name} has {verb} your event invitation.", "plain", "utf-8"))
    calendar = MIMEText(text, "calendar", "utf-8")
    calendar.replace_header("Content-Transfer-Encoding", "8bit")
    calendar.set_payload(text.encode().decode("ascii", "surrogateescape"))  # 8bit UTF-8 octets, as sent
    calendar.set_param("method", method)
    message.attach(calendar)
    attachment = MIMEApplication(text.encode(), "ics", name="invite.ics")
    attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(attachment)
    prefix = "Counter proposal" if method == "COUNTER" else _VERB["DELEGATED" if answer.delegate else answer.partstat]
    return _envelope(answer, f"{prefix}: {answer.summary}", message)


CLIENTS = {"outlook": outlook, "google": google, "apple": apple, "thunderbird": thunderbird}
