"""The rendered message's structure, and the file transport that writes it to MAIL_DIR."""
from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

from coordinator.extensions import db
from coordinator.notify.mime import CalendarPart, Email, message_id_for, render
from coordinator.notify.models import OutboxState
from coordinator.notify.services import enqueue
from tests.conftest import send_all
from tests.notify.conftest import fresh, make_email, queue

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//coordinator//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:meeting-42@partnership.test\r\nDTSTAMP:20250301T090000Z\r\n"
    "DTSTART:20250310T100000Z\r\nDTEND:20250310T110000Z\r\n"
    "SUMMARY:Professionals meeting – family reference F-0042 (a summary long enough to need folding)\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _calendar_email() -> Email:
    return make_email(42, calendar=CalendarPart(ics=ICS, method="REQUEST"))


def test_a_calendar_message_is_mixed_with_an_alternative_and_an_ics_attachment(app):
    sender = app.config["MAIL_FROM"]
    rendered = render(_calendar_email(), sender=sender, message_id=message_id_for("invite:42", sender))
    msg = message_from_bytes(rendered.as_bytes(), policy=default)

    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.get_payload()
    assert [plain.get_content_type(), html.get_content_type(), calendar.get_content_type()] == [
        "text/plain", "text/html", "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_param("charset") == "UTF-8"
    assert calendar.get_content_disposition() is None  # inline, for calendar clients
    assert calendar.get_content() == ICS  # decodes to exactly the calendar, CRLFs and the en dash kept

    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == ICS.encode("utf-8")

    assert "F-0042" in plain.get_content()
    assert "F-0042" in html.get_content()
    # What a mail client shows: the html body, with the .ics as the only attachment.
    assert msg.get_body().get_content_type() == "text/html"
    assert [part.get_filename() for part in msg.iter_attachments()] == ["invite.ics"]


def test_a_calendar_message_round_trips_through_the_outbox_row(app):
    row = enqueue("invite:42", _calendar_email(), kind="meeting_invite")
    db.session.commit()
    msg = message_from_bytes(fresh(row.id).mime.encode("utf-8"), policy=default)
    assert msg["MIME-Version"] == "1.0"
    assert msg["Message-ID"] == row.message_id
    assert [p.get_content_type() for p in msg.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar", "application/ics"]


def test_the_file_transport_writes_eml_files_that_parse_back_into_the_same_message(app, tmp_path):
    assert app.config["MAIL_TRANSPORT"] == "file"
    plain = queue("welcome:1", 1, kind="welcome")
    invite = enqueue("invite:42", _calendar_email(), kind="meeting_invite")
    db.session.commit()

    assert send_all() == {"sent": 2, "retry": 0, "failed": 0}

    mail_dir = Path(app.config["MAIL_DIR"])
    assert mail_dir == tmp_path / "mail"
    files = sorted(p.name for p in mail_dir.iterdir())
    assert files == [f"{plain.id:06d}-welcome.eml", f"{invite.id:06d}-meeting_invite.eml"]  # no .part left
    for row in (plain, invite):
        row = fresh(row.id)
        assert row.state == OutboxState.SENT and row.attempts == 1
        data = (mail_dir / f"{row.id:06d}-{row.kind}.eml").read_bytes()
        assert data == row.mime.encode("utf-8")  # byte for byte what SMTP would have carried
        written = message_from_bytes(data, policy=default)
        stored = message_from_bytes(row.mime.encode("utf-8"), policy=default)
        for header in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"):
            assert written[header] == stored[header], header
        assert written["Message-ID"] == row.message_id
        assert written["To"] == row.recipient
        assert written["Subject"] == row.subject
        assert [p.get_content_type() for p in written.walk()] == [p.get_content_type() for p in stored.walk()]
        assert written.get_body(("plain",)).get_content() == stored.get_body(("plain",)).get_content()

    invite_msg = message_from_bytes((mail_dir / f"{invite.id:06d}-meeting_invite.eml").read_bytes(), policy=default)
    [ics] = list(invite_msg.iter_attachments())
    assert ics.get_content() == ICS.encode("utf-8")
