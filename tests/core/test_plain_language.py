"""Every page of the demo, as each demo person, reached by following links from the home page: the text a
person reads has no ISO dates, no stored values (OPEN, NOT_DONE, stays_sometimes) and no endpoint names."""
from __future__ import annotations

import pytest

from coordinator.extensions import db
from tests.conftest import sign_in
from tests.support.crawl import DEMO_PASSWORD, PERSONAS, crawl, endpoint_names, findings, visible_text
from tests.support.pages import Page


@pytest.fixture
def demo(app):
    from coordinator.demo import load_demo

    load_demo(DEMO_PASSWORD)
    db.session.commit()
    return app


def test_every_page_of_the_demo_speaks_plain_language(demo):
    endpoints = endpoint_names(demo)
    problems: dict[str, set[str]] = {}
    visited = 0
    for email in PERSONAS:
        client = demo.test_client()
        sign_in(client, email, DEMO_PASSWORD)

        def get(url, client=client):
            response = client.get(url)
            return response.status_code, response.content_type, response.get_data(as_text=True)

        for url, html in crawl(demo, get, per_pattern=3):
            visited += 1
            for problem in findings(visible_text(Page(html)), endpoints):
                problems.setdefault(problem, set()).add(f"{email.split('@')[0]} {url}")
    assert visited > 60, visited
    assert not problems, "\n".join(f"{p}: {sorted(where)[:3]}" for p, where in sorted(problems.items()))


def test_days_and_times_are_written_one_way(app):
    from datetime import date, datetime, timezone

    from coordinator.timeutil import date_and_time, long_date, time_of_day

    assert long_date(date(2026, 12, 8)) == "Tuesday 8 December 2026"
    assert long_date("2026-12-08") == "Tuesday 8 December 2026"  # a day kept as text in a submitted update
    summer = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)  # 00:30 the next day in London
    assert date_and_time(summer) == "Wednesday 1 July 2026 at 00:30"
    assert long_date(summer) == "Wednesday 1 July 2026" and time_of_day(summer) == "00:30"
    assert long_date(None) == date_and_time(None) == ""
    assert long_date("not a date") == "not a date"


def test_audit_events_read_in_words_and_what_was_typed_is_shown_as_typed(app, make_user):
    from coordinator.audit.describe import describe
    from coordinator.audit.models import AuditEvent
    from coordinator.audit.services import record

    hana = make_user("hv@nhs.test", "Hana Visitor")
    events = {
        "family_viewed": "families.show",
        "meeting_moved": "to 2027-02-26T14:00:00+00:00",
        "network_member_added": f"user {hana.id} as CHAIR; reason: OPEN the door_now, 2026-12-08",
        "agency_created": '<b>Bold</b> href=x OPEN_CASE; active=True',
        "audit_log_viewed": "filters=user=a_b@nhs.test; family=; from=2025-03-01; to=",
    }
    for action, detail in events.items():
        record(action, detail=detail)
    db.session.commit()
    listed = describe(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.in_(events))))
    shown = {d.event.action: (d.action, d.detail) for d in listed}
    assert shown == {
        "family_viewed": ("Family viewed", "Family page"),
        "meeting_moved": ("Meeting moved", "to Friday 26 February 2027 at 14:00"),
        "network_member_added": ("Network member added",
                                 "Hana Visitor as Chair; reason: OPEN the door_now, Tuesday 8 December 2026"),
        "agency_created": ("Agency created", "<b>Bold</b> href=x OPEN_CASE; active: yes"),
        "audit_log_viewed": ("Audit log viewed",
                             "filters: user: a_b@nhs.test; family: (any); from: Saturday 1 March 2025; to: (any)"),
    }
