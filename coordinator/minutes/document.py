"""The minutes' working copy as it is stored: a flat document of sections and answers whose keys are built
here and nowhere else (the editor's field names are the same keys)."""
from __future__ import annotations

from dataclasses import dataclass


def attendance_key(user_id: int) -> str:
    return f"attendance-{user_id}"


def deputy_key(user_id: int) -> str:
    return f"deputy-{user_id}"


def household_key(member_id: int) -> str:
    """What the meeting confirmed about a person of the household: confirmed, left, unknown."""
    return f"household-{member_id}"


def agency_facts_key(agency_id: int) -> str:
    return f"agency-{agency_id}-facts"


def agency_opinion_key(agency_id: int) -> str:
    return f"agency-{agency_id}-opinion"


def scale_key(agency_id: int, child_id: int) -> str:
    return f"scale-{agency_id}-{child_id}"


@dataclass(frozen=True)
class MinutesDocument:
    """The working copy's answers, read by meaning rather than by key."""

    data: dict

    def attendance(self, user_id: int) -> str:
        return self.data.get(attendance_key(user_id)) or ""

    def deputy(self, user_id: int) -> str:
        return self.data.get(deputy_key(user_id)) or ""

    def household(self) -> dict[int, str]:
        """{member id: what the meeting confirmed}, for every person answered about."""
        found = {}
        for key, value in self.data.items():
            kind, _, rest = key.partition("-")
            if kind == "household" and rest.isdigit() and value:
                found[int(rest)] = value
        return found

    def agencies(self) -> list[int]:
        """The agencies whose information the minutes record, in id order."""
        return sorted(int(key.split("-")[1]) for key in self.data
                      if key.startswith("agency-") and key.endswith("-facts") and key.split("-")[1].isdigit())

    def scales(self) -> list[tuple[int, int, int]]:
        """(agency id, child id, score) for every scale recorded."""
        found = []
        for key, value in self.data.items():
            parts = key.split("-")
            if parts[0] == "scale" and len(parts) == 3 and value not in (None, ""):
                found.append((int(parts[1]), int(parts[2]), int(value)))
        return found
