"""The one guard for every route that touches a family, and the one scope for every list of families.

- A practitioner sees a family only while a current member of its network; to anyone else it does not
  exist (404), so references cannot be probed.
- An administrator opens a family only by stating a reason ("break glass"): time-limited, read-only,
  audited, and shown to the lead professional.
- Closed families are read-only.
- Every record a route names by id is loaded through ``get_in_family``: another family's record is not
  found through this family's address.
- Beyond the family, a route names a **predicate** (``may=``, for every method, and ``may_change=``, for
  the methods that change something): a named function of the area's ``policy.py``, whose name becomes the
  route's access rule, so the rule cannot drift from what is enforced.
"""
from __future__ import annotations

import enum
from datetime import date, timedelta
from functools import wraps
from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import and_, exists, false, or_, select

from coordinator.audit import services as audit
from coordinator.extensions import commit_keeping_loaded, db, login_manager
from coordinator.families.models import (
    BreakGlassAccess,
    Family,
    NetworkMembership,
    NetworkRole,
)
from coordinator.memo import once_per_page
from coordinator.timeutil import today, utcnow


class Need(enum.Enum):
    ATTEND = "attend"  # see and answer the meetings one is invited to (guests invited by email, too)
    READ = "read"  # see the record
    CONTRIBUTE = "contribute"  # add to it: household people and sightings (any network member)
    MANAGE = "manage"  # change the family, its children and its network (the lead professional)


def current_membership_clause(user_id, on: date):
    return and_(
        NetworkMembership.user_id == user_id,
        NetworkMembership.removed_at.is_(None),
        NetworkMembership.from_date <= on,
        or_(NetworkMembership.until_date.is_(None), NetworkMembership.until_date >= on),
    )


def visible_families(user):
    """The one query scope for lists: the families whose network the user is currently in (guests, who
    only see meetings, excluded)."""
    on = today()
    if user.is_partnership_analyst:
        return select(Family).where(false())
    return select(Family).where(
        exists().where(NetworkMembership.family_id == Family.id, current_membership_clause(user.id, on),
                       NetworkMembership.role != NetworkRole.GUEST)
    )


def current_memberships(family: Family, user) -> list[NetworkMembership]:
    """The user's current memberships of the family's network (usually one), oldest first."""
    on = today()
    if "network" in family.__dict__:  # the page loaded the whole network with the family
        return [m for m in family.network if m.user_id == user.id and m.is_current(on)]
    return once_per_page(("memberships", family.id, user.id, on), lambda: list(db.session.scalars(
        select(NetworkMembership).where(NetworkMembership.family_id == family.id,
                                        current_membership_clause(user.id, on))
        .order_by(NetworkMembership.id))))


def membership_of(family: Family, user) -> NetworkMembership | None:
    memberships = current_memberships(family, user)
    return memberships[0] if memberships else None


def active_break_glass(family: Family, user) -> BreakGlassAccess | None:
    return once_per_page(("break glass", family.id, user.id), lambda: db.session.scalar(
        select(BreakGlassAccess).where(BreakGlassAccess.family_id == family.id,
                                       BreakGlassAccess.user_id == user.id,
                                       BreakGlassAccess.expires_at > utcnow())
        .order_by(BreakGlassAccess.id.desc())
    ))


def is_lead(family: Family, user) -> bool:
    return any(m.role is NetworkRole.LEAD for m in current_memberships(family, user))


class Decision(enum.Enum):
    ALLOW = "allow"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    BREAK_GLASS = "break_glass"
    CLOSED = "closed"


def decide(family: Family, user, need: Need, *, changing: bool = False, allow_closed: bool = False) -> Decision:
    """What ``user`` gets from a route with ``need`` on ``family``; ``changing``: the request would change
    something (any method but GET and HEAD), whatever the route's need."""
    if user.is_partnership_analyst:
        return Decision.NOT_FOUND  # the analyst reads aggregates only, never a family (coordinator.access)
    membership = membership_of(family, user)
    if membership is None:
        if user.is_admin:
            if need not in (Need.READ, Need.ATTEND) or changing:
                return Decision.FORBIDDEN  # break glass is for reading, and only reading
            return Decision.ALLOW if active_break_glass(family, user) else Decision.BREAK_GLASS
        return Decision.NOT_FOUND
    if membership.role is NetworkRole.GUEST and need is not Need.ATTEND:
        return Decision.NOT_FOUND  # a guest sees the meetings, not the family's record
    if family.is_closed and not allow_closed and (changing or need not in (Need.READ, Need.ATTEND)):
        return Decision.CLOSED  # a closed record is read-only in every area
    if need is Need.MANAGE and not is_lead(family, user):
        return Decision.FORBIDDEN
    return Decision.ALLOW


def get_in_family(model, record_id, family: Family, options: tuple = ()):
    """The record of ``model`` with this id, if it belongs to ``family``; otherwise 404, as if it did not
    exist. Every model a route can name has a ``family_id``. ``options``: what the page reads of it."""
    record = db.session.get(model, record_id, options=options) if isinstance(record_id, int) else None
    if record is None or record.family_id != family.id:
        abort(404)
    return record


def refuses(status: int = 403, description: str | None = None):
    """Mark a predicate with what a person it refuses is told: 403 with the reason, or 404 where even the
    record's existence is not theirs to know."""

    def mark(predicate):
        predicate.refusal = (status, description)
        return predicate

    return mark


CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def family_view(need: Need, *, allow_closed: bool = False, audit_view: bool = True, load: dict | None = None,
                may=None, may_change=None, family_loads: tuple = ()):
    """Decorate a view taking ``ref``: loads the family and checks the need; loads each record named in
    ``load`` within the family ({"occurrence_id": Occurrence} is passed on as ``occurrence``; {"request_id":
    ("update_request", SubmissionRequest)} names it; a third element gives loader options for the page);
    checks the predicates ``may`` (one or a tuple, in order) and, for a change, ``may_change``; audits a
    view; then calls ``view(family, **records, ...)``. ``family_loads``: loader options for what the page
    shows of the family, loaded with it (not row by row)."""
    load = load or {}
    checks = tuple(may) if isinstance(may, (tuple, list)) else ((may,) if may else ())
    changes = tuple(may_change) if isinstance(may_change, (tuple, list)) else ((may_change,) if may_change else ())

    def decorate(view):
        @wraps(view)
        def wrapper(ref: str, *args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            family = db.session.scalars(select(Family).where(Family.reference == ref.upper())
                                        .options(*family_loads)).unique().one_or_none()
            if family is None:
                abort(404)
            decision = decide(family, current_user, need, changing=request.method in CHANGING,
                              allow_closed=allow_closed)
            if decision is Decision.NOT_FOUND:
                abort(404)
            if decision is Decision.BREAK_GLASS:
                return redirect(url_for("families.break_glass", ref=family.reference, next=request.full_path))
            if decision is Decision.CLOSED:
                abort(403, description="This family's record is closed and can no longer be changed.")
            if decision is Decision.FORBIDDEN:
                abort(403, description=("Access to a record opened by an administrator is read-only."
                                        if current_user.is_admin and membership_of(family, current_user) is None
                                        else None))
            for argument, spec in load.items():
                name, model, *options = spec if isinstance(spec, tuple) else (argument.removesuffix("_id"), spec)
                kwargs[name] = get_in_family(model, kwargs.pop(argument), family, *options)
            for predicate in checks + (changes if request.method in CHANGING else ()):
                if not predicate(current_user, family, **kwargs):
                    status, description = getattr(predicate, "refusal", (403, None))
                    abort(status, description=description)
            if request.method == "GET" and audit_view:
                # Every view of a family record is audited.
                audit.record("family_viewed", object_type="family", object_id=family.id, family_id=family.id,
                             detail=request.endpoint)
                commit_keeping_loaded()
            return view(family, *args, **kwargs)

        guarded: Any = wrapper
        guarded.access_rule = (f"family:{need.value}" + (":closed-ok" if allow_closed else "")
                               + "".join(f"+{p.__name__}" for p in checks)
                               + "".join(f"+change:{p.__name__}" for p in changes))
        guarded.predicates = checks + changes
        return guarded

    return decorate


def break_glass_minutes() -> int:
    return int(current_app.config["BREAK_GLASS_MINUTES"])


def open_break_glass(family: Family, user, reason: str) -> BreakGlassAccess:
    now = utcnow()
    row = BreakGlassAccess(family_id=family.id, user_id=user.id, reason=reason.strip(), opened_at=now,
                           expires_at=now + timedelta(minutes=break_glass_minutes()))
    db.session.add(row)
    audit.record("break_glass_opened", object_type="family", object_id=family.id, family_id=family.id,
                 detail=reason.strip())
    return row
