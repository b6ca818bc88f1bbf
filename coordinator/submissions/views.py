"""The agency update form, the pre-meeting pack, and the lead professional's household proposals."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from coordinator import pdf as pdf_documents
from coordinator.audit import services as audit
from coordinator.extensions import commit_keeping_loaded, db
from coordinator.families import services as family_services
from coordinator.families.access import Need, family_view, is_lead
from coordinator.families.models import Family, HouseholdMember
from coordinator.forms import ButtonForm, choices, differences, form_revision, shown_value
from coordinator.hooks import answers
from coordinator.meetings.models import Occurrence
from coordinator.submissions import pack as pack_builder
from coordinator.submissions import services
from coordinator.submissions.document import APPOINTMENT_OUTCOMES, UpdateDocument
from coordinator.submissions.forms import (
    APPOINTMENT_SLOTS,
    NEW_PERSON_SLOTS,
    SECTIONS,
    STEP_BY_SLUG,
    Step,
    build_update_form,
    check_complete,
    check_dates_not_future,
    check_new_people,
    date_fields,
    form_to_data,
    new_person_slots_used,
    only_step,
    step_of,
    steps_for,
)
from coordinator.submissions.models import (
    HouseholdProposal,
    Submission,
    SubmissionRequest,
    SubmissionStatus,
)
from coordinator.submissions.policy import (
    may_allow_several,
    may_allow_several_for,
    may_read_update,
    may_see_pack,
    may_write_update,
)
from coordinator.submissions.signals import open_actions_for_agency
from coordinator.timeutil import long_date

# The update request a route names, passed to the view as ``update_request`` (not to hide flask's ``request``).
REQUEST = {"request_id": ("update_request", SubmissionRequest)}

bp = Blueprint("submissions", __name__, url_prefix="/families/<ref>")



def _people(family: Family):
    on = family_services.today()
    members = [m for m in family.members if m.left_on is None or m.left_on > on]
    men = [m for m in members if family_services.is_man_or_father(m)]
    return members, men, list(family.children)


def _open_actions(family: Family, agency_id: int) -> list:
    """The agency's open actions, from the area that keeps them (minutes), asked through a signal."""
    return [action for answer in answers(open_actions_for_agency, family, agency_id=agency_id) for action in answer]


def _values_from(data: dict, form_class_probe) -> dict:
    dates = date_fields(form_class_probe)
    from datetime import date

    return {k: (date.fromisoformat(v) if k in dates and isinstance(v, str) and v else v)
            for k, v in data.items() if not k.startswith("__")}



# The update form asks about each child and each person in the household, for one meeting.
UPDATE_FORM = {"request_id": ("update_request", SubmissionRequest,
                              (joinedload(SubmissionRequest.occurrence).joinedload(Occurrence.series),))}
PEOPLE = (joinedload(Family.children), selectinload(Family.members).joinedload(HouseholdMember.relationships))


@bp.get("/updates/<int:request_id>")
@family_view(Need.ATTEND, load=UPDATE_FORM, may=may_write_update, family_loads=PEOPLE)
def update_form(family: Family, update_request: SubmissionRequest):
    """The update's task list: each step with how far it has got, one click from any of them."""
    page = _UpdatePage(family, update_request)
    form = page.whole()
    missing = page.missing_by_step(form)
    page.viewed("in the update form")
    return page.render("submissions/update_form.html", form=None, tasks=page.tasks(form, missing))


@bp.route("/updates/<int:request_id>/steps/<step>", methods=["GET", "POST"])
@family_view(Need.ATTEND, load=UPDATE_FORM, may=may_write_update, family_loads=PEOPLE)
def update_step(family: Family, update_request: SubmissionRequest, step: str):
    """One step of the update. Save and continue saves the draft and goes on to the next step (back to
    checking the answers, if that is where the author came from); a step sent back from submitting shows
    what it still needs."""
    page = _UpdatePage(family, update_request)
    current = page.step(step)
    returning = bool(request.args.get("check") or request.args.get("errors"))
    if request.method == "GET":
        form, others = page.opened_step(current, errors=bool(request.args.get("errors")))
        page.viewed("in the update form")
        return page.render_step(current, form, returning=returning, others=others)
    form = only_step(page.build(), current)
    if not page.valid(form):
        return page.render_step(current, form, returning=returning)
    try:
        services.save_step(update_request, current_user, form_to_data(form),
                           expected_revision=form_revision(form.revision.data))
    except services.StaleUpdate:  # another tab or a colleague saved first: both versions, nothing lost
        return page.render_step(current, form, returning=returning, conflict=page.compared_with_saved(form))
    except services.UpdateError as error:
        return page.render_step(current, form, returning=returning, problem=str(error))
    db.session.commit()
    if "later" in request.form:
        flash("Your answers have been saved. Nobody else sees them until you submit the update.", "success")
        return redirect(url_for("submissions.update_form", ref=family.reference, request_id=update_request.id))
    following = page.next_step(current)
    if returning or following is None:
        return redirect(url_for("submissions.check_update", ref=family.reference, request_id=update_request.id))
    return redirect(page.step_url(following))


@bp.route("/updates/<int:request_id>/check", methods=["GET", "POST"])
@family_view(Need.ATTEND, load=UPDATE_FORM, may=may_write_update, family_loads=PEOPLE)
def check_update(family: Family, update_request: SubmissionRequest):
    """Check your answers, then submit: everything is checked, and a step that needs more is opened with
    its errors."""
    page = _UpdatePage(family, update_request)
    button = ButtonForm()
    if request.method == "GET" or not button.validate_on_submit():
        page.viewed("in the update form")
        return page.render_check(button)
    try:
        services.check_may_submit(update_request, current_user)
    except services.UpdateError as error:
        return page.render_check(button, problem=str(error))
    form = page.whole()
    missing = page.missing_by_step(form)
    if missing:
        first = next(step for step in page.steps if step.slug in missing)
        return redirect(page.step_url(first, errors="1"))
    try:
        saved = services.save(update_request, current_user, form_to_data(form), submit=True,
                              expected_revision=form_revision(request.form.get("revision")))
    except services.StaleUpdate:
        page = _UpdatePage(family, update_request)  # what is saved now, to check again
        return page.render_check(button, problem="This update was changed in another tab or by a colleague since "
                                 "you opened this page. The answers below are the ones saved now: check them, then "
                                 "submit again.")
    except services.UpdateError as error:
        return page.render_check(button, problem=str(error))
    db.session.commit()
    flash("Your update has been submitted." + (" It was after the deadline, so it is marked late."
                                               if saved.late else ""), "success")
    return redirect(url_for("submissions.show_submission", ref=family.reference, request_id=update_request.id,
                            submission_id=saved.id))


class _UpdatePage:
    """The update for one request, as the signed-in person writes it, step by step."""

    def __init__(self, family: Family, update_request: SubmissionRequest):
        self.family, self.update_request = family, update_request
        self.submission = services.submission_for(update_request, current_user)
        self.members, self.men, self.children = _people(family)
        self.actions = _open_actions(family, update_request.agency_id)
        self.steps = steps_for(self.actions)

    def step(self, slug: str) -> Step:
        found = STEP_BY_SLUG.get(slug)
        if found is None or found not in self.steps:
            abort(404)
        return found

    def next_step(self, step: Step) -> Step | None:
        index = self.steps.index(step)
        return self.steps[index + 1] if index + 1 < len(self.steps) else None

    def step_url(self, step: Step, **args) -> str:
        return url_for("submissions.update_step", ref=self.family.reference, request_id=self.update_request.id,
                       step=step.slug, **args)

    def build(self, **kwargs):
        return build_update_form(members=self.members, men=self.men, children=self.children, actions=self.actions,
                                 **kwargs)

    @property
    def revision(self) -> int:
        return self.submission.revision if self.submission else 0

    @property
    def submitted(self) -> bool:
        return self.submission is not None and self.submission.status is SubmissionStatus.SUBMITTED

    def saved_values(self, submission: Submission | None) -> dict:
        return _values_from(services.answers_being_written(submission), self.build(formdata=None))

    def whole(self):
        """The whole update as it is being written (the draft, or the amendment of a submitted update)."""
        form = self.build(formdata=None, data=self.saved_values(self.submission), meta={"csrf": False})
        form.revision.data = self.revision
        return form

    def missing_by_step(self, form) -> dict[str, list[str]]:
        """What submitting would refuse, by step: {step slug: the names of the questions}."""
        check_dates_not_future(form)
        check_new_people(form)
        check_complete(form, members=self.members, men=self.men, children=self.children)
        missing: dict[str, list[str]] = {}
        for name, field in form._fields.items():
            if field.errors and (slug := step_of(name)):
                missing.setdefault(slug, []).append(name)
        return missing

    def tasks(self, form, missing) -> list[dict]:
        """The task list: a step is not yet started with nothing answered, incomplete while submitting
        would refuse what it has, else completed."""
        answered = {step_of(name) for name, field in form._fields.items() if field.data not in (None, "", [])}
        rows = []
        for step in self.steps:
            status: dict[str, object]
            if step.slug not in answered and not self.submitted:
                status = {"tag": {"text": "Not yet started", "classes": "govuk-tag--blue"}}
            elif step.slug in missing:
                status = {"tag": {"text": "Incomplete", "classes": "govuk-tag--light-blue"}}
            else:
                status = {"text": "Completed"}
            rows.append({"title": {"text": step.title}, "href": self.step_url(step), "status": status})
        return rows

    def opened_step(self, step: Step, *, errors: bool):
        """A step as opened: what is being written, or what was typed on it when the session ran out; sent
        back from submitting (``errors``), with what it still needs. Also the other steps that need more."""
        submission = self.submission
        raw = submission.fields.get("__unsaved__") if submission else None
        others: list[Step] = []
        if raw and raw.get("__step__") == [step.slug]:
            form = self.build(formdata=MultiDict([(k, v) for k, values in raw.items() if not k.startswith("__")
                                                  for v in values]))
            flash("You were signed out while writing: what you had typed was kept and is shown below. "
                  "Check it, then save and continue.", "info")
        else:
            form = self.build(formdata=None, data=self.saved_values(submission))
            if errors:
                missing = self.missing_by_step(form)
                others = [other for other in self.steps if other.slug in missing and other is not step]
        form.revision.data = self.revision
        return only_step(form, step), others

    def viewed(self, detail: str) -> None:
        if self.submission is not None:
            audit.record("update_viewed", object_type="submission", object_id=self.submission.id,
                         family_id=self.family.id, detail=detail)
            commit_keeping_loaded()

    def valid(self, form) -> bool:
        valid = form.validate_on_submit()
        valid = check_dates_not_future(form) and valid
        return check_new_people(form) and valid

    def compared_with_saved(self, form):
        """What is saved now beside what was typed; saving again keeps what was typed."""
        saved = services.submission_for(self.update_request, current_user)
        form.revision.data = saved.revision if saved else 0
        return differences(form, self.build(formdata=None, data=self.saved_values(saved)),
                           label=_question_label(self.children))

    def answers(self, form) -> list[dict]:
        """Check your answers: each step's questions and answers, with a link to change them."""
        label = _question_label(self.children)
        used = set(new_person_slots_used(form))
        withheld = set(form.not_for_family.data or [])
        if form.da_share_with_family.data != "yes":
            withheld.add("domestic_abuse")  # kept from the family unless the author chose to share it
        cards: dict[str, dict] = {step.slug: {"step": step, "rows": [
            {"key": {"text": "Shared with the family"}, "value": {"text": "No: marked not for the family"}}]
            if withheld & set(step.sections) else []} for step in self.steps}
        for name, field in form._fields.items():
            slug = step_of(name)
            if slug not in cards:
                continue
            if name.startswith("new-") and int(name.split("-")[1]) not in used:
                continue
            if "-appt-" in name and field.data in (None, "", []):
                continue  # an appointment slot left empty
            cards[slug]["rows"].append({"key": {"text": label(field)},
                                        "value": {"text": shown_value(field, field.data) or "Not answered"}})
        return list(cards.values())

    def render(self, template: str, *, problem: str | None = None, conflict=None, **context):
        occurrence = self.update_request.occurrence
        return render_template(
            template, family=self.family, update_request=self.update_request, submission=self.submission,
            submitted=self.submitted, amending=self.submission is not None and self.submitted
            and services.AMENDING in self.submission.fields,
            members=self.members, men=self.men, children=self.children,
            actions=self.actions, sections=SECTIONS, steps=self.steps, slots=range(1, NEW_PERSON_SLOTS + 1),
            appointment_slots=range(1, APPOINTMENT_SLOTS + 1), occurrence=occurrence, series=occurrence.series,
            past_deadline=services.is_past_deadline(self.update_request), problem=problem, conflict=conflict,
            conflict_what="this update", **context)

    def render_step(self, step: Step, form, *, returning: bool, others=(), problem=None, conflict=None):
        return self.render("submissions/update_step.html", form=form, step=step, number=self.steps.index(step) + 1,
                           returning=returning, others=others, problem=problem, conflict=conflict,
                           step_url=self.step_url)

    def render_check(self, button, *, problem: str | None = None):
        form = self.whole()
        return self.render("submissions/check_update.html", form=button, cards=self.answers(form),
                           revision=self.revision, problem=problem, step_url=self.step_url,
                           **({"page_errors": [{"text": problem, "href": "#submit"}]} if problem else {}))


def _question_label(children):
    """Labels for the comparison after a conflict: the update's repeated questions say whose they are."""
    names = {str(child.id): child.display_name for child in children}

    def label(field) -> str:
        text = str(field.label.text)
        parts = field.name.split("-")
        if parts[0] == "new" and len(parts) > 2:
            return f"New person {parts[1]}: {text}"
        if parts[0] == "child" and len(parts) > 2 and names.get(parts[1], "") not in text:
            return f"{names.get(parts[1], 'Child')}: {text}"
        return text

    return label


def _save_on_session_timeout(user, view_args) -> str | None:
    """Called when someone's session ran out while they were writing: what they typed is kept with their
    draft, and shown to them when they have signed in again."""
    family = db.session.scalar(select(Family).where(Family.reference == str(view_args.get("ref", "")).upper()))
    if family is None:
        return None
    update_request = db.session.get(SubmissionRequest, view_args.get("request_id"))
    if update_request is None or update_request.family_id != family.id or not services.may_write(update_request, user):
        return None
    typed = {k: v for k, v in request.form.lists() if k != "csrf_token"}
    step = str(view_args.get("step", ""))
    if step not in STEP_BY_SLUG:
        return None
    typed["__step__"] = [step]  # shown again on that step
    submission = services.keep_unsaved(update_request, user, typed)
    if submission is None:
        return None
    audit.record("update_kept_on_timeout", object_type="submission", object_id=submission.id, family_id=family.id,
                 actor=user)
    db.session.commit()
    return url_for("submissions.update_step", ref=family.reference, request_id=update_request.id, step=step)


update_step.on_session_timeout = _save_on_session_timeout


@bp.get("/updates/<int:request_id>/submitted/<int:submission_id>")
@family_view(Need.ATTEND, audit_view=False, load={**REQUEST, "submission_id": Submission}, may=may_read_update)
def show_submission(family: Family, update_request: SubmissionRequest, submission: Submission):
    audit.record("update_viewed", object_type="submission", object_id=submission.id, family_id=family.id)
    db.session.commit()
    members, men, children = _people(family)
    return render_template("submissions/submission.html", family=family, submission=submission,
                           update_request=update_request, data=submission.fields, sections=SECTIONS,
                           members={m.id: m for m in family.members}, men=men, children=children,
                           update=UpdateDocument(submission.fields), outcomes=APPOINTMENT_OUTCOMES,
                           occurrence=update_request.occurrence, can_edit=services.may_write(update_request, current_user)
                           and not services.is_past_deadline(update_request))


@bp.route("/updates/<int:request_id>/hand-over", methods=["GET", "POST"])
@family_view(Need.ATTEND, load=REQUEST, may=may_write_update)
def hand_over(family: Family, update_request: SubmissionRequest):
    colleagues = services.colleagues_in_network(update_request)
    from coordinator.submissions.forms import HandOverForm

    form = HandOverForm()
    form.colleague_id.choices = choices([(0, "Choose a colleague")] + [(u.id, f"{u.name} ({u.email})") for u in colleagues])
    if form.validate_on_submit():
        colleague = next((u for u in colleagues if u.id == form.colleague_id.data), None)
        if colleague is None:
            form.colleague_id.errors = ["Choose a colleague from your own agency"]
        else:
            try:
                services.hand_over(update_request, actor=current_user, colleague=colleague)
            except services.UpdateError as error:
                form.colleague_id.errors = [str(error)]
            else:
                db.session.commit()
                flash(f"The request is now with {colleague.name}, who has been emailed.", "success")
                return redirect(url_for("meetings.show_occurrence", ref=family.reference,
                                        occurrence_id=update_request.occurrence_id))
    return render_template("submissions/hand_over.html", form=form, family=family, update_request=update_request,
                           lead=family_services.lead_of(family))


@bp.post("/updates/<int:request_id>/allow-several")
@family_view(Need.READ, load=REQUEST, may=may_allow_several)
def allow_several(family: Family, update_request: SubmissionRequest):
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.allow_several(update_request, actor=current_user)
    db.session.commit()
    flash(f"{update_request.agency.name} may now send more than one update for this meeting.", "success")
    return redirect(url_for("submissions.meeting_updates", ref=family.reference, occurrence_id=update_request.occurrence_id))


@bp.get("/meetings/<int:occurrence_id>/updates")
@family_view(Need.READ, load={"occurrence_id": Occurrence})
def meeting_updates(family: Family, occurrence: Occurrence):
    requests = db.session.scalars(select(SubmissionRequest).where(SubmissionRequest.occurrence_id == occurrence.id)
                                  .order_by(SubmissionRequest.id)).all()
    return render_template("submissions/meeting_updates.html", family=family, occurrence=occurrence,
                           requests=requests, can_allow=may_allow_several_for(current_user, family, occurrence),
                           form=ButtonForm(), can_see_pack=may_see_pack(current_user, family, occurrence),
                           services=services)



@bp.get("/meetings/<int:occurrence_id>/pack")
@family_view(Need.READ, load={"occurrence_id": ("occurrence", Occurrence, (joinedload(Occurrence.series),))},
             may=may_see_pack, family_loads=family_services.RECORD_LOADS)
def meeting_pack(family: Family, occurrence: Occurrence):
    return _pack_page(family, occurrence, detail="in the pre-meeting pack")


@bp.get("/meetings/<int:occurrence_id>/pack.pdf")
@family_view(Need.READ, load={"occurrence_id": ("occurrence", Occurrence, (joinedload(Occurrence.series),))},
             may=may_see_pack, family_loads=family_services.RECORD_LOADS)
def pack_pdf(family: Family, occurrence: Occurrence):
    """The pack as a PDF (what the page shows), for whoever may read the pack; the download is audited."""
    page = _pack_page(family, occurrence, detail="in the pre-meeting pack, as a PDF")
    pdf = pdf_documents.render(
        title=f"Pre-meeting pack: {occurrence.series.meeting_type.label}, {long_date(occurrence.day)}, family "
              f"{family.reference}", recipient=current_user, body=pdf_documents.main_of(page))
    audit.record("pack_pdf_downloaded", object_type="occurrence", object_id=occurrence.id, family_id=family.id)
    db.session.commit()
    return pdf_documents.download(pdf, f"pack-{family.reference}-{occurrence.day.isoformat()}.pdf")


def _pack_page(family: Family, occurrence: Occurrence, *, detail: str) -> str:
    pack = pack_builder.build_pack(occurrence)
    audit.record_each("update_viewed", object_type="submission", object_ids=[s.id for s in pack.submissions],
                      family_id=family.id, detail=detail)
    commit_keeping_loaded()
    members, men, children = _people(family)
    return render_template("submissions/pack.html", family=family, pack=pack, occurrence=occurrence,
                           series=occurrence.series, sections=SECTIONS, rows=pack_builder.PACK_ROWS,
                           members=members, men=men, children=children,
                           proposals=pack.proposals, can_accept=is_lead(family, current_user),
                           form=ButtonForm())



@bp.post("/proposals/<int:proposal_id>/accept")
@family_view(Need.MANAGE, load={"proposal_id": HouseholdProposal})
def accept_proposal(family: Family, proposal: HouseholdProposal):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        member = services.accept_proposal(proposal, actor=current_user)
    except services.UpdateError as error:
        flash(str(error), "info")
        return redirect(url_for("families.show", ref=family.reference))
    db.session.commit()
    flash(f"{member.display_name} added to the household.", "success")
    back = request.form.get("back") or ""
    return redirect(back if back.startswith("/families/") else url_for("families.show", ref=family.reference))


@bp.post("/proposals/<int:proposal_id>/decline")
@family_view(Need.MANAGE, load={"proposal_id": HouseholdProposal})
def decline_proposal(family: Family, proposal: HouseholdProposal):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.decline_proposal(proposal, actor=current_user)
    except services.UpdateError as error:
        flash(str(error), "info")
    else:
        db.session.commit()
        flash("Not added to the household. The update that mentioned them is unchanged.", "success")
    return redirect(url_for("families.show", ref=family.reference))


