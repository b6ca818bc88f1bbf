"""Service levels: the decisions summary is due a working day after the meeting, the full minutes fifteen
working days after; late minutes show as overdue; the decisions summary emails the attendees a link."""
from __future__ import annotations

from datetime import date, time

from coordinator.extensions import db
from coordinator.minutes import actions as minutes_actions
from coordinator.minutes import outcomes as minutes_outcomes
from coordinator.minutes import services
from coordinator.minutes.models import DecisionsSummary
from coordinator.timeutil import long_date
from tests.conftest import send_all
from tests.minutes.helpers import (
    Page,
    answer_invitations,
    assert_no_names,
    banners,
    count,
    has_button,
    meeting_day,
    open_page,
    press,
    published,
    read_mail,
    send_form,
)


def christmas_meeting(team):
    """A meeting on Friday 19 December 2025: Christmas Day, Boxing Day and New Year's Day fall in the next
    fifteen working days."""
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd

    schedule = meetings.Schedule(MeetingType.PROFESSIONALS, date(2025, 12, 19), time(10, 0), 60, Recurrence.WEEKLY,
                                 4, SeriesEnd.AFTER_COUNT, count=1)
    series = meetings.create_series(team.family, schedule, actor=team.lead, chair=team.chair,
                                    minute_taker=team.taker, invitees=[team.member], notify=False, allow_past=True)
    db.session.commit()
    return series.occurrences[0]


def test_decisions_are_due_a_working_day_after_the_meeting_and_the_minutes_fifteen(team):
    meeting = christmas_meeting(team)
    levels = minutes_outcomes.service_levels(meeting, None, on=date(2025, 12, 19))
    assert levels.decisions_due == date(2025, 12, 22)  # the Monday
    assert levels.minutes_due == date(2026, 1, 14)  # skipping the weekends and three bank holidays
    assert not levels.decisions_late and not levels.minutes_late
    levels = minutes_outcomes.service_levels(meeting, None, on=date(2025, 12, 22))
    assert not levels.decisions_late
    levels = minutes_outcomes.service_levels(meeting, None, on=date(2025, 12, 23))
    assert levels.decisions_late and not levels.minutes_late
    levels = minutes_outcomes.service_levels(meeting, None, on=date(2026, 1, 14))
    assert not levels.minutes_late
    levels = minutes_outcomes.service_levels(meeting, None, on=date(2026, 1, 15))
    assert levels.minutes_late


def test_the_settings_change_the_service_levels(app, team):
    meeting = christmas_meeting(team)
    app.config.update(DECISIONS_SUMMARY_WORKING_DAYS=2, MINUTES_PUBLISH_WORKING_DAYS=5)
    levels = minutes_outcomes.service_levels(meeting, None, on=date(2025, 12, 19))
    assert (levels.decisions_due, levels.minutes_due) == (date(2025, 12, 23), date(2025, 12, 30))


def test_late_minutes_show_as_overdue_in_the_list_and_the_editor(team, client_for):
    late = christmas_meeting(team)
    client = client_for(team.taker)
    page = open_page(client, team.minutes_list)
    rows = {row[0]: row for row in page.table_rows()}
    row = next(r for label, r in rows.items() if "Friday 19 December 2025" in label)
    assert row[2] == "Overdue Wednesday 14 January 2026"
    recent = team.meetings[2]  # a fortnight ago: not yet due
    row = next(r for label, r in rows.items() if long_date(meeting_day(recent)) in label)
    assert "Overdue" not in row[2]
    oldest = team.meetings[0]  # six weeks ago, not published: overdue
    row = next(r for label, r in rows.items() if long_date(meeting_day(oldest)) in label)
    assert row[2].startswith("Overdue ")

    editor = open_page(client, team.editor(late))
    assert "Monday 22 December 2025 (overdue)" in editor.text
    assert "Wednesday 14 January 2026 (overdue)" in editor.text

    # Published minutes are no longer overdue, even if they were late.
    published(team, oldest, decisions="Agreed.")
    rows = {row[0]: row for row in open_page(client, team.minutes_list).table_rows()}
    row = next(r for label, r in rows.items() if long_date(meeting_day(oldest)) in label)
    assert "Overdue" not in row[2] and row[1] == "Published, version 1"


def test_sending_the_decisions_summary_emails_the_attendees_a_link(team, client_for, smtp_app, smtp_server):
    meeting = team.meetings[2]
    answer_invitations(team, meeting)  # the chair attends, the GP's deputy comes
    services.start_minutes(meeting, team.taker)
    minutes_actions.add_action(meeting, actor=team.taker, description="Health visitor to see the baby weekly",
                        owner=team.member, due=meeting_day(meeting), intended_outcome=None)
    db.session.commit()
    taker = client_for(team.taker)
    url = team.editor(meeting)
    send_form(taker, open_page(taker, url), {"decisions": "The plan continues: the risks are not reduced.",
                                             f"attendance-{team.chair.id}": "present"}, url=url)
    page = open_page(taker, url)
    assert has_button(page, "decisions")
    response = press(team, taker, meeting, "decisions", page=page)
    assert response.status_code == 302
    page = open_page(taker, url)
    assert "The minutes are saved and the decisions summary has been sent to the attendees." in banners(page)
    assert not has_button(page, "decisions")
    assert "(sent " in page.text

    send_all()
    mails = read_mail(smtp_server)
    recipients = [a for m in mails for a in m.to]
    invited = {team.chair.email, team.taker.email, team.member.email, team.school.email, team.gp.email}
    assert {team.chair.email, team.gp.email, team.taker.email} <= set(recipients) <= invited
    assert len(recipients) == len(set(recipients))  # one each
    link = f"http://localhost/families/{team.ref}/minutes/{meeting.id}/decisions"
    for mail in mails:
        assert team.ref in mail.subject
        assert mail.links == [link]
        assert_no_names(mail, "the risks are not reduced", "see the baby weekly")

    page = open_page(client_for(team.gp), link.removeprefix("http://localhost"))  # a guest, invited
    assert "The plan continues: the risks are not reduced." in page.text
    assert "Health visitor to see the baby weekly: Hana Visitor (Health visiting)" in page.text
    assert client_for(team.outsider).get(link.removeprefix("http://localhost")).status_code == 404

    # Once only.
    page = Page(press(team, taker, meeting, "decisions"))  # as if the button were still there
    assert any("already been sent" in m for m in page.summary_errors().values())
    assert count(DecisionsSummary) == 1
