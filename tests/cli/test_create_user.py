"""`flask --app coordinator create-user`: how the first administrator is made."""
from __future__ import annotations

from sqlalchemy import func, select

from coordinator.agencies.models import Agency, AgencyKind
from coordinator.auth.models import Role, User
from coordinator.extensions import db
from tests.conftest import sign_in, submit

NEW_PASSWORD = "a long enough password"


def user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_user_with_options_makes_an_administrator_who_can_sign_in(app, invoke):
    result = invoke("create-user", "--email", "Nia.Admin@Partnership.test", "--name", "Nia Admin",
                    "--agency", "Northshire Council", "--role", "admin", "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "Created nia.admin@partnership.test (Administrator, Northshire Council)" in result.output

    made = user("nia.admin@partnership.test")
    assert made.name == "Nia Admin" and made.role is Role.ADMIN and made.active
    assert made.agency.name == "Northshire Council" and made.agency.kind is AgencyKind.OTHER

    client = app.test_client()
    sign_in(client, "nia.admin@partnership.test", NEW_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_create_user_joins_an_existing_agency(app, invoke, make_agency):
    agency = make_agency("Northshire Health Visiting", AgencyKind.HEALTH_VISITING, "nhs.test")
    before = count(Agency)
    for spelling, email in (("Northshire Health Visiting", "hana@nhs.test"),
                            ("northshire health visiting", "hugo@nhs.test")):
        result = invoke("create-user", "--email", email, "--name", "Hana Health", "--agency", spelling,
                        "--role", "practitioner", "--password", NEW_PASSWORD)
        assert result.exit_code == 0, result.output
        assert user(email).agency_id == agency.id
    assert count(Agency) == before  # no near-duplicate agency differing only in case
    db.session.refresh(agency)
    assert agency.kind is AgencyKind.HEALTH_VISITING


def test_create_user_by_answering_the_prompts(app, invoke):
    result = invoke("create-user", input="pat.prompted@partnership.test\nPat Prompted\nNorthshire Council\n"
                                         f"practitioner\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    made = user("pat.prompted@partnership.test")
    assert made.role is Role.PRACTITIONER
    assert NEW_PASSWORD not in result.output  # the password is never echoed
    sign_in(app.test_client(), "pat.prompted@partnership.test", NEW_PASSWORD)


def test_create_user_without_a_password_makes_a_code_only_user(app, invoke):
    result = invoke("create-user", "--email", "hv@nhs.test", "--name", "Hana Health", "--agency", "NHS",
                    "--role", "practitioner", "--password", "")
    assert result.exit_code == 0, result.output
    assert user("hv@nhs.test").password_hash is None
    response = submit(app.test_client(), "/sign-in", {"email": "hv@nhs.test", "password": ""})
    assert response.status_code == 200  # no password to sign in with


def test_create_user_refuses_a_duplicate_email(app, invoke, make_user):
    make_user("pat.worker@partnership.test", "Pat Worker")
    users, agencies = count(User), count(Agency)
    result = invoke("create-user", "--email", "PAT.Worker@partnership.test", "--name", "Another Pat",
                    "--agency", "Elsewhere", "--role", "admin", "--password", NEW_PASSWORD)
    assert result.exit_code == 1
    assert "Error: A user with email PAT.Worker@partnership.test already exists" in result.output
    assert (count(User), count(Agency)) == (users, agencies)
    assert user("pat.worker@partnership.test").name == "Pat Worker"


def test_create_user_refuses_a_short_password(app, invoke):
    result = invoke("create-user", "--email", "nia@partnership.test", "--name", "Nia", "--agency", "Northshire",
                    "--role", "admin", "--password", "too short")
    assert result.exit_code == 1
    assert "Error: Password must be at least 12 characters" in result.output
    assert user("nia@partnership.test") is None
    assert count(Agency) == 0


def test_create_user_refuses_an_address_that_is_not_an_email(app, invoke):
    result = invoke("create-user", "--email", "nia at partnership", "--name", "Nia", "--agency", "Northshire",
                    "--role", "admin", "--password", NEW_PASSWORD)
    assert result.exit_code == 1
    assert "Error: " in result.output and "email" in result.output.lower()
    assert count(User) == 0 and count(Agency) == 0


def test_create_user_refuses_a_blank_name(app, invoke):
    result = invoke("create-user", "--email", "nia@partnership.test", "--name", "  ", "--agency", "Northshire",
                    "--role", "admin", "--password", NEW_PASSWORD)
    assert result.exit_code == 1
    assert "Error: " in result.output and "name" in result.output.lower()
    assert count(User) == 0


def test_create_user_refuses_a_blank_agency(app, invoke):
    result = invoke("create-user", "--email", "nia@partnership.test", "--name", "Nia", "--agency", "",
                    "--role", "admin", "--password", NEW_PASSWORD)
    assert result.exit_code == 1
    assert "Error: Enter the name of the person's agency" in result.output
    assert count(User) == 0 and count(Agency) == 0


def test_create_user_refuses_an_unknown_role(app, invoke):
    result = invoke("create-user", "--email", "nia@partnership.test", "--name", "Nia", "--agency", "Northshire",
                    "--role", "superuser", "--password", NEW_PASSWORD)
    assert result.exit_code == 2
    assert "'superuser' is not one of 'admin', 'practitioner'" in result.output
    assert count(User) == 0
