"""Command line: ``flask --app coordinator <command>``."""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from coordinator.extensions import db


def init_app(app) -> None:
    for command in (init_db, demo, create_user, set_team, scheduler, send_due, seed_scale):
        app.cli.add_command(command)


@click.command("team")
@click.argument("name")
@click.option("--agency", required=True, help="The team's agency (an existing agency's name).")
@click.option("--lead", "leads", multiple=True, help="A lead professional of the team, by email (repeat the option).")
@click.option("--manager", "managers", multiple=True, required=True,
              help="A manager of the team, by email; they must have the team manager role.")
@with_appcontext
def set_team(name, agency, leads, managers):
    """Create a team, or replace its lead professionals and managers: its managers see its families' work."""
    from coordinator.oversight.services import TeamError
    from coordinator.oversight.services import set_team as set_up

    try:
        team = set_up(name, agency, list(leads), list(managers))
    except TeamError as refused:
        raise click.ClickException(str(refused)) from None
    db.session.commit()
    click.echo(f"Team {team.name}: {len(leads)} lead professionals, {len(managers)} managers")


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the database, or upgrade it to the latest migration."""
    from flask_migrate import upgrade

    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("demo")
@click.option("--password", help="Password for every demo user (otherwise kept in instance/demo-password).")
@click.option("--skip-if-real", is_flag=True,
              help="Exit quietly (status 0) if the database holds real users, still listing the demo sign-ins.")
@with_appcontext
def demo(password: str | None, skip_if_real: bool):
    """Load realistic demo data (idempotent). Refuses to touch a database that holds real people."""
    from coordinator.demo import DemoRefused, demo_sign_ins, load_demo

    if password is None:
        password = _demo_password()
    try:
        logins = load_demo(password)
    except DemoRefused as refused:
        click.echo(f"Demo data not loaded: {refused}", err=True)
        # The demo loaded before real people joined is still there to try: say how to sign in to it.
        same, other = demo_sign_ins(password)
        if same or other:
            _echo_sign_ins("The demo loaded earlier is still here", same, password, other)
        sys.exit(0 if skip_if_real else 1)
    _echo_sign_ins("Demo ready", logins, password, [])


def _echo_sign_ins(heading: str, logins: list[tuple[str, str]], password: str,
                   other: list[tuple[str, str]]) -> None:
    base = current_app.config["BASE_URL"]
    click.echo("")
    if logins:
        click.echo(f"{heading} at {base}. Sign in with any of these (password: {password}):")
        for email, description in logins:
            click.echo(f"  {email:<28} {description}")
    if other:
        if not logins:
            click.echo(f"{heading} at {base}.")
        click.echo("These demo users have another password (changed since, or the demo was loaded with another):")
        for email, description in other:
            click.echo(f"  {email:<28} {description}")
    click.echo("Partner-agency staff can also sign in with a code emailed to them: emails are written to "
               f"{current_app.config['MAIL_DIR']} until the scheduler sends them.")


def _demo_password() -> str:
    path = Path(current_app.instance_path) / "demo-password"
    if path.exists():
        return path.read_text().strip()
    value = "demo-" + secrets.token_urlsafe(9)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


@click.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--agency", prompt="Agency name", help="An existing agency's name (created as 'Other' if new).")
@click.option("--role", type=click.Choice(["admin", "practitioner"]), prompt=True, default="practitioner")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Leave empty for a user who signs in with emailed codes.", default="", show_default=False)
@with_appcontext
def create_user(email, name, agency, role, password):
    """Add a user (administrators set up the first one here)."""
    from email_validator import EmailNotValidError, validate_email

    from coordinator.agencies.models import Agency, AgencyKind
    from coordinator.auth import services
    from coordinator.auth.models import Role

    try:  # the same check as the administrators' form: invitations and codes must be able to arrive
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as invalid:
        raise click.ClickException(f"Enter a valid email address: {invalid}") from None
    if not name.strip():
        raise click.ClickException("Enter the person's full name")
    if not agency.strip():
        raise click.ClickException("Enter the name of the person's agency")
    if services.user_by_email(email):
        raise click.ClickException(f"A user with email {email} already exists")
    if password and len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise click.ClickException(f"Password must be at least {current_app.config['PASSWORD_MIN_LENGTH']} characters")
    agency = agency.strip()
    # Agency names are unique whatever their case (as the administrators' form enforces).
    agency_row = db.session.scalar(select(Agency).where(func.lower(Agency.name) == agency.lower()))
    if agency_row is None:
        agency_row = Agency(name=agency, kind=AgencyKind.OTHER)
        db.session.add(agency_row)
    user = services.create_user(email=email, name=name, agency=agency_row,
                                role=Role.ADMIN if role == "admin" else Role.PRACTITIONER,
                                password=password or None)
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.label}, {agency_row.name})")


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run the scheduler process (one tick job; a database lease keeps it to one runner)."""
    from coordinator.scheduler.services import run_forever

    run_forever(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("send-due")
@with_appcontext
def send_due():
    """Run every due job once and exit (for cron, and for tests)."""
    from coordinator.scheduler.services import (
        acquire_lease,
        new_holder_id,
        release_lease,
        run_due_jobs,
    )

    holder = new_holder_id("send-due")
    if not acquire_lease(holder):
        click.echo("A scheduler is running and holds the lease; it does the due work itself.")
        return
    try:
        results = run_due_jobs(holder)
    finally:
        release_lease(holder)
    for name, result in results.items():
        click.echo(f"{name}: {result}")


@click.command("seed-scale")
@click.option("--families", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True)
@click.option("--caseload", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="Families per lead professional.")
@click.option("--past-meetings", type=click.IntRange(0, 500), default=6, show_default=True)
@click.option("--future-meetings", type=click.IntRange(0, 500), default=4, show_default=True)
@click.option("--audit-rows", type=click.IntRange(0, 100_000_000), default=0, show_default=True)
@click.option("--yes", is_flag=True, help="Do not ask before writing made-up families into this database.")
@with_appcontext
def seed_scale(families, caseload, past_meetings, future_meetings, audit_rows, yes):
    """Write a partnership at scale (made-up families, people and meetings) for benchmarks. Never on a
    database that holds real families: it is for a throwaway copy."""
    import time

    from coordinator.scale import counts
    from coordinator.scale import seed_scale as seed

    url = db.engine.url.render_as_string(hide_password=True)
    if not yes and not click.confirm(f"Write {families} made-up families into {url}?"):
        sys.exit(1)
    started = time.perf_counter()
    world = seed(families, caseload=caseload, past_meetings=past_meetings, future_meetings=future_meetings,
                 audit_rows=audit_rows)
    db.session.commit()
    click.echo(f"Wrote {world.families} families, {world.meetings} meetings and {world.audit_rows} audit rows "
               f"in {time.perf_counter() - started:.1f} s. Totals now: {counts()}")
    click.echo(f"Sign in as (no password set; use a sign-in code): lead {world.leads[0]}, chair {world.chair}, "
               f"partner {world.partners[0]}")
