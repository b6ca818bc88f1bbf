"""Helpers for the minutes tests: the people and meetings of a minuted series, agencies' updates and
invitees' answers for a meeting, posting one of a page's forms as a browser would, reading the emails."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from coordinator.extensions import db
from tests.families.conftest import World
from tests.families.helpers import count, date_fields  # noqa: F401  (re-exported)
from tests.support.clock import travel_to  # noqa: F401  (re-exported for the suite)
from tests.support.pages import Node, Page, assert_form_error, find_form, payload_of, send_form  # noqa: F401  (re-exported)

# Names that must never reach an email: the family name, the children, the household.
FAMILY_NAMES = ("Harrow", "Ruby", "Kelly", "Dean", "Carter")


@dataclass
class Team:
    world: World
    chair: object
    taker: object
    school: object
    gp: object
    father: object
    series: object

    @property
    def family(self):
        return self.world.family

    @property
    def ref(self) -> str:
        return self.world.family.reference

    @property
    def lead(self):
        return self.world.lead

    @property
    def member(self):
        return self.world.member

    @property
    def outsider(self):
        return self.world.outsider

    @property
    def admin(self):
        return self.world.admin

    @property
    def child(self):
        return self.world.child

    @property
    def mother(self):
        return self.world.person

    @property
    def meetings(self) -> list:
        """The series' three meetings, oldest first (all in the past)."""
        return sorted(self.series.occurrences, key=lambda o: o.starts_at)

    # --- addresses

    def editor(self, meeting) -> str:
        return f"/families/{self.ref}/minutes/{meeting.id}/edit"

    def step(self, meeting, step: str) -> str:
        return f"/families/{self.ref}/minutes/{meeting.id}/{step}"

    def version(self, meeting, number: int = 1, suffix: str = "") -> str:
        return f"/families/{self.ref}/minutes/{meeting.id}/v{number}{suffix}"

    def action(self, action) -> str:
        return f"/families/{self.ref}/actions/{action.id}"

    @property
    def family_page(self) -> str:
        return f"/families/{self.ref}"

    @property
    def minutes_list(self) -> str:
        return f"/families/{self.ref}/minutes"

    @property
    def action_log(self) -> str:
        return f"/families/{self.ref}/actions"

    @property
    def distribution(self) -> set[str]:
        """Who receives published minutes: the network (not guests), the invitees and any deputy sent."""
        from coordinator.meetings.models import MeetingDeputy

        deputies = {d.deputy.email for d in db.session.scalars(select(MeetingDeputy).where(
            MeetingDeputy.withdrawn_at.is_(None)))}
        return {u.email for u in (self.lead, self.member, self.chair, self.taker, self.school, self.gp)} | deputies


def today() -> date:
    from coordinator.timeutil import today as local_today

    return local_today()




def csrf_token(client) -> str:
    """The session's CSRF token, as any page with a form carries it (here: the sign-out page)."""
    from tests.conftest import csrf_from

    return csrf_from(client.get("/sign-out").get_data(as_text=True))


def last_weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def meeting_day(meeting) -> date:
    return meeting.starts_at.astimezone(meeting.series.zone).date()


# --- before the meeting: answers and updates ----------------------------------------------------------------

DEPUTY = "Dr Dee Deputy"


def answer_invitations(team: Team, meeting) -> None:
    """The chair attends, the health visitor sends a report only, the school sends apologies, the GP sends a
    deputy; the minute-taker gives no answer."""
    from coordinator.meetings import services
    from coordinator.meetings.models import Response

    services.respond(meeting, team.chair, Response.ATTENDING)
    services.respond(meeting, team.member, Response.REPORT_ONLY, reason="Clinic that morning")
    services.respond(meeting, team.school, Response.APOLOGIES, reason="Staff training day")
    # (A deputy with an email address is invited, which only a meeting still to come allows; these are past.)
    services.respond(meeting, team.gp, Response.DEPUTY, deputy_name=DEPUTY)
    db.session.commit()


def give_update(meeting, user, data: dict):
    """``user`` submits their agency's update for ``meeting``, on time (ten days before it)."""
    from coordinator.submissions import services

    requests = {r.agency_id: r for r in services.ensure_requests(meeting)}
    submission = services.save(requests[user.agency_id], user, data, submit=True, expected_revision=None,
                               now=meeting.starts_at - timedelta(days=10))
    db.session.commit()
    return submission


def health_update(team: Team, scale: int = 4) -> dict:
    return {
        f"household-{team.mother.id}": "SEEN",
        f"child-{team.child.id}-scale": scale,
        f"child-{team.child.id}-seen_alone": "yes",
        "appointments_offered": 4, "appointments_attended": 3, "was_not_brought": 1,  # as older updates gave them
        f"child-{team.child.id}-appt-1-date": "2026-01-06", f"child-{team.child.id}-appt-1-kind": "Health visitor check",
        f"child-{team.child.id}-appt-1-outcome": "was_not_brought",
        "parent_says_appointments": "all_attended",
        "engagement_reported": "Mum says she takes her medication every day.",
        "engagement_observed": "Baby clean and fed at each of three visits.",
        "da_asked": "no",
        "worries": "Nappy rash at two visits running.", "worries_provenance": "observation",
        "working_well": "Mum seems more settled in herself.", "working_well_provenance": "opinion",
        "needs_to_happen": "Weekly home visits until the rash clears.",
        "share_with_family": "yes",
    }


SCHOOL_REASON = "A disclosure to a teacher: sharing it could put the child at risk."


def school_update(team: Team, scale: int = 6, *, withhold: bool = True) -> dict:
    data = {
        f"household-{team.mother.id}": "SEEN",
        f"child-{team.child.id}-scale": scale,
        f"child-{team.child.id}-seen_alone": "no",
        "appointments_offered": 2, "appointments_attended": 2,
        "da_asked": "no",
        "worries": "Tired and hungry on Mondays; a disclosure about a visitor.", "worries_provenance": "allegation",
        "working_well": "Has a good friendship group.", "working_well_provenance": "observation",
        "share_with_family": "yes",
    }
    if withhold:
        data.update({"share_with_family": "partly", "not_for_family": ["worries", "scales"],
                     "withheld_reason": SCHOOL_REASON})
    return data


# --- pages and forms ------------------------------------------------------------------------------------------

def press(team, client, meeting, intent: str, data: dict | None = None, *, page: Page | None = None):
    """Press one of the editor's buttons (``intent``: save, add_action, add_goal, scores, review, send,
    approve, publish, ask, decisions). The editor is one form: what it shows is sent, the minutes text
    included, with ``data`` typed over it."""
    url = team.editor(meeting)
    page = page or open_page(client, url)
    return send_form(client, page, {**(data or {}), "intent": intent}, url=url)


def has_button(page: Page, intent: str) -> bool:
    return page.find("button", name="intent", value=intent) is not None


def open_page(client, url: str, status: int = 200) -> Page:
    page = Page(client.get(url))
    assert page.status_code == status, (url, page.status_code, page.text[:1500])
    return page


def banners(page: Page) -> str:
    return " | ".join(page.banners())


# --- the working copy, straight through the services (for tests about what follows) -------------------------

def published(team: Team, meeting, **sections):
    """Minutes for ``meeting`` written by the minute-taker, approved by the chair and published (version 1),
    through the services. Returns the version."""
    from coordinator.minutes import services

    minutes = services.start_minutes(meeting, team.taker)
    content = minutes.fields
    content.update(sections)
    services.save(minutes, content, actor=team.taker, expected_revision=minutes.revision)
    services.send_for_approval(minutes, actor=team.taker)
    services.approve(minutes, actor=team.chair)
    version = services.publish(minutes, actor=team.chair)
    db.session.commit()
    return version


def minutes_of(meeting):
    from coordinator.minutes.models import Minutes

    db.session.expire_all()
    return db.session.scalar(select(Minutes).where(Minutes.occurrence_id == meeting.id))


def versions_of(meeting) -> list:
    from coordinator.minutes.models import Minutes, MinutesVersion

    db.session.expire_all()
    return db.session.scalars(select(MinutesVersion).join(Minutes, MinutesVersion.minutes_id == Minutes.id)
                              .where(Minutes.occurrence_id == meeting.id).order_by(MinutesVersion.number)).all()


def outbox(kind: str | None = None) -> list:
    from coordinator.notify.models import OutboxMessage

    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()


def audit_events(action: str) -> list:
    from coordinator.audit.models import AuditEvent

    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# --- email, as a mail client reads it ---------------------------------------------------------------------------

@dataclass
class Mail:
    to: list[str]
    subject: str
    text: str
    html: str
    headers: str
    links: list[str] = field(default_factory=list)


URL_RE = re.compile(r"https?://[^\s<>\"']+")


# Emails about the meeting rather than its minutes: a deputy's invitation, the lead told of a deputy, the
# chair told minutes wait for approval (each tested where its event is).
ABOUT_OTHER_THINGS = ("as a deputy", "An invitee is sending a deputy", "Minutes waiting for your approval")


def read_mail(smtp_server, *, everything: bool = False) -> list[Mail]:
    """The emails received; unless ``everything``, those the minutes send (not ABOUT_OTHER_THINGS)."""
    mails = []
    for received in smtp_server.messages:
        message = received["message"]
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        text = plain.get_content() if plain is not None else ""
        markup = html.get_content() if html is not None else ""
        headers = "\n".join(f"{k}: {v}" for k, v in message.items())
        subject = str(message["Subject"])
        if not everything and any(words in subject for words in ABOUT_OTHER_THINGS):
            continue
        mails.append(Mail(to=received["to"], subject=subject, text=text, html=markup,
                          headers=headers, links=URL_RE.findall(text)))
    return mails


def assert_no_names(mail: Mail, *extra: str) -> None:
    """The email carries no name of the family or its household, and nothing of the case itself."""
    whole = "\n".join((mail.headers, mail.subject, mail.text, mail.html))
    for word in FAMILY_NAMES + ("child protection", "Child protection") + extra:
        assert word not in whole, f"{word!r} in an email to {mail.to}"
