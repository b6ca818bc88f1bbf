"""Extensions, created unbound and bound to the application in ``create_app``."""
import sqlite3
from typing import TYPE_CHECKING, cast

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic migrations are stable and work on SQLite's batch mode too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_connection(connection, _record) -> None:
    """SQLite as the application needs it. Write-ahead-log mode: pages are read while the scheduler writes (a rollback journal makes
    readers and the writer wait for each other), and a commit is one sync of the log, not of the journal
    and the database (synchronous stays FULL: a committed change survives a power cut). The mode is kept
    in the file, so this only does something on a database's first connection."""
    if isinstance(connection, sqlite3.Connection):
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        if mode not in ("wal", "memory"):
            connection.execute("PRAGMA journal_mode=WAL")

# Every model's base class: Flask-SQLAlchemy's db.Model, which a type checker sees as the declarative Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()


def rows_matched(statement) -> int:
    """Run an UPDATE or DELETE in the session: how many rows it matched (the test of a conditional write)."""
    return cast(CursorResult, db.session.execute(statement)).rowcount


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session has loaded: for a page that records that it was viewed and
    then shows what it has just read (reloading each object after its own audit row would cost a query per
    object). Only for reads: a change must see the database as it is after its commit."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
