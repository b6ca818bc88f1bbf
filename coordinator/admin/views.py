"""Administration: agencies, users and invitations, the audit log, failed outbox messages."""
from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from coordinator.access import require_admin
from coordinator.admin.forms import AgencyForm, AuditFilterForm, UserForm
from coordinator.agencies import services as agency_services
from coordinator.agencies.models import Agency, AgencyKind
from coordinator.audit import services as audit
from coordinator.audit.describe import describe
from coordinator.audit.models import AuditEvent
from coordinator.auth import services as auth_services
from coordinator.auth.models import Role, User
from coordinator.extensions import commit_keeping_loaded, db
from coordinator.forms import ButtonForm, choices, differences, form_revision
from coordinator.inputs import bounded_int
from coordinator.notify import services as outbox
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.timeutil import utcnow

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
    conflict = None
    if request.method == "GET" and not new:
        _fill_agency_form(form, agency)
    if form.validate_on_submit():
        try:
            saved = agency_services.save_agency(
                None if new else agency, name=form.name.data, kind=AgencyKind[form.kind.data],
                secure_email_domain=form.secure_email_domain.data, active=form.active.data,
                expected_revision=form_revision(form.revision.data))
        except agency_services.StaleAgency:
            conflict = differences(form, _fill_agency_form(AgencyForm(formdata=None, obj=agency), agency))
            form.revision.data = agency.revision
        except agency_services.AgencyError as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Agency {saved.name} saved.", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency, new=new, conflict=conflict,
                           conflict_what="this agency")


def _fill_agency_form(form: AgencyForm, agency: Agency) -> AgencyForm:
    form.kind.data = agency.kind.name
    form.revision.data = agency.revision
    return form



# --- users ------------------------------------------------------------------------------------------

@bp.get("/users")
def users():
    q = (request.args.get("q") or "").strip()[:100]
    partners = request.args.get("invited") == "lead"  # accounts lead professionals made for partners
    query = select(User).order_by(User.active.desc(), User.name).options(joinedload(User.invited_by))
    if q:
        like = f"%{q.lower()}%"
        query = query.where(func.lower(User.name).like(like) | func.lower(User.email).like(like))
    if partners:
        query = query.where(User.invited_by_id.is_not(None))
    rows = db.session.scalars(query).all()
    return render_template("admin/users.html", users=rows, q=q, partners=partners)


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
            except auth_services.UserError as error:
                getattr(form, error.field).errors.append(str(error))
            else:
                db.session.commit()
                invited = form.send_invite.data and user.active  # an inactive user is never invited
                flash(f"User {user.email} added" + (" and invited." if invited else "."), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.agency_id.choices = _agency_choices(current=user.agency_id)
    conflict = None
    if request.method == "GET":
        _fill_user_form(form, user)
    if form.validate_on_submit():
        if form.agency_id.data == 0:
            form.agency_id.errors.append("Select the person's agency")
        else:
            try:
                auth_services.update_user(
                    user, actor=current_user, expected_revision=form_revision(form.revision.data),
                    name=form.name.data.strip(), email=form.email.data, job_title=form.job_title.data or None,
                    agency_id=form.agency_id.data, role=Role[form.role.data], active=bool(form.active.data))
                if form.send_invite.data and user.active:
                    auth_services.invite_user(user, current_user)
            except auth_services.StaleUser:
                saved = _fill_user_form(UserForm(formdata=None, obj=user), user)
                saved.agency_id.choices = form.agency_id.choices
                conflict = differences(form, saved, only=("name", "email", "job_title", "agency_id", "role", "active"))
                form.revision.data = user.revision
            except auth_services.UserError as error:
                getattr(form, error.field).errors.append(str(error))
            else:
                db.session.commit()
                flash(f"User {user.email} saved.", "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, conflict=conflict,
                           conflict_what="this user", confirm=ButtonForm())


@bp.post("/users/<int:user_id>/confirm-partner")
def confirm_partner(user_id: int):
    """An administrator confirms an account a lead professional made for a partner: from now on it may be
    added to families' networks like any other (until then, meetings only). Who invited it stays in the
    audit log."""
    user = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if user.invited_by_id is not None:
        audit.record("partner_confirmed", object_type="user", object_id=user.id,
                     detail=f"invited by user {user.invited_by_id}")
        user.invited_by_id = None
        db.session.commit()
        flash(f"{user.name}'s account is confirmed: they can now be added to a family's network.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _fill_user_form(form: UserForm, user: User) -> UserForm:
    form.role.data = user.role.name
    form.agency_id.data = user.agency_id or 0
    form.send_invite.data = False
    form.revision.data = user.revision
    return form


# --- audit log --------------------------------------------------------------------------------------

def _audit_query(form: AuditFilterForm):
    """The audit log filtered as the form asks (an unknown user matches nothing)."""
    actor_id = None
    if form.user.data:
        user = auth_services.user_by_email(form.user.data)
        actor_id = user.id if user else -1
    family_id = None
    if form.family.data:
        family_id = bounded_int(form.family.data, -1, low=-1)
        if family_id == -1:
            form.family.errors.append("Enter the family's ID number")
    return audit.search(actor_id=actor_id, family_id=family_id,  # a date refused by the form filters nothing
                        start=None if form.start.errors else form.start.data,
                        end=None if form.end.errors else form.end.data)


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
    page = audit.page_of(_audit_query(form), current_app.config["AUDIT_PAGE_SIZE"],
                         older_than=_event_id(request.args.get("older_than")),
                         newer_than=_event_id(request.args.get("newer_than")))
    # Every value of each argument: a date arrives as three (day, month, year), and the page links keep them.
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("older_than", "newer_than")}
    audit.record("audit_log_viewed", detail=_filters_used(form)[:500])
    commit_keeping_loaded()  # the page shows the events it has just read, without reading each again
    return render_template("admin/audit.html", form=form, page=page, args=args, events=describe(page.events))


def _event_id(value: str | None) -> int | None:
    """A page link's event id; anything else (edited by hand, out of range) starts from the newest."""
    return int(value) if value and value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


@bp.get("/audit.csv")
def audit_csv():
    form = AuditFilterForm(request.args)
    form.validate()
    # The log as it stands when the export is asked for: not the export's own event, nor later ones.
    newest = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    query = _audit_query(form).where(AuditEvent.id <= newest)
    rows = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    audit.record("audit_log_exported", detail=f"{rows} rows; {_filters_used(form)}"[:500])
    db.session.commit()  # the export is recorded before a line of it leaves
    return Response(stream_with_context(audit.csv_lines(query)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})


# --- outbox ---------------------------------------------------------------------------------------

OUTBOX_PAGE_SIZE = 50


@bp.get("/outbox")
def outbox_failed():
    """Failed emails (filtered by kind, a page at a time) with a resend for one, for all, or for a kind;
    and the emails that have waited longer than the health check allows."""
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.state == OutboxState.FAILED)
                               .group_by(OutboxMessage.kind).order_by(OutboxMessage.kind)).all()
    kind = request.args.get("kind") or ""
    if kind not in kinds:
        kind = ""
    failed = select(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED)
    if kind:
        failed = failed.where(OutboxMessage.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(failed.subquery())) or 0
    pages = max(1, -(-total // OUTBOX_PAGE_SIZE))
    page = bounded_int(request.args.get("page"), 1, high=pages)
    rows = db.session.scalars(failed.order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
                              .offset((page - 1) * OUTBOX_PAGE_SIZE).limit(OUTBOX_PAGE_SIZE)).all()
    waited = utcnow() - timedelta(minutes=float(current_app.config["HEALTH_OUTBOX_WAIT_MINUTES"]))
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.state.in_(outbox.WAITING),
                                                             OutboxMessage.due_at < waited)
                                 .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(OUTBOX_PAGE_SIZE)).all()
    return render_template("admin/outbox.html", messages=rows, total=total, kinds=kinds, kind=kind, page=page,
                           pages=pages, waiting=waiting, form=ButtonForm(), backlog=outbox.backlog(),
                           wait_minutes=current_app.config["HEALTH_OUTBOX_WAIT_MINUTES"])


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


@bp.post("/outbox/resend-failed")
def outbox_resend_failed():
    """Every failed message, or every one of a kind, back in the queue in one action (after an outage)."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    kind = (request.form.get("kind") or "").strip()[:40] or None
    count = outbox.resend_failed(kind)
    audit.record("outbox_resend_all", object_type="outbox_message",
                 detail=f"{count} message(s)" + (f" of kind {kind}" if kind else ""))
    db.session.commit()
    flash(f"{count} failed message(s){' of this kind' if kind else ''} will be sent again shortly.", "success")
    return redirect(url_for("admin.outbox_failed"))


# --- replies to the organiser address that no family could be found for ------------------------------------

@bp.route("/replies", methods=["GET", "POST"])
def unplaced_replies():
    """Messages to the organiser mailbox the service could not place with a family (an unknown meeting, a
    stranger's email): kept here to read, never applied."""
    from coordinator.calendar import replies

    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        message_id = request.form.get("message_id", type=int)
        if message_id is None:
            abort(400)
        if replies.look_at(message_id, family_id=None, actor=current_user) is None:
            abort(404)
        db.session.commit()
        flash("Marked as read.", "success")
        return redirect(url_for("admin.unplaced_replies"))
    kept = replies.unplaced_messages()
    return render_template("admin/replies.html", kept=kept, form=form,
                           message_url=lambda m: url_for("admin.unplaced_reply", inbound_message_id=m.id))


@bp.get("/replies/<int:inbound_message_id>")
def unplaced_reply(inbound_message_id: int):
    """One such message's own words: professionals' email about a case, so each reading is audited."""
    from coordinator.calendar import replies
    from coordinator.notify.models import InboundMessage

    message = db.session.get(InboundMessage, inbound_message_id)
    if message is None or message.family_id is not None:
        abort(404)
    audit.record("inbound_message_read", object_type="inbound_message", object_id=message.id)
    commit_keeping_loaded()
    return render_template("admin/reply.html", message=message, text=replies.text_of(message))
