"""Demo agency updates. For the Harrow family's four past meetings, health and school updates with safety
scales that move over time, each child's appointments (Ruby not brought to one at the third meeting) and
each adult asked about domestic abuse; for its next meeting (whose deadline has just passed): health
submitted on time and amended, adding an unknown man it saw and recording Ruby, a baby, not brought to two
health visitor appointments while Kelly says the children went to every one; school submitted late, marking
a section not for the family; children's social care has not submitted. The other families' next meetings
have their requests out."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from coordinator.auth.services import existing_user
from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings.models import MeetingSeries, OccurrenceStatus
from coordinator.submissions import services
from coordinator.submissions.document import appointment_key, da_key
from coordinator.submissions.models import RequestState, Submission
from coordinator.timeutil import local_zone, utcnow

HEALTH_SCALES = [3, 4, 4, 5]  # Ruby, at each past meeting
SCHOOL_SCALES = [5, 6, 6, 7]  # Jack


def _at(day, hour=9) -> datetime:
    return datetime.combine(day, time(hour), local_zone())


# Ruby's health visitor appointments, (days before the visit, kind), each update: all attended unless named
# in ``not_brought``.
HEALTH_APPOINTMENTS = [(20, "Health visitor check"), (13, "Health visitor clinic (weighing)"), (6, "GP, baby's immunisations")]


def _appointments(child, seen_on, appointments, not_brought=()) -> dict:
    data = {}
    for slot, (days, kind) in enumerate(appointments, start=1):
        data.update({appointment_key(child.id, slot, "date"): (seen_on - timedelta(days=days)).isoformat(),
                     appointment_key(child.id, slot, "kind"): kind,
                     appointment_key(child.id, slot, "outcome"): "was_not_brought" if slot in not_brought else "attended"})
    return data


def _health(members, children, scale, *, seen_on, new_man=False, not_brought=()):
    kelly, dean = members["Kelly Harrow"], members["Dean Carter"]
    ruby, jack = children["Ruby Harrow"], children["Jack Harrow"]
    data = {
        f"household-{kelly.id}": "SEEN", f"household-{dean.id}": "TOLD_OF",
        f"man-{dean.id}-seen": "no", f"man-{dean.id}-engaged": "not_known",
        f"man-{dean.id}-mothers_account": "Says he visits 'now and then' and is 'no trouble'.",
        # Ruby is a baby: seen awake, where she sleeps, held and undressed to be weighed.
        f"child-{ruby.id}-seen_awake": "yes", f"child-{ruby.id}-sleeps": "Moses basket in her mum's bedroom",
        f"child-{ruby.id}-handled": "yes", f"child-{ruby.id}-where": "at home", f"child-{ruby.id}-contacts": 3,
        f"child-{ruby.id}-last_seen": seen_on.isoformat(), f"child-{ruby.id}-scale": scale,
        f"child-{ruby.id}-lived_experience": "Ruby smiles at her mum; nappy rash at the last two visits.",
        f"child-{jack.id}-seen_alone": "no", f"child-{jack.id}-where": "at home, with his mum",
        f"child-{jack.id}-last_seen": seen_on.isoformat(), f"child-{jack.id}-scale": scale,
        f"child-{jack.id}-lived_experience": "Jack hovers near his mum and answers for her when she is low.",
        **_appointments(ruby, seen_on, HEALTH_APPOINTMENTS, not_brought),
        "family_cancelled": 0, "no_answer_visits": 1 if not_brought else 0,
        "parent_says_appointments": "all_attended", "parent_says_engagement": "engaging",
        "parent_says_household": "only_recorded",
        "engagement_reported": "Mum says she is coping, taking her medication and has been to every appointment.",
        "engagement_observed": "Home cluttered; baby clean and fed at each visit.",
        da_key(kelly.id, "asked"): "yes", da_key(kelly.id, "date"): seen_on.isoformat(),
        da_key(kelly.id, "private"): "yes", da_key(kelly.id, "marac"): "not_needed",
        da_key(kelly.id, "outcome"): "Kelly said nobody hurts or frightens her; she looked at the door as she answered.",
        da_key(dean.id, "asked"): "no",
        "worries": "Mum's low mood; who else is in the home.", "worries_provenance": "observation",
        "working_well": "Ruby is gaining weight.", "working_well_provenance": "observation",
        "needs_to_happen": "Health visitor to see Ruby weekly.", "share_with_family": "yes",
    }
    if new_man:
        data.update({"new-1-description": "Man in his 20s with a dog, answered the door", "new-1-sex": "MALE",
                     "new-1-relationship": "UNKNOWN", "new-1-presence": "VISITS", "new-1-source": "SEEN"})
    return data


def _school(members, children, scale, *, seen_on, withhold=False, not_brought=()):
    kelly, dean = members["Kelly Harrow"], members["Dean Carter"]
    jack = children["Jack Harrow"]
    data = {
        f"household-{kelly.id}": "SEEN", f"household-{dean.id}": "NOT_SEEN",
        f"man-{dean.id}-seen": "no", f"man-{dean.id}-engaged": "not_known",
        f"child-{jack.id}-seen_alone": "no", f"child-{jack.id}-where": "at school", f"child-{jack.id}-contacts": 20,
        f"child-{jack.id}-last_seen": seen_on.isoformat(),
        f"child-{jack.id}-scale": scale,
        f"child-{jack.id}-lived_experience": "Jack is quiet on Mondays and eats everything at lunch.",
        **_appointments(jack, seen_on, [(15, "School nurse review"), (8, "Meeting with his teacher")], not_brought),
        "parent_says_engagement": "engaging",
        da_key(kelly.id, "asked"): "no", da_key(dean.id, "asked"): "no",
        "worries": "Jack is tired and hungry on Mondays; late three times.",
        "worries_provenance": "observation", "working_well": "Jack has a good friendship group.",
        "working_well_provenance": "observation", "needs_to_happen": "Breakfast club place for Jack.",
        "share_with_family": "yes",
    }
    if withhold:
        data.update({"share_with_family": "partly", "not_for_family": ["worries"],
                     "withheld_reason": "Jack's disclosure to his teacher: sharing it could put him at risk."})
    return data


def _agency_of(user) -> int:
    assert user.agency_id is not None, f"demo user {user.email} has no agency"
    return user.agency_id


def load_demo_updates() -> None:
    harrow = db.session.scalar(select(Family).where(Family.family_name == "Harrow"))
    if harrow is None or db.session.scalar(select(Submission.id).where(Submission.family_id == harrow.id)):
        return
    series = db.session.scalar(select(MeetingSeries).where(MeetingSeries.family_id == harrow.id))
    if series is None:
        return
    health, school = existing_user("health@demo.invalid"), existing_user("school@demo.invalid")
    health_agency, school_agency = _agency_of(health), _agency_of(school)
    members = {m.name: m for m in harrow.members if m.name}
    children = {c.name: c for c in harrow.children}
    now = utcnow()
    held = [o for o in series.occurrences if o.status is OccurrenceStatus.HELD]
    for n, occurrence in enumerate(held):
        requests = {r.agency_id: r for r in services.ensure_requests(occurrence)}
        for request in requests.values():
            request.state, request.sent_at = RequestState.OPEN, _at(request.send_on)
        when = _at(requests[health_agency].deadline, 8) - timedelta(days=2)
        seen = (when - timedelta(days=3)).date()
        services.save(requests[health_agency], health,
                      _health(members, children, HEALTH_SCALES[n], seen_on=seen, not_brought=(2,) if n == 2 else ()),
                      submit=True, expected_revision=None, now=when)
        services.save(requests[school_agency], school, _school(members, children, SCHOOL_SCALES[n], seen_on=seen),
                      submit=True, expected_revision=None, now=when)
        for request in requests.values():
            request.state = RequestState.CLOSED
    upcoming = sorted((o for o in series.occurrences if o.starts_at > now and o.status is not OccurrenceStatus.CANCELLED),
                      key=lambda o: o.starts_at)
    next_meeting = upcoming[0]
    requests = {r.agency_id: r for r in services.ensure_requests(next_meeting)}
    for request in requests.values():
        services._email_request(request, "request", f"update-request:{request.id}")
        request.state, request.sent_at = RequestState.OPEN, _at(request.send_on)
    deadline = requests[health_agency].deadline
    seen = deadline - timedelta(days=4)
    first = services.save(requests[health_agency], health,
                          _health(members, children, 4, seen_on=seen, not_brought=(1,)),
                          submit=True, expected_revision=None, now=_at(deadline, 8) - timedelta(days=3))
    services.save(requests[health_agency], health,  # amended: the second not brought, and the man seen
                  _health(members, children, 3, seen_on=seen, new_man=True, not_brought=(1, 2)),
                  submit=True, expected_revision=first.revision, now=_at(deadline, 8) - timedelta(days=1))
    services.save(requests[school_agency], school,
                  _school(members, children, 7, seen_on=seen, withhold=True),
                  submit=True, expected_revision=None, now=now)  # after the deadline: late
    for family in db.session.scalars(select(Family).where(Family.family_name.in_(["Okafor", "Patel"]))):
        other = db.session.scalar(select(MeetingSeries).where(MeetingSeries.family_id == family.id))
        if other is None:
            continue
        nxt = min((o for o in other.occurrences if o.starts_at > now and o.status is not OccurrenceStatus.CANCELLED),
                  key=lambda o: o.starts_at)
        for request in services.ensure_requests(nxt):
            services._email_request(request, "request", f"update-request:{request.id}")
            request.state, request.sent_at = RequestState.OPEN, now
    db.session.commit()
