"""Meeting series and meeting pages. Changes that reach people's calendars go through a confirmation
step that shows who will receive an update, and lets the organiser choose not to send one."""
from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from coordinator.extensions import db
from coordinator.families.access import Need, family_view, is_lead, membership_of
from coordinator.families.models import Family, NetworkRole
from coordinator.families.services import current_network
from coordinator.forms import ButtonForm, answered, choices, differences, form_revision
from coordinator.meetings import queries as meeting_queries
from coordinator.meetings import services
from coordinator.meetings.forms import (
    CancelForm,
    EndForm,
    ExtraForm,
    InviteesForm,
    MoveForm,
    ResponseForm,
    ScheduleForm,
    SeriesForm,
)
from coordinator.meetings.models import (
    InvitationResponse,
    Invitee,
    MeetingSeries,
    MeetingType,
    Occurrence,
    Recurrence,
    Response,
    SeriesEnd,
    SeriesStatus,
)
from coordinator.meetings.policy import may_answer_meeting, may_see_meeting, may_see_series
from coordinator.timeutil import long_date, utcnow

bp = Blueprint("meetings", __name__, url_prefix="/families/<ref>")


def _can_manage(family: Family) -> bool:
    return is_lead(family, current_user) and not family.is_closed


# --- the confirmation step ------------------------------------------------------------------------------

def _confirmed() -> bool | None:
    """None until the organiser has seen the confirmation page; then whether to send updates."""
    choice = request.form.get("notify")
    return None if choice is None else choice == "yes"


def _confirm_page(family, *, heading: str, summary: list[str], recipients: list[str],
                  cancels: Sequence[str] = (), warnings: Sequence[str] = ()):
    replay = [(k, v) for k, values in request.form.lists() for v in values if k not in ("csrf_token", "notify")]
    return render_template("meetings/confirm.html", family=family, heading=heading, summary=summary,
                           recipients=sorted(set(recipients)), cancels=sorted(set(cancels)), warnings=warnings,
                           replay=replay, form=ButtonForm())


def _schedule_from(form: ScheduleForm, meeting_type: MeetingType | None = None) -> services.Schedule:
    return services.Schedule(
        meeting_type=meeting_type or MeetingType[form.meeting_type.data], first_date=form.first_date.data,
        start_time=answered(form.start_time.time), duration_minutes=answered(form.duration_minutes.data),
        recurrence=Recurrence[form.recurrence.data], interval=answered(form.interval.data), end_kind=SeriesEnd[form.end_kind.data],
        until_date=form.until_date.data, count=form.count.data, timezone=current_app.config["TIMEZONE"],
        location=(form.location.data or "").strip() or None, online_link=(form.online_link.data or "").strip() or None)



def _field_error(form, error: services.MeetingError, default: str) -> None:
    field = getattr(form, error.field or default, None) or getattr(form, default)
    field.errors = list(field.errors) + [str(error)]


def _network_choices(family: Family):
    people = [m for m in current_network(family) if m.role is not NetworkRole.GUEST]
    return people


def _external_users(form, family: Family) -> list | None:
    """The users for the typed email addresses, created where needed; None (with a form error) if any
    address is not valid, or belongs to a deactivated account that is not already in the network (such an
    account cannot be given access, so saving would fail)."""
    from coordinator.auth.services import user_by_email

    users, bad, inactive = [], [], []
    for line in (form.external_emails.data or "").replace(",", "\n").splitlines():
        address = line.strip()
        if not address:
            continue
        try:
            normalised = validate_email(address, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            bad.append(address)
            continue
        existing = user_by_email(normalised)
        if existing is not None and not existing.active and membership_of(family, existing) is None:
            inactive.append(address)
            continue
        users.append(normalised)
    if bad:
        form.external_emails.errors = list(form.external_emails.errors) + [
            f"Enter email addresses in the correct format, like name@example.org: {', '.join(bad)[:200]} is not"]
    if inactive:
        form.external_emails.errors = list(form.external_emails.errors) + [
            f"The account for {', '.join(inactive)[:200]} is deactivated: ask an administrator to reactivate it, "
            "or invite someone else"]
    if bad or inactive:
        return None
    return users


def _invitees_from(form, family: Family) -> tuple[list, list[str]] | None:
    by_id = {m.user_id: m.user for m in _network_choices(family)}
    unknown = [i for i in (form.invitee_ids.data or []) if i not in by_id]
    if unknown:
        form.invitee_ids.errors = list(form.invitee_ids.errors) + ["Choose people from this family's network only"]
        return None
    emails = _external_users(form, family)
    if emails is None:
        return None
    people = [by_id[i] for i in form.invitee_ids.data or []]
    return people, emails


# --- pages ----------------------------------------------------------------------------------------

@bp.get("/meetings")
@family_view(Need.READ)
def family_meetings(family: Family):
    return render_template("meetings/family_meetings.html", family=family,
                           series_health=meeting_queries.health_of(family.id), can_manage=_can_manage(family))


@bp.route("/series/new", methods=["GET", "POST"])
@family_view(Need.MANAGE)
def new_series(family: Family):
    people = {m.user_id: m.user for m in _network_choices(family)}
    form = _series_form(family)
    if form.validate_on_submit() and (checked := _checked_series(form, family)) is not None:
        schedule, chosen, emails = checked
        chair, minute_taker = people[form.chair_id.data], people.get(form.minute_taker_id.data)
        notify = _confirmed()
        if notify is None:
            recipients = [p.email for p in chosen] + emails + [p.email for p in (chair, minute_taker) if p]
            return _confirm_page(family, heading="Send the invitations?", summary=_describe(schedule),
                                 recipients=recipients, warnings=meeting_queries.schedule_holiday_warnings(schedule))
        users = chosen + [services.user_for_external(e, current_user) for e in emails]
        series = services.create_series(family, schedule, actor=current_user, chair=chair,
                                        minute_taker=minute_taker, invitees=users, notify=notify)
        db.session.commit()
        flash("Meeting series set up." + (" Invitations are on their way." if notify else
                                          " No invitations were sent."), "success")
        return redirect(url_for("meetings.show_series", ref=family.reference, series_id=series.id))
    return render_template("meetings/series_form.html", form=form, family=family, series=None,
                           defaults=current_app.config["MEETING_TYPE_SETTINGS"])


def _series_form(family: Family) -> SeriesForm:
    """The set-up form, its choices the family's network; on first showing, the usual answers filled in."""
    form = SeriesForm()
    people = _network_choices(family)
    form.chair_id.choices = choices([(0, "Select the chair")] + [(m.user_id, f"{m.user.name} ({m.role.label})") for m in people])
    form.minute_taker_id.choices = choices([(0, "No minute-taker yet")] + [(m.user_id, m.user.name) for m in people])
    form.invitee_ids.choices = choices([(m.user_id, f"{m.user.name}, {m.agency.name if m.agency else 'no agency'}") for m in people])
    if request.method == "GET":
        form.meeting_type.data = MeetingType.PROFESSIONALS.name
        form.duration_minutes.data = 90
        form.interval.data = services.type_settings(MeetingType.PROFESSIONALS)["default_weeks"]
        form.invitee_ids.data = [m.user_id for m in people]
        form.start_time.data = "10:00"
    return form


def _checked_series(form: SeriesForm, family: Family):
    """(schedule, chosen people, emails) when the set-up is sound; None with the form's errors set."""
    if not form.chair_id.data:
        form.chair_id.errors = ["Select the chair"]
        return None
    found = _invitees_from(form, family)
    if found is None:
        return None
    schedule = _schedule_from(form)
    try:
        services.check_schedule(schedule)
    except services.MeetingError as error:
        _field_error(form, error, "first_date")
        return None
    return schedule, *found


def _describe(schedule: services.Schedule) -> list[str]:
    lines = [f"{schedule.meeting_type.label}, first on {schedule.first_date.strftime('%A %-d %B %Y')} at "
             f"{schedule.start_time.strftime('%H:%M')} for {schedule.duration_minutes} minutes"]
    unit = "week" if schedule.recurrence is Recurrence.WEEKLY else "month"
    lines.append(f"Repeats every {schedule.interval} {unit}{'s' if schedule.interval > 1 else ''}"
                 + {SeriesEnd.NEVER: ", with no end date",
                    SeriesEnd.ON_DATE: f", until {long_date(schedule.until_date)}",
                    SeriesEnd.AFTER_COUNT: f", {schedule.count} meetings in all"}[schedule.end_kind])
    place = ", ".join(p for p in (schedule.location, schedule.online_link) if p)
    if place:
        lines.append(f"At {place}")
    return lines


@bp.get("/series/<int:series_id>")
@family_view(Need.ATTEND, load={"series_id": MeetingSeries}, may=may_see_series)
def show_series(family: Family, series: MeetingSeries):
    return render_template("meetings/series.html", family=family, series=series,
                           health=meeting_queries.series_health(series), warnings=meeting_queries.bank_holiday_warnings(series),
                           can_manage=_can_manage(family) and series.status is SeriesStatus.ACTIVE, now=utcnow())


@bp.route("/series/<int:series_id>/change", methods=["GET", "POST"])
@family_view(Need.MANAGE, load={"series_id": MeetingSeries}, may=may_see_series)
def change_schedule(family: Family, series: MeetingSeries):
    if series.status is not SeriesStatus.ACTIVE:
        abort(409, description="This series has ended.")
    form = ScheduleForm(obj=series)
    if request.method == "GET":
        form.meeting_type.data = series.meeting_type.name
        form.recurrence.data = series.recurrence.name
        form.end_kind.data = series.end_kind.name
        form.start_time.data = series.start_time.strftime("%H:%M")
        form.first_date.data = None
        form.revision.data = series.revision
    if form.validate_on_submit():
        schedule = _schedule_from(form)
        try:
            services.check_schedule(schedule)
            notify = _confirmed()
            if notify is None:
                return _confirm_page(family, heading="Change the schedule from this date?",
                                     summary=[f"Meetings from {long_date(schedule.first_date)} are replaced by:"]
                                     + _describe(schedule) + ["Meetings before that date, and held ones, stay as they are."],
                                     recipients=[i.email for i in series.current_invitees],
                                     warnings=meeting_queries.schedule_holiday_warnings(schedule))
            new = services.split_series(series, schedule, actor=current_user,
                                        expected_revision=form_revision(form.revision.data), notify=notify)
        except services.MeetingError as error:
            _field_error(form, error, "first_date")
            form.revision.data = series.revision
        else:
            db.session.commit()
            flash("The new schedule is set." + (" Updates are on their way." if notify else ""), "success")
            return redirect(url_for("meetings.show_series", ref=family.reference, series_id=new.id))
    return render_template("meetings/schedule_form.html", form=form, family=family, series=series)


@bp.route("/series/<int:series_id>/end", methods=["GET", "POST"])
@family_view(Need.MANAGE, load={"series_id": MeetingSeries}, may=may_see_series)
def end_series(family: Family, series: MeetingSeries):
    form = EndForm()
    if request.method == "GET":
        form.revision.data = series.revision
    if form.validate_on_submit():
        notify = _confirmed()
        if notify is None:
            return _confirm_page(family, heading="End this meeting series?",
                                 summary=["Every future meeting of the series is removed. Held and past meetings stay."],
                                 recipients=[i.email for i in series.current_invitees])
        try:
            services.end_series(series, actor=current_user, expected_revision=form_revision(form.revision.data), notify=notify)
        except services.MeetingError as error:
            flash(str(error), "info")
            return redirect(url_for("meetings.show_series", ref=family.reference, series_id=series.id))
        db.session.commit()
        flash("The series has ended.", "success")
        return redirect(url_for("meetings.show_series", ref=family.reference, series_id=series.id))
    return render_template("meetings/end_form.html", form=form, family=family, series=series)


@bp.route("/series/<int:series_id>/extra", methods=["GET", "POST"])
@family_view(Need.MANAGE, load={"series_id": MeetingSeries}, may=may_see_series)
def add_extra(family: Family, series: MeetingSeries):
    form = ExtraForm()
    if request.method == "GET":
        form.new_time.data = series.start_time.strftime("%H:%M")
        form.duration_minutes.data = series.duration_minutes
        form.revision.data = series.revision
    if form.validate_on_submit():
        notify = _confirmed()
        try:
            if notify is None:
                services.check_extra(series, on=form.new_date.data, at=answered(form.new_time.time),
                                     duration_minutes=answered(form.duration_minutes.data))
                return _confirm_page(family, heading="Add this extra meeting?",
                                     summary=[f"An extra meeting on {form.new_date.data.strftime('%A %-d %B %Y')} at "
                                              f"{form.new_time.data}"],
                                     recipients=[i.email for i in series.current_invitees],
                                     warnings=meeting_queries.holiday_warning(form.new_date.data))
            occurrence = services.add_extra(series, actor=current_user, on=form.new_date.data, at=answered(form.new_time.time),
                                            duration_minutes=answered(form.duration_minutes.data),
                                            location=form.location.data, online_link=form.online_link.data,
                                            expected_revision=form_revision(form.revision.data), notify=notify)
        except services.MeetingError as error:
            _field_error(form, error, "new_date")
            form.revision.data = series.revision
        else:
            db.session.commit()
            flash("Extra meeting added.", "success")
            return redirect(url_for("meetings.show_occurrence", ref=family.reference, occurrence_id=occurrence.id))
    return render_template("meetings/move_form.html", form=form, family=family, series=series, occurrence=None)


@bp.route("/series/<int:series_id>/invitees", methods=["GET", "POST"])
@family_view(Need.MANAGE, load={"series_id": MeetingSeries}, may=may_see_series)
def change_invitees(family: Family, series: MeetingSeries):
    form = InviteesForm()
    people = _network_choices(family)
    network_ids = {m.user_id for m in people}
    form.invitee_ids.choices = choices([(m.user_id, f"{m.user.name}, {m.agency.name if m.agency else 'no agency'}") for m in people])
    conflict = None
    if request.method == "GET":
        _fill_invitees_form(form, series, network_ids)
    if form.validate_on_submit():
        found = _invitees_from(form, family)
        if found is not None:
            chosen, emails = found
            wanted = {p.email for p in chosen} | set(emails)
            current = {i.email for i in series.current_invitees}
            notify = _confirmed()
            if notify is None:
                return _confirm_page(family, heading="Change who is invited?", summary=[],
                                     recipients=sorted(wanted), cancels=sorted(current - wanted))
            users = chosen + [services.user_for_external(e, current_user) for e in emails]
            try:
                services.change_invitees(series, users, actor=current_user,
                                         expected_revision=form_revision(form.revision.data), notify=notify)
            except services.StaleSeries:
                saved = InviteesForm(formdata=None)
                saved.invitee_ids.choices = form.invitee_ids.choices
                _fill_invitees_form(saved, series, network_ids)
                conflict = differences(form, saved)
                form.revision.data = series.revision
            except services.MeetingError as error:
                form.invitee_ids.errors = [str(error)]
                form.revision.data = series.revision
            else:
                db.session.commit()
                flash("Invitations updated.", "success")
                return redirect(url_for("meetings.show_series", ref=family.reference, series_id=series.id))
    return render_template("meetings/invitees_form.html", form=form, family=family, series=series, conflict=conflict,
                           conflict_what="who is invited")


def _fill_invitees_form(form: InviteesForm, series, network_ids: set[int]) -> InviteesForm:
    form.invitee_ids.data = [i.user_id for i in series.current_invitees if i.user_id in network_ids]
    form.external_emails.data = "\n".join(i.email for i in series.current_invitees if i.user_id not in network_ids)
    form.revision.data = series.revision
    return form


# The meeting page reads the series, its invitees (each with their agency) and everyone's answers.
MEETING_PAGE = {"occurrence_id": ("occurrence", Occurrence, (
    joinedload(Occurrence.series).joinedload(MeetingSeries.chair),
    joinedload(Occurrence.series).selectinload(MeetingSeries.invitees).joinedload(Invitee.user),
    selectinload(Occurrence.responses)))}


@bp.get("/meetings/<int:occurrence_id>")
@family_view(Need.ATTEND, load=MEETING_PAGE, may=may_see_meeting)
def show_occurrence(family: Family, occurrence: Occurrence):
    series = occurrence.series
    responses = {r.user_id: r for r in occurrence.responses}
    mine = responses.get(current_user.id)
    invited = any(i.user_id == current_user.id for i in series.current_invitees)
    return render_template("meetings/occurrence.html", family=family, occurrence=occurrence, series=series,
                           responses=responses, mine=mine, invited=invited, now=utcnow(),
                           held=services.is_held(occurrence),
                           can_manage=_can_manage(family), button_form=ButtonForm(),
                           holiday=meeting_queries.holiday_warning(occurrence.starts_at.astimezone(series.zone).date()))


@bp.route("/meetings/<int:occurrence_id>/move", methods=["GET", "POST"])
@family_view(Need.MANAGE, load={"occurrence_id": Occurrence}, may=may_see_meeting)
def move_occurrence(family: Family, occurrence: Occurrence):
    series = occurrence.series
    form = MoveForm()
    conflict, instead = None, False
    if request.method == "GET":
        _fill_move_form(form, occurrence)
    if form.validate_on_submit():
        notify = _confirmed()
        try:
            services.check_move(occurrence, on=form.new_date.data, at=answered(form.new_time.time),
                                duration_minutes=form.duration_minutes.data)
            services.check_move_reason(occurrence, form.reason.data)
            if notify is None:
                return _confirm_page(family, heading="Move this meeting?",
                                     summary=[f"From {occurrence.starts_at.astimezone(series.zone).strftime('%A %-d %B %Y at %H:%M')}"
                                              f" to {form.new_date.data.strftime('%A %-d %B %Y')} at {form.new_time.data}",
                                              "Only this meeting moves; the others stay as they are."]
                                     + ([f"Reason for the move: {form.reason.data.strip()}"] if (form.reason.data or "").strip() else []),
                                     recipients=[i.email for i in series.current_invitees],
                                     warnings=meeting_queries.holiday_warning(form.new_date.data))
            services.move_occurrence(occurrence, actor=current_user, new_date=form.new_date.data,
                                     new_time=answered(form.new_time.time), duration_minutes=form.duration_minutes.data,
                                     location=form.location.data, online_link=form.online_link.data,
                                     reason=form.reason.data, expected_revision=form_revision(form.revision.data),
                                     notify=notify)
        except services.StaleSeries:
            conflict = differences(form, _fill_move_form(MoveForm(formdata=None), occurrence))
            form.revision.data = occurrence.series.revision
        except services.MeetingError as error:
            _field_error(form, error, "new_date")
            form.revision.data = series.revision
            instead = isinstance(error, services.MoveRefused)
        else:
            db.session.commit()
            flash("The meeting has moved." + (" Updates are on their way." if notify else ""), "success")
            return redirect(url_for("meetings.show_occurrence", ref=family.reference, occurrence_id=occurrence.id))
    return _move_page(form, family, occurrence, conflict=conflict, instead=instead)


def _move_page(form: MoveForm, family: Family, occurrence: Occurrence, *, conflict=None, instead: bool = False):
    """The move form; ``instead``: with the one-step alternative to a move calendars cannot take (cancel this
    meeting and add an extra meeting at the new time), which posts the same form to replace_with_extra."""
    return render_template("meetings/move_form.html", form=form, family=family, series=occurrence.series,
                           occurrence=occurrence, conflict=conflict, conflict_what="this meeting", instead=instead,
                           recipients=sorted({i.email for i in occurrence.series.current_invitees}),
                           form_action=url_for("meetings.move_occurrence", ref=family.reference,
                                               occurrence_id=occurrence.id))


@bp.post("/meetings/<int:occurrence_id>/replace-with-extra")
@family_view(Need.MANAGE, load={"occurrence_id": Occurrence}, may=may_see_meeting)
def replace_with_extra(family: Family, occurrence: Occurrence):
    """One step: this meeting cancelled and an extra meeting added at the time typed on the move form."""
    form, conflict = MoveForm(), None
    if form.validate_on_submit():
        notify = _confirmed() is not False
        try:
            extra = services.replace_with_extra(
                occurrence, actor=current_user, new_date=form.new_date.data, new_time=answered(form.new_time.time),
                duration_minutes=form.duration_minutes.data, location=form.location.data,
                online_link=form.online_link.data, reason=form.reason.data,
                expected_revision=form_revision(form.revision.data), notify=notify)
        except services.StaleSeries:
            conflict = differences(form, _fill_move_form(MoveForm(formdata=None), occurrence))
            form.revision.data = occurrence.series.revision
        except services.MeetingError as error:
            _field_error(form, error, "new_date")
            form.revision.data = occurrence.series.revision
        else:
            db.session.commit()
            when = extra.starts_at.astimezone(extra.series.zone).strftime("%A %-d %B %Y at %H:%M")
            flash(f"The meeting is cancelled and an extra meeting added on {when}."
                  + (" Updates are on their way." if notify else ""), "success")
            return redirect(url_for("meetings.show_occurrence", ref=family.reference, occurrence_id=extra.id))
    return _move_page(form, family, occurrence, conflict=conflict, instead=True)


def _fill_move_form(form: MoveForm, occurrence) -> MoveForm:
    local = occurrence.starts_at.astimezone(occurrence.series.zone)
    form.new_date.data = local.date()
    form.new_time.data = local.strftime("%H:%M")
    form.duration_minutes.data = int((occurrence.ends_at - occurrence.starts_at).total_seconds() // 60)
    form.location.data = occurrence.location
    form.online_link.data = occurrence.online_link
    form.reason.data = occurrence.move_reason
    form.revision.data = occurrence.series.revision
    return form


@bp.route("/meetings/<int:occurrence_id>/cancel", methods=["GET", "POST"])
@family_view(Need.MANAGE, load={"occurrence_id": Occurrence}, may=may_see_meeting)
def cancel_occurrence(family: Family, occurrence: Occurrence):
    series = occurrence.series
    form = CancelForm()
    if request.method == "GET":
        form.revision.data = series.revision
    if form.validate_on_submit():
        notify = _confirmed()
        try:
            services._require_changeable(occurrence)
            if notify is None:
                return _confirm_page(family, heading="Cancel this meeting?",
                                     summary=[f"The meeting on {occurrence.starts_at.astimezone(series.zone).strftime('%A %-d %B %Y at %H:%M')}"
                                              " is cancelled. The others go ahead."],
                                     recipients=[i.email for i in series.current_invitees])
            services.cancel_occurrence(occurrence, actor=current_user, reason=form.reason.data,
                                       expected_revision=form_revision(form.revision.data), notify=notify)
        except services.MeetingError as error:
            form.reason.errors = list(form.reason.errors) + [str(error)]
            form.revision.data = series.revision
        else:
            db.session.commit()
            flash("The meeting is cancelled.", "success")
            return redirect(url_for("meetings.show_series", ref=family.reference, series_id=series.id))
    return render_template("meetings/cancel_form.html", form=form, family=family, series=series, occurrence=occurrence)


@bp.post("/meetings/<int:occurrence_id>/held")
@family_view(Need.MANAGE, load={"occurrence_id": Occurrence}, may=may_see_meeting)
def mark_held(family: Family, occurrence: Occurrence):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.mark_held(occurrence, actor=current_user)
    except services.MeetingError as error:
        flash(str(error), "info")
    else:
        db.session.commit()
        flash("Recorded as held.", "success")
    return redirect(url_for("meetings.show_occurrence", ref=family.reference, occurrence_id=occurrence.id))


@bp.route("/meetings/<int:occurrence_id>/respond", methods=["GET", "POST"])
@family_view(Need.ATTEND, load={"occurrence_id": Occurrence}, may=(may_see_meeting, may_answer_meeting))
def respond(family: Family, occurrence: Occurrence):
    mine = db.session.scalar(select(InvitationResponse).where(InvitationResponse.occurrence_id == occurrence.id,
                                                              InvitationResponse.user_id == current_user.id))
    form = ResponseForm(obj=mine)
    if request.method == "GET" and mine:
        form.response.data = mine.response.name
    if form.validate_on_submit():
        try:
            services.respond(occurrence, current_user, Response[form.response.data], reason=form.reason.data,
                             deputy_name=form.deputy_name.data, deputy_email=form.deputy_email.data)
        except services.MeetingError as error:
            db.session.rollback()
            field = getattr(form, error.field or "response", form.response)
            field.errors = [str(error)]
        else:
            db.session.commit()
            flash("Your answer is saved.", "success")
            return redirect(url_for("meetings.show_occurrence", ref=family.reference, occurrence_id=occurrence.id))
    return render_template("meetings/respond.html", form=form, family=family, occurrence=occurrence,
                           series=occurrence.series)
