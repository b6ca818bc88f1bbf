"""Demo data for anyone trying the service. Idempotent; refuses a database that holds real people."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from coordinator.agencies.models import Agency, AgencyKind
from coordinator.auth import services as auth
from coordinator.auth.models import Role, User
from coordinator.extensions import db


class DemoRefused(Exception):
    pass


DEMO_AGENCIES = [
    ("Demo Council Children's Services", AgencyKind.CHILDRENS_SOCIAL_CARE, "demo.invalid"),
    ("Demo NHS Trust Health Visiting", AgencyKind.HEALTH_VISITING, "demo.invalid"),
    ("Demo Primary School", AgencyKind.SCHOOL, "demo.invalid"),
    ("Demo Police", AgencyKind.POLICE, "demo.invalid"),
    ("Demo Adult Mental Health Service", AgencyKind.ADULT_MENTAL_HEALTH, "demo.invalid"),
    ("Demo Women's Aid", AgencyKind.DOMESTIC_ABUSE_SERVICE, "demo.invalid"),
]

# email, name, job title, agency index, role, description printed for the newcomer
DEMO_USERS = [
    ("admin@demo.invalid", "Alex Admin", "Systems administrator", 0, Role.ADMIN, "administrator"),
    ("lead@demo.invalid", "Lee Lead", "Social worker", 0, Role.PRACTITIONER,
     "lead professional (social worker)"),
    ("chair@demo.invalid", "Charlie Chair", "Team manager", 0, Role.PRACTITIONER, "chair (team manager)"),
    ("health@demo.invalid", "Hana Health", "Health visitor", 1, Role.PRACTITIONER,
     "health visitor, in the demo families' networks"),
    ("school@demo.invalid", "Sam School", "Designated safeguarding lead", 2, Role.PRACTITIONER,
     "school, in the demo families' networks"),
    ("outsider@demo.invalid", "Olu Outsider", "Police officer", 3, Role.PRACTITIONER,
     "practitioner in no family's network"),
    ("manager@demo.invalid", "Morgan Manager", "Team manager", 0, Role.TEAM_MANAGER,
     "team manager of the demo lead's team (Your team's work)"),
    ("analyst@demo.invalid", "Ari Analyst", "Partnership analyst", 0, Role.PARTNERSHIP_ANALYST,
     "the partnership's analyst (Partnership learning; no family's record)"),
]


def load_demo(password: str) -> list[tuple[str, str]]:
    real = db.session.scalar(select(User).where(User.is_demo.is_(False)).limit(1))
    if real is not None:
        raise DemoRefused("this database holds users who are not demo users; demo data is only loaded into "
                          "an empty or demo-only database")
    agencies = []
    for name, kind, domain in DEMO_AGENCIES:
        agency = db.session.scalar(select(Agency).where(Agency.name == name))
        if agency is None:
            agency = Agency(name=name, kind=kind, secure_email_domain=domain)
            db.session.add(agency)
        agencies.append(agency)
    db.session.flush()
    password_hash = auth.hash_password(password)
    logins = []
    for email, name, title, agency_index, role, description in DEMO_USERS:
        user = auth.user_by_email(email)
        if user is None:
            user = auth.create_user(email=email, name=name, job_title=title, agency=agencies[agency_index],
                                    role=role, is_demo=True)
        user.password_hash = password_hash
        logins.append((email, description))
    db.session.commit()
    from coordinator.families.demo import load_demo_families

    load_demo_families()
    from coordinator.meetings.demo import load_demo_meetings

    load_demo_meetings()
    from coordinator.submissions.demo import load_demo_updates

    load_demo_updates()
    from coordinator.minutes.demo import load_demo_minutes

    load_demo_minutes()
    from coordinator.calendar.demo import load_demo_replies

    load_demo_replies()
    from coordinator.oversight.demo import load_demo_oversight

    load_demo_oversight()
    return logins


def demo_sign_ins(password: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The demo users already in the database who can sign in: (those whose password is ``password``,
    those whose password is not), each as (email, description), in the order the demo lists them. Read,
    never changed: a database with real people in it keeps its demo users' passwords as they are."""
    descriptions = {email: description for email, _, _, _, _, description in DEMO_USERS}
    users = {user.email: user for user in db.session.scalars(
        select(User).where(User.is_demo.is_(True), User.active.is_(True), User.email.in_(descriptions)))}
    same: list[tuple[str, str]] = []
    other: list[tuple[str, str]] = []
    for email, description in descriptions.items():
        if email in users:
            (same if _is_password(users[email].password_hash, password) else other).append((email, description))
    return same, other


def _is_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:  # the hash names its own parameters
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
