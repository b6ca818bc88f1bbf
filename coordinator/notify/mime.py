"""Rendering whole MIME messages, once, when they are put in the outbox."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from typing import cast


@dataclass
class CalendarPart:
    """An iMIP calendar: sent inline (text/calendar; method=...) and attached as invite.ics."""

    ics: str
    method: str  # REQUEST or CANCEL, upper case, matching the METHOD property inside


@dataclass
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    calendar: CalendarPart | None = None
    headers: dict[str, str] = field(default_factory=dict)


def message_id_for(idempotency_key: str, sender: str) -> str:
    """A stable Message-ID derived from the idempotency key: a resent message is recognisably the same."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "coordinator.invalid"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def render(email: Email, *, sender: str, message_id: str) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in email.headers.items():
        msg[name] = value

    if email.calendar is None:
        msg.set_content(email.text)
        if email.html:
            msg.add_alternative(email.html, subtype="html")
        return msg

    # multipart/mixed -> [multipart/alternative -> (plain, html, text/calendar), invite.ics]
    alternative = EmailMessage(policy=SMTP)
    alternative.set_content(email.text)
    if email.html:
        alternative.add_alternative(email.html, subtype="html")
    # Plain ASCII travels as ordinary CRLF lines (7bit); anything else as base64 of the exact bytes, so the
    # CRLF line ends RFC 5545 asks for survive either way.
    ics = email.calendar.ics
    if ics.isascii():
        alternative.add_alternative(ics, subtype="calendar", charset="UTF-8", cte="7bit")
    else:
        alternative.add_alternative(ics.encode("utf-8"), maintype="text", subtype="calendar", cte="base64")
    calendar_part = cast(EmailMessage, alternative.get_payload()[-1])  # type: ignore[index]
    calendar_part.replace_header("Content-Type", f"text/calendar; charset=UTF-8; method={email.calendar.method}")
    msg.make_mixed()
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"
    msg.attach(alternative)
    # As Google Calendar sends it: the same calendar again as an application/ics attachment.
    msg.add_attachment(
        email.calendar.ics.encode("utf-8"),
        maintype="application",
        subtype="ics",
        filename="invite.ics",
        params={"name": "invite.ics"},
    )
    return msg
