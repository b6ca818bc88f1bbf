"""Configuration: defaults here, then ``instance/config.py``, then environment variables.

Every safeguarding-practice number (timescales, thresholds) is a setting, never a constant in code.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class Defaults:
    SERVICE_NAME = "Professionals meeting coordinator"
    # The address people use: links in emails and feeds start with it. Unset, it follows the HOST and PORT
    # the development server is started on (`make run`), http://127.0.0.1:5000 by default.
    BASE_URL: str | None = None
    TIMEZONE = "Europe/London"

    # Database: SQLite in instance/ unless DATABASE_URL says otherwise (set in load_config).
    SQLALCHEMY_DATABASE_URI: str | None = None
    # hide_parameters: a database error logs its statement, never the values in it (names, addresses).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}

    # Sessions and cookies. SESSION_COOKIE_SECURE follows BASE_URL's scheme unless set explicitly.
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12  # a session in use still ends this long after signing in
    # Every sign-in related answer takes at least this long, known address or not (no enumeration by timing).
    SIGN_IN_ANSWER_SECONDS = 0.4
    SESSION_COOKIE_SECURE: bool | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "coordinator_session"
    REMEMBER_COOKIE_DURATION = 0
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (idle-limited) session

    # Request bodies over this are refused with a clear message (413).
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    # Sign-in throttling: per account (the email typed, whether or not it exists) and, generously,
    # per address, because many practitioners share one council or NHS outgoing address.
    SIGNIN_WINDOW_MINUTES = 15
    SIGNIN_MAX_FAILURES_PER_ACCOUNT = 5
    SIGNIN_MAX_FAILURES_PER_ADDRESS = 100
    ONE_TIME_CODE_MINUTES = 10
    ONE_TIME_CODE_MAX_TRIES = 5
    ONE_TIME_CODES_PER_WINDOW = 5  # codes emailed to one account per SIGNIN_WINDOW_MINUTES
    PASSWORD_RESETS_PER_WINDOW = 3
    PASSWORD_RESET_HOURS = 2
    INVITE_DAYS = 7
    PASSWORD_MIN_LENGTH = 12
    # Argon2id cost; empty means argon2-cffi's recommended parameters (RFC 9106). Tests set a low cost.
    PASSWORD_HASH_PARAMETERS: dict = {}

    # Mail: "file" writes .eml files to instance/mail (the `make run` default); "smtp" sends.
    MAIL_TRANSPORT = "file"
    MAIL_FROM = "Professionals meeting coordinator <no-reply@coordinator.invalid>"
    # Replies to any email go to this team mailbox when set; otherwise, for an email about a family, to the
    # family's lead professional (calendar invitations: to their ORGANIZER, see MEETINGS_ORGANISER_EMAIL).
    MAIL_REPLY_TO: str | None = None
    MAIL_DIR: str | None = None
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TIMEOUT_SECONDS = 20
    OUTBOX_BATCH_SIZE = 50
    # A relay that is down or refusing for now: keep trying, backing off from the base to the cap, for
    # this long after the message was due; then it fails and is listed for administrators.
    OUTBOX_RETRY_WINDOW_HOURS = 48
    OUTBOX_RETRY_BASE_SECONDS = 60
    OUTBOX_RETRY_MAX_SECONDS = 30 * 60
    # A message whose sending breaks in an unexpected way (or stops the sender) is failed after this many
    # attempts, so it cannot hold up the others for the whole window.
    OUTBOX_MAX_ATTEMPTS = 5

    # /healthz answers 503 when the scheduler's heartbeat is older than this, when a due message has
    # waited longer than this, or when this many messages failed within the window.
    HEALTH_SCHEDULER_STALE_SECONDS = 180
    HEALTH_OUTBOX_WAIT_MINUTES = 30
    HEALTH_FAILED_WINDOW_HOURS = 24
    HEALTH_FAILED_MAX = 10

    # Scheduler: one tick job finds due work in the database; a lease keeps it to one runner.
    SCHEDULER_TICK_SECONDS = 15
    SCHEDULER_LEASE_SECONDS = 60
    # On SIGTERM the scheduler finishes the message or step in hand and exits; if that takes longer than
    # this (a relay that never answers), it exits anyway and the next holder sends the message.
    SCHEDULER_STOP_GRACE_SECONDS = 3

    AUDIT_PAGE_SIZE = 50

    # Families and the household.
    HOUSEHOLD_UNCONFIRMED_DAYS = 42  # flag anyone whose presence has not been confirmed for this long
    BREAK_GLASS_MINUTES = 60  # how long an administrator's stated-reason access to a family lasts
    DUE_DATE_PAST_DAYS = 28  # an expected due date further back than this is refused: enter the birth
    DUE_DATE_AHEAD_DAYS = 300
    FAMILIES_PAGE_SIZE = 25

    # Meetings. Cadence per meeting type (../shared/domain.md): the default interval offered, and the
    # longest gap allowed before a series is flagged overdue.
    MEETING_TYPE_SETTINGS = {
        "PROFESSIONALS": {"default_weeks": 6, "max_days": 56},
        "CORE_GROUP": {"default_weeks": 6, "max_days": 42},
        "REVIEW_CONFERENCE": {"default_weeks": 26, "max_days": 183},
        "CIN_REVIEW": {"default_weeks": 12, "max_days": 84},
        "TEAM_AROUND_FAMILY": {"default_weeks": 6, "max_days": 84},
    }
    MEETING_HORIZON_DAYS = 400  # occurrences are generated this far ahead
    MEETING_MAX_YEARS_AHEAD = 2  # a first meeting further ahead than this is refused as a mistake
    MEETING_MAX_DURATION_MINUTES = 24 * 60
    MEETINGS_ORGANISER_EMAIL: str | None = None  # a team mailbox people read; else the lead professional
    MEETINGS_ORGANISER_NAME: str | None = None
    # Calendar answers coming back (coordinator.notify.inbound): the ORGANIZER address above is a mailbox the
    # service reads. "imap" (the scheduler polls it), "maildir" (a directory a local MTA delivers to) or "none".
    MAIL_INBOUND = "none"
    MAIL_INBOUND_HOST = "127.0.0.1"
    MAIL_INBOUND_PORT = 993
    MAIL_INBOUND_SECURITY = "tls"  # "tls" (IMAPS), "starttls", or "none" (loopback or a trusted network only)
    MAIL_INBOUND_USERNAME: str | None = None
    MAIL_INBOUND_PASSWORD: str | None = None
    MAIL_INBOUND_OAUTH2_TOKEN: str | None = None  # a bearer token (XOAUTH2) instead of a password
    MAIL_INBOUND_FOLDER = "INBOX"
    MAIL_INBOUND_MAILDIR: str | None = None
    MAIL_INBOUND_MAX_BYTES = 25 * 1024 * 1024  # a larger message is kept for the lead, its body not stored
    MAIL_INBOUND_BATCH = 200  # messages read per poll
    # The authserv-id the organisation's own receiving mail server writes in Authentication-Results (RFC 8601).
    # Set: a calendar answer is applied only if that server saw a DMARC (or aligned DKIM) pass for its From
    # address. Not set: the From address is trusted as it stands, except that a deputy is never named by it.
    MAIL_INBOUND_AUTHSERV_ID: str | None = None
    # The CLASS of every calendar event sent or published: PRIVATE (the default) keeps the joining link and
    # who is invited off calendars others can see (shared and delegated calendars show "Private"); PUBLIC
    # or CONFIDENTIAL are allowed.
    CALENDAR_CLASS = "PRIVATE"
    # Agencies' updates before a meeting, in working days.
    UPDATE_DEADLINE_WORKING_DAYS = 2  # due this many working days before the meeting
    UPDATE_REQUEST_WORKING_DAYS = 7  # asked for this many working days before the meeting
    UPDATE_REMINDER_WORKING_DAYS_BEFORE_DEADLINE = (2, 0)  # reminders: 2 days before, and on the day
    UPDATE_LOOKAHEAD_DAYS = 31
    UPDATE_REQUESTS_BATCH = 500  # meetings the request job reads, and commits, together
    # The pre-meeting pack's attention thresholds.
    WAS_NOT_BROUGHT_THRESHOLD = 2  # appointments the child was not brought to, across agencies
    # A child younger than this (in months) is asked about as a baby in the update: seen awake, where they
    # sleep, held or seen undressed, rather than seen alone.
    BABY_AGE_MONTHS = 12
    SCALE_SPREAD_THRESHOLD = 4  # agencies' safety scales this far apart are a disagreement to discuss
    # Notifications chosen as a daily digest are sent from this hour (local time) each day.
    NOTIFICATION_DIGEST_HOUR = 7
    # Minutes.
    MINUTES_ONE_PERSON_MAY_WRITE_AND_APPROVE = False  # may the chair approve minutes they took themselves?
    MINUTES_CORRECTION_WORKING_DAYS = 10  # corrections may be asked for this long after publishing
    DECISIONS_SUMMARY_WORKING_DAYS = 1  # decisions to attendees within this many working days
    MINUTES_PUBLISH_WORKING_DAYS = 15  # full minutes published within this many working days
    MINUTES_CONFIDENTIALITY_TEXT = (
        "These minutes are confidential. They are shared with the professionals named for the purpose of "
        "safeguarding the children, and must not be passed on without the chair's agreement.")
    # The partnership's learning: a count under this many (1 to one less) is shown as "fewer than N".
    SUPPRESSION_THRESHOLD = 5
    # The Government Security Classification marking printed at the top and foot of every page of a PDF.
    PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
    BANK_HOLIDAY_COUNTRY = "GB"
    BANK_HOLIDAY_SUBDIVISION = "ENG"  # England and Wales share their bank holidays but for a few years


# Environment variables read on top of the defaults and instance/config.py, with their types.
_ENV_SETTINGS: dict[str, type] = {
    "SECRET_KEY": str,
    "BASE_URL": str,
    "TIMEZONE": str,
    "SESSION_IDLE_MINUTES": int,
    "SESSION_ABSOLUTE_HOURS": int,
    "SIGN_IN_ANSWER_SECONDS": float,
    "SESSION_COOKIE_SECURE": bool,
    "MAIL_TRANSPORT": str,
    "MAIL_FROM": str,
    "MAIL_DIR": str,
    "MAIL_REPLY_TO": str,
    "CALENDAR_CLASS": str,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_STARTTLS": bool,
    "SMTP_USERNAME": str,
    "SMTP_PASSWORD": str,
    "SMTP_TIMEOUT_SECONDS": float,
    "OUTBOX_BATCH_SIZE": int,
    "OUTBOX_RETRY_WINDOW_HOURS": float,
    "OUTBOX_RETRY_BASE_SECONDS": float,
    "OUTBOX_RETRY_MAX_SECONDS": float,
    "OUTBOX_MAX_ATTEMPTS": int,
    "HEALTH_SCHEDULER_STALE_SECONDS": int,
    "HEALTH_OUTBOX_WAIT_MINUTES": float,
    "HEALTH_FAILED_WINDOW_HOURS": float,
    "HEALTH_FAILED_MAX": int,
    "NOTIFICATION_DIGEST_HOUR": int,
    "MEETINGS_ORGANISER_EMAIL": str,
    "MEETINGS_ORGANISER_NAME": str,
    "MAIL_INBOUND": str,
    "MAIL_INBOUND_HOST": str,
    "MAIL_INBOUND_PORT": int,
    "MAIL_INBOUND_SECURITY": str,
    "MAIL_INBOUND_USERNAME": str,
    "MAIL_INBOUND_PASSWORD": str,
    "MAIL_INBOUND_OAUTH2_TOKEN": str,
    "MAIL_INBOUND_FOLDER": str,
    "MAIL_INBOUND_MAILDIR": str,
    "MAIL_INBOUND_MAX_BYTES": int,
    "MAIL_INBOUND_AUTHSERV_ID": str,
    "SUPPRESSION_THRESHOLD": int,
    "PROTECTIVE_MARKING": str,
    "SCHEDULER_TICK_SECONDS": int,
    "SCHEDULER_LEASE_SECONDS": int,
    "SCHEDULER_STOP_GRACE_SECONDS": float,
}


def _parse(kind: type, raw: str):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def load_config(app, overrides: dict | None = None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for name, kind in _ENV_SETTINGS.items():
        if name in os.environ:
            app.config[name] = _parse(kind, os.environ[name])
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if overrides:
        app.config.update(overrides)

    if not app.config.get("BASE_URL"):
        app.config["BASE_URL"] = local_base_url(os.environ.get("HOST"), os.environ.get("PORT"))
    app.config["CALENDAR_CLASS"] = calendar_class(app.config.get("CALENDAR_CLASS"))
    app.config["MAIL_REPLY_TO"] = (app.config.get("MAIL_REPLY_TO") or "").strip() or None

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = f"sqlite:///{instance / 'coordinator.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(uri)
    if not app.config.get("MAIL_DIR"):
        app.config["MAIL_DIR"] = str(instance / "mail")
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["BASE_URL"].startswith("https://")
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


LOCAL_HOST = "127.0.0.1"
LOCAL_PORT = 5000


def local_base_url(host: str | None, port: str | None) -> str:
    """The address of a server started with ``flask run --host HOST --port PORT`` as seen from this machine."""
    host = (host or "").strip() or LOCAL_HOST
    if host in ("0.0.0.0", "::", "[::]"):  # every interface: this machine reaches it on its own address
        host = LOCAL_HOST
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    raw_port = (port or "").strip() or str(LOCAL_PORT)
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise ValueError(f"PORT must be a port number from 1 to 65535, not {raw_port!r}")
    return f"http://{host}:{int(raw_port)}"


CALENDAR_CLASSES = ("PRIVATE", "PUBLIC", "CONFIDENTIAL")


def calendar_class(value: str | None) -> str:
    """CALENDAR_CLASS as RFC 5545 writes it (upper case); PRIVATE when unset; anything else refused at start."""
    chosen = (value or "").strip().upper() or "PRIVATE"
    if chosen not in CALENDAR_CLASSES:
        raise ValueError(f"CALENDAR_CLASS must be one of {', '.join(CALENDAR_CLASSES)}, not {value!r}")
    return chosen


def _normalise_database_url(uri: str) -> str:
    # Accept the common postgres:// and postgresql:// spellings; we drive PostgreSQL through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix):]
    return uri


def _instance_secret(path: Path) -> str:
    """Read the instance's secret key, generating it (readable by the owner only) on first start."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # the web server and the scheduler started at the same moment
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
