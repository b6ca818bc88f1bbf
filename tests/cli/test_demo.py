"""`flask --app coordinator demo`: eight demo users who sign in with the password given; idempotent; refuses a
database that holds real people."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from coordinator.agencies.models import Agency
from coordinator.auth.models import Role, User
from coordinator.extensions import db
from tests.conftest import PASSWORD, sign_in, submit

DEMO_PASSWORD = "demo password for the tests"
DEMO_USERS = {
    "admin@demo.invalid": Role.ADMIN,
    "lead@demo.invalid": Role.PRACTITIONER,
    "chair@demo.invalid": Role.PRACTITIONER,
    "health@demo.invalid": Role.PRACTITIONER,
    "school@demo.invalid": Role.PRACTITIONER,
    "outsider@demo.invalid": Role.PRACTITIONER,
    "manager@demo.invalid": Role.TEAM_MANAGER,
    "analyst@demo.invalid": Role.PARTNERSHIP_ANALYST,
}
REAL_INSTANCE = Path(__file__).resolve().parents[2] / "instance"


def users() -> dict[str, User]:
    """Every user but the staff of the demo's generated history (coordinator.oversight.demo), who sign in to
    nothing and are not offered."""
    db.session.expire_all()
    return {u.email: u for u in db.session.scalars(select(User)) if not u.email.endswith("@history.invalid")}


def row_counts() -> dict[str, int]:
    """Rows in every table the application has, except the audit log (which only ever grows)."""
    db.session.expire_all()
    with db.engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in db.metadata.tables if name != "audit_events"}


def can_sign_in(app, email: str, password: str) -> bool:
    client = app.test_client()
    return submit(client, "/sign-in", {"email": email, "password": password}).status_code == 302


def test_demo_creates_the_eight_demo_users_who_sign_in_with_the_password(app, invoke):
    result = invoke("demo", "--password", DEMO_PASSWORD)
    assert result.exit_code == 0, result.output
    assert f"(password: {DEMO_PASSWORD})" in result.output
    for email in DEMO_USERS:
        assert email in result.output

    stored = users()
    assert set(stored) == set(DEMO_USERS)
    for email, role in DEMO_USERS.items():
        assert stored[email].role is role
        assert stored[email].is_demo and stored[email].active
        assert stored[email].agency is not None

    for email, role in DEMO_USERS.items():
        client = app.test_client()
        sign_in(client, email, DEMO_PASSWORD)
        assert client.get("/admin/").status_code == (200 if role is Role.ADMIN else 403), email
        assert not can_sign_in(app, email, "not the demo password")


def test_running_demo_twice_changes_nothing(app, invoke):
    assert invoke("demo", "--password", DEMO_PASSWORD).exit_code == 0
    first_counts = row_counts()
    first_ids = {email: u.id for email, u in users().items()}
    agencies = db.session.scalar(select(func.count()).select_from(Agency))

    again = invoke("demo", "--password", DEMO_PASSWORD)
    assert again.exit_code == 0, again.output
    assert row_counts() == first_counts
    assert {email: u.id for email, u in users().items()} == first_ids
    assert db.session.scalar(select(func.count()).select_from(Agency)) == agencies == 6
    assert len(first_ids) == 8
    assert can_sign_in(app, "lead@demo.invalid", DEMO_PASSWORD)


def test_demo_without_a_password_keeps_one_in_the_instance_folder(app, invoke, tmp_path):
    real_file = REAL_INSTANCE / "demo-password"
    real_before = real_file.read_bytes() if real_file.exists() else None
    instance = tmp_path / "instance"
    instance.mkdir()
    app.instance_path = str(instance)  # never the project's own instance/ folder

    first = invoke("demo")
    assert first.exit_code == 0, first.output
    kept = instance / "demo-password"
    password = kept.read_text().strip()
    assert password.startswith("demo-") and len(password) >= 12
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # readable by its owner only
    assert f"(password: {password})" in first.output
    assert can_sign_in(app, "admin@demo.invalid", password)

    second = invoke("demo")
    assert second.exit_code == 0, second.output
    assert kept.read_text().strip() == password  # the same password, kept
    assert f"(password: {password})" in second.output
    assert can_sign_in(app, "health@demo.invalid", password)

    # The project's real instance/ folder was not touched.
    assert (real_file.read_bytes() if real_file.exists() else None) == real_before


def test_demo_uses_a_password_already_in_the_instance_folder(app, invoke, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "demo-password").write_text("an operator's chosen password\n")
    app.instance_path = str(instance)
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    assert can_sign_in(app, "chair@demo.invalid", "an operator's chosen password")


@pytest.mark.parametrize("flags, code", [([], 1), (["--skip-if-real"], 0)])
def test_demo_refuses_a_database_that_holds_a_real_person(app, invoke, make_user, flags, code):
    make_user("pat.worker@partnership.test", "Pat Worker")
    before = row_counts()

    result = invoke("demo", "--password", DEMO_PASSWORD, *flags)
    assert result.exit_code == code, result.output
    assert ("Demo data not loaded: this database holds users who are not demo users; demo data is only "
            "loaded into an empty or demo-only database") in result.output
    assert "Demo ready" not in result.output and "Sign in" not in result.output  # no demo here to sign in to
    assert row_counts() == before
    assert set(users()) == {"pat.worker@partnership.test"}
    assert can_sign_in(app, "pat.worker@partnership.test", PASSWORD)
    assert not can_sign_in(app, "admin@demo.invalid", DEMO_PASSWORD)


def test_demo_refuses_once_a_real_person_joins_a_demo_database(app, invoke):
    assert invoke("demo", "--password", DEMO_PASSWORD).exit_code == 0
    from coordinator.auth import services

    services.create_user(email="real.person@partnership.test", name="Real Person", password=PASSWORD)
    db.session.commit()
    before = row_counts()
    result = invoke("demo", "--password", "a different password")
    assert result.exit_code == 1
    assert row_counts() == before
    # The demo users' passwords were not reset either.
    assert can_sign_in(app, "lead@demo.invalid", DEMO_PASSWORD)


def test_the_demo_sign_ins_are_printed_while_the_demo_is_there_after_a_real_person_joins(app, invoke):
    """`make run` runs `demo --skip-if-real` on every start: once a real user exists it no longer loads the
    demo, but the demo loaded before is still there to try, and it says how to sign in to it."""
    assert invoke("demo", "--password", DEMO_PASSWORD).exit_code == 0
    from coordinator.auth import services

    services.create_user(email="real.person@partnership.test", name="Real Person", password=PASSWORD)
    db.session.commit()
    before = row_counts()

    result = invoke("demo", "--password", DEMO_PASSWORD, "--skip-if-real")
    assert result.exit_code == 0, result.output
    assert "Demo data not loaded: this database holds users who are not demo users" in result.output
    assert (f"The demo loaded earlier is still here at http://localhost. Sign in with any of these "
            f"(password: {DEMO_PASSWORD}):") in result.output
    for email in DEMO_USERS:
        assert email in result.output
    assert row_counts() == before  # listed, not loaded
    assert can_sign_in(app, "lead@demo.invalid", DEMO_PASSWORD)


def test_a_demo_user_with_another_password_or_deactivated_is_not_offered_with_the_demo_password(app, invoke):
    assert invoke("demo", "--password", DEMO_PASSWORD).exit_code == 0
    from coordinator.auth import services

    services.create_user(email="real.person@partnership.test", name="Real Person", password=PASSWORD)
    stored = users()
    stored["chair@demo.invalid"].password_hash = services.hash_password("the chair's own password")
    stored["outsider@demo.invalid"].active = False
    db.session.commit()

    result = invoke("demo", "--password", DEMO_PASSWORD, "--skip-if-real")
    assert result.exit_code == 0, result.output
    listed, _, others = result.output.partition("These demo users have another password")
    assert "lead@demo.invalid" in listed and "chair@demo.invalid" not in listed
    assert "chair@demo.invalid" in others
    assert "outsider@demo.invalid" not in result.output  # cannot sign in: not offered

    # Asked with a password none of them has, none is offered with it.
    result = invoke("demo", "--password", "not the demo password", "--skip-if-real")
    assert result.exit_code == 0, result.output
    assert "(password: not the demo password)" not in result.output
    assert "The demo loaded earlier is still here at http://localhost." in result.output
    assert "lead@demo.invalid" in result.output.partition("These demo users have another password")[2]
