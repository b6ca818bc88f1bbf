from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from coordinator.families.models import (
    CONCERNS,
    NetworkRole,
    PlanType,
    Presence,
    Sex,
    SightingKind,
    YesNoUnknown,
)
from coordinator.families.services import nhs_number_is_valid
from coordinator.forms import GovDateField, choices, enum_choices
from coordinator.timeutil import today

TEXT = 500
LONG_TEXT = 5000


def _text_required(message: str) -> DataRequired:
    """Required free text: unlike InputRequired, only spaces is no answer (the text is saved stripped)."""
    return DataRequired(message=message)


def _length(label: str, maximum: int) -> Length:
    return Length(max=maximum, message=f"{label} must be {maximum} characters or fewer")


class FamilyForm(FlaskForm):
    family_name = StringField("Family name", widget=GovTextInput(),
                              description="Used only inside this service, never in emails or invites.",
                              validators=[_text_required("Enter the family name"), _length("Family name", 200)])
    plan_type = RadioField("Plan type", widget=GovRadioInput(), choices=enum_choices(PlanType),
                           validators=[InputRequired(message="Select the plan type")])
    address = TextAreaField("Address", widget=GovTextArea(), validators=[Optional(), _length("Address", TEXT)])
    language = StringField("Main language spoken at home", widget=GovTextInput(),
                           validators=[Optional(), _length("Language", 100)])
    interpreter_needed = BooleanField("An interpreter is needed", widget=GovCheckboxInput())
    interpreter_notes = StringField("Interpreter needs", widget=GovTextInput(),
                                    description="For example, the language and whether a female interpreter is needed.",
                                    validators=[Optional(), _length("Interpreter needs", TEXT)])
    revision = HiddenField()
    submit = SubmitField("Save family", widget=GovSubmitInput())


class NewFamilyForm(FamilyForm):
    reason_for_sharing = TextAreaField(
        "Why you hold this family's records", widget=GovTextArea(),
        description="The lawful reason for sharing, e.g. 'Allocated social worker under a child in need plan'.",
        validators=[_text_required("Enter why you hold this family's records"),
                    _length("The reason", TEXT)])
    submit = SubmitField("Create family", widget=GovSubmitInput())


class CloseFamilyForm(FlaskForm):
    closed_on = GovDateField("Date closed", validators=[InputRequired(message="Enter the date the case closed")])
    reason = TextAreaField("Reason for closing", widget=GovTextArea(),
                           validators=[_text_required("Enter the reason for closing"), _length("Reason", TEXT)])
    submit = SubmitField("Close the family's record", widget=GovSubmitInput())

    def validate_closed_on(self, field):
        if field.data and field.data > today():
            raise ValidationError("Date closed cannot be in the future")


class ReopenFamilyForm(FlaskForm):
    reason = TextAreaField("Reason for reopening", widget=GovTextArea(),
                           validators=[_text_required("Enter the reason for reopening"), _length("Reason", TEXT)])
    submit = SubmitField("Reopen the family's record", widget=GovSubmitInput())


class ChildForm(FlaskForm):
    name = StringField("Child's full name", widget=GovTextInput(),
                       description="For an unborn baby, for example 'Unborn baby Smith'.",
                       validators=[_text_required("Enter the child's name"), _length("Name", 200)])
    born = RadioField("Has the child been born?", widget=GovRadioInput(),
                      choices=choices([("yes", "Yes"), ("no", "No, not yet (unborn)")]),
                      validators=[InputRequired(message="Select whether the child has been born")])
    date_of_birth = GovDateField("Date of birth", validators=[Optional()],
                                 description="For example, 27 3 2024")
    expected_due_date = GovDateField("Expected due date", validators=[Optional()],
                                     description="For an unborn baby, for example 14 7 2027")
    sex = RadioField("Sex", widget=GovRadioInput(), choices=enum_choices(Sex), default=Sex.NOT_KNOWN.name,
                     validators=[InputRequired(message="Select the child's sex, or 'Not known'")])
    nhs_number = StringField("NHS number (optional)", widget=GovTextInput(), description="10 digits, like 943 476 5919",
                             validators=[Optional(), _length("NHS number", 14)])
    school_or_setting = StringField("School, nursery or setting (optional)", widget=GovTextInput(),
                                    validators=[Optional(), _length("School or setting", 200)])
    on_plan = BooleanField("This child is on the family's plan", widget=GovCheckboxInput(), default=True)
    revision = HiddenField()
    submit = SubmitField("Save child", widget=GovSubmitInput())

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Which date is needed depends on the answer to "born?": checked here because Optional() on the
        # date fields would skip field-level checks of an empty date.
        if self.born.data == "yes":
            valid = self._check(self.date_of_birth, self._date_of_birth_error()) and valid
        elif self.born.data == "no":
            valid = self._check(self.expected_due_date, self._due_date_error()) and valid
        return valid

    @staticmethod
    def _check(field, error: str | None) -> bool:
        if error and not field.errors:
            field.errors = list(field.errors) + [error]
        return not field.errors

    def _date_of_birth_error(self) -> str | None:
        value = self.date_of_birth.data
        if value is None:
            return "Enter the date of birth"
        if value > today():
            return "Date of birth must be today or in the past"
        if value.year < 1990:
            return "Date of birth must be after 1990: this service is for children"
        return None

    def _due_date_error(self) -> str | None:
        value = self.expected_due_date.data
        if value is None:
            return "Enter the expected due date"
        past = int(current_app.config["DUE_DATE_PAST_DAYS"])
        ahead = int(current_app.config["DUE_DATE_AHEAD_DAYS"])
        if value < today() - timedelta(days=past):
            return (f"Expected due date is more than {past} days ago: if the baby has been born, select 'Yes' "
                    "and enter the date of birth")
        if value > today() + timedelta(days=ahead):
            return "Expected due date must be within the next 10 months"
        return None

    def validate_nhs_number(self, field):
        if field.data and not nhs_number_is_valid(field.data):
            raise ValidationError("Enter a valid NHS number: 10 digits whose last digit is the check digit, "
                                  "like 943 476 5919")


class MemberForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(), description="Leave empty if the name is not known.",
                       validators=[Optional(), _length("Name", 200)])
    description = StringField("Description, if the name is not known", widget=GovTextInput(),
                              description="For example, 'white man in his 30s, drives a red van, seen leaving at 8am'.",
                              validators=[Optional(), _length("Description", TEXT)])
    sex = RadioField("Sex", widget=GovRadioInput(), choices=enum_choices(Sex),
                     validators=[InputRequired(message="Select the person's sex, or 'Not known'")])
    presence = RadioField("Lives in or visits the home", widget=GovRadioInput(), choices=enum_choices(Presence),
                          validators=[InputRequired(message="Select whether the person lives in or visits the home")])
    parental_responsibility = RadioField("Parental responsibility", widget=GovRadioInput(),
                                         choices=enum_choices(YesNoUnknown), default=YesNoUnknown.NOT_KNOWN.name,
                                         validators=[InputRequired(message="Select whether they have parental responsibility")])
    source_kind = RadioField("How your agency knows of this person", widget=GovRadioInput(),
                             choices=choices([(SightingKind.SEEN.name, "Seen by a professional"),
                                              (SightingKind.TOLD_OF.name, "Told of (reported, not seen)")]),
                             validators=[InputRequired(message="Select whether the person was seen or reported")])
    source_note = StringField("Who reported them or where they were seen (optional)", widget=GovTextInput(),
                              description="For example, 'reported by a neighbour'.",
                              validators=[Optional(), _length("This", TEXT)])
    first_recorded_on = GovDateField("Date first known", validators=[Optional()],
                                     description="Leave empty for today.")
    concerns = SelectMultipleField("Known concerns", widget=GovCheckboxesInput(),
                                   choices=choices(CONCERNS.items()), validators=[Optional()])
    concern_notes = TextAreaField("Notes about the concerns", widget=GovTextArea(),
                                  validators=[Optional(), _length("Notes", LONG_TEXT)])
    same_person = RadioField("Is this someone already recorded?", widget=GovRadioInput(), validators=[Optional()],
                             choices=[])
    revision = HiddenField()
    submit = SubmitField("Save person", widget=GovSubmitInput())

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Checked here, not per field: Optional() on both fields would skip a field-level check.
        if not (self.name.data or "").strip() and not (self.description.data or "").strip():
            self.description.errors = list(self.description.errors) + [
                "Enter the person's name, or describe them if the name is not known"]
            return False
        return valid

    def validate_first_recorded_on(self, field):
        if field.data and field.data > today():
            raise ValidationError("Date first known cannot be in the future")


class SightingForm(FlaskForm):
    kind = RadioField("What do you know now?", widget=GovRadioInput(), choices=enum_choices(SightingKind),
                      validators=[InputRequired(message="Select whether the person was seen, told of or not seen")])
    seen_on = GovDateField("Date", validators=[InputRequired(message="Enter the date")])
    note = StringField("Note (optional)", widget=GovTextInput(), validators=[Optional(), _length("Note", TEXT)])
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_seen_on(self, field):
        if field.data and field.data > today():
            raise ValidationError("The date cannot be in the future")


class LeftForm(FlaskForm):
    left_on = GovDateField("Date they left", validators=[InputRequired(message="Enter the date they left")])
    revision = HiddenField()
    submit = SubmitField("Record that they left", widget=GovSubmitInput())

    def validate_left_on(self, field):
        if field.data and field.data > today():
            raise ValidationError("The date they left cannot be in the future")


class NetworkAddForm(FlaskForm):
    email = EmailField("Professional's email address", widget=GovTextInput(),
                       description="Their work email address. If they have no account yet, give their name and agency "
                                   "below: they are invited to this family's meetings only, and sent an email to sign in.",
                       validators=[InputRequired(message="Enter the professional's email address"),
                                   Email(message="Enter an email address in the correct format, like name@example.org"),
                                   _length("Email address", 254)])
    role = RadioField("Role in the network", widget=GovRadioInput(),
                      choices=choices([(r.name, r.value) for r in (NetworkRole.CHAIR, NetworkRole.MEMBER)]),
                      default=NetworkRole.MEMBER.name,
                      validators=[InputRequired(message="Select the role in the network")])
    reason = TextAreaField("Reason for sharing", widget=GovTextArea(),
                           description="Why this professional needs to see the family's records.",
                           validators=[_text_required("Enter the reason for sharing"), _length("Reason", TEXT)])
    # Only for a professional with no account yet (a partner invited by the lead).
    name = StringField("Their full name (if they have no account yet)", widget=GovTextInput(),
                       validators=[Optional(), _length("Name", 200)])
    agency_id = SelectField("Their agency (if they have no account yet)", widget=GovSelect(),
                            coerce=lambda value: int(value) if str(value or "").isdigit() else 0)
    job_title = StringField("Their job title (optional)", widget=GovTextInput(),
                            validators=[Optional(), _length("Job title", 200)])
    submit = SubmitField("Add to network", widget=GovSubmitInput())


class NetworkRemoveForm(FlaskForm):
    reason = TextAreaField("Reason for removing", widget=GovTextArea(),
                           validators=[_text_required("Enter the reason for removing them"),
                                       _length("Reason", TEXT)])
    submit = SubmitField("Remove from network", widget=GovSubmitInput())


class BreakGlassForm(FlaskForm):
    reason = TextAreaField("Why do you need to open this family's record?", widget=GovTextArea(),
                           description="This is recorded and shown to the family's lead professional.",
                           validators=[_text_required("Enter why you need to open this record"),
                                       Length(min=10, max=TEXT, message="Enter a reason of 10 to 500 characters")])
    submit = SubmitField("Open the record", widget=GovSubmitInput())


class HistoryForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    on = GovDateField("Show the household as it was on", validators=[InputRequired(message="Enter a date")])
    submit = SubmitField("Show", widget=GovSubmitInput())
