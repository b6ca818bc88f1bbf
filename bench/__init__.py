"""Benchmarks, run with ``python -m bench`` (``make bench``); not part of the test run."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Subjects:
    """Who and what the page benchmarks request, in a ``seed_scale`` world."""

    lead: Any  # the lead with the largest caseload
    chair: Any
    partner: Any
    family: Any  # the lead's first family
    meeting: Any  # its next scheduled meeting
    feed_token: str  # the partner's calendar feed
    cookie: Callable[[Any], str]  # a signed session cookie for a user, as a browser would send it


def subjects(app, world) -> Subjects:
    """Read inside an application context, after seeding."""
    from sqlalchemy import select

    from coordinator.auth.models import User
    from coordinator.calendar import feed
    from coordinator.extensions import db
    from coordinator.families.models import Family, NetworkMembership
    from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus
    from coordinator.timeutil import utcnow

    lead, chair, partner = (db.session.scalar(select(User).where(User.email == email))
                            for email in (world.leads[0], world.chair, world.partners[0]))
    family = db.session.scalar(select(Family).join(NetworkMembership).where(
        NetworkMembership.user_id == lead.id).order_by(Family.id).limit(1))
    meeting = db.session.scalar(select(Occurrence).join(MeetingSeries).where(
        MeetingSeries.family_id == family.id, Occurrence.status == OccurrenceStatus.SCHEDULED)
        .order_by(Occurrence.starts_at).limit(1))
    with app.test_request_context():
        token = feed.token_for(partner)
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)

    def cookie(user) -> str:
        return serializer.dumps({"_user_id": user.get_id(), "_fresh": True, "seen": int(utcnow().timestamp())})

    return Subjects(lead, chair, partner, family, meeting, token, cookie)
