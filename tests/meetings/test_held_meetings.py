"""Meetings tell the truth: a meeting whose minutes are started has been held, whatever its status said
(moved, say): it is shown as held, is neither overdue nor the next meeting, and cannot be moved or
cancelled; "Write the minutes" is offered from the meeting's day only; the email for a moved meeting says
which meeting moved, from when to when, and why."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus
from tests.families.helpers import Page, assert_form_error
from tests.meetings.helpers import (
    create_series,
    meeting_counts,
    move_data,
    open_form,
    outbox,
    post,
    shift_into_past,
    signed_in,
    today,
)
from tests.meetings.test_overdue import assert_not_flagged
from tests.support.clock import travel_to

LONDON = ZoneInfo("Europe/London")
HELD = "This meeting has been held: it cannot be moved or cancelled"


def meetings_of(series) -> list[Occurrence]:
    db.session.expire_all()
    return db.session.scalars(select(Occurrence).where(Occurrence.series_id == series.id)
                              .order_by(Occurrence.starts_at)).all()


def meeting_url(world, occurrence, action: str = "") -> str:
    return f"/families/{world.family.reference}/meetings/{occurrence.id}" + (f"/{action}" if action else "")


def shown_time(app, instant) -> str:
    """A meeting's start as the pages show it."""
    return app.jinja_env.filters["local_datetime"](instant)


def in_words(instant) -> str:
    return instant.astimezone(LONDON).strftime("%A %-d %B %Y at %H:%M")


def start_minutes(occurrence, user) -> None:
    from coordinator.minutes import services as minutes

    minutes.start_minutes(db.session.get(Occurrence, occurrence.id), user)
    db.session.commit()


def no_change_buttons(page: Page) -> bool:
    return not any(page.link(text) for text in ("Move this meeting", "Cancel this meeting")) and not any(
        f.attrs.get("action", "").endswith("/held") for f in page.find_all("form"))


def test_a_meeting_with_minutes_started_is_held_not_overdue_not_next_and_not_changeable(app, world, monkeypatch):
    # 09:00 today: a series every three weeks at 10:00, begun nine weeks ago; the meeting three weeks ago
    # was moved before it took place, and its minutes are started; so are those of today's, at 10:00.
    from coordinator.meetings import services

    services.end_series(world.series, actor=world.lead, notify=False)  # the family's only series is this one
    travel_to(monkeypatch, datetime.combine(today(), time(9, 0), LONDON))
    series = create_series(world, today(), interval=3)
    shift_into_past(series, 63)
    earlier, todays, following = [o for o in meetings_of(series)][2:5]
    earlier.status = OccurrenceStatus.MOVED
    earlier.starts_at += timedelta(hours=2)
    earlier.ends_at += timedelta(hours=2)
    db.session.commit()
    assert todays.starts_at.astimezone(LONDON).date() == today()
    start_minutes(earlier, world.lead)
    start_minutes(todays, world.lead)

    # Not overdue (the last meeting held is today's), and the next meeting is the one after today's.
    assert_not_flagged(app, world, db.session.get(MeetingSeries, series.id))
    lead = signed_in(app, world.lead)
    family_page = Page(lead.get(f"/families/{world.family.reference}"))
    assert f"Next meeting: {shown_time(app, following.starts_at)}" in family_page.text
    meetings_page = Page(lead.get(f"/families/{world.family.reference}/meetings"))
    assert f"Next: {shown_time(app, following.starts_at)}" in meetings_page.text

    # Both are shown as held, in words, on the series page and on their own pages.
    series_page = Page(lead.get(f"/families/{world.family.reference}/series/{series.id}"))
    rows = {row[0]: row[1] for row in series_page.table_rows()}
    assert rows[shown_time(app, earlier.starts_at)].startswith("Held")
    assert "moved from" in rows[shown_time(app, earlier.starts_at)]
    assert rows[shown_time(app, todays.starts_at)].startswith("Held")
    for meeting in (earlier, todays):
        page = open_form(lead, meeting_url(world, meeting))
        assert "Status Held" in " ".join(page.find("dl").text().split()), page.find("dl").text()
        assert "Moved" not in page.find("dl").text()
        assert no_change_buttons(page), meeting
        assert page.link("Continue the minutes")

    # A page opened before the minutes were started (or a hand-made request) is refused, with the form's
    # GOV.UK error and nothing changed or sent.
    before = meeting_counts()
    refused = Page(post(lead, meeting_url(world, todays, "cancel"), {"reason": "Chair unwell"}))
    assert refused.status_code == 200
    assert_form_error(refused, HELD, "reason")
    assert refused.value("reason") == "Chair unwell"
    refused = Page(post(lead, meeting_url(world, todays, "move"), move_data(today() + timedelta(days=2), "11:00")))
    assert refused.status_code == 200
    assert_form_error(refused, HELD)
    assert refused.value("new_time") == "11:00"
    assert meeting_counts() == before
    assert [m.status for m in meetings_of(series)][2:4] == [OccurrenceStatus.MOVED, OccurrenceStatus.SCHEDULED]
    assert outbox() == []


def test_ending_the_series_keeps_a_meeting_held_today(app, world, monkeypatch):
    """Held by its minutes, today's meeting (not started yet) is history: ending the series keeps it."""
    from coordinator.meetings import services

    travel_to(monkeypatch, datetime.combine(today(), time(9, 0), LONDON))
    series = create_series(world, today(), interval=3)
    todays = meetings_of(series)[0]
    start_minutes(todays, world.lead)
    services.end_series(db.session.get(MeetingSeries, series.id), actor=world.lead, notify=False)
    db.session.commit()
    assert [(o.id, o.status) for o in meetings_of(series)] == [(todays.id, OccurrenceStatus.SCHEDULED)]


def test_write_the_minutes_is_offered_from_the_meetings_day_only(app, world, monkeypatch):
    meeting = meetings_of(world.series)[0]  # a week from today, at 10:00
    lead = signed_in(app, world.lead)
    page = open_form(lead, meeting_url(world, meeting))
    assert not page.link("Write the minutes")
    assert page.link("Move this meeting") and page.link("Cancel this meeting")

    # The day before, at 23:30, still not; on the day, at 08:00 (before it starts), yes.
    day = meeting.starts_at.astimezone(LONDON).date()
    travel_to(monkeypatch, datetime.combine(day - timedelta(days=1), time(23, 30), LONDON))
    assert not open_form(lead, meeting_url(world, meeting)).link("Write the minutes")
    travel_to(monkeypatch, datetime.combine(day, time(8, 0), LONDON))
    page = open_form(lead, meeting_url(world, meeting))
    editor = page.link("Write the minutes")
    assert editor
    assert lead.get(editor).status_code == 200  # the editor opens, with the minutes started

    # Started, the minutes make the meeting held: it is no longer offered to be moved or cancelled.
    page = open_form(lead, meeting_url(world, meeting))
    assert page.link("Continue the minutes") and no_change_buttons(page)
