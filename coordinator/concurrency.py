"""Edits that two people may make at the same instant: nothing is lost and nobody sees a 500.

A record with an edit-conflict rule has a ``revision``. A change made from a form raises it with
``claim_revision``: one ``UPDATE ... SET revision = n + 1 WHERE id = ? AND revision = n``, the first write of
the change, where n is the revision the form was opened at. Of two saves made from the same revision,
however close together, exactly one matches the row; the other is refused and shown both versions. The
claim also holds the row (PostgreSQL) or the database (SQLite) until the transaction ends, so the rest of
the change cannot interleave with another one.

Rules that compare rows with each other (one current membership per person, one lead, ...) are checked
after ``lock_for_change``, which takes the same hold without a revision and then reloads what the rule
reads.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from coordinator.extensions import db, rows_matched


def claim_revision(record, expected: int | None, stale: Exception) -> int:
    """Raise ``record``'s revision in the database if it is still ``expected`` (None: the revision read
    with the record, for a change made without a form). Returns the new revision; raises ``stale``, with
    the transaction rolled back, when another change came first."""
    current = record.revision if expected is None else expected
    if record.revision != current:
        db.session.rollback()
        raise stale
    table = type(record).__table__
    result = rows_matched(
        update(table).where(table.c.id == record.id, table.c.revision == current).values(revision=current + 1)
        .execution_options(synchronize_session=False))
    if result != 1:
        db.session.rollback()
        raise stale
    set_committed_value(record, "revision", current + 1)
    return current + 1


def hold_revision(record, expected: int | None, stale: Exception) -> None:
    """For a change of state that leaves the content as it is (approving, publishing): go on only if the
    record is still at ``expected`` (None: as read), holding it until the transaction ends, and reload it so
    the state checks that follow see every change committed before. Raises ``stale`` (rolled back)
    otherwise. Unlike ``claim_revision`` the revision is not raised: it counts versions of the content."""
    current = record.revision if expected is None else expected
    if record.revision != current:
        db.session.rollback()
        raise stale
    db.session.flush()
    table = type(record).__table__
    result = rows_matched(
        update(table).where(table.c.id == record.id, table.c.revision == current).values(revision=table.c.revision)
        .execution_options(synchronize_session=False))
    if result != 1:
        db.session.rollback()
        raise stale
    db.session.refresh(record)


def lock_for_change(record) -> None:
    """Hold ``record``'s row until the transaction ends (a row lock on PostgreSQL, the write lock on
    SQLite), then forget everything loaded so far: what is read from here on includes every change
    committed before, and no other change of this record can commit until this one has."""
    db.session.flush()  # what this change has made so far is kept: only what was read is forgotten
    table = type(record).__table__
    db.session.execute(update(table).where(table.c.id == record.id).values(id=table.c.id)
                       .execution_options(synchronize_session=False))
    db.session.expire_all()


def flush_or_raise(stale: Exception) -> None:
    """Flush, turning a unique rule that a concurrent request has just satisfied (the same draft created
    twice, say) into ``stale``, with the transaction rolled back."""
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise stale from error
