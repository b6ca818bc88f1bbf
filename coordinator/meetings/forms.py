from __future__ import annotations

import re
from datetime import time

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
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from coordinator.forms import GovDateField, WholeNumberField, enum_choices
from coordinator.meetings.models import MeetingType, Recurrence, Response, SeriesEnd

TIME_RE = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$")


def parse_time(value: str | None) -> time | None:
    match = TIME_RE.match(value or "")
    return time(int(match.group(1)), int(match.group(2))) if match else None


class TimeField(StringField):
    """A wall-clock time typed as 24-hour HH:MM, e.g. 10:00 or 14:30."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("widget", GovTextInput())
        kwargs.setdefault("description", "Use the 24-hour clock, for example 10:00 or 14:30")
        super().__init__(label, validators, **kwargs)

    def process_data(self, value):
        self.data = value.strftime("%H:%M") if isinstance(value, time) else value

    @property
    def time(self) -> time | None:
        return parse_time(self.data)

    def pre_validate(self, form):
        if self.data and parse_time(self.data) is None:
            raise ValidationError(f"{self.label.text} must be a time like 10:00 or 14:30")


def _https(form, field):
    if field.data and not field.data.strip().lower().startswith("https://"):
        raise ValidationError("The joining link must start with https://")


class ScheduleForm(FlaskForm):
    meeting_type = RadioField("Type of meeting", widget=GovRadioInput(), choices=enum_choices(MeetingType),
                              validators=[InputRequired(message="Select the type of meeting")])
    first_date = GovDateField("Date of the first meeting", validators=[InputRequired(message="Enter the date of the first meeting")],
                              description="For example, 12 1 2027. Later meetings fall on the same weekday.")
    start_time = TimeField("Start time", validators=[InputRequired(message="Enter the start time")])
    duration_minutes = WholeNumberField("Duration in minutes", widget=GovTextInput(),
                                    validators=[InputRequired(message="Enter how long the meeting lasts, in minutes"),
                                                NumberRange(min=1, max=24 * 60, message="Duration must be between 1 minute and 24 hours (1440 minutes)")])
    recurrence = RadioField("How it repeats", widget=GovRadioInput(), choices=enum_choices(Recurrence),
                            default=Recurrence.WEEKLY.name,
                            validators=[InputRequired(message="Select how the meeting repeats")])
    interval = WholeNumberField("Every how many weeks (or months, for monthly meetings)", widget=GovTextInput(),
                            validators=[InputRequired(message="Enter how often the meeting repeats"),
                                        NumberRange(min=1, max=52, message="How often must be between 1 and 52")])
    end_kind = RadioField("When the series ends", widget=GovRadioInput(), choices=enum_choices(SeriesEnd),
                          default=SeriesEnd.NEVER.name,
                          validators=[InputRequired(message="Select when the series ends")])
    until_date = GovDateField("Date of the last meeting", validators=[Optional()])
    count = WholeNumberField("Number of meetings", widget=GovTextInput(),
                         validators=[Optional(), NumberRange(min=1, max=200, message="The number of meetings must be between 1 and 200")])
    location = StringField("Place", widget=GovTextInput(), description="For example, Demotown Family Centre, room 2.",
                           validators=[Optional(), Length(max=300, message="Place must be 300 characters or fewer")])
    online_link = StringField("Online joining link", widget=GovTextInput(),
                              description="A link starting with https://",
                              validators=[Optional(), Length(max=500, message="The link must be 500 characters or fewer"), _https])
    revision = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.end_kind.data == SeriesEnd.ON_DATE.name and not self.until_date.data and not self.until_date.errors:
            self.until_date.errors = ["Enter the date of the last meeting"]
            valid = False
        if self.end_kind.data == SeriesEnd.AFTER_COUNT.name and self.count.data is None and not self.count.errors:
            self.count.errors = ["Enter the number of meetings"]
            valid = False
        if not (self.location.data or "").strip() and not (self.online_link.data or "").strip():
            self.location.errors = list(self.location.errors) + ["Enter a place, a joining link, or both"]
            valid = False
        return valid


class SeriesForm(ScheduleForm):
    chair_id = SelectField("Chair", widget=GovSelect(), coerce=int,
                           validators=[InputRequired(message="Select the chair")])
    minute_taker_id = SelectField("Minute-taker", widget=GovSelect(), coerce=int, validators=[Optional()])
    invitee_ids = SelectMultipleField("Invite from the family's network", widget=GovCheckboxesInput(), coerce=int,
                                      validators=[Optional()])
    external_emails = TextAreaField("Invite other professionals by email", widget=GovTextArea(),
                                    description="One email address per line. They will see this family's meetings only.",
                                    validators=[Optional(), Length(max=5000, message="List at most 5000 characters of addresses")])


class InviteesForm(FlaskForm):
    invitee_ids = SelectMultipleField("Invited from the family's network", widget=GovCheckboxesInput(), coerce=int,
                                      validators=[Optional()])
    external_emails = TextAreaField("Other professionals invited by email", widget=GovTextArea(),
                                    description="One email address per line.",
                                    validators=[Optional(), Length(max=5000, message="List at most 5000 characters of addresses")])
    revision = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ExtraForm(FlaskForm):
    new_date = GovDateField("New date", validators=[InputRequired(message="Enter the new date")])
    new_time = TimeField("New start time", validators=[InputRequired(message="Enter the new start time")])
    duration_minutes = WholeNumberField("Duration in minutes", widget=GovTextInput(),
                                    validators=[InputRequired(message="Enter how long the meeting lasts, in minutes"),
                                                NumberRange(min=1, max=24 * 60, message="Duration must be between 1 minute and 24 hours (1440 minutes)")])
    location = StringField("Place (if different)", widget=GovTextInput(),
                           validators=[Optional(), Length(max=300, message="Place must be 300 characters or fewer")])
    online_link = StringField("Online joining link (if different)", widget=GovTextInput(),
                              validators=[Optional(), Length(max=500, message="The link must be 500 characters or fewer"), _https])
    revision = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class MoveForm(ExtraForm):
    reason = TextAreaField("Reason for the move (optional)", widget=GovTextArea(),
                           description="This is sent to everyone invited. Do not include names or details about the family.",
                           validators=[Optional(), Length(max=500, message="Reason for the move must be 500 characters or fewer")])


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason for cancelling", widget=GovTextArea(),
                           validators=[InputRequired(message="Enter the reason for cancelling"),
                                       Length(max=500, message="Reason must be 500 characters or fewer")])
    revision = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EndForm(FlaskForm):
    revision = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ResponseForm(FlaskForm):
    response = RadioField("Your answer", widget=GovRadioInput(), choices=enum_choices(Response),
                          validators=[InputRequired(message="Select your answer")])
    reason = StringField("Reason (optional)", widget=GovTextInput(),
                         validators=[Optional(), Length(max=500, message="Reason must be 500 characters or fewer")])
    deputy_name = StringField("Deputy's name", widget=GovTextInput(),
                              validators=[Optional(), Length(max=200, message="Name must be 200 characters or fewer")])
    deputy_email = StringField("Deputy's email address", widget=GovTextInput(),
                               validators=[Optional(), Length(max=254, message="Email must be 254 characters or fewer")])
    submit = SubmitField("Send answer", widget=GovSubmitInput())

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.response.data == Response.DEPUTY.name and not (self.deputy_name.data or "").strip():
            self.deputy_name.errors = list(self.deputy_name.errors) + ["Enter the name of the deputy you are sending"]
            valid = False
        return valid

