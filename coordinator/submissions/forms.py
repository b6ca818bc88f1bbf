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
from coordinator.submissions.document import (
    APPOINTMENT_OUTCOMES,
    action_progress_key,
    appointment_key,
    child_key,
    da_key,
    household_key,
    man_key,
    new_person_key,
)
from coordinator.timeutil import today

NEW_PERSON_SLOTS = 3
APPOINTMENT_SLOTS = 4  # appointments recorded for each child in one update
TEXT = 5000

SECTIONS = {
    "household": "Who lives in or visits the home",
    "men": "Fathers and male carers",
    "children": "Contact with each child",
    "appointments": "Appointments",
    "engagement": "Engagement",
    "domestic_abuse": "Domestic abuse routine enquiry",
    "worries": "Worries, what is working well, what needs to happen",
    "lived_experience": "Each child's lived experience",
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
    **dict.fromkeys(("family_cancelled", "no_answer_visits", "engagement_reported", "engagement_observed",
                     "parent_says_appointments", "parent_says_engagement"), "appointments"),
    "parent_says_household": "household",
    "da_share_with_family": "domestic-abuse",
    **dict.fromkeys(("worries", "worries_provenance", "working_well", "working_well_provenance", "needs_to_happen"),
                    "worries"),
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
        if name.endswith("-scale"):
            return "scales"
        if name.endswith("-lived_experience"):
            return "lived-experience"
        return "appointments" if "-appt-" in name else "children"
    if kind == "da":
        return "domestic-abuse"
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
PARENT_SAYS_APPOINTMENTS = choices([("all_attended", "That the children went to every appointment"),
                                    ("some_missed", "That some appointments were missed"),
                                    ("not_asked", "Not asked, or they did not say")])
PARENT_SAYS_ENGAGEMENT = choices([("engaging", "That they are working with every agency"),
                                  ("partly", "That they are working with some agencies"),
                                  ("not_engaging", "That they are not working with agencies"),
                                  ("not_asked", "Not asked, or they did not say")])
PARENT_SAYS_HOUSEHOLD = choices([("only_recorded", "That nobody else lives in or visits the home"),
                                 ("others", "That other people live in or visit the home"),
                                 ("not_asked", "Not asked, or they did not say")])
DA_SHARE = choices([("no", "No, keep it from the family's copy"), ("yes", "Yes, the family may see it")])
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
    # Sections 4-12 of domain.md that do not depend on who is in the family (each child's appointments and
    # each adult's domestic abuse enquiry are added for the family by build_update_form).
    family_cancelled = _count("Appointments cancelled or rearranged by the family")
    no_answer_visits = _count("Home visits with no answer")
    parent_says_appointments = RadioField("What does the parent say about the children's appointments?",
                                          widget=GovRadioInput(), choices=PARENT_SAYS_APPOINTMENTS,
                                          validators=[Optional()])
    parent_says_engagement = RadioField("What does the parent say about working with agencies?",
                                        widget=GovRadioInput(), choices=PARENT_SAYS_ENGAGEMENT, validators=[Optional()])
    parent_says_household = RadioField("What does the parent say about who lives in or visits the home?",
                                       widget=GovRadioInput(), choices=PARENT_SAYS_HOUSEHOLD, validators=[Optional()])
    engagement_reported = _text("What the parent told you", "For example, 'Mum says she is taking her medication'.")
    engagement_observed = _text("What you observed or checked", "What you saw yourself, or verified with someone else.")
    da_share_with_family = RadioField("May the family see what you recorded about domestic abuse?",
                                      widget=GovRadioInput(), choices=DA_SHARE, validators=[Optional()],
                                      description="Unless you choose yes, it is left out of the family's copy.")
    worries = _text("What are you worried about?")
    worries_provenance = RadioField("Is this an observation, an allegation or an opinion?", widget=GovRadioInput(),
                                    choices=PROVENANCE, validators=[Optional()])
    working_well = _text("What is working well?")
    working_well_provenance = RadioField("Is this an observation, an allegation or an opinion?", widget=GovRadioInput(),
                                         choices=PROVENANCE, validators=[Optional()])
    needs_to_happen = _text("What needs to happen?")
    share_with_family = RadioField("May this update be shared with the parents?", widget=GovRadioInput(), choices=SHARE,
                                   validators=[Optional()])
    not_for_family = SelectMultipleField("Sections that must not be shared with the family", widget=GovCheckboxesInput(),
                                         choices=choices(SECTIONS.items()), validators=[Optional()])
    withheld_reason = _text("Why they must not be shared", "The chair sees this before the meeting.")
    revision = HiddenField()


def months_old(child, on: date) -> int | None:
    if child.date_of_birth is None:
        return None
    born = child.date_of_birth
    return (on.year - born.year) * 12 + on.month - born.month - (1 if on.day < born.day else 0)


def is_baby(child, on: date | None = None) -> bool:
    """A born child younger than BABY_AGE_MONTHS: asked whether seen awake, where they sleep and whether
    handled, rather than whether seen alone."""
    from flask import current_app

    age = months_old(child, on or today())
    return age is not None and age < int(current_app.config["BABY_AGE_MONTHS"])


APPOINTMENT_OUTCOME_CHOICES = choices(APPOINTMENT_OUTCOMES.items())


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
    for member in members:
        name = member.display_name
        setattr(UpdateForm, da_key(member.id, "asked"), RadioField(
            f"Did you ask {name} about domestic abuse?", widget=GovRadioInput(), choices=YES_NO,
            validators=[Optional()]))
        setattr(UpdateForm, da_key(member.id, "date"), _past_date(f"Date you asked {name}"))
        setattr(UpdateForm, da_key(member.id, "private"), RadioField(
            f"Was {name} on their own when you asked?", widget=GovRadioInput(), choices=YES_NO,
            validators=[Optional()]))
        setattr(UpdateForm, da_key(member.id, "outcome"), _text(f"What {name} told you, and what you did"))
        setattr(UpdateForm, da_key(member.id, "risk_score"), WholeNumberField(
            f"Risk assessment score for {name}, if one was done", widget=GovTextInput(),
            description="For example, the DASH score (0 to 27).",
            validators=[Optional(), NumberRange(min=0, max=27, message="The risk score must be from 0 to 27")]))
        setattr(UpdateForm, da_key(member.id, "marac"), RadioField(
            f"MARAC referral for {name}", widget=GovRadioInput(), choices=MARAC, validators=[Optional()]))
    for child in children:
        prefix = child_key(child.id, "")
        name = child.display_name
        setattr(UpdateForm, prefix + "last_seen", _past_date(f"When you last saw {name}"))
        if is_baby(child):
            setattr(UpdateForm, prefix + "seen_awake", RadioField(
                f"Was {name} awake when you saw them?", widget=GovRadioInput(), choices=YES_NO,
                validators=[Optional()]))
            setattr(UpdateForm, prefix + "sleeps", StringField(
                f"Where does {name} sleep?", widget=GovTextInput(),
                description="What you saw: a cot, a Moses basket, the parents' bed, a sofa.",
                validators=[Optional(), Length(max=200, message="Where the baby sleeps must be 200 characters or fewer")]))
            setattr(UpdateForm, prefix + "handled", RadioField(
                f"Did you hold {name}, or see them undressed?", widget=GovRadioInput(), choices=YES_NO,
                validators=[Optional()]))
        else:
            setattr(UpdateForm, prefix + "seen_alone", RadioField(f"Was {name} seen alone?",
                                                                  widget=GovRadioInput(), choices=YES_NO,
                                                                  validators=[Optional()]))
        setattr(UpdateForm, prefix + "lived_experience", _text(
            f"{name}'s lived experience",
            "What is life like for the child? For a baby, what you saw of their care, how they and their carer "
            "were together, and how they looked."))
        for slot in range(1, APPOINTMENT_SLOTS + 1):
            setattr(UpdateForm, appointment_key(child.id, slot, "date"), _past_date(f"Date of appointment {slot}"))
            setattr(UpdateForm, appointment_key(child.id, slot, "kind"), StringField(
                f"Type of appointment {slot}", widget=GovTextInput(),
                description="For example, health visitor check, GP, hospital, dentist.",
                validators=[Optional(), Length(max=200, message="The type of appointment must be 200 characters or fewer")]))
            setattr(UpdateForm, appointment_key(child.id, slot, "outcome"), RadioField(
                f"What happened at appointment {slot}?", widget=GovRadioInput(), choices=APPOINTMENT_OUTCOME_CHOICES,
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
        if "-appt-" in name:
            outcome = form._fields.get(name[:-len("date")] + "outcome")
            if outcome is not None and outcome.data == "booked":
                continue  # an appointment still to come
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
        name = child.display_name
        if child_key(child.id, "seen_awake") in form._fields:
            need(child_key(child.id, "seen_awake"), f"Say whether {name} was awake when you saw them")
        else:
            need(child_key(child.id, "seen_alone"), f"Say whether {name} was seen alone")
        need(child_key(child.id, "scale"), f"Give a safety scale for {name}")
        for slot in appointment_slots_used(form, child.id):
            need(appointment_key(child.id, slot, "date"), f"Enter the date of {name}'s appointment {slot}")
            need(appointment_key(child.id, slot, "outcome"), f"Say what happened at {name}'s appointment {slot}")
    for man in men:
        need(man_key(man.id, "seen"), f"Say whether your agency has seen {man.display_name}")
    for member in members:
        need(da_key(member.id, "asked"), f"Say whether you asked {member.display_name} about domestic abuse")
        if form[da_key(member.id, "asked")].data == "yes":
            need(da_key(member.id, "date"), f"Enter the date you asked {member.display_name} about domestic abuse")
            need(da_key(member.id, "private"), f"Say whether {member.display_name} was on their own when you asked")
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


def appointment_slots_used(form, child_id: int) -> list[int]:
    return [slot for slot in range(1, APPOINTMENT_SLOTS + 1)
            if any(form[appointment_key(child_id, slot, question)].data for question in ("date", "kind", "outcome"))]


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
