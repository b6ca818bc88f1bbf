"""Calendar invitations by email (iMIP): one email per invitee through the outbox, each carrying the
calendar inline (text/calendar; method=...) and as invite.ics. Subject and body name the meeting type and
the family's reference only."""
from __future__ import annotations

from coordinator.calendar import ics
from coordinator.meetings import queries as meeting_queries
from coordinator.meetings import services as meetings
from coordinator.meetings.models import (
    Invitee,
    MeetingSeries,
    Occurrence,
    OccurrenceStatus,
)
from coordinator.meetings.signals import Moved
from coordinator.notify.mime import CalendarPart
from coordinator.notify.services import enqueue_template
from coordinator.timeutil import utcnow


def _when(series: MeetingSeries, occurrence: Occurrence | None = None) -> str:
    return _in_words(series, occurrence.starts_at if occurrence else series.first_start)


def _in_words(series: MeetingSeries, instant) -> str:
    """"Tuesday 8 December 2026 at 10:00", where the meeting happens."""
    return instant.astimezone(series.zone).strftime("%A %-d %B %Y at %H:%M")


def _move(series: MeetingSeries, moved: Moved | None) -> dict | None:
    """What the email says of a meeting moved: its old and new time in words, and the organiser's reason."""
    if moved is None:
        return None
    return {"was": _in_words(series, moved.was), "now": _in_words(series, moved.occurrence.starts_at),
            "same_time": moved.was == moved.occurrence.starts_at, "reason": moved.reason}


def _send(series: MeetingSeries, invitees: list[Invitee], *, method: str, events, key: str, subject: str,
          template: str, url: str, occurrence: Occurrence | None = None, recurring: bool = True,
          moved: Moved | None = None, **context) -> None:
    body = ics.to_ics(events, method=method, zones={series.timezone})
    for invitee in invitees:
        enqueue_template(
            # One email per change: the series' revision rises with every change, its SEQUENCE only with the
            # significant ones (a change of who is invited is sent with the same SEQUENCE).
            f"imip:{key}:{series.sequence}:r{series.revision}:{method}:{invitee.email}",
            to=invitee.email, subject=subject, template=template, kind=f"invite_{method.lower()}",
            family_id=series.family_id, calendar=CalendarPart(body, method),
            # Replies (a mail client's Accept, or a plain answer) go where the calendar's ORGANIZER is.
            reply_to=series.organiser_email,
            meeting_type=series.meeting_type.label, reference=series.family.reference,
            when=_when(series, occurrence), url=url, recurring=recurring, series=series, moved=_move(series, moved),
            **context,
        )


def _stamp(series: MeetingSeries):
    """DTSTAMP: the series' last change (a whole second of its own, coordinator.meetings.services._touch), so
    a calendar tells apart two messages of the same SEQUENCE by it (RFC 5546 2.1.5)."""
    return series.updated_at


def _subject(series: MeetingSeries, what: str) -> str:
    return f"{series.title}: {what}"


def send_series_request(series: MeetingSeries, invitees: list[Invitee], *, moved: Moved | None = None,
                        new: list[Invitee] | None = None) -> None:
    """The whole series as it stands: master (RRULE, EXDATEs) and every moved meeting. ``moved``: the
    meeting whose move this is, which the email names (the calendar carries the whole series). ``new``:
    those invited by this message (the series set up, or people added); the others are then sent the series
    because who is invited changed. Without either, the series is sent as updated."""
    events = ics.series_events(series, sequence=series.sequence, stamp=_stamp(series),
                               attendees=meetings.attendees(series), url_for_occurrence=meeting_queries.meeting_url,
                               series_url=meeting_queries.series_url(series),
                               attendees_at=lambda o: meetings.attendees(series, o))
    if moved is not None:
        what = f"meeting moved to {_in_words(series, moved.occurrence.starts_at)}"
        _send(series, invitees, method="REQUEST", events=events, key=series.uid, subject=_subject(series, what),
              template="invite_request", url=meeting_queries.meeting_url(moved.occurrence), moved=moved)
        return
    url = meeting_queries.series_url(series)
    invited = {i.email for i in new or []}
    first = [i for i in invitees if i.email in invited]
    others = [i for i in invitees if i.email not in invited]
    if first:
        _send(series, first, method="REQUEST", events=events, key=series.uid, subject=_subject(series, "invitation"),
              template="invite_request", url=url)
    if others:
        people_changed = new is not None
        _send(series, others, method="REQUEST", events=events, key=series.uid,
              subject=_subject(series, "who is invited has changed" if people_changed else "updated"),
              template="invite_request", url=url, people_changed=people_changed)


def send_occurrence_cancel(occurrence: Occurrence, invitees: list[Invitee], *,
                           replaced_by: Occurrence | None = None) -> None:
    """``replaced_by``: the extra meeting added at a new time in its place, which the email names."""
    series = occurrence.series
    if occurrence.is_extra:
        return send_extra_cancel(occurrence, invitees)
    event = ics.occurrence_cancel_event(series, occurrence, sequence=series.sequence, stamp=_stamp(series),
                                        attendees=meetings.attendees(series, occurrence), url=meeting_queries.meeting_url(occurrence))
    _send(series, invitees, method="CANCEL", events=[event], key=f"{series.uid}:{occurrence.original_start.isoformat()}",
          subject=_subject(series, f"cancelled on {_when(series, occurrence)}"), template="invite_cancel",
          url=meeting_queries.meeting_url(occurrence), occurrence=occurrence, recurring=False,
          replaced_by=_when(series, replaced_by) if replaced_by is not None else None)


def send_extra_request(occurrence: Occurrence, invitees: list[Invitee], *, moved: Moved | None = None,
                       replaces: Occurrence | None = None) -> None:
    """``replaces``: the meeting of the series cancelled for this one, which the email names."""
    series = occurrence.series
    event = ics.extra_event(series, occurrence, sequence=series.sequence, stamp=_stamp(series),
                            attendees=meetings.attendees(series, occurrence), url=meeting_queries.meeting_url(occurrence))
    what = "extra meeting moved to" if moved is not None else "extra meeting on"
    _send(series, invitees, method="REQUEST", events=[event], key=occurrence.extra_uid or "",
          subject=_subject(series, f"{what} {_when(series, occurrence)}"), template="invite_request",
          url=meeting_queries.meeting_url(occurrence), occurrence=occurrence, recurring=False, moved=moved,
          replaces=_when(series, replaces) if replaces is not None else None,
          reason=occurrence.move_reason if replaces is not None else None)


def send_extra_cancel(occurrence: Occurrence, invitees: list[Invitee]) -> None:
    series = occurrence.series
    event = ics.extra_event(series, occurrence, sequence=series.sequence, stamp=_stamp(series),
                            attendees=meetings.attendees(series, occurrence), url=meeting_queries.meeting_url(occurrence),
                            status="CANCELLED")
    _send(series, invitees, method="CANCEL", events=[event], key=occurrence.extra_uid or "",
          subject=_subject(series, f"cancelled on {_when(series, occurrence)}"), template="invite_cancel",
          url=meeting_queries.meeting_url(occurrence), occurrence=occurrence, recurring=False)


def send_series_truncated(series: MeetingSeries, invitees: list[Invitee], *, had_past: bool) -> None:
    """The series ended (or was replaced from a date): with meetings in the past, a REQUEST whose RRULE now
    ends after the last of them, so calendars keep the history and drop every later meeting; with none,
    a CANCEL of the whole UID."""
    if had_past:
        events = ics.series_events(series, sequence=series.sequence, stamp=_stamp(series),
                                   attendees=meetings.attendees(series), url_for_occurrence=meeting_queries.meeting_url,
                                   series_url=meeting_queries.series_url(series),
                                   attendees_at=lambda o: meetings.attendees(series, o))
        _send(series, invitees, method="REQUEST", events=events, key=series.uid,
              subject=_subject(series, "no further meetings in this series"), template="invite_ended",
              url=meeting_queries.series_url(series))
    else:
        send_series_cancel(series, invitees)


def send_series_cancel(series: MeetingSeries, invitees: list[Invitee]) -> None:
    event = ics.series_cancel_event(series, sequence=series.sequence, stamp=_stamp(series),
                                    attendees=meetings.attendees(series), url=meeting_queries.series_url(series))
    _send(series, invitees, method="CANCEL", events=[event], key=series.uid,
          subject=_subject(series, "cancelled"), template="invite_cancel", url=meeting_queries.series_url(series))


def send_removed(series: MeetingSeries, removed: list[Invitee]) -> None:
    """Someone taken off the invitation list: the series, and any future extra meeting, leave their
    calendar, by an uninvite (RFC 5546 3.2.5: a CANCEL naming them, the event not cancelled for others), and
    they are told they were taken off, not that the meetings stopped."""
    stamp = _stamp(series)
    now = utcnow()
    extras = [o for o in series.occurrences
              if o.is_extra and o.status is not OccurrenceStatus.CANCELLED and o.starts_at >= now]
    for invitee in removed:
        person = [meetings.Attendee(invitee.email, invitee.user.name, "REQ-PARTICIPANT")]
        for occurrence in [None, *extras]:
            url = meeting_queries.meeting_url(occurrence) if occurrence else meeting_queries.series_url(series)
            event = ics.uninvite_event(series, occurrence, sequence=series.sequence, stamp=stamp, removed=person, url=url)
            key = occurrence.extra_uid if occurrence else series.uid
            _send(series, [invitee], method="CANCEL", events=[event], key=f"{key}:removed", url=url,
                  subject=_subject(series, "you are no longer invited"), template="invite_removed",
                  occurrence=occurrence, recurring=occurrence is None)


def send_deputy_invitation(occurrence: Occurrence, for_user, deputy, *, withdrawn: bool = False,
                           deputy_row_id: int = 0) -> None:
    """The deputy's invitation to the one meeting they go to in an invitee's place (or, ``withdrawn``, its
    cancellation for them when the invitee answers otherwise)."""
    series = occurrence.series
    person = meetings.Attendee(deputy.email, deputy.name, "REQ-PARTICIPANT")
    url = meeting_queries.meeting_url(occurrence)
    event = ics.deputy_event(series, occurrence, sequence=series.sequence, stamp=utcnow(),
                             attendees=meetings.attendees(series, occurrence), url=url, delegator=for_user.email,
                             deputy=person,
                             status="CANCELLED" if withdrawn else "CONFIRMED")
    method = "CANCEL" if withdrawn else "REQUEST"
    _send(series, [person], method=method, events=[event],  # type: ignore[list-item]
          key=f"{occurrence.extra_uid or series.uid}:{occurrence.original_start.isoformat()}:deputy:{deputy_row_id}",
          subject=_subject(series, f"{'no longer needed as a deputy' if withdrawn else 'you are asked to attend as a deputy'}"
                           f" on {_when(series, occurrence)}"),
          template="invite_cancel" if withdrawn else "invite_deputy", url=url, occurrence=occurrence,
          recurring=False)


def send_decline_counter(proposal, *, comment: str | None = None) -> None:
    """The organiser's "no" to a time an invitee proposed (RFC 5546 3.2.8, DECLINECOUNTER): to them only;
    their calendar keeps the meeting as it was."""
    occurrence = proposal.occurrence
    series = occurrence.series
    person = next((a for a in meetings.attendees(series, occurrence) if a.email.lower() == proposal.user.email.lower()),
                  meetings.Attendee(proposal.user.email, proposal.user.name, "REQ-PARTICIPANT"))
    url = meeting_queries.meeting_url(occurrence)
    event = ics.decline_counter_event(series, occurrence, sequence=series.sequence, stamp=utcnow(), person=person,
                                      url=url, comment=comment)
    body = ics.to_ics([event], method="DECLINECOUNTER", zones={series.timezone})
    enqueue_template(
        f"imip:declinecounter:{proposal.id}", to=proposal.user.email,
        subject=_subject(series, f"the time you proposed for {_when(series, occurrence)} was not taken"),
        template="invite_declinecounter", kind="invite_declinecounter", family_id=series.family_id,
        calendar=CalendarPart(body, "DECLINECOUNTER"), meeting_type=series.meeting_type.label,
        reference=series.family.reference, when=_when(series, occurrence), url=url, recurring=False, series=series,
        moved=None, proposed=_in_words(series, proposal.starts_at), comment=comment)
