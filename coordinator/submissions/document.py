"""An agency's update as it is stored: a flat document of answers whose keys are built here and nowhere
else (the form's field names are the same keys), and what other areas read of it. Minutes ask for an
update's facts, opinion and scales through ``summary_for_minutes``, not by reading its keys."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from coordinator.timeutil import long_date


def household_key(member_id: int) -> str:
    """Has the agency seen this person of the household since the last meeting (a SightingKind name)."""
    return f"household-{member_id}"


def man_key(member_id: int, question: str) -> str:
    """An answer about a father or man: seen, seen_on, engaged, history, mothers_account."""
    return f"man-{member_id}-{question}"


def child_key(child_id: int, question: str) -> str:
    """An answer about one child: last_seen, seen_alone (or, for a baby, seen_awake, sleeps, handled), where,
    contacts, lived_experience, scale, and each appointment (``appointment_key``)."""
    return f"child-{child_id}-{question}"


def appointment_key(child_id: int, slot: int, question: str) -> str:
    """One appointment offered to one child since the last meeting: date, kind, outcome."""
    return child_key(child_id, f"appt-{slot}-{question}")


def da_key(member_id: int, question: str) -> str:
    """The domestic abuse enquiry of one adult of the household: asked, date, private, outcome, risk_score,
    marac."""
    return f"da-{member_id}-{question}"


def new_person_key(slot: int, question: str) -> str:
    """A person new to the household, in one of the form's slots: name, description, sex, relationship, ..."""
    return f"new-{slot}-{question}"


def action_progress_key(action_id: int) -> str:
    return f"action-{action_id}-progress"


def _member_of(key: str) -> int | None:
    kind, _, rest = key.partition("-")
    return int(rest) if kind == "household" and rest.isdigit() else None


def _member_of_da(key: str) -> int | None:
    kind, _, rest = key.partition("-")
    member, _, _question = rest.partition("-")
    return int(member) if kind == "da" and member.isdigit() else None


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
        return _day(self.data.get(child_key(child_id, "last_seen")))

    def new_person(self, slot: int) -> dict:
        prefix = new_person_key(slot, "")
        return {key[len(prefix):]: value for key, value in self.data.items() if key.startswith(prefix)}

    def count(self, question: str) -> int | None:
        return _whole(self.data.get(question))

    # --- each child -------------------------------------------------------------------------------

    def seen_awake(self, child_id: int) -> bool:
        return self.data.get(child_key(child_id, "seen_awake")) == "yes"

    def lived_experience(self, child_id: int) -> str:
        """The child's own lived experience; an update written before it was asked per child gave one for
        every child (its text is read as each child's)."""
        return (self.data.get(child_key(child_id, "lived_experience")) or self.data.get("lived_experience") or "").strip()

    def appointments(self, child_id: int) -> list[Appointment]:
        """The appointments recorded for one child, by date (undated ones last)."""
        found = []
        slots = {key.split("-")[3] for key in self.data if key.startswith(child_key(child_id, "appt-"))}
        for slot in sorted(slots, key=lambda n: int(n) if n.isdigit() else 0):
            if not slot.isdigit():
                continue
            outcome = self.data.get(appointment_key(child_id, int(slot), "outcome")) or ""
            kind = (self.data.get(appointment_key(child_id, int(slot), "kind")) or "").strip()
            day = _day(self.data.get(appointment_key(child_id, int(slot), "date")))
            if outcome or kind or day:
                found.append(Appointment(child_id, day, kind, outcome))
        return sorted(found, key=lambda a: (a.day is None, a.day or date.min))

    def not_brought(self, child_id: int) -> list[Appointment]:
        return [a for a in self.appointments(child_id) if a.outcome == "was_not_brought"]

    def was_not_brought_total(self, child_ids) -> int:
        """Appointments the children were not brought to: each child's, or (an update written before they
        were recorded per child) the one count for all of them."""
        per_child = sum(len(self.not_brought(child_id)) for child_id in child_ids)
        return per_child or (_whole(self.data.get("was_not_brought")) or 0)

    # --- domestic abuse, asked of each adult --------------------------------------------------------

    def da_enquiries(self) -> dict[int, dict]:
        """{member id: {asked, date, private, outcome, risk_score, marac}} for each adult answered about."""
        found: dict[int, dict] = {}
        for key, value in self.data.items():
            if (member := _member_of_da(key)) is not None:
                found.setdefault(member, {})[key.split("-", 2)[2]] = value
        return found

    def da_legacy(self) -> dict:
        """An update written before the enquiry was asked of each adult: its one enquiry, if it gave one."""
        return {key[3:]: self.data.get(key) for key in ("da_asked", "da_date", "da_private", "da_outcome",
                                                         "da_risk_score", "marac") if self.data.get(key) not in (None, "")}

    def da_asked_anyone(self) -> bool:
        return (any(answers.get("asked") == "yes" for answers in self.da_enquiries().values())
                or self.data.get("da_asked") == "yes")

    def da_shared_with_family(self) -> bool:
        """The enquiry is kept from the family unless its author chose to share it."""
        return self.data.get("da_share_with_family") == "yes"

    def not_for_family(self) -> list[str]:
        """The sections the family's copy leaves out: those the author marked, and the domestic abuse
        enquiry unless the author chose to share it."""
        marked = list(self.data.get("not_for_family") or [])
        if "domestic_abuse" not in marked and not self.da_shared_with_family():
            marked.append("domestic_abuse")
        return marked

    # --- what the parent says ---------------------------------------------------------------------

    def parent_says(self, topic: str) -> str:
        """The parent's account, as the author recorded it: appointments, engagement, household."""
        return self.data.get(f"parent_says_{topic}") or ""


@dataclass(frozen=True)
class Appointment:
    child_id: int
    day: date | None
    kind: str
    outcome: str  # a key of APPOINTMENT_OUTCOMES


APPOINTMENT_OUTCOMES = {
    "attended": "Attended",
    "was_not_brought": "Was not brought",
    "family_cancelled": "Cancelled or rearranged by the family",
    "agency_cancelled": "Cancelled by us",
    "booked": "Still to come",
}


def _day(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


@dataclass
class MinutesSummary:
    """What an agency's update contributes to the minutes: fact kept apart from opinion, and each child's scale."""

    facts: list[str] = field(default_factory=list)
    opinion: list[str] = field(default_factory=list)
    scales: dict[int, int] = field(default_factory=dict)


APPOINTMENTS = ("appointments_offered", "appointments_attended", "was_not_brought", "family_cancelled",
                "no_answer_visits")


PARENT_SAYS = {
    "appointments": {"all_attended": "the children went to every appointment",
                     "some_missed": "some appointments were missed", "not_asked": ""},
    "engagement": {"engaging": "they are working with every agency", "partly": "they are working with some agencies",
                   "not_engaging": "they are not working with agencies", "not_asked": ""},
    "household": {"only_recorded": "nobody else lives in or visits the home",
                  "others": "other people live in or visit the home", "not_asked": ""},
}


def summary_for_minutes(data: dict, child_ids: list[int], child_names: dict[int, str] | None = None) -> MinutesSummary:
    """The update as the minutes' editor starts from it: appointments and what was observed as fact; what
    the parent said, and the worries not observed, as opinion (the guard against disguised compliance: a
    parent's account is never recorded as fact)."""
    update, summary = UpdateDocument(data), MinutesSummary()
    names = child_names or {}
    counts = [(key, data.get(key)) for key in APPOINTMENTS if data.get(key) not in (None, "")]
    if counts:
        summary.facts.append("Appointments: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts))
    for child_id in child_ids:
        appointments = update.appointments(child_id)
        if appointments:
            kept = "; ".join(f"{a.kind or 'appointment'}{' on ' + long_date(a.day) if a.day else ''}: "
                             f"{APPOINTMENT_OUTCOMES.get(a.outcome, 'outcome not given').lower()}" for a in appointments)
            summary.facts.append(f"{names.get(child_id, 'Child')}'s appointments: {kept}")
    if data.get("engagement_observed"):
        summary.facts.append("Observed or checked: " + data["engagement_observed"])
    if data.get("engagement_reported"):
        summary.opinion.append("The parent said (not checked): " + data["engagement_reported"])
    for topic, said in PARENT_SAYS.items():
        if said.get(update.parent_says(topic)):
            summary.opinion.append(f"The parent said (not checked) that {said[update.parent_says(topic)]}")
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
    ("The parent said: ", "engagement"),  # written before the parent's account was asked topic by topic
    ("The parent said (not checked): ", "engagement"),
    *((f"The parent said (not checked) that {said}", topic)
      for topic, sayings in PARENT_SAYS.items() for said in sayings.values() if said),
    ("Worried about (", "worries"),
    ("Working well (", "worries"),
    ("Needs to happen: ", "worries"),
)
CHILD_APPOINTMENTS = re.compile(r"^[^:]*'s appointments: ")  # "Ruby's appointments: ..." (summary_for_minutes)


def section_of_summary_line(line: str) -> str | None:
    """The update section a line of the minutes' agency information came from; None for a line the
    minute-taker wrote (or rewrote) themselves."""
    if CHILD_APPOINTMENTS.match(line):
        return "appointments"
    return next((section for prefix, section in SUMMARY_LINE_SECTIONS if line.startswith(prefix)), None)
