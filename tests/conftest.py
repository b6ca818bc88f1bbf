"""Shared fixtures: the application on SQLite and PostgreSQL, a real SMTP server, a real browser."""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask.testing import FlaskClient

from coordinator import create_app
from coordinator.extensions import db

PASSWORD = "correct horse battery staple"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


# --- databases --------------------------------------------------------------------------------------

def _worker() -> str:
    # The process id keeps concurrent test runs (and their xdist workers) out of each other's databases.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _postgres_url() -> str:
    """A database of this test worker's own, next to the one TEST_DATABASE_URL names."""
    parts = urlsplit(TEST_DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/coordinator_test_{_worker()}"))


def _recreate_postgres_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        # A test database need not wait for each commit to reach the disk: what the tests check is the same,
        # and their thousands of commits are much quicker.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


def _drop_postgres_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory):
    """Each backend migrated once per test process: SQLite as a template file to copy, PostgreSQL in place."""
    made: dict[str, str] = {}

    def get(backend: str) -> str:
        if backend not in made:
            if backend == "sqlite":
                path = tmp_path_factory.mktemp("template") / "template.db"
                _migrate(f"sqlite:///{path}")
                made[backend] = str(path)
            else:
                url = _postgres_url()
                _recreate_postgres_database(url)
                _migrate(url)
                made[backend] = url
        return made[backend]

    yield get
    if "postgresql" in made:
        _drop_postgres_database(made["postgresql"])


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "postgresql" and not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL: set TEST_DATABASE_URL (as .ci/run does) to run this on PostgreSQL too")
    return request.param


class WorkerDatabase:
    """One database per backend and test process, emptied before each test: SQLite by copying the migrated
    template back over it; PostgreSQL by deleting every row (triggers off for the session, so the
    append-only tables empty too) and restarting the sequences, in one round trip. TRUNCATE would take
    a fifth of a second a test."""

    def __init__(self, backend: str, template: str, directory: Path):
        self.backend, self.template = backend, template
        if backend == "sqlite":
            self.path = directory / "worker.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.url = template
        self._empty_sql: str | None = None

    def empty(self, engine) -> None:
        if self.backend == "sqlite":
            engine.dispose()  # no connection may outlive the file it was opened on
            for log in ("-wal", "-shm"):  # write-ahead log: the last test's, if a connection was left open
                Path(f"{self.path}{log}").unlink(missing_ok=True)
            shutil.copy(self.template, self.path)
            return
        from sqlalchemy import text

        with engine.begin() as conn:
            if self._empty_sql is None:
                tables = [r[0] for r in conn.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
                sequences = [r[0] for r in conn.execute(text(
                    "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"))]
                self._empty_sql = "; ".join(["SET LOCAL session_replication_role = replica"]
                                            + [f'DELETE FROM "{t}"' for t in tables]
                                            + [f'ALTER SEQUENCE "{s}" RESTART' for s in sequences])
            conn.exec_driver_sql(self._empty_sql)


def app_config(database_url: str, tmp_path: Path, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": "http://localhost",
        "MAIL_TRANSPORT": "file",
        "MAIL_DIR": str(tmp_path / "mail"),
        "MAIL_FROM": "Coordinator <coordinator@partnership.test>",
        "OUTBOX_RETRY_BASE_SECONDS": 60,
        # A cheap Argon2id: the tests check what hashing does, not how long it takes.
        "PASSWORD_HASH_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        # Sign-in answers are not held to a fixed time, except in the test of that (tests/auth/test_timing.py).
        "SIGN_IN_ANSWER_SECONDS": 0,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def worker_apps(migrated_databases, tmp_path_factory):
    """One application per backend and test process, built once: its templates are compiled once, not for
    every test. Each test gets it back with its settings as built and its database emptied (``app``)."""
    made: dict[str, tuple] = {}

    def get(backend: str):
        if backend not in made:
            directory = tmp_path_factory.mktemp(f"app-{backend}")
            database = WorkerDatabase(backend, migrated_databases(backend), directory)
            application = create_app(app_config(database.url, directory))
            made[backend] = (application, dict(application.config), database)
        return made[backend]

    yield get
    for application, _, _ in made.values():
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def database_url(backend, worker_apps):
    return worker_apps(backend)[2].url


class IsolatedClient(FlaskClient):
    """Each request gets its own application context, as in production. Without this, requests reuse the
    test's context: ``g`` (and Flask-Login's cached user) and the database session would leak between
    requests and hide bugs."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(backend, worker_apps, tmp_path):
    """The process's application for this backend: settings as built (a test may change its own), mail
    written under the test's own directory, an empty database, an application context pushed."""
    application, settings, database = worker_apps(backend)
    application.config.clear()
    application.config.update(settings)
    application.config["MAIL_DIR"] = str(tmp_path / "mail")
    application.test_client_class = IsolatedClient
    with application.app_context():
        database.empty(db.engine)
        yield application
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_app(database_url, tmp_path, app):
    """Another instance of the application on the same database, with some settings changed."""
    made = []

    def make(**settings):
        other = create_app(app_config(database_url, tmp_path, **settings))
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


# --- people -----------------------------------------------------------------------------------------

@pytest.fixture
def make_agency(app):
    from coordinator.agencies.models import Agency, AgencyKind

    def make(name="Test Children's Services", kind=AgencyKind.CHILDRENS_SOCIAL_CARE, domain=None):
        agency = Agency(name=name, kind=kind, secure_email_domain=domain)
        db.session.add(agency)
        db.session.commit()
        return agency

    return make


@pytest.fixture
def make_user(app, make_agency):
    from coordinator.auth import services
    from coordinator.auth.models import Role

    agencies = {}

    def make(email="worker@partnership.test", name="Pat Worker", *, admin=False, password=PASSWORD,
             agency_name="Test Children's Services", active=True):
        if agency_name not in agencies:
            agencies[agency_name] = make_agency(agency_name)
        user = services.create_user(email=email, name=name, agency=agencies[agency_name],
                                    role=Role.ADMIN if admin else Role.PRACTITIONER, password=password)
        user.active = active
        db.session.commit()
        return user

    return make


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def submit(client, url: str, data: dict, *, page: str | None = None, follow_redirects=False):
    """Post a form as a browser would: open the page first and send its CSRF token back."""
    html = client.get(page or url).get_data(as_text=True)
    payload = {"csrf_token": csrf_from(html), **data}
    return client.post(url, data=payload, follow_redirects=follow_redirects)


def sign_in(client, email: str, password: str = PASSWORD):
    response = submit(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


# --- a real SMTP server -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """Collects every message accepted; answers with queued replies (e.g. '451 ...') when told to."""

    def __init__(self):
        self.messages: list = []
        self.replies: deque[str] = deque()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        with self.lock:
            if self.replies:
                return self.replies.popleft()
            message = message_from_bytes(envelope.original_content or envelope.content, policy=default)
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.handler = RecordingHandler()
        self._controller_class = Controller
        self.controller = None

    def start(self):
        self.controller = self._controller_class(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        with self.handler.lock:
            return list(self.handler.messages)

    def reply_next(self, *replies: str):
        self.handler.replies.extend(replies)

    def config(self) -> dict:
        return {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_TIMEOUT_SECONDS": 5}


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    """The application sending through the real test SMTP server."""
    app.config.update(smtp_server.config())
    return app


def send_all(now=None) -> dict:
    """What the scheduler's outbox job does, once, in-process."""
    from coordinator.notify.services import send_due

    return send_due("test-sender", now)
