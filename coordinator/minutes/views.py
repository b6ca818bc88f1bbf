"""Minutes pages: the editor, approval and publishing, published versions, corrections, the action log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.main import wtforms_errors
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from coordinator import pdf as pdf_documents
from coordinator.audit import services as audit
from coordinator.auth.models import User
from coordinator.extensions import commit_keeping_loaded, db
from coordinator.families import services as family_services
from coordinator.families.access import Need, family_view, is_lead
from coordinator.families.models import Family, NetworkRole
from coordinator.forms import ButtonForm, choices, differences, form_revision
from coordinator.meetings.models import Invitee, MeetingSeries, Occurrence
from coordinator.minutes import actions as minutes_actions
from coordinator.minutes import outcomes as minutes_outcomes
from coordinator.minutes import services
from coordinator.minutes.forms import (
    ActionForm,
    ActionStatusForm,
    ClosureForm,
    CorrectionForm,
    DecideCorrectionForm,
    GoalForm,
    NoteForm,
    build_minutes_form,
    build_review_form,
    build_scores_form,
)
from coordinator.minutes.models import (
    Acknowledgement,
    Action,
    ActionDecision,
    ActionStatus,
    CorrectionRequest,
    DecisionsSummary,
    MinutesStatus,
    MinutesVersion,
)
from coordinator.minutes.policy import (
    may_answer_minutes,
    may_approve_action_closure,
    may_decide_correction,
    may_edit_minutes,
    may_make_family_copy,
    may_read_minutes,
    may_update_action,
)
from coordinator.timeutil import long_date

# The meeting a route names.
OCCURRENCE = {"occurrence_id": ("occurrence", Occurrence, (joinedload(Occurrence.series),))}

bp = Blueprint("minutes", __name__, url_prefix="/families/<ref>")





def _editor_context(family: Family, occurrence: Occurrence):
    from coordinator.agencies.models import Agency

    series = occurrence.series
    invitees = series.current_invitees
    agency_ids = sorted({i.user.agency_id for i in invitees if i.user.agency_id})
    agencies = [db.session.get(Agency, a) for a in agency_ids]
    on = family_services.today()
    members = [m for m in family.members if m.left_on is None or m.left_on > on]
    return invitees, agencies, list(family.children), members


@bp.get("/minutes")
@family_view(Need.READ)
def family_minutes(family: Family):
    from coordinator.meetings.models import MeetingSeries, OccurrenceStatus
    from coordinator.minutes.models import Minutes

    rows = db.session.execute(
        select(Occurrence, Minutes).join(MeetingSeries).outerjoin(Minutes, Minutes.occurrence_id == Occurrence.id)
        .where(MeetingSeries.family_id == family.id, Occurrence.status != OccurrenceStatus.CANCELLED,
               Occurrence.starts_at <= services.utcnow())
        .order_by(Occurrence.starts_at.desc())).all()
    levels = {occ.id: minutes_outcomes.service_levels(occ, minutes) for occ, minutes in rows}
    return render_template("minutes/family_minutes.html", family=family, rows=rows, levels=levels,
                           may_edit=lambda occ: services.may_edit(occ, current_user))


@bp.route("/minutes/<int:occurrence_id>/edit", methods=["GET", "POST"])
@family_view(Need.READ, load=OCCURRENCE, may=may_edit_minutes)
def edit(family: Family, occurrence: Occurrence):
    """The editor is one form: every button on it (adding an action or a goal, scores, the review, sending,
    approving, publishing) saves the minutes text first, so nothing typed is lost whichever is pressed."""
    minutes = services.minutes_for(occurrence)
    if minutes is None:
        try:
            minutes = services.start_minutes(occurrence, current_user)
        except services.MinutesError as error:
            flash(f"{error}.", "info")
            return redirect(url_for("meetings.show_occurrence", ref=family.reference, occurrence_id=occurrence.id))
        db.session.commit()
    if minutes.status is MinutesStatus.PUBLISHED:
        if request.method == "GET":
            return _to_published(family, occurrence, minutes)
        return _Editor(family, occurrence, minutes).published_meanwhile()
    editor = _Editor(family, occurrence, minutes)
    if request.method == "GET" or not editor.form.validate_on_submit():
        return editor.render()  # on a POST: GOV.UK errors on the fields, nothing saved, everything typed re-shown
    return editor.press(request.form.get("intent", "save"))


class _Editor:
    """The editor page: the minutes form and the sub-forms that share its one <form>."""

    def __init__(self, family: Family, occurrence: Occurrence, minutes):
        self.family, self.occurrence, self.minutes = family, occurrence, minutes
        self.invitees, self.agencies, self.children, self.members = _editor_context(family, occurrence)
        posted = request.method == "POST"
        build = dict(invitees=self.invitees, agencies=self.agencies, children=self.children, members=self.members)
        if posted:
            self.form = build_minutes_form(**build)
        else:
            self.form = build_minutes_form(data=minutes.fields, **build)
            self.form.revision.data = minutes.revision
        sub = {} if posted else {"formdata": None}
        # One CSRF token protects the whole form: the sub-forms do not carry their own.
        self.action_form = _action_form(family, meta={"csrf": False}, **sub)
        self.goal_form = GoalForm(prefix="goal", meta={"csrf": False}, **sub)
        self.goal_form.child_id.choices = [("", "The whole family")] + [
            (str(child.id), child.display_name) for child in family.children]
        self.note_form = NoteForm(prefix="change", meta={"csrf": False}, **sub)
        self.previous_actions = minutes_actions.open_actions_before(occurrence)
        self.goals = minutes_actions.goals_of(family)
        self.review_form = build_review_form(self.previous_actions, owners=_owner_choices(family), **sub)
        if not posted:  # each action as this meeting last reviewed it
            for action in self.previous_actions:
                _show_review(self.review_form, action, occurrence)
        self.scores_form = build_scores_form(self.goals, **sub)
        self.posted = request.form if posted else None
        self.conflict: list | None = None
        self.step_errors: list[dict] = []

    def press(self, intent: str):
        """Save the text, commit it, then do what the button asked for (EDITOR_STEPS) in a transaction of
        its own: a step that fails leaves the text saved and the page showing why."""
        family, occurrence, minutes = self.family, self.occurrence, self.minutes
        mine = {k: v for k, v in self.form.data.items() if k not in ("csrf_token", "revision")}
        for choice in request.form.getlist("keep_saved"):  # after a conflict: where they chose the saved text
            mine[choice] = minutes.fields.get(choice)
        try:
            changed = services.save(minutes, mine, actor=current_user,
                                    expected_revision=form_revision(self.form.revision.data))
        except services.StaleMinutes as stale:
            self.show_conflict(mine, stale.saved)
            return self.render()
        except services.MinutesError:  # published meanwhile
            db.session.rollback()
            return self.published_meanwhile()
        db.session.commit()
        self.form.revision.data = minutes.revision
        step = EDITOR_STEPS.get(intent)
        if step is None:
            flash("Minutes saved." if changed else "Minutes saved: nothing had changed.", "success")
            return _back_to_editor(family, occurrence)
        return self.run(intent, step, mine)

    def run(self, intent: str, step, mine: dict):
        try:
            message = step(self)
        except services.StaleMinutes as stale:
            db.session.rollback()
            self.show_conflict(mine, stale.saved)
            return self.render()
        except services.MinutesError as error:
            db.session.rollback()
            if intent == "publish" and _published_meanwhile(self.occurrence):
                flash("These minutes are already published", "info")  # a double click: the other one published
                return _to_published(self.family, self.occurrence, services.minutes_for(self.occurrence))
            self.step_error(error, intent)
            return self.render()
        if message is None:  # the step's own form has errors: shown beside it, the text already saved
            db.session.rollback()
            return self.render()
        db.session.commit()
        flash(message, "success")
        if intent == "publish":
            return _to_published(self.family, self.occurrence, self.minutes)
        return _back_to_editor(self.family, self.occurrence, EDITOR_ANCHORS.get(intent, ""))

    def published_meanwhile(self):
        """A save that came after publication: published minutes do not change, so what was typed is shown
        beside what was published, to copy into a correction request. Nothing typed is lost from sight."""
        db.session.refresh(self.minutes)
        published = build_minutes_form(data=self.minutes.fields, formdata=None, invitees=self.invitees,
                                       agencies=self.agencies, children=self.children, members=self.members)
        typed = differences(self.form, published)
        if not typed:  # a double click on Publish, say: nothing of theirs is missing from what was published
            flash("These minutes are already published", "info")
            return _to_published(self.family, self.occurrence, self.minutes)
        return render_template("minutes/published_meanwhile.html", family=self.family, occurrence=self.occurrence,
                               version=self.minutes.latest_version, conflict=typed), 409

    def show_conflict(self, mine: dict, saved: dict) -> None:
        differing = services.section_differences(mine, saved)
        self.conflict = [(key, self.form[key].label.text if key in self.form else key, saved.get(key), mine.get(key))
                         for key in differing if key in self.form]
        self.form.revision.data = self.minutes.revision  # they have been shown the difference: the next save decides

    def step_error(self, error: services.MinutesError, intent: str) -> None:
        form = {"add_action": self.action_form, "add_goal": self.goal_form, "ask": self.note_form}.get(intent)
        field = getattr(form, error.field, None) if form is not None and error.field else None
        if field is not None:
            field.errors = list(field.errors) + [str(error)]
        else:
            self.step_errors.append({"text": str(error), "href": "#" + EDITOR_ANCHORS.get(intent, "minutes-form")})

    def render(self):
        occurrence, minutes = self.occurrence, self.minutes
        errors = list(self.step_errors)
        for form in (self.form, self.action_form, self.goal_form, self.note_form, self.review_form, self.scores_form):
            errors += wtforms_errors(form)["errorList"] if form.errors else []
        return render_template(
            "minutes/edit.html", family=self.family, occurrence=occurrence, series=occurrence.series,
            minutes=minutes, form=self.form, invitees=self.invitees, agencies=self.agencies, children=self.children,
            children_by_id={child.id: child for child in self.children}, members=self.members, conflict=self.conflict, page_errors=errors, posted=self.posted,
            previous_actions=self.previous_actions, review_form=self.review_form, scores_form=self.scores_form,
            agreed_actions=db.session.scalars(select(Action).where(Action.agreed_at_id == occurrence.id)).all(),
            goals=self.goals, action_form=self.action_form, goal_form=self.goal_form,
            note_form=self.note_form, may_approve=services.may_approve(occurrence, current_user),
            levels=minutes_outcomes.service_levels(occurrence, minutes), statuses=list(ActionStatus))


def _step_add_action(editor: _Editor) -> str | None:
    form = editor.action_form
    if not form.validate():
        return None
    owner = db.session.get(User, form.owner_id.data) if form.owner_id.data else None
    if owner is not None and owner.id not in {m.user_id for m in family_services.current_network(editor.family)}:
        raise services.MinutesError("Choose the owner from the family's network", "owner_id")
    minutes_actions.add_action(editor.occurrence, actor=current_user, description=form.description.data, owner=owner,
                        due=form.due_date.data, intended_outcome=form.intended_outcome.data)
    return "Action added, and the minutes saved."


def _step_add_goal(editor: _Editor) -> str | None:
    form = editor.goal_form
    if not form.validate():
        return None
    children = {str(child.id): child.id for child in editor.family.children}
    if form.child_id.data and form.child_id.data not in children:
        form.child_id.errors = list(form.child_id.errors) + ["Choose one of the family's children, or the whole family"]
        return None
    goal = minutes_actions.add_goal(editor.occurrence, actor=current_user, description=form.description.data)
    goal.child_id = children.get(form.child_id.data or "")  # each child's own goal
    if form.score.data is not None:
        minutes_actions.score_goal(goal, editor.occurrence, actor=current_user, score=form.score.data)
    return "Goal added, and the minutes saved."


def _step_scores(editor: _Editor) -> str | None:
    goals = minutes_actions.goals_of(editor.family)
    if not editor.scores_form.validate():
        return None
    scored = 0
    for goal in goals:
        score = editor.scores_form[f"score-{goal.id}"].data
        if score is not None:
            minutes_actions.score_goal(goal, editor.occurrence, actor=current_user, score=score,
                                expected_revision=form_revision(editor.scores_form[f"score-{goal.id}-revision"].data))
            scored += 1
    return f"Scores saved ({scored}), and the minutes saved."


def _step_review(editor: _Editor) -> str | None:
    form, occurrence, changed = editor.review_form, editor.occurrence, 0
    if not form.validate():
        return None
    network = {m.user_id for m in family_services.current_network(editor.family)}
    for action in editor.previous_actions:
        status, comment = form[f"review-{action.id}"].data, (form[f"review-{action.id}-comment"].data or "").strip()
        decision = form[f"review-{action.id}-decision"].data or None
        due, owner_id = form[f"review-{action.id}-due"].data, form[f"review-{action.id}-owner"].data
        if not status or _already_reviewed(action, occurrence, status, comment, decision, due, owner_id):
            continue  # a review is recorded once per meeting, and again only if something changes
        owner = db.session.get(User, owner_id) if owner_id and owner_id in network else None
        try:
            minutes_actions.update_action(
                action, actor=current_user, status=ActionStatus[status], comment=comment, reviewed_at=occurrence,
                expected_revision=form_revision(form[f"review-{action.id}-revision"].data),
                decision=decision if status == "NOT_DONE" else None, new_due=due, new_owner=owner)
        except minutes_actions.StaleAction:
            raise
        except services.MinutesError as error:
            field = {"decision": "decision", "comment": "comment", "new_due": "due", "new_owner": "owner"}.get(
                error.field or "", "decision")
            form[f"review-{action.id}-{field}"].errors = [f"{action.description[:60]}: {error}"]
            return None
        changed += 1
    return f"Review of {changed} action(s) saved, and the minutes saved."


def _already_reviewed(action: Action, occurrence: Occurrence, status: str, comment: str, decision, due,
                      owner_id) -> bool:
    last = next((h for h in reversed(action.history) if h.reviewed_at_id == occurrence.id), None)
    if last is None or last.status.name != status or (last.comment or "") != comment:
        return False
    if status != "NOT_DONE":
        return True
    if last.decision == ActionDecision.CARRIED:
        return decision == last.decision and due == last.due_date and owner_id == last.owner_id
    return decision == last.decision


def _show_review(form, action: Action, occurrence: Occurrence) -> None:
    """The review form as this meeting last left the action (a carried action shows where it was carried)."""
    last = next((h for h in reversed(action.history) if h.reviewed_at_id == occurrence.id), None)
    form[f"review-{action.id}"].data = last.status.name if last else action.status.name
    form[f"review-{action.id}-comment"].data = (last.comment if last else action.evidence) or ""
    if last is not None and last.status is ActionStatus.NOT_DONE:
        form[f"review-{action.id}-decision"].data = last.decision
        form[f"review-{action.id}-due"].data = last.due_date
        form[f"review-{action.id}-owner"].data = last.owner_id or 0


def _owner_choices(family: Family) -> list[tuple[int, str]]:
    people = [m for m in family_services.current_network(family) if m.role is not NetworkRole.GUEST]
    return [(m.user_id, f"{m.user.name}, {m.agency.name if m.agency else 'no agency'}") for m in people]


def _step_send(editor: _Editor) -> str:
    services.send_for_approval(editor.minutes, actor=current_user, expected_revision=editor.minutes.revision)
    return "Minutes saved and sent to the chair for approval."


def _step_approve(editor: _Editor) -> str:
    services.approve(editor.minutes, actor=current_user, expected_revision=editor.minutes.revision)
    return "Approved. Publish them when ready."


def _step_publish(editor: _Editor) -> str:
    version = services.publish(editor.minutes, actor=current_user, expected_revision=editor.minutes.revision)
    return f"Version {version.number} published. Everyone on the distribution list has been emailed a link."


def _step_ask(editor: _Editor) -> str | None:
    if not editor.note_form.validate():
        return None
    services.ask_for_change(editor.minutes, actor=current_user, note=editor.note_form.note.data,
                            expected_revision=editor.minutes.revision)
    return "The minute-taker has been asked for the change."


def _step_decisions(editor: _Editor) -> str:
    try:
        services.send_decisions_summary(editor.minutes, actor=current_user, expected_revision=editor.minutes.revision)
    except IntegrityError:
        raise services.MinutesError("The decisions summary has already been sent") from None  # a double click
    return "The minutes are saved and the decisions summary has been sent to the attendees."


EDITOR_STEPS = {"add_action": _step_add_action, "add_goal": _step_add_goal, "scores": _step_scores,
                "review": _step_review, "send": _step_send, "approve": _step_approve, "publish": _step_publish,
                "ask": _step_ask, "decisions": _step_decisions}
EDITOR_ANCHORS = {"add_action": "agreed-actions", "add_goal": "goals", "scores": "goals", "review": "review",
                  "send": "workflow", "approve": "workflow", "ask": "workflow", "decisions": "workflow"}


def _action_form(family: Family, **kwargs) -> ActionForm:
    form = ActionForm(prefix="action", **kwargs)
    form.owner_id.choices = choices([(0, "Choose the owner")] + _owner_choices(family))
    return form


def _back_to_editor(family, occurrence, anchor: str = ""):
    return redirect(url_for("minutes.edit", ref=family.reference, occurrence_id=occurrence.id)
                    + (f"#{anchor}" if anchor else ""))


def _to_published(family, occurrence, minutes):
    return redirect(url_for("minutes.show_version", ref=family.reference, occurrence_id=occurrence.id,
                            number=minutes.latest_version.number))


def _published_meanwhile(occurrence: Occurrence) -> bool:
    minutes = services.minutes_for(occurrence)
    return minutes is not None and bool(minutes.versions)


@bp.get("/minutes/<int:occurrence_id>/decisions")
@family_view(Need.ATTEND, load=OCCURRENCE, may=may_read_minutes)
def decisions(family: Family, occurrence: Occurrence):
    minutes = services.minutes_for(occurrence)
    summary = db.session.scalar(select(DecisionsSummary).where(DecisionsSummary.minutes_id == minutes.id)) if minutes else None
    if summary is None:
        abort(404)
    return render_template("minutes/decisions.html", family=family, occurrence=occurrence, summary=summary)


def _version(family: Family, occurrence: Occurrence, number: int) -> MinutesVersion:
    minutes = services.minutes_for(occurrence, with_versions=True)
    version = next((v for v in (minutes.versions if minutes else []) if v.number == number), None)
    if version is None:
        abort(404)
    return version


# A published version's page reads the series' invitees (who may read it, who it went to) with each person.
MINUTES_PAGE = {"occurrence_id": ("occurrence", Occurrence, (
    joinedload(Occurrence.series).selectinload(MeetingSeries.invitees).joinedload(Invitee.user),))}


@bp.get("/minutes/<int:occurrence_id>/v<int:number>")
@family_view(Need.ATTEND, load=MINUTES_PAGE, may=may_read_minutes)
def show_version(family: Family, occurrence: Occurrence, number: int):
    version = _version(family, occurrence, number)
    acks = {a.user_id: a for a in db.session.scalars(select(Acknowledgement).where(Acknowledgement.version_id == version.id))}
    previous = next((v for v in version.minutes.versions if v.number == number - 1), None)
    corrections = db.session.scalars(select(CorrectionRequest).where(CorrectionRequest.version_id == version.id)
                                     .order_by(CorrectionRequest.id)).all()
    distribution = services.distribution(occurrence)
    audit.record("minutes_viewed", object_type="minutes_version", object_id=version.id, family_id=family.id)
    commit_keeping_loaded()
    return render_template(
        "minutes/version.html", family=family, occurrence=occurrence, version=version, data=version.fields,
        acks=acks, distribution=distribution, acknowledged=current_user.id in acks,
        may_answer=any(person.id == current_user.id for person in distribution),
        is_chair=services.may_approve(occurrence, current_user) or is_lead(family, current_user),
        may_decide=services.may_approve(occurrence, current_user),
        previous=previous, difference=services.difference(previous, version) if previous else None,
        corrections=corrections, correction_until=services.correction_deadline(version), form=ButtonForm(),
        today=family_services.today(), sections=services.SECTIONS)


@bp.get("/minutes/<int:occurrence_id>/v<int:number>/print")
@family_view(Need.ATTEND, load=OCCURRENCE, may=may_read_minutes)
def print_version(family: Family, occurrence: Occurrence, number: int):
    version = _version(family, occurrence, number)
    audit.record("minutes_printed", object_type="minutes_version", object_id=version.id, family_id=family.id)
    db.session.commit()
    return render_template("minutes/print.html", family=family, occurrence=occurrence, version=version,
                           data=version.fields, family_copy=False, sections=services.SECTIONS)


@bp.get("/minutes/<int:occurrence_id>/v<int:number>/family-copy")
@family_view(Need.READ, load=OCCURRENCE, may=may_make_family_copy)
def family_copy(family: Family, occurrence: Occurrence, number: int):
    version = _version(family, occurrence, number)
    audit.record("minutes_family_copy", object_type="minutes_version", object_id=version.id, family_id=family.id)
    db.session.commit()
    return render_template("minutes/print.html", family=family, occurrence=occurrence, version=version,
                           data=services.family_copy(version), family_copy=True, sections=services.SECTIONS)


@bp.get("/minutes/<int:occurrence_id>/v<int:number>/minutes.pdf")
@family_view(Need.ATTEND, load=OCCURRENCE, may=may_read_minutes)
def version_pdf(family: Family, occurrence: Occurrence, number: int):
    """The minutes as a PDF for the reader's own case record: the same rule as the page; audited."""
    version = _version(family, occurrence, number)
    pdf = _minutes_pdf(family, occurrence, version, version.fields, family_copy=False)
    audit.record("minutes_pdf_downloaded", object_type="minutes_version", object_id=version.id, family_id=family.id,
                 detail=f"version {version.number}")
    db.session.commit()
    return pdf_documents.download(pdf, f"minutes-{family.reference}-{occurrence.day.isoformat()}-v{version.number}.pdf")


@bp.get("/minutes/<int:occurrence_id>/v<int:number>/family-copy.pdf")
@family_view(Need.READ, load=OCCURRENCE, may=may_make_family_copy)
def family_copy_pdf(family: Family, occurrence: Occurrence, number: int):
    """The family's copy as a PDF: what is not for the family is left out, as on the page; audited."""
    version = _version(family, occurrence, number)
    pdf = _minutes_pdf(family, occurrence, version, services.family_copy(version), family_copy=True)
    audit.record("minutes_family_copy_pdf_downloaded", object_type="minutes_version", object_id=version.id,
                 family_id=family.id, detail=f"version {version.number}")
    db.session.commit()
    return pdf_documents.download(
        pdf, f"minutes-family-copy-{family.reference}-{occurrence.day.isoformat()}-v{version.number}.pdf")


def _minutes_pdf(family: Family, occurrence: Occurrence, version: MinutesVersion, data: dict, *,
                 family_copy: bool) -> bytes:
    meeting = f"{occurrence.series.meeting_type.label}, {long_date(occurrence.day)}"
    title = (f"Copy for the family: minutes of the {meeting}, version {version.number}" if family_copy
             else f"Minutes of the {meeting}, version {version.number}, family {family.reference}")
    return pdf_documents.render(title=title, recipient=current_user, body_template="pdf/minutes.html",
                                data=data, family_copy=family_copy, version=version, family=family,
                                sections=services.SECTIONS)


@bp.post("/minutes/<int:occurrence_id>/v<int:number>/acknowledge")
@family_view(Need.ATTEND, load=OCCURRENCE, may=(may_read_minutes, may_answer_minutes))
def acknowledge(family: Family, occurrence: Occurrence, number: int):
    version = _version(family, occurrence, number)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.acknowledge(version, current_user)
    db.session.commit()
    flash("Thank you: your acknowledgement is recorded.", "success")
    return redirect(url_for("minutes.show_version", ref=family.reference, occurrence_id=occurrence.id, number=number))


@bp.route("/minutes/<int:occurrence_id>/v<int:number>/correction", methods=["GET", "POST"])
@family_view(Need.ATTEND, load=OCCURRENCE, may=(may_read_minutes, may_answer_minutes))
def request_correction(family: Family, occurrence: Occurrence, number: int):
    version = _version(family, occurrence, number)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            services.request_correction(version, current_user, section=form.section.data, text=form.text.data)
        except services.MinutesError as error:
            getattr(form, error.field or "text").errors = [str(error)]
        else:
            db.session.commit()
            flash("Your request has gone to the chair.", "success")
            return redirect(url_for("minutes.show_version", ref=family.reference, occurrence_id=occurrence.id,
                                    number=number))
    return render_template("minutes/correction_form.html", family=family, occurrence=occurrence, version=version,
                           form=form, until=services.correction_deadline(version))


@bp.route("/minutes/corrections/<int:correction_id>", methods=["GET", "POST"])
@family_view(Need.READ, load={"correction_id": CorrectionRequest}, may=may_decide_correction)
def decide_correction(family: Family, correction: CorrectionRequest):
    occurrence = correction.version.minutes.occurrence
    form = DecideCorrectionForm()
    current_text = correction.version.fields["sections"].get(correction.section, "")
    if request.method == "GET":
        form.new_text.data = current_text
    if form.validate_on_submit():
        try:
            version = services.decide_correction(correction, actor=current_user, accept=form.decision.data == "accept",
                                                 new_text=form.new_text.data, note=form.note.data)
        except services.MinutesError as error:
            getattr(form, error.field or "decision").errors = [str(error)]
        else:
            db.session.commit()
            if version:
                flash(f"Version {version.number} published; version {version.number - 1} is superseded.", "success")
                return redirect(url_for("minutes.show_version", ref=family.reference, occurrence_id=occurrence.id,
                                        number=version.number))
            flash("Correction declined.", "success")
            return redirect(url_for("minutes.show_version", ref=family.reference, occurrence_id=occurrence.id,
                                    number=correction.version.number))
    return render_template("minutes/decide_correction.html", family=family, occurrence=occurrence, form=form,
                           correction=correction, current_text=current_text, sections=services.SECTIONS)


# --- the action log -----------------------------------------------------------------------------------

@bp.get("/actions")
@family_view(Need.READ)
def action_log(family: Family):
    return render_template("minutes/actions.html", family=family, actions=minutes_actions.actions_of(family),
                           today=family_services.today())


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"], endpoint="action")
@family_view(Need.READ, load={"action_id": Action}, may_change=may_update_action)
def action_page(family: Family, action: Action):
    """An action: anyone in the family's network reads it; its owner and the lead professional update it.
    "Not done" needs a decision: carried forward, or closed once the chair approves."""
    form = ActionStatusForm()
    form.new_owner.choices = choices([(0, "Choose the owner")] + _owner_choices(family))
    conflict = None
    if request.method == "GET":
        form.status.data = action.status.name
        form.revision.data = action.revision
    if request.method == "POST" and form.validate_on_submit():
        network = {m.user_id for m in family_services.current_network(family)}
        owner = db.session.get(User, form.new_owner.data) if form.new_owner.data in network else None
        try:
            minutes_actions.update_action(action, actor=current_user, status=ActionStatus[form.status.data],
                                          comment=form.comment.data, expected_revision=form_revision(form.revision.data),
                                          decision=form.decision.data or None, new_due=form.new_due.data,
                                          new_owner=owner)
        except minutes_actions.StaleAction:
            db.session.rollback()
            saved = ActionStatusForm(formdata=None)
            saved.status.data, saved.comment.data = action.status.name, action.evidence
            conflict = differences(form, saved)
            form.revision.data = action.revision
        except services.MinutesError as error:
            db.session.rollback()
            form[error.field if error.field and error.field in form else "decision"].errors = [str(error)]
        else:
            db.session.commit()
            flash("Action updated." if not action.closure_awaiting_approval
                  else "Action updated: it stays open until the chair approves closing it.", "success")
            return redirect(url_for("minutes.action", ref=family.reference, action_id=action.id))
    return render_template("minutes/action.html", family=family, action=action, form=form,
                           may_update=may_update_action(current_user, family, action),
                           may_approve_closure=minutes_actions.may_approve_closure(action, current_user),
                           page_errors=wtforms_errors(form)["errorList"] if form.errors else [],
                           today=family_services.today(), conflict=conflict, conflict_what="this action")


@bp.route("/actions/<int:action_id>/closure", methods=["GET", "POST"])
@family_view(Need.READ, load={"action_id": Action}, may=may_approve_action_closure)
def action_closure(family: Family, action: Action):
    """The chair approves closing an action as not done, or keeps it open and owned."""
    if not action.closure_awaiting_approval:
        flash("This action is not waiting for your approval.", "info")
        return redirect(url_for("minutes.action", ref=family.reference, action_id=action.id))
    form = ClosureForm()
    if request.method == "GET":
        form.revision.data = action.revision
    if form.validate_on_submit():
        try:
            minutes_actions.decide_closure(action, actor=current_user, approve=form.decision.data == "approve",
                                           note=form.note.data, expected_revision=form_revision(form.revision.data))
        except services.MinutesError as error:
            db.session.rollback()
            form.decision.errors = [str(error)]
        else:
            db.session.commit()
            flash("The action is closed." if form.decision.data == "approve"
                  else "The action stays open, with its owner.", "success")
            return redirect(url_for("minutes.action", ref=family.reference, action_id=action.id))
    return render_template("minutes/action_closure.html", family=family, action=action, form=form,
                           page_errors=wtforms_errors(form)["errorList"] if form.errors else [])
