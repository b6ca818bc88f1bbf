"""A series cut short (ended, split) after updates were asked for its next meetings: nothing is lost and
nothing breaks. The meetings an update was asked for stay, cancelled, with their requests and drafts; the
others go."""
from __future__ import annotations

from datetime import timedelta

from coordinator.extensions import db
from tests.calendar.helpers import python_view
from tests.minutes.conftest import client_for, team  # noqa: F401  (the fixtures)


def test_ending_a_series_keeps_the_meetings_updates_were_asked_for(app, world):
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import Occurrence, OccurrenceStatus
    from coordinator.submissions import services as updates
    from coordinator.submissions.models import Submission, SubmissionRequest
    from coordinator.timeutil import utcnow

    series = world.series
    future = sorted((o for o in series.occurrences if o.starts_at > utcnow()), key=lambda o: o.starts_at)
    assert len(future) >= 3
    # The first stays anyway (cancelled: the cut rule still reaches it); a later one is the test.
    asked, not_asked = future[-1], future[1:-1]
    request = {r.agency_id: r for r in updates.ensure_requests(asked)}[world.member.agency_id]
    request.state = updates.RequestState.OPEN
    updates.save(request, world.member, {"worries": "Dad is back"}, submit=False, expected_revision=None)
    db.session.commit()
    not_asked_ids = [o.id for o in not_asked]

    meetings.end_series(series, actor=world.lead)
    db.session.commit()

    kept = db.session.get(Occurrence, asked.id)
    assert kept is not None and kept.status is OccurrenceStatus.CANCELLED
    assert db.session.scalar(db.select(db.func.count()).select_from(Occurrence)
                             .where(Occurrence.id.in_(not_asked_ids))) == 0
    assert db.session.scalar(db.select(SubmissionRequest).where(SubmissionRequest.occurrence_id == asked.id))
    draft = db.session.scalar(db.select(Submission).where(Submission.request_id == request.id))
    assert draft is not None and "Dad is back" in draft.data

    # The family page, the series and the feed still answer.
    from tests.families.conftest import act_as

    client = app.test_client()
    act_as(client, world.lead)
    assert client.get(f"/families/{world.family.reference}").status_code == 200
    assert client.get(f"/families/{world.family.reference}/series/{series.id}").status_code == 200


def test_closing_a_family_cancels_its_meetings_in_every_calendar_and_closes_its_requests(app, world):
    """Closed, a family meets no more: its running series end (each invitee is sent the cancellation, the
    feed drops the meetings), its open requests are closed; reopening brings none of it back."""
    from coordinator.calendar import feed
    from coordinator.families import services as families
    from coordinator.meetings.models import SeriesStatus
    from coordinator.notify.models import OutboxMessage
    from coordinator.submissions import services as updates
    from coordinator.submissions.models import RequestState
    from coordinator.timeutil import utcnow

    series = world.series
    future = sorted((o for o in series.occurrences if o.starts_at > utcnow()), key=lambda o: o.starts_at)
    requests = updates.ensure_requests(future[-1])
    for request in requests:
        request.state = RequestState.OPEN
    db.session.commit()
    feed_before = feed.feed_ics(world.member)
    assert f"UID:{series.uid}" in feed_before

    families.close_family(world.family, actor=world.lead, on=utcnow().date(), reason="Case closed: family moved")
    db.session.commit()

    assert series.status is SeriesStatus.ENDED
    cancels = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.recipient == world.member.email)).all()
    assert any("METHOD:CANCEL" in m.mime for m in cancels), [m.subject for m in cancels]
    assert {r.state for r in requests} == {RequestState.CLOSED}
    # Read back by recurring_ical_events: nothing live from now on.
    live_after = python_view(feed.feed_ics(world.member), utcnow(), utcnow() + timedelta(days=400))
    assert live_after.get(series.uid, {}).get("meetings", []) == []
    assert python_view(feed_before, utcnow(), utcnow() + timedelta(days=400))[series.uid]["meetings"]

    families.reopen_family(world.family, actor=world.lead, reason="Family back in the area")
    db.session.commit()
    assert series.status is SeriesStatus.ENDED and {r.state for r in requests} == {RequestState.CLOSED}


def test_ending_a_series_keeps_a_meeting_whose_minutes_were_started(app, world):
    """Minutes may be started from the meeting's morning: a series ended (or the family closed) before the
    meeting starts keeps it, with its minutes (a foreign-key error on PostgreSQL before). Its minutes started,
    it has been held (issue 13): it stays as history, not cancelled."""
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import Occurrence, OccurrenceStatus
    from coordinator.minutes.models import Minutes, MinutesStatus
    from coordinator.timeutil import utcnow

    future = sorted((o for o in world.series.occurrences if o.starts_at > utcnow()), key=lambda o: o.starts_at)
    later = future[-1]
    db.session.add(Minutes(occurrence_id=later.id, family_id=world.family.id, status=MinutesStatus.DRAFT,
                           content="{}", revision=1))
    db.session.commit()

    meetings.end_series(world.series, actor=world.lead)
    db.session.commit()
    kept = db.session.get(Occurrence, later.id)
    assert kept is not None and kept.status is not OccurrenceStatus.CANCELLED and meetings.is_held(kept)
    assert db.session.scalar(db.select(Minutes).where(Minutes.occurrence_id == later.id)) is not None


def test_a_closed_familys_minutes_are_not_started_by_opening_the_editor(app, team, client_for):
    """Opening the editor (a GET) of a meeting with no minutes, in a closed family, writes nothing."""
    from coordinator.families import services as families
    from coordinator.minutes.models import Minutes

    families.close_family(team.family, actor=team.lead, on=team.family.created_at.date(), reason="Case closed")
    db.session.commit()
    meeting = team.meetings[0]
    response = client_for(team.taker).get(team.editor(meeting))
    assert response.status_code == 302
    assert db.session.scalar(db.select(Minutes).where(Minutes.occurrence_id == meeting.id)) is None
