"""Administration: agencies, users and invitations, the audit log, failed outbox messages."""
from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coordinator.access import require_admin
from coordinator.admin.forms import AgencyForm, AuditFilterForm, ButtonForm, UserForm
from coordinator.agencies.models import Agency, AgencyKind
from coordinator.audit import services as audit
from coordinator.audit.models import AuditEvent
from coordinator.auth import services as auth_services
from coordinator.auth.models import Role, User
from coordinator.extensions import db
from coordinator.forms import choices
from coordinator.notify import services as outbox
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.timeutil import local_zone

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def only_administrators():
    # Every route of this blueprint is for administrators only; checked once, here.
    return require_admin()


@bp.get("/")
def index():
    failed = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                               .where(OutboxMessage.state == OutboxState.FAILED))
    return render_template("admin/index.html", failed=failed)


# --- agencies ---------------------------------------------------------------------------------------

@bp.get("/agencies")
def agencies():
    rows = db.session.scalars(select(Agency).order_by(Agency.active.desc(), Agency.name)).all()
    return render_template("admin/agencies.html", agencies=rows)


@bp.route("/agencies/new", methods=["GET", "POST"])
def agency_new():
    return _agency_form(Agency(active=True), new=True)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def agency_edit(agency_id: int):
    return _agency_form(db.get_or_404(Agency, agency_id), new=False)


def _agency_form(agency: Agency, *, new: bool):
    form = AgencyForm(obj=None if new else agency)
    if request.method == "GET" and not new:
        form.kind.data = agency.kind.name
    if form.validate_on_submit():
        name = form.name.data.strip()
        clash = db.session.scalar(select(Agency).where(func.lower(Agency.name) == name.lower(),
                                                       Agency.id != (agency.id or 0)))
        if clash:
            form.name.errors.append("An agency with this name already exists")
        else:
            agency.name = name
            agency.kind = AgencyKind[form.kind.data]
            agency.secure_email_domain = (form.secure_email_domain.data or "").strip().lower() or None
            agency.active = bool(form.active.data)
            if new:
                db.session.add(agency)
            db.session.flush()
            audit.record("agency_created" if new else "agency_updated", object_type="agency",
                         object_id=agency.id, detail=f"{agency.name}; active={agency.active}")
            db.session.commit()
            flash(f"Agency {agency.name} saved.", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency, new=new)


# --- users ------------------------------------------------------------------------------------------

@bp.get("/users")
def users():
    q = (request.args.get("q") or "").strip()[:100]
    query = select(User).order_by(User.active.desc(), User.name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(func.lower(User.name).like(like) | func.lower(User.email).like(like))
    rows = db.session.scalars(query).all()
    return render_template("admin/users.html", users=rows, q=q)


def _agency_choices(current: int | None = None):
    """Active agencies, plus the user's current one even if it has since been deactivated (else the
    user could not be edited, not even deactivated, without moving them to another agency)."""
    agencies = db.session.scalars(select(Agency).where(Agency.active.is_(True) | (Agency.id == (current or 0)))
                                  .order_by(Agency.name)).all()
    return choices([(0, "Select an agency")]
                   + [(a.id, a.name if a.active else f"{a.name} (inactive)") for a in agencies])


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserForm()
    form.agency_id.choices = _agency_choices()
    if form.validate_on_submit():
        if form.agency_id.data == 0:
            form.agency_id.errors.append("Select the person's agency")
        elif auth_services.user_by_email(form.email.data):
            form.email.errors.append("A user with this email address already exists")
        else:
            try:
                user = auth_services.create_user(
                    email=form.email.data, name=form.name.data, job_title=form.job_title.data or None,
                    agency=db.session.get(Agency, form.agency_id.data), role=Role[form.role.data],
                    actor=current_user,
                )
                user.active = bool(form.active.data)
                if form.send_invite.data and user.active:
                    auth_services.invite_user(user, current_user)
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.email.errors.append("A user with this email address already exists")
            else:
                invited = form.send_invite.data and user.active  # an inactive user is never invited
                flash(f"User {user.email} added" + (" and invited." if invited else "."), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.agency_id.choices = _agency_choices(current=user.agency_id)
    if request.method == "GET":
        form.role.data = user.role.name
        form.agency_id.data = user.agency_id or 0
        form.send_invite.data = False
    if form.validate_on_submit():
        email = auth_services.normalise_email(form.email.data)
        other = auth_services.user_by_email(email)
        if form.agency_id.data == 0:
            form.agency_id.errors.append("Select the person's agency")
        elif other is not None and other.id != user.id:
            form.email.errors.append("A user with this email address already exists")
        elif user.id == current_user.id and (not form.active.data or form.role.data != Role.ADMIN.name):
            form.active.errors.append("You cannot deactivate yourself or remove your own administrator role")
        else:
            was_active = user.active
            before = {"name": user.name, "email": user.email, "job_title": user.job_title,
                      "agency_id": user.agency_id, "role": user.role.name, "active": user.active}
            user.name = form.name.data.strip()
            user.email = email
            user.job_title = form.job_title.data or None
            user.agency_id = form.agency_id.data
            user.role = Role[form.role.data]
            user.active = bool(form.active.data)
            if was_active and not user.active:
                user.session_version += 1  # end their sessions now
            after = {"name": user.name, "email": user.email, "job_title": user.job_title,
                     "agency_id": user.agency_id, "role": user.role.name, "active": user.active}
            changed = [key for key in after if after[key] != before[key]]
            audit.record("user_updated", object_type="user", object_id=user.id,
                         detail=f"changed {', '.join(changed) or 'nothing'}; role={user.role.name}; active={user.active}")
            if form.send_invite.data and user.active:
                auth_services.invite_user(user, current_user)
            db.session.commit()
            flash(f"User {user.email} saved.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


# --- audit log --------------------------------------------------------------------------------------

def _audit_query(form: AuditFilterForm):
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if form.user.data:
        user = auth_services.user_by_email(form.user.data)
        query = query.where(AuditEvent.actor_id == (user.id if user else -1))
    if form.family.data:
        try:
            query = query.where(AuditEvent.family_id == int(form.family.data))
        except ValueError:
            form.family.errors.append("Enter the family's ID number")
    zone = local_zone()
    if form.start.data:
        query = query.where(AuditEvent.at >= datetime.combine(form.start.data, time(0), zone))
    if form.end.data:
        query = query.where(AuditEvent.at < datetime.combine(form.end.data + timedelta(days=1), time(0), zone))
    return query


def _filters_used(form: AuditFilterForm) -> str:
    """The filters as the administrator meant them (whole dates, not the first of day/month/year)."""
    return "filters=" + "; ".join(f"{name}={value}" for name, value in (
        ("user", form.user.data or ""), ("family", form.family.data or ""),
        ("from", form.start.data.isoformat() if form.start.data else ""),
        ("to", form.end.data.isoformat() if form.end.data else "")))


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    if request.args:
        form.validate()
    page = max(1, request.args.get("page", 1, type=int))
    size = current_app.config["AUDIT_PAGE_SIZE"]
    query = _audit_query(form)
    events = db.session.scalars(query.offset((page - 1) * size).limit(size + 1)).all()
    has_next = len(events) > size
    # Every value of each argument: a date arrives as three (day, month, year), and the page links keep them.
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "page"}
    audit.record("audit_log_viewed", detail=_filters_used(form)[:500])
    db.session.commit()
    return render_template("admin/audit.html", form=form, events=events[:size], page=page, has_next=has_next,
                           query_args=request.args.to_dict(flat=False), args=args)


@bp.get("/audit.csv")
def audit_csv():
    form = AuditFilterForm(request.args)
    form.validate()
    events = db.session.scalars(_audit_query(form)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "time_utc", "actor_email", "action", "object_type", "object_id", "family_id",
                     "address", "detail"])
    for e in events:
        # Every cell, not just the detail: an email address or a record id can begin with = + - too.
        writer.writerow([_csv_safe(str(value)) for value in (
            e.id, e.at.isoformat(), e.actor.email if e.actor else "", e.action, e.object_type or "",
            e.object_id or "", e.family_id or "", e.address or "", e.detail or "")])
    audit.record("audit_log_exported", detail=f"{len(events)} rows; {_filters_used(form)}"[:500])
    db.session.commit()
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ (or a tab or carriage return before one) would be run as a formula by a
    # spreadsheet (OWASP's list).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- outbox -----------------------------------------------------------------------------------------

@bp.get("/outbox")
def outbox_failed():
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED)
                              .order_by(OutboxMessage.created_at.desc()).limit(200)).all()
    return render_template("admin/outbox.html", messages=rows, form=ButtonForm(), backlog=outbox.backlog())


@bp.post("/outbox/<int:message_id>/resend")
def outbox_resend(message_id: int):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    message = db.get_or_404(OutboxMessage, message_id)
    if message.state != OutboxState.FAILED:
        flash("That message is not failed; nothing to resend.", "info")
        return redirect(url_for("admin.outbox_failed"))
    outbox.resend(message)
    audit.record("outbox_resend", object_type="outbox_message", object_id=message.id,
                 family_id=message.family_id)
    db.session.commit()
    flash(f"Message {message.id} will be sent again shortly.", "success")
    return redirect(url_for("admin.outbox_failed"))
