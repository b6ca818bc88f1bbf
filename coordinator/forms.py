"""Small helpers shared by every area's forms."""
from __future__ import annotations

import enum
from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def enum_choices(enum_class: type[enum.Enum]) -> list[SelectChoice]:
    """An enum's members as choices: the member name is sent, its value is shown."""
    return [SelectChoice(member.name, member.value) for member in enum_class]


from govuk_frontend_wtf.wtforms_widgets import GovDateInput  # noqa: E402


class DateInput(GovDateInput):
    """GOV.UK's day/month/year date input that also copes with a form built from a query string that
    has no date in it (the library expects exactly three raw values)."""

    def map_gov_params(self, field, **kwargs):
        if field.raw_data is not None and len(field.raw_data) != 3:
            field.raw_data = None
        return super().map_gov_params(field, **kwargs)


from wtforms import DateField  # noqa: E402


class GovDateField(DateField):
    """A day/month/year date field with GOV.UK-style messages."""

    def __init__(self, label=None, validators=None, *, invalid_message: str | None = None, **kwargs):
        kwargs.setdefault("widget", DateInput())
        super().__init__(label, validators, format=["%d %m %Y"],
                         invalid_value_message=invalid_message or f"{label} must be a real date, like 27 3 2024",
                         **kwargs)


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
