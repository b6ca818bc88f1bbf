"""Every view of a family's record is audited, and the lead professional can see who looked."""
from __future__ import annotations

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from tests.families.helpers import Page, member_data, post_form
from tests.support.people import signed_in


def views_of(family_id) -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "family_viewed",
                                                          AuditEvent.family_id == family_id)
                              .order_by(AuditEvent.id)).all()


def test_every_view_of_a_family_page_is_audited_with_the_family(app, world):
    ref, family_id = world.family.reference, world.family.id
    hv = signed_in(app, world.member)
    lead = signed_in(app, world.lead)
    pages = [
        (hv, f"/families/{ref}", "families.show"),
        (hv, f"/families/{ref}", "families.show"),  # every view, not just the first
        (hv, f"/families/{ref}/household/{world.person.id}", "families.show_member"),
        (hv, f"/families/{ref}/household/history?on=1&on=1&on=2025", "families.household_history"),
        (hv, f"/families/{ref}/household/new", "families.add_member"),
        (hv, f"/families/{ref}/household/{world.person.id}/edit", "families.edit_member"),
        (lead, f"/families/{ref}/edit", "families.edit"),
        (lead, f"/families/{ref}/children/{world.child.id}/edit", "families.edit_child"),
        (lead, f"/families/{ref}/access-history", "families.access_history"),
    ]
    for client, url, endpoint in pages:
        before = len(views_of(family_id))
        assert client.get(url).status_code == 200, url
        events = views_of(family_id)
        assert len(events) == before + 1, url
        event = events[-1]
        assert event.object_type == "family" and event.object_id == str(family_id)
        who = world.member if client is hv else world.lead
        assert event.actor_id == who.id and event.detail == endpoint


def test_refused_views_and_lists_write_no_view_event(app, world):
    family_id = world.family.id
    outsider = signed_in(app, world.outsider)
    assert outsider.get(f"/families/{world.family.reference}").status_code == 404
    hv = signed_in(app, world.member)
    assert hv.get(f"/families/{world.family.reference}/access-history").status_code == 403
    assert hv.get("/families").status_code == 200
    assert views_of(family_id) == []


def test_saving_a_form_records_the_change_not_a_view(app, world):
    hv = signed_in(app, world.member)
    response = post_form(hv, f"/families/{world.family.reference}/household/new", member_data(name="Dean Carter"))
    assert response.status_code == 302
    db.session.expire_all()
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.family_id == world.family.id,
                                                                    AuditEvent.actor_id == world.member.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["family_viewed", "household_member_added"]  # the form page, then the save


def test_the_lead_sees_who_viewed_and_other_members_may_not(app, world):
    ref = world.family.reference
    hv = signed_in(app, world.member)
    assert hv.get(f"/families/{ref}").status_code == 200
    assert hv.get(f"/families/{ref}/household/{world.person.id}").status_code == 200

    lead = signed_in(app, world.lead)
    page = Page(lead.get(f"/families/{ref}"))
    assert page.link("See the full access history of this record") == f"/families/{ref}/access-history"
    page = Page(lead.get(f"/families/{ref}/access-history"))
    assert page.status_code == 200
    assert page.heading == "Who has looked at or changed this record"
    rows = page.table_rows()
    viewed = [row[1:] for row in rows if row[2] == "Family viewed"]
    # newest first: the lead's own two views (the family page, this page), then the health visitor's
    assert viewed == [
        ["Lee Lead", "Family viewed", "Access history"],
        ["Lee Lead", "Family viewed", "Family page"],
        ["Hana Visitor", "Family viewed", "A household member's page"],
        ["Hana Visitor", "Family viewed", "Family page"],
    ]
    assert ["Lee Lead", "Family created", f"ref {ref}"] in [row[1:] for row in rows]

    # The health visitor is in the network but not the lead: no access history, and no link to it.
    response = hv.get(f"/families/{ref}/access-history")
    assert response.status_code == 403
    assert "See the full access history" not in Page(hv.get(f"/families/{ref}")).text
    # Someone outside the network is told the family does not exist.
    assert signed_in(app, world.outsider).get(f"/families/{ref}/access-history").status_code == 404
