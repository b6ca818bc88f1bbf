"""What comes back to the organiser address (coordinator.notify.inbound), understood and applied.

- An iTIP REPLY (RFC 5546 3.2.3) from Outlook/Exchange, Google, Apple or Thunderbird: the person's answer,
  for the series (no RECURRENCE-ID) or for the one meeting it names; DELEGATED-TO names a deputy.
- A COUNTER (3.2.7): a new time proposed for one meeting, waiting for the lead to accept (the meeting moves)
  or decline (a DECLINECOUNTER to the person who proposed it).
- Anything else (a plain reply: "I'll be late", a calendar we cannot read, a method we do not take) is kept
  for the lead professional to read, placed with the family where the message says which.

A calendar message is applied only when its UID is one of ours, the ATTENDEE answering is invited to it, and
the email's From is that attendee's address; otherwise it is kept, never applied. A reply older than the
answer already recorded (by its DTSTAMP, RFC 5546 2.1.5) changes nothing.
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from coordinator.calendar import invites
from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings import services as meetings
from coordinator.meetings.models import (
    InvitationResponse,
    MeetingSeries,
    Occurrence,
    OccurrenceStatus,
    ProposalStatus,
    ProposedTime,
    Response,
)
from coordinator.notify.inbound import message_text
from coordinator.notify.models import InboundMessage, InboundState, OutboxMessage
from coordinator.timeutil import utcnow

UTC = timezone.utc


@dataclass
class Outcome:
    state: InboundState
    words: str
    family_id: int | None = None
    occurrence_id: int | None = None

    def as_tuple(self):
        return self.state, self.words, self.family_id, self.occurrence_id


def _kept(words: str, family_id: int | None = None, occurrence_id: int | None = None) -> Outcome:
    return Outcome(InboundState.KEPT, words, family_id, occurrence_id)


# --- reading the email ---------------------------------------------------------------------------------

def calendar_parts(message: EmailMessage) -> list[str]:
    """The iCalendar texts in an email: text/calendar parts (inline, as iMIP puts them, RFC 6047 2.4) and
    .ics attachments (Google and Thunderbird send both; they are the same calendar)."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        name = (part.get_filename() or "").lower()
        if kind in ("text/calendar", "application/ics") or name.endswith(".ics"):
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            charset = part.get_content_charset() or "utf-8"
            try:
                found.append(payload.decode(charset, errors="replace"))
            except LookupError:
                found.append(payload.decode("utf-8", errors="replace"))
    return found


def _address(value) -> str:
    text = str(value or "")
    return text.split(":", 1)[1].strip().lower() if text.lower().startswith("mailto:") else text.strip().lower()


def _attendee_addresses(prop) -> set[str]:
    """An ATTENDEE's addresses: its value (mailto:) and Apple's EMAIL parameter, which carries the address
    when the value is a urn:uuid."""
    addresses = {_address(prop)}
    email = getattr(prop, "params", {}).get("EMAIL")
    if email:
        addresses.add(str(email).strip().lower())
    return {a for a in addresses if "@" in a}


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _instant(prop, zone) -> tuple[datetime | None, datetime | None]:
    """A DATE-TIME property as (the instant, if it can be told, the wall-clock time written). Outlook writes
    TZIDs of its own ("GMT Standard Time") with a VTIMEZONE that icalendar may not resolve: then the
    wall-clock time is read in the series' own zone, which is what the client echoes back."""
    value = getattr(prop, "dt", None)  # None: absent, or a value icalendar could not read (vBroken)
    if value is None:
        return None, None
    if isinstance(value, datetime):
        wall = value.replace(tzinfo=None)
        if value.tzinfo is not None:
            return value.astimezone(UTC), wall
        return None, wall
    if isinstance(value, date):
        return None, None
    return None, None


def _find_occurrence(series: MeetingSeries, recurrence_id) -> Occurrence | None:
    instant, wall = _instant(recurrence_id, series.zone)
    for occurrence in series.occurrences:
        if occurrence.is_extra:
            continue
        if instant is not None and occurrence.original_start == instant:
            return occurrence
    for occurrence in series.occurrences:
        if not occurrence.is_extra and wall is not None and \
                occurrence.original_start.astimezone(series.zone).replace(tzinfo=None) == wall:
            return occurrence
    return None


def _stamp(event) -> datetime:
    value = getattr(event.get("DTSTAMP"), "dt", None)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return utcnow()


def _comment(event) -> str | None:
    comments = [str(c).strip() for c in _as_list(event.get("COMMENT")) if str(c).strip()]
    return " ".join(comments)[:400] or None


# --- placing a plain reply -----------------------------------------------------------------------------

_REFERENCE = re.compile(r"\bref ([A-Z0-9]{4,8})\b")


def _family_of_plain_reply(message: EmailMessage) -> int | None:
    """A plain reply to one of our emails: the family of the email it answers (In-Reply-To, References), or
    of the reference in its subject ("Re: Core group - ref K7Q2XM: ...")."""
    ids = re.findall(r"<[^>]+>", f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    if ids:
        family_id = db.session.scalar(select(OutboxMessage.family_id).where(
            OutboxMessage.message_id.in_(ids), OutboxMessage.family_id.is_not(None)).limit(1))
        if family_id is not None:
            return family_id
    match = _REFERENCE.search(str(message.get("Subject", "")))
    if match:
        return db.session.scalar(select(Family.id).where(Family.reference == match.group(1)))
    return None


# --- the meeting a calendar message is about ----------------------------------------------------------------

def _meeting_for(uid: str) -> tuple[MeetingSeries | None, Occurrence | None]:
    series = db.session.scalar(select(MeetingSeries).where(MeetingSeries.uid == uid))
    if series is not None:
        return series, None
    extra = db.session.scalar(select(Occurrence).where(Occurrence.extra_uid == uid))
    if extra is not None:
        return extra.series, extra
    return None, None


def sender_vouched_for(parsed: EmailMessage, sender: str) -> bool | None:
    """Whether the organiser's own receiving server vouches that the email came from the From address's
    domain: an Authentication-Results header (RFC 8601) written by that server (its authserv-id,
    MAIL_INBOUND_AUTHSERV_ID; the server removes any such header arriving from outside) with a DMARC pass,
    or a DKIM pass signed by that domain. None when no authserv-id is set: then the From address is all
    there is to go on."""
    authserv = (current_app.config.get("MAIL_INBOUND_AUTHSERV_ID") or "").strip().lower()
    if not authserv:
        return None
    domain = re.escape(sender.rpartition("@")[2])
    for header in parsed.get_all("Authentication-Results", []):
        text = re.sub(r"\s+", " ", str(header))
        if text.split(";", 1)[0].strip().split(" ")[0].lower() != authserv:
            continue
        if re.search(rf"\bdmarc=pass\b[^;]*\bheader\.from=@?{domain}\b", text, re.I) or \
                re.search(rf"\bdkim=pass\b[^;]*\bheader\.d=@?{domain}\b", text, re.I):
            return True
    return False


def handle(message: InboundMessage) -> Outcome:
    if message.raw is None:
        return _kept("Too large to read here: look at it in the organiser mailbox itself")
    parsed = message_from_bytes(message.raw, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    sender = parseaddr(str(parsed.get("From", "")))[1].strip().lower()
    texts = calendar_parts(parsed)
    if not texts:
        return _kept("A message, not a calendar answer: read it", _family_of_plain_reply(parsed))
    try:
        calendar = Calendar.from_ical(texts[0])
        method = str(calendar.get("METHOD", "")).upper()
        events = [c for c in calendar.walk("VEVENT")]
    except (ValueError, KeyError, IndexError, TypeError) as problem:
        return _kept(f"The calendar in this message could not be read ({str(problem)[:120]}): read it",
                     _family_of_plain_reply(parsed))
    if not events:
        return _kept("The calendar in this message holds no meeting: read it", _family_of_plain_reply(parsed))
    if method not in ("REPLY", "COUNTER"):
        return _kept(f"A calendar message of a kind the service does not apply ({method or 'no method'}): read it",
                     _family_of_plain_reply(parsed))
    vouched = sender_vouched_for(parsed, sender)
    if vouched is False:
        series, _ = _meeting_for(str(events[0].get("UID", "")).strip())
        return _kept(f"Not applied: the receiving mail server could not confirm it came from {sender or 'anyone'} "
                     "(no DMARC or DKIM pass for that address)",
                     series.family_id if series is not None else _family_of_plain_reply(parsed))
    # A REPLY may answer the series and single meetings of it together (RFC 5546 3.2.3): each VEVENT in turn.
    outcomes = [_one(message, event, method, sender, vouched, parsed) for event in events]
    if len(outcomes) == 1:
        return outcomes[0]
    kept = [o for o in outcomes if o.state is InboundState.KEPT]
    applied = [o for o in outcomes if o.state is InboundState.APPLIED]
    state = InboundState.KEPT if kept else InboundState.APPLIED if applied else InboundState.DONE
    family_id = next((o.family_id for o in outcomes if o.family_id is not None), None)
    return Outcome(state, " / ".join(o.words for o in outcomes), family_id,
                   next((o.occurrence_id for o in outcomes if o.occurrence_id is not None), None))


def _one(message: InboundMessage, event, method: str, sender: str, vouched: bool | None, parsed) -> Outcome:
    uid = str(event.get("UID", "")).strip()
    series, extra = _meeting_for(uid)
    if series is None:
        return _kept("An answer about a meeting this service does not know (its UID is not one of ours)",
                     _family_of_plain_reply(parsed))
    family_id = series.family_id
    occurrence = extra
    if extra is None and event.get("RECURRENCE-ID") is not None:
        occurrence = _find_occurrence(series, event.get("RECURRENCE-ID"))
        if occurrence is None:
            return _kept("An answer about a meeting of the series that does not exist (its date is not one of the "
                         "series' meetings)", family_id)
    # The attendee answering: the one whose address sent the email (a REPLY names only them, RFC 5546
    # 3.2.3; a delegation also names the deputy, marked DELEGATED-FROM).
    people = _as_list(event.get("ATTENDEE"))
    replying = next((p for p in people if sender in _attendee_addresses(p)), None)
    if replying is None:
        named = ", ".join(sorted(a for p in people for a in _attendee_addresses(p))) or "nobody"
        return _kept(f"Not applied: sent from {sender or 'no address'}, but answering for {named}",
                     family_id, occurrence.id if occurrence else None)
    invitee = next((i for i in series.current_invitees if i.email.lower() == sender
                    or i.user.email.lower() == sender), None)
    if invitee is None:
        return _kept(f"Not applied: {sender} is not invited to this meeting", family_id,
                     occurrence.id if occurrence else None)
    if occurrence is not None and not invitee.invited_to(occurrence):
        return _kept(f"Not applied: {sender} was not invited to that meeting", family_id, occurrence.id)
    when = _stamp(event)
    if method == "COUNTER":
        return _counter(message, event, series, occurrence, invitee, when)
    if vouched is None and str(replying.params.get("PARTSTAT", "")).upper() == "DELEGATED":
        # A deputy gets an account and the meeting's details: not on the strength of a From line anyone can
        # write. The lead confirms it (answering for them on the meeting page) unless the server vouches.
        deputy = _address(replying.params.get("DELEGATED-TO", "")) or "someone not named"
        return _kept(f"Asks to send {deputy} as a deputy: not applied, as the sender cannot be confirmed. "
                     "If it is right, name the deputy on the meeting page", family_id,
                     occurrence.id if occurrence else None)
    return _reply(event, replying, series, occurrence, invitee, when)


def _reply(event, replying, series, occurrence, invitee, when) -> Outcome:
    family_id = series.family_id
    partstat = str(replying.params.get("PARTSTAT", "")).upper()
    answer = Response.from_partstat(partstat)
    note = _comment(event)
    occurrence_id = occurrence.id if occurrence else None
    if answer is None:
        return _kept(f"A calendar answer with no decision in it ({partstat or 'no status'}): read it",
                     family_id, occurrence_id)
    deputy_email = deputy_name = None
    if answer is Response.DEPUTY:
        deputy_email = _address(replying.params.get("DELEGATED-TO", "")) or None
        if not deputy_email or "@" not in deputy_email:
            return _kept("Passed to a deputy, without saying who: read it", family_id, occurrence_id)
        delegate = next((p for p in _as_list(event.get("ATTENDEE")) if deputy_email in _attendee_addresses(p)), None)
        deputy_name = str(delegate.params.get("CN", "")).strip() if delegate is not None else ""
        deputy_name = deputy_name or deputy_email.split("@")[0].replace(".", " ").title()
        if occurrence is None:  # a deputy is for one meeting: a whole series passed on means the next one
            occurrence = next((o for o in series.occurrences if not o.is_extra and o.starts_at > utcnow()
                               and o.status is not OccurrenceStatus.CANCELLED and invitee.invited_to(o)), None)
            if occurrence is None:
                return _kept("Passed to a deputy, but the series has no meeting still to come", family_id)
            occurrence_id = occurrence.id
    if occurrence is not None:
        if occurrence.status is OccurrenceStatus.CANCELLED:
            return Outcome(InboundState.DONE, "An answer about a meeting already cancelled: nothing to change",
                           family_id, occurrence_id)
        if occurrence.starts_at + timedelta(hours=24) < utcnow():
            return Outcome(InboundState.DONE, "An answer about a meeting already past: nothing to change",
                           family_id, occurrence_id)
        mine = db.session.scalar(select(InvitationResponse).where(
            InvitationResponse.occurrence_id == occurrence.id, InvitationResponse.user_id == invitee.user_id))
        if mine is not None and _newer(mine, when):
            return Outcome(InboundState.DONE, "An older answer than the one recorded: the later answer stands",
                           family_id, occurrence_id)
        try:
            with db.session.begin_nested():  # refused halfway (a deputy who cannot be named): nothing kept of it
                meetings.respond(occurrence, invitee.user, answer, reason=note, deputy_name=deputy_name,
                                 deputy_email=deputy_email, from_calendar_at=when)
        except meetings.MeetingError as problem:
            return _kept(f"Not applied: {problem}", family_id, occurrence_id)
        what = f"{answer.label} ({occurrence.series.meeting_type.label}, {_day(occurrence)})"
    else:
        if invitee.answer_stamp is not None and invitee.answer_stamp >= when:
            return Outcome(InboundState.DONE, "An older answer than the one recorded: the later answer stands",
                           family_id)
        changed = meetings.answer_series(invitee, answer, from_calendar_at=when)
        what = f"{answer.label} for every meeting of the series ({len(changed)} to come)"
    words = f"Applied from {invitee.user.name}'s calendar: {what}"
    if note:  # a note with an answer ("I'll be late") is for the lead to read
        return Outcome(InboundState.KEPT, f"{words}. Their note: {note}", family_id, occurrence_id)
    return Outcome(InboundState.APPLIED, words, family_id, occurrence_id)


def _newer(row: InvitationResponse, when: datetime) -> bool:
    """Whether the answer recorded is later than a calendar reply stamped ``when``."""
    if row.source == meetings.SERIES_ANSWER and row.answer_stamp is not None:
        return row.answer_stamp > when  # an answer to this meeting made with (or after) the series' answer wins
    if row.source == "calendar" and row.answer_stamp is not None:
        return row.answer_stamp >= when
    return row.responded_at >= when  # given in the service after the reply was written


def _day(occurrence: Occurrence) -> str:
    from coordinator.timeutil import long_date

    return long_date(occurrence.day)


def _counter(message, event, series, occurrence, invitee, when) -> Outcome:
    family_id = series.family_id
    if occurrence is None:
        return _kept("A new time proposed for the whole series: read it, and change the series if agreed",
                     family_id)
    start, _ = _instant(event.get("DTSTART"), series.zone)
    end, _ = _instant(event.get("DTEND"), series.zone)
    if start is None:
        _, wall = _instant(event.get("DTSTART"), series.zone)
        start = wall.replace(tzinfo=series.zone).astimezone(UTC) if wall else None
    if start is None:
        return _kept("A new time proposed, but its time could not be read: read it", family_id, occurrence.id)
    if end is None:
        duration = event.get("DURATION")
        end = start + (duration.dt if duration is not None else occurrence.ends_at - occurrence.starts_at)
    if occurrence.status is OccurrenceStatus.CANCELLED or occurrence.starts_at < utcnow():
        return Outcome(InboundState.DONE, "A new time proposed for a meeting already cancelled or past",
                       family_id, occurrence.id)
    same = db.session.scalar(select(ProposedTime.id).where(
        ProposedTime.occurrence_id == occurrence.id, ProposedTime.user_id == invitee.user_id,
        ProposedTime.starts_at == start, ProposedTime.status == ProposalStatus.WAITING).limit(1))
    if same is not None:  # the same proposal sent again (a client resending): one is waiting already
        return Outcome(InboundState.DONE, "The same new time proposed again: it is already waiting for the lead",
                       family_id, occurrence.id)
    proposal = ProposedTime(occurrence_id=occurrence.id, user_id=invitee.user_id, starts_at=start, ends_at=end,
                            comment=_comment(event), inbound_message_id=message.id)
    db.session.add(proposal)
    # Outlook sends its own answer with a proposal ("Tentative" or "Decline" and propose): recorded too.
    replying = next((p for p in _as_list(event.get("ATTENDEE")) if invitee.email.lower() in _attendee_addresses(p)),
                    None)
    answer = Response.from_partstat(str(replying.params.get("PARTSTAT", ""))) if replying is not None else None
    if answer is not None and answer is not Response.DEPUTY:
        # The proposal stands for the lead to decide on whatever becomes of the answer sent with it.
        with contextlib.suppress(meetings.MeetingError), db.session.begin_nested():
            meetings.respond(occurrence, invitee.user, answer, from_calendar_at=when)
    from coordinator.timeutil import date_and_time

    return Outcome(InboundState.APPLIED, f"{invitee.user.name} proposed a new time: "
                   f"{date_and_time(start.astimezone(series.zone))}, waiting for the lead professional",
                   family_id, occurrence.id)


# --- the lead's decisions on proposed times ----------------------------------------------------------------

class ProposalError(Exception):
    pass


def accept_proposal(proposal: ProposedTime, *, actor) -> None:
    """Move the meeting to the proposed time (refused as any move is); everyone is sent the change."""
    if proposal.status is not ProposalStatus.WAITING:
        raise ProposalError("This proposal has already been decided")
    occurrence = proposal.occurrence
    zone = occurrence.series.zone
    local = proposal.starts_at.astimezone(zone)
    minutes = int((proposal.ends_at - proposal.starts_at).total_seconds() // 60)
    try:
        meetings.move_occurrence(occurrence, actor=actor, new_date=local.date(), new_time=local.time(),
                                 duration_minutes=minutes, location=occurrence.location,
                                 online_link=occurrence.online_link,
                                 reason="A new time proposed by one of the people invited")
    except meetings.MeetingError as problem:
        raise ProposalError(str(problem)) from problem
    proposal.status, proposal.decided_at, proposal.decided_by_id = ProposalStatus.ACCEPTED, utcnow(), actor.id
    _others_settled(proposal)


def decline_proposal(proposal: ProposedTime, *, actor, comment: str | None = None) -> None:
    if proposal.status is not ProposalStatus.WAITING:
        raise ProposalError("This proposal has already been decided")
    if comment and meetings.names_someone_in(proposal.occurrence.series.family, comment):
        raise ProposalError("The note must not name the family or anyone in it: it is emailed")
    proposal.status, proposal.decided_at, proposal.decided_by_id = ProposalStatus.DECLINED, utcnow(), actor.id
    invites.send_decline_counter(proposal, comment=comment)


def _others_settled(accepted: ProposedTime) -> None:
    """Once a meeting moved to one proposal, the others waiting for it are answered by the move itself."""
    for other in db.session.scalars(select(ProposedTime).where(
            ProposedTime.occurrence_id == accepted.occurrence_id, ProposedTime.id != accepted.id,
            ProposedTime.status == ProposalStatus.WAITING)):
        other.status, other.decided_at = ProposalStatus.DECLINED, utcnow()


def waiting_proposals(family_ids) -> list[ProposedTime]:
    """With what the replies page shows of each (its meeting and series, who proposed it), in the one query."""
    return list(db.session.scalars(select(ProposedTime).join(ProposedTime.occurrence).join(Occurrence.series)
                                   .where(MeetingSeries.family_id.in_(list(family_ids)),
                                          ProposedTime.status == ProposalStatus.WAITING)
                                   .options(contains_eager(ProposedTime.occurrence).contains_eager(Occurrence.series),
                                            joinedload(ProposedTime.user))
                                   .order_by(ProposedTime.created_at)))


def messages_for(family_id: int, *, days: int = 60) -> list[InboundMessage]:
    """What came back about the family: kept messages until looked at, and the recent others."""
    since = utcnow() - timedelta(days=days)
    return list(db.session.scalars(select(InboundMessage).where(
        InboundMessage.family_id == family_id,
        or_(InboundMessage.state == InboundState.KEPT, InboundMessage.received_at >= since))
        .order_by(InboundMessage.received_at.desc())))


def unplaced_messages() -> list[InboundMessage]:
    """Kept messages no family could be found for: administrators look at them."""
    return list(db.session.scalars(select(InboundMessage).where(
        InboundMessage.family_id.is_(None), InboundMessage.state == InboundState.KEPT)
        .order_by(InboundMessage.received_at.desc())))


def look_at(message_id: int | None, *, family_id: int | None, actor) -> InboundMessage | None:
    """Mark a kept message read, by the person who read it (audited). ``family_id``: the family whose page
    it was read on (None: the administrators' page of messages no family could be found for). None when
    there is no such message there."""
    message = db.session.get(InboundMessage, message_id) if message_id is not None else None
    if message is None or message.family_id != family_id:
        return None
    message.state = InboundState.DONE if message.state is InboundState.KEPT else message.state
    message.looked_at_by_id, message.looked_at_at = actor.id, utcnow()
    from coordinator.audit import services as audit

    audit.record("inbound_message_looked_at", object_type="inbound_message", object_id=message.id,
                 family_id=family_id, actor=actor)
    return message


def text_of(message: InboundMessage) -> str:
    return message_text(message)



def waiting_count(family_id: int) -> int:
    """Replies kept to read and proposals to decide, for the family's meetings page (one query)."""
    kept = select(func.count()).select_from(InboundMessage).where(
        InboundMessage.family_id == family_id, InboundMessage.state == InboundState.KEPT).scalar_subquery()
    proposed = (select(func.count()).select_from(ProposedTime).join(ProposedTime.occurrence).join(Occurrence.series)
                .where(MeetingSeries.family_id == family_id, ProposedTime.status == ProposalStatus.WAITING)
                .scalar_subquery())
    return int(db.session.scalar(select(kept + proposed)) or 0)


def could_not_apply(message: InboundMessage, problem: Exception) -> Outcome:
    """A message whose handling failed: kept for the lead of the family it is about, where that can be told."""
    family_id = None
    with contextlib.suppress(Exception):
        parsed = message_from_bytes(message.raw or b"", policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        family_id = _family_of_plain_reply(parsed)
        for text in calendar_parts(parsed)[:1]:
            for event in Calendar.from_ical(text).walk("VEVENT")[:1]:
                series, _ = _meeting_for(str(event.get("UID", "")).strip())
                family_id = series.family_id if series is not None else family_id
    return _kept(f"Could not be applied ({type(problem).__name__}): read it", family_id)
