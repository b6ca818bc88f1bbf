"""What the families area asks of the areas above it (coordinator.hooks), and its page slots.

Page slots (filled with ``coordinator.hooks.fills``):
- ``family.sections``: sections of the family page after its flags (meetings, actions, outcomes); context
  ``family``, ``user``.
- ``family.household``: inside "Who lives in or visits this home?", before the tables; context ``family``,
  ``can_manage``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from coordinator.hooks import signals

# Asked with ``family_ids``: answer {family id: the local date of its last meeting that has taken place}.
last_meeting_dates = signals.signal("families.last-meeting-dates")

# Sent (sender: the family, ``actor``) when a family's record is closed, in the closing transaction: the areas
# above end what would go on without it (meetings in calendars, requests for updates). Reopening restores
# none of it: the lead sets up what is needed again.
family_closed = signals.signal("families.family-closed")

# Sent (sender: the family, ``user``, ``actor``) when someone is removed from the family's network, in the
# same transaction: the areas above withdraw what they gave them (invitations to its meetings).
member_left = signals.signal("families.member-left")

# Asked with ``family_ids`` (one page of "My families"): answer {family id: CaseloadFacts}, in a constant
# number of queries whatever the number of families.
caseload_facts = signals.signal("families.caseload-facts")


@dataclass(frozen=True)
class Tag:
    text: str
    colour: str = "red"  # a GOV.UK tag colour


@dataclass
class CaseloadFacts:
    """What another area adds to a family's row of "My families"."""

    tags: list[Tag] = field(default_factory=list)
    next_meeting: datetime | None = None

    def merge(self, other: CaseloadFacts) -> CaseloadFacts:
        return CaseloadFacts(self.tags + other.tags, self.next_meeting or other.next_meeting)


def merged_caseload_facts(answers: list[dict[int, CaseloadFacts]], family_ids: list[int]) -> dict[int, CaseloadFacts]:
    merged = {family_id: CaseloadFacts() for family_id in family_ids}
    for answer in answers:
        for family_id, facts in answer.items():
            if family_id in merged:
                merged[family_id] = merged[family_id].merge(facts)
    return merged
# sender: the family; ``user``: a partner the lead professional invited (a new account, a guest of the
# network), ``actor``: the lead. The meetings area invites them to the family's running meetings.
partner_invited = signals.signal("families.partner-invited")
