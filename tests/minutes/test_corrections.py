"""Acknowledgements and corrections: each recipient acknowledges and the chair sees who has not; a
recipient asks for a correction within the window; the chair declines one and accepts another, which
publishes version 2 with version 1 marked superseded and the difference shown."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.meetings.workdays import add_working_days
from coordinator.minutes.models import Acknowledgement, CorrectionRequest, CorrectionState
from coordinator.timeutil import local_zone, long_date
from tests.conftest import send_all
from tests.minutes.helpers import (
    Page,
    assert_form_error,
    assert_no_names,
    audit_events,
    banners,
    count,
    csrf_token,
    open_page,
    published,
    read_mail,
    send_form,
    today,
    travel_to,
    versions_of,
)

DECISION = "The core group continues. Reason: the health visitor has seen the baby weekly."
WORRIES = "Who else is in the home."


def publish_first(team):
    return published(team, team.meetings[0], decisions=DECISION, worries=WORRIES)


def ask(team, client, meeting, section, text, number=1):
    url = team.version(meeting, number, "/correction")
    return send_form(client, open_page(client, url), {"section": section, "text": text}, url=url)


def test_each_recipient_acknowledges_and_the_chair_sees_who_has_not(team, client_for):
    publish_first(team)
    meeting = team.meetings[0]
    url = team.version(meeting, 1)
    for user in (team.member, team.gp):
        client = client_for(user)
        page = open_page(client, url)
        response = send_form(client, page, {}, action=url + "/acknowledge")
        assert response.status_code == 302
        page = open_page(client, url)
        assert "Thank you: your acknowledgement is recorded." in banners(page)
        assert "You acknowledged these minutes." in page.text
        assert page.find("form", action=url + "/acknowledge") is None
    # Twice is still once.
    client = client_for(team.member)
    client.post(url + "/acknowledge", data={"csrf_token": csrf_token(client)})
    assert count(Acknowledgement) == 2

    page = open_page(client_for(team.chair), url)
    acknowledged = {}
    for item in page.section("Who has acknowledged").find_all("li"):
        name, _, state = item.text().partition(": ")
        acknowledged[name] = state
    assert set(acknowledged) == {"Lee Lead", "Hana Visitor", "Charlie Chair", "Mina Taker", "Sam School",
                                 "Gita Practitioner"}
    assert acknowledged["Hana Visitor"].startswith("read ")
    assert acknowledged["Gita Practitioner"].startswith("read ")
    for name in ("Lee Lead", "Charlie Chair", "Mina Taker", "Sam School"):
        assert acknowledged[name] == "not yet"
    # A recipient does not see the list.
    with_member = open_page(client_for(team.member), url)
    assert "Who has acknowledged" not in with_member.text


def test_a_recipient_asks_for_a_correction_within_the_window(team, client_for, smtp_app, smtp_server):
    publish_first(team)
    meeting = team.meetings[0]
    client = client_for(team.member)
    page = open_page(client, team.version(meeting, 1))
    deadline = add_working_days(today(), 10)
    assert page.link(f"Ask for a correction (until {long_date(deadline)})") == team.version(
        meeting, 1, "/correction")
    response = ask(team, client, meeting, "decisions", "The health visitor saw the baby twice, not weekly.")
    assert response.status_code == 302
    assert "Your request has gone to the chair." in banners(open_page(client, team.version(meeting, 1)))
    correction = db.session.scalar(select(CorrectionRequest))
    assert (correction.requested_by_id, correction.section, correction.state) == (
        team.member.id, "decisions", CorrectionState.PENDING)

    # The chair is told, with a link and no names.
    send_all()
    mails = [m for m in read_mail(smtp_server) if "correction" in m.subject]
    assert [m.to for m in mails] == [[team.chair.email]]
    assert len(mails) == 1
    assert mails[0].links == [f"http://localhost{team.version(meeting, 1)}"]
    assert_no_names(mails[0], "twice, not weekly")
    page = open_page(client_for(team.chair), team.version(meeting, 1))
    assert "Hana Visitor, Decisions, with reasons" in page.section("Corrections asked for").text()


def test_an_empty_correction_is_refused(team, client_for):
    publish_first(team)
    client = client_for(team.member)
    page = Page(ask(team, client, team.meetings[0], "", ""))
    assert_form_error(page, "Choose the section to correct", "section")
    assert_form_error(page, "Say what should be corrected", "text")
    assert count(CorrectionRequest) == 0


def test_a_correction_may_be_asked_for_until_the_last_working_day_of_the_window(team, client_for, monkeypatch):
    publish_first(team)
    meeting = team.meetings[0]
    deadline = add_working_days(today(), 10)
    travel_to(monkeypatch, datetime.combine(deadline, datetime.min.time().replace(hour=17), local_zone()))
    client = client_for(team.member)
    assert page_link_to_ask(team, client, meeting)
    assert ask(team, client, meeting, "decisions", "Just in time.").status_code == 302
    assert count(CorrectionRequest) == 1


def test_the_window_follows_the_setting(app, team, client_for, monkeypatch):
    app.config["MINUTES_CORRECTION_WORKING_DAYS"] = 2
    publish_first(team)
    meeting = team.meetings[0]
    deadline = add_working_days(today(), 2)
    travel_to(monkeypatch, datetime.combine(deadline + timedelta(days=1), datetime.min.time().replace(hour=9),
                                            local_zone()))
    page = Page(ask(team, client_for(team.member), meeting, "decisions", "Too late now."))
    assert_form_error(page, f"Corrections could be asked for until {long_date(deadline)}", "text")


def page_link_to_ask(team, client, meeting) -> bool:
    return open_page(client, team.version(meeting, 1)).link("Ask for a correction") == team.version(
        meeting, 1, "/correction")


def test_after_the_window_a_correction_is_refused(team, client_for, monkeypatch):
    publish_first(team)
    meeting = team.meetings[0]
    deadline = add_working_days(today(), 10)
    travel_to(monkeypatch, datetime.combine(deadline + timedelta(days=1), datetime.min.time().replace(hour=9),
                                            local_zone()))
    client = client_for(team.member)
    page = open_page(client, team.version(meeting, 1))
    assert page.link("Ask for a correction") is None
    page = Page(ask(team, client, meeting, "decisions", "Too late now."))
    assert_form_error(page, f"Corrections could be asked for until {long_date(deadline)}", "text")
    assert count(CorrectionRequest) == 0


def test_someone_outside_the_network_cannot_ask_for_a_correction(team, client_for):
    publish_first(team)
    meeting = team.meetings[0]
    outsider = client_for(team.outsider)
    url = team.version(meeting, 1, "/correction")
    assert outsider.get(url).status_code == 404
    response = outsider.post(url, data={"csrf_token": csrf_token(outsider), "section": "decisions", "text": "No"})
    assert response.status_code == 404
    assert count(CorrectionRequest) == 0


def test_the_chair_declines_one_correction_and_accepts_another_as_version_2(team, client_for, smtp_app, smtp_server):
    publish_first(team)
    meeting = team.meetings[0]
    assert ask(team, client_for(team.school), meeting, "worries", "Leave out the visitor.").status_code == 302
    assert ask(team, client_for(team.member), meeting, "decisions",
               "The health visitor saw the baby twice, not weekly.").status_code == 302
    declined, accepted = db.session.scalars(select(CorrectionRequest).order_by(CorrectionRequest.id)).all()
    chair = client_for(team.chair)
    send_all()
    before = len(read_mail(smtp_server))

    # Only the chair decides.
    decide = f"/families/{team.ref}/minutes/corrections/{declined.id}"
    assert client_for(team.taker).get(decide).status_code == 403
    assert client_for(team.outsider).get(decide).status_code == 404

    page = open_page(chair, decide)
    assert "Leave out the visitor." in page.text
    assert page.value("new_text") == WORRIES  # the section as published, to correct
    response = send_form(chair, page, {"decision": "decline", "note": "The visitor matters to the plan."}, url=decide)
    assert response.status_code == 302
    assert "Correction declined." in banners(open_page(chair, team.version(meeting, 1)))
    assert [v.number for v in versions_of(meeting)] == [1]

    corrected = "The core group continues. Reason: the health visitor has seen the baby twice since the last meeting."
    decide = f"/families/{team.ref}/minutes/corrections/{accepted.id}"
    response = send_form(chair, open_page(chair, decide), {"decision": "accept", "new_text": corrected}, url=decide)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(team.version(meeting, 2))

    db.session.expire_all()
    states = {c.id: c.state for c in db.session.scalars(select(CorrectionRequest))}
    assert states == {declined.id: CorrectionState.DECLINED, accepted.id: CorrectionState.ACCEPTED}
    first, second = versions_of(meeting)
    assert first.fields["sections"]["decisions"] == DECISION  # version 1 is as it was
    assert second.fields["sections"]["decisions"] == corrected
    assert second.fields["sections"]["worries"] == WORRIES
    assert second.correction_id == accepted.id

    page = open_page(client_for(team.member), team.version(meeting, 1))
    assert "Superseded: a corrected version has been published." in page.text
    assert page.link("Read the latest version") == team.version(meeting, 2)
    assert page.link("Ask for a correction") is None
    assert page.find("form", action=team.version(meeting, 1, "/acknowledge")) is None

    page = open_page(client_for(team.member), team.version(meeting, 2))
    assert "Superseded" not in page.text
    changes = page.section("What changed from version 1").text()
    assert "Decisions, with reasons" in changes
    assert f"Removed: {DECISION}" in changes
    assert f"Added: {corrected}" in changes
    assert "What we are worried about" not in changes
    assert [d.text() for d in page.find_all("del")] == [f"Removed: {DECISION}"]
    assert [i.text() for i in page.find_all("ins")] == [f"Added: {corrected}"]

    # Everyone is told there is a corrected version, with a link to it.
    send_all()
    mails = read_mail(smtp_server)[before:]
    assert sorted(a for m in mails for a in m.to) == sorted(team.distribution)
    for mail in mails:
        assert mail.links == [f"http://localhost{team.version(meeting, 2)}"]
        assert_no_names(mail, "twice since the last meeting")
    assert len(audit_events("minutes_published")) == 2

    # Version 1 can no longer be corrected: ask about version 2.
    page = Page(ask(team, client_for(team.school), meeting, "worries", "Again."))
    assert_form_error(page, "A newer version of these minutes has been published", "text")


def test_a_correction_to_the_agencies_information_is_shown_in_version_2(team, client_for):
    from tests.minutes.helpers import give_update, health_update

    meeting = team.meetings[0]
    give_update(meeting, team.member, health_update(team))
    publish_first(team)
    assert ask(team, client_for(team.member), meeting, "agencies",
               "We saw the baby three times, not four.").status_code == 302
    correction = db.session.scalar(select(CorrectionRequest))
    chair = client_for(team.chair)
    decide = f"/families/{team.ref}/minutes/corrections/{correction.id}"
    corrected = "Correction: the health visitor saw the baby three times, not four."
    response = send_form(chair, open_page(chair, decide), {"decision": "accept", "new_text": corrected}, url=decide)
    assert response.status_code == 302

    page = open_page(client_for(team.member), team.version(meeting, 2))
    assert corrected in page.section("Each agency's information").text()
    assert "Baby clean and fed at each of three visits." in page.text  # the update's summary is still there
    changes = page.section("What changed from version 1").text()
    assert f"Added: {corrected}" in changes
    assert corrected not in open_page(client_for(team.member), team.version(meeting, 1)).text


def test_the_lead_sees_the_corrections_asked_for_but_only_the_chair_is_offered_to_decide(team, client_for):
    publish_first(team)
    meeting = team.meetings[0]
    assert ask(team, client_for(team.member), meeting, "decisions", "Twice, not weekly.").status_code == 302
    correction = db.session.scalar(select(CorrectionRequest))
    decide = f"/families/{team.ref}/minutes/corrections/{correction.id}"

    page = open_page(client_for(team.chair), team.version(meeting, 1))
    assert page.link("decide") == decide
    lead = client_for(team.lead)
    page = open_page(lead, team.version(meeting, 1))
    assert "Twice, not weekly." in page.section("Corrections asked for").text()
    assert page.link("decide") is None  # it would only lead to a refusal
    assert lead.get(decide).status_code == 403
