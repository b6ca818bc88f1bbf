"""Family pages. Every route that touches a family goes through ``family_view`` (the one guard)."""
from __future__ import annotations

import math
from typing import Any

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
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField
from wtforms.validators import Optional as OptionalValidator

from coordinator.access import agency_staff, declared, signed_in
from coordinator.agencies import services as agency_services
from coordinator.audit.describe import describe
from coordinator.auth.services import UserError, user_by_email
from coordinator.extensions import db
from coordinator.families import services
from coordinator.families.access import (
    Need,
    active_break_glass,
    family_view,
    is_lead,
    membership_of,
    open_break_glass,
    visible_families,
)
from coordinator.families.forms import (
    BreakGlassForm,
    ChildForm,
    CloseFamilyForm,
    FamilyForm,
    HistoryForm,
    LeftForm,
    MemberForm,
    NetworkAddForm,
    NetworkRemoveForm,
    NewFamilyForm,
    ReopenFamilyForm,
    SightingForm,
)
from coordinator.families.models import (
    CONCERNS,
    BreakGlassAccess,
    Child,
    Family,
    HouseholdMember,
    HouseholdMemberVersion,
    NetworkMembership,
    NetworkRole,
    PlanType,
    Presence,
    Relationship,
    Sex,
    SightingKind,
    YesNoUnknown,
)
from coordinator.families.signals import caseload_facts, merged_caseload_facts
from coordinator.forms import choices, differences, form_revision
from coordinator.hooks import answers
from coordinator.inputs import LARGEST_ID, bounded_int
from coordinator.timeutil import today

bp = Blueprint("families", __name__, url_prefix="/families")


# --- My families ------------------------------------------------------------------------------------

SEARCH_KEY = "caseload_search"


@bp.post("/search")
@signed_in
def search_families():
    """The caseload search is posted and kept in the session: a family's or a person's name typed into it
    never appears in a URL (browser history, proxy and server logs). Which families (open, closed, all)
    and the order are no one's name: they stay in the address."""
    form = FlaskForm()
    if form.validate_on_submit():
        session[SEARCH_KEY] = (request.form.get("q") or "").strip()[:100]
    sort = request.form.get("sort")
    status = request.form.get("status")
    return redirect(url_for("families.my_families", sort=sort if sort in services.SORTS else None,
                            status=status if status in services.STATUS_FILTERS and status != "open" else None))


@bp.get("")
@signed_in
def my_families():
    if "q" in request.args:  # an old bookmark or link: keep the search, drop it from the address
        session[SEARCH_KEY] = (request.args.get("q") or "").strip()[:100]
        kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "q"}
        return redirect(url_for("families.my_families", **kept))
    search = session.get(SEARCH_KEY, "")
    sort = request.args.get("sort", "reference")
    if sort not in services.SORTS:
        sort = "reference"
    status = request.args.get("status", "open")
    if status not in services.STATUS_FILTERS:
        status = "open"
    descending = request.args.get("order") == "desc"
    size = int(current_app.config["FAMILIES_PAGE_SIZE"])
    page = bounded_int(request.args.get("page"), 1, high=LARGEST_ID // size)
    scope = visible_families(current_user)
    query = services.caseload_query(scope, search=search, status=status, sort=sort, descending=descending)
    total = db.session.scalar(select(func.count()).select_from(
        services.caseload_query(scope, search=search, status=status).order_by(None).subquery()))
    families = db.session.scalars(query.offset((page - 1) * size).limit(size)).unique().all()
    ids = [family.id for family in families]
    last_meetings = services.last_meeting_dates(ids)
    facts = merged_caseload_facts(answers(caseload_facts, family_ids=ids), ids)  # from the areas above
    rows = [(family, services.household_flags(family, last_meeting=last_meetings.get(family.id)),
             services.lead_of(family), facts[family.id], services.people_matching(family, search))
            for family in families]
    pages = max(1, math.ceil((total or 0) / size))
    # Nothing open (or closed) to list: is that all they have, or are the others only filtered out?
    in_any_network = bool(total) or bool(not search and status != "all" and db.session.scalar(
        select(scope.exists())))
    return render_template("families/my_families.html", rows=rows, search=search, sort=sort, descending=descending,
                           status=status, page=page, pages=pages, total=total, in_any_network=in_any_network)


@bp.route("/new", methods=["GET", "POST"])
@agency_staff
def new_family():
    form = NewFamilyForm()
    if form.validate_on_submit():
        family = services.create_family(
            lead=current_user, family_name=form.family_name.data, plan_type=PlanType[form.plan_type.data],
            address=form.address.data or None, language=form.language.data or None,
            interpreter_needed=form.interpreter_needed.data, interpreter_notes=form.interpreter_notes.data or None,
            reason_for_sharing=form.reason_for_sharing.data,
        )
        db.session.commit()
        flash(f"Family created with reference {family.reference}. Add the children next.", "success")
        return redirect(url_for("families.add_child", ref=family.reference))
    return render_template("families/family_form.html", form=form, family=None)


# --- the family page --------------------------------------------------------------------------------

@bp.get("/<ref>")
@family_view(Need.READ, family_loads=services.RECORD_LOADS)
def show(family: Family):
    flags = services.household_flags(family)
    current = [m for m in family.members if m.left_on is None or m.left_on > today()]
    men = [m for m in current if services.is_man_or_father(m)]
    others = [m for m in current if not services.is_man_or_father(m)]
    left = [m for m in family.members if m not in current]
    lead_view = is_lead(family, current_user)
    break_glass: list[BreakGlassAccess] = []
    if lead_view:
        break_glass = list(db.session.scalars(select(BreakGlassAccess).where(BreakGlassAccess.family_id == family.id)
                                         .order_by(BreakGlassAccess.opened_at.desc()).limit(10)))
    return render_template(
        "families/show.html", family=family, flags=flags, men=men, others=others, left=left,
        network=services.current_network(family), lead=services.lead_of(family), can_manage=lead_view,
        can_contribute=membership_of(family, current_user) is not None and not family.is_closed,
        break_glass=break_glass, services=services,
        admin_access=None if membership_of(family, current_user) else active_break_glass(family, current_user),
    )


@bp.get("/<ref>/access-history")
@family_view(Need.MANAGE, allow_closed=True)
def access_history(family: Family):
    return render_template("families/access_history.html", family=family,
                           events=describe(services.access_history(family)))


@bp.route("/<ref>/edit", methods=["GET", "POST"])
@family_view(Need.MANAGE)
def edit(family: Family):
    form = FamilyForm(obj=family)
    conflict = None
    if request.method == "GET":
        form.plan_type.data = family.plan_type.name
        form.revision.data = family.revision
    if form.validate_on_submit():
        try:
            services.update_family(
                family, actor=current_user, expected_revision=form_revision(form.revision.data),
                family_name=form.family_name.data.strip(), plan_type=PlanType[form.plan_type.data],
                address=form.address.data or None, language=form.language.data or None,
                interpreter_needed=bool(form.interpreter_needed.data),
                interpreter_notes=form.interpreter_notes.data or None)
        except services.StaleEdit:
            saved = FamilyForm(formdata=None, obj=family)
            saved.plan_type.data = family.plan_type.name
            conflict = differences(form, saved)
            form.revision.data = family.revision  # they have seen what is saved: the next save keeps theirs
        else:
            db.session.commit()
            flash("Family details saved.", "success")
            return redirect(url_for("families.show", ref=family.reference))
    return render_template("families/family_form.html", form=form, family=family, conflict=conflict,
                           conflict_what="this family's details")


@bp.route("/<ref>/close", methods=["GET", "POST"])
@family_view(Need.MANAGE)
def close(family: Family):
    form = CloseFamilyForm()
    if request.method == "GET":
        form.closed_on.data = today()
    if form.validate_on_submit():
        services.close_family(family, actor=current_user, on=form.closed_on.data, reason=form.reason.data)
        db.session.commit()
        flash("The family's record is closed. It can still be read by its network.", "success")
        return redirect(url_for("families.show", ref=family.reference))
    return render_template("families/close.html", form=form, family=family)


@bp.route("/<ref>/reopen", methods=["GET", "POST"])
@family_view(Need.MANAGE, allow_closed=True)
def reopen(family: Family):
    if not family.is_closed:
        return redirect(url_for("families.show", ref=family.reference))
    form = ReopenFamilyForm()
    if form.validate_on_submit():
        services.reopen_family(family, actor=current_user, reason=form.reason.data)
        db.session.commit()
        flash("The family's record is open again.", "success")
        return redirect(url_for("families.show", ref=family.reference))
    return render_template("families/reopen.html", form=form, family=family)


# --- children ---------------------------------------------------------------------------------------

def _child_fields(form: ChildForm) -> dict:
    born = form.born.data == "yes"
    return dict(name=form.name.data.strip(), date_of_birth=form.date_of_birth.data if born else None,
                expected_due_date=None if born else form.expected_due_date.data, sex=Sex[form.sex.data],
                nhs_number=services.normalise_nhs_number(form.nhs_number.data),
                school_or_setting=form.school_or_setting.data or None, on_plan=bool(form.on_plan.data))


@bp.route("/<ref>/children/new", methods=["GET", "POST"])
@family_view(Need.MANAGE)
def add_child(family: Family):
    form = ChildForm()
    if form.validate_on_submit():
        services.add_child(family, actor=current_user, **_child_fields(form))
        db.session.commit()
        flash(f"{form.name.data.strip()} added.", "success")
        if request.form.get("another"):
            return redirect(url_for("families.add_child", ref=family.reference))
        return redirect(url_for("families.show", ref=family.reference))
    return render_template("families/child_form.html", form=form, family=family, child=None)


@bp.route("/<ref>/children/<int:child_id>/edit", methods=["GET", "POST"])
@family_view(Need.MANAGE, load={"child_id": Child})
def edit_child(family: Family, child: Child):
    form = ChildForm(obj=child)
    conflict = None
    if request.method == "GET":
        _fill_child_form(form, child)
    if form.validate_on_submit():
        try:
            services.update_child(child, actor=current_user, expected_revision=form_revision(form.revision.data),
                                  **_child_fields(form))
        except services.StaleEdit:
            conflict = differences(form, _fill_child_form(ChildForm(formdata=None, obj=child), child))
            form.revision.data = child.revision
        else:
            db.session.commit()
            flash(f"{child.name} saved.", "success")
            return redirect(url_for("families.show", ref=family.reference))
    return render_template("families/child_form.html", form=form, family=family, child=child, conflict=conflict,
                           conflict_what="this child's details")


def _fill_child_form(form: ChildForm, child: Child) -> ChildForm:
    form.born.data = "no" if child.is_unborn else "yes"
    form.sex.data = child.sex.name
    form.revision.data = child.revision
    return form



# --- household --------------------------------------------------------------------------------------

RELATIONSHIP_PREFIX = "relationship-"


def _member_form(family: Family, member: HouseholdMember | None = None, duplicates=(), **kwargs):
    """The person form, with one relationship question per child of this family."""

    class Form(MemberForm):
        pass

    for child in family.children:
        setattr(Form, f"{RELATIONSHIP_PREFIX}{child.id}", SelectField(
            f"Relationship to {child.display_name}",
            choices=choices([("", "Not related / not applicable")] + [(r.name, r.value) for r in Relationship]),
            validators=[OptionalValidator()],
        ))
    form = Form(obj=member, **kwargs)
    if duplicates:
        form.same_person.choices = choices(
            [(str(m.id), f"Yes: this is {m.display_name}, already recorded") for m in duplicates]
            + [("new", "No: this is a different person with the same name")])
    return form


def _foreign_child_ids(family: Family) -> list[str]:
    own = {str(c.id) for c in family.children}
    return [key for key in request.form if key.startswith(RELATIONSHIP_PREFIX)
            and key[len(RELATIONSHIP_PREFIX):] not in own]


def _relationships_from(form, family: Family) -> dict[int, Relationship]:
    result = {}
    for child in family.children:
        value = getattr(form, f"{RELATIONSHIP_PREFIX}{child.id}").data
        if value:
            result[child.id] = Relationship[value]
    return result


def _member_fields(form) -> dict:
    concerns = set(form.concerns.data or [])
    fields = dict(name=(form.name.data or "").strip() or None, description=(form.description.data or "").strip() or None,
                  sex=Sex[form.sex.data], presence=Presence[form.presence.data],
                  parental_responsibility=YesNoUnknown[form.parental_responsibility.data],
                  concern_notes=form.concern_notes.data or None)
    fields.update({key: key in concerns for key in CONCERNS})
    return fields


@bp.route("/<ref>/household/new", methods=["GET", "POST"])
@family_view(Need.CONTRIBUTE)
def add_member(family: Family):
    typed_name = request.form.get("name") if request.method == "POST" else None
    duplicates = services.possible_duplicates(family, typed_name)
    form = _member_form(family, duplicates=duplicates)
    if request.method == "GET":
        form.parental_responsibility.data = YesNoUnknown.NOT_KNOWN.name
    if form.validate_on_submit():
        foreign = _foreign_child_ids(family)
        if foreign:
            form.name.errors.append("Choose children from this family only")
        elif duplicates and not form.same_person.data:
            form.same_person.errors.append(
                "Someone with this name is already recorded: say whether this is the same person")
        elif duplicates and form.same_person.data != "new":
            return _sighting_of_the_same_person(family, form, duplicates)
        else:
            try:
                member = services.add_member(
                    family, actor=current_user, relationships=_relationships_from(form, family),
                    known_duplicates=tuple(m.id for m in duplicates),
                    first_recorded_on=form.first_recorded_on.data or today(), source_agency_id=current_user.agency_id,
                    source_kind=SightingKind[form.source_kind.data], source_note=form.source_note.data or None,
                    **_member_fields(form))
            except services.PossibleDuplicate as found:
                # A colleague recorded someone of this name at the same moment: ask, as if it had been there.
                duplicates = found.duplicates
                form = _member_form(family, duplicates=duplicates)
                form.same_person.data = None
                form.same_person.errors = [str(found)]
            else:
                db.session.commit()
                flash(f"{member.display_name} added to the household.", "success")
                return redirect(url_for("families.show", ref=family.reference))
    return render_template("families/member_form.html", form=form, family=family, member=None,
                           duplicates=duplicates, relationship_fields=_relationship_fields(form, family))


def _sighting_of_the_same_person(family: Family, form, duplicates):
    """The person added is someone already recorded: what was known becomes a sighting on their record."""
    existing = next(m for m in duplicates if str(m.id) == form.same_person.data)
    services.record_sighting(existing, actor=current_user, kind=SightingKind[form.source_kind.data],
                             on=form.first_recorded_on.data or today(), note=form.source_note.data or None)
    db.session.commit()
    flash(f"{existing.display_name} was already recorded, so no duplicate was made: your sighting was "
          "added to their record. Change their details here if what you know differs.", "success")
    return redirect(url_for("families.show_member", ref=family.reference, member_id=existing.id))


def _relationship_fields(form, family: Family):
    return [getattr(form, f"{RELATIONSHIP_PREFIX}{child.id}") for child in family.children]


@bp.get("/<ref>/household/<int:member_id>")
@family_view(Need.READ, load={"member_id": HouseholdMember})
def show_member(family: Family, member: HouseholdMember):
    versions = db.session.scalars(select(HouseholdMemberVersion).where(HouseholdMemberVersion.member_id == member.id)
                                  .order_by(HouseholdMemberVersion.recorded_at.desc())).all()
    return render_template("families/member.html", family=family, member=member, versions=versions,
                           flags=services.household_flags(family).for_member(member.id),
                           last=services.last_confirmation(member), services=services,
                           can_contribute=membership_of(family, current_user) is not None and not family.is_closed)


@bp.route("/<ref>/household/<int:member_id>/edit", methods=["GET", "POST"])
@family_view(Need.CONTRIBUTE, load={"member_id": HouseholdMember})
def edit_member(family: Family, member: HouseholdMember):
    form = _member_form(family, member)
    # Where the record came from is fixed when it is made: the change page neither shows nor requires it.
    del form.same_person, form.source_kind, form.source_note, form.first_recorded_on
    conflict = None
    if request.method == "GET":
        _fill_member_form(form, member)
    if form.validate_on_submit():
        foreign = _foreign_child_ids(family)
        if foreign:
            form.name.errors.append("Choose children from this family only")
        else:
            try:
                services.update_member(member, actor=current_user, expected_revision=form_revision(form.revision.data),
                                       relationships=_relationships_from(form, family), **_member_fields(form))
            except services.StaleEdit:
                conflict = differences(form, _fill_member_form(_member_form(family, member, formdata=None), member))
                form.revision.data = member.revision
            except services.FamilyError as error:
                form.name.errors.append(str(error))
            else:
                db.session.commit()
                flash(f"{member.display_name} saved.", "success")
                return redirect(url_for("families.show_member", ref=family.reference, member_id=member.id))
    return render_template("families/member_form.html", form=form, family=family, member=member, duplicates=(),
                           relationship_fields=_relationship_fields(form, family), conflict=conflict,
                           conflict_what="this person's record")


def _fill_member_form(form, member: HouseholdMember):
    form.sex.data = member.sex.name
    form.presence.data = member.presence.name
    form.parental_responsibility.data = member.parental_responsibility.name
    form.concerns.data = [key for key in CONCERNS if getattr(member, key)]
    form.revision.data = member.revision
    for rel in member.relationships:
        getattr(form, f"{RELATIONSHIP_PREFIX}{rel.child_id}").data = rel.relationship_type.name
    return form


@bp.route("/<ref>/household/<int:member_id>/sighting", methods=["GET", "POST"])
@family_view(Need.CONTRIBUTE, load={"member_id": HouseholdMember})
def add_sighting(family: Family, member: HouseholdMember):
    form = SightingForm()
    if request.method == "GET":
        form.seen_on.data = today()
    if form.validate_on_submit():
        services.record_sighting(member, actor=current_user, kind=SightingKind[form.kind.data],
                                 on=form.seen_on.data, note=form.note.data or None)
        db.session.commit()
        flash(f"Recorded for {member.display_name}.", "success")
        return redirect(url_for("families.show_member", ref=family.reference, member_id=member.id))
    return render_template("families/sighting_form.html", form=form, family=family, member=member)


@bp.route("/<ref>/household/<int:member_id>/left", methods=["GET", "POST"])
@family_view(Need.CONTRIBUTE, load={"member_id": HouseholdMember})
def member_left(family: Family, member: HouseholdMember):
    form = LeftForm()
    conflict = None
    if request.method == "GET":
        form.left_on.data = today()
        form.revision.data = member.revision
    if form.validate_on_submit():
        try:
            services.mark_left(member, actor=current_user, on=form.left_on.data,
                               expected_revision=form_revision(form.revision.data))
        except services.StaleEdit:
            saved = LeftForm(formdata=None)
            saved.left_on.data = member.left_on
            conflict = differences(form, saved)
            form.revision.data = member.revision
        else:
            db.session.commit()
            flash(f"{member.display_name} recorded as having left.", "success")
            return redirect(url_for("families.show", ref=family.reference))
    return render_template("families/left_form.html", form=form, family=family, member=member, conflict=conflict,
                           conflict_what="this person's record")


@bp.get("/<ref>/household/history")
@family_view(Need.READ)
def household_history(family: Family):
    form = HistoryForm(request.args)
    past = None
    if request.args and form.validate():
        past = services.household_on(family, form.on.data)
    return render_template("families/household_history.html", family=family, form=form, past=past)


# --- network ----------------------------------------------------------------------------------------

@bp.route("/<ref>/network/add", methods=["GET", "POST"])
@family_view(Need.MANAGE)
def add_network_member(family: Family):
    form = NetworkAddForm()
    agencies = agency_services.active_agencies()
    form.agency_id.choices = choices([(0, "Choose their agency")] + [(a.id, a.name) for a in agencies])
    if form.validate_on_submit():
        user = user_by_email(form.email.data)
        if user is None:
            if _invite_partner(form, family, agencies):
                return redirect(url_for("families.show", ref=family.reference) + "#network")
        elif not user.active:
            form.email.errors.append("The account with this email address is deactivated: ask an administrator to "
                                     "reactivate it")
        elif user.invited_by_id is not None and not user.is_admin:
            # A partner a lead invited has never been checked by an administrator: meetings only, not records.
            form.email.errors.append("This professional was invited by a lead professional to meetings only: ask an "
                                     "administrator to confirm their account before they can see family records")
        else:
            try:
                services.add_to_network(family, user, NetworkRole[form.role.data], reason=form.reason.data,
                                        actor=current_user)
            except services.FamilyError as error:
                form.email.errors.append(str(error))
            else:
                db.session.commit()
                flash(f"{user.name} added to the network.", "success")
                return redirect(url_for("families.show", ref=family.reference) + "#network")
    return render_template("families/network_add.html", form=form, family=family)


def _invite_partner(form: NetworkAddForm, family: Family, agencies) -> bool:
    """A professional with no account yet: the lead invites them, as a partner, to this family's meetings.
    False, with the form's errors, if that cannot be done."""
    agency = next((a for a in agencies if a.id == form.agency_id.data), None)
    if not (form.name.data or "").strip():
        form.name.errors.append("Enter the professional's name: they have no account yet")
    if agency is None:
        form.agency_id.errors.append("Choose the professional's agency: they have no account yet")
    if form.name.errors or form.agency_id.errors:
        return False
    try:
        partner = services.invite_partner(family, email=form.email.data, name=form.name.data, agency=agency,
                                          job_title=form.job_title.data, reason=form.reason.data, actor=current_user)
    except (services.FamilyError, UserError) as error:
        db.session.rollback()
        form.email.errors.append(str(error))
        return False
    db.session.commit()
    flash(f"{partner.name} has been invited to this family's meetings and sent an email to sign in.", "success")
    return True


@bp.route("/<ref>/network/<int:membership_id>/remove", methods=["GET", "POST"])
@family_view(Need.MANAGE, load={"membership_id": NetworkMembership})
def remove_network_member(family: Family, membership: NetworkMembership):
    form = NetworkRemoveForm()
    if form.validate_on_submit():
        try:
            services.remove_from_network(membership, actor=current_user, reason=form.reason.data)
        except services.FamilyError as error:
            form.reason.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{membership.user.name} removed from the network.", "success")
            return redirect(url_for("families.show", ref=family.reference) + "#network")
    return render_template("families/network_remove.html", form=form, family=family, membership=membership)


# --- break glass ------------------------------------------------------------------------------------

@bp.route("/<ref>/break-glass", methods=["GET", "POST"])
@declared("family:break-glass")
def break_glass(ref: str):
    family = db.session.scalar(select(Family).where(Family.reference == ref.upper()))
    if family is None or not current_user.is_admin:
        abort(404)  # to practitioners this page, like the family, does not exist
    if membership_of(family, current_user) or active_break_glass(family, current_user):
        return redirect(url_for("families.show", ref=family.reference))
    form = BreakGlassForm()
    if form.validate_on_submit():
        open_break_glass(family, current_user, form.reason.data)
        db.session.commit()
        return redirect(url_for("families.show", ref=family.reference))
    return render_template("families/break_glass.html", form=form, family=family,
                           minutes=current_app.config["BREAK_GLASS_MINUTES"])

