"""`flask --app coordinator init-db`: an empty database gets every table, the audit triggers and the
current migration; running it again changes nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from coordinator.extensions import db

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations" / "versions"


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def tables(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def revision(url: str) -> str:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()


def assert_ready(url: str) -> None:
    present = tables(url)
    assert set(db.metadata.tables) <= present, set(db.metadata.tables) - present
    assert "alembic_version" in present
    assert revision(url) == head_revision()
    # The migration also installs the audit log's append-only triggers.
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_events (at, action) VALUES (CURRENT_TIMESTAMP, 'probe')"))
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
    finally:
        engine.dispose()


def test_init_db_creates_the_tables_on_an_empty_database(empty_app, empty_database_url):
    assert tables(empty_database_url) == set()
    result = empty_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Database ready:" in result.output
    assert_ready(empty_database_url)

    # and the application works on it straight away
    from coordinator.auth import services
    from coordinator.auth.models import Role
    from tests.conftest import PASSWORD, sign_in

    services.create_user(email="first.admin@partnership.test", name="First Admin", role=Role.ADMIN,
                         password=PASSWORD)
    db.session.commit()
    client = empty_app.test_client()
    sign_in(client, "first.admin@partnership.test")
    assert client.get("/admin/").status_code == 200


def test_init_db_again_changes_nothing(empty_app, empty_database_url):
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO agencies (name, kind, active) VALUES ('Kept Agency', 'OTHER', true)"))
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0, again.output
    assert revision(empty_database_url) == head_revision()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM agencies")).scalars().all() == ["Kept Agency"]


def test_the_real_command_with_database_url(empty_database_url, tmp_path):
    """The command exactly as an operator types it, configured by environment variables only."""
    env = {**os.environ, "DATABASE_URL": empty_database_url, "SECRET_KEY": "a-test-secret",
           "MAIL_DIR": str(tmp_path / "mail")}
    env.pop("FLASK_APP", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "coordinator", "init-db"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Database ready:" in result.stdout
    assert_ready(empty_database_url)
