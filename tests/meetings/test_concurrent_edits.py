"""Two people changing the same series at once (the lead in two browsers, or the lead and a colleague
signed in as the lead): both open a form at the same revision; the first save wins; the second is refused
and shown the meeting as it is now beside what they typed, their input kept, and nothing of the first
overwritten."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus
from coordinator.timeutil import long_date
from tests.families.helpers import Page
from tests.meetings.helpers import meeting_counts, move_data, open_form, outbox, save, signed_in

LONDON = ZoneInfo("Europe/London")


def assert_conflict(page: Page, shown: dict) -> None:
    assert page.status_code == 200 and page.title.startswith("Error: "), (page.status_code, page.title)
    assert page.conflict_title() == "Someone else saved this meeting while you were editing"
    assert page.conflict() == shown


def occurrences(series_id):
    db.session.expire_all()
    return db.session.scalars(select(Occurrence).where(Occurrence.series_id == series_id)
                              .order_by(Occurrence.original_start)).all()


def test_two_moves_of_the_same_meeting(app, world):
    first_editor, second_editor = signed_in(app, world.lead), signed_in(app, world.lead)
    target = occurrences(world.series.id)[1]
    url = f"/families/{world.family.reference}/meetings/{target.id}/move"
    first_page, second_page = open_form(first_editor, url), open_form(second_editor, url)
    revision = db.session.get(MeetingSeries, world.series.id).revision
    assert first_page.value("revision") == second_page.value("revision") == str(revision)

    base = target.starts_at.astimezone(LONDON).date()
    one, two = base + timedelta(days=1), base + timedelta(days=2)
    assert save(first_editor, url, move_data(one, "11:00", location="Town hall"), "yes",
                page=first_page).status_code == 302
    sent = len(outbox())
    after_first = meeting_counts()

    response = save(second_editor, url, move_data(two, "15:45", location="Library"), "yes", page=second_page)
    page = Page(response)
    assert_conflict(page, {"New date": (long_date(one), long_date(two)),
                           "New start time": ("11:00", "15:45"), "Place (if different)": ("Town hall", "Library")})
    # what the second person typed is kept, and the form now carries the current revision to try again with
    assert page.value("new_time") == "15:45" and page.value("location") == "Library"
    assert [n.attrs.get("value") for n in page.find_all("input", name="new_date")] == [
        str(two.day), str(two.month), str(two.year)]
    assert page.value("revision") == str(revision + 1)

    moved = occurrences(world.series.id)[1]
    assert moved.starts_at == datetime.combine(one, time(11, 0), LONDON)
    assert moved.location == "Town hall" and moved.status is OccurrenceStatus.MOVED
    assert db.session.get(MeetingSeries, world.series.id).revision == revision + 1
    assert meeting_counts() == after_first and len(outbox()) == sent

    # trying again from the refreshed form works, and is then a deliberate change of the first one's move
    assert save(second_editor, url, move_data(two, "15:45", location="Library"), "no", page=page).status_code == 302
    assert occurrences(world.series.id)[1].location == "Library"


def test_a_cancel_and_a_move_of_different_meetings_of_the_series(app, world):
    canceller, mover = signed_in(app, world.lead), signed_in(app, world.lead)
    first, second = occurrences(world.series.id)[:2]
    cancel_url = f"/families/{world.family.reference}/meetings/{first.id}/cancel"
    move_url = f"/families/{world.family.reference}/meetings/{second.id}/move"
    cancel_page, move_page = open_form(canceller, cancel_url), open_form(mover, move_url)

    assert save(canceller, cancel_url, {"reason": "Chair unwell"}, "no", page=cancel_page).status_code == 302
    new_day = second.starts_at.astimezone(LONDON).date() + timedelta(days=1)
    page = Page(save(mover, move_url, move_data(new_day, "12:00"), "no", page=move_page))
    planned = second.starts_at.astimezone(LONDON)
    assert_conflict(page, {"New date": (long_date(planned), long_date(new_day)),
                           "New start time": (planned.strftime("%H:%M"), "12:00")})
    assert page.value("new_time") == "12:00"
    fresh = occurrences(world.series.id)
    assert fresh[0].status is OccurrenceStatus.CANCELLED and fresh[0].cancel_reason == "Chair unwell"
    assert fresh[1].status is OccurrenceStatus.SCHEDULED and fresh[1].starts_at == second.starts_at
