"""Extensions, created unbound and bound to the application in ``create_app``."""
from typing import TYPE_CHECKING, cast

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.engine import CursorResult
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
