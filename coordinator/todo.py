"""Each person's to-do list: the work waiting for them across every area, one click from each piece.

The home page asks ``asked`` once; each area answers in its ``hooks.py`` with the items it knows about
(updates to write, minutes to approve, actions owned ...), each in a constant number of queries whatever
the caseload. So the home page depends on no area, and a new area adds its work by answering.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coordinator.hooks import answers, signals
from coordinator.timeutil import long_date

# Sent with user= and today= (the local date); each receiver returns a list of Todo (or None).
asked = signals.signal("todo-asked")


@dataclass(frozen=True)
class Todo:
    kind: str  # what to do, as a verb phrase: "Write your agency's update"
    what: str  # which piece of work: "Core group meeting on Tuesday 8 December 2026"
    family: str  # the family's label as the caseload shows it: "Brennan (K7Q2XM)"
    ref: str  # the family's reference (the home page shows a guest only this)
    url: str
    due: date | None = None  # None: no date; shown after everything that has one
    due_label: str = "Due"  # "Due", "Meeting on", "Agreed by": what the date means for this item

    def is_overdue(self, on: date) -> bool:
        return self.due_label == "Due" and self.due is not None and self.due < on

    def is_due_soon(self, on: date, days: int = 7) -> bool:
        return self.due is not None and on <= self.due and (self.due - on).days <= days


def spoken_date(day: date) -> str:
    """Dates as people say them: "Tuesday 8 December 2026" (the one way, coordinator.timeutil)."""
    return long_date(day)


def family_label(family) -> str:
    return f"{family.family_name} ({family.reference})"


def todo_for(user, on: date) -> list[Todo]:
    """Everything waiting for ``user``: overdue first, then by date (soonest first), undated last."""
    items = [item for found in answers(asked, user=user, today=on) for item in found]
    return sorted(items, key=lambda item: (item.due is None, item.due or on, item.kind, item.what))
