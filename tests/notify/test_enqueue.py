"""Putting messages in the outbox: one row, rendered once, in the caller's transaction, sent later."""
from __future__ import annotations

import hashlib
from email import message_from_bytes, message_from_string
from email.policy import default
from pathlib import Path

from sqlalchemy import func, select

from coordinator.agencies.models import Agency, AgencyKind
from coordinator.extensions import db
from coordinator.notify.mime import message_id_for
from coordinator.notify.models import OutboxMessage, OutboxState
from coordinator.notify.services import enqueue, enqueue_template
from tests.conftest import send_all
from tests.notify.conftest import make_email, queue


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_enqueue_writes_one_row_with_a_rendered_message_and_stable_message_id(app):
    key = "meeting-invite:42:person@agency.test"
    row = queue(key, 7, to="person@agency.test")

    assert _count() == 1
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.idempotency_key == key
    assert row.state == OutboxState.PENDING
    assert row.attempts == 0
    assert row.recipient == "person@agency.test"
    assert row.subject == "Meeting update (ref F-0007)"
    assert row.claimed_by is None and row.sent_at is None and row.last_error is None

    # The Message-ID is a digest of the idempotency key at the sender's domain: computed here independently.
    expected = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@partnership.test>"
    assert row.message_id == expected
    assert message_id_for(key, app.config["MAIL_FROM"]) == expected
    assert message_id_for(key, "Someone else <x@partnership.test>") == expected  # the display name plays no part
    assert message_id_for(key + "x", app.config["MAIL_FROM"]) != expected

    # The stored text is the whole message, ready to send: a mail client reads it back.
    parsed = message_from_bytes(row.mime.encode("utf-8"), policy=default)
    assert parsed["Message-ID"] == expected
    assert parsed["From"] == "Coordinator <coordinator@partnership.test>"
    assert parsed["To"] == "person@agency.test"
    assert parsed["Subject"] == "Meeting update (ref F-0007)"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Date"]
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().startswith("There is an update for family reference F-0007")
    assert "F-0007" in parsed.get_body(("html",)).get_content()


def test_enqueue_template_renders_both_templates(app):
    enqueue_template("one-time-code:1", to="pat@agency.test", subject="Your sign-in code",
                     template="one_time_code", kind="one_time_code", code="123456", minutes=10)
    db.session.commit()
    row = db.session.scalars(select(OutboxMessage)).one()
    parsed = message_from_string(row.mime, policy=default)
    assert "123456" in parsed.get_body(("plain",)).get_content()
    assert "123456" in parsed.get_body(("html",)).get_content()
    assert row.kind == "one_time_code"


def test_the_same_key_queued_twice_gives_one_row(app):
    first = queue("password-reset:abc", 1)
    # Again in a later transaction, even with different content: the first message stands.
    second = queue("password-reset:abc", 2, to="someone-else@agency.test")
    assert second.id == first.id
    # And twice within one transaction, before anything is flushed or committed.
    a = enqueue("invite:xyz", make_email(3), kind="invite")
    b = enqueue("invite:xyz", make_email(4), kind="invite")
    db.session.commit()
    assert a is b

    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.idempotency_key, r.recipient) for r in rows] == [
        ("password-reset:abc", "person1@agency.test"),
        ("invite:xyz", "person3@agency.test"),
    ]


def test_a_rolled_back_change_leaves_no_message_and_sends_nothing(smtp_app, smtp_server):
    db.session.add(Agency(name="Rolled Back Agency", kind=AgencyKind.OTHER))  # the change...
    queue("rolled-back:1", 1, commit=False)  # ...and the message it causes, in one transaction
    db.session.flush()
    assert _count() == 1  # the row really reached the database inside the transaction
    db.session.rollback()  # the change fails

    assert _count() == 0
    assert db.session.scalar(select(func.count()).select_from(Agency)) == 0
    assert send_all() == {"sent": 0, "retry": 0, "failed": 0}
    assert smtp_server.messages == []


def test_nothing_is_sent_inside_enqueue(smtp_app, smtp_server, tmp_path):
    queue("welcome:1", 1)
    queue("welcome:2", 2)
    assert smtp_server.messages == []
    assert not list(Path(tmp_path / "mail").glob("*"))  # nor written by the file transport
    assert {r.state for r in db.session.scalars(select(OutboxMessage))} == {OutboxState.PENDING}

    assert send_all()["sent"] == 2
    assert len(smtp_server.messages) == 2


def test_sign_in_secrets_are_removed_from_the_outbox_once_sent(app, smtp_app, smtp_server, make_user):
    """A one-time code is delivered whole, and then the outbox keeps only the message's headers."""
    import re

    from coordinator.auth import services as auth
    from coordinator.extensions import db
    from coordinator.notify.models import OutboxMessage
    from tests.conftest import send_all

    make_user("hv@nhs.test", "Hana Visitor", password=None)
    auth.send_one_time_code("hv@nhs.test", "127.0.0.1")
    send_all()
    [received] = smtp_server.messages
    code = re.search(r"\b(\d{6})\b", received["message"].get_body(preferencelist=("plain",)).get_content()).group(1)
    db.session.expire_all()
    row = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.kind == "one_time_code"))
    assert code not in row.mime
    assert "Subject: Your sign-in code" in row.mime and row.message_id in row.mime
