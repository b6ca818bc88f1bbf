from __future__ import annotations

import logging
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from coordinator.audit import services as audit
from coordinator.audit.services import request_address
from coordinator.auth import services
from coordinator.auth.forms import (
    CodeForm,
    CodeRequestForm,
    ConfirmForm,
    ForgotPasswordForm,
    SetPasswordForm,
    SignInForm,
)
from coordinator.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only ever redirect within this site after signing in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("core.home")


def _complete_sign_in(user):
    next_url = session.get("next_after_sign_in")
    session.clear()  # a new session for the signed-in person (no fixation)
    login_user(user)
    session.permanent = True
    return redirect(_safe_next(next_url))


def _remember_next():
    if request.method == "GET" and request.args.get("next"):
        session["next_after_sign_in"] = _safe_next(request.args.get("next"))


def answers_in_fixed_time(view):
    """A sign-in related answer (a password tried, a code asked for or tried, a reset asked for) takes the
    same time whether the address has an account or not: SIGN_IN_ANSWER_SECONDS at least, so the time
    cannot tell an attacker which addresses are known. The work is well inside it (a warning is logged if
    not: raise the setting)."""

    @wraps(view)
    def timed(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        started = time.monotonic()
        response = view(*args, **kwargs)
        floor = float(current_app.config["SIGN_IN_ANSWER_SECONDS"])
        spent = time.monotonic() - started
        if spent < floor:
            time.sleep(floor - spent)
        elif floor > 0:
            log.warning("%s took %.3f s, longer than SIGN_IN_ANSWER_SECONDS (%.3f): raise it", request.endpoint,
                        spent, floor)
        return response

    return timed


@bp.route("/sign-in", methods=["GET", "POST"])
@answers_in_fixed_time
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    _remember_next()
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate_password(form.email.data, form.password.data, request_address())
        except services.SignInRefused as refused:
            form.password.errors.append(str(refused))
            form.password.data = ""
        else:
            return _complete_sign_in(user)
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-in/code/request", methods=["GET", "POST"])
@answers_in_fixed_time
def sign_in_code_request():
    _remember_next()
    form = CodeRequestForm()
    if form.validate_on_submit():
        services.send_one_time_code(form.email.data, request_address())
        session["code_email"] = services.normalise_email(form.email.data)
        return redirect(url_for("auth.sign_in_code"))
    return render_template("auth/code_request.html", form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@answers_in_fixed_time
def sign_in_code():
    email = session.get("code_email")
    if not email:
        return redirect(url_for("auth.sign_in_code_request"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate_code(email, form.code.data, request_address())
        except services.SignInRefused as refused:
            form.code.errors.append(str(refused))
        else:
            return _complete_sign_in(user)
    return render_template("auth/code.html", form=form, email=email)


@bp.get("/sign-out")
@login_required
def sign_out_confirm():
    return render_template("auth/sign_out.html", form=ConfirmForm())


@bp.post("/sign-out")
@login_required
def sign_out():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    audit.record("signed_out", object_type="user", object_id=current_user.id)
    # Ended on the server, not only in this browser: a copy of the cookie opens nothing afterwards (the
    # person's other sessions end too).
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.signed_out"))


@bp.get("/signed-out")
def signed_out():
    return render_template("auth/signed_out.html")


@bp.route("/forgot-password", methods=["GET", "POST"])
@answers_in_fixed_time
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    row = services.valid_token(token)
    if row is None:
        return render_template("auth/link_expired.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = services.set_password_with_token(row, form.password.data)
        logout_user()
        session.clear()
        login_user(user)
        flash("Your password has been saved and you are signed in.", "success")
        return redirect(url_for("core.home"))
    return render_template("auth/set_password.html", form=form, purpose=row.purpose.value)


@bp.get("/account")
@login_required
def account():
    return render_template("auth/account.html", form=ConfirmForm(), notifications=_notification_form())


def _notification_form(formdata=None):
    from coordinator.auth.forms import notification_form
    from coordinator.notify import personal

    return notification_form(personal.KINDS, personal.settings_of(current_user.id), formdata)


@bp.post("/account/notifications")
@login_required
def notification_settings():
    from coordinator.notify import personal
    from coordinator.notify.models import Delivery

    form = _notification_form(request.form)
    if not form.validate():
        return render_template("auth/account.html", form=ConfirmForm(), notifications=form), 400
    choices = {kind.name: Delivery[form[kind.name].data] for kind in personal.KINDS}
    try:
        changed = personal.choose(current_user.id, choices)
        db.session.flush()
    except IntegrityError:  # the same form sent twice at once: the other saved first; apply over it
        db.session.rollback()
        changed = personal.choose(current_user.id, choices)
    if changed:
        audit.record("notification_settings_changed", object_type="user", object_id=current_user.id,
                     detail=", ".join(changed))
    db.session.commit()
    flash("How you are told about new work is saved.", "success")
    return redirect(url_for("auth.account") + "#notifications")


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    current_user.session_version += 1
    audit.record("signed_out_everywhere", object_type="user", object_id=current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.signed_out"))
