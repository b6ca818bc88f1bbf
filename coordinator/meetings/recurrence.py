"""Recurrence: expanded with dateutil on naive wall-clock times, then placed in the series' zone, so a
10:00 meeting stays at 10:00 when the clocks change. A wall-clock time that does not exist (in the hour
the clocks go forward) is refused; one that happens twice (the hour they go back) is the first of the two,
as RFC 5545 says."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil import rrule

from coordinator.timeutil import long_date

WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DATEUTIL_WEEKDAYS = [rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU]


class NonexistentLocalTime(ValueError):
    def __init__(self, when: datetime, zone: str):
        self.when = when
        super().__init__(
            f"{when.strftime('%H:%M')} does not exist on {long_date(when.date())} in {zone}: the clocks go "
            "forward that night. Choose another time.")


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``zone`` as a UTC instant; refuses a time the clocks skip."""
    aware = local.replace(tzinfo=zone, fold=0)
    instant = aware.astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) != local:
        raise NonexistentLocalTime(local, zone.key)
    return instant


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def nth_of_month(day: date) -> int:
    """Which weekday of its month a date is: 1-4, or -1 for a fifth one (the last), which not every month has."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


@dataclass(frozen=True)
class Rule:
    """What a series' recurrence says, independent of storage."""

    kind: str  # WEEKLY, MONTHLY_WEEKDAY, MONTHLY_DATE
    interval: int
    first_date: date
    start_time: time
    zone: str
    until_date: date | None = None
    count: int | None = None

    @property
    def dtstart(self) -> datetime:
        return datetime.combine(self.first_date, self.start_time)

    @property
    def until_local(self) -> datetime | None:
        return datetime.combine(self.until_date, time(23, 59, 59)) if self.until_date else None

    @property
    def until_utc(self) -> datetime | None:
        """UNTIL in UTC: the end of the last day, in the series' zone."""
        until = self.until_local
        if until is None:
            return None
        return until.replace(tzinfo=ZoneInfo(self.zone)).astimezone(timezone.utc)

    def dateutil_rule(self) -> rrule.rrule:
        kwargs = dict(dtstart=self.dtstart, interval=self.interval, count=self.count, until=self.until_local)
        weekday = DATEUTIL_WEEKDAYS[self.first_date.weekday()]
        if self.kind == "WEEKLY":
            return rrule.rrule(rrule.WEEKLY, byweekday=weekday, **kwargs)
        if self.kind == "MONTHLY_WEEKDAY":
            return rrule.rrule(rrule.MONTHLY, byweekday=weekday(nth_of_month(self.first_date)), **kwargs)
        return rrule.rrule(rrule.MONTHLY, bymonthday=self.first_date.day, **kwargs)

    def ical_rrule(self) -> dict:
        """The RRULE as icalendar wants it; UNTIL in UTC, as RFC 5545 requires with a TZID'd DTSTART."""
        code = WEEKDAY_CODES[self.first_date.weekday()]
        value: dict = {"freq": "WEEKLY" if self.kind == "WEEKLY" else "MONTHLY", "interval": self.interval}
        if self.kind == "WEEKLY":
            value["byday"] = code
        elif self.kind == "MONTHLY_WEEKDAY":
            value["byday"] = f"{nth_of_month(self.first_date)}{code}"
        else:
            value["bymonthday"] = self.first_date.day
        if self.count:
            value["count"] = self.count
        elif self.until_date:
            value["until"] = self.until_utc
        return value

    def local_starts(self, until: datetime | None = None):
        """Naive wall-clock starts, in order, up to ``until`` (naive local) if given."""
        for start in self.dateutil_rule():
            if until is not None and start > until:
                return
            yield start

    def starts_between(self, start_utc: datetime, end_utc: datetime) -> list[datetime]:
        """UTC instants of the rule's meetings in [start_utc, end_utc)."""
        zone = ZoneInfo(self.zone)
        local_end = end_utc.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
        result = []
        for local in self.local_starts(until=local_end):
            instant = to_utc(local, zone)
            if start_utc <= instant < end_utc:
                result.append(instant)
        return result

    def first_nonexistent(self, horizon_utc: datetime) -> NonexistentLocalTime | None:
        zone = ZoneInfo(self.zone)
        local_end = horizon_utc.astimezone(zone).replace(tzinfo=None)
        for local in self.local_starts(until=local_end):
            try:
                to_utc(local, zone)
            except NonexistentLocalTime as problem:
                return problem
        return None
