"""Access decisions, declared on every view. The access-walk test reads ``view.access_rule`` for every
route in the URL map and fails on any route that has none, so no route is added without a decision.

Rules: "public" (anyone), "signed_in" (any signed-in user), "agency_staff" (a professional of one of the
partnership's agencies: not an account made for an email invitation, nor an administrator), "admin"
(administrators), "team_manager" (a team manager, for their team's oversight), "partnership_analyst" (the
partnership's aggregate measures) and "family:<need>" (the family guard in ``coordinator.families.access``).
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


def is_agency_staff(user) -> bool:
    """A professional an administrator set up in one of the partnership's agencies. An account made when
    someone was invited to a meeting by email has no agency: it sees the meetings it is invited to and
    creates nothing; administrators read records through break glass and create none."""
    return (user.is_authenticated and user.agency_id is not None and not user.is_admin
            and not user.is_partnership_analyst)


def is_team_manager(user) -> bool:
    """A team manager reads the outstanding work of the team's families (those whose lead professional is
    in the team): references and counts, never the record itself, which stays with the network."""
    return user.is_authenticated and user.active and user.is_team_manager


def is_partnership_analyst(user) -> bool:
    """The partnership's analyst reads aggregate, de-identified measures, and no family's record: the family
    guard refuses them every family page, whatever network they were put in."""
    return user.is_authenticated and user.active and user.is_partnership_analyst


def _only(rule: str, predicate, refusal: str):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not predicate(current_user):
                abort(403, description=refusal)
            return view(*args, **kwargs)

        guarded: Any = wrapper
        guarded.access_rule = rule
        return guarded

    return decorate


team_manager_only = _only("team_manager", is_team_manager, "This page is for team managers.")
partnership_analyst_only = _only("partnership_analyst", is_partnership_analyst,
                                 "This page is for the partnership's analysts.")


def agency_staff(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and not is_agency_staff(current_user):
            abort(403, description="Families are created by the professionals of the partnership's agencies.")
        return view(*args, **kwargs)

    guarded: Any = wrapper
    guarded.access_rule = "agency_staff"
    return guarded


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
