"""The professionals meeting coordinator: a Flask application factory."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from coordinator import query_guard
from coordinator.config import load_config
from coordinator.extensions import csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _one_line_log_messages()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(PROJECT_ROOT / "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    db.init_app(app)
    query_guard.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    from govuk_frontend_wtf.main import WTFormsHelpers

    WTFormsHelpers(app)

    _allow_reserved_email_domains()
    _import_models()
    _connect_hooks()
    from coordinator.hooks import slot

    app.add_template_global(slot)
    from coordinator import cli, core
    from coordinator.admin.views import bp as admin_bp
    from coordinator.auth.views import bp as auth_bp
    from coordinator.calendar.views import bp as calendar_bp
    from coordinator.families.views import bp as families_bp
    from coordinator.meetings.views import bp as meetings_bp
    from coordinator.minutes.views import bp as minutes_bp
    from coordinator.oversight.views import bp as oversight_bp
    from coordinator.submissions.views import bp as submissions_bp

    core.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(families_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(submissions_bp)
    app.register_blueprint(minutes_bp)
    app.register_blueprint(oversight_bp)
    cli.init_app(app)
    _asset_urls(app)
    return app


def _one_line_log_messages() -> None:
    """Every value put into a log message stays on its line: a value someone typed with a new line in it
    cannot forge a log line of its own. (The messages' own text, and tracebacks, keep their lines.)"""
    make = logging.getLogRecordFactory()
    if getattr(make, "one_line", False):
        return

    def escaped(value):
        return value.replace("\r", "\\r").replace("\n", "\\n") if isinstance(value, str) else value

    def one_line(*args, **kwargs):
        record = make(*args, **kwargs)
        if isinstance(record.args, tuple):
            record.args = tuple(escaped(value) for value in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: escaped(value) for key, value in record.args.items()}
        return record

    one_line.one_line = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(one_line)


def _allow_reserved_email_domains() -> None:
    """Accept addresses at .invalid and .test, reserved names that never deliver: the demo's users are
    at demo.invalid and the tests' at *.test. email-validator refuses them unless told otherwise."""
    import email_validator

    for name in ("invalid", "test"):
        if name in email_validator.SPECIAL_USE_DOMAIN_NAMES:
            email_validator.SPECIAL_USE_DOMAIN_NAMES.remove(name)


def _import_models() -> None:
    """Import every model module (and the due jobs) so metadata and the scheduler registry are complete."""
    from coordinator.agencies import models as _agencies  # noqa: F401
    from coordinator.audit import models as _audit  # noqa: F401
    from coordinator.auth import models as _auth  # noqa: F401
    from coordinator.families import models as _families  # noqa: F401
    from coordinator.meetings import jobs as _meetings_jobs  # noqa: F401
    from coordinator.meetings import models as _meetings  # noqa: F401
    from coordinator.minutes import jobs as _minutes_jobs  # noqa: F401
    from coordinator.minutes import models as _minutes  # noqa: F401
    from coordinator.notify import jobs as _notify_jobs  # noqa: F401
    from coordinator.notify import models as _notify  # noqa: F401
    from coordinator.oversight import models as _oversight  # noqa: F401
    from coordinator.scheduler import models as _scheduler  # noqa: F401
    from coordinator.submissions import jobs as _submissions_jobs  # noqa: F401
    from coordinator.submissions import models as _submissions  # noqa: F401


def _connect_hooks() -> None:
    """Import every area's hooks, so that what each contributes to the areas below it is connected before
    any request (coordinator.hooks)."""
    from coordinator.calendar import hooks as _calendar  # noqa: F401
    from coordinator.families import hooks as _families  # noqa: F401
    from coordinator.meetings import hooks as _meetings  # noqa: F401
    from coordinator.minutes import hooks as _minutes  # noqa: F401
    from coordinator.notify import hooks as _notify  # noqa: F401
    from coordinator.submissions import hooks as _submissions  # noqa: F401


def _asset_urls(app: Flask) -> None:
    """``asset_url('app.css')``: a built asset's URL with its content hash, so caches never serve stale files."""
    manifest_path = PROJECT_ROOT / "static" / "build" / "manifest.json"

    def asset_url(name: str) -> str:
        try:
            version = json.loads(manifest_path.read_text()).get(name, "")
        except (OSError, ValueError):
            version = ""
        return f"/static/build/{name}" + (f"?v={version}" if version else "")

    app.add_template_global(asset_url)
