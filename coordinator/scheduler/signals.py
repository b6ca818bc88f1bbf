"""What the scheduler tells the areas that do the work (coordinator.hooks)."""
from coordinator.hooks import signals

# Sent (sender: the new holder's id) when the lease changes hands: whatever the previous holder had
# claimed and not finished is the new holder's to give back to its queue.
lease_taken_over = signals.signal("scheduler.lease-taken-over")
