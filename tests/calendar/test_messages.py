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


def test_who_is_invited_changes_with_the_same_sequence(calendar_world, make_user):
    """Adding and taking off invitees is not a significant change (RFC 5546 2.1.4): the series goes out with
    the SEQUENCE it had and a later DTSTAMP, so calendars take the new attendee list without asking anyone
    to answer again. The person added is sent the series as an invitation; the others, the new list."""
    world = calendar_world
    series = world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=5))
    world.deliver()
    services.move_occurrence(_rule(series)[1], actor=world.lead, new_date=today() + timedelta(days=11),
                             new_time=time(14, 0), notify=True)
    _step(world)
    assert series.sequence == 1
    newcomer = make_user("sw2@council.test", "Noor Newcomer", agency_name="Adult services")
    services.change_invitees(series, [world.lead, world.member, world.teacher, newcomer], actor=world.lead, notify=True)
    _step(world)
    db.session.expire_all()
    assert series.sequence == 1

    [invitation] = world.messages_for(newcomer)
    assert str(invitation["Subject"]).strip() == f"{series.title}: invitation"
    for user in [world.lead, world.member, world.teacher]:
        earlier, update = world.messages_for(user)[-2:]
        assert " ".join(str(update["Subject"]).split()) == f"{series.title}: who is invited has changed"
        assert "Who is invited to this meeting series has changed" in update.get_body(("plain",)).get_content()
        before = itip.parse(helpers.calendar_of_message(earlier)[0]).subs("VEVENT")
        after = itip.parse(helpers.calendar_of_message(update)[0]).subs("VEVENT")
        assert {e.value("SEQUENCE") for e in before} == {e.value("SEQUENCE") for e in after} == {"1"}
        assert itip.stamp_of(after[0]) > itip.stamp_of(before[0])
        # The calendar applied it (nothing ignored): its master now lists the newcomer, not the guest.
        store = helpers.store_for(world.messages_for(user))
        assert not store.ignored
        listed = {a.value.removeprefix("mailto:") for a in store.events[series.uid].master.all("ATTENDEE")}
        assert newcomer.email in listed and world.guest.email not in listed
    world.check_messages()
    world.assert_calendars([world.lead, world.member, world.teacher, world.guest, newcomer])

    # Taken off and asked again: the uninvite and the new invitation, each newer than the one before.
    services.change_invitees(series, [world.lead, world.member, world.teacher], actor=world.lead, notify=True)
    _step(world)
    services.change_invitees(series, [world.lead, world.member, world.teacher, newcomer], actor=world.lead, notify=True)
    _step(world)
    assert [helpers.calendar_of_message(m)[1] for m in world.messages_for(newcomer)] == ["REQUEST", "CANCEL", "REQUEST"]
    world.check_messages()
    world.assert_calendars([world.lead, world.member, world.teacher, newcomer])


def test_the_calendar_class_is_a_setting(calendar_world):
    world = calendar_world
    world.app.config["CALENDAR_CLASS"] = "PUBLIC"
    world.create(world.schedule(today() + timedelta(days=3), time(10, 0), count=2))
    world.deliver()
    for _, message in world.messages():
        for event in itip.parse(helpers.calendar_of_message(message)[0]).subs("VEVENT"):
            assert event.value("CLASS") == "PUBLIC"
