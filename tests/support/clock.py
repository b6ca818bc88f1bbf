"""Moving the application's clock for a test. Today's date (``coordinator.timeutil.today``) and every area's
own timestamps follow; sign-in and sessions keep the real clock, so a signed-in test client stays signed in
whatever day it is."""
from __future__ import annotations

import sys

KEEP_REAL_CLOCK = ("coordinator.auth", "coordinator.core")


def travel_to(monkeypatch, moment) -> None:
    """Run the application as if it were ``moment`` (an aware datetime); again to move on."""
    from coordinator import timeutil

    def clock():
        return moment

    clock.is_test_clock = True  # type: ignore[attr-defined]
    real = getattr(timeutil.utcnow, "real", timeutil.utcnow)
    clock.real = real  # type: ignore[attr-defined]
    for name, module in list(sys.modules.items()):
        if name != "coordinator.timeutil" and (not name.startswith("coordinator.") or name.startswith(KEEP_REAL_CLOCK)):
            continue
        current = getattr(module, "utcnow", None)
        if current is real or getattr(current, "is_test_clock", False):
            monkeypatch.setattr(module, "utcnow", clock)
