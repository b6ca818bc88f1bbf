"""A series' meetings: listed with their state; one moved, cancelled, recorded as held, or added as an
extra; what cannot be done to a held or cancelled meeting is refused with a clear message; generating and
extending never duplicates a meeting."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.meetings import services
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus
from coordinator.timeutil import utcnow
from tests.families.helpers import Page, assert_form_error
from tests.meetings.helpers import (
    count,
    create_series,
    csrf_from,
    meeting_counts,
    move_data,
    next_weekday,
    open_form,
    outbox,
    post,
    press,
    save,
    signed_in,
)

LONDON = ZoneInfo("Europe/London")


def occurrences(series_id: int) -> list[Occurrence]:
    db.session.expire_all()
    return db.session.scalars(select(Occurrence).where(Occurrence.series_id == series_id)
                              .order_by(Occurrence.original_start)).all()


def meeting_url(world, occurrence, action: str = "") -> str:
    return f"/families/{world.family.reference}/meetings/{occurrence.id}" + (f"/{action}" if action else "")


def series_url(world, series) -> str:
    return f"/families/{world.family.reference}/series/{series.id}"


def put_in_the_past(occurrence, *, days: int = 1) -> None:
    """The application will not put a meeting in the past, so a test that needs one that has started moves
    the row's start back directly in the database."""
    occurrence.starts_at = utcnow() - timedelta(days=days)
    occurrence.ends_at = occurrence.starts_at + timedelta(minutes=90)
    db.session.commit()


def session_csrf(client) -> str:
    """The session's CSRF token, from any page with a form (the calendar page has one)."""
    return csrf_from(open_form(client, "/calendar").html)


def held_button(page: Page):
    return next((f for f in page.find_all("form") if f.attrs.get("action", "").endswith("/held")), None)


def mark_held(client, world, occurrence):
    """Press 'Record that this meeting was held' if the meeting page offers it; otherwise post as a stale
    page (or a hand-made request) would."""
    page = open_form(client, meeting_url(world, occurrence))
    token = csrf_from(page.html) if held_button(page) else session_csrf(client)
    return client.post(meeting_url(world, occurrence, "held"), data={"csrf_token": token})


# --- moving ---------------------------------------------------------------------------------------------

def test_move_one_meeting_to_a_new_date_time_and_place(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[1]
    original = target.starts_at
    new_day = original.astimezone(LONDON).date() + timedelta(days=2)
    url = meeting_url(world, target, "move")
    confirmation = Page(post(lead, url, move_data(new_day, "14:30", duration="60", location="Oakfield Primary, room 4")))
    assert confirmation.heading == "Move this meeting?"
    assert "Only this meeting moves" in confirmation.text
    assert world.member.email in confirmation.section("Who will get a calendar update").text()
    response = press(lead, url, confirmation, "yes")
    assert response.status_code == 302, Page(response).text[:2000]

    moved = db.session.get(Occurrence, target.id)
    db.session.refresh(moved)
    assert moved.status is OccurrenceStatus.MOVED
    assert moved.original_start == original
    assert moved.starts_at == datetime.combine(new_day, time(14, 30), LONDON)
    assert moved.ends_at - moved.starts_at == timedelta(minutes=60)
    assert moved.location == "Oakfield Primary, room 4"
    others = [o for o in occurrences(world.series.id) if o.id != target.id]
    assert all(o.status is OccurrenceStatus.SCHEDULED and o.starts_at == o.original_start for o in others)
    assert sorted(m.recipient for m in outbox()) == sorted(i.email for i in world.series.current_invitees)

    page = Page(lead.get(meeting_url(world, moved)))
    assert "Moved" in page.text and "Oakfield Primary, room 4" in page.text


def test_moving_without_sending_updates_sends_nothing(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[0]
    new_day = target.starts_at.astimezone(LONDON).date() + timedelta(days=1)
    assert save(lead, meeting_url(world, target, "move"), move_data(new_day), "no").status_code == 302
    assert occurrences(world.series.id)[0].status is OccurrenceStatus.MOVED
    assert outbox() == []


def test_moving_a_held_meeting_is_refused(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[0]
    put_in_the_past(target, days=0)
    assert mark_held(lead, world, target).status_code == 302
    assert occurrences(world.series.id)[0].status is OccurrenceStatus.HELD
    before = meeting_counts()
    new_day = utcnow().astimezone(LONDON).date() + timedelta(days=3)
    page = Page(post(lead, meeting_url(world, target, "move"), move_data(new_day, "11:00")))
    assert_form_error(page, "This meeting has been held: it cannot be moved or cancelled")
    assert page.value("new_time") == "11:00"
    assert meeting_counts() == before
    assert occurrences(world.series.id)[0].status is OccurrenceStatus.HELD


def test_moving_a_cancelled_meeting_is_refused(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[0]
    assert save(lead, meeting_url(world, target, "cancel"), {"reason": "Chair unwell"}, "no").status_code == 302
    new_day = target.starts_at.astimezone(LONDON).date() + timedelta(days=3)
    page = Page(post(lead, meeting_url(world, target, "move"), move_data(new_day, "11:00")))
    assert_form_error(page, "This meeting was cancelled: it cannot be moved or cancelled again")
    assert page.value("new_time") == "11:00"
    fresh = occurrences(world.series.id)[0]
    assert fresh.status is OccurrenceStatus.CANCELLED and fresh.starts_at == target.starts_at


def test_moving_into_the_past_is_refused(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[0]
    yesterday = utcnow().astimezone(LONDON).date() - timedelta(days=1)
    page = Page(post(lead, meeting_url(world, target, "move"), move_data(yesterday)))
    assert_form_error(page, "A meeting cannot be moved into the past", "new_date")


# --- cancelling -----------------------------------------------------------------------------------------

def test_cancel_a_meeting_with_a_reason_and_not_twice(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[2]
    url = meeting_url(world, target, "cancel")
    confirmation = Page(post(lead, url, {"reason": "Family moving house that week"}))
    assert confirmation.heading == "Cancel this meeting?"
    assert press(lead, url, confirmation, "yes").status_code == 302
    fresh = occurrences(world.series.id)[2]
    assert fresh.status is OccurrenceStatus.CANCELLED
    assert fresh.cancel_reason == "Family moving house that week"
    assert sorted(m.recipient for m in outbox()) == sorted(i.email for i in world.series.current_invitees)
    assert all(m.kind == "invite_cancel" for m in outbox())

    sent = len(outbox())
    page = Page(post(lead, url, {"reason": "Again"}))
    assert_form_error(page, "This meeting was cancelled: it cannot be moved or cancelled again", "reason")
    assert page.value("reason") == "Again"
    assert occurrences(world.series.id)[2].cancel_reason == "Family moving house that week"
    assert len(outbox()) == sent

    shown = Page(lead.get(meeting_url(world, target)))
    assert "This meeting was cancelled: Family moving house that week" in shown.text
    assert not shown.link("Answer this meeting") and not shown.link("Move this meeting")


def test_a_reason_is_needed_to_cancel(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[0]
    page = Page(post(lead, meeting_url(world, target, "cancel"), {"reason": ""}))
    assert_form_error(page, "Enter the reason for cancelling", "reason")
    assert occurrences(world.series.id)[0].status is OccurrenceStatus.SCHEDULED


# --- held -----------------------------------------------------------------------------------------------

def test_held_only_after_it_started(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[0]
    assert held_button(Page(lead.get(meeting_url(world, target)))) is None  # not offered before it starts
    response = mark_held(lead, world, target)
    assert response.status_code == 302
    page = Page(lead.get(response.headers["Location"]))
    assert "A meeting cannot be recorded as held before it starts" in page.text
    assert occurrences(world.series.id)[0].status is OccurrenceStatus.SCHEDULED

    put_in_the_past(occurrences(world.series.id)[0], days=0)
    assert held_button(Page(lead.get(meeting_url(world, target)))) is not None
    assert mark_held(lead, world, target).status_code == 302
    assert occurrences(world.series.id)[0].status is OccurrenceStatus.HELD


def test_a_cancelled_meeting_cannot_be_recorded_as_held(app, world):
    lead = signed_in(app, world.lead)
    target = occurrences(world.series.id)[0]
    assert save(lead, meeting_url(world, target, "cancel"), {"reason": "Snow"}, "no").status_code == 302
    put_in_the_past(occurrences(world.series.id)[0])
    response = mark_held(lead, world, target)
    page = Page(lead.get(response.headers["Location"]))
    assert "A cancelled meeting cannot be recorded as held" in page.text
    assert occurrences(world.series.id)[0].status is OccurrenceStatus.CANCELLED


def test_only_the_lead_records_a_meeting_as_held(app, world):
    target = occurrences(world.series.id)[0]
    put_in_the_past(target)
    member = signed_in(app, world.member)
    assert held_button(open_form(member, meeting_url(world, target))) is None
    response = member.post(meeting_url(world, target, "held"), data={"csrf_token": session_csrf(member)})
    assert response.status_code == 403
    assert occurrences(world.series.id)[0].status is OccurrenceStatus.SCHEDULED


# --- the list -------------------------------------------------------------------------------------------

def test_the_series_page_lists_each_meeting_with_its_state(app, world):
    lead = signed_in(app, world.lead)
    first, second, third, fourth = occurrences(world.series.id)
    put_in_the_past(first)
    assert mark_held(lead, world, first).status_code == 302
    new_day = second.starts_at.astimezone(LONDON).date() + timedelta(days=1)
    assert save(lead, meeting_url(world, second, "move"), move_data(new_day, "13:00", location="Library"), "no").status_code == 302
    assert save(lead, meeting_url(world, third, "cancel"), {"reason": "School holiday"}, "no").status_code == 302

    page = Page(lead.get(series_url(world, world.series)))
    rows = page.table_rows(page.section("Meetings"))
    assert len(rows) == 4
    assert rows[0][1] == "Held"
    assert rows[1][1].startswith("Moved from ") and rows[1][2] == "Library"
    assert rows[2][1] == "Cancelled School holiday"
    assert rows[3][1] == "Scheduled"
    assert "13:00" in rows[1][0]


# --- extra meetings ------------------------------------------------------------------------------------

def test_add_an_extra_one_off_meeting(app, world):
    lead = signed_in(app, world.lead)
    before = occurrences(world.series.id)
    day = before[0].starts_at.astimezone(LONDON).date() + timedelta(days=10)
    url = f"/families/{world.family.reference}/series/{world.series.id}/extra"
    confirmation = Page(post(lead, url, move_data(day, "09:30", duration="45", location="Police station")))
    assert confirmation.heading == "Add this extra meeting?"
    response = press(lead, url, confirmation, "yes")
    assert response.status_code == 302

    after = occurrences(world.series.id)
    assert len(after) == len(before) + 1
    extra = next(o for o in after if o.extra_uid)
    assert extra.starts_at == datetime.combine(day, time(9, 30), LONDON)
    assert extra.ends_at - extra.starts_at == timedelta(minutes=45)
    assert extra.location == "Police station" and extra.status is OccurrenceStatus.SCHEDULED
    assert response.headers["Location"].endswith(meeting_url(world, extra))
    assert sorted(m.recipient for m in outbox()) == sorted(i.email for i in world.series.current_invitees)

    rows = Page(lead.get(series_url(world, world.series))).table_rows()
    assert any("(extra)" in row[0] and row[2] == "Police station" for row in rows)
    # the extra meeting is not part of the rule: regenerating leaves it alone and adds nothing
    series = db.session.get(MeetingSeries, world.series.id)
    series.generated_until = None
    assert services.generate_occurrences(series) == 0
    db.session.commit()
    assert len(occurrences(world.series.id)) == len(after)


def test_an_extra_meeting_at_the_time_of_another_is_refused(app, world):
    lead = signed_in(app, world.lead)
    first = occurrences(world.series.id)[0]
    local = first.starts_at.astimezone(LONDON)
    url = f"/families/{world.family.reference}/series/{world.series.id}/extra"
    page = Page(post(lead, url, move_data(local.date(), local.strftime("%H:%M"))))
    assert_form_error(page, "Another meeting of this series is already at that time", "new_date")
    assert len(occurrences(world.series.id)) == 4


# --- generating ------------------------------------------------------------------------------------------

def test_generating_twice_never_duplicates(app, world):
    series = create_series(world, next_weekday(2), interval=2)
    made = len(occurrences(series.id))
    assert made > 20
    for _ in range(3):
        series = db.session.get(MeetingSeries, series.id)
        assert services.generate_occurrences(series) == 0
        series.generated_until = None  # as if never generated: every meeting already exists
        assert services.generate_occurrences(series) == 0
        db.session.commit()
        services.extend_all()
        services.extend_all(utcnow())
    assert count(Occurrence, Occurrence.series_id == series.id) == made
    assert count(Occurrence, Occurrence.series_id == world.series.id) == 4  # the count-ended series too


def test_extend_all_extends_a_series_running_out_and_only_that(app, world):
    running_out = create_series(world, next_weekday(3), interval=1)
    fresh = create_series(world, next_weekday(4), interval=1)
    before_running_out = occurrences(running_out.id)
    before_fresh = occurrences(fresh.id)
    horizon = app.config["MEETING_HORIZON_DAYS"]

    # a month has passed for the running-out series: its meetings are generated only to 370 days ahead
    series = db.session.get(MeetingSeries, running_out.id)
    series.generated_until = utcnow() + timedelta(days=horizon - 30)
    for occurrence in list(series.occurrences):
        if occurrence.starts_at > series.generated_until:
            series.occurrences.remove(occurrence)
            db.session.delete(occurrence)
    db.session.commit()
    trimmed = len(occurrences(running_out.id))
    assert trimmed < len(before_running_out)

    made = services.extend_all()
    assert made == len(before_running_out) - trimmed
    assert [o.original_start for o in occurrences(running_out.id)] == [o.original_start for o in before_running_out]
    assert [o.id for o in occurrences(fresh.id)] == [o.id for o in before_fresh]
    db.session.expire_all()
    assert db.session.get(MeetingSeries, running_out.id).generated_until > utcnow() + timedelta(days=horizon - 1)

    # as time goes by the scheduler keeps the horizon ahead: 60 days on, both series grow by ~60 days
    later = utcnow() + timedelta(days=60)
    assert services.extend_all(later) > 0
    assert services.extend_all(later) == 0
    for series_id in (running_out.id, fresh.id):
        last = occurrences(series_id)[-1].starts_at
        assert later + timedelta(days=horizon - 8) <= last < later + timedelta(days=horizon)


def test_an_ended_series_is_not_extended(app, world):
    series = create_series(world, next_weekday(3), interval=1)
    lead = signed_in(app, world.lead)
    assert save(lead, f"/families/{world.family.reference}/series/{series.id}/end", {}, "no").status_code == 302
    db.session.expire_all()
    assert db.session.get(MeetingSeries, series.id).status.name == "ENDED"
    left = count(Occurrence, Occurrence.series_id == series.id)
    assert count(Occurrence, Occurrence.series_id == series.id, Occurrence.status != OccurrenceStatus.CANCELLED) == 0
    assert services.extend_all(utcnow() + timedelta(days=60)) == 0
    assert count(Occurrence, Occurrence.series_id == series.id) == left


def test_the_extend_meetings_due_job_is_registered(app, world):
    from coordinator.meetings import jobs
    from coordinator.scheduler.registry import DUE_JOBS, Unlimited

    assert DUE_JOBS["extend-meetings"] is jobs.extend_meetings
    series = create_series(world, next_weekday(3), interval=1)
    total = len(occurrences(series.id))
    later = utcnow() + timedelta(days=30)  # the scheduler's (keeper, now) call, a month on
    assert DUE_JOBS["extend-meetings"](Unlimited(), later) >= 4
    assert len(occurrences(series.id)) >= total + 4
    assert DUE_JOBS["extend-meetings"](Unlimited(), later) == 0
