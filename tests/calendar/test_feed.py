"""The personal calendar feed (/calendar/<token>.ics): what a subscribed calendar shows, read by ical.js
and recurring_ical_events, is what the database says; cancelled meetings are there as cancelled."""
from __future__ import annotations

from datetime import time, timedelta

from coordinator.extensions import db
from coordinator.meetings import services
from coordinator.meetings.models import MeetingType, OccurrenceStatus
from coordinator.timeutil import today
from tests.calendar import helpers, itip


def _rule(series):
    db.session.expire_all()
    return sorted(series.rule_occurrences, key=lambda o: o.original_start)


def _feed_url(user) -> str:
    from coordinator.calendar import feed

    token = feed.token_for(user)
    db.session.commit()
    return f"/calendar/{token}.ics"


def _busy_family(world):
    """Two series: one with a moved, a cancelled and a moved-then-cancelled meeting, an extra meeting and a
    cancelled extra one, across the next spring clock change; another that the teacher is taken off."""
    spring = helpers.next_last_sunday(3, today())
    first = max(today() + timedelta(days=2), spring - timedelta(days=30))
    main = world.create(world.schedule(first, time(10, 0), until=spring + timedelta(days=60)))
    rule = _rule(main)
    # The Friday before the clock change moved to the Tuesday after it (before the next Friday's meeting).
    services.move_occurrence(rule[4], actor=world.lead, new_date=rule[4].original_start.date() + timedelta(days=4),
                             new_time=time(9, 0))
    services.cancel_occurrence(rule[2], actor=world.lead, reason="Room unavailable")
    services.move_occurrence(rule[3], actor=world.lead, new_date=rule[3].original_start.date() + timedelta(days=1),
                             new_time=time(15, 0))
    services.cancel_occurrence(rule[3], actor=world.lead, reason="Chair ill")
    services.add_extra(main, actor=world.lead, on=first + timedelta(days=3), at=time(12, 0), duration_minutes=30)
    gone = services.add_extra(main, actor=world.lead, on=first + timedelta(days=4), at=time(12, 0), duration_minutes=30)
    services.cancel_occurrence(gone, actor=world.lead, reason="Not needed")
    db.session.commit()
    schedule = world.schedule(today() + timedelta(days=6), time(16, 0), weekly=4, count=6)
    schedule.meeting_type = MeetingType.CIN_REVIEW
    other = world.create(schedule)
    services.change_invitees(other, [world.lead, world.member, world.guest], actor=world.lead)
    db.session.commit()
    world.deliver()
    return main, other


def test_the_feed_shows_what_the_application_shows(calendar_world, client):
    world = calendar_world
    main, other = _busy_family(world)
    start, end = world.window()
    for user in [world.lead, *world.invitees]:
        response = client.get(_feed_url(user))
        assert response.status_code == 200
        assert response.mimetype == "text/calendar"
        text = response.get_data(as_text=True)
        calendar = itip.parse(text)
        assert calendar.value("METHOD") is None  # a published calendar, not an iTIP message
        assert [z.value("TZID") for z in calendar.subs("VTIMEZONE")] == ["Europe/London"]
        view = helpers.assert_calendar_is_app(text, world.series_of(user), start, end, with_cancelled=True)
        db.session.expire_all()
        cancelled = [o for o in main.occurrences if o.status is OccurrenceStatus.CANCELLED]
        assert len(cancelled) == 3
        assert sum(len(entry["cancelled"]) for entry in view.values()) == 3
        assert len(view[main.uid]["cancelled"]) == 2
        assert (other.uid in view) == (user is not world.teacher)
        # The feed is what the invites made of the same series, plus the cancelled meetings.
        from_invites = helpers.icaljs_view(world.calendar_of(user), start, end)
        assert {uid: e["meetings"] for uid, e in from_invites.items() if e["meetings"]} == \
            {uid: e["meetings"] for uid, e in view.items() if e["meetings"]}
    world.check_messages()


def test_a_wrong_token_is_a_404_and_a_reset_retires_the_old_address(calendar_world, client):
    from coordinator.calendar import feed

    world = calendar_world
    world.create(world.schedule(today() + timedelta(days=3), time(11, 0), count=3))
    world.deliver()
    url = _feed_url(world.member)
    assert client.get(url).status_code == 200
    token = url.removeprefix("/calendar/").removesuffix(".ics")
    user_id, signature = token.split("-", 1)
    other_id = str(world.teacher.id)
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    for wrong in [f"{user_id}-{flipped}", f"{other_id}-{signature}", f"{user_id}-", f"-{signature}", "nothing",
                  f"{user_id}{signature}", f"999999-{signature}", f"{user_id}-{signature}x"]:
        assert client.get(f"/calendar/{wrong}.ics").status_code == 404, wrong

    new_token = feed.reset(world.member)
    db.session.commit()
    assert new_token != token
    assert client.get(url).status_code == 404
    response = client.get(f"/calendar/{new_token}.ics")
    assert response.status_code == 200
    start, end = world.window()
    helpers.assert_calendar_is_app(response.get_data(as_text=True), world.series_of(world.member), start, end,
                                   with_cancelled=True)


# --- polling: an unchanged feed costs its version, a changed one rebuilds only what changed ----------------

def test_an_unchanged_feed_answers_304_and_any_change_shows(calendar_world, client, make_user):
    from coordinator.auth import services as auth_services

    world = calendar_world
    main = world.create(world.schedule(today() + timedelta(days=3), time(11, 0), count=4))
    other = world.create(world.schedule(today() + timedelta(days=4), time(15, 0), count=2))
    url = _feed_url(world.member)
    first = client.get(url)
    assert first.status_code == 200 and first.headers["Last-Modified"]
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/"), etag  # strong: the same bytes for the same ETag
    assert first.headers["Cache-Control"] == "private, no-cache"  # kept, and revalidated on every poll
    again = client.get(url)
    assert again.get_data() == first.get_data()  # the same text: DTSTAMP is the series' last change, not now
    assert again.headers["ETag"] == etag and again.headers["Last-Modified"] == first.headers["Last-Modified"]

    # A calendar app that sends back the ETag it was given, or the date, gets "not modified" and no body.
    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag
    by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304 and by_date.get_data() == b""
    # An ETag that does not match wins over the date (RFC 9110 13.1.3): the whole feed.
    other_tag = client.get(url, headers={"If-None-Match": '"something-else"',
                                         "If-Modified-Since": first.headers["Last-Modified"]})
    assert other_tag.status_code == 200 and other_tag.get_data() == first.get_data()

    # A meeting moved (within the same second, as a test goes): the next poll gets the new feed, with the
    # move in it, by the ETag and by the date alike.
    rule = _rule(main)
    services.move_occurrence(rule[1], actor=world.lead, new_date=rule[1].original_start.date() + timedelta(days=1),
                             new_time=time(14, 0))
    db.session.commit()
    for asked in ({"If-None-Match": etag}, {"If-Modified-Since": first.headers["Last-Modified"]}):
        moved = client.get(url, headers=asked)
        assert moved.status_code == 200 and moved.headers["ETag"] != etag, asked
        start, end = world.window()
        helpers.assert_calendar_is_app(moved.get_data(as_text=True), world.series_of(world.member), start, end,
                                       with_cancelled=True)
    since = moved.headers.get("Last-Modified")
    assert since is None or since != first.headers["Last-Modified"]  # (none while it would be in the future)

    # Taken off a series: the series' own last change does not say so, the feed's date does.
    stamp = client.get(url)
    services.change_invitees(other, [world.lead, world.teacher], actor=world.lead)
    db.session.commit()
    for asked in ({"If-None-Match": stamp.headers["ETag"]},
                  {"If-Modified-Since": stamp.headers.get("Last-Modified") or first.headers["Last-Modified"]}):
        dropped = client.get(url, headers=asked)
        assert dropped.status_code == 200, asked
        assert other.uid not in dropped.get_data(as_text=True) and main.uid in dropped.get_data(as_text=True)

    # A colleague's name corrected by an administrator: their name in every attendee line changes too.
    admin = make_user("admin@council.test", "Ada Admin", admin=True)
    lead = world.lead
    latest = client.get(url)
    auth_services.update_user(lead, actor=admin, expected_revision=lead.revision, name="Lee Lead-Smith")
    db.session.commit()
    renamed = client.get(url, headers={"If-None-Match": latest.headers["ETag"]})
    assert renamed.status_code == 200
    assert "Lee Lead-Smith" in renamed.get_data(as_text=True).replace("\r\n ", "")


def test_a_feed_poll_sets_no_cookie_signed_in_or_not(calendar_world, client, app):
    """Calendar apps keep no cookies, and a cookie set on each poll would be a session made for nobody; a
    browser that opens the feed while signed in keeps its session as it was (not renewed, not ended)."""
    from tests.conftest import sign_in

    world = calendar_world
    world.create(world.schedule(today() + timedelta(days=3), time(11, 0), count=2))
    url = _feed_url(world.member)
    browser = app.test_client()
    sign_in(browser, world.member.email)
    for who in (client, browser):
        for headers in ({}, {"If-None-Match": client.get(url).headers["ETag"]}):
            response = who.get(url, headers=headers)
            assert response.status_code in (200, 304)
            assert "Set-Cookie" not in response.headers, response.headers
        assert who.get("/calendar/1-wrong.ics").headers.get("Set-Cookie") is None
    assert browser.get("/calendar").status_code == 200  # still signed in


def test_cancelled_meetings_in_the_feed_are_free_and_say_so(calendar_world, client):
    """Outlook shows an event with STATUS:CANCELLED alone as going ahead: a cancelled meeting in the feed is
    titled "Cancelled: ..." and leaves the time free (TRANSP:TRANSPARENT); the others stay busy. Every
    event is CLASS:PRIVATE (the CALENDAR_CLASS default) and stamped with its series' last change."""
    world = calendar_world
    main, _other = _busy_family(world)
    text = client.get(_feed_url(world.member)).get_data(as_text=True)
    events = itip.parse(text).subs("VEVENT")
    db.session.expire_all()
    cancelled = [e for e in events if e.value("STATUS") == "CANCELLED"]
    assert len(cancelled) == 3  # two meetings of the series, one extra meeting
    for event in events:
        title = itip.unescape(event.value("SUMMARY"))
        if event in cancelled:
            assert title == f"Cancelled: {main.title}" or title.startswith("Cancelled: ")
            assert event.value("TRANSP") == "TRANSPARENT"
        else:
            assert not title.startswith("Cancelled") and event.value("TRANSP") == "OPAQUE"
        assert event.value("CLASS") == "PRIVATE"
    for event in (e for e in events if e.value("UID") == main.uid):
        assert itip.stamp_of(event) == main.updated_at.replace(microsecond=0)


def test_a_poll_costs_the_same_few_queries_for_3_or_12_series_and_a_change_rebuilds_one(calendar_world, client):
    from tests.families.helpers import counting_queries

    world = calendar_world
    made = [world.create(world.schedule(today() + timedelta(days=3 + n), time(9, 0), count=3)) for n in range(3)]
    url = _feed_url(world.member)
    etag = client.get(url).headers["ETag"]
    with counting_queries(db.engine) as few:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    made += [world.create(world.schedule(today() + timedelta(days=8 + n), time(9, 0), count=3)) for n in range(9)]
    etag = client.get(url).headers["ETag"]
    with counting_queries(db.engine) as many:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert len(many) == len(few) <= 4

    services.cancel_occurrence(_rule(made[5])[0], actor=world.lead, reason="Room unavailable")
    db.session.commit()
    with counting_queries(db.engine) as rebuilt:
        response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    series_loads = [s for s in rebuilt if s.lstrip().upper().startswith("SELECT MEETING_SERIES.")
                    and "meeting_series.id IN" in s]
    assert len(series_loads) == 1 and series_loads[0].count("?") + series_loads[0].count("%(") <= 2
    start, end = world.window()
    helpers.assert_calendar_is_app(response.get_data(as_text=True), world.series_of(world.member), start, end,
                                   with_cancelled=True)


def test_taken_off_a_series_the_next_poll_drops_it_even_with_the_kept_text_crowded_out(calendar_world, client,
                                                                                     monkeypatch):
    from coordinator.calendar import feed

    monkeypatch.setattr(feed, "_SERIES_TEXT_LIMIT", 2)  # fewer kept texts than the person's series
    world = calendar_world
    made = [world.create(world.schedule(today() + timedelta(days=3 + n), time(9, 0), count=3)) for n in range(3)]
    url = _feed_url(world.member)
    first = client.get(url)
    assert first.status_code == 200 and all(s.uid in first.get_data(as_text=True) for s in made)

    services.change_invitees(made[1], [world.lead], actor=world.lead)
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    text = after.get_data(as_text=True)
    assert made[1].uid not in text and made[0].uid in text and made[2].uid in text

