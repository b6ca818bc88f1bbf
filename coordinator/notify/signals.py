"""What the outbox asks of the areas above it (coordinator.hooks)."""
from coordinator.hooks import signals

# Asked with a family's id as sender: answer the address replies to an email about that family go to (its
# lead professional's), or None. Asked at most once per family in a transaction.
reply_address = signals.signal("notify.reply-address")
