"""Access decisions, declared on every view. The access-walk test reads ``view.access_rule`` for every
route in the URL map and fails on any route that has none, so no route is added without a decision.

Rules: "public" (anyone), "signed_in" (any signed-in user), "admin" (administrators), and
"family:<need>" (the family guard in ``coordinator.families.access``).
"""
from __future__ import annotations

from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from coordinator.extensions import login_manager


def public(view):
    view.access_rule = "public"
    return view


def signed_in(view):
    view.access_rule = "signed_in"
    return view


def declared(rule: str):
    """For a view that checks access itself (the administrators' break-glass page): the rule it checks."""

    def mark(view):
        view.access_rule = rule
        return view

    return mark


def require_admin():
    """None for an administrator; otherwise the sign-in redirect, or a 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None


def admin_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        return require_admin() or view(*args, **kwargs)

    guarded: Any = wrapper
    guarded.access_rule = "admin"
    return guarded


def rule_of(view) -> str | None:
    return getattr(view, "access_rule", None)
