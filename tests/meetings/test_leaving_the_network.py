"""Leaving a family's network (removed now, or a membership that ends by date) withdraws the person's
invitations at once: they are sent the cancellation, the feed drops the family's meetings, and no later
change reaches them."""
from __future__ import annotations

from datetime import timedelta

from coordinator.extensions import db
from tests.calendar.helpers import python_view


def _mail_to(email: str):
    from coordinator.notify.models import OutboxMessage

    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.recipient == email)
                              .order_by(OutboxMessage.id)).all()


def _live(user, series, now) -> list:
    from coordinator.calendar import feed

    return python_view(feed.feed_ics(user), now, now + timedelta(days=400)).get(series.uid, {}).get("meetings", [])


def test_a_person_removed_from_the_network_is_sent_the_cancellation_and_nothing_after(app, world):
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole
    from coordinator.meetings import services as meetings
    from coordinator.timeutil import utcnow

    families.add_to_network(world.family, world.outsider, NetworkRole.MEMBER, reason="Police liaison", actor=world.lead)
    meetings.change_invitees(world.series, [world.member, world.outsider], actor=world.lead)
    db.session.commit()
    now = utcnow()
    assert _live(world.member, world.series, now)
    families.remove_from_network(world.member_membership, actor=world.lead, reason="Moved to another team")
    db.session.commit()

    assert world.member.id not in {i.user_id for i in world.series.current_invitees}
    [cancel] = [m for m in _mail_to(world.member.email) if "METHOD:CANCEL" in m.mime]
    assert "Harrow" not in cancel.mime and "Ruby" not in cancel.mime  # no names, as ever
    assert _live(world.member, world.series, now) == []

    sent_before, others_before = len(_mail_to(world.member.email)), len(_mail_to(world.outsider.email))
    moved = sorted(world.series.occurrences, key=lambda o: o.starts_at)[1]
    meetings.move_occurrence(moved, actor=world.lead, new_date=moved.day + timedelta(days=1),
                             new_time=moved.starts_at.astimezone(world.series.zone).time())
    db.session.commit()
    assert len(_mail_to(world.outsider.email)) > others_before  # the move was sent, to those still invited
    assert len(_mail_to(world.member.email)) == sent_before
    assert len(_mail_to(world.member.email)) == sent_before


def test_a_membership_that_ends_by_date_withdraws_the_invitations_that_day(app, world):
    from coordinator.meetings.jobs import withdraw_lapsed
    from coordinator.scheduler.registry import Unlimited
    from coordinator.timeutil import today, utcnow

    world.member_membership.until_date = today() - timedelta(days=1)  # the membership ran to yesterday
    db.session.commit()
    now = utcnow()
    assert _live(world.member, world.series, now) == []  # the feed follows the date at once

    assert withdraw_lapsed(Unlimited(), now) == 1
    assert world.member.id not in {i.user_id for i in world.series.current_invitees}
    assert any("METHOD:CANCEL" in m.mime for m in _mail_to(world.member.email))
    assert withdraw_lapsed(Unlimited(), now) == 0  # done once
