"""The calendar's part in what the meetings area announces (coordinator.meetings.signals): each change
people's calendars must follow becomes iMIP emails, one per invitee, in the same transaction."""
import logging

from coordinator import todo
from coordinator.calendar import invites, replies
from coordinator.extensions import db
from coordinator.hooks import fills, on
from coordinator.meetings import signals
from coordinator.notify import inbound


@on(signals.series_issued)
def send_series(series, invitees, moved=None, new=None):
    invites.send_series_request(series, invitees, moved=moved, new=new)


@on(signals.extra_issued)
def send_extra(occurrence, invitees, moved=None, replaces=None):
    invites.send_extra_request(occurrence, invitees, moved=moved, replaces=replaces)


@on(signals.occurrence_cancelled)
def send_cancellation(occurrence, invitees, replaced_by=None):
    invites.send_occurrence_cancel(occurrence, invitees, replaced_by=replaced_by)


@on(signals.extra_withdrawn)
def send_extra_cancellation(occurrence, invitees):
    invites.send_extra_cancel(occurrence, invitees)


@on(signals.series_cut_short)
def send_cut_short(series, invitees, had_past):
    invites.send_series_truncated(series, invitees, had_past=had_past)


@on(signals.invitees_removed)
def send_removals(series, removed):
    invites.send_removed(series, removed)


@on(signals.deputy_named)
def send_deputy_invitation(occurrence, for_user, deputy, withdrawn, row, **_):
    if withdrawn is not None:
        invites.send_deputy_invitation(occurrence, for_user, withdrawn, withdrawn=True, deputy_row_id=row.id)
    if deputy is not None:
        invites.send_deputy_invitation(occurrence, for_user, deputy, deputy_row_id=row.id)


@on(inbound.received)
def apply_calendar_message(sender, *, message, **_):
    """What came back to the organiser address: an answer applied, or kept for the lead to read (also when
    applying it failed: undone, and kept with the family it is about)."""
    try:
        with db.session.begin_nested():
            return replies.handle(message).as_tuple()
    except Exception as problem:  # noqa: BLE001 - whatever went wrong, the message goes to a person
        logging.getLogger(__name__).exception("inbound message %s could not be applied", message.id)
        return replies.could_not_apply(message, problem).as_tuple()


@on(todo.asked)
def calendar_todo(sender, *, user, today, **_):
    from coordinator.calendar.todo import calendar_todo as items

    return items(user, today)


@fills("meetings.family", priority=10)
def replies_link(family, can_manage, **_):
    """On the family's meetings page, for those who manage them: the replies that came back from calendars."""
    if not can_manage:
        return None
    from flask import render_template

    from coordinator.calendar.replies import waiting_count

    return render_template("calendar/_replies_link.html", family=family, waiting=waiting_count(family.id))
