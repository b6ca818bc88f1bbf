from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField
from wtforms.validators import Optional

from coordinator.forms import GovDateField, choices
from coordinator.oversight.measures import BY, MAX_PERIOD_DAYS


class PeriodForm(FlaskForm):
    """The period and grouping of the partnership's measures: a GET form that changes nothing."""

    class Meta:
        csrf = False

    start = GovDateField("From", validators=[Optional()])
    end = GovDateField("To", validators=[Optional()])
    by = RadioField("Show the measures by", widget=GovRadioInput(), choices=choices(BY.items()), default="agency",
                    validators=[Optional()])
    submit = SubmitField("Show the measures", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.start.data and self.end.data:
            if self.end.data < self.start.data:
                self.end.errors.append("The end of the period must be on or after its start")
                valid = False
            elif (self.end.data - self.start.data).days > MAX_PERIOD_DAYS:
                self.end.errors.append("Choose a period of three years or less")
                valid = False
        if self.by.data not in BY:
            self.by.data = "agency"
        return valid
