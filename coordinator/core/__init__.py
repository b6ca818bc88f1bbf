"""Cross-cutting web concerns: sessions and idle timeout, security headers, error pages, health."""
from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user, user_logged_in
from flask_wtf.csrf import CSRFError
from sqlalchemy import select, text
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from coordinator import inputs
from coordinator.access import public, rule_of, signed_in
from coordinator.extensions import db, login_manager
from coordinator.timeutil import today, utcnow

bp = Blueprint("core", __name__)

# Sign-in pages and static files are open to anyone; every other route declares its rule on the view
# (coordinator.access). The access-walk test fails on any route with no rule.
PUBLIC_ENDPOINTS = {
    "static", "auth.sign_in", "auth.sign_in_code_request", "auth.sign_in_code", "auth.forgot_password",
    "auth.set_password", "auth.signed_out",
}
# Answered without reading or writing the session (monitoring, static files).
SESSIONLESS_ENDPOINTS = {"core.healthz", "static"}
SIGNED_IN_ENDPOINTS = {"auth.sign_out_confirm", "auth.sign_out", "auth.account", "auth.sign_out_everywhere",
                       "auth.notification_settings"}


def access_rule(app: Flask, endpoint: str) -> str | None:
    """The access rule of an endpoint: declared on its view, or in the tables above for the sign-in area,
    or "admin" for every route of the administration blueprint (its before_request enforces it)."""
    rule = rule_of(app.view_functions.get(endpoint))
    if rule:
        return rule
    if endpoint in PUBLIC_ENDPOINTS:
        return "public"
    if endpoint in SIGNED_IN_ENDPOINTS:
        return "signed_in"
    if endpoint.startswith("admin."):
        return "admin"
    return None


@bp.get("/")
@signed_in
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    from dataclasses import replace

    from coordinator.families.access import current_membership_clause
    from coordinator.families.models import Family, NetworkMembership, NetworkRole
    from coordinator.todo import todo_for

    on = today()
    # Work in a family only while in its network (one query): a guest (invited to meetings only) sees the
    # family's reference, never its name; someone who has left it sees nothing of it.
    roles: dict[str, NetworkRole] = {}
    for ref, role in db.session.execute(select(Family.reference, NetworkMembership.role).join(
            NetworkMembership, NetworkMembership.family_id == Family.id).where(
            current_membership_clause(current_user.id, on))):
        roles[ref] = role if roles.get(ref) in (None, NetworkRole.GUEST) else roles[ref]
    items = [item if roles[item.ref] is not NetworkRole.GUEST else replace(item, family=f"Family {item.ref}")
             for item in todo_for(current_user, on) if item.ref in roles]
    groups = [
        ("Overdue", [i for i in items if i.is_overdue(on)]),
        ("Due in the next 7 days", [i for i in items if i.is_due_soon(on)]),
        ("Later", [i for i in items if i.due is not None and not i.is_overdue(on) and not i.is_due_soon(on)]),
        ("No date", [i for i in items if i.due is None]),
    ]
    return render_template("core/home.html", groups=[g for g in groups if g[1]], count=len(items), on=on)


@bp.get("/healthz")
@public
def healthz():
    """For monitoring: 200 when the service can do its work, 503 with the reasons when it cannot (the
    database is unreachable, the scheduler has stopped, mail is held up or failing). It never reads or
    sets the session, so the answer is the same with or without a cookie."""
    from coordinator.notify.services import backlog
    from coordinator.scheduler.services import last_heartbeat

    cfg = current_app.config
    try:
        db.session.execute(text("SELECT 1"))
        heartbeat = last_heartbeat()
        now = utcnow()
        outbox = backlog(now)
    except Exception:  # noqa: BLE001 - report, never show the error itself
        db.session.rollback()
        current_app.logger.exception("health check failed")
        body = {"status": "error", "reasons": ["the database is unavailable"], "database": {"state": "unavailable"}}
        return jsonify(body), 503
    age = round((now - heartbeat).total_seconds()) if heartbeat else None
    reasons = []
    if heartbeat is None:
        reasons.append("the scheduler has never run")
    elif age > cfg["HEALTH_SCHEDULER_STALE_SECONDS"]:
        reasons.append(f"the scheduler's last heartbeat was {age} seconds ago")
    waited = outbox["oldest_due_waiting_seconds"]
    if waited is not None and waited > float(cfg["HEALTH_OUTBOX_WAIT_MINUTES"]) * 60:
        reasons.append(f"an email has been waiting to be sent for {waited // 60} minutes")
    if outbox["failed_recently"] >= cfg["HEALTH_FAILED_MAX"]:
        reasons.append(f"{outbox['failed_recently']} emails failed in the last {cfg['HEALTH_FAILED_WINDOW_HOURS']:g} hours")
    body = {
        "status": "error" if reasons else "ok",
        "reasons": reasons,
        "database": {"state": "ok"},  # not which database: nothing an unauthenticated caller needs
        "scheduler": {"last_heartbeat": heartbeat.isoformat() if heartbeat else None, "heartbeat_age_seconds": age},
        "outbox": outbox,
    }
    return jsonify(body), 503 if reasons else 200


@bp.get("/accessibility")
@public
def accessibility():
    return render_template("core/accessibility.html")


@bp.get("/cookies")
@public
def cookies():
    return render_template("core/cookies.html")


def sessionless() -> bool:
    """Whether this request is answered without a session: the endpoints above, and views marked so (a
    calendar feed, whose URL's token is its credential: calendar apps keep no cookies, and each poll would
    otherwise be sent a new one)."""
    endpoint = request.endpoint
    return endpoint in SESSIONLESS_ENDPOINTS or bool(
        getattr(current_app.view_functions.get(endpoint or ""), "sessionless", False))


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that the endpoints answered without a session never send the
    cookie back (a permanent session would otherwise be re-sent, and renewed, by every request)."""

    def should_set_cookie(self, app, session) -> bool:
        if has_request_context() and sessionless():
            return False
        return super().should_set_cookie(app, session)


def _sessions_and_sign_in():
    """Sign out after SESSION_IDLE_MINUTES without a request, and require sign-in everywhere but the public
    pages. The monitoring, static and token endpoints never touch the session."""
    if sessionless():
        return None
    session.permanent = True
    if current_user.is_authenticated:
        now = int(utcnow().timestamp())
        last = session.get("seen")
        if last is not None and now - int(last) > current_app.config["SESSION_IDLE_MINUTES"] * 60:
            return _sign_out_idle()
        started = session.setdefault("signed_in_at", now)
        if now - int(started) > current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
            return _sign_out_expired()
        session["seen"] = now
    if request.endpoint is None or access_rule(current_app, request.endpoint) in ("public", "token"):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _sign_out_idle():
    # A view may keep what was being typed (e.g. an agency's update) before the session ends.
    keep = getattr(current_app.view_functions.get(request.endpoint or ""), "on_session_timeout", None)
    resume = None
    if keep is not None and request.method == "POST":
        resume = keep(current_user._get_current_object(), request.view_args or {})
    logout_user()
    session.clear()
    if resume:
        session["next_after_sign_in"] = resume
        flash("You were signed out because you had not done anything for a while. What you typed "
              "has been kept: sign in again to carry on.", "info")
        return redirect(url_for("auth.sign_in"))
    flash("You were signed out because you had not done anything for a while. Sign in again to continue.", "info")
    return redirect(url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None))


def _sign_out_expired():
    """A session kept in use still ends SESSION_ABSOLUTE_HOURS after signing in."""
    logout_user()
    session.clear()
    flash(f"You were signed out: a session lasts at most {current_app.config['SESSION_ABSOLUTE_HOURS']} hours. "
          "Sign in again to continue.", "info")
    return redirect(url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None))


def _note_sign_in(sender, user, **_):
    session["signed_in_at"] = int(utcnow().timestamp())


def init_app(app: Flask) -> None:
    inputs.init_app(app)  # before any route is added: the ids' converter
    user_logged_in.connect(_note_sign_in, app, weak=False)
    app.session_interface = SessionInterface()
    if app.config.get("PROXY_FIX_X_FOR"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]),  # type: ignore[method-assign]
                                x_proto=1, x_host=1)
    app.register_blueprint(bp)
    _register_filters(app)
    app.permanent_session_lifetime = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])

    from coordinator.auth.services import load_user_from_session

    login_manager.user_loader(load_user_from_session)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    app.before_request(_sessions_and_sign_in)
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        # same-origin, not no-referrer: Flask-WTF checks the Referer of HTTPS form posts, and other sites
        # must still never see our URLs.
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config["SESSION_COOKIE_SECURE"]:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static" and not (sessionless() and "Cache-Control" in headers):
            # Nothing a signed-in person saw may be kept by a browser or a shared proxy. (A view answered
            # without a session may say otherwise: the calendar feed is revalidated by its ETag.)
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html", reason=error.description), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = error.code or 500
        template = {403: "errors/403.html", 404: "errors/404.html", 413: "errors/413.html",
                    429: "errors/429.html"}.get(code, "errors/generic.html")
        # A view's own explanation (abort(403, description=...)) is shown; werkzeug's stock text is not.
        default = type(error).description if isinstance(type(error).description, str) else None
        return render_template(template, error=error, code=code, default_description=default), code

    @app.errorhandler(Exception)
    def unexpected_error(error):
        # No stack trace or SQL ever reaches a user; the log keeps it.
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        # minimal_page: no navigation, so the page renders even when the database is what failed.
        return render_template("errors/500.html", minimal_page=True), 500

    @app.context_processor
    def globals_for_templates():
        return {"service_name": app.config["SERVICE_NAME"]}


def _register_filters(app: Flask) -> None:
    """The one way dates and times are shown on every page (coordinator.timeutil)."""
    from coordinator import timeutil

    app.add_template_filter(timeutil.date_and_time, "local_datetime")
    app.add_template_filter(timeutil.long_date, "long_date")
    app.add_template_filter(timeutil.time_of_day, "time_of_day")
    app.add_template_filter(label, "label")
    app.add_template_test(timeutil.is_iso_date, "iso_date")
    app.add_template_filter(with_labels, "with_labels")


def with_labels(rows: list[list[dict]], head: list[dict]) -> list[list[dict]]:
    """A govukTable's rows with each cell carrying its column's heading (data-label), which narrow screens show
    when the table is stacked (.app-table--stack in app.scss)."""
    labelled = []
    for row in rows:
        cells = []
        for cell, column in zip(row, head, strict=False):
            name = column.get("text") or ""
            cells.append({**cell, "attributes": {**cell.get("attributes", {}), "data-label": name}} if name else cell)
        labelled.append(cells + row[len(head):])
    return labelled


def label(name: str | None, enum_name: str) -> str:
    """What people read for a stored name kept as text (in a submitted document, in settings):
    ``'STAYS_SOMETIMES' | label('Presence')`` is "Stays sometimes". An unknown name reads as words."""
    from coordinator.enums import Labelled

    if not name:
        return ""
    todo: list[type[Labelled]] = list(Labelled.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__name__ == enum_name:
            member = cls.__members__.get(str(name).upper())
            if member is not None:
                return member.label
        todo.extend(cls.__subclasses__())
    return str(name).replace("_", " ").capitalize()
