"""Fixtures and helpers for the agency-update tests.

The family, its lead (the chair of its series) and the health visitor come from the families tests'
``world`` fixture. ``team`` adds a school and a police officer to the network and to the series, and a
father nobody has seen. ``clock`` runs the application at a chosen instant, for the scheduler tests whose
meetings are on fixed calendar dates.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from tests.families.conftest import World, act_as, world  # noqa: F401  (the fixture, re-used here)
from tests.families.helpers import Page, field_names, form_payload
from tests.support.people import signed_in  # noqa: F401  (re-exported for the suite)

# --- the people ---------------------------------------------------------------------------------------

@dataclass
class Team:
    world: World
    school: object  # Oakfield Primary's designated safeguarding lead, in the network and invited
    police: object  # a police officer, in the network and invited
    father: object  # Ruby's father, told of, never seen

    def __getattr__(self, name):
        return getattr(self.world, name)


@pytest.fixture
def team(world, make_user):  # noqa: F811
    from coordinator.families import services
    from coordinator.families.models import NetworkRole, Presence, Relationship, Sex, SightingKind
    from coordinator.meetings import services as meetings

    school = make_user("dsl@school.test", "Sam School", agency_name="Oakfield Primary")
    police = make_user("pc@police.test", "Pip Constable", agency_name="Police")
    for user, reason in ((school, "Designated safeguarding lead"), (police, "Safeguarding unit")):
        services.add_to_network(world.family, user, NetworkRole.MEMBER, reason=reason, actor=world.lead)
    father = services.add_member(world.family, actor=world.lead, relationships={world.child.id: Relationship.FATHER},
                                 name="Dean Carter", sex=Sex.MALE, presence=Presence.VISITS,
                                 source_kind=SightingKind.TOLD_OF, source_agency_id=world.lead.agency_id)
    meetings.set_invitees(world.series, [world.lead, world.member, school, police], actor=world.lead)
    db.session.commit()
    return Team(world, school, police, father)




# --- requests -----------------------------------------------------------------------------------------

def first_meeting(world):  # noqa: F811
    db.session.expire_all()
    return world.series.occurrences[0]


def send_requests(world):  # noqa: F811
    """The scheduler's update job, now: the world's first meeting (in 7 days) is past its send date, so
    every invited agency is asked at once. Returns {agency name: request}."""
    from coordinator.submissions.models import SubmissionRequest
    from coordinator.submissions.services import run_requests
    from coordinator.timeutil import utcnow

    run_requests(utcnow())
    occurrence = first_meeting(world)
    rows = db.session.scalars(select(SubmissionRequest).where(SubmissionRequest.occurrence_id == occurrence.id)).all()
    return {r.agency.name: r for r in rows}


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def update_url(world, request) -> str:  # noqa: F811
    return f"/families/{world.family.reference}/updates/{request.id}"


def pack_url(world, occurrence) -> str:  # noqa: F811
    return f"/families/{world.family.reference}/meetings/{occurrence.id}/pack"


def after_deadline(monkeypatch, request, hours: int = 1) -> datetime:
    """Run the updates area as if it were ``hours`` after the request's deadline (the end of its day)."""
    from coordinator import timeutil
    from coordinator.submissions import services

    moment = services.end_of(request.deadline).astimezone(timezone.utc) + timedelta(hours=hours)
    monkeypatch.setattr(services, "utcnow", lambda: moment)
    monkeypatch.setattr(timeutil, "utcnow", lambda: moment)  # today(), for the dates it checks
    return moment


# --- the update form ----------------------------------------------------------------------------------

def day_fields(value: date) -> list[str]:
    """A GOV.UK date input sends three values under one name: day, month, year."""
    return [str(value.day), str(value.month), str(value.year)]


def complete_answers(world, *, scale="6", seen_alone="yes", last_seen: date | None = None,
                     **extra) -> dict:  # noqa: F811
    """Every answer an update must give for the world's family (Kelly, Ruby; Dean when ``team`` added him).
    Ruby is a baby: ``seen_alone`` answers whether she was seen awake, the question asked of a baby."""
    from coordinator.families.models import HouseholdMember
    from coordinator.submissions.forms import is_baby

    data = {
        f"child-{world.child.id}-{'seen_awake' if is_baby(world.child) else 'seen_alone'}": seen_alone,
        f"child-{world.child.id}-scale": scale,
        f"child-{world.child.id}-where": "at home",
        "worries": "Mum's low mood.",
        "worries_provenance": "observation",
        "share_with_family": "yes",
    }
    for member in db.session.scalars(select(HouseholdMember).where(HouseholdMember.family_id == world.family.id)):
        data[f"household-{member.id}"] = "SEEN"
        data[f"da-{member.id}-asked"] = "no"
        if member.name == "Dean Carter":
            data[f"household-{member.id}"] = "TOLD_OF"
            data[f"man-{member.id}-seen"] = "no"
    if last_seen is not None:
        data[f"child-{world.child.id}-last_seen"] = day_fields(last_seen)
    data.update(extra)
    return data


def update_form_index(page: Page) -> int:
    forms = [f for f in page.find_all("form") if (f.attrs.get("method") or "get").lower() == "post"]
    [index] = [n for n, f in enumerate(forms) if f.attrs.get("id") == "update-form"]
    return index


def step_url(url: str, step: str) -> str:
    return f"{url}/steps/{step}"


def check_url(url: str) -> str:
    return f"{url}/check"


def steps_listed(client, url: str) -> list[str]:
    """The steps the update's task list links to, in order (their slugs)."""
    page = Page(client.get(url))
    assert page.status_code == 200, (url, page.status_code)
    return [a.attrs["href"].rsplit("/", 1)[1] for a in page.find_all("a")
            if "/steps/" in (a.attrs.get("href") or "") and "govuk-task-list__link" in (a.attrs.get("class") or "")]


def save_step(client, url: str, step: str, data: dict, *, button: str = "continue", page: Page | None = None,
              query: str = ""):
    """One step of the update sent as a browser does: what the step shows (its CSRF token and revision
    included), with ``data`` typed over it (None clears a field; each name must be a field of the step).
    ``query``: the step opened from check your answers ("?check=1") or sent back from submitting."""
    if page is None:
        page = Page(client.get(step_url(url, step) + query))
    assert page.status_code == 200, (step, page.status_code)
    index = update_form_index(page)
    payload = form_payload(page, index)
    unknown = {name for name, value in data.items() if value is not None} - field_names(page, index)
    assert not unknown, f"the step {step!r} has no field {sorted(unknown)}"
    for name, value in data.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value if isinstance(value, list) else [value]
    payload[button] = ["1"]
    return client.post(step_url(url, step) + query, data=payload)


def submit_update(client, url: str):
    """Check your answers, then submit (the page's CSRF token and revision sent as a browser does)."""
    page = Page(client.get(check_url(url)))
    assert page.status_code == 200, page.status_code
    payload = form_payload(page, update_form_index(page))
    payload["submit"] = ["1"]
    return client.post(check_url(url), data=payload)


def post_update(client, url: str, data: dict, *, button: str = "submit"):
    """Write the update as a person does, step by step: each step that asks one of the answers in ``data``
    opened, the answers typed over what it shows, and "Save and continue" pressed; then, for ``submit``,
    the update submitted from check your answers (``draft`` stops after the steps). Returns the last
    response: a step refused (shown again with its errors), or the submission's redirect."""
    from coordinator.submissions.forms import step_of

    by_step: dict[str, dict] = {}
    for name, value in data.items():
        step = step_of(name)
        assert step is not None, f"no step asks {name!r}"
        by_step.setdefault(step, {})[name] = value
    response = None
    for step in steps_listed(client, url):
        if step in by_step:
            response = save_step(client, url, step, by_step.pop(step))
            if response.status_code != 302:
                return response
    assert not by_step, f"the update has no step {sorted(by_step)}"
    if button == "submit":
        return submit_update(client, url)
    assert response is not None, "a draft needs something typed"
    return response


def press(client, page_url: str, action: str):
    """Press the button of the form on ``page_url`` that posts to ``action`` (its hidden fields, CSRF token
    included, sent as the browser would)."""
    page = Page(client.get(page_url))
    assert page.status_code == 200, (page_url, page.status_code)
    forms = [f for f in page.find_all("form") if f.attrs.get("action") == action]
    assert forms, f"no form on {page_url} posts to {action}"
    payload = {n.attrs["name"]: n.attrs.get("value", "") for n in forms[0].iter()
               if n.tag == "input" and n.attrs.get("name") and n.attrs.get("type") == "hidden"}
    return client.post(action, data=payload)


# --- mail ---------------------------------------------------------------------------------------------

def delivered(smtp_server, now: datetime | None = None) -> list:
    """Send what the outbox holds through the real SMTP server; return every message it has received, as a
    mail client reads them."""
    from coordinator.timeutil import utcnow
    from tests.conftest import send_all

    send_all(max(now, utcnow()) if now else None)
    return [m["message"] for m in smtp_server.messages]


def plain_body(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_body(message) -> str:
    return message.get_body(("html",)).get_content()


# --- a clock ------------------------------------------------------------------------------------------

class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, *args) -> datetime:
        """``set(datetime)`` or ``set(date, time)``: a wall-clock time in London."""
        from zoneinfo import ZoneInfo

        moment = args[0] if len(args) == 1 else datetime.combine(args[0], args[1], ZoneInfo("Europe/London"))
        self.now = moment.astimezone(timezone.utc)
        return self.now


@pytest.fixture
def clock(app, monkeypatch):
    """The whole application at a chosen instant (sessions, scheduling, the outbox alike): every module of
    ``coordinator`` that reads the time through ``timeutil.utcnow``. Request it before ``world``."""
    from coordinator import timeutil

    moment = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
    original = timeutil.utcnow
    for name, module in list(sys.modules.items()):
        if (name == "coordinator" or name.startswith("coordinator.")) and getattr(module, "utcnow", None) is original:
            monkeypatch.setattr(module, "utcnow", moment)
    return moment


def london(day: date, at: time = time(9, 0)) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, at, ZoneInfo("Europe/London")).astimezone(timezone.utc)
