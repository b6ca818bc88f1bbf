from flask import current_app
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError


class SignInForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter your email address"),
                                   Length(max=254, message="Email address must be 254 characters or fewer")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired(message="Enter your password"),
                                         Length(max=200, message="Password must be 200 characters or fewer")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeRequestForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       description="We will email you a code to sign in with.",
                       validators=[InputRequired(message="Enter your email address"),
                                   Email(message="Enter an email address in the correct format, like name@example.org"),
                                   Length(max=254, message="Email address must be 254 characters or fewer")])
    submit = SubmitField("Email me a code", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField("Sign-in code", widget=GovTextInput(),
                       description="The 6-digit code in the email we sent you.",
                       validators=[InputRequired(message="Enter the code from the email"),
                                   Length(max=20, message="Enter the 6-digit code from the email")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code.description = (f"The 6-digit code in the email we sent you. It works once, for "
                                 f"{current_app.config['ONE_TIME_CODE_MINUTES']} minutes.")

    def validate_code(self, field):
        digits = "".join(ch for ch in field.data or "" if ch.isdigit())
        if len(digits) != 6:
            raise ValidationError("The code is 6 digits, like 123456")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter your email address"),
                                   Email(message="Enter an email address in the correct format, like name@example.org"),
                                   Length(max=254, message="Email address must be 254 characters or fewer")])
    submit = SubmitField("Send me a reset link", widget=GovSubmitInput())


def _password_length(form, field):
    """Between PASSWORD_MIN_LENGTH (a setting, as the CLI also enforces) and 200 characters."""
    low = current_app.config["PASSWORD_MIN_LENGTH"]
    if not low <= len(field.data or "") <= 200:
        raise ValidationError(f"Password must be between {low} and 200 characters")


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", widget=GovPasswordInput(),
                             validators=[InputRequired(message="Enter a new password"), _password_length])
    confirm = PasswordField("Confirm new password", widget=GovPasswordInput(),
                            validators=[InputRequired(message="Confirm your new password"),
                                        EqualTo("password", message="The passwords do not match")])
    submit = SubmitField("Save password", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.description = (f"At least {current_app.config['PASSWORD_MIN_LENGTH']} characters. "
                                     "A few unrelated words make a strong password.")


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: for POST-only actions such as signing out."""

    submit = SubmitField("Sign out", widget=GovSubmitInput())


def notification_form(kinds, chosen: dict, formdata=None):
    """One GOV.UK radios question per kind of notification: as it happens, or in the morning's digest."""
    from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
    from wtforms import RadioField

    from coordinator.forms import enum_choices
    from coordinator.notify.models import Delivery

    class NotificationForm(FlaskForm):
        submit = SubmitField("Save how you are told", widget=GovSubmitInput())

    for kind in kinds:
        setattr(NotificationForm, kind.name, RadioField(
            kind.label, widget=GovRadioInput(), choices=enum_choices(Delivery),
            default=chosen[kind.name].name, validators=[InputRequired(message=f"Choose how you are told: {kind.label.lower()}")]))
    return NotificationForm(formdata=formdata)
