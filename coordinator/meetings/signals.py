"""What the meetings area announces to the areas above it (coordinator.hooks): every change that people's
calendars must follow, sent only when the organiser chose to send updates, after the series' SEQUENCE has
been raised for it if it is significant (coordinator.meetings.services.significant_change). The calendar area turns each into iMIP emails.

Page slots: ``meeting.links`` on a meeting's page (context ``family``, ``occurrence``, ``user``): links to
what other areas keep for the meeting (updates, the pack, minutes).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from coordinator.hooks import signals

if TYPE_CHECKING:
    from coordinator.meetings.models import Occurrence

# sender: the series; ``invitees``: who gets the series as it now is (created, a meeting moved, invitees changed);
# ``moved``: a Moved when the change is one meeting moved; ``new``: those of ``invitees`` invited by it (the
# others, when nothing moved, are sent it because who is invited changed)
series_issued = signals.signal("meetings.series-issued")
# sender: an extra one-off meeting; ``invitees``: who gets it as it now is; ``moved``: a Moved when it was moved;
# ``replaces``: the meeting of the series cancelled in its place (a move calendars cannot take)
extra_issued = signals.signal("meetings.extra-issued")
# sender: the cancelled meeting of a series; ``invitees``; ``replaced_by``: the extra meeting added in its place
occurrence_cancelled = signals.signal("meetings.occurrence-cancelled")
# sender: an extra meeting that is no longer happening; ``invitees``
extra_withdrawn = signals.signal("meetings.extra-withdrawn")
# sender: a series ended or split; ``invitees``; ``had_past``: whether any of its meetings has taken place
series_cut_short = signals.signal("meetings.series-cut-short")
# sender: the series; ``removed``: the invitees taken off it
invitees_removed = signals.signal("meetings.invitees-removed")
# Asked with ``occurrence``: answer True if the area holds records about that meeting (an update asked for,
# a draft, minutes), which a meeting taken out of its series must not lose: it is kept, cancelled.
occurrence_in_use = signals.signal("meetings.occurrence-in-use")
# sender: the meeting; ``for_user`` sends ``deputy`` in their place, or (``deputy`` None) no longer sends
# ``withdrawn``; ``row``: the MeetingDeputy record
deputy_named = signals.signal("meetings.deputy-named")
# Asked with no sender: answer a condition on an Occurrence row (an SQL expression, correlated to it), true
# when the area's records show the meeting took place (its minutes are started). Meetings ORs the answers
# with its own "held" status inside the queries it makes anyway, so asking costs no query of its own.
held_elsewhere = signals.signal("meetings.held-elsewhere")


@dataclass(frozen=True)
class Moved:
    """Sent with ``series_issued`` or ``extra_issued`` when the change is one meeting moved: which one, when it
    was before the move, and the organiser's optional reason."""

    occurrence: Occurrence
    was: datetime
    reason: str | None
