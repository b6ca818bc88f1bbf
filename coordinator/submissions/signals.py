"""What the agencies' updates area asks of the areas above it (coordinator.hooks)."""
from coordinator.hooks import signals

# Asked (sender: the family) with ``agency_id``: answer the agency's open actions, so the update form can ask
# for progress on each.
open_actions_for_agency = signals.signal("submissions.open-actions-for-agency")

# Asked (sender: the family) with ``occurrence``: answer what the pack must put on top from the areas above
# (overdue actions and their owners), as a list of (kind, text).
pack_attention = signals.signal("submissions.pack-attention")
