"""Answers come back: people press Accept, Decline, "propose new time" or pass a meeting to a deputy in
Outlook, Google, Apple or Thunderbird; their calendar emails the organiser address; the service reads that
mailbox (a real Dovecot over IMAP, or a maildir) and the answer shows in the meeting, in what is sent next
and on the lead's page. What cannot be trusted or understood is kept for the lead, never applied; nothing
is lost or applied twice when a poll is interrupted."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.meetings.models import (
    InvitationResponse,
    MeetingDeputy,
    Occurrence,
    ProposalStatus,
    ProposedTime,
    Response,
)
from coordinator.notify.inbound import collect, process_waiting
from coordinator.notify.models import InboundMessage, InboundState
from tests.calendar import client_replies, helpers, itip
from tests.calendar.client_replies import Answer
from tests.support import dovecot as dovecot_support
from tests.support.pages import Page
from tests.support.people import signed_in

MAILBOX_DOMAIN = "meetings.partnership.test"


@pytest.fixture(scope="module")
def dovecot():
    server, process = dovecot_support.start()
    yield server
    dovecot_support.stop(server, process)


@pytest.fixture
def mailbox(app, dovecot):
    """The organiser address: a mailbox of its own on the IMAP server, which the service reads."""
    user = f"organiser-{uuid.uuid4().hex[:10]}@{MAILBOX_DOMAIN}"
    app.config.update(dovecot.config(user), MEETINGS_ORGANISER_EMAIL=user, MEETINGS_ORGANISER_NAME="Meetings team")
    return user


def next_tuesday(after_days: int = 8) -> date:
    day = date.today() + timedelta(days=after_days)
    return day + timedelta(days=(1 - day.weekday()) % 7)


@pytest.fixture
def series(calendar_world, mailbox):
    made = calendar_world.create(calendar_world.schedule(next_tuesday(), time(10, 0), weekly=2))
    calendar_world.deliver()
    return made


def meetings_of(series) -> list[Occurrence]:
    db.session.expire_all()
    return sorted((o for o in series.occurrences if not o.is_extra), key=lambda o: o.starts_at)


def answer_for(world, series, person, *, via=None, **fields) -> Answer:
    """What ``person``'s calendar knows of the series, from the invitation they (or ``via``) were sent."""
    text, method = helpers.calendar_of_message(world.messages_for(via or person)[0])
    assert method == "REQUEST"
    uid = itip.parse(text).subs("VEVENT")[0].value("UID")
    assert uid == series.uid
    first = meetings_of(series)[0]
    return Answer(uid=uid, organiser=series.organiser_email, email=person.email, name=person.name,
                  start=first.starts_at, end=first.ends_at, summary=series.title, **fields)


def read_mailbox(dovecot, mailbox, raw: bytes) -> InboundMessage:
    dovecot.append(mailbox, raw)
    assert collect() == 1
    process_waiting()
    db.session.expire_all()
    return db.session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()


def answers(person, series) -> dict[date, Response | None]:
    db.session.expire_all()
    rows = {r.occurrence_id: r.response for r in db.session.scalars(
        select(InvitationResponse).where(InvitationResponse.user_id == person.id))}
    return {o.day: rows.get(o.id) for o in meetings_of(series)}


def attendee_lines(world, person, recipient) -> list[itip.Prop]:
    """The ATTENDEE property for ``person`` in each VEVENT of the last invitation ``recipient`` got."""
    text, _ = helpers.calendar_of_message(world.messages_for(recipient)[-1])
    found = []
    for event in itip.parse(text).subs("VEVENT"):
        found += [p for p in event.all("ATTENDEE") if p.value.lower() == f"mailto:{person.email}"]
    return found


# --- each client's answer for the whole series ----------------------------------------------------------

@pytest.mark.parametrize("client", ["outlook", "google", "apple", "thunderbird"])
def test_accepting_the_series_in_each_client_is_recorded_for_every_meeting(app, calendar_world, series, dovecot,
                                                                           mailbox, client):
    world = calendar_world
    raw = client_replies.CLIENTS[client](answer_for(world, series, world.member, partstat="ACCEPTED"))
    message = read_mailbox(dovecot, mailbox, raw)

    assert message.state is InboundState.APPLIED, message.outcome
    assert set(answers(world.member, series).values()) == {Response.ATTENDING}
    assert set(answers(world.teacher, series).values()) == {None}  # nobody else's answer changed
    # The lead sees it on the meeting page, as if answered in the service.
    first = meetings_of(series)[0]
    page = Page(signed_in(app, world.lead).get(f"/families/{world.family.reference}/meetings/{first.id}"))
    assert page.status_code == 200
    assert f"{world.member.name}" in page.text and "Attending" in page.text
    # The colleagues' subscribed feeds show it too (an answer changes the feed's version).
    from coordinator.calendar import feed

    token = feed.token_for(world.teacher)
    db.session.commit()
    text = app.test_client().get(f"/calendar/{token}.ics").get_data(as_text=True)
    master = next(e for e in itip.parse(text).subs("VEVENT") if e.value("UID") == series.uid and not e.get("RECURRENCE-ID"))
    member = [p for p in master.all("ATTENDEE") if p.value.lower() == f"mailto:{world.member.email}"]
    assert member and member[0].param("PARTSTAT") == "ACCEPTED", [p.to_line() for p in member]
    # And what is sent next carries it: ACCEPTED, not asked again; the others still asked.
    from coordinator.meetings import services

    services.change_invitees(series, [world.lead, world.member, world.teacher], actor=world.lead)
    db.session.commit()
    world.deliver()
    for prop in attendee_lines(world, world.member, world.teacher):
        assert prop.param("PARTSTAT") == "ACCEPTED" and prop.param("RSVP") == "FALSE", prop.to_line()
    teacher_lines = attendee_lines(world, world.teacher, world.teacher)
    assert teacher_lines and all(p.param("PARTSTAT") == "NEEDS-ACTION" for p in teacher_lines)
    # The mailbox knows the message was kept: the next poll reads nothing.
    assert collect() == 0
    assert any("CoordinatorKept" in line for line in dovecot.flags(mailbox))


# --- one meeting -------------------------------------------------------------------------------------

@pytest.mark.parametrize("client", ["outlook", "google", "apple", "thunderbird"])
def test_declining_one_meeting_changes_that_meeting_only(app, calendar_world, series, dovecot, mailbox, client):
    world = calendar_world
    second = meetings_of(series)[1]
    answer = answer_for(world, series, world.teacher, partstat="DECLINED", recurrence_id=second.original_start)
    answer.start, answer.end = second.starts_at, second.ends_at
    message = read_mailbox(dovecot, mailbox, client_replies.CLIENTS[client](answer))

    assert message.state is InboundState.APPLIED, message.outcome
    assert message.occurrence_id == second.id
    found = answers(world.teacher, series)
    assert found[second.day] is Response.APOLOGIES
    assert [day for day, answer in found.items() if answer is not None] == [second.day]
    # The organiser's next invitation carries that answer on that meeting only (an override for it).
    from coordinator.meetings import services

    first = meetings_of(series)[0]
    services.move_occurrence(first, actor=world.lead, new_date=first.day, new_time=time(11, 0))
    db.session.commit()
    world.deliver()
    text, _ = helpers.calendar_of_message(world.messages_for(world.member)[-1])
    by_instance = {}
    for event in itip.parse(text).subs("VEVENT"):
        rid = event.get("RECURRENCE-ID")
        teacher = [p for p in event.all("ATTENDEE") if p.value.lower() == f"mailto:{world.teacher.email}"]
        by_instance[itip.instant(rid) if rid else None] = teacher[0].param("PARTSTAT")
    assert by_instance[None] == "NEEDS-ACTION"
    assert by_instance[second.original_start] == "DECLINED"


def test_a_reply_with_a_note_is_applied_and_the_note_reaches_the_lead(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    first = meetings_of(series)[0]
    answer = answer_for(world, series, world.member, partstat="ACCEPTED", recurrence_id=first.original_start,
                        comment="I will be 15 minutes late")
    message = read_mailbox(dovecot, mailbox, client_replies.thunderbird(answer))
    assert answers(world.member, series)[first.day] is Response.ATTENDING
    assert message.state is InboundState.KEPT and "15 minutes late" in message.outcome
    page = Page(signed_in(app, world.lead).get(f"/calendar/family/{world.family.reference}/replies"))
    assert page.status_code == 200 and "I will be 15 minutes late" in page.text


def test_an_older_reply_read_later_does_not_override_a_newer_answer(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    first = meetings_of(series)[0]
    from coordinator.meetings import services

    services.respond(first, world.member, Response.APOLOGIES, reason="On leave")
    db.session.commit()
    stale = answer_for(world, series, world.member, partstat="ACCEPTED", recurrence_id=first.original_start,
                       stamp=datetime.now(timezone.utc) - timedelta(hours=2))
    message = read_mailbox(dovecot, mailbox, client_replies.outlook(stale))
    assert message.state is InboundState.DONE, message.outcome
    assert answers(world.member, series)[first.day] is Response.APOLOGIES


# --- delegation and counter-proposals ---------------------------------------------------------------------

RECEIVER = "mx.meetings.partnership.test"  # the organisation's own receiving server (its authserv-id)


def vouched(raw: bytes, domain: str, authserv: str = RECEIVER) -> bytes:
    """The message as the receiving server hands it on, with its verdict on the sender (RFC 8601)."""
    return (f"Authentication-Results: {authserv};\r\n dkim=pass header.d={domain};\r\n"
            f" dmarc=pass header.from={domain}\r\n").encode() + raw


def test_passing_a_meeting_to_a_deputy_names_them(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    app.config["MAIL_INBOUND_AUTHSERV_ID"] = RECEIVER
    first = meetings_of(series)[0]
    answer = answer_for(world, series, world.member, partstat="DELEGATED", recurrence_id=first.original_start,
                        delegate=("dana.deputy@nhs.test", "Dana Deputy"))
    message = read_mailbox(dovecot, mailbox, vouched(client_replies.thunderbird(answer), "nhs.test"))
    assert message.state is InboundState.APPLIED, message.outcome
    assert answers(world.member, series)[first.day] is Response.DEPUTY
    deputy = db.session.scalar(select(MeetingDeputy).where(MeetingDeputy.occurrence_id == first.id))
    assert deputy is not None and deputy.deputy.email == "dana.deputy@nhs.test" and deputy.deputy.name == "Dana Deputy"
    world.deliver()
    sent = [m for to, m in world.messages() if to == "dana.deputy@nhs.test"]
    invitation = next(m for m in sent if "calendar" in m.get_content_type() or m.is_multipart())
    text, method = helpers.calendar_of_message(invitation)
    assert method == "REQUEST"
    event = itip.parse(text).subs("VEVENT")[0]
    assert itip.instant(event.get("RECURRENCE-ID")) == first.original_start


@pytest.mark.parametrize("client", ["outlook", "thunderbird"])
def test_a_proposed_time_waits_for_the_lead_who_accepts_it(app, calendar_world, series, dovecot, mailbox, client):
    world = calendar_world
    first = meetings_of(series)[0]
    was = (first.starts_at, first.ends_at)
    new_start = first.starts_at + timedelta(days=1, hours=4)
    answer = answer_for(world, series, world.teacher, partstat="TENTATIVE", recurrence_id=first.original_start,
                        comment="Could we meet in the afternoon?")
    answer.start, answer.end = new_start, new_start + timedelta(hours=1)
    message = read_mailbox(dovecot, mailbox, client_replies.CLIENTS[client](answer, method="COUNTER"))
    assert message.state is InboundState.APPLIED, message.outcome
    proposal = db.session.scalar(select(ProposedTime))
    assert proposal.starts_at == new_start and proposal.status is ProposalStatus.WAITING
    assert meetings_of(series)[0].starts_at == first.starts_at  # nothing moves by itself

    lead = signed_in(app, world.lead)
    home = Page(lead.get("/"))
    assert "Decide on a new time proposed" in home.text
    page = Page(lead.get(f"/calendar/family/{world.family.reference}/replies"))
    assert "Could we meet in the afternoon?" in page.text
    from tests.conftest import csrf_from

    response = lead.post(f"/calendar/family/{world.family.reference}/proposed-times/{proposal.id}",
                         data={"csrf_token": csrf_from(page.html), "decision": "accept"})
    assert response.status_code == 302
    db.session.expire_all()
    assert meetings_of(series)[0].starts_at == new_start
    assert db.session.get(ProposedTime, proposal.id).status is ProposalStatus.ACCEPTED
    world.deliver()
    # The member's calendar, built from what they were sent and read by ical.js, has the meeting moved.
    start, end = world.window()
    view = helpers.icaljs_view(world.calendar_of(world.member), start, end)
    assert (helpers.iso(new_start), helpers.iso(new_start + timedelta(hours=1))) in view[series.uid]["meetings"]
    assert (helpers.iso(was[0]), helpers.iso(was[1])) not in view[series.uid]["meetings"]


def test_a_proposed_time_declined_sends_declinecounter(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    second = meetings_of(series)[1]
    answer = answer_for(world, series, world.member, partstat="ACCEPTED", recurrence_id=second.original_start)
    answer.start, answer.end = second.starts_at + timedelta(hours=2), second.ends_at + timedelta(hours=2)
    read_mailbox(dovecot, mailbox, client_replies.outlook(answer, method="COUNTER"))
    proposal = db.session.scalar(select(ProposedTime))
    lead = signed_in(app, world.lead)
    page = Page(lead.get(f"/calendar/family/{world.family.reference}/replies"))
    from tests.conftest import csrf_from

    lead.post(f"/calendar/family/{world.family.reference}/proposed-times/{proposal.id}",
              data={"csrf_token": csrf_from(page.html), "decision": "decline", "comment": "The room is booked"})
    db.session.expire_all()
    assert db.session.get(ProposedTime, proposal.id).status is ProposalStatus.DECLINED
    world.deliver()
    last = world.messages_for(world.member)[-1]
    assert "was not taken" in str(last["Subject"])
    part = next(p for p in last.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "DECLINECOUNTER"
    text = part.get_payload(decode=True).decode()
    assert itip.parse(text).value("METHOD") == "DECLINECOUNTER"
    event = itip.parse(text).subs("VEVENT")[0]
    assert event.value("UID") == series.uid
    assert itip.instant(event.get("RECURRENCE-ID")) == second.original_start
    assert [p.value.lower() for p in event.all("ATTENDEE")] == [f"mailto:{world.member.email}"]
    assert meetings_of(series)[1].starts_at == second.starts_at


# --- what is kept, never applied ---------------------------------------------------------------------------

def test_a_forged_sender_is_kept_not_applied(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    forged = answer_for(world, series, world.member, partstat="DECLINED", from_address="someone@elsewhere.test")
    message = read_mailbox(dovecot, mailbox, client_replies.google(forged))
    assert message.state is InboundState.KEPT
    assert "someone@elsewhere.test" in message.outcome and message.family_id == world.family.id
    assert set(answers(world.member, series).values()) == {None}


def test_a_reply_for_an_unknown_meeting_is_kept(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    unknown = answer_for(world, series, world.member)
    unknown.uid = "no-such-meeting@elsewhere.test"
    message = read_mailbox(dovecot, mailbox, client_replies.apple(unknown))
    assert message.state is InboundState.KEPT and "does not know" in message.outcome
    assert set(answers(world.member, series).values()) == {None}


def test_someone_not_invited_cannot_answer(app, calendar_world, series, dovecot, mailbox, make_user):
    world = calendar_world
    outsider = make_user("outsider@nhs.test", "Out Sider")
    answer = answer_for(world, series, outsider, via=world.member)
    message = read_mailbox(dovecot, mailbox, client_replies.thunderbird(answer))
    assert message.state is InboundState.KEPT and "not invited" in message.outcome


def test_a_malformed_calendar_is_kept_with_its_message(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    raw = client_replies.thunderbird(answer_for(world, series, world.member)).replace(b"END:VEVENT\r\n", b"")
    message = read_mailbox(dovecot, mailbox, raw)
    assert message.state is InboundState.KEPT and "could not be read" in message.outcome
    assert message.raw == raw  # kept whole for a person to read
    assert set(answers(world.member, series).values()) == {None}


def test_a_plain_reply_reaches_the_lead(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    invitation = world.messages_for(world.member)[0]
    from email.message import EmailMessage

    reply = EmailMessage()
    reply["From"] = world.member.email
    reply["To"] = mailbox
    reply["Subject"] = "Re: " + str(invitation["Subject"])
    reply["In-Reply-To"] = invitation["Message-ID"]
    reply.set_content("I'll be late for the first one: stuck in clinic until 10:15.")
    message = read_mailbox(dovecot, mailbox, reply.as_bytes())
    assert message.state is InboundState.KEPT and message.family_id == world.family.id

    lead = signed_in(app, world.lead)
    assert "Read replies about meetings" in Page(lead.get("/")).text
    page = Page(lead.get(f"/calendar/family/{world.family.reference}/replies"))
    assert "stuck in clinic until 10:15" in page.text
    from tests.conftest import csrf_from

    lead.post(f"/calendar/family/{world.family.reference}/replies",
              data={"csrf_token": csrf_from(page.html), "message_id": message.id})
    db.session.expire_all()
    assert db.session.get(InboundMessage, message.id).state is InboundState.DONE
    assert "Read replies about meetings" not in Page(lead.get("/")).text
    # Only those who manage the family's meetings read them.
    assert signed_in(app, world.member).get(f"/calendar/family/{world.family.reference}/replies").status_code in (403, 404)


def test_a_large_attachment_is_read_and_applied(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    raw = client_replies.outlook(answer_for(world, series, world.member, partstat="ACCEPTED"))
    parsed = message_from_bytes(raw, policy=default_policy)
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart

    mixed = MIMEMultipart("mixed")
    for name in ("From", "To", "Subject", "Message-ID", "Date"):
        mixed[name] = parsed[name]
    inner = message_from_bytes(raw)
    for header in ("From", "To", "Subject", "Message-ID", "Date", "MIME-Version"):
        del inner[header]
    mixed.attach(inner)
    mixed.attach(MIMEApplication(b"%PDF-1.4 " + bytes(range(256)) * (10 * 1024 * 4), "pdf", name="report.pdf"))
    big = mixed.as_bytes()
    assert len(big) > 10 * 1024 * 1024
    message = read_mailbox(dovecot, mailbox, big)
    assert message.state is InboundState.APPLIED, message.outcome
    assert message.raw is not None and message.size == len(message.raw) > 10 * 1024 * 1024
    assert set(answers(world.member, series).values()) == {Response.ATTENDING}


def test_a_message_over_the_size_limit_is_kept_unread(app, calendar_world, series, dovecot, mailbox):
    app.config["MAIL_INBOUND_MAX_BYTES"] = 1000
    world = calendar_world
    message = read_mailbox(dovecot, mailbox, client_replies.google(answer_for(world, series, world.member)))
    assert message.state is InboundState.KEPT and "Too large" in message.outcome and message.raw is None
    assert set(answers(world.member, series).values()) == {None}


# --- nothing lost, nothing twice ----------------------------------------------------------------------------

def test_an_interrupted_poll_loses_nothing_and_applies_nothing_twice(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    first = meetings_of(series)[0]
    dovecot.append(mailbox, client_replies.outlook(answer_for(world, series, world.member, partstat="ACCEPTED",
                                                              recurrence_id=first.original_start)))
    dovecot.append(mailbox, client_replies.google(answer_for(world, series, world.teacher, partstat="DECLINED")))
    # The process dies after keeping the first message, before telling the mailbox.
    assert collect(stop_after_store=lambda: True) == 1
    assert not any("CoordinatorKept" in line for line in dovecot.flags(mailbox))
    # The next poll reads both: the first is already kept (not kept twice), the second is new.
    assert collect() == 1
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 2
    assert all("CoordinatorKept" in line for line in dovecot.flags(mailbox))
    # Handling dies halfway through (the first message's transaction rolls back) ...
    calls = []

    def dies_after_one():
        calls.append(1)
        return len(calls) <= 1

    process_waiting(dies_after_one)
    process_waiting()
    process_waiting()  # ... and a later run finds nothing left
    db.session.expire_all()
    states = db.session.scalars(select(InboundMessage.state)).all()
    assert sorted(s.name for s in states) == ["APPLIED", "APPLIED"]
    assert answers(world.member, series)[first.day] is Response.ATTENDING
    assert set(answers(world.teacher, series).values()) == {Response.APOLOGIES}
    from coordinator.audit.models import AuditEvent

    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("meeting_response", "meeting_series_response")))) == 2


# --- the maildir path -----------------------------------------------------------------------------------

def test_answers_delivered_to_a_maildir(app, calendar_world, tmp_path, make_user):
    import mailbox as mailboxes

    world = calendar_world
    app.config.update(MAIL_INBOUND="maildir", MAIL_INBOUND_MAILDIR=str(tmp_path / "Maildir"),
                      MEETINGS_ORGANISER_EMAIL="meetings@partnership.test")
    made = world.create(world.schedule(next_tuesday(), time(10, 0), weekly=2))
    world.deliver()
    box = mailboxes.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(client_replies.apple(answer_for(world, made, world.member, partstat="ACCEPTED")))
    box.add(b"From: nobody@elsewhere.test\r\nSubject: hello\r\n\r\nNot a reply at all.\r\n")
    assert collect() == 2
    process_waiting()
    assert set(answers(world.member, made).values()) == {Response.ATTENDING}
    kept = db.session.scalar(select(InboundMessage).where(InboundMessage.sender == "nobody@elsewhere.test"))
    assert kept.state is InboundState.KEPT and kept.family_id is None
    # Both marked read (moved to cur, seen): the next poll reads nothing.
    assert collect() == 0
    assert not list(Path(tmp_path / "Maildir" / "new").iterdir())
    assert all(name.endswith(",S") for name in (p.name for p in Path(tmp_path / "Maildir" / "cur").iterdir()))

    # A message no family could be found for is for administrators to read; a lead does not see it.
    admin = signed_in(app, make_user("admin@partnership.test", "Ada Admin", admin=True))
    page = Page(admin.get("/admin/replies"))
    assert page.status_code == 200 and "nobody@elsewhere.test" in page.text
    assert "Not a reply at all." not in page.text  # its words on a page of their own, each reading audited
    one = Page(admin.get(f"/admin/replies/{kept.id}"))
    assert one.status_code == 200 and "Not a reply at all." in one.text
    from coordinator.audit.models import AuditEvent

    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "inbound_message_read", AuditEvent.object_id == str(kept.id))) == 1
    assert signed_in(app, world.lead).get("/admin/replies").status_code == 403


def test_the_mailbox_signs_in_with_an_oauth2_bearer_token(app, calendar_world, series, dovecot, mailbox):
    """Microsoft 365 and Google mailboxes take SASL XOAUTH2 with a bearer token, not a password."""
    from coordinator.notify.inbound import InboundError

    world = calendar_world
    dovecot.append(mailbox, client_replies.outlook(answer_for(world, series, world.member, partstat="ACCEPTED")))
    app.config.update(MAIL_INBOUND_PASSWORD=None, MAIL_INBOUND_OAUTH2_TOKEN="expired-or-forged")
    with pytest.raises(InboundError):
        collect()
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0
    app.config["MAIL_INBOUND_OAUTH2_TOKEN"] = f"valid:{mailbox}"
    assert collect() == 1
    process_waiting()
    assert set(answers(world.member, series).values()) == {Response.ATTENDING}


def test_a_deputy_is_not_named_on_the_strength_of_a_from_line(app, calendar_world, series, dovecot, mailbox):
    """Naming a deputy gives someone an account and the meeting: without the receiving server's word that
    the email came from the invitee, it waits for the lead."""
    world = calendar_world
    first = meetings_of(series)[0]
    answer = answer_for(world, series, world.member, partstat="DELEGATED", recurrence_id=first.original_start,
                        delegate=("someone@elsewhere.test", "Some One"))
    message = read_mailbox(dovecot, mailbox, client_replies.thunderbird(answer))
    assert message.state is InboundState.KEPT and "someone@elsewhere.test" in message.outcome
    assert db.session.scalar(select(func.count()).select_from(MeetingDeputy)) == 0
    assert answers(world.member, series)[first.day] is None


@pytest.mark.parametrize("header", ["none", "another server's", "a failed check"])
def test_with_the_receiving_server_named_only_vouched_for_answers_apply(app, calendar_world, series, dovecot,
                                                                        mailbox, header):
    world = calendar_world
    app.config["MAIL_INBOUND_AUTHSERV_ID"] = RECEIVER
    raw = client_replies.google(answer_for(world, series, world.member, partstat="DECLINED"))
    if header == "another server's":  # written by the sender's side: not the organisation's server's word
        raw = vouched(raw, "nhs.test", authserv="mx.forger.test")
    elif header == "a failed check":
        raw = f"Authentication-Results: {RECEIVER}; dkim=fail header.d=nhs.test; dmarc=fail header.from=nhs.test\r\n".encode() + raw
    message = read_mailbox(dovecot, mailbox, raw)
    assert message.state is InboundState.KEPT and "could not confirm" in message.outcome
    assert message.family_id == world.family.id
    assert set(answers(world.member, series).values()) == {None}
    # The same answer vouched for by the organisation's server is applied.
    raw = vouched(client_replies.google(answer_for(world, series, world.member, partstat="DECLINED")), "nhs.test")
    assert read_mailbox(dovecot, mailbox, raw).state is InboundState.APPLIED
    assert set(answers(world.member, series).values()) == {Response.APOLOGIES}


def test_a_reply_answering_the_series_and_one_meeting_applies_both(app, calendar_world, series, dovecot, mailbox):
    """RFC 5546 3.2.3: one REPLY may carry the series' answer and an exception for one meeting."""
    world = calendar_world
    second = meetings_of(series)[1]
    series_answer = client_replies.thunderbird(answer_for(world, series, world.member, partstat="ACCEPTED"))
    one = client_replies.thunderbird(answer_for(world, series, world.member, partstat="DECLINED",
                                                recurrence_id=second.original_start))

    def vevent(raw: bytes) -> bytes:
        text = message_from_bytes(raw).get_payload()[1].get_payload(decode=True)
        return text[text.index(b"BEGIN:VEVENT"):text.index(b"END:VEVENT") + len(b"END:VEVENT\r\n")]

    combined = series_answer.replace(vevent(series_answer), vevent(series_answer) + vevent(one))
    message = read_mailbox(dovecot, mailbox, combined)
    assert message.state is InboundState.APPLIED, message.outcome
    found = answers(world.member, series)
    assert found[second.day] is Response.APOLOGIES
    assert {a for day, a in found.items() if day != second.day} == {Response.ATTENDING}


def test_the_same_proposal_sent_twice_waits_once(app, calendar_world, series, dovecot, mailbox):
    world = calendar_world
    first = meetings_of(series)[0]
    answer = answer_for(world, series, world.teacher, partstat="TENTATIVE", recurrence_id=first.original_start)
    answer.start, answer.end = first.starts_at + timedelta(hours=3), first.ends_at + timedelta(hours=3)
    read_mailbox(dovecot, mailbox, client_replies.outlook(answer, method="COUNTER"))
    again = read_mailbox(dovecot, mailbox, client_replies.outlook(answer, method="COUNTER"))  # a new Message-ID
    assert again.state is InboundState.DONE
    assert db.session.scalar(select(func.count()).select_from(ProposedTime)) == 1
