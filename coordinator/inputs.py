"""What reaches the application from a request is made safe to store before any view sees it.

- **Ids in paths** (``<int:...>``) are the database's integers: a number beyond them matches no route
  (404), rather than reaching the database and failing there; text in paths has no control characters.
- **Control characters** in every query and form value (NUL, escape sequences, the C1 block; not tab,
  new line or carriage return) are removed: they have no place in any field, PostgreSQL refuses NUL, and
  mail and calendar files must not carry them. Removing them loses nothing anyone typed.
"""
from __future__ import annotations

import re

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter

LARGEST_ID = 2**31 - 1  # PostgreSQL's integer; SQLite's is larger
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_control_characters(value: str) -> str:
    return _CONTROL.sub("", value)


class DatabaseId(IntegerConverter):
    """``<int:...>`` in every route: 0 to LARGEST_ID."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = LARGEST_ID,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class PlainText(UnicodeConverter):
    """``<...>`` and ``<string:...>`` in every route: no control characters (a NUL would reach the database,
    which refuses it); such a path matches no route (404)."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = None, length: int | None = None) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\x00-\x1f\x7f-\x9f]")


class CleanParameters(ImmutableMultiDict):
    """Query and form values (and names) without control characters."""

    def __init__(self, mapping=None):
        if mapping is not None:
            pairs = MultiDict(mapping).items(multi=True)
            mapping = [(without_control_characters(k), without_control_characters(v) if isinstance(v, str) else v)
                       for k, v in pairs]
        super().__init__(mapping)


class CleanRequest(Request):
    parameter_storage_class = CleanParameters


def bounded_int(value: str | None, default: int, *, low: int = 1, high: int = LARGEST_ID) -> int:
    """A number from a query parameter, within [low, high]; the default when it is not a number."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return min(max(low, number), high)


def init_app(app) -> None:
    app.request_class = CleanRequest
    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["default"] = app.url_map.converters["string"] = PlainText
