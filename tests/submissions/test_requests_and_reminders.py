"""Requests for agencies' updates and their reminders, sent by the scheduler's job
(``coordinator.submissions.services.run_requests``) at chosen instants, and read from a real SMTP server as
a mail client would.

The meetings are on fixed dates in January 2027 (the application runs on a ``clock``), so the working days
can be checked by hand:

- Thursday 14 January 2027: the request goes on Tuesday 5 January (7 working days before), the deadline is
  Tuesday 12 January (2 working days before), reminders on Friday 8 January and on the 12th.
- Tuesday 5 January 2027, across Christmas and New Year (Christmas Day Friday 25 December, Boxing Day
  observed Monday 28 December, New Year's Day Friday 1 January): the request goes on Tuesday 22 December,
  the deadline is Thursday 31 December, reminders on Tuesday 29 and Thursday 31 December.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.notify.models import OutboxMessage
from coordinator.submissions import services
from coordinator.submissions.models import RequestState, SubmissionRequest
from tests.submissions.conftest import delivered, html_body, london, plain_body

HEALTH, SCHOOL, POLICE = "hv@nhs.test", "dsl@school.test", "pc@police.test"


@dataclass
class Scheduled:
    world: object
    clock: object
    second_health: object
    school: object
    police: object

    @property
    def ref(self) -> str:
        return self.world.family.reference

    def meeting(self, day: date, at: time = time(10, 0), count: int = 1):
        """A one-off professionals meeting for the world's family: the lead chairs; the health visitor (and a
        colleague of hers), the school and the police are invited. (``count``: a series of that many, six weeks
        apart: a meeting can be moved later only within its series, not past its last date.)"""
        from coordinator.meetings import services as meetings
        from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

        schedule = meetings.Schedule(MeetingType.PROFESSIONALS, day, at, 90, Recurrence.WEEKLY, 6,
                                     SeriesEnd.AFTER_COUNT, count=count, location="Family centre")
        series = meetings.create_series(self.world.family, schedule, actor=self.world.lead, chair=self.world.lead,
                                        minute_taker=None, notify=False,
                                        invitees=[self.world.member, self.second_health, self.school, self.police])
        db.session.commit()
        return series.occurrences[0]

    def run(self, day: date, at: time = time(9, 0)) -> dict:
        """The job, at this wall-clock time in London."""
        self.clock.set(day, at)
        return services.run_requests(self.clock.now)


@pytest.fixture
def sched(clock, world, make_user, app, smtp_server):
    """The world's family on the clock (1 December 2026), its own series ended so that only the meetings a
    test makes are scheduled, and mail going to the test SMTP server."""
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole
    from coordinator.meetings import services as meetings

    app.config.update(smtp_server.config())
    second_health = make_user("hv2@nhs.test", "Hal Visitor", agency_name="Health visiting")
    school = make_user(SCHOOL, "Sam School", agency_name="Oakfield Primary")
    police = make_user(POLICE, "Pip Constable", agency_name="Police")
    for user in (school, police):
        families.add_to_network(world.family, user, NetworkRole.MEMBER, reason="Works with the family", actor=world.lead)
    meetings.end_series(world.series, actor=world.lead, notify=False)
    db.session.commit()
    return Scheduled(world, clock, second_health, school, police)


def requests_for(occurrence) -> dict[str, SubmissionRequest]:
    db.session.expire_all()
    rows = db.session.scalars(select(SubmissionRequest).where(SubmissionRequest.occurrence_id == occurrence.id)).all()
    return {r.recipient.email: r for r in rows}


def mail(sched, smtp_server) -> list[tuple[str, str]]:
    """Everything the SMTP server has received so far, as (recipient, subject)."""
    return [(m["To"], m["Subject"]) for m in delivered(smtp_server, sched.clock.now)]


def submit_update(sched, request, user):
    services.save(request, user, {"worries": "None", "share_with_family": "yes"}, submit=True,
                  expected_revision=None, now=sched.clock.now)
    db.session.commit()


def request_subject(ref, day, deadline):
    return f"Your update for the professionals meeting (ref {ref}) on {day} is due by {deadline}"


def reminder_subject(ref, day, deadline):
    return f"Reminder: your update for the professionals meeting (ref {ref}) on {day} is due by {deadline}"


def test_each_invited_agency_is_asked_once_seven_working_days_before_the_meeting(sched, smtp_server):
    occurrence = sched.meeting(date(2027, 1, 14))

    # The evening before the send date: the requests exist, waiting, and nobody is emailed.
    assert sched.run(date(2027, 1, 4), time(23, 30))["requests"] == 0
    requests = requests_for(occurrence)
    # One per invited agency, to a named professional: the health visitor (not also her colleague), the
    # school, the police. The chair's own agency, where the chair is the only one invited, is not asked.
    assert sorted(requests) == sorted([HEALTH, SCHOOL, POLICE])
    assert {r.agency.name for r in requests.values()} == {"Health visiting", "Oakfield Primary", "Police"}
    for request in requests.values():
        assert request.state is RequestState.WAITING and request.sent_at is None
        assert request.send_on == date(2027, 1, 5)
        assert request.deadline == date(2027, 1, 12)
    assert mail(sched, smtp_server) == []

    # Just after midnight on the send date they go, once each.
    assert sched.run(date(2027, 1, 5), time(0, 5))["requests"] == 3
    assert sched.run(date(2027, 1, 5), time(9, 0))["requests"] == 0
    messages = delivered(smtp_server, sched.clock.now)
    assert sorted(m["To"] for m in messages) == sorted([HEALTH, SCHOOL, POLICE])
    for request in requests_for(occurrence).values():
        assert request.state is RequestState.OPEN

    # As a mail client reads it: the reference, the dates and a link to the update; no names.
    family, world = sched.world.family, sched.world
    requests = requests_for(occurrence)
    for message in messages:
        request = requests[message["To"]]
        link = f"http://localhost/families/{family.reference}/updates/{request.id}"
        assert message["Subject"] == request_subject(family.reference, "14 January", "12 January")
        text, html = plain_body(message), html_body(message)
        assert link in text and f'href="{link}"' in html
        assert re.findall(r"https?://\S+", text) == [link]
        assert re.findall(r'href="([^"]+)"', html) == [link]
        for secret in ("Harrow", "Ruby", "Kelly", world.member.name, world.lead.name, "Sam School", "Pip Constable",
                       "child protection", world.child.date_of_birth.isoformat()):
            for part in (message["Subject"], text, html):
                assert secret.lower() not in part.lower(), (secret, part)


def test_working_days_skip_weekends_and_bank_holidays(sched, smtp_server):
    occurrence = sched.meeting(date(2027, 1, 5))  # a Tuesday, after Christmas and New Year

    sched.run(date(2026, 12, 21), time(18, 0))
    for request in requests_for(occurrence).values():
        # Mon 4 Jan, (Fri 1 Jan New Year's Day), Thu 31 Dec: the deadline.
        assert request.deadline == date(2026, 12, 31)
        # ... Wed 30, Tue 29, (Mon 28 Boxing Day observed, Sat 26, Sun 27, Fri 25 Christmas Day), Thu 24,
        # Wed 23, Tue 22 December: the seventh working day before.
        assert request.send_on == date(2026, 12, 22)
        assert request.state is RequestState.WAITING
    assert mail(sched, smtp_server) == []

    sched.run(date(2026, 12, 22), time(7, 0))
    assert sorted(mail(sched, smtp_server)) == sorted(
        (to, request_subject(sched.ref, "5 January", "31 December")) for to in (HEALTH, SCHOOL, POLICE))

    # Reminders: two working days before the deadline (Tue 29 December, not the bank holiday on the 28th),
    # and on the deadline day.
    reminders_by_day = {}
    day = date(2026, 12, 23)
    while day < date(2027, 1, 5):
        before = len(smtp_server.messages)
        sched.run(day, time(7, 0))
        delivered(smtp_server, sched.clock.now)
        reminders_by_day[day] = len(smtp_server.messages) - before
        day += timedelta(days=1)
    # The first working-day run after the deadline (New Year's Day, the job runs every day): the lead
    # professional is told, once for each agency, that its update is late.
    assert {d: n for d, n in reminders_by_day.items() if n} == {date(2026, 12, 29): 3, date(2026, 12, 31): 3,
                                                                  date(2027, 1, 1): 3}
    late = [s for to, s in mail(sched, smtp_server) if to == sched.world.lead.email]
    assert late == [f"An agency's update is late: family {sched.ref}"] * 3
    assert [s for _, s in mail(sched, smtp_server)].count(reminder_subject(sched.ref, "5 January", "31 December")) == 6


def test_the_working_days_are_settings(sched, smtp_server, app):
    app.config.update(UPDATE_REQUEST_WORKING_DAYS=10, UPDATE_DEADLINE_WORKING_DAYS=5)
    occurrence = sched.meeting(date(2027, 1, 14))

    sched.run(date(2026, 12, 29))
    for request in requests_for(occurrence).values():
        assert request.deadline == date(2027, 1, 7)  # 13, 12, 11, 8, 7 January
        assert request.send_on == date(2026, 12, 30)  # ... 6, 5, 4 January, 31, 30 December (1 January a holiday)
    assert mail(sched, smtp_server) == []
    sched.run(date(2026, 12, 30))
    assert {s for _, s in mail(sched, smtp_server)} == {request_subject(sched.ref, "14 January", "7 January")}


def test_reminders_go_only_to_agencies_that_have_not_submitted_and_stop_once_they_have(sched, smtp_server):
    occurrence = sched.meeting(date(2027, 1, 14))
    sched.run(date(2027, 1, 5))
    requests = requests_for(occurrence)
    assert len(mail(sched, smtp_server)) == 3

    sched.run(date(2027, 1, 6), time(11, 0))
    submit_update(sched, requests[HEALTH], sched.world.member)  # the health visitor submits early
    assert requests_for(occurrence)[HEALTH].state is RequestState.SUBMITTED

    arrivals = {}
    day = date(2027, 1, 6)
    while day <= date(2027, 1, 14):
        for at in (time(6, 0), time(13, 0), time(21, 0)):
            before = len(smtp_server.messages)
            sched.run(day, at)
            delivered(smtp_server, sched.clock.now)
            if len(smtp_server.messages) > before:
                arrivals[(day, at)] = sorted(m["message"]["To"] for m in smtp_server.messages[before:])
        if day == date(2027, 1, 11):
            submit_update(sched, requests_for(occurrence)[SCHOOL], sched.school)  # the school, between reminders
        day += timedelta(days=1)

    # Two working days before the deadline: the school and the police. On the deadline day: the police only.
    # The day after the deadline, the lead professional is told the police update is late, once.
    assert arrivals == {(date(2027, 1, 8), time(6, 0)): [SCHOOL, POLICE],
                        (date(2027, 1, 12), time(6, 0)): [POLICE],
                        (date(2027, 1, 13), time(6, 0)): [sched.world.lead.email]}
    reminders = [(to, s) for to, s in mail(sched, smtp_server) if s.startswith("Reminder:")]
    assert sorted(reminders) == sorted([(SCHOOL, reminder_subject(sched.ref, "14 January", "12 January")),
                                        (POLICE, reminder_subject(sched.ref, "14 January", "12 January")),
                                        (POLICE, reminder_subject(sched.ref, "14 January", "12 January"))])
    assert not any(to == HEALTH for to, _ in reminders)


def test_running_the_job_many_times_sends_each_email_once(sched, smtp_server):
    occurrence = sched.meeting(date(2027, 1, 14))
    start = london(date(2027, 1, 1), time(0, 0))
    arrivals: dict[date, int] = {}
    for step in range(15 * 8):  # every three hours from 1 January to the day after the meeting, twice over
        instant = sched.clock.set(start + timedelta(hours=3 * step))
        services.run_requests(instant)
        services.run_requests(instant)
        before = len(smtp_server.messages)
        delivered(smtp_server, instant)
        if len(smtp_server.messages) > before:
            local_day = instant.astimezone(occurrence.series.zone).date()
            arrivals[local_day] = arrivals.get(local_day, 0) + len(smtp_server.messages) - before

    # Requests, two reminders each, and the day after the deadline one "late" notice per agency to the lead.
    assert arrivals == {date(2027, 1, 5): 3, date(2027, 1, 8): 3, date(2027, 1, 12): 3, date(2027, 1, 13): 3}
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 12
    by_recipient = {}
    for to, subject in mail(sched, smtp_server):
        by_recipient.setdefault(to, []).append(subject)
    assert by_recipient.pop(sched.world.lead.email) == [f"An agency's update is late: family {sched.ref}"] * 3
    assert set(by_recipient) == {HEALTH, SCHOOL, POLICE}
    for subjects in by_recipient.values():
        assert sorted(subjects) == sorted([request_subject(sched.ref, "14 January", "12 January")]
                                          + [reminder_subject(sched.ref, "14 January", "12 January")] * 2)
    # The meeting has passed: the requests are closed, and nothing more goes.
    assert {r.state for r in requests_for(occurrence).values()} == {RequestState.CLOSED}


def test_a_cancelled_meeting_gets_no_request_and_no_reminder(sched, smtp_server):
    from coordinator.meetings import services as meetings

    early = sched.meeting(date(2027, 1, 14))
    later = sched.meeting(date(2027, 1, 21))  # requests on 12 January, reminders on 15 and 19 January
    sched.run(date(2027, 1, 4))
    meetings.cancel_occurrence(early, actor=sched.world.lead, reason="The family moved away", notify=False)
    db.session.commit()

    day = date(2027, 1, 5)
    while day <= date(2027, 1, 13):
        sched.run(day)
        if day == date(2027, 1, 13):
            meetings.cancel_occurrence(requests_for(later)[HEALTH].occurrence, actor=sched.world.lead,
                                       reason="Replaced by a strategy meeting", notify=False)
            db.session.commit()
        day += timedelta(days=1)
    while day <= date(2027, 1, 22):
        sched.run(day)
        day += timedelta(days=1)

    subjects = [s for _, s in mail(sched, smtp_server)]
    # The early meeting: nothing at all. The later one: its requests (before it was cancelled), no reminder.
    assert sorted(subjects) == [request_subject(sched.ref, "21 January", "19 January")] * 3
    for occurrence in (early, later):
        requests = requests_for(occurrence)
        assert len(requests) == 3
        assert {r.state for r in requests.values()} == {RequestState.CLOSED}
        for request in requests.values():
            [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update_request_closed",
                                                                  AuditEvent.object_id == str(request.id))).all()
            # Cancelled before any reminder fell due: none was skipped.
            assert event.detail == "meeting cancelled"


def test_a_moved_meeting_moves_its_deadline_and_reminders(sched, smtp_server):
    from coordinator.meetings import services as meetings

    occurrence = sched.meeting(date(2027, 1, 14), count=2)  # the next one on 25 February, outside the look-ahead
    sched.run(date(2027, 1, 5))
    assert len(mail(sched, smtp_server)) == 3

    sched.clock.set(date(2027, 1, 6), time(10, 0))
    meetings.move_occurrence(occurrence, actor=sched.world.lead, new_date=date(2027, 1, 21), new_time=time(10, 0),
                             notify=False)
    db.session.commit()

    reminder_days = []
    day = date(2027, 1, 6)
    while day <= date(2027, 1, 22):
        before = len(smtp_server.messages)
        sched.run(day)
        delivered(smtp_server, sched.clock.now)
        if len(smtp_server.messages) > before:
            reminder_days.append(day)
        if day == date(2027, 1, 6):
            for request in requests_for(occurrence).values():
                assert request.deadline == date(2027, 1, 19)
                assert request.state is RequestState.OPEN  # already asked: not asked again
        day += timedelta(days=1)

    # Not the 8th and 12th any more: two working days before the new deadline (Friday 15th) and on it; the
    # day after it, the lead is told the updates are late (not after the old deadline).
    assert reminder_days == [date(2027, 1, 15), date(2027, 1, 19), date(2027, 1, 20)]
    reminders = [s for _, s in mail(sched, smtp_server) if s.startswith("Reminder:")]
    assert reminders == [reminder_subject(sched.ref, "21 January", "19 January")] * 6


def test_scheduler_down_across_a_reminder_sends_it_once_when_it_comes_back(sched, smtp_server):
    occurrence = sched.meeting(date(2027, 1, 14))
    sched.run(date(2027, 1, 5))
    sched.run(date(2027, 1, 6))
    # Down from the 6th to Sunday the 10th: Friday's reminder goes when it comes back, once.
    sched.run(date(2027, 1, 10), time(15, 0))
    sched.run(date(2027, 1, 10), time(16, 0))
    sched.run(date(2027, 1, 11))
    subjects = [s for _, s in mail(sched, smtp_server)]
    assert subjects.count(reminder_subject(sched.ref, "14 January", "12 January")) == 3
    # The deadline day's reminder still goes on the day.
    sched.run(date(2027, 1, 12))
    assert [s for _, s in mail(sched, smtp_server)].count(reminder_subject(sched.ref, "14 January", "12 January")) == 6
    assert len(requests_for(occurrence)) == 3


def test_scheduler_down_across_both_reminders_sends_only_the_latest_once(sched, smtp_server):
    occurrence = sched.meeting(date(2027, 1, 14))
    sched.run(date(2027, 1, 5))
    # Down from the 6th until the evening of the deadline: one reminder each, not a burst of two.
    sched.run(date(2027, 1, 12), time(20, 0))
    sched.run(date(2027, 1, 12), time(21, 0))
    sched.run(date(2027, 1, 13), time(9, 0))
    messages = [(to, subject) for to, subject in mail(sched, smtp_server) if to != sched.world.lead.email]
    assert sorted(messages) == sorted([(to, request_subject(sched.ref, "14 January", "12 January"))
                                       for to in (HEALTH, SCHOOL, POLICE)]
                                      + [(to, reminder_subject(sched.ref, "14 January", "12 January"))
                                         for to in (HEALTH, SCHOOL, POLICE)])
    keys = db.session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.kind == "update_reminder")).all()
    requests = requests_for(occurrence)
    assert sorted(keys) == sorted(f"update-reminder:{r.id}:2027-01-12:2" for r in requests.values())


def test_scheduler_down_until_after_the_meeting_sends_nothing_and_records_the_skipped_reminders(sched, smtp_server):
    occurrence = sched.meeting(date(2027, 1, 14))
    sched.run(date(2027, 1, 5))
    sched.run(date(2027, 1, 6))
    submit_update(sched, requests_for(occurrence)[HEALTH], sched.world.member)
    assert len(mail(sched, smtp_server)) == 3

    # Down from the 6th until the meeting has begun.
    counts = sched.run(date(2027, 1, 14), time(10, 30))
    assert counts["reminders"] == 0 and counts["closed"] == 2
    sched.run(date(2027, 1, 15))
    assert len(mail(sched, smtp_server)) == 3  # the requests only: no reminder after the meeting

    requests = requests_for(occurrence)
    assert requests[HEALTH].state is RequestState.SUBMITTED  # it had submitted: nothing was owed
    for email in (SCHOOL, POLICE):
        request = requests[email]
        assert request.state is RequestState.CLOSED
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update_request_closed",
                                                              AuditEvent.object_id == str(request.id))).all()
        assert event.family_id == sched.world.family.id and event.object_type == "submission_request"
        assert "reminders not sent: 2027-01-08, 2027-01-12" in event.detail


# --- at scale: the job costs what is due ------------------------------------------------------------------

def test_the_job_reads_a_batch_of_meetings_in_a_few_queries_and_a_second_run_the_same_day_reads_one(
        sched, smtp_server):
    from tests.families.helpers import counting_queries

    def run_counted(day, at=time(9, 0)):
        """The job's result, and the SELECTs it ran (the writes are a row each: requests, emails)."""
        sched.clock.set(day, at)
        with counting_queries(db.engine) as statements:
            counts = services.run_requests(sched.clock.now)
        return counts, len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))])

    for n in range(3):
        sched.meeting(date(2027, 1, 11) + timedelta(days=n))
    few, few_queries = run_counted(date(2027, 1, 5))
    assert few["requests"] == 9
    again, again_queries = run_counted(date(2027, 1, 5), time(9, 15))
    assert again["requests"] == again["reminders"] == 0
    assert again_queries <= 2  # nothing due: the meetings already worked out today are not read again

    for n in range(9):  # three times as many meetings, a day later
        sched.meeting(date(2027, 1, 18) + timedelta(days=n % 5, hours=n))
    many, many_queries = run_counted(date(2027, 1, 14))
    assert many["requests"] == 27 and many["reminders"] == 0
    assert many["closed"] == 9  # the first three meetings are over: their requests close
    # A batch is read in a query per kind of thing, however many meetings it holds (not five per meeting);
    # closing the finished requests reads their submissions and queued reminders in one query each.
    assert many_queries == few_queries + 2, (few_queries, many_queries)


def test_a_colleague_reactivated_on_the_send_day_is_asked_at_the_next_tick(sched, smtp_server, make_user):
    from coordinator.auth import services as auth_services

    admin = make_user("ada.admin@council.test", "Ada Admin", admin=True)
    school = sched.school
    auth_services.update_user(school, actor=admin, expected_revision=school.revision, active=False)
    db.session.commit()
    occurrence = sched.meeting(date(2027, 1, 14))
    assert sched.run(date(2027, 1, 5))["requests"] == 2  # the school's only invitee is not active
    assert SCHOOL not in requests_for(occurrence)

    db.session.refresh(school)
    auth_services.update_user(school, actor=admin, expected_revision=school.revision, active=True)
    db.session.commit()
    # The same morning, a quarter of an hour later: the job works this meeting out again.
    assert sched.run(date(2027, 1, 5), time(9, 15))["requests"] == 1
    assert requests_for(occurrence)[SCHOOL].state is RequestState.OPEN
