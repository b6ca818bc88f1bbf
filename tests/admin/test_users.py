"""Administrators add users (with an emailed invitation), edit and deactivate them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from coordinator.agencies.models import AgencyKind
from coordinator.auth.models import Role, User
from coordinator.extensions import db
from coordinator.notify.models import OutboxMessage
from tests.admin.conftest import ADMIN_EMAIL, audit_events
from tests.conftest import PASSWORD, send_all, sign_in, submit
from tests.support.pages import page_of


def user_form(agency_id, *, name="Nia Newcomer", email="nia.newcomer@nhs.test", job_title="Health visitor",
              role="PRACTITIONER", active=True, invite=True):
    data = {"name": name, "email": email, "job_title": job_title, "agency_id": str(agency_id), "role": role,
            "submit": "y"}
    if active:
        data["active"] = "y"
    if invite:
        data["send_invite"] = "y"
    return data


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def listed_users(client) -> dict[str, list[str]]:
    """The users page as {email: [name, agency, role, signs in with, status]}."""
    response = client.get("/admin/users")
    assert response.status_code == 200
    return {row[1]: [row[0], *row[2:]] for row in page_of(response).table_rows()}


def fresh(user: User) -> User:
    db.session.refresh(user)
    return user


@pytest.fixture
def health(make_agency):
    return make_agency("Northshire Health Visiting", AgencyKind.HEALTH_VISITING, "nhs.test")


# --- adding -----------------------------------------------------------------------------------------

def test_admin_adds_a_user_and_the_invitation_reaches_them(app, smtp_app, smtp_server, admin_client, admin,
                                                           make_user, health):
    bystander = make_user("bea.bystander@partnership.test", "Bea Bystander")

    response = submit(admin_client, "/admin/users/new", user_form(health.id, email="Nia.Newcomer@NHS.test"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    page = page_of(admin_client.get("/admin/users"))
    assert any("User nia.newcomer@nhs.test added and invited." in b for b in page.banners())
    rows = {row[1]: [row[0], *row[2:]] for row in page.table_rows()}
    assert rows["nia.newcomer@nhs.test"] == ["Nia Newcomer", "Northshire Health Visiting", "Practitioner",
                                             "Emailed code", "Active"]

    user = db.session.scalar(select(User).where(User.email == "nia.newcomer@nhs.test"))
    assert user.job_title == "Health visitor" and user.role is Role.PRACTITIONER and user.active
    assert user.password_hash is None
    [created] = audit_events("user_created")[-1:]
    assert created.actor_id == admin.id and created.object_id == str(user.id)
    [invited] = audit_events("user_invited")
    assert invited.actor_id == admin.id and invited.object_id == str(user.id)

    # Nothing is sent until the outbox is worked; then exactly one message, to the newcomer only.
    assert smtp_server.messages == []
    assert send_all() == {"sent": 1, "retry": 0, "failed": 0}
    [received] = smtp_server.messages
    assert received["to"] == ["nia.newcomer@nhs.test"]
    message = received["message"]
    assert message["To"] == "nia.newcomer@nhs.test"
    assert message["Subject"] == "You have been given access"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    links = re.findall(r"http://localhost/set-password/([A-Za-z0-9_-]+)", text)
    assert len(links) == 1
    assert f"http://localhost/set-password/{links[0]}" in html
    # It names nobody else: not the administrator, not any other user, in any part or header.
    whole = message.as_string()
    for other in (admin.name, admin.email, bystander.name, bystander.email, "Ada", "Bea"):
        assert other not in whole
        assert other not in text and other not in html

    # The link works: the newcomer sets a password and is signed in.
    newcomer = app.test_client()
    form = newcomer.get(f"/set-password/{links[0]}")
    assert form.status_code == 200
    assert page_of(form).heading == "Set a password for your account"
    done = submit(newcomer, f"/set-password/{links[0]}",
                  {"password": "a long new password", "confirm": "a long new password"}, follow_redirects=True)
    assert "Signed in as Nia Newcomer" in page_of(done).text
    other_browser = app.test_client()
    sign_in(other_browser, "nia.newcomer@nhs.test", "a long new password")


def test_adding_a_user_without_an_invitation_sends_nothing(smtp_app, smtp_server, admin_client, health):
    response = submit(admin_client, "/admin/users/new", user_form(health.id, invite=False))
    assert response.status_code == 302
    page = page_of(admin_client.get("/admin/users"))
    assert any("User nia.newcomer@nhs.test added." in b for b in page.banners())
    assert "nia.newcomer@nhs.test" in {row[1] for row in page.table_rows()}
    assert audit_events("user_invited") == []
    assert send_all() == {"sent": 0, "retry": 0, "failed": 0}
    assert smtp_server.messages == []


def test_a_new_user_starts_as_a_practitioner_not_an_administrator(admin_client, health):
    page = page_of(admin_client.get("/admin/users/new"))
    assert page.options("role") == ["Administrator", "Practitioner", "Team manager", "Partnership analyst"]
    assert page.value("role") == "PRACTITIONER"  # the least privileged role is the one already chosen

    # Saved with the role as the form offers it, the person is a practitioner.
    assert submit(admin_client, "/admin/users/new", user_form(health.id, role=page.value("role"))).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "nia.newcomer@nhs.test"))
    assert user.role is Role.PRACTITIONER


def test_an_inactive_new_user_is_not_invited_and_not_told_so(smtp_app, smtp_server, admin_client, health):
    response = submit(admin_client, "/admin/users/new", user_form(health.id, active=False, invite=True))
    assert response.status_code == 302
    page = page_of(admin_client.get("/admin/users"))
    banners = " ".join(page.banners())
    assert "User nia.newcomer@nhs.test added." in banners
    assert "invited" not in banners
    assert listed_users(admin_client)["nia.newcomer@nhs.test"][-1] == "Deactivated"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    send_all()
    assert smtp_server.messages == []


def test_an_administrator_can_be_added(admin_client, health):
    submit(admin_client, "/admin/users/new", user_form(health.id, role="ADMIN", invite=False))
    assert listed_users(admin_client)["nia.newcomer@nhs.test"][2] == "Administrator"


def test_a_duplicate_email_is_refused_and_the_input_kept(admin_client, make_user, health):
    make_user("pat.worker@partnership.test", "Pat Worker")
    before = user_count()

    response = submit(admin_client, "/admin/users/new",
                      user_form(health.id, name="Another Pat", email="PAT.Worker@Partnership.test",
                                job_title="Family support worker", role="ADMIN"))
    assert response.status_code == 200
    page = page_of(response)
    assert page.title.startswith("Error:")
    assert page.errors() == {"#email": "A user with this email address already exists"}
    assert page.field_error("email") == "A user with this email address already exists"
    # Everything typed is kept.
    assert page.value("name") == "Another Pat"
    assert page.value("email") == "PAT.Worker@Partnership.test"
    assert page.value("job_title") == "Family support worker"
    assert page.value("agency_id") == str(health.id)
    assert page.value("role") == "ADMIN"

    assert user_count() == before
    assert len(audit_events("user_created")) == before  # one for each user made by the fixtures


def test_missing_fields_are_explained_and_the_input_kept(admin_client, health):
    before = user_count()
    response = submit(admin_client, "/admin/users/new",
                      user_form(health.id, name="", email="", job_title="Health visitor"))
    assert response.status_code == 200
    page = page_of(response)
    assert page.title.startswith("Error:")
    assert page.errors() == {"#name": "Enter the person's full name", "#email": "Enter an email address"}
    assert page.field_error("name") == "Enter the person's full name"
    assert page.value("job_title") == "Health visitor"
    assert page.value("agency_id") == str(health.id)
    assert user_count() == before


def test_a_name_of_only_spaces_is_refused(admin_client, health):
    before = user_count()
    response = submit(admin_client, "/admin/users/new", user_form(health.id, name="   "))
    assert page_of(response).errors() == {"#name": "Enter the person's full name"}
    assert user_count() == before


def test_an_agency_must_be_chosen(admin_client, health):
    before = user_count()
    response = submit(admin_client, "/admin/users/new", user_form(0))
    assert response.status_code == 200
    page = page_of(response)
    assert page.errors() == {"#agency_id": "Select the person's agency"}
    assert page.value("name") == "Nia Newcomer"
    assert page.value("email") == "nia.newcomer@nhs.test"
    assert user_count() == before


def test_a_malformed_email_is_refused(admin_client, health):
    response = submit(admin_client, "/admin/users/new", user_form(health.id, email="nia at nhs.test"))
    page = page_of(response)
    assert page.errors() == {
        "#email": "Enter an email address in the correct format, like name@example.org"}
    assert page.value("email") == "nia at nhs.test"


# --- editing ----------------------------------------------------------------------------------------

def test_admin_edits_a_user(admin_client, admin, make_user, health):
    user = make_user("pat.worker@partnership.test", "Pat Worker")

    page = page_of(admin_client.get(f"/admin/users/{user.id}"))
    assert page.heading == "Edit user"
    assert page.value("name") == "Pat Worker"
    assert page.value("email") == "pat.worker@partnership.test"
    assert page.value("role") == "PRACTITIONER"
    assert page.value("agency_id") == str(user.agency_id)
    assert page.checked("active") != []
    assert page.checked("send_invite") == []  # editing does not re-invite unless asked

    response = submit(admin_client, f"/admin/users/{user.id}",
                      user_form(health.id, name="Patricia Worker", email="Patricia.Worker@NHS.test",
                                job_title="Specialist health visitor", role="ADMIN", invite=False))
    assert response.status_code == 302
    assert listed_users(admin_client)["patricia.worker@nhs.test"] == [
        "Patricia Worker", "Northshire Health Visiting", "Administrator", "Password", "Active"]
    user = fresh(user)
    assert (user.name, user.email, user.job_title, user.agency_id, user.role) == (
        "Patricia Worker", "patricia.worker@nhs.test", "Specialist health visitor", health.id, Role.ADMIN)

    [event] = audit_events("user_updated")
    assert event.actor_id == admin.id and event.object_id == str(user.id)
    assert event.detail == "changed name, email, job_title, agency_id, role; role=ADMIN; active=True"


def test_editing_a_user_to_another_users_email_is_refused(admin_client, make_user, health):
    make_user("pat.worker@partnership.test", "Pat Worker")
    other = make_user("sam.school@partnership.test", "Sam School")
    response = submit(admin_client, f"/admin/users/{other.id}",
                      user_form(health.id, name="Sam School", email="PAT.worker@partnership.test", invite=False))
    assert response.status_code == 200
    page = page_of(response)
    assert page.errors() == {"#email": "A user with this email address already exists"}
    assert page.value("email") == "PAT.worker@partnership.test"
    assert fresh(other).email == "sam.school@partnership.test"
    assert audit_events("user_updated") == []


def test_admin_deactivates_a_user_and_their_session_ends(app, admin_client, admin, make_user):
    user = make_user("pat.worker@partnership.test", "Pat Worker")
    their_browser = app.test_client()
    sign_in(their_browser, "pat.worker@partnership.test")
    assert "Signed in as Pat Worker" in page_of(their_browser.get("/")).text

    response = submit(admin_client, f"/admin/users/{user.id}",
                      user_form(user.agency_id, name="Pat Worker", email="pat.worker@partnership.test",
                                active=False, invite=False))
    assert response.status_code == 302
    assert listed_users(admin_client)["pat.worker@partnership.test"][-1] == "Deactivated"
    assert fresh(user).active is False
    [event] = audit_events("user_updated")
    assert event.actor_id == admin.id and event.detail == "changed job_title, active; role=PRACTITIONER; active=False"

    # Their open session stops working on their very next request...
    home = their_browser.get("/")
    assert home.status_code == 302 and home.headers["Location"].startswith("/sign-in")
    account = their_browser.get("/account")
    assert account.status_code == 302 and account.headers["Location"].startswith("/sign-in")
    # ...and they cannot sign in again.
    refused = submit(their_browser, "/sign-in", {"email": "pat.worker@partnership.test", "password": PASSWORD})
    assert refused.status_code == 200
    assert page_of(refused).errors() == {"#password": "Enter a correct email address and password"}


def test_a_user_in_a_deactivated_agency_can_still_be_edited(admin_client, make_user, make_agency):
    user = make_user("pat.worker@partnership.test", "Pat Worker", agency_name="Northshire Probation")
    agency = user.agency
    agency.active = False
    db.session.commit()

    page = page_of(admin_client.get(f"/admin/users/{user.id}"))
    assert page.value("agency_id") == str(agency.id)  # the form shows their agency, not "Select an agency"
    response = submit(admin_client, f"/admin/users/{user.id}",
                      user_form(agency.id, name="Pat Worker", email="pat.worker@partnership.test",
                                active=False, invite=False))
    assert response.status_code == 302, page_of(response).errors()
    assert fresh(user).active is False and user.agency_id == agency.id


def test_an_admin_cannot_deactivate_themself(admin_client, admin):
    response = submit(admin_client, f"/admin/users/{admin.id}",
                      user_form(admin.agency_id, name="Ada Admin", email=ADMIN_EMAIL, role="ADMIN",
                                active=False, invite=False))
    assert response.status_code == 200
    page = page_of(response)
    assert page.errors() == {"#active": "You cannot deactivate yourself or remove your own administrator role"}
    assert fresh(admin).active is True
    assert audit_events("user_updated") == []
    # still signed in
    assert admin_client.get("/admin/users").status_code == 200


def test_an_admin_cannot_remove_their_own_administrator_role(admin_client, admin):
    response = submit(admin_client, f"/admin/users/{admin.id}",
                      user_form(admin.agency_id, name="Ada Admin", email=ADMIN_EMAIL, role="PRACTITIONER",
                                invite=False))
    assert page_of(response).errors() == {
        "#active": "You cannot deactivate yourself or remove your own administrator role"}
    assert fresh(admin).role is Role.ADMIN
    assert admin_client.get("/admin/").status_code == 200


def test_an_admin_can_edit_their_own_details(admin_client, admin):
    response = submit(admin_client, f"/admin/users/{admin.id}",
                      user_form(admin.agency_id, name="Ada Administrator", email=ADMIN_EMAIL, role="ADMIN",
                                invite=False))
    assert response.status_code == 302
    assert fresh(admin).name == "Ada Administrator"
    # Editing oneself ends no session.
    assert "Signed in as Ada Administrator" in page_of(admin_client.get("/")).text


def test_an_existing_user_can_be_invited_again(smtp_app, smtp_server, admin_client, make_user):
    user = make_user("pat.worker@partnership.test", "Pat Worker", password=None)
    response = submit(admin_client, f"/admin/users/{user.id}",
                      user_form(user.agency_id, name="Pat Worker", email="pat.worker@partnership.test",
                                invite=True))
    assert response.status_code == 302
    send_all()
    [received] = smtp_server.messages
    assert received["to"] == ["pat.worker@partnership.test"]
    assert "/set-password/" in received["message"].get_body(preferencelist=("plain",)).get_content()


def test_users_can_be_searched(admin_client, make_user):
    make_user("pat.worker@partnership.test", "Pat Worker")
    make_user("sam.school@partnership.test", "Sam School")
    page = page_of(admin_client.get("/admin/users?q=SCHOOL"))
    assert [row[1] for row in page.table_rows()] == ["sam.school@partnership.test"]
    assert page.value("q") == "SCHOOL"


def test_html_typed_into_a_users_name_is_shown_as_text(admin_client, health):
    name = "<img src=x onerror=alert(1)>Nia"
    submit(admin_client, "/admin/users/new", user_form(health.id, name=name, invite=False))
    response = admin_client.get("/admin/users")
    html = response.get_data(as_text=True)
    assert "<img src=x" not in html
    page = page_of(response)
    assert not page.find_all("img")
    assert listed_users(admin_client)["nia.newcomer@nhs.test"][0] == name
