"""Time: instants are stored in UTC; wall-clock times are shown in the configured zone."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import overload
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy.types import DateTime, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored instant as an aware UTC time: values read around the column type (SQLite's aggregates,
    raw rows) come back naive."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def local_zone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Europe/London"
    return ZoneInfo(name)


def to_local(instant: datetime | None) -> datetime | None:
    if instant is None:
        return None
    return instant.astimezone(local_zone())


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime in Python, stored as naive UTC on every database.

    SQLite keeps no zone and PostgreSQL's ``timestamptz`` round-trips in the session zone; storing naive
    UTC and re-attaching UTC on load gives the same aware values on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def today() -> date:
    """Today in the service's zone (Europe/London by default), not the machine's."""
    return utcnow().astimezone(local_zone()).date()


# --- how dates and times are shown: one way everywhere ("Tuesday 8 December 2026", "10:00") --------------

def long_date(value: date | datetime | str | None) -> str:
    """A day as people write it: "Tuesday 8 December 2026". An instant is shown on its local day; a day kept
    as text in a document ("2026-12-08") reads the same."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        if not is_iso_date(value):
            return value
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = as_utc(value).astimezone(local_zone())
    return value.strftime("%A %-d %B %Y")


def time_of_day(value: datetime | None) -> str:
    """A local wall-clock time, 24-hour: "10:00"."""
    if value is None:
        return ""
    return as_utc(value).astimezone(local_zone()).strftime("%H:%M")


def date_and_time(instant: datetime | None) -> str:
    """An instant in local time: "Tuesday 8 December 2026 at 10:00"."""
    if instant is None:
        return ""
    return f"{long_date(instant)} at {time_of_day(instant)}"


def is_iso_date(value: object) -> bool:
    """Whether a value is a day kept as text ("2026-12-08"), as submitted documents keep their dates."""
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
