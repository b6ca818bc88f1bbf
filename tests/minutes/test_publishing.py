"""Approval and publishing: only the chair approves (not their own minutes unless the service allows it),
asks for changes, and publishes a frozen, numbered version; everyone on the distribution list gets one
email with a link and no names; published text never changes; a double click or a failure half-way
publishes nothing twice and nothing half."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select, text

from coordinator.extensions import db
from coordinator.families.models import HouseholdMember, HouseholdSighting
from coordinator.meetings.models import Occurrence, OccurrenceStatus
from coordinator.minutes import services
from coordinator.minutes.models import MinutesRevision, MinutesStatus, MinutesVersion
from tests.conftest import send_all
from tests.families.conftest import act_as
from tests.minutes.helpers import (
    Page,
    answer_invitations,
    assert_no_names,
    audit_events,
    banners,
    count,
    csrf_token,
    give_update,
    has_button,
    health_update,
    last_weekday_on_or_before,
    meeting_day,
    minutes_of,
    open_page,
    outbox,
    press,
    read_mail,
    send_form,
    versions_of,
)

DECISION = "The core group continues every four weeks. Reason: the risks are not yet reduced."


def write(team, client, meeting, **fields):
    url = team.editor(meeting)
    response = send_form(client, open_page(client, url), fields, url=url)
    assert response.status_code == 302, Page(response).text[:2000]


def refused(response, message: str) -> Page:
    """A step the editor refused: the page again, its error summary saying why, the text kept."""
    page = Page(response)
    assert page.status_code == 200 and page.title.startswith("Error: "), (page.status_code, page.title)
    assert any(message in text for text in page.summary_errors().values()), page.summary_errors()
    return page


def ready_for_the_chair(team, client_for, meeting):
    taker = client_for(team.taker)
    write(team, taker, meeting, decisions=DECISION, worries="Who else is in the home.")
    assert press(team, taker, meeting, "send").status_code == 302
    assert minutes_of(meeting).status is MinutesStatus.AWAITING_APPROVAL


def approved(team, client_for, meeting):
    ready_for_the_chair(team, client_for, meeting)
    assert press(team, client_for(team.chair), meeting, "approve").status_code == 302
    assert minutes_of(meeting).status is MinutesStatus.APPROVED


def test_publishing_without_the_chairs_approval_is_refused(team, client_for):
    meeting = team.meetings[0]
    chair = client_for(team.chair)
    open_page(chair, team.editor(meeting))
    for _ in ("draft", "awaiting approval"):
        refused(press(team, chair, meeting, "publish"), "The chair must approve the minutes before they are published")
        assert count(MinutesVersion) == 0
        assert outbox("minutes_published") == []
        if minutes_of(meeting).status is MinutesStatus.DRAFT:
            ready_for_the_chair(team, client_for, meeting)
    assert minutes_of(meeting).status is MinutesStatus.AWAITING_APPROVAL


def test_the_minute_taker_cannot_approve(team, client_for):
    meeting = team.meetings[0]
    ready_for_the_chair(team, client_for, meeting)
    taker = client_for(team.taker)
    page = open_page(taker, team.editor(meeting))
    assert not has_button(page, "approve")
    refused(press(team, taker, meeting, "approve"), "Only the chair can approve minutes")
    assert minutes_of(meeting).status is MinutesStatus.AWAITING_APPROVAL
    assert minutes_of(meeting).approved_by_id is None
    # Nor can the lead professional, who may edit the draft.
    refused(press(team, client_for(team.lead), meeting, "approve"), "Only the chair can approve minutes")
    assert minutes_of(meeting).status is MinutesStatus.AWAITING_APPROVAL
    # The chair can.
    page = open_page(client_for(team.chair), team.editor(meeting))
    assert has_button(page, "approve")


@pytest.mark.parametrize("allowed", [False, True])
def test_a_chair_who_took_the_minutes_approves_them_only_if_the_service_allows(app, team, client_for, allowed):
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

    schedule = meetings.Schedule(MeetingType.PROFESSIONALS, last_weekday_on_or_before(date.today() - timedelta(days=3)),
                                 time(14, 0), 60, Recurrence.WEEKLY, 4, SeriesEnd.AFTER_COUNT, count=1)
    series = meetings.create_series(team.family, schedule, actor=team.lead, chair=team.chair,
                                    minute_taker=team.chair, invitees=[team.member], notify=False, allow_past=True)
    db.session.commit()
    meeting = series.occurrences[0]
    app.config["MINUTES_ONE_PERSON_MAY_WRITE_AND_APPROVE"] = allowed

    chair = client_for(team.chair)
    write(team, chair, meeting, decisions=DECISION)
    assert press(team, chair, meeting, "send").status_code == 302
    page = open_page(chair, team.editor(meeting))
    assert has_button(page, "approve") is allowed
    response = press(team, chair, meeting, "approve")
    expected = MinutesStatus.APPROVED if allowed else MinutesStatus.AWAITING_APPROVAL
    assert minutes_of(meeting).status is expected
    if allowed:
        assert response.status_code == 302
    else:
        refused(response, "not their own")


def test_the_chair_asks_for_a_change_then_approves_and_publishes_version_1(team, client_for, smtp_app, smtp_server):
    meeting = team.meetings[0]
    answer_invitations(team, meeting)
    give_update(meeting, team.member, health_update(team))
    taker, chair = client_for(team.taker), client_for(team.chair)
    write(team, taker, meeting, decisions="The plan continues.", worries="Who else is in the home.",
          **{f"household-{team.mother.id}": "confirmed", f"household-{team.father.id}": "left"})
    assert press(team, taker, meeting, "send").status_code == 302

    # The chair asks for a change: back to draft, with the note shown to the minute-taker.
    response = press(team, chair, meeting, "ask", {"change-note": "Give the reason for the decision."})
    assert response.status_code == 302
    minutes = minutes_of(meeting)
    assert minutes.status is MinutesStatus.DRAFT and minutes.change_requested == "Give the reason for the decision."
    page = open_page(taker, team.editor(meeting))
    assert "The chair asked for a change: Give the reason for the decision." in page.text
    assert has_button(page, "send")

    write(team, taker, meeting, decisions=DECISION)
    assert press(team, taker, meeting, "send").status_code == 302
    assert press(team, chair, meeting, "approve").status_code == 302
    assert minutes_of(meeting).approved_by_id == team.chair.id
    page = open_page(chair, team.editor(meeting))
    assert has_button(page, "publish")
    assert outbox("minutes_published") == []

    response = press(team, chair, meeting, "publish")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(team.version(meeting, 1))
    versions = versions_of(meeting)
    assert [v.number for v in versions] == [1]
    assert versions[0].published_by_id == team.chair.id
    assert versions[0].fields["sections"]["decisions"] == DECISION
    assert minutes_of(meeting).status is MinutesStatus.PUBLISHED
    page = open_page(chair, team.version(meeting, 1))
    assert "Minutes, version 1" in page.heading
    assert DECISION in page.text
    assert "Version 1 published." in banners(page)

    # The meeting is recorded as held; the household as the meeting confirmed it.
    db.session.expire_all()
    assert db.session.get(Occurrence, meeting.id).status is OccurrenceStatus.HELD
    assert db.session.get(HouseholdMember, team.father.id).left_on == meeting_day(meeting)
    assert db.session.scalar(select(HouseholdSighting).where(HouseholdSighting.member_id == team.mother.id,
                                                             HouseholdSighting.note == "Confirmed at the meeting"))

    # One email each to the network and the invitees: a link, no names.
    send_all()
    mails = read_mail(smtp_server, everything=True)
    # Each time the minutes were sent for approval, the chair was told, with a link to them.
    approvals = [mail for mail in mails if mail.subject.startswith("Minutes waiting for your approval")]
    assert [mail.to for mail in approvals] == [[team.chair.email]] * 2
    for mail in approvals:
        assert mail.links[0] == f"http://localhost{team.editor(meeting)}"
        assert_no_names(mail)
    mails = read_mail(smtp_server)
    recipients = [address for mail in mails for address in mail.to]
    assert sorted(recipients) == sorted(team.distribution)
    link = f"http://localhost{team.version(meeting, 1)}"
    for mail in mails:
        assert team.ref in mail.subject
        assert mail.links == [link]
        assert_no_names(mail, DECISION, "Who else is in the home")
    for user in (team.lead, team.member, team.school, team.gp, team.taker):
        assert open_page(client_for(user), link.removeprefix("http://localhost")).status_code == 200


def test_published_minutes_cannot_be_edited(team, client_for):
    meeting = team.meetings[0]
    approved(team, client_for, meeting)
    chair, taker = client_for(team.chair), client_for(team.taker)
    stale_page = open_page(taker, team.editor(meeting))  # open when the minutes were still approved
    assert press(team, chair, meeting, "publish").status_code == 302
    before = minutes_of(meeting)
    revision, content = before.revision, before.content

    response = taker.get(team.editor(meeting))
    assert response.status_code == 302 and response.headers["Location"].endswith(team.version(meeting, 1))
    # What they typed into the page opened before is not saved, and not lost from sight either: it is shown
    # beside what was published, with the way to ask for a correction.
    response = send_form(taker, stale_page, {"decisions": "Changed after publishing."}, url=team.editor(meeting))
    assert response.status_code == 409
    shown = Page(response.get_data(as_text=True))
    assert "These minutes were published while you were writing" in shown.text
    typed = shown.find(id="typed-decisions")
    assert typed is not None and "Changed after publishing." in typed.text() and DECISION in typed.text()
    assert shown.link("ask the chair for a correction") == team.version(meeting, 1, "/correction")
    after = minutes_of(meeting)
    assert (after.revision, after.content) == (revision, content)
    assert versions_of(meeting)[0].fields["sections"]["decisions"] == DECISION
    with pytest.raises(services.MinutesError):
        services.save(after, {"decisions": "Changed"}, actor=team.taker, expected_revision=after.revision)
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE minutes_versions SET content = '{}'",
    "UPDATE minutes_versions SET number = 5",
    "DELETE FROM minutes_versions",
])
def test_the_database_refuses_to_change_a_published_version(team, client_for, statement):
    meeting = team.meetings[0]
    approved(team, client_for, meeting)
    assert press(team, client_for(team.chair), meeting, "publish").status_code == 302
    frozen = versions_of(meeting)[0].content
    with pytest.raises(Exception) as refused, db.engine.begin() as connection:
        connection.execute(text(statement))
    assert "published minutes cannot be" in str(refused.value)
    assert [v.content for v in versions_of(meeting)] == [frozen]


def test_a_double_click_on_publish_gives_one_version_and_one_email_each(team, client_for, smtp_app, smtp_server):
    meeting = team.meetings[0]
    approved(team, client_for, meeting)
    chair = client_for(team.chair)
    page = open_page(chair, team.editor(meeting))
    first = press(team, chair, meeting, "publish", page=page)
    second = press(team, chair, meeting, "publish", page=page)  # the same page, pressed again
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].endswith(team.version(meeting, 1))
    assert second.headers["Location"].endswith(team.version(meeting, 1))
    assert [v.number for v in versions_of(meeting)] == [1]
    assert len(outbox("minutes_published")) == len(team.distribution)
    assert len(audit_events("minutes_published")) == 1
    send_all()
    recipients = [address for mail in read_mail(smtp_server) for address in mail.to]
    assert sorted(recipients) == sorted(team.distribution)


def test_a_person_changed_at_the_instant_of_publishing_publishes_nothing_and_says_why(team, client_for, monkeypatch):
    """The minutes record the father as having left; as the chair publishes, a colleague saves a change to
    his record (the revision publishing read is one behind). Nothing is published, the chair is told, and
    publishing again works."""
    from coordinator.families import services as family_services

    meeting = team.meetings[0]
    write(team, client_for(team.taker), meeting, **{f"household-{team.father.id}": "left"})
    approved(team, client_for, meeting)
    real = family_services.update_member

    def a_colleague_saved_first(member, *, expected_revision, **changes):
        return real(member, expected_revision=expected_revision - 1, **changes)

    monkeypatch.setattr(family_services, "update_member", a_colleague_saved_first)
    chair = client_for(team.chair)
    response = press(team, chair, meeting, "publish")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert any("Nothing was published. Someone else changed this person's record" in e for e in page.errors().values())
    assert versions_of(meeting) == [] and outbox("minutes_published") == []  # (the chair's approval notice went)
    assert minutes_of(meeting).status is MinutesStatus.APPROVED

    monkeypatch.undo()
    assert press(team, chair, meeting, "publish").status_code == 302
    assert [v.number for v in versions_of(meeting)] == [1]
    db.session.expire_all()
    assert db.session.get(HouseholdMember, team.father.id).left_on == meeting.day


class Interrupted(RuntimeError):
    pass


@pytest.mark.parametrize("failure", ["while queueing the emails", "when the version is written"])
def test_a_publish_interrupted_leaves_nothing_published_and_nothing_sent(team, client_for, smtp_app, smtp_server,
                                                                         monkeypatch, failure):
    meeting = team.meetings[0]
    write(team, client_for(team.taker), meeting, **{f"household-{team.father.id}": "left"})
    approved(team, client_for, meeting)
    if failure == "while queueing the emails":
        real, calls = services.enqueue_template, []

        def enqueue_then_fail(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                raise Interrupted("the database went away")
            return real(*args, **kwargs)

        monkeypatch.setattr(services, "enqueue_template", enqueue_then_fail)
    else:
        real_snapshot = services.snapshot

        def snapshot_and_a_row_the_database_refuses(minutes):
            frozen = real_snapshot(minutes)
            # The same (minutes, revision) again: the flush fails on the unique constraint.
            db.session.add(MinutesRevision(minutes_id=minutes.id, revision=minutes.revision, content="{}",
                                           saved_by_id=team.chair.id))
            return frozen

        monkeypatch.setattr(services, "snapshot", snapshot_and_a_row_the_database_refuses)

    chair = client_for(team.chair)
    response = press(team, chair, meeting, "publish")
    assert response.status_code == 500
    assert "went away" not in response.get_data(as_text=True) and "UNIQUE" not in response.get_data(as_text=True)

    assert versions_of(meeting) == []
    assert minutes_of(meeting).status is MinutesStatus.APPROVED
    assert outbox("minutes_published") == []  # the chair's approval notice, sent before, is all there is
    assert [m.kind for m in outbox()] == ["notify_minutes_to_approve"]
    assert audit_events("minutes_published") == []
    db.session.expire_all()
    assert db.session.get(Occurrence, meeting.id).status is OccurrenceStatus.SCHEDULED
    assert db.session.get(HouseholdMember, team.father.id).left_on is None
    send_all()
    assert read_mail(smtp_server) == []

    # Once the fault is gone, publishing works, once.
    monkeypatch.undo()
    assert press(team, chair, meeting, "publish").status_code == 302
    assert [v.number for v in versions_of(meeting)] == [1]
    send_all()
    assert sorted(a for mail in read_mail(smtp_server) for a in mail.to) == sorted(team.distribution)


def test_two_publishes_at_the_same_moment_give_one_version_and_one_email_each(team, client_for, smtp_app,
                                                                             smtp_server):
    """A double click that the browser does not stop: both requests are sent at the same instant."""
    import threading

    meeting = team.meetings[0]
    approved(team, client_for, meeting)
    clicks = [client_for(team.chair), client_for(team.chair).application.test_client()]
    act_as(clicks[1], team.chair)  # the same person, as two requests
    pages = [open_page(c, team.editor(meeting)) for c in clicks]
    together = threading.Barrier(2, timeout=10)
    responses = [None, None]

    def click(n):
        together.wait()
        responses[n] = press(team, clicks[n], meeting, "publish", page=pages[n])

    threads = [threading.Thread(target=click, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Neither click shows an error: one publishes, the other is told it is done.
    assert [r.status_code for r in responses] == [302, 302]
    assert [v.number for v in versions_of(meeting)] == [1]
    assert len(outbox("minutes_published")) == len(team.distribution)
    assert len(audit_events("minutes_published")) == 1
    for client, response in zip(clicks, responses, strict=True):
        page = Page(client.get(response.headers["Location"], follow_redirects=True))
        assert page.status_code == 200 and "Minutes, version 1" in page.heading
    send_all()
    assert sorted(a for mail in read_mail(smtp_server) for a in mail.to) == sorted(team.distribution)


def test_minutes_go_out_only_from_the_day_of_the_meeting_whatever_is_posted(team, client_for):
    """Minutes are of a meeting that has taken place: a meeting still to come has no minutes opened by a
    POST either, and minutes approved before their meeting was moved to a later day are not published
    (nor their decisions sent) until that day."""
    from datetime import timedelta

    from coordinator.minutes.models import Minutes
    from coordinator.timeutil import utcnow

    chair = client_for(team.chair)
    future = team.world.series.occurrences[-1]
    assert future.starts_at > utcnow() + timedelta(days=2)
    url = f"/families/{team.ref}/minutes/{future.id}/edit"
    lead = client_for(team.lead)
    for method in ("get", "post"):
        response = getattr(lead, method)(url, data={"csrf_token": csrf_token(lead), "intent": "save"})
        assert response.status_code == 302 and f"/meetings/{future.id}" in response.headers["Location"], method
    assert db.session.scalar(db.select(Minutes).where(Minutes.occurrence_id == future.id)) is None

    meeting = team.meetings[0]
    approved(team, client_for, meeting)
    page = open_page(chair, team.editor(meeting))
    meeting.starts_at, meeting.ends_at = utcnow() + timedelta(days=3), utcnow() + timedelta(days=3, hours=1)
    db.session.commit()  # moved to a later day after approval
    refused(press(team, chair, meeting, "publish", page=page), "Minutes can be published from the day of the meeting")
    assert count(MinutesVersion) == 0
