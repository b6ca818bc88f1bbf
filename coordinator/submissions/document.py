"""An agency's update as it is stored: a flat document of answers whose keys are built here and nowhere
else (the form's field names are the same keys), and what other areas read of it. Minutes ask for an
update's facts, opinion and scales through ``summary_for_minutes``, not by reading its keys."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


def household_key(member_id: int) -> str:
    """Has the agency seen this person of the household since the last meeting (a SightingKind name)."""
    return f"household-{member_id}"


def man_key(member_id: int, question: str) -> str:
    """An answer about a father or man: seen, seen_on, engaged, history, mothers_account."""
    return f"man-{member_id}-{question}"


def child_key(child_id: int, question: str) -> str:
    """An answer about one child: last_seen, seen_alone, where, contacts, scale."""
    return f"child-{child_id}-{question}"


def new_person_key(slot: int, question: str) -> str:
    """A person new to the household, in one of the form's slots: name, description, sex, relationship, ..."""
    return f"new-{slot}-{question}"


def action_progress_key(action_id: int) -> str:
    return f"action-{action_id}-progress"


def _member_of(key: str) -> int | None:
    kind, _, rest = key.partition("-")
    return int(rest) if kind == "household" and rest.isdigit() else None


def _whole(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class UpdateDocument:
    """The answers of one update, read by meaning rather than by key."""

    data: dict

    def answer(self, key: str, default=None):
        return self.data.get(key, default)

    def household(self) -> dict[int, str]:
        """{member id: the answer} for every person of the household answered about."""
        return {member: value for key, value in self.data.items() if (member := _member_of(key)) is not None}

    def scale(self, child_id: int) -> int | None:
        return _whole(self.data.get(child_key(child_id, "scale")))

    def seen_alone(self, child_id: int) -> bool:
        return self.data.get(child_key(child_id, "seen_alone")) == "yes"

    def last_seen(self, child_id: int) -> date | None:
        value = self.data.get(child_key(child_id, "last_seen"))
        return date.fromisoformat(value) if isinstance(value, str) and value else None

    def new_person(self, slot: int) -> dict:
        prefix = new_person_key(slot, "")
        return {key[len(prefix):]: value for key, value in self.data.items() if key.startswith(prefix)}

    def count(self, question: str) -> int | None:
        return _whole(self.data.get(question))


@dataclass
class MinutesSummary:
    """What an agency's update contributes to the minutes: fact kept apart from opinion, and each child's scale."""

    facts: list[str] = field(default_factory=list)
    opinion: list[str] = field(default_factory=list)
    scales: dict[int, int] = field(default_factory=dict)


APPOINTMENTS = ("appointments_offered", "appointments_attended", "was_not_brought", "family_cancelled",
                "no_answer_visits")


def summary_for_minutes(data: dict, child_ids: list[int]) -> MinutesSummary:
    """The update as the minutes' editor starts from it: appointments and what was observed as fact, what
    the parent said and the worries not observed as opinion (the guard against disguised compliance)."""
    update, summary = UpdateDocument(data), MinutesSummary()
    counts = [(key, data.get(key)) for key in APPOINTMENTS if data.get(key) not in (None, "")]
    if counts:
        summary.facts.append("Appointments: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts))
    if data.get("engagement_observed"):
        summary.facts.append("Observed or checked: " + data["engagement_observed"])
    if data.get("engagement_reported"):
        summary.facts.append("The parent said: " + data["engagement_reported"])
    for key, label in (("worries", "Worried about"), ("working_well", "Working well")):
        if data.get(key):
            provenance = data.get(f"{key}_provenance")
            target = summary.facts if provenance == "observation" else summary.opinion
            target.append(f"{label} ({provenance or 'not marked'}): {data[key]}")
    if data.get("needs_to_happen"):
        summary.opinion.append("Needs to happen: " + data["needs_to_happen"])
    summary.scales = {child_id: scale for child_id in child_ids if (scale := update.scale(child_id)) is not None}
    return summary


# Which section of the update each line of the minutes' pre-fill comes from (``summary_for_minutes``): the
# family copy leaves out, line by line, what an agency marked not for the family.
SUMMARY_LINE_SECTIONS = (
    ("Appointments: ", "appointments"),
    ("Observed or checked: ", "engagement"),
    ("The parent said: ", "engagement"),
    ("Worried about (", "worries"),
    ("Working well (", "worries"),
    ("Needs to happen: ", "worries"),
)


def section_of_summary_line(line: str) -> str | None:
    """The update section a line of the minutes' agency information came from; None for a line the
    minute-taker wrote (or rewrote) themselves."""
    return next((section for prefix, section in SUMMARY_LINE_SECTIONS if line.startswith(prefix)), None)
