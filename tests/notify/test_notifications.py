"""Notifications of new work, through the outbox to the real SMTP server, read as a mail client would: the
lead told of an update submitted (in the morning's digest, by default), of a new person reported (at once)
and of a deputy; the deputy invited to that one meeting; each person choosing how they are told."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import select

from coordinator.extensions import db
from tests.calendar import itip
from tests.calendar.helpers import calendar_of_message
from tests.conftest import csrf_from, send_all
from tests.families.conftest import world  # noqa: F401  (the fixture)
from tests.support.pages import Page
from tests.support.people import signed_in

NAMES = ("Harrow", "Ruby", "Kelly", "Hana Visitor", "Lee Lead")
URL_RE = re.compile(r"https?://[^\s<>\"']+")


def received(smtp_server, since: int = 0) -> list[dict]:
    out = []
    for item in smtp_server.messages[since:]:
        message = item["message"]
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        out.append({"to": item["to"], "subject": str(message["Subject"]), "text": text, "html": html,
                    "links": URL_RE.findall(text), "message": message})
    return out


def assert_no_names(mail: dict) -> None:
    whole = "\n".join((mail["subject"], mail["text"], mail["html"]))
    for name in NAMES:
        assert name not in whole, (name, mail["subject"])


def open_request(world):  # noqa: F811
    from coordinator.submissions import services as updates
    from coordinator.submissions.models import RequestState

    meeting = min(world.series.occurrences, key=lambda o: o.starts_at)
    [request] = [r for r in updates.ensure_requests(meeting) if r.recipient_id == world.member.id]
    request.state = RequestState.OPEN
    db.session.commit()
    return meeting, request


def submit(world, request, **extra):  # noqa: F811
    from coordinator.submissions import services as updates

    updates.save(request, world.member, {"worries": "Nappy rash", "share_with_family": "yes", **extra}, submit=True,
                 expected_revision=None)
    db.session.commit()


def test_the_lead_is_told_of_a_new_person_at_once_and_of_the_update_in_the_next_mornings_digest(
        smtp_app, smtp_server, world):  # noqa: F811
    from coordinator.notify.models import DigestItem
    from coordinator.notify.personal import digest_time, notify_person, send_digests
    from coordinator.timeutil import today

    meeting, request = open_request(world)
    submit(world, request, **{"new-1-description": "Man in his 20s with a dog", "new-1-sex": "MALE",
                              "new-1-relationship": "UNKNOWN", "new-1-presence": "VISITS", "new-1-source": "SEEN"})
    send_all()
    [proposed] = received(smtp_server)
    ref = world.family.reference
    assert proposed["to"] == [world.lead.email]
    assert proposed["subject"] == f"A new person reported in the household: family {ref}"
    assert "1 person living in or visiting the home who is not on the family's record" in proposed["text"]
    assert proposed["links"][0] == f"http://localhost/families/{ref}#household"
    assert_no_names(proposed)
    assert "Man in his 20s" not in proposed["text"]

    # The submitted update waits for the digest: nothing before the digest hour, one email after it, once.
    tomorrow = today() + timedelta(days=1)
    before = len(smtp_server.messages)
    assert send_digests(digest_time(tomorrow) + timedelta(minutes=5)) == 1
    assert send_digests(digest_time(tomorrow) + timedelta(minutes=50)) == 0
    send_all()
    new = received(smtp_server, before)
    digest = [m for m in new if m["subject"].startswith("Your daily summary")]
    assert len(digest) == 1 and digest[0]["to"] == [world.lead.email]
    assert digest[0]["subject"] == "Your daily summary: 1 thing to look at"
    day = meeting.starts_at.astimezone(meeting.series.zone)
    assert (f"Health visiting submitted its update for the professionals meeting on {day:%A} {day.day} {day:%B %Y} "
            f"(family {ref})") in digest[0]["text"]
    assert f"http://localhost/families/{ref}/meetings/{meeting.id}/updates" in digest[0]["links"]
    assert_no_names(digest[0])

    # An update after the digest hour waits for the next morning's, not a second email the same day.

    notify_person(world.lead, "update_submitted", key="later", subject="s", line="A later update.", url="http://x/")
    db.session.commit()
    late_item = db.session.scalar(select(DigestItem).where(DigestItem.line == "A later update."))
    late_item.created_at = digest_time(tomorrow) + timedelta(hours=2)
    db.session.commit()
    assert send_digests(digest_time(tomorrow) + timedelta(hours=3)) == 0
    assert late_item.sent_at is None
    assert send_digests(digest_time(tomorrow + timedelta(days=1)) + timedelta(minutes=1)) == 1


def test_each_person_chooses_how_they_are_told_on_their_account_page(smtp_app, smtp_server, world):  # noqa: F811
    from coordinator.audit.models import AuditEvent

    lead = signed_in(smtp_app, world.lead)
    page = Page(lead.get("/account"))
    assert "How you are told about new work" in page.text
    assert page.checked("update_submitted") == ["DAILY_DIGEST"]  # the default: many a week
    assert page.checked("minutes_to_approve") == ["IMMEDIATELY"]
    html = lead.get("/account").get_data(as_text=True)
    token = csrf_from(html)
    choices = {"minutes_to_approve": "IMMEDIATELY", "update_submitted": "IMMEDIATELY", "update_late": "IMMEDIATELY",
               "person_proposed": "DAILY_DIGEST", "deputy_named": "IMMEDIATELY"}
    # A tampered value is refused and changes nothing.
    bad = lead.post("/account/notifications", data={**choices, "update_submitted": "NEVER", "csrf_token": token})
    assert bad.status_code == 400
    assert Page(lead.get("/account")).checked("update_submitted") == ["DAILY_DIGEST"]
    response = lead.post("/account/notifications", data={**choices, "csrf_token": token})
    assert response.status_code == 302
    page = Page(lead.get(response.headers["Location"]))
    assert page.checked("update_submitted") == ["IMMEDIATELY"] and page.checked("person_proposed") == ["DAILY_DIGEST"]
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "notification_settings_changed")) \
        == "update_submitted, person_proposed"

    meeting, request = open_request(world)
    submit(world, request)
    send_all()
    [told] = received(smtp_server)
    assert told["to"] == [world.lead.email]
    assert told["subject"] == f"An agency's update was submitted: family {world.family.reference}"
    assert_no_names(told)


def respond(client, world, meeting, data: dict):  # noqa: F811
    url = f"/families/{world.family.reference}/meetings/{meeting.id}/respond"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_a_deputy_is_invited_to_that_one_meeting_and_may_write_the_update(smtp_app, smtp_server, world):  # noqa: F811
    from coordinator.auth.services import user_by_email
    from coordinator.meetings.models import MeetingDeputy

    meeting, request = open_request(world)
    later = sorted(world.series.occurrences, key=lambda o: o.starts_at)[1]
    hv = signed_in(smtp_app, world.member)
    # Sending yourself is refused, with the answer kept.
    page = Page(respond(hv, world, meeting, {"response": "DEPUTY", "deputy_name": "Me", "deputy_email": world.member.email}))
    assert "not your own" in " ".join(page.errors().values())
    assert db.session.scalar(select(MeetingDeputy)) is None

    response = respond(hv, world, meeting, {"response": "DEPUTY", "deputy_name": "Dee Puty",
                                            "deputy_email": "dee.puty@nhs.test"})
    assert response.status_code == 302
    deputy = user_by_email("dee.puty@nhs.test")
    assert deputy is not None and deputy.name == "Dee Puty" and deputy.password_hash is None
    send_all()
    mails = received(smtp_server)
    ref = world.family.reference
    [invitation] = [m for m in mails if m["to"] == ["dee.puty@nhs.test"]]
    [told] = [m for m in mails if m["to"] == [world.lead.email]]
    assert told["subject"] == f"An invitee is sending a deputy: family {ref}"
    assert told["links"][0] == f"http://localhost/families/{ref}/meetings/{meeting.id}"
    assert_no_names(told)
    assert "as a deputy" in invitation["subject"] and "that one meeting only" in invitation["text"]
    assert_no_names(invitation)
    # The invitation, read with a parser other than the one that wrote it: that meeting only, as a
    # delegation from the invitee (RFC 5546 3.2.2.3).
    text, method = calendar_of_message(invitation["message"])
    assert method == "REQUEST"
    [event] = itip.parse(text).subs("VEVENT")
    assert event.value("UID") == world.series.uid and event.get("RECURRENCE-ID") is not None
    assert event.get("RRULE") is None
    attendees = {p.value.removeprefix("mailto:"): p for p in event.all("ATTENDEE")}
    assert attendees["dee.puty@nhs.test"].param("DELEGATED-FROM") == f"mailto:{world.member.email}"
    assert attendees[world.member.email].param("PARTSTAT") == "DELEGATED"

    # Signed in, the deputy sees that meeting and may write the update; not the family, not other meetings.
    dee = signed_in(smtp_app, deputy)
    base = f"/families/{ref}"
    assert dee.get(f"{base}/meetings/{meeting.id}").status_code == 200
    assert dee.get(f"{base}/updates/{request.id}").status_code == 200
    assert dee.get(f"{base}/meetings/{later.id}").status_code == 404
    assert dee.get(base).status_code == 404

    # The invitee will come after all: the deputy is sent a cancellation and loses the access.
    before = len(smtp_server.messages)
    assert respond(hv, world, meeting, {"response": "ATTENDING"}).status_code == 302
    send_all()
    [cancel] = received(smtp_server, before)
    assert cancel["to"] == ["dee.puty@nhs.test"]
    assert calendar_of_message(cancel["message"])[1] == "CANCEL"
    assert dee.get(f"{base}/meetings/{meeting.id}").status_code == 404
    assert dee.get(f"{base}/updates/{request.id}").status_code == 403


def test_minutes_waiting_for_approval_tell_the_chair_unless_they_chose_the_digest(smtp_app, smtp_server, world):  # noqa: F811
    """(The email itself is read in tests/minutes/test_publishing.py.) A chair who chose the digest gets it in
    the morning's summary instead."""
    from coordinator.notify import personal
    from coordinator.notify.models import Delivery, DigestItem

    personal.choose(world.lead.id, {"minutes_to_approve": Delivery.DAILY_DIGEST})
    personal.notify_person(world.lead, "minutes_to_approve", key="m1", subject="Minutes waiting for your approval",
                           line="The minutes of a meeting are waiting for your approval.", url="http://localhost/x")
    db.session.commit()
    send_all()
    assert received(smtp_server) == []
    assert [i.kind for i in db.session.scalars(select(DigestItem))] == ["minutes_to_approve"]
    now = datetime.combine(datetime.now().date() + timedelta(days=1), time(12, 0)).astimezone()
    assert personal.send_digests(now) == 1
    send_all()
    [digest] = received(smtp_server)
    assert digest["to"] == [world.lead.email] and "http://localhost/x" in digest["links"]


def test_a_deputy_only_for_a_meeting_to_come_and_only_while_the_invitee_is_invited(smtp_app, smtp_server, world):  # noqa: F811
    from coordinator.auth.services import user_by_email
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingDeputy

    meeting, request = open_request(world)
    hv = signed_in(smtp_app, world.member)
    assert respond(hv, world, meeting, {"response": "DEPUTY", "deputy_name": "Dee Puty",
                                        "deputy_email": "dee.puty@nhs.test"}).status_code == 302
    dee = signed_in(smtp_app, user_by_email("dee.puty@nhs.test"))
    page_url = f"/families/{world.family.reference}/meetings/{meeting.id}"
    assert dee.get(page_url).status_code == 200
    # The invitee is taken off the series: the deputy's access goes with theirs.
    meetings.change_invitees(world.series, [], actor=world.lead, notify=False)
    db.session.commit()
    assert dee.get(page_url).status_code == 404
    assert dee.get(f"/families/{world.family.reference}/updates/{request.id}").status_code == 403

    # A meeting that has started takes no deputy (their access would open its minutes).
    from coordinator.meetings.deputies import DeputyError, name_deputy

    meetings.change_invitees(world.series, [world.member], actor=world.lead, notify=False)
    meeting.starts_at = meeting.starts_at - timedelta(days=30)
    db.session.commit()
    try:
        name_deputy(meeting, world.member, name="Another", email="another@nhs.test")
    except DeputyError as error:
        assert "not yet started" in str(error)
    else:
        raise AssertionError("a deputy was named for a meeting that has started")
    db.session.rollback()
    assert user_by_email("another@nhs.test") is None
    assert db.session.scalar(select(MeetingDeputy).where(MeetingDeputy.deputy.has(email="another@nhs.test"))) is None
