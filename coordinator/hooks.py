"""How a lower area lets the areas above it take part without importing them.

Areas depend downward only (see ``LAYERS``; a test reads every import and fails on one going up). When a
lower area needs something only a higher area knows, it does not import it:

- It **signals**: announces what happened (a meeting moved) or asks a question (when did each of these
  families last meet?) through a blinker signal it defines in its own ``signals.py``. Higher areas
  subscribe in their ``hooks.py``; ``answers()`` collects what they answer.
- Its page leaves a named **slot**: ``{{ slot("family.sections", family=family) }}``. Higher areas fill it
  with a fragment of their own templates (``@fills("family.sections", priority=20)``), in priority order.

The application factory imports every area's ``hooks.py``, so the subscriptions exist before any request.
Receivers are module functions connected once for the process (``weak=False``).
"""
from __future__ import annotations

from collections.abc import Callable

from blinker import ANY, Namespace, Signal
from markupsafe import Markup

# Lowest first. An area may import the platform (the modules at the top of ``coordinator``) and the areas
# before it, never one after it. ``__init__``, ``cli``, ``demo`` and ``scale`` put the application together
# (or a whole made-up partnership) and may import anything.
LAYERS = ("audit", "scheduler", "notify", "agencies", "auth", "families", "meetings", "calendar", "submissions",
          "minutes", "admin", "core", "oversight")

signals = Namespace()

_page_slot = signals.signal("page-slot")


def on(signal: Signal) -> Callable:
    """Subscribe the decorated function to ``signal`` from any sender, for the life of the process."""
    return signal.connect_via(ANY, weak=False)


def answers(signal: Signal, sender=None, **kwargs) -> list:
    """What the subscribers of ``signal`` answered, leaving out those that answered None."""
    return [value for _, value in signal.send(sender, **kwargs) if value is not None]


def fills(slot_name: str, priority: int = 50) -> Callable:
    """Register a function that renders part of the page slot ``slot_name`` from the slot's context;
    lower priorities come first. It may return None (or '') to add nothing."""

    def register(render: Callable) -> Callable:
        def receiver(sender, **context):
            html = render(**context)
            return (priority, Markup(html)) if html else None

        receiver.__name__ = f"fill_{slot_name}_{render.__name__}"
        _page_slot.connect(receiver, sender=slot_name, weak=False)
        return render

    return register


def slot(slot_name: str, **context) -> Markup:
    """The fragments that higher areas put in ``slot_name``, in priority order (a template global)."""
    parts = sorted(answers(_page_slot, slot_name, **context), key=lambda part: part[0])
    return Markup("").join(html for _, html in parts)
