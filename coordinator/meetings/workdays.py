"""Working days: weekdays that are not bank holidays in England and Wales (the `holidays` library keeps
the list, including substitute days)."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from flask import current_app, has_app_context


def _region() -> tuple[str, str]:
    if has_app_context():
        return current_app.config["BANK_HOLIDAY_COUNTRY"], current_app.config["BANK_HOLIDAY_SUBDIVISION"]
    return "GB", "ENG"


@lru_cache(maxsize=64)
def _bank_holidays(country: str, subdivision: str, year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(country, subdiv=subdivision, years=year).items())


def bank_holiday_name(day: date) -> str | None:
    return _bank_holidays(*_region(), day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and bank_holiday_name(day) is None


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (before it when negative)."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    current = day
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n)))
