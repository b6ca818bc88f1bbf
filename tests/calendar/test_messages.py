"""Every message of a series' life, checked the same way (CalendarWorld.check_messages): one UID per
series, SEQUENCE rising with each change and equal on every VEVENT of a message, UTC DTSTAMP, TZID'd
times, our compact VTIMEZONE, the lead as ORGANIZER, ATTENDEEs with CN, ROLE, PARTSTAT and RSVP, the
summary and description the application promises, and no family, child or household member named."""
from __future__ import annotations

import re
from collections import Counter
from datetime import time, timedelta

from coordinator.extensions import db
from coordinator.meetings import services
from coordinator.timeutil import today, utcnow
from tests.calendar import helpers, itip


def _rule(series):
    db.session.expire_all()
    return sorted(series.rule_occurrences, key=lambda o: o.original_start)


def _step(world):
    db.session.commit()
    world.deliver()


def test_every_message_of_a_series_life(calendar_world, make_user):
    world = calendar_world
    spring = helpers.next_last_sunday(3, today())
    series = world.create(world.schedule(today() - timedelta(days=15), time(10, 0), until=spring + timedelta(days=40)),
                          past_allowed=True)
    world.deliver()
    for occurrence in [o for o in _rule(series) if o.starts_at < utcnow()]:
        services.mark_held(occurrence, actor=world.lead)
    _step(world)
    future = [o for o in _rule(series) if o.starts_at > utcnow()]
    services.move_occurrence(future[0], actor=world.lead, new_date=future[0].starts_at.date() + timedelta(days=1),
                             new_time=time(14, 30), location="Health centre", notify=True)
    _step(world)
    services.cancel_occurrence(future[1], actor=world.lead, reason="Bank holiday", notify=True)
    _step(world)
    extra = services.add_extra(series, actor=world.lead, on=today() + timedelta(days=10), at=time(9, 0),
                               duration_minutes=45, notify=True)
    _step(world)
    services.move_occurrence(extra, actor=world.lead, new_date=today() + timedelta(days=11), new_time=time(9, 0),
                             notify=True)
    _step(world)
    services.cancel_occurrence(extra, actor=world.lead, reason="Not needed", notify=True)
    _step(world)
    late_extra = services.add_extra(series, actor=world.lead, on=spring - timedelta(days=2), at=time(16, 0),
                                    duration_minutes=30, notify=True)
    _step(world)
    newcomer = make_user("sw2@council.test", "Noor Newcomer", agency_name="Adult services")
    services.change_invitees(series, [world.lead, world.member, world.teacher, newcomer], actor=world.lead, notify=True)
    _step(world)
    new = services.split_series(series, world.schedule(spring - timedelta(days=5), time(11, 0), weekly=2),
                                actor=world.lead, notify=True)
    _step(world)
    services.end_series(new, actor=world.lead, notify=True)
    _step(world)

    world.check_messages()
    people = [world.lead, world.member, world.teacher, world.guest, newcomer]
    world.assert_calendars(people)

    db.session.expire_all()
    seen = Counter()
    uids = set()
    for _recipient, message in world.messages():
        text, method = helpers.calendar_of_message(message)
        calendar = itip.parse(text)
        uid = calendar.subs("VEVENT")[0].value("UID")
        uids.add(uid)
        rid = any(e.get("RECURRENCE-ID") for e in calendar.subs("VEVENT"))
        seen[(method, uid, rid)] += 1
        # (strip(): Python's email folds a long Subject as "Subject:" CRLF " Core group ...", which reads
        # back with a leading space; mail clients drop it.)
        subject = str(message["Subject"]).strip()
        assert re.fullmatch(rf"{re.escape(series.title)}: [A-Za-z0-9 :]+", subject), subject
    assert uids == {series.uid, new.uid, extra.extra_uid, late_extra.extra_uid}
    assert seen[("CANCEL", series.uid, True)] == 4  # the cancelled meeting, to lead, member, teacher, guest
    assert seen[("CANCEL", series.uid, False)] == 1  # the guest, taken off
    assert seen[("CANCEL", extra.extra_uid, False)] == 4
    assert seen[("CANCEL", late_extra.extra_uid, False)] == 1 + 4  # the guest taken off; then the split (it is after)
    assert seen[("CANCEL", new.uid, False)] == 4  # ended before any meeting: the whole UID cancelled
    # The calendars now: the old series up to the split, with its held meetings; nothing else.
    start, end = world.window()
    for user in [world.lead, world.member, world.teacher, newcomer]:
        view = helpers.icaljs_view(world.calendar_of(user), start, end)
        assert {u for u, e in view.items() if e["meetings"]} == {series.uid}
    assert helpers.icaljs_view(world.calendar_of(world.guest), start, end) == {}


def test_the_organiser_mailbox_setting_is_the_organizer(calendar_world):
    """With MEETINGS_ORGANISER_EMAIL set, a team mailbox organises: ORGANIZER is that address."""
    world = calendar_world
    world.app.config.update(MEETINGS_ORGANISER_EMAIL="meetings@council.test", MEETINGS_ORGANISER_NAME="Meetings team")
    world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=2))
    world.deliver()
    for _, message in world.messages():
        calendar = itip.parse(helpers.calendar_of_message(message)[0])
        organizer = calendar.subs("VEVENT")[0].get("ORGANIZER")
        assert organizer.value == "mailto:meetings@council.test"
        assert organizer.param("CN") == "Meetings team"
