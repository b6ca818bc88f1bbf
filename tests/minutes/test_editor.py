"""The minutes editor: attendance from the invitees' answers, each agency's update summarised with fact kept
apart from opinion, the household for confirmation, earlier actions for review, saving, and two editors at
once."""
from __future__ import annotations

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.minutes.models import MinutesRevision
from tests.minutes.helpers import (
    DEPUTY,
    Page,
    answer_invitations,
    give_update,
    health_update,
    minutes_of,
    open_page,
    school_update,
    send_form,
)


def test_the_editor_is_prefilled_from_the_answers_and_the_updates(team, client_for):
    meeting = team.meetings[0]
    answer_invitations(team, meeting)
    give_update(meeting, team.member, health_update(team))
    give_update(meeting, team.school, school_update(team))

    page = open_page(client_for(team.taker), team.editor(meeting))

    # Attendance, from each invitee's answer.
    assert page.value(f"attendance-{team.chair.id}") == "present"  # attending
    assert page.value(f"attendance-{team.member.id}") == "report_received"  # report only
    assert page.value(f"attendance-{team.school.id}") == "apologies"
    assert page.value(f"attendance-{team.gp.id}") == "present"  # sent a deputy: the deputy came
    assert page.value(f"deputy-{team.gp.id}") == DEPUTY
    assert page.value(f"attendance-{team.taker.id}") is None  # no answer: nothing assumed
    assert page.value(f"deputy-{team.chair.id}") == ""

    # Each agency's update, fact apart from opinion.
    health = team.member.agency_id
    facts = page.value(f"agency-{health}-facts")
    opinion = page.value(f"agency-{health}-opinion")
    assert "Baby clean and fed at each of three visits." in facts
    # What the parent said is never recorded as fact (the guard against disguised compliance).
    assert "Mum says she takes her medication" not in facts and "The parent said" not in facts
    assert "The parent said (not checked): Mum says she takes her medication every day." in opinion
    assert "The parent said (not checked) that the children went to every appointment" in opinion
    assert "Nappy rash at two visits running." in facts  # marked as an observation
    assert "was not brought 1" in facts
    assert ("Ruby Harrow's appointments: Health visitor check on Tuesday 6 January 2026: was not brought"
            in facts)
    assert "Mum seems more settled in herself." in opinion  # marked as an opinion
    assert "Weekly home visits until the rash clears." in opinion
    assert "Mum seems more settled" not in facts and "Baby clean" not in opinion
    school = team.school.agency_id
    assert "Has a good friendship group." in page.value(f"agency-{school}-facts")
    assert "Tired and hungry on Mondays" in page.value(f"agency-{school}-opinion")  # an allegation is not a fact
    assert page.value(f"scale-{health}-{team.child.id}") == "4"
    assert page.value(f"scale-{school}-{team.child.id}") == "6"
    assert "Mum says" not in (page.value(f"agency-{team.gp.agency_id}-facts") or "")  # the GP sent no update

    # The household, for the meeting to confirm.
    for person in (team.mother, team.father):
        radios = page.find_all("input", name=f"household-{person.id}")
        assert {r.attrs["value"] for r in radios} == {"confirmed", "left", "unknown"}
        assert person.display_name in page.text
    # The confidentiality statement is there to start with.
    assert page.value("confidentiality")


def test_with_no_answers_and_no_updates_nothing_is_assumed(team, client_for):
    meeting = team.meetings[0]
    page = open_page(client_for(team.chair), team.editor(meeting))
    for person in (team.chair, team.member, team.school, team.gp, team.taker):
        assert page.value(f"attendance-{person.id}") is None
    assert page.value(f"agency-{team.member.agency_id}-facts") == ""


def test_an_absent_agency_that_sent_its_update_is_recorded_as_report_received(team, client_for):
    meeting = team.meetings[0]
    give_update(meeting, team.school, school_update(team, withhold=False))  # no answer to the invitation
    page = open_page(client_for(team.taker), team.editor(meeting))
    assert page.value(f"attendance-{team.school.id}") == "report_received"


def test_open_actions_from_earlier_meetings_are_listed_for_review(team, client_for):
    from coordinator.minutes import actions as minutes_actions
    from coordinator.minutes import services
    from tests.minutes.helpers import meeting_day

    first, second = team.meetings[0], team.meetings[1]
    services.start_minutes(first, team.taker)
    action = minutes_actions.add_action(first, actor=team.taker, description="Health visitor to weigh the baby weekly",
                                 owner=team.member, due=meeting_day(first), intended_outcome="Weight is watched")
    db.session.commit()

    page = open_page(client_for(team.taker), team.editor(second))
    review = page.section("Review of the actions from earlier meetings")
    assert "Health visitor to weigh the baby weekly" in review.text()
    assert {r.attrs["value"] for r in page.find_all("input", name=f"review-{action.id}")} == {
        "OPEN", "DONE", "NOT_POSSIBLE", "NOT_DONE"}
    # Not at the meeting that agreed it.
    page = open_page(client_for(team.taker), team.editor(first))
    assert "No open actions from earlier meetings." in page.section("Review of the actions from earlier meetings").text()


def test_saving_keeps_the_text(team, client_for):
    meeting = team.meetings[0]
    client = client_for(team.taker)
    url = team.editor(meeting)
    page = open_page(client, url)
    response = send_form(client, page, {
        "worries": "Who else is in the home.\nThe baby's weight.",
        "decisions": "The plan continues. Reason: the risks are not reduced.",
        f"attendance-{team.chair.id}": "present",
        f"household-{team.mother.id}": "confirmed",
        "not_for_family": ["dissent"],
        "withheld_reason": "Names a third party",
    }, url=url)
    assert response.status_code == 302, Page(response).text[:2000]

    page = open_page(client, url)
    assert "Minutes saved." in " ".join(page.banners())
    assert page.value("worries") == "Who else is in the home.\nThe baby's weight."
    assert page.value("decisions") == "The plan continues. Reason: the risks are not reduced."
    assert page.value(f"attendance-{team.chair.id}") == "present"
    assert page.value(f"household-{team.mother.id}") == "confirmed"
    assert page.checked("not_for_family") == ["dissent"]
    assert page.value("withheld_reason") == "Names a third party"
    minutes = minutes_of(meeting)
    assert minutes.fields["decisions"] == "The plan continues. Reason: the risks are not reduced."
    revisions = db.session.scalars(select(MinutesRevision).where(MinutesRevision.minutes_id == minutes.id)
                                   .order_by(MinutesRevision.revision)).all()
    assert [r.revision for r in revisions] == [1, 2]
    assert revisions[-1].saved_by_id == team.taker.id


def test_two_editors_at_once_lose_nothing_and_choose_per_section(team, client_for):
    meeting = team.meetings[0]
    url = team.editor(meeting)
    taker, chair = client_for(team.taker), client_for(team.chair)
    taker_page = open_page(taker, url)
    chair_page = open_page(chair, url)  # both open the same revision

    response = send_form(taker, taker_page, {"worries": "The minute-taker's worries.",
                                             "decisions": "Agreed decision."}, url=url)
    assert response.status_code == 302

    # The chair saves on top of the revision they opened.
    response = send_form(chair, chair_page, {"worries": "The chair's worries.", "decisions": "Agreed decision.",
                                             "strengths": "The chair's strengths."}, url=url)
    assert response.status_code == 200
    conflict = Page(response)
    assert "Someone else saved these minutes while you were editing" in conflict.text
    assert "Nothing of yours is lost" in conflict.text
    boxes = {b.attrs["value"] for b in conflict.find_all("input", name="keep_saved")}
    assert boxes == {"worries", "strengths"}  # only the sections that differ; decisions are the same
    worries = next(f for f in conflict.find_all("fieldset")
                   if f.find("input", name="keep_saved", value="worries"))
    assert "The minute-taker's worries." in worries.text() and "The chair's worries." in worries.text()
    # Nothing is lost: the saved copy is the minute-taker's, and the chair's text is still in their form.
    assert minutes_of(meeting).fields["worries"] == "The minute-taker's worries."
    assert conflict.value("worries") == "The chair's worries."
    assert conflict.value("strengths") == "The chair's strengths."

    # The chair keeps the minute-taker's worries, and their own strengths.
    response = send_form(chair, conflict, {"keep_saved": ["worries"]}, url=url)
    assert response.status_code == 302, Page(response).text[:2000]
    fields = minutes_of(meeting).fields
    assert fields["worries"] == "The minute-taker's worries."
    assert fields["strengths"] == "The chair's strengths."
    assert fields["decisions"] == "Agreed decision."
    assert minutes_of(meeting).revision == 3
