"""What the people area announces to the areas above it (coordinator.hooks)."""
from coordinator.hooks import signals

# An administrator changed a user (name, email, agency, active, role): work remembered about the meetings
# they are invited to may need doing again. Sent with the user as sender.
user_changed = signals.signal("auth.user-changed")
