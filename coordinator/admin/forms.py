from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
)

from coordinator.agencies.models import AgencyKind
from coordinator.auth.models import Role
from coordinator.forms import GovDateField, enum_choices


class AgencyForm(FlaskForm):
    name = StringField("Agency name", widget=GovTextInput(),
                       # DataRequired, not InputRequired: a name of only spaces is no name.
                       validators=[DataRequired(message="Enter the agency's name"),
                                   Length(max=200, message="Agency name must be 200 characters or fewer")])
    kind = SelectField("Kind of agency", widget=GovSelect(),
                       choices=enum_choices(AgencyKind),
                       validators=[InputRequired(message="Select the kind of agency")])
    secure_email_domain = StringField(
        "Secure email domain", widget=GovTextInput(), description="For example, nhs.net. Leave empty if none.",
        validators=[Optional(), Length(max=200, message="Domain must be 200 characters or fewer"),
                    Regexp(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$", message="Enter a domain like nhs.net, without @")])
    active = BooleanField("Active", widget=GovCheckboxInput(), default=True)
    revision = HiddenField()
    submit = SubmitField("Save agency", widget=GovSubmitInput())


class UserForm(FlaskForm):
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[DataRequired(message="Enter the person's full name"),
                                   Length(max=200, message="Name must be 200 characters or fewer")])
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter an email address"),
                                   Email(message="Enter an email address in the correct format, like name@example.org"),
                                   Length(max=254, message="Email address must be 254 characters or fewer")])
    job_title = StringField("Job title", widget=GovTextInput(),
                            validators=[Optional(), Length(max=200, message="Job title must be 200 characters or fewer")])
    agency_id = SelectField("Agency", widget=GovSelect(), coerce=int,
                            validators=[InputRequired(message="Select the person's agency")])
    # A new user starts with the least privileged role: making someone an administrator is a choice made
    # on purpose, never a default left unchanged.
    role = SelectField("Role", widget=GovSelect(), choices=enum_choices(Role), default=Role.PRACTITIONER.name,
                       validators=[InputRequired(message="Select a role")])
    active = BooleanField("Active (can sign in)", widget=GovCheckboxInput(), default=True)
    send_invite = BooleanField("Email an invitation to set a password or sign in with a code",
                               widget=GovCheckboxInput(), default=True)
    revision = HiddenField()
    submit = SubmitField("Save user", widget=GovSubmitInput())


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: changes nothing

    user = StringField("User's email", widget=GovTextInput(), validators=[Optional(), Length(max=254)])
    family = StringField("Family ID", widget=GovTextInput(), validators=[Optional(), Length(max=20)])
    start = GovDateField("From", validators=[Optional()], formats=("%d %m %Y", "%Y-%m-%d"))
    end = GovDateField("To", validators=[Optional()], formats=("%d %m %Y", "%Y-%m-%d"))
    submit = SubmitField("Filter", widget=GovSubmitInput())

