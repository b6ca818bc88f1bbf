"""Helpers for the meetings tests: posting forms as a browser would (CSRF token and hidden revision
included), answering the confirmation page, counting rows, dates that suit the tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from coordinator.extensions import db
from tests.conftest import csrf_from  # noqa: F401  (re-exported for the tests)
from tests.families.conftest import World
from tests.families.helpers import Page, assert_form_error, date_fields, shown_values
from tests.support.people import signed_in  # noqa: F401  (re-exported for the suite)

EXTERNAL = "gp.reception@surgery.test"


@dataclass
class Network:
    world: World
    school: object  # a third network member (a school), not invited to the world's series

    @property
    def family(self):
        return self.world.family

    @property
    def ref(self) -> str:
        return self.world.family.reference




# --- dates ------------------------------------------------------------------------------------------------

def today() -> date:
    from coordinator.timeutil import today as local_today

    return local_today()


def next_weekday(weekday: int, *, after_days: int = 7) -> date:
    """The first given weekday (0 = Monday) at least ``after_days`` days from today."""
    day = today() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def next_weekday_bank_holiday(*, after_days: int = 2, within_days: int = 300) -> date:
    """The next bank holiday in England and Wales that falls on a weekday, as the holidays library has it."""
    from coordinator.meetings.workdays import bank_holiday_name

    for n in range(after_days, within_days):
        day = today() + timedelta(days=n)
        if day.weekday() < 5 and bank_holiday_name(day):
            return day
    raise AssertionError("no weekday bank holiday in range")


def next_spring_forward_sunday() -> date:
    """The next Sunday the clocks go forward in the UK (the last Sunday of March): 28 March 2027 as of
    writing."""
    year = today().year
    while True:
        last = date(year, 3, 31)
        sunday = last - timedelta(days=(last.weekday() - 6) % 7)
        if sunday > today() + timedelta(days=1):
            return sunday
        year += 1


def local(instant: datetime) -> datetime:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo("Europe/London"))


def dmy(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


# --- forms ------------------------------------------------------------------------------------------------

def series_data(first_date: date, *, chair, minute_taker=None, invitees=(), external: str = "",
                **overrides) -> dict:
    """The 'Set up a meeting series' form as a person fills it in."""
    data = {
        "meeting_type": "PROFESSIONALS",
        "start_time": "10:00",
        "duration_minutes": "90",
        "recurrence": "WEEKLY",
        "interval": "6",
        "end_kind": "NEVER",
        "location": "Family centre, room 2",
        "online_link": "https://meet.example.org/harrow",
        "chair_id": str(chair.id),
        "minute_taker_id": str(minute_taker.id if minute_taker else 0),
        "invitee_ids": [str(u.id) for u in invitees],
        "external_emails": external,
    }
    data.update(date_fields("first_date", first_date))
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def move_data(new_date: date, new_time: str = "14:00", *, duration: str = "90", location: str = "",
              online_link: str = "") -> dict:
    data = {"new_time": new_time, "duration_minutes": duration, "location": location, "online_link": online_link}
    data.update(date_fields("new_date", new_date))
    return data


def open_form(client, url: str) -> Page:
    page = Page(client.get(url))
    assert page.status_code == 200, page.status_code
    return page


def form_fields(page: Page) -> MultiDict:
    """What a browser would send from the page's (first posting) form: its hidden inputs, text inputs,
    checked boxes and selected options. Used to keep a form's hidden revision as the page had it."""
    form = next(f for f in page.find_all("form") if f.attrs.get("method", "").lower() == "post")
    fields = MultiDict()
    for node in form.iter():
        name = node.attrs.get("name")
        if not name:
            continue
        if node.tag == "input" and node.attrs.get("type") in ("radio", "checkbox"):
            if "checked" in node.attrs:
                fields.add(name, node.attrs.get("value", "on"))
        elif node.tag == "input" and node.attrs.get("type") not in ("submit", "button"):
            fields.add(name, node.attrs.get("value", ""))
        elif node.tag == "textarea":
            fields.add(name, "".join(c for c in node.children if isinstance(c, str)).lstrip("\n"))
        elif node.tag == "select":
            chosen = [o for o in node.find_all("option") if "selected" in o.attrs]
            if chosen:
                fields.add(name, chosen[0].attrs.get("value"))
    return fields


def post_from(client, url: str, page: Page, data: dict):
    """Post ``data`` on top of what the already-open ``page``'s form holds (its CSRF token and revision)."""
    fields = form_fields(page)
    for key, value in data.items():
        if isinstance(value, list):
            fields.setlist(key, value)
        else:
            fields[key] = value
    return client.post(url, data=fields)


def post(client, url: str, data: dict):
    """Open the form page and post ``data`` with its CSRF token and hidden fields (the revision)."""
    return post_from(client, url, open_form(client, url), data)


def is_confirmation(page: Page) -> bool:
    return bool(page.find_all("button", name="notify"))


def press(client, url: str, confirmation: Page, notify: str):
    """Press 'Save and send updates' (yes) or 'Save without sending updates' (no) on a confirmation page:
    the browser posts the page's hidden fields (the form replayed, with a fresh CSRF token) and the button."""
    assert is_confirmation(confirmation), confirmation.text[:2000]
    values = {b.attrs.get("value") for b in confirmation.find_all("button", name="notify")}
    assert values == {"yes", "no"}, values
    form = next(f for f in confirmation.find_all("form") if f.find("button", name="notify"))
    fields = MultiDict()
    for node in form.find_all("input"):
        if node.attrs.get("type") == "hidden":
            fields.add(node.attrs["name"], node.attrs.get("value", ""))
    fields["notify"] = notify
    return client.post(url, data=fields)


def save(client, url: str, data: dict, notify: str = "yes", *, page: Page | None = None):
    """Fill in and post a change, then answer its confirmation page. Returns the final response (a
    redirect when saved; the form with its errors when refused at either step)."""
    first = post_from(client, url, page, data) if page is not None else post(client, url, data)
    shown = Page(first)
    if first.status_code == 200 and is_confirmation(shown):
        return press(client, url, shown, notify)
    return first


# --- the database -----------------------------------------------------------------------------------------

def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def meeting_counts() -> dict[str, int]:
    """Rows that a refused meetings form must not change."""
    from coordinator.auth.models import User
    from coordinator.families.models import NetworkMembership
    from coordinator.meetings.models import InvitationResponse, Invitee, MeetingSeries, Occurrence
    from coordinator.notify.models import OutboxMessage

    return {m.__tablename__: count(m) for m in (MeetingSeries, Occurrence, Invitee, InvitationResponse,
                                                OutboxMessage, User, NetworkMembership)}


def outbox() -> list:
    from coordinator.notify.models import OutboxMessage

    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def assert_refused(client, url: str, data: dict, message: str, field_id: str | None, *,
                   kept: dict | None = None) -> Page:
    """Post ``data``: the form comes back with a GOV.UK error summary, keeps what was typed, writes nothing."""
    before = meeting_counts()
    page = Page(post(client, url, data))
    assert not is_confirmation(page), "refused input reached the confirmation page"
    assert_form_error(page, message, field_id)
    for name, expected in (kept or {}).items():
        if isinstance(expected, list):
            assert shown_values(page, name) == expected, (name, shown_values(page, name))
        else:
            assert page.value(name) == expected, (name, page.value(name))
    assert meeting_counts() == before
    return page


def create_series(world, first_date: date, *, meeting_type=None, interval: int = 6, end_kind=None,
                  count: int | None = None, invitees=None, start: time = time(10, 0)):
    """A series set up through the service (no emails), for tests about what follows."""
    from coordinator.meetings import services
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

    schedule = services.Schedule(meeting_type or MeetingType.PROFESSIONALS, first_date, start, 90,
                                 Recurrence.WEEKLY, interval, end_kind or SeriesEnd.NEVER, count=count,
                                 location="Family centre")
    series = services.create_series(world.family, schedule, actor=world.lead, chair=world.lead, minute_taker=None,
                                    invitees=[world.member] if invitees is None else invitees, notify=False)
    db.session.commit()
    return series


def shift_into_past(series, days: int) -> None:
    """Move a whole series ``days`` earlier, directly in the database (first date and every meeting row),
    so that it has meetings in the past: the application refuses to create meetings in the past."""
    series.first_date -= timedelta(days=days)
    for occurrence in series.occurrences:
        occurrence.original_start -= timedelta(days=days)
        occurrence.starts_at -= timedelta(days=days)
        occurrence.ends_at -= timedelta(days=days)
    db.session.commit()
