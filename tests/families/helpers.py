"""Helpers for the families tests: reading a page as a person sees it, posting its forms as a browser
would (with the page's own CSRF token), counting rows and SQL statements."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from sqlalchemy import event, func, select

from coordinator.extensions import db
from tests.support.clock import travel_to  # noqa: F401  (re-exported for the suite)
from tests.support.pages import (  # noqa: F401  (re-exported for the families tests)
    Node,
    Page,
    assert_form_error,
    field_names,
    form_payload,
    post_form,
)


def date_fields(name: str, value: date | tuple | None) -> dict:
    """GOV.UK date inputs send three fields of one name: day, month, year."""
    if value is None:
        return {}
    if isinstance(value, date):
        value = (value.day, value.month, value.year)
    return {name: [str(v) for v in value]}


def family_data(**overrides) -> dict:
    data = {
        "family_name": "Okafor",
        "plan_type": "CHILD_IN_NEED",
        "address": "Flat 3, 22 Station Road",
        "language": "Yoruba",
        "interpreter_needed": "y",
        "interpreter_notes": "Female interpreter preferred",
        "reason_for_sharing": "Allocated social worker under a child in need plan",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def child_data(*, born: bool = True, date_of_birth=None, expected_due_date=None, **overrides) -> dict:
    data = {"name": "Amara Okafor", "born": "yes" if born else "no", "sex": "FEMALE", "on_plan": "y"}
    data.update(overrides)
    data.update(date_fields("date_of_birth", date_of_birth))
    data.update(date_fields("expected_due_date", expected_due_date))
    return {k: v for k, v in data.items() if v is not None}


def member_data(**overrides) -> dict:
    data = {"name": "Tom Baker", "sex": "MALE", "presence": "VISITS", "parental_responsibility": "NOT_KNOWN",
            "source_kind": "SEEN"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- the database -----------------------------------------------------------------------------------------

def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def table_counts() -> dict[str, int]:
    """Rows in every families table and the audit log: a refused form must change none of them."""
    from coordinator.audit.models import AuditEvent
    from coordinator.families.models import (
        Child,
        ChildRelationship,
        Family,
        HouseholdMember,
        HouseholdMemberVersion,
        HouseholdSighting,
        NetworkMembership,
    )

    models = [Family, Child, HouseholdMember, ChildRelationship, HouseholdSighting, HouseholdMemberVersion,
              NetworkMembership]
    counts = {m.__tablename__: count(m) for m in models}
    # Viewing a page writes 'family_viewed'; anything else in the audit log is a change.
    counts["audit_changes"] = count(AuditEvent, AuditEvent.action != "family_viewed")
    return counts


@contextmanager
def counting_queries(engine):
    """Count the SQL statements sent through ``engine`` inside the block."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def shown_values(page: Page, name: str) -> list[str]:
    """The values shown by every text input of this name (a date shows three: day, month, year)."""
    return [n.attrs.get("value", "") for n in page.find_all("input", name=name)]


def assert_refused(client, url: str, data: dict, message: str, field_id: str | None, *,
                   kept: dict | None = None, forged: dict | None = None, page: Page | None = None) -> Page:
    """Post ``data``: the form comes back with a GOV.UK error, keeps what was typed, writes nothing."""
    before = table_counts()
    page = Page(post_form(client, url, data, forged=forged, page=page))
    assert_form_error(page, message, field_id)
    for name, expected in (kept or {}).items():
        if isinstance(expected, list):
            assert shown_values(page, name) == expected, (name, shown_values(page, name))
        else:
            assert page.value(name) == expected, (name, page.value(name))
    assert table_counts() == before
    return page


# --- time ---------------------------------------------------------------------------------------------



