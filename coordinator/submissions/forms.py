"""The agency update form, built for the family it is about: a question for each person the record says
lives in or visits the home, each man or father, each child. It is asked in steps (a GOV.UK multi-page form,
one section or a few related ones a page), each step a slice of the one form, then checked and submitted."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from coordinator.families.models import Presence, Relationship, Sex
from coordinator.forms import GovDateField, WholeNumberField, choices, enum_choices
from coordinator.submissions.document import action_progress_key, child_key, household_key, man_key, new_person_key
from coordinator.timeutil import today

NEW_PERSON_SLOTS = 3
TEXT = 5000

SECTIONS = {
    "household": "Who lives in or visits the home",
    "men": "Fathers and male carers",
    "children": "Contact with each child",
    "appointments": "Appointments",
    "engagement": "Engagement",
    "domestic_abuse": "Domestic abuse routine enquiry",
    "worries": "Worries, what is working well, what needs to happen",
    "lived_experience": "The child's lived experience",
    "actions": "Progress on actions",
    "scales": "Safety scales",
}



@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    sections: tuple[str, ...]  # the SECTIONS it asks, which the family copy may leave out


STEPS = (
    Step("household", SECTIONS["household"], ("household",)),
    Step("men", SECTIONS["men"], ("men",)),
    Step("children", SECTIONS["children"], ("children",)),
    Step("appointments", "Appointments and engagement", ("appointments", "engagement")),
    Step("domestic-abuse", SECTIONS["domestic_abuse"], ("domestic_abuse",)),
    Step("worries", SECTIONS["worries"], ("worries",)),
    Step("lived-experience", SECTIONS["lived_experience"], ("lived_experience",)),
    Step("actions", SECTIONS["actions"], ("actions",)),
    Step("scales", SECTIONS["scales"], ("scales",)),
    Step("sharing", "Sharing with the family", ()),
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}
_STEP_OF_NAME = {
    **dict.fromkeys(("appointments_offered", "appointments_attended", "was_not_brought", "family_cancelled",
                     "no_answer_visits", "engagement_reported", "engagement_observed"), "appointments"),
    **dict.fromkeys(("da_asked", "da_date", "da_private", "da_outcome", "da_risk_score", "marac"), "domestic-abuse"),
    **dict.fromkeys(("worries", "worries_provenance", "working_well", "working_well_provenance", "needs_to_happen"),
                    "worries"),
    "lived_experience": "lived-experience",
    **dict.fromkeys(("share_with_family", "not_for_family", "withheld_reason"), "sharing"),
}


def step_of(name: str) -> str | None:
    """The step that asks the question ``name`` (None for the form's own fields: CSRF token, revision)."""
    kind = name.split("-", 1)[0]
    if kind in ("household", "new"):
        return "household"
    if kind == "man":
        return "men"
    if kind == "child":
        return "scales" if name.endswith("-scale") else "children"
    if kind == "action":
        return "actions"
    return _STEP_OF_NAME.get(name)


def steps_for(actions) -> list[Step]:
    """The steps of this update: progress on actions only when the agency has open actions."""
    return [step for step in STEPS if step.slug != "actions" or actions]


def only_step(form, step: Step):
    """The form cut down to one step's questions (its CSRF token and revision kept); errors already found
    on those questions stay."""
    for name in [name for name in form._fields if step_of(name) not in (None, step.slug)]:
        del form[name]
    return form


YES_NO = choices([("yes", "Yes"), ("no", "No")])
YES_NO_UNKNOWN = choices([("yes", "Yes"), ("no", "No"), ("not_known", "Not known")])
HOUSEHOLD_ANSWERS = choices([("SEEN", "Seen"), ("TOLD_OF", "Told of, not seen"), ("NOT_SEEN", "Not seen or heard of")])
PROVENANCE = choices([("observation", "Observation (seen or heard by us)"), ("allegation", "Allegation (reported to us)"),
                      ("opinion", "Opinion (our professional judgement)")])
ENGAGED = choices([("yes", "Yes"), ("partly", "Partly"), ("no", "No"), ("not_known", "Not known")])
MARAC = choices([("not_needed", "Not needed"), ("considered", "Considered, not referred"), ("referred", "Referred"),
                 ("already_open", "Already open to MARAC"), ("not_known", "Not known")])
SHARE = choices([("yes", "Yes, all of it"), ("partly", "Yes, except the sections marked below"), ("no", "No")])


def _text(label, hint=None):
    return TextAreaField(label, widget=GovTextArea(), description=hint,
                         validators=[Optional(), Length(max=TEXT, message=f"{label} must be {TEXT} characters or fewer")])


def _count(label):
    return WholeNumberField(label, widget=GovTextInput(),
                        validators=[Optional(), NumberRange(min=0, max=999, message=f"{label} must be a number from 0 to 999")])


def _past_date(label):
    return GovDateField(label, validators=[Optional()])


class UpdateFormBase(FlaskForm):
    # Sections 4-12 of domain.md that do not depend on who is in the family.
    appointments_offered = _count("Appointments offered")
    appointments_attended = _count("Appointments attended")
    was_not_brought = _count("Appointments the child was not brought to")
    family_cancelled = _count("Appointments cancelled or rearranged by the family")
    no_answer_visits = _count("Home visits with no answer")
    engagement_reported = _text("What the parent told you", "For example, 'Mum says she is taking her medication'.")
    engagement_observed = _text("What you observed or checked", "What you saw yourself, or verified with someone else.")
    da_asked = RadioField("Did you ask about domestic abuse?", widget=GovRadioInput(), choices=YES_NO,
                          validators=[Optional()])
    da_date = _past_date("Date you asked")
    da_private = RadioField("Was the parent on their own when you asked?", widget=GovRadioInput(), choices=YES_NO,
                            validators=[Optional()])
    da_outcome = _text("What you were told, and what you did")
    da_risk_score = WholeNumberField("Risk assessment score, if one was done", widget=GovTextInput(),
                                 description="For example, the DASH score (0 to 27).",
                                 validators=[Optional(), NumberRange(min=0, max=27, message="The risk score must be from 0 to 27")])
    marac = RadioField("MARAC referral", widget=GovRadioInput(), choices=MARAC, validators=[Optional()])
    worries = _text("What are you worried about?")
    worries_provenance = RadioField("Is this an observation, an allegation or an opinion?", widget=GovRadioInput(),
                                    choices=PROVENANCE, validators=[Optional()])
    working_well = _text("What is working well?")
    working_well_provenance = RadioField("Is this an observation, an allegation or an opinion?", widget=GovRadioInput(),
                                         choices=PROVENANCE, validators=[Optional()])
    needs_to_happen = _text("What needs to happen?")
    lived_experience = _text("The child's lived experience",
                             "What is life like for the child? For a baby, what you saw of their care, how they and "
                             "their carer were together, and how they looked.")
    share_with_family = RadioField("May this update be shared with the parents?", widget=GovRadioInput(), choices=SHARE,
                                   validators=[Optional()])
    not_for_family = SelectMultipleField("Sections that must not be shared with the family", widget=GovCheckboxesInput(),
                                         choices=choices(SECTIONS.items()), validators=[Optional()])
    withheld_reason = _text("Why they must not be shared", "The chair sees this before the meeting.")
    revision = HiddenField()


def build_update_form(*, members, men, children, actions=(), **form_kwargs):
    """The update form for this family's household, men and children (``form_kwargs`` go to the form:
    ``formdata=`` to re-show raw input, ``data=`` for a saved draft)."""

    class UpdateForm(UpdateFormBase):
        pass

    for member in members:
        setattr(UpdateForm, household_key(member.id), RadioField(
            member.display_name, widget=GovRadioInput(), choices=HOUSEHOLD_ANSWERS, validators=[Optional()]))
    for slot in range(1, NEW_PERSON_SLOTS + 1):
        prefix = new_person_key(slot, "")
        setattr(UpdateForm, prefix + "name", StringField(
            "Name", widget=GovTextInput(), description="Leave empty if you do not know it.",
            validators=[Optional(), Length(max=200, message="Name must be 200 characters or fewer")]))
        setattr(UpdateForm, prefix + "description", StringField(
            "Description, if the name is not known", widget=GovTextInput(),
            validators=[Optional(), Length(max=500, message="Description must be 500 characters or fewer")]))
        setattr(UpdateForm, prefix + "sex", RadioField("Sex", widget=GovRadioInput(), choices=enum_choices(Sex),
                                                       validators=[Optional()]))
        setattr(UpdateForm, prefix + "relationship", SelectField(
            "Relationship to the children", widget=GovSelect(),
            choices=choices([("", "Choose")] + [(r.name, r.value) for r in Relationship]), validators=[Optional()]))
        setattr(UpdateForm, prefix + "presence", RadioField(
            "Lives in or visits", widget=GovRadioInput(), choices=enum_choices(Presence), validators=[Optional()]))
        setattr(UpdateForm, prefix + "source", RadioField(
            "Seen by you, or reported to you?", widget=GovRadioInput(),
            choices=choices([("SEEN", "Seen"), ("TOLD_OF", "Reported")]), validators=[Optional()]))
        setattr(UpdateForm, prefix + "seen_on", _past_date("When you saw them, or were told of them"))
    for man in men:
        prefix = man_key(man.id, "")
        setattr(UpdateForm, prefix + "seen", RadioField(f"Has your agency seen {man.display_name}?",
                                                        widget=GovRadioInput(), choices=YES_NO, validators=[Optional()]))
        setattr(UpdateForm, prefix + "seen_on", _past_date("When you last saw him"))
        setattr(UpdateForm, prefix + "engaged", RadioField("Is he engaging with your agency?", widget=GovRadioInput(),
                                                           choices=ENGAGED, validators=[Optional()]))
        setattr(UpdateForm, prefix + "history", _text("Relevant history known to your agency"))
        setattr(UpdateForm, prefix + "mothers_account", _text("What the mother says about him"))
    for child in children:
        prefix = child_key(child.id, "")
        setattr(UpdateForm, prefix + "last_seen", _past_date(f"When you last saw {child.display_name}"))
        setattr(UpdateForm, prefix + "seen_alone", RadioField(f"Was {child.display_name} seen alone?",
                                                              widget=GovRadioInput(), choices=YES_NO,
                                                              validators=[Optional()]))
        setattr(UpdateForm, prefix + "where", StringField(
            "Where", widget=GovTextInput(), description="For example, at home, at school, at clinic.",
            validators=[Optional(), Length(max=200, message="Where must be 200 characters or fewer")]))
        setattr(UpdateForm, prefix + "contacts", _count("Number of contacts since the last meeting"))
        setattr(UpdateForm, prefix + "scale", WholeNumberField(
            f"Safety scale for {child.display_name}", widget=GovTextInput(),
            description="0 means the child will be harmed; 10 means safe enough to close the case.",
            validators=[Optional(), NumberRange(min=0, max=10, message="The safety scale must be a whole number from 0 to 10")]))
    for action in actions:
        setattr(UpdateForm, action_progress_key(action.id), _text(f"Progress on: {action.description}"))
    return UpdateForm(**form_kwargs)


def date_fields(form) -> set[str]:
    from wtforms import DateField

    return {name for name, field in form._fields.items() if isinstance(field, DateField)}


def check_dates_not_future(form) -> bool:
    ok = True
    for name in date_fields(form):
        field = form[name]
        if field.data and field.data > today():
            field.errors = list(field.errors) + [f"{field.label.text} cannot be in the future"]
            ok = False
    return ok


def check_complete(form, *, members, men, children) -> bool:
    """What an update must answer before it is submitted (a draft may leave anything out)."""
    missing = []

    def need(name, message):
        field = form[name]
        if field.data in (None, "", []) and not field.errors:
            field.errors = list(field.errors) + [message]
            missing.append(name)

    for member in members:
        need(household_key(member.id), f"Say whether you have seen {member.display_name}")
    for child in children:
        need(child_key(child.id, "seen_alone"), f"Say whether {child.display_name} was seen alone")
        need(child_key(child.id, "scale"), f"Give a safety scale for {child.display_name}")
    for man in men:
        need(man_key(man.id, "seen"), f"Say whether your agency has seen {man.display_name}")
    need("da_asked", "Say whether you asked about domestic abuse")
    if form.da_asked.data == "yes":
        need("da_date", "Enter the date you asked about domestic abuse")
        need("da_private", "Say whether the parent was on their own when you asked")
    need("worries", "Say what you are worried about, or write 'None'")
    need("share_with_family", "Say whether this update may be shared with the parents")
    if form.not_for_family.data or form.share_with_family.data in ("partly", "no"):
        need("withheld_reason", "Give the reason it must not be shared with the family")
    if form.share_with_family.data == "partly" and not form.not_for_family.data:
        need("not_for_family", "Choose the sections that must not be shared")
    for slot in new_person_slots_used(form):
        prefix = new_person_key(slot, "")
        need(prefix + "presence", "Say whether the new person lives in or visits the home")
        need(prefix + "source", "Say whether you saw the new person or were told of them")
    return not missing


def new_person_slots_used(form) -> list[int]:
    used = []
    for slot in range(1, NEW_PERSON_SLOTS + 1):
        prefix = new_person_key(slot, "")
        if any((form[prefix + key].data or "") for key in ("name", "description", "sex", "relationship",
                                                          "presence", "source")):
            used.append(slot)
    return used


def check_new_people(form) -> bool:
    """Even in a draft, a new person needs a name or a description: "someone" helps nobody."""
    ok = True
    if new_person_key(1, "name") not in form._fields:
        return ok  # a step that does not ask about new people
    for slot in new_person_slots_used(form):
        prefix = new_person_key(slot, "")
        if not (form[prefix + "name"].data or "").strip() and not (form[prefix + "description"].data or "").strip():
            form[prefix + "description"].errors = list(form[prefix + "description"].errors) + [
                "Enter the new person's name, or describe them if the name is not known"]
            ok = False
    return ok


def form_to_data(form) -> dict:
    out = {}
    for name, field in form._fields.items():
        if name in ("csrf_token", "revision"):
            continue
        value = field.data
        if isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def data_to_form_values(data: dict, form_class_fields: set[str], dates: set[str]) -> dict:
    values = {}
    for key, value in data.items():
        if key in dates and isinstance(value, str):
            value = date.fromisoformat(value)
        values[key] = value
    return values


class HandOverForm(FlaskForm):
    # The view checks the choice itself, so that anyone else (a forged id) gets its message, not WTForms'.
    colleague_id = SelectField("Colleague", widget=GovSelect(), coerce=int, validate_choice=False,
                               validators=[Optional()])
    submit = SubmitField("Hand over the request", widget=GovSubmitInput())
