"""A lead professional adds a professional who has no account yet (a police officer, say): an account is made,
scoped to this family's meetings and the updates asked of them, with an email to sign in; administrators
see such accounts and can revoke them."""
from __future__ import annotations

import re

from sqlalchemy import select

from coordinator.extensions import db
from tests.conftest import send_all
from tests.families.conftest import world  # noqa: F401  (the fixture)
from tests.support.pages import Page, post_form
from tests.support.people import signed_in


def test_the_lead_invites_a_police_officer_who_has_no_account(smtp_app, smtp_server, world, make_user):  # noqa: F811
    from coordinator.agencies.models import Agency, AgencyKind
    from coordinator.auth.services import user_by_email
    from coordinator.families.models import NetworkMembership, NetworkRole

    police = Agency(name="Riverside Police", kind=AgencyKind.POLICE, active=True)
    db.session.add(police)
    db.session.commit()
    ref = world.family.reference
    lead = signed_in(smtp_app, world.lead)
    url = f"/families/{ref}/network/add"
    fields = {"email": "pc.jones@police.test", "role": "MEMBER", "reason": "Attended the domestic incident"}

    # Name and agency are needed for someone with no account; what was typed is kept.
    page = Page(post_form(lead, url, fields))
    assert page.status_code == 200
    errors = page.summary_errors()
    assert any("Enter the professional's name" in e for e in errors.values())
    assert any("Choose the professional's agency" in e for e in errors.values())
    assert page.value("email") == "pc.jones@police.test" and user_by_email("pc.jones@police.test") is None

    response = post_form(lead, url, {**fields, "name": "PC Jo Jones", "agency_id": str(police.id),
                                     "job_title": "Police constable"}, page_url=url)
    assert response.status_code == 302
    officer = user_by_email("pc.jones@police.test")
    assert officer is not None and officer.agency_id == police.id and officer.invited_by_id == world.lead.id
    membership = db.session.scalar(select(NetworkMembership).where(NetworkMembership.user_id == officer.id))
    assert membership.role is NetworkRole.GUEST
    # Invited to the family's running meetings; an email to sign in, and the invitation, with no names.
    assert any(i.user_id == officer.id for i in world.series.current_invitees)
    send_all()
    mails = [m["message"] for m in smtp_server.messages if m["to"] == ["pc.jones@police.test"]]
    subjects = sorted(str(m["Subject"]) for m in mails)
    assert "You have been given access" in subjects and any("invitation" in s or "updated" in s for s in subjects)
    for message in mails:
        text = message.get_body(preferencelist=("plain",)).get_content()
        for name in ("Harrow", "Ruby", "Kelly"):
            assert name not in text and name not in str(message["Subject"])
    access = next(m for m in mails if str(m["Subject"]) == "You have been given access")
    token = re.search(r"/set-password/(\S+)", access.get_body(preferencelist=("plain",)).get_content()).group(1)

    # Signed in, the officer sees the meetings, not the family's record.
    pc = signed_in(smtp_app, officer)
    meeting = min(world.series.occurrences, key=lambda o: o.starts_at)
    assert pc.get(f"/families/{ref}/meetings/{meeting.id}").status_code == 200
    assert pc.get(f"/families/{ref}").status_code == 404
    assert pc.get(f"/set-password/{token}").status_code in (200, 302)

    # Administrators see who invited the account, and revoke it by deactivating it.
    admin = signed_in(smtp_app, world.admin)
    listing = Page(admin.get("/admin/users?invited=lead"))
    assert "PC Jo Jones" in listing.text and f"partner invited by {world.lead.name}" in listing.text
    assert world.member.name not in listing.text
    response = post_form(admin, f"/admin/users/{officer.id}", {"active": None})
    assert response.status_code == 302
    assert pc.get(f"/families/{ref}/meetings/{meeting.id}").status_code in (302, 401)


def test_an_existing_account_is_added_as_before_and_a_deactivated_one_is_refused(app, world, make_user):  # noqa: F811
    from coordinator.auth import services as auth_services

    gone = make_user("gone@council.test", "Gwen Gone")
    auth_services.update_user(gone, actor=world.admin, expected_revision=gone.revision, active=False)
    db.session.commit()
    lead = signed_in(app, world.lead)
    url = f"/families/{world.family.reference}/network/add"
    page = Page(post_form(lead, url, {"email": "gone@council.test", "role": "MEMBER", "reason": "Family support"}))
    assert any("deactivated" in e for e in page.summary_errors().values())


def test_a_partner_is_made_a_member_only_once_an_administrator_confirms_the_account(app, world):  # noqa: F811
    from coordinator.agencies.models import Agency, AgencyKind
    from coordinator.audit.models import AuditEvent
    from coordinator.families import services as families
    from coordinator.families.models import Family, NetworkRole, PlanType
    from tests.support.pages import send_form

    police = Agency(name="Riverside Police", kind=AgencyKind.POLICE, active=True)
    db.session.add(police)
    officer = families.invite_partner(world.family, email="pc.jones@police.test", name="PC Jo Jones", agency=police,
                                      job_title=None, reason="Domestic incident", actor=world.lead)
    other = families.create_family(lead=world.lead, family_name="Okafor", plan_type=PlanType.CHILD_IN_NEED,
                                   reason_for_sharing="Allocated social worker")
    db.session.commit()
    lead = signed_in(app, world.lead)
    url = f"/families/{other.reference}/network/add"
    data = {"email": "pc.jones@police.test", "role": "MEMBER", "reason": "Needs the record"}
    page = Page(post_form(lead, url, data))
    assert any("ask an administrator to confirm their account" in e for e in page.summary_errors().values())

    admin = signed_in(app, world.admin)
    user_page = Page(admin.get(f"/admin/users/{officer.id}"))
    assert f"{world.lead.name}, a lead professional, invited this partner" in user_page.text
    response = send_form(admin, user_page, {}, action=f"/admin/users/{officer.id}/confirm-partner")
    assert response.status_code == 302
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "partner_confirmed")) \
        == f"invited by user {world.lead.id}"
    assert post_form(lead, url, data).status_code == 302
    family = db.session.get(Family, other.id)
    assert any(m.user_id == officer.id and m.role is NetworkRole.MEMBER for m in family.network)
