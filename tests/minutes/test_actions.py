"""Actions: agreed at a meeting with an owner, a due date and an intended outcome; reviewed at the next
meetings with their history kept; updated by their owner in between; overdue ones flagged and their owners
reminded by email, once per due date."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.minutes import actions as minutes_actions
from coordinator.minutes import services
from coordinator.minutes.models import Action, ActionStatus, ActionUpdate
from coordinator.timeutil import long_date
from tests.conftest import send_all
from tests.minutes.helpers import (
    Page,
    assert_form_error,
    assert_no_names,
    banners,
    count,
    csrf_token,
    date_fields,
    meeting_day,
    minutes_of,
    open_page,
    press,
    read_mail,
    send_form,
    today,
)


def add_action(team, meeting, description, owner, due, outcome=None):
    services.start_minutes(meeting, team.taker)
    action = minutes_actions.add_action(meeting, actor=team.taker, description=description, owner=owner, due=due,
                                 intended_outcome=outcome)
    db.session.commit()
    return action


def test_an_action_is_added_with_its_owner_due_date_and_intended_outcome(team, client_for):
    meeting = team.meetings[0]
    client = client_for(team.taker)
    page = open_page(client, team.editor(meeting))
    due = meeting_day(meeting) + timedelta(days=14)
    response = press(team, client, meeting, "add_action", {
        "action-description": "Health visitor to see the baby every week",
        "action-owner_id": team.member.id,
        **date_fields("action-due_date", due),
        "action-intended_outcome": "The baby's care is seen, not reported",
    }, page=page)
    assert response.status_code == 302, Page(response).text[:2000]

    page = open_page(client, team.editor(meeting))
    assert "Action added, and the minutes saved." in banners(page)
    agreed = page.section("Actions agreed at this meeting").text()
    assert "Health visitor to see the baby every week: Hana Visitor (Health visiting)" in agreed
    assert "The baby's care is seen, not reported" in agreed
    action = db.session.scalar(select(Action))
    assert (action.owner_id, action.owner_agency_id, action.due_date, action.agreed_at_id, action.status) == (
        team.member.id, team.member.agency_id, due, meeting.id, ActionStatus.OPEN)
    assert action.intended_outcome == "The baby's care is seen, not reported"


@pytest.mark.parametrize("change, message, field", [
    ({"due": -1}, "The due date cannot be before the meeting", "action-due_date"),
    ({"owner": None}, "Choose who owns the action", "action-owner_id"),
    ({"description": ""}, "Describe the action", "action-description"),
    ({"due": None}, "Enter the date it is due by", "action-due_date"),
])
def test_an_action_that_cannot_be_right_is_refused_with_a_clear_error(team, client_for, change, message, field):
    meeting = team.meetings[0]
    client = client_for(team.taker)
    page = open_page(client, team.editor(meeting))
    data = {"action-description": "School to offer a breakfast club place",
            "action-owner_id": team.school.id, "action-intended_outcome": "Starts the day fed",
            **date_fields("action-due_date", meeting_day(meeting) + timedelta(days=7))}
    if "due" in change:
        data["action-due_date"] = (date_fields("action-due_date", meeting_day(meeting) + timedelta(days=change["due"]))
                                   ["action-due_date"] if change["due"] is not None else ["", "", ""])
    if "owner" in change:
        data["action-owner_id"] = 0  # "Choose the owner"
    if "description" in change:
        data["action-description"] = change["description"]
    response = press(team, client, meeting, "add_action", {**data, "worries": "Typed before adding the action"},
                     page=page)
    page = Page(response)
    assert_form_error(page, message, field)
    assert page.value("action-description") == data["action-description"]  # what was typed is kept
    assert page.value("worries") == "Typed before adding the action"  # and the minutes text above it, saved
    assert minutes_of(meeting).fields["worries"] == "Typed before adding the action"
    assert count(Action) == 0


def test_reviews_are_kept_with_history_and_open_actions_come_back(team, client_for):
    first, second, third = team.meetings
    due = meeting_day(first) + timedelta(days=10)
    done = add_action(team, first, "Health visitor to weigh the baby", team.member, due)
    impossible = add_action(team, first, "School to offer a breakfast club place", team.school, due)
    not_done = add_action(team, first, "Social worker to meet the father", team.lead, due)
    still_open = add_action(team, first, "GP to review the mother's medication", team.gp, due)

    client = client_for(team.taker)
    page = open_page(client, team.editor(second))
    new_due = meeting_day(second) + timedelta(days=14)
    response = press(team, client, second, "review", {
        f"review-{done.id}": "DONE", f"review-{done.id}-comment": "Weighed weekly; gaining weight",
        f"review-{impossible.id}": "NOT_POSSIBLE", f"review-{impossible.id}-comment": "The club closed",
        f"review-{not_done.id}": "NOT_DONE", f"review-{not_done.id}-comment": "Two visits, no answer",
        f"review-{not_done.id}-decision": "carried", **date_fields(f"review-{not_done.id}-due", new_due),
        f"review-{not_done.id}-owner": team.lead.id,
    }, page=page)
    assert response.status_code == 302, Page(response).summary_errors()
    page = open_page(client, team.editor(second))
    assert "Review of 4 action(s) saved, and the minutes saved." in banners(page)  # the one left open is reviewed as still open

    db.session.expire_all()
    assert db.session.get(Action, done.id).status is ActionStatus.DONE
    assert db.session.get(Action, impossible.id).status is ActionStatus.NOT_POSSIBLE
    carried = db.session.get(Action, not_done.id)  # not done, carried forward: open, owned, due anew
    assert (carried.status, carried.owner_id, carried.due_date) == (ActionStatus.OPEN, team.lead.id, new_due)
    assert db.session.get(Action, still_open.id).status is ActionStatus.OPEN
    history = db.session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == done.id)
                                 .order_by(ActionUpdate.id)).all()
    assert [(h.status, h.reviewed_at_id) for h in history] == [(ActionStatus.OPEN, first.id),
                                                               (ActionStatus.DONE, second.id)]
    assert history[-1].comment == "Weighed weekly; gaining weight" and history[-1].by_id == team.taker.id

    # The action's page shows its history; the log shows each status.
    page = open_page(client, team.action(impossible))
    history_text = page.section("History").text()
    assert "Not possible: circumstances changed (Mina Taker): The club closed" in history_text
    assert "Open (Mina Taker): Agreed at the meeting" in history_text
    log = open_page(client, team.action_log).text
    for label in ("Done", "Not possible: circumstances changed"):
        assert label in log
    carried_page = open_page(client, team.action(carried))
    assert (f"Carried forward from {long_date(due)} to {long_date(new_due)}, owned by {team.lead.name}: not done "
            "because Two visits, no answer") in carried_page.section("Carried forward").text()

    # The actions still open, the one carried forward among them, come back at the next meeting.
    review = open_page(client, team.editor(third)).section("Review of the actions from earlier meetings").text()
    assert "GP to review the mother's medication" in review
    assert "Social worker to meet the father" in review
    assert f"Carried forward from {long_date(due)}" in review
    for gone in ("weigh the baby", "breakfast club"):
        assert gone not in review


def test_the_owner_updates_their_action_between_meetings_and_no_one_else_can(team, client_for):
    first = team.meetings[0]
    action = add_action(team, first, "Health visitor to weigh the baby", team.member,
                        today() + timedelta(days=10))
    owner = client_for(team.member)
    page = open_page(owner, team.action(action))
    response = send_form(owner, page, {"status": "DONE", "comment": "Weighed on Tuesday: 5.2kg"},
                         url=team.action(action))
    assert response.status_code == 302
    page = open_page(owner, team.action(action))
    assert "Action updated." in banners(page)
    assert "Done (Hana Visitor): Weighed on Tuesday: 5.2kg" in page.section("History").text()
    db.session.expire_all()
    assert db.session.get(Action, action.id).status is ActionStatus.DONE

    other = client_for(team.school)
    page = open_page(other, team.action(action))
    assert page.find("input", name="status") is None  # no form to update it
    response = other.post(team.action(action), data={"csrf_token": csrf_token(other), "status": "OPEN",
                                                      "comment": "Not done after all"})
    assert response.status_code == 403
    assert client_for(team.outsider).get(team.action(action)).status_code == 404
    db.session.expire_all()
    assert db.session.get(Action, action.id).status is ActionStatus.DONE
    assert count(ActionUpdate, ActionUpdate.action_id == action.id) == 2


def test_overdue_open_actions_are_flagged_on_the_family_page_and_the_action_log(team, client_for):
    first = team.meetings[0]
    late = add_action(team, first, "Social worker to meet the father", team.lead, meeting_day(first) + timedelta(days=7))
    add_action(team, first, "School to offer a breakfast club place", team.school, today() + timedelta(days=20))
    finished = add_action(team, first, "Health visitor to weigh the baby", team.member,
                          meeting_day(first) + timedelta(days=7))
    minutes_actions.update_action(finished, actor=team.member, status=ActionStatus.DONE, comment="Done")
    db.session.commit()

    client = client_for(team.member)
    family = open_page(client, team.family_page)
    warning = family.section("Actions and minutes").text()
    assert "1 action(s) overdue: Social worker to meet the father" in warning
    assert "breakfast club" not in warning and "weigh the baby" not in warning

    rows = {row[0]: row[3] for row in open_page(client, team.action_log).table_rows()}
    assert rows["Social worker to meet the father"] == "Overdue"
    assert rows["School to offer a breakfast club place"] == "Open"
    assert rows["Health visitor to weigh the baby"] == "Done"
    assert "(overdue)" in open_page(client, team.action(late)).text


def test_the_owner_of_an_overdue_action_is_emailed_a_link_once_per_due_date(team, smtp_app, smtp_server, client_for):
    first = team.meetings[0]
    late = add_action(team, first, "Health visitor to weigh the baby", team.member,
                      meeting_day(first) + timedelta(days=7))
    later = add_action(team, first, "School to offer a breakfast club place", team.school,
                       today() + timedelta(days=20))
    finished = add_action(team, first, "Social worker to meet the father", team.lead,
                          meeting_day(first) + timedelta(days=7))
    minutes_actions.update_action(finished, actor=team.lead, status=ActionStatus.DONE, comment="Met him")
    db.session.commit()

    assert minutes_actions.remind_overdue() == 1
    assert minutes_actions.remind_overdue() == 0  # the job runs every few minutes: still one email
    send_all()
    mails = read_mail(smtp_server)
    assert len(mails) == 1
    mail = mails[0]
    assert mail.to == [team.member.email]
    assert team.ref in mail.subject
    assert mail.links == [f"http://localhost/families/{team.ref}/actions/{late.id}"]
    assert_no_names(mail, "weigh the baby", "Hana Visitor")
    assert client_for(team.member).get(mail.links[0].removeprefix("http://localhost")).status_code == 200

    # A new due date, missed too: one more reminder.
    db.session.get(Action, late.id).due_date = today() - timedelta(days=1)
    db.session.commit()
    assert minutes_actions.remind_overdue() == 1
    assert minutes_actions.remind_overdue() == 0
    send_all()
    assert len(read_mail(smtp_server)) == 2

    # The job goes by the time it is given: three weeks on, the school's action is overdue too.
    from coordinator.timeutil import utcnow

    assert minutes_actions.remind_overdue(utcnow() + timedelta(days=21)) == 1
    send_all()
    mail = read_mail(smtp_server)[-1]
    assert mail.to == [team.school.email]
    assert mail.links == [f"http://localhost/families/{team.ref}/actions/{later.id}"]


def test_not_done_needs_a_decision_and_never_closes_the_action_silently(team, client_for):
    first, second, _ = team.meetings
    due = meeting_day(first) + timedelta(days=10)
    action = add_action(team, first, "Social worker to meet the father", team.lead, due)
    client = client_for(team.taker)

    response = press(team, client, second, "review", {
        f"review-{action.id}": "NOT_DONE", f"review-{action.id}-comment": "Two visits, no answer"})
    assert_form_error(Page(response), "Say whether the action is carried forward or closed")
    response = press(team, client, second, "review", {
        f"review-{action.id}": "NOT_DONE", f"review-{action.id}-comment": "Two visits, no answer",
        f"review-{action.id}-decision": "carried"})
    assert_form_error(Page(response), "Enter the new date it is due by")
    response = press(team, client, second, "review", {
        f"review-{action.id}": "NOT_DONE", f"review-{action.id}-comment": "Two visits, no answer",
        f"review-{action.id}-decision": "carried",
        **date_fields(f"review-{action.id}-due", meeting_day(second) + timedelta(days=7))})
    assert_form_error(Page(response), "Choose who owns the action from now on")
    response = press(team, client, second, "review", {
        f"review-{action.id}": "NOT_DONE", f"review-{action.id}-comment": "",
        f"review-{action.id}-decision": "closure_asked"})
    assert_form_error(Page(response), "Give the reason for closing the action")
    db.session.expire_all()
    assert db.session.get(Action, action.id).status is ActionStatus.OPEN
    assert count(ActionUpdate, ActionUpdate.action_id == action.id) == 1  # nothing half-written


def todo_of(app, user) -> list:
    from coordinator.todo import todo_for

    with app.test_request_context():
        return todo_for(user, today())


def test_closing_an_action_not_done_waits_for_the_chair_and_it_stays_owned_until_then(app, team, client_for):

    first, second, third = team.meetings
    due = meeting_day(first) + timedelta(days=10)
    action = add_action(team, first, "School to offer a breakfast club place", team.school, due)
    taker = client_for(team.taker)
    press(team, taker, second, "review", {
        f"review-{action.id}": "NOT_DONE", f"review-{action.id}-comment": "The family moved school catchment",
        f"review-{action.id}-decision": "closure_asked"}, page=open_page(taker, team.editor(second)))
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert action.status is ActionStatus.OPEN and action.owner_id == team.school.id
    assert action.closure_awaiting_approval
    school = client_for(team.school)
    rows = {row[0]: row[3] for row in open_page(school, team.action_log).table_rows()}
    assert rows["School to offer a breakfast club place"].startswith("Closure awaiting the chair")
    assert "Not done: closure awaiting the chair's approval" in open_page(school, team.action(action)).text
    # Still the school's to do, and overdue; the chair is asked to approve.
    assert "School to offer a breakfast club place" in [t.what for t in todo_of(app, team.school)]
    chair_items = [t for t in todo_of(app, team.chair) if t.kind == "Approve closing an action not done"]
    assert [t.what for t in chair_items] == ["School to offer a breakfast club place"]
    # Only the chair decides.
    closure = f"{team.action(action)}/closure"
    assert school.get(closure).status_code == 403
    chair = client_for(team.chair)
    page = open_page(chair, closure)
    assert_form_error(Page(send_form(chair, page, {}, url=closure)), "Choose whether to approve closing the action")
    response = send_form(chair, page, {"decision": "approve"}, url=closure)
    assert response.status_code == 302
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert action.status is ActionStatus.NOT_DONE and not action.closure_awaiting_approval
    history = open_page(chair, team.action(action)).section("History").text()
    assert "Closed as not done: the chair approved (The family moved school catchment) (Charlie Chair)" in history
    assert "Not done, to be closed once the chair approves: The family moved school catchment (Mina Taker)" in history
    assert "School to offer a breakfast club place" not in [t.what for t in todo_of(app, team.school)]


def test_the_owner_carries_their_action_forward_and_the_reminder_follows_it(team, client_for):
    first = team.meetings[0]
    action = add_action(team, first, "Health visitor to weigh the baby", team.member,
                        meeting_day(first) + timedelta(days=7))
    assert minutes_actions.overdue_actions(team.family) == [action]
    owner = client_for(team.member)
    page = open_page(owner, team.action(action))
    new_due = today() + timedelta(days=10)
    response = send_form(owner, page, {"status": "NOT_DONE", "comment": "The family were away",
                                       "decision": "carried", **date_fields("new_due", new_due),
                                       "new_owner": team.school.id}, url=team.action(action))
    assert response.status_code == 302
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert (action.status, action.due_date, action.owner_id) == (ActionStatus.OPEN, new_due, team.school.id)
    assert minutes_actions.overdue_actions(team.family) == []
    from coordinator.timeutil import utcnow

    assert minutes_actions.remind_overdue(utcnow() + timedelta(days=11)) == 1  # overdue again: the new owner
    from coordinator.notify.models import OutboxMessage

    assert db.session.scalars(select(OutboxMessage.recipient)).all()[-1] == team.school.email


def test_the_chair_may_keep_an_action_open_and_only_the_chair_decides(team, client_for):
    first, second, _ = team.meetings
    action = add_action(team, first, "GP to review the mother's medication", team.gp,
                        meeting_day(first) + timedelta(days=10))
    minutes_actions.update_action(action, actor=team.lead, status=ActionStatus.NOT_DONE, reviewed_at=second,
                                  comment="The GP says it is no longer needed", decision="closure_asked")
    db.session.commit()
    with pytest.raises(services.MinutesError, match="Only the chair"):
        minutes_actions.decide_closure(action, actor=team.lead, approve=True)
    db.session.rollback()
    chair = client_for(team.chair)
    closure = f"{team.action(action)}/closure"
    response = send_form(chair, open_page(chair, closure), {"decision": "decline", "note": "Ask the GP again"},
                         url=closure)
    assert response.status_code == 302
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert action.status is ActionStatus.OPEN and action.owner_id == team.gp.id
    assert not action.closure_awaiting_approval
    history = open_page(chair, team.action(action)).section("History").text()
    assert "The chair kept it open: Ask the GP again (Charlie Chair)" in history
    # Nothing left to decide: the page says so rather than offering the choice again.
    assert "This action is not waiting for your approval." in banners(Page(chair.get(closure, follow_redirects=True)))
