"""The audit log: who did what to which record, when and from where. Append-only."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, insert, literal, select, tuple_
from sqlalchemy.orm import Session

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.timeutil import local_zone, utcnow


def request_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id=None,
    family_id: int | None = None,
    detail: str | None = None,
    actor=None,
) -> AuditEvent:
    """Add an audit event to the current transaction, so it commits (or rolls back) with the change."""
    event_row = AuditEvent(**_values(action, object_type, object_id, family_id, detail, actor))
    db.session.add(event_row)
    return event_row


def _values(action: str, object_type, object_id, family_id, detail, actor) -> dict:
    """An event's columns; the actor is the signed-in person unless given."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    return {"action": action, "object_type": object_type, "object_id": None if object_id is None else str(object_id),
            "family_id": family_id, "actor_id": getattr(actor, "id", None), "address": request_address(),
            "detail": (detail or None) and detail[:500]}


def record_each(action: str, *, object_type: str, object_ids, family_id: int | None = None,
                detail: str | None = None) -> None:
    """One event per object (e.g. each agency's update read in a pack), written in one statement by the
    signed-in user, in the current transaction."""
    at = utcnow()
    rows = [{"at": at, **_values(action, object_type, object_id, family_id, detail, None)} for object_id in object_ids]
    if rows:
        db.session.execute(insert(AuditEvent), rows)


class AuditLogIsAppendOnly(RuntimeError):
    pass


# Models whose rows, once written, are never changed or deleted by any code path. Other areas add theirs.
APPEND_ONLY: set[type] = {AuditEvent}


def append_only(model: type) -> type:
    APPEND_ONLY.add(model)
    return model


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if type(obj) in APPEND_ONLY and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly(f"{type(obj).__name__} rows are never changed or deleted")


# The database refuses UPDATE and DELETE on audit_events too: triggers installed by migration 0001.


# --- reading the log (administrators, information-governance officers) -------------------------------------

def search(*, actor_id: int | None = None, family_id: int | None = None, start: date | None = None,
           end: date | None = None):
    """The log, newest first, filtered by who, which family and which local days (inclusive)."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if family_id is not None:
        query = query.where(AuditEvent.family_id == family_id)
    zone = local_zone()
    if start:
        query = query.where(AuditEvent.at >= datetime.combine(start, time(0), zone))
    if end:
        query = query.where(AuditEvent.at < datetime.combine(end + timedelta(days=1), time(0), zone))
    return query


@dataclass
class AuditPage:
    events: list[AuditEvent]
    newer: int | None  # the id to show the page before (newer events) from, if any
    older: int | None  # the id to show the page after (older events) from, if any


def page_of(query, size: int, *, older_than: int | None = None, newer_than: int | None = None) -> AuditPage:
    """One page of a search, found by the event it starts after (keyset paging): a page deep in a million
    events costs what the first page costs, and events written meanwhile do not shift what a link shows."""
    anchor_id = older_than if older_than is not None else newer_than
    if anchor_id is not None:
        anchor_at = db.session.scalar(select(AuditEvent.at).where(AuditEvent.id == anchor_id))
        if anchor_at is None:
            anchor_id = older_than = newer_than = None  # an unknown event: start from the newest
        elif older_than is not None:
            query = query.where(_position() < _position(anchor_at, anchor_id))
        else:
            query = query.where(_position() > _position(anchor_at, anchor_id))
    if newer_than is not None:  # read upwards from the anchor, then show newest first as usual
        rows = list(db.session.scalars(query.order_by(None).order_by(AuditEvent.at, AuditEvent.id).limit(size + 1)))
        more = len(rows) > size
        events = list(reversed(rows[:size]))
        return AuditPage(events, newer=events[0].id if more and events else None,
                         older=events[-1].id if events else None)
    rows = list(db.session.scalars(query.limit(size + 1)))
    events = rows[:size]
    return AuditPage(events, newer=events[0].id if anchor_id is not None and events else None,
                     older=events[-1].id if len(rows) > size else None)


def _position(at: datetime | None = None, event_id: int | None = None):
    """An event's place in the log's order (time, then id), or the place of the event given. The time is
    bound with the column's own type, so it is stored and compared as the column is (UTC)."""
    if at is None:
        return tuple_(AuditEvent.at, AuditEvent.id)
    return tuple_(literal(at, AuditEvent.at.type), literal(event_id, AuditEvent.id.type))


CSV_HEADER = ["id", "time_utc", "actor_email", "action", "object_type", "object_id", "family_id", "address", "detail"]


def csv_lines(query, batch: int = 2_000) -> Iterator[str]:
    """The search as CSV, a line at a time, read in batches by keyset: memory stays flat however many
    rows there are (a million-row export never holds more than one batch)."""
    yield _csv_line(CSV_HEADER)
    actor: Any = AuditEvent.actor.property.mapper.class_  # the users table, known to this area by name only
    filtered = query.with_only_columns(
        AuditEvent.id, AuditEvent.at, actor.email, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
        AuditEvent.family_id, AuditEvent.address, AuditEvent.detail).outerjoin(AuditEvent.actor)
    after: tuple | None = None
    while True:
        page = filtered if after is None else filtered.where(_position() < _position(*after))
        rows = db.session.execute(page.limit(batch)).all()
        for row in rows:
            # Every cell, not just the detail: an email address or a record id can begin with = + - too.
            yield _csv_line([row.id, row.at.isoformat(), row.email or "", row.action, row.object_type or "",
                             row.object_id or "", row.family_id or "", row.address or "", row.detail or ""])
        if len(rows) < batch:
            return
        after = (rows[-1].at, rows[-1].id)
        db.session.expunge_all()  # nothing read is kept between batches


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([csv_safe(str(value)) for value in values])
    return out.getvalue()


def csv_safe(value: str) -> str:
    # A cell starting with = + - @ (or a tab or carriage return before one) would be run as a formula by a
    # spreadsheet (OWASP's list).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
