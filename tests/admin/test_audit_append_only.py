"""The audit log is append-only: the ORM refuses changes and deletions, and so does the database itself."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from coordinator.audit.models import AuditEvent
from coordinator.audit.services import AuditLogIsAppendOnly, record
from coordinator.extensions import db


@pytest.fixture
def event(app, make_user):
    actor = make_user("alice.lead@partnership.test", "Alice Lead")
    row = record("family_opened", actor=actor, family_id=101, object_type="family", object_id=101,
                 detail="the original detail")
    db.session.commit()
    return row


def stored(event_id: int) -> tuple | None:
    """The row as the database holds it, read with plain SQL on a connection of its own."""
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT action, detail, family_id FROM audit_events WHERE id = :id"),
                            {"id": event_id}).one_or_none()


def count() -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM audit_events")).scalar_one()


ORIGINAL = ("family_opened", "the original detail", 101)


def test_an_event_is_stored(event):
    assert stored(event.id) == ORIGINAL


def test_changing_an_event_through_the_orm_is_refused(event):
    event_id = event.id
    event.detail = "rewritten history"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert stored(event_id) == ORIGINAL
    db.session.expire_all()
    assert db.session.get(AuditEvent, event_id).detail == "the original detail"


@pytest.mark.parametrize("field, value", [("action", "nothing_happened"), ("actor_id", None), ("family_id", 999),
                                          ("at", datetime(2000, 1, 1, tzinfo=timezone.utc))])
def test_no_field_of_an_event_can_be_changed_through_the_orm(event, field, value):
    setattr(event, field, value)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert stored(event.id) == ORIGINAL


def test_deleting_an_event_through_the_orm_is_refused(event):
    event_id = event.id
    before = count()
    db.session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert count() == before
    assert stored(event_id) == ORIGINAL


def test_adding_events_is_of_course_allowed(event):
    before = count()
    record("family_closed", family_id=101)
    db.session.commit()
    assert count() == before + 1


@pytest.mark.parametrize("sql", [
    "UPDATE audit_events SET detail = 'rewritten history'",
    "UPDATE audit_events SET actor_id = NULL WHERE id = :id",
    "DELETE FROM audit_events WHERE id = :id",
    "DELETE FROM audit_events",
])
def test_raw_sql_updates_and_deletes_are_refused_by_the_database(event, backend, sql):
    before = count()
    # Straight to the database, past the ORM, on a connection of its own.
    with pytest.raises(DBAPIError) as refused, db.engine.begin() as conn:
        conn.execute(text(sql), {"id": event.id})
    assert "audit_events is append-only" in str(refused.value)
    assert count() == before
    assert stored(event.id) == ORIGINAL


@pytest.mark.parametrize("statement", [
    lambda: update(AuditEvent).values(detail="rewritten history"),
    lambda: delete(AuditEvent),
])
def test_bulk_orm_statements_that_skip_the_session_are_refused_by_the_database(event, statement):
    before = count()
    with pytest.raises(DBAPIError) as refused:
        db.session.execute(statement())
        db.session.commit()
    db.session.rollback()
    assert "audit_events is append-only" in str(refused.value)
    assert count() == before
    assert stored(event.id) == ORIGINAL


def test_the_triggers_are_the_ones_the_migration_installs(event, backend):
    with db.engine.connect() as conn:
        if backend == "sqlite":
            names = set(conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")).scalars())
            assert names == {"audit_events_no_update", "audit_events_no_delete"}
        else:
            names = set(conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass "
                "AND NOT tgisinternal")).scalars())
            assert names == {"audit_events_no_change"}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count()
