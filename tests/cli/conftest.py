"""Fixtures for the command line: a database with nothing in it at all, and a CLI runner."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from coordinator import create_app
from coordinator.extensions import db
from tests.conftest import (
    TEST_DATABASE_URL,
    IsolatedClient,
    _drop_postgres_database,
    _recreate_postgres_database,
    _worker,
    app_config,
)


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """A database with no tables, not even Alembic's: what a new installation starts from."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = urlunsplit(urlsplit(TEST_DATABASE_URL)._replace(path=f"/coordinator_test_cli_{_worker()}"))
    _recreate_postgres_database(url)
    yield url
    _drop_postgres_database(url)


@pytest.fixture
def empty_app(empty_database_url, tmp_path):
    application = create_app(app_config(empty_database_url, tmp_path))
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def invoke(app):
    """Run a command as ``flask --app coordinator <args>`` would, against the test's database."""
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return run
