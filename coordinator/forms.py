"""Small helpers shared by every area's forms."""
from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TypeVar

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def enum_choices(enum_class: type[enum.Enum]) -> list[SelectChoice]:
    """An enum's members as choices: the member name is sent, its value is shown."""
    return [SelectChoice(member.name, member.value) for member in enum_class]


from govuk_frontend_wtf.wtforms_widgets import GovDateInput  # noqa: E402

from coordinator.inputs import LARGEST_ID  # noqa: E402
from coordinator.timeutil import long_date  # noqa: E402


class DateInput(GovDateInput):
    """GOV.UK's day/month/year date input that also copes with a form built from a query string that
    has no date in it (the library expects exactly three raw values)."""

    def map_gov_params(self, field, **kwargs):
        if field.raw_data is not None and len(field.raw_data) != 3:
            field.raw_data = None
        return super().map_gov_params(field, **kwargs)


from wtforms import DateField  # noqa: E402
from wtforms.validators import StopValidation  # noqa: E402

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100  # dates anyone here has reason to enter (dates of birth to reviews)


class GovDateField(DateField):
    """A day/month/year date field with GOV.UK-style messages, within EARLIEST_YEAR to LATEST_YEAR (a
    year like 9999 is a typing slip, and sums on it overflow)."""

    def __init__(self, label=None, validators=None, *, invalid_message: str | None = None,
                 formats: tuple[str, ...] = ("%d %m %Y",), **kwargs):
        kwargs.setdefault("widget", DateInput())
        super().__init__(label, validators, format=list(formats),
                         invalid_value_message=invalid_message or f"{label} must be a real date, like 27 3 2024",
                         **kwargs)

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.data is not None and not EARLIEST_YEAR <= self.data.year <= LATEST_YEAR:
            raise StopValidation(f"{self.label.text} must be between {EARLIEST_YEAR} and {LATEST_YEAR}")


from wtforms import IntegerField  # noqa: E402


class WholeNumberField(IntegerField):
    """A whole number with a GOV.UK-style message when something else is typed."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in (None, ""):
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a whole number, like 4") from None
        if abs(self.data) > LARGEST_ID:  # beyond what the database stores
            self.data = None
            raise ValueError(f"{self.label.text} is too large")


# --- a save that lost a race: what is saved now, beside what the person typed ---------------------------

def form_revision(value) -> int:
    """The revision a form was opened at, from its hidden field; a missing or tampered value matches no
    saved revision, so the save is refused as stale."""
    if value in (None, ""):
        return -1
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


from dataclasses import dataclass  # noqa: E402
from datetime import date  # noqa: E402

from wtforms import Form  # noqa: E402

NOT_COMPARED = {"CSRFTokenField", "HiddenField", "SubmitField"}


@dataclass(frozen=True)
class Difference:
    """One question whose saved answer differs from the one in the form."""

    name: str
    label: str
    saved: str
    yours: str


def shown_value(field, value) -> str:
    """A field's value as a person reads it: the label of a chosen option, a date in words, Yes or No."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return long_date(value)
    labels = {str(choice[0]): str(choice[1]) for choice in _choice_pairs(field)}
    if isinstance(value, (list, tuple)):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


def _choice_pairs(field):
    for choice in getattr(field, "choices", None) or []:
        if isinstance(choice, SelectChoice):
            yield choice.value, choice.label
        elif isinstance(choice, (list, tuple)) and len(choice) >= 2:
            yield choice[0], choice[1]


def differences(yours: Form, saved: Form, only: Iterable[str] | None = None, label=None) -> list[Difference]:
    """The questions where ``yours`` (the form as posted) and ``saved`` (the same form built from the record
    as it is now) differ, in the order of the form. ``label(field)`` names a question whose own label is
    not enough on its own (one of several "Name" fields, say)."""
    wanted = set(only) if only is not None else None
    rows = []
    for field in yours:
        if field.type in NOT_COMPARED or (wanted is not None and field.name not in wanted):
            continue
        other = saved._fields.get(field.name) if hasattr(saved, "_fields") else None
        if other is None:
            continue
        mine, theirs = shown_value(field, field.data), shown_value(other, other.data)
        if mine != theirs:
            rows.append(Difference(field.name, label(field) if label else str(field.label.text), theirs, mine))
    return rows


from flask_wtf import FlaskForm  # noqa: E402
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput  # noqa: E402
from wtforms import SubmitField  # noqa: E402


class ButtonForm(FlaskForm):
    """A form that is only a button: its CSRF token is all it carries."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


T = TypeVar("T")


def answered(value: T | None) -> T:
    """A field's value that validation has made sure of (InputRequired): typed as present."""
    if value is None:
        raise ValueError("a required answer is missing: the form should not have validated")
    return value
