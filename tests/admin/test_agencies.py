"""Administrators add, edit and deactivate agencies; mistakes are explained and the typed input kept."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coordinator.agencies.models import Agency, AgencyKind
from coordinator.extensions import db
from tests.admin.conftest import audit_events
from tests.conftest import submit
from tests.support.pages import page_of


def agency_form(name="Northshire Health Visiting", kind="HEALTH_VISITING", domain="nhs.net", active=True):
    data = {"name": name, "kind": kind, "secure_email_domain": domain, "submit": "y"}
    if active:
        data["active"] = "y"
    return data


def agency_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Agency))


def listed_agencies(client) -> dict[str, list[str]]:
    """The agencies page as {name: [kind, domain, status]}."""
    response = client.get("/admin/agencies")
    assert response.status_code == 200
    return {row[0]: row[1:] for row in page_of(response).table_rows()}


def test_admin_adds_an_agency_and_it_appears_in_the_list(admin_client, admin):
    response = submit(admin_client, "/admin/agencies/new",
                      agency_form(name="Northshire Health Visiting", domain="NHS.net"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/agencies"

    page = page_of(admin_client.get("/admin/agencies"))
    assert any("Agency Northshire Health Visiting saved." in banner for banner in page.banners())
    rows = {row[0]: row[1:] for row in page.table_rows()}
    # The administrator's own agency from the fixture is listed too.
    assert rows["Northshire Health Visiting"] == ["Health visiting", "nhs.net", "Active"]

    agency = db.session.scalar(select(Agency).where(Agency.name == "Northshire Health Visiting"))
    assert page.link("Northshire Health Visiting") == f"/admin/agencies/{agency.id}"
    assert agency.kind is AgencyKind.HEALTH_VISITING
    assert agency.secure_email_domain == "nhs.net"  # stored lower-case
    assert agency.active is True

    [event] = audit_events("agency_created")
    assert event.actor_id == admin.id
    assert event.object_type == "agency" and event.object_id == str(agency.id)
    assert "Northshire Health Visiting" in event.detail


def test_an_agency_without_a_secure_domain_shows_none(admin_client):
    submit(admin_client, "/admin/agencies/new", agency_form(name="Northshire Housing", kind="HOUSING", domain=""))
    assert listed_agencies(admin_client)["Northshire Housing"] == ["Housing", "Not set", "Active"]
    agency = db.session.scalar(select(Agency).where(Agency.name == "Northshire Housing"))
    assert agency.secure_email_domain is None


def test_admin_edits_an_agency(admin_client, admin, make_agency):
    agency = make_agency("Northshire School", AgencyKind.SCHOOL, "school.test")

    page = page_of(admin_client.get(f"/admin/agencies/{agency.id}"))
    assert page.heading == "Edit agency"
    # The form opens with the agency as it is.
    assert page.value("name") == "Northshire School"
    assert page.value("kind") == "SCHOOL"
    assert page.value("secure_email_domain") == "school.test"
    assert page.checked("active") != []

    response = submit(admin_client, f"/admin/agencies/{agency.id}",
                      agency_form(name="Northshire Academy", kind="EARLY_YEARS", domain="academy.test"))
    assert response.status_code == 302

    rows = listed_agencies(admin_client)
    assert "Northshire School" not in rows
    assert rows["Northshire Academy"] == ["Early years", "academy.test", "Active"]
    db.session.refresh(agency)
    assert (agency.name, agency.kind, agency.secure_email_domain) == (
        "Northshire Academy", AgencyKind.EARLY_YEARS, "academy.test")

    [event] = audit_events("agency_updated")
    assert event.actor_id == admin.id and event.object_id == str(agency.id)
    assert "Northshire Academy" in event.detail


def test_renaming_an_agency_to_its_own_name_in_another_case_is_allowed(admin_client, make_agency):
    agency = make_agency("Northshire police")
    response = submit(admin_client, f"/admin/agencies/{agency.id}", agency_form(name="Northshire Police",
                                                                               kind="POLICE", domain=""))
    assert response.status_code == 302
    db.session.refresh(agency)
    assert agency.name == "Northshire Police"


def test_admin_deactivates_an_agency(admin_client, admin, make_agency):
    agency = make_agency("Northshire Probation", AgencyKind.PROBATION)
    assert "Northshire Probation" in page_of(admin_client.get("/admin/users/new")).options("agency_id")

    response = submit(admin_client, f"/admin/agencies/{agency.id}",
                      agency_form(name="Northshire Probation", kind="PROBATION", domain="", active=False))
    assert response.status_code == 302

    assert listed_agencies(admin_client)["Northshire Probation"] == ["Probation", "Not set", "Inactive"]
    db.session.refresh(agency)
    assert agency.active is False
    # An inactive agency cannot be given to a new user.
    assert "Northshire Probation" not in page_of(admin_client.get("/admin/users/new")).options("agency_id")
    # and its edit page shows the box unticked
    assert page_of(admin_client.get(f"/admin/agencies/{agency.id}")).checked("active") == []

    [event] = audit_events("agency_updated")
    assert event.actor_id == admin.id and event.object_id == str(agency.id)
    assert "active=False" in event.detail


def test_a_duplicate_agency_name_is_refused_and_the_input_kept(admin_client, make_agency):
    make_agency("Northshire Police", AgencyKind.POLICE)
    before = agency_count()

    response = submit(admin_client, "/admin/agencies/new",
                      agency_form(name="northshire POLICE", kind="POLICE", domain="police.test"))
    assert response.status_code == 200
    page = page_of(response)
    assert page.title.startswith("Error:")
    assert page.error_summary is not None
    assert page.errors() == {"#name": "An agency with this name already exists"}
    assert page.field_error("name") == "An agency with this name already exists"
    # What was typed is still there to correct.
    assert page.value("name") == "northshire POLICE"
    assert page.value("kind") == "POLICE"
    assert page.value("secure_email_domain") == "police.test"

    assert agency_count() == before
    assert audit_events("agency_created") == []


def test_renaming_an_agency_to_another_agencys_name_is_refused(admin_client, make_agency):
    make_agency("Northshire Police", AgencyKind.POLICE)
    other = make_agency("Southshire Police", AgencyKind.POLICE)

    response = submit(admin_client, f"/admin/agencies/{other.id}",
                      agency_form(name="Northshire Police", kind="POLICE", domain=""))
    assert response.status_code == 200
    page = page_of(response)
    assert page.errors() == {"#name": "An agency with this name already exists"}
    assert page.value("name") == "Northshire Police"
    db.session.refresh(other)
    assert other.name == "Southshire Police"
    assert audit_events("agency_updated") == []


@pytest.mark.parametrize("domain", ["@nhs.net", "nhs", "https://nhs.net", "nhs.net/mail", "nhs net", "pat@nhs.net"])
def test_a_bad_secure_email_domain_is_refused_with_a_clear_message(admin_client, domain):
    before = agency_count()
    response = submit(admin_client, "/admin/agencies/new",
                      agency_form(name="Northshire GP Practice", kind="GP", domain=domain))
    assert response.status_code == 200
    page = page_of(response)
    assert page.errors() == {"#secure_email_domain": "Enter a domain like nhs.net, without @"}
    assert page.value("secure_email_domain") == domain
    assert page.value("name") == "Northshire GP Practice"
    assert page.value("kind") == "GP"
    assert agency_count() == before
    assert audit_events("agency_created") == []


@pytest.mark.parametrize("name", ["", "   "])
def test_an_agency_needs_a_name(admin_client, name):
    before = agency_count()
    response = submit(admin_client, "/admin/agencies/new",
                      agency_form(name=name, kind="MIDWIFERY", domain="nhs.net"))
    assert response.status_code == 200
    page = page_of(response)
    assert page.title.startswith("Error:")
    assert page.errors() == {"#name": "Enter the agency's name"}
    assert page.value("secure_email_domain") == "nhs.net"
    assert page.value("kind") == "MIDWIFERY"
    assert agency_count() == before


def test_an_overlong_agency_name_is_refused(admin_client):
    response = submit(admin_client, "/admin/agencies/new", agency_form(name="N" * 201))
    page = page_of(response)
    assert page.errors() == {"#name": "Agency name must be 200 characters or fewer"}
    assert page.value("name") == "N" * 201


def test_html_typed_into_an_agency_name_is_shown_as_text(admin_client, admin):
    name = '<script>alert("owned")</script><b>Bold</b> & <a href="https://evil.test">Co</a>'
    response = submit(admin_client, "/admin/agencies/new", agency_form(name=name, domain=""))
    assert response.status_code == 302
    agency = db.session.scalar(select(Agency).where(Agency.name == name))
    assert agency is not None

    pages = {
        "list": admin_client.get("/admin/agencies"),
        "edit": admin_client.get(f"/admin/agencies/{agency.id}"),
        "new user": admin_client.get("/admin/users/new"),
    }
    for where, response in pages.items():
        html = response.get_data(as_text=True)
        page = page_of(response)
        assert response.status_code == 200, where
        # Never markup: no script or bold element, no link to the evil site, on any page.
        assert "<script>alert" not in html, where
        assert not page.find_all("b"), where
        assert not [a for a in page.find_all("a") if "evil.test" in (a.attrs.get("href") or "")], where
        assert "&lt;script&gt;" in html, where

    # A person reads the name exactly as it was typed.
    list_page = page_of(pages["list"])
    assert name in [row[0] for row in list_page.table_rows()]
    assert list_page.link(name) == f"/admin/agencies/{agency.id}"
    assert page_of(pages["edit"]).value("name") == name
    assert name in page_of(pages["new user"]).options("agency_id")
    # The "saved" banner shown after adding it escapes it too.
    assert any(f"Agency {name} saved." in b for b in list_page.banners())
    # So does the audit log, where the name is in the event's detail.
    audit = admin_client.get("/admin/audit")
    assert audit.status_code == 200
    assert "<script>alert" not in audit.get_data(as_text=True)
    assert any(name in " ".join(row) for row in page_of(audit).table_rows())

