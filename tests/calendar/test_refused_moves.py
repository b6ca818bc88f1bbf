"""Moves calendars cannot take, refused; and what to do instead, in one step.

Calendars hold a moved meeting of a series as an exception to its rule (a RECURRENCE-ID override). Outlook
refuses to move an occurrence to or past another occurrence of the same series ("Cannot reschedule an
occurrence of the recurring appointment ... if it skips over a later occurrence of the same appointment"),
and Exchange is reported to fail to sync such exceptions, or ones past the rule's end, when another client
sends them. So check_move refuses them (the database and every calendar stay as they were), and
replace_with_extra cancels the meeting and adds an extra meeting (an event of its own, with its own UID) at
the new time, in one change: one transaction, whose emails carry the cancellation and the invitation.
Extra meetings move freely (into the future).
"""
from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordinator.extensions import db
from coordinator.meetings import services
from coordinator.meetings.models import OccurrenceStatus
from coordinator.notify.models import OutboxMessage
from coordinator.timeutil import today
from tests.calendar import helpers, itip

LONDON = ZoneInfo("Europe/London")


def _rule(series):
    db.session.expire_all()
    return sorted(series.rule_occurrences, key=lambda o: o.original_start)


def _day(occurrence, days=0):
    return occurrence.starts_at.astimezone(LONDON).date() + timedelta(days=days)


def _state(series):
    db.session.expire_all()
    return (series.sequence, series.revision, sorted((o.id, o.starts_at, o.status.name) for o in series.occurrences),
            db.session.query(OutboxMessage).count())


def test_moves_past_a_neighbour_or_the_end_are_refused_and_change_nothing(calendar_world):
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=4))  # weekly
    world.deliver()
    views = world.assert_calendars()
    rule = _rule(series)
    before = _state(series)

    refusals = [
        # past the next meeting's start (to it exactly: a clash, refused as such)
        (rule[1], _day(rule[2]), time(10, 30), services.MoveRefused, "before the next meeting of the series"),
        (rule[1], _day(rule[2], 1), time(9, 0), services.MoveRefused, "before the next meeting of the series"),
        (rule[1], _day(rule[2]), time(10, 0), services.MeetingError, "already at that time"),
        # before the previous meeting's start
        (rule[2], _day(rule[1]), time(9, 0), services.MoveRefused, "after the previous meeting of the series"),
        (rule[3], _day(rule[1], -1), time(9, 0), services.MoveRefused, "after the previous meeting of the series"),
        # the last counted meeting past the series' last date
        (rule[3], _day(rule[3], 1), time(10, 0), services.MoveRefused, "the last date of the series"),
    ]
    for occurrence, day, at, kind, words in refusals:
        with pytest.raises(kind, match=words) as refused:
            services.move_occurrence(occurrence, actor=world.lead, new_date=day, new_time=at, notify=True)
        assert refused.value.field == "new_date"
        db.session.rollback()
    assert _state(series) == before
    world.deliver()
    assert world.assert_calendars() == views  # nobody was sent anything; every calendar is as it was

    # Within its neighbours, on the last date later in the day, or next to a cancelled neighbour: allowed.
    services.cancel_occurrence(rule[2], actor=world.lead, reason="Room unavailable", notify=True)
    services.move_occurrence(rule[1], actor=world.lead, new_date=_day(rule[2], 2), new_time=time(11, 0), notify=True)
    services.move_occurrence(rule[3], actor=world.lead, new_date=_day(rule[3]), new_time=time(16, 0), notify=True)
    db.session.commit()
    world.deliver()
    world.assert_calendars()
    world.check_messages()


def test_a_series_with_an_end_date_and_one_with_none(calendar_world):
    world = calendar_world
    ends = world.create(world.schedule(today() + timedelta(days=2), time(10, 0), weekly=2,
                                       until=today() + timedelta(days=20)))
    rule = _rule(ends)
    assert len(rule) == 2
    with pytest.raises(services.MoveRefused, match="the last date of the series"):
        services.move_occurrence(rule[1], actor=world.lead, new_date=today() + timedelta(days=21), new_time=time(10, 0))
    db.session.rollback()
    services.move_occurrence(rule[1], actor=world.lead, new_date=today() + timedelta(days=20), new_time=time(15, 0))
    db.session.commit()

    # No end: the last meeting made so far still has a next one, the rule's (made later by the scheduler).
    endless = world.create(world.schedule(today() + timedelta(days=4), time(9, 0)))
    last = _rule(endless)[-1]
    with pytest.raises(services.MoveRefused, match="before the next meeting of the series"):
        services.move_occurrence(last, actor=world.lead, new_date=_day(last, 7), new_time=time(9, 0))
    db.session.rollback()


def test_extra_meetings_move_freely(calendar_world):
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=3))
    extra = services.add_extra(series, actor=world.lead, on=today() + timedelta(days=4), at=time(15, 0),
                               duration_minutes=30, notify=True)
    db.session.commit()
    world.deliver()
    # Past every meeting of the series, and past its end: the extra meeting is an event of its own.
    services.move_occurrence(extra, actor=world.lead, new_date=today() + timedelta(days=40), new_time=time(12, 0),
                             notify=True)
    db.session.commit()
    world.deliver()
    views = world.assert_calendars()
    assert all(view[extra.extra_uid]["meetings"] == [(helpers.iso(extra.starts_at), helpers.iso(extra.ends_at))]
               for view in views.values())
    world.check_messages()


def test_cancel_and_add_an_extra_meeting_in_one_step(calendar_world):
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=4))
    world.deliver()
    rule = _rule(series)
    sequence = series.sequence
    sent_before = len(world.messages())
    target_day = _day(rule[2], 1)  # past the next meeting: a move is refused
    with pytest.raises(services.MoveRefused):
        services.move_occurrence(rule[1], actor=world.lead, new_date=target_day, new_time=time(14, 0))
    db.session.rollback()

    extra = services.replace_with_extra(rule[1], actor=world.lead, new_date=target_day, new_time=time(14, 0),
                                        reason="The chair is away that week", notify=True)
    db.session.commit()
    world.deliver()
    db.session.expire_all()
    assert rule[1].status is OccurrenceStatus.CANCELLED and extra.is_extra
    assert extra.starts_at.astimezone(LONDON).replace(tzinfo=None).isoformat() == f"{target_day}T14:00:00"
    assert extra.ends_at - extra.starts_at == rule[1].ends_at - rule[1].starts_at  # its length kept
    assert series.sequence == sequence + 1  # the cancellation is significant (RFC 5546 2.1.4)

    # Each invitee: two emails from the one change, the cancellation of the meeting and the new invitation.
    for user in [world.lead, *world.invitees]:
        cancel, invite = world.messages_for(user)[-2:]
        cancel_text, cancel_method = helpers.calendar_of_message(cancel)
        invite_text, invite_method = helpers.calendar_of_message(invite)
        assert (cancel_method, invite_method) == ("CANCEL", "REQUEST")
        cancelled = itip.parse(cancel_text).subs("VEVENT")[0]
        assert cancelled.value("UID") == series.uid and cancelled.get("RECURRENCE-ID") is not None
        added = itip.parse(invite_text).subs("VEVENT")[0]
        assert added.value("UID") == extra.extra_uid and added.get("RECURRENCE-ID") is None
        when = extra.starts_at.astimezone(LONDON).strftime("%A %-d %B %Y at %H:%M")
        was = rule[1].starts_at.astimezone(LONDON).strftime("%A %-d %B %Y at %H:%M")
        assert f"replaced by an extra meeting on {when}" in " ".join(cancel.get_body(("plain",)).get_content().split())
        body = " ".join(invite.get_body(("plain",)).get_content().split())
        assert f"replaces the meeting of the series on {was}" in body and "The chair is away that week" in body
    assert len(world.messages()) == sent_before + 2 * 4
    views = world.assert_calendars()
    for view in views.values():
        assert helpers.iso(rule[1].starts_at) not in [s for s, _ in view[series.uid]["meetings"]]
        assert view[extra.extra_uid]["meetings"] == [(helpers.iso(extra.starts_at), helpers.iso(extra.ends_at))]
    world.check_messages()


def test_cancel_and_add_refuses_what_either_half_refuses_and_writes_nothing(calendar_world):
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=4))
    world.deliver()
    rule = _rule(series)
    before = _state(series)
    for kwargs, words in [
        (dict(new_date=today() - timedelta(days=1), new_time=time(10, 0)), "must be in the future"),
        (dict(new_date=_day(rule[2]), new_time=time(10, 0)), "already at that time"),
        (dict(new_date=_day(rule[2], 1), new_time=time(10, 0), online_link="http://x.test"), "https://"),
        (dict(new_date=_day(rule[2], 1), new_time=time(10, 0), reason="Kelly is ill"), "must not name the family"),
    ]:
        with pytest.raises(services.MeetingError, match=words):
            services.replace_with_extra(rule[1], actor=world.lead, **kwargs)
        db.session.rollback()
    extra = services.add_extra(series, actor=world.lead, on=today() + timedelta(days=5), at=time(9, 0),
                               duration_minutes=30)
    db.session.commit()
    before = _state(series)
    with pytest.raises(services.MeetingError, match="move it instead"):
        services.replace_with_extra(extra, actor=world.lead, new_date=today() + timedelta(days=50), new_time=time(9, 0))
    db.session.rollback()
    assert _state(series) == before


@pytest.mark.parametrize("ends", ["count", "date"])
def test_a_series_of_one_meeting_moves_anywhere_by_moving_the_series(calendar_world, ends):
    """Its only meeting has no neighbour to skip: moving it past the series' end moves the series itself (a new
    DTSTART, no exception to place), and every calendar follows."""
    world = calendar_world
    first = today() + timedelta(days=3)
    schedule = world.schedule(first, time(10, 0), **({"count": 1} if ends == "count" else {"until": first}))
    series = world.create(schedule)
    world.deliver()
    (meeting,) = _rule(series)
    target = _day(meeting, 9)  # past the series' end (its one meeting's date)
    services.move_occurrence(meeting, actor=world.lead, new_date=target, new_time=time(14, 0))
    db.session.commit()
    world.deliver()
    (moved,) = _rule(series)
    assert moved.starts_at.astimezone(LONDON).date() == target and moved.starts_at.astimezone(LONDON).hour == 14
    assert moved.status is OccurrenceStatus.SCHEDULED  # as the series now makes it
    world.assert_calendars()
    text, _ = helpers.calendar_of_message(world.messages_for(world.member)[-1])
    events = itip.parse(text).subs("VEVENT")
    assert len(events) == 1 and events[0].get("RECURRENCE-ID") is None  # the series itself, no exception
    assert itip.instant(events[0].get("DTSTART")) == moved.starts_at
