"""Where replies go. Emails come from a no-reply address (MAIL_FROM), so each one about a family carries a
Reply-To: the team mailbox MAIL_REPLY_TO when set, otherwise the family's lead professional. Read back from a
real SMTP server, as a mail client would."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from coordinator.config import calendar_class
from coordinator.extensions import db
from coordinator.notify.services import enqueue_template
from tests.conftest import send_all


def _family(make_user):
    from coordinator.families import services
    from coordinator.families.models import NetworkRole, PlanType

    lead = make_user("lead@council.test", "Lee Lead")
    other = make_user("hv@nhs.test", "Hana Visitor", agency_name="Health visiting")
    family = services.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    reason_for_sharing="Allocated social worker")
    services.add_to_network(family, other, NetworkRole.MEMBER, reason="Health visitor", actor=lead)
    db.session.commit()
    return family, lead, other


def _send(key: str, to: str, family_id: int | None) -> None:
    enqueue_template(key, to=to, subject="Something to look at", template="notification", kind="notify_test",
                     family_id=family_id, line="An update for ref X", url="https://coordinator.test/x")
    db.session.commit()


def test_an_email_about_a_family_replies_to_its_lead_or_the_team_mailbox(smtp_app, smtp_server, make_user):
    family, lead, other = _family(make_user)
    _send("reply:1", other.email, family.id)
    _send("reply:2", other.email, None)  # about no family (a sign-in code, say): no one to reply to
    send_all()
    about, none = (item["message"] for item in smtp_server.messages)
    assert about["Reply-To"] == lead.email
    assert about["From"] == smtp_app.config["MAIL_FROM"]
    assert none["Reply-To"] is None

    # A new lead: replies go to them from the next email on.
    from coordinator.families import services
    from coordinator.families.models import NetworkMembership, NetworkRole

    membership = db.session.query(NetworkMembership).filter_by(family_id=family.id, user_id=lead.id).one()
    membership.until_date = date.today() - timedelta(days=1)
    new_lead = make_user("lead2@council.test", "Noor Newlead")
    services.add_to_network(family, new_lead, NetworkRole.LEAD, reason="New allocation", actor=new_lead)
    db.session.commit()
    _send("reply:3", other.email, family.id)

    # The team mailbox, when set, takes every reply, with or without a family.
    smtp_app.config["MAIL_REPLY_TO"] = "safeguarding-meetings@council.test"
    _send("reply:4", other.email, family.id)
    _send("reply:5", other.email, None)
    send_all()
    replies = [item["message"]["Reply-To"] for item in smtp_server.messages]
    assert replies == [lead.email, None, new_lead.email, "safeguarding-meetings@council.test",
                       "safeguarding-meetings@council.test"]


def test_a_batch_of_emails_asks_for_the_lead_once(smtp_app, smtp_server, make_user):
    from tests.families.helpers import counting_queries

    family, lead, other = _family(make_user)
    with counting_queries(db.engine) as statements:
        for n in range(5):
            enqueue_template(f"batch:{n}", to=other.email, subject="S", template="notification", kind="notify_test",
                             family_id=family.id, line="L", url="https://coordinator.test/x", checked=True)
    lookups = [s for s in statements if "network_memberships" in s and s.lstrip().upper().startswith("SELECT")]
    assert len(lookups) == 1
    db.session.commit()
    send_all()
    assert {item["message"]["Reply-To"] for item in smtp_server.messages} == {lead.email}


def test_the_calendar_class_setting():
    assert calendar_class(None) == "PRIVATE" and calendar_class("") == "PRIVATE"
    assert calendar_class(" public ") == "PUBLIC" and calendar_class("Confidential") == "CONFIDENTIAL"
    with pytest.raises(ValueError, match="CALENDAR_CLASS must be one of PRIVATE, PUBLIC, CONFIDENTIAL"):
        calendar_class("SECRET")
