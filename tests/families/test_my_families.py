"""My families: a practitioner's caseload, in a constant number of queries, searchable, sortable, paged."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from coordinator.extensions import db
from coordinator.families import services
from coordinator.families.models import NetworkRole, PlanType, Presence, Relationship, Sex, SightingKind
from coordinator.timeutil import today
from tests.families.helpers import Page, counting_queries
from tests.support.people import signed_in


def make_family(world, name: str, plan=PlanType.CHILD_IN_NEED, *, with_household=True):
    family = services.create_family(lead=world.lead, family_name=name, plan_type=plan,
                                    reason_for_sharing="Allocated social worker")
    services.add_to_network(family, world.member, NetworkRole.MEMBER, reason="Health visitor", actor=world.lead)
    if with_household:
        older = services.add_child(family, actor=world.lead, name=f"{name} Child",
                                   date_of_birth=today() - timedelta(days=900), sex=Sex.FEMALE)
        unborn = services.add_child(family, actor=world.lead, name=f"Unborn baby {name}",
                                    expected_due_date=today() + timedelta(days=60))
        services.add_member(family, actor=world.lead, relationships={older.id: Relationship.MOTHER,
                                                                     unborn.id: Relationship.MOTHER},
                            name=f"Mum {name}", sex=Sex.FEMALE, presence=Presence.LIVES_IN,
                            source_kind=SightingKind.SEEN, source_agency_id=world.lead.agency_id,
                            first_recorded_on=today() - timedelta(days=60))
        services.add_member(family, actor=world.lead, relationships={unborn.id: Relationship.FATHER},
                            name=f"Dad {name}", sex=Sex.MALE, presence=Presence.VISITS,
                            source_kind=SightingKind.TOLD_OF, source_agency_id=world.lead.agency_id)
        services.add_member(family, actor=world.lead, relationships={}, description="Man with a red van",
                            sex=Sex.MALE, presence=Presence.VISITS, source_kind=SightingKind.TOLD_OF,
                            source_agency_id=world.lead.agency_id)
    return family


def references(page: Page) -> list[str]:
    return [row[0] for row in page.table_rows()]


def names(page: Page) -> list[str]:
    return [row[1] for row in page.table_rows()]


def test_my_families_issues_the_same_number_of_queries_for_3_or_30_families(app, world):
    app.config["FAMILIES_PAGE_SIZE"] = 100  # every family on one page: nothing hidden by paging
    for n in range(2):
        make_family(world, f"Family {n:02d}")
    db.session.commit()
    hv = signed_in(app, world.member)
    assert hv.get("/families").status_code == 200  # warm up: first-request work is not the point

    with counting_queries(db.engine) as few:
        page = Page(hv.get("/families"))
    assert len(page.table_rows()) == 3

    for n in range(2, 29):
        make_family(world, f"Family {n:02d}")
    db.session.commit()
    with counting_queries(db.engine) as many:
        page = Page(hv.get("/families"))
    rows = page.table_rows()
    assert len(rows) == 30
    # and every row has what needs attention worked out from its household
    family_rows = [r for r in rows if r[1].startswith("Family ")]
    assert all("1 not confirmed" in r[4] and "Father or man not known or not seen" in r[4] for r in family_rows)
    assert len(few) <= 20, "\n\n".join(few)
    assert len(many) == len(few), "\n\n".join(many)


def test_search_by_reference_and_by_name(app, world):
    okafor = make_family(world, "Okafor", with_household=False)
    patel = make_family(world, "Patel", with_household=False)
    other = services.create_family(lead=world.outsider, family_name="Okafor-Jones", plan_type=PlanType.OTHER)
    db.session.commit()
    hv = signed_in(app, world.member)

    page = search(hv, okafor.reference)
    assert references(page) == [okafor.reference]
    page = search(hv, f"  {patel.reference.lower()} ")
    assert references(page) == [patel.reference]
    page = search(hv, "okaf")
    assert names(page) == ["Okafor"]  # not Okafor-Jones: that family is not in her caseload
    assert page.find("input", name="q").attrs["value"] == "okaf"
    page = search(hv, "HARROW")
    assert names(page) == ["Harrow"]
    page = search(hv, "Nobody")
    assert page.table_rows() == []
    assert 'No open family in your caseload matches "Nobody".' in page.text
    page = search(hv, other.reference)
    assert page.table_rows() == [] and "Okafor-Jones" not in page.text
    # Cleared, every family again.
    page = Page(hv.get(follow(hv.post("/families/search", data={"csrf_token": csrf_of(hv), "q": ""}))))
    assert sorted(names(page)) == ["Harrow", "Okafor", "Patel"]


def csrf_of(client) -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get("/families").get_data(as_text=True))


def follow(response) -> str:
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def search(client, text: str, **extra) -> Page:
    """Search the caseload as the page does: posted, so the name typed never appears in an address."""
    response = client.post("/families/search", data={"csrf_token": csrf_of(client), "q": text, **extra})
    location = follow(response)
    assert "q" not in parse_qs(urlsplit(location).query)
    return Page(client.get(location))


def test_a_search_in_an_old_link_is_kept_and_taken_out_of_the_address(app, world):
    hv = signed_in(app, world.member)
    response = hv.get("/families", query_string={"q": "Harrow", "sort": "name"})
    location = follow(response)
    assert "Harrow" not in location and "sort=name" in location
    assert names(Page(hv.get(location))) == ["Harrow"]


def test_sort_by_name(app, world):
    for name in ("zephyr", "Adams", "Mills", "brown"):
        make_family(world, name, with_household=False)
    db.session.commit()
    hv = signed_in(app, world.member)
    page = Page(hv.get("/families", query_string={"sort": "name"}))
    assert names(page) == ["Adams", "brown", "Harrow", "Mills", "zephyr"]
    assert "selected" in page.find("select", name="sort").find("option", value="name").attrs
    page = Page(hv.get("/families", query_string={"sort": "reference"}))
    refs = references(page)
    assert refs == sorted(refs)
    page = Page(hv.get("/families", query_string={"sort": "nonsense"}))
    assert references(page) == refs


def test_pages_of_families_follow_the_page_size(app, world):
    app.config["FAMILIES_PAGE_SIZE"] = 2
    for name in ("Adams", "Brown", "Clarkson", "Davis"):
        make_family(world, name, with_household=False)
    db.session.commit()
    hv = signed_in(app, world.member)

    first = Page(hv.get("/families", query_string={"sort": "name"}))
    assert names(first) == ["Adams", "Brown"]
    assert "The open families whose professional network you are in (5)." in first.text
    nav = first.find("nav", cls="govuk-pagination")
    assert nav is not None
    links = {a.text(): a.attrs["href"] for a in nav.find_all("a")}
    assert set(links) >= {"1", "2", "3"}
    next_link = [a for a in nav.find_all("a") if "Next" in a.text()][0].attrs["href"]
    assert parse_qs(urlsplit(next_link).query) == {"sort": ["name"], "page": ["2"]}

    second = Page(hv.get(next_link))
    assert names(second) == ["Clarkson", "Davis"]
    third = Page(hv.get(links["3"]))
    assert names(third) == ["Harrow"]
    assert not [a for a in third.find("nav", cls="govuk-pagination").find_all("a") if "Next" in a.text()]

    # The search is kept from page to page ("s" is never in a reference, so only names match), and is in
    # none of the page links.
    searched = search(hv, "s", sort="name")
    assert names(searched) == ["Adams", "Clarkson"]
    assert "The open families whose professional network you are in (3 found)." in searched.text
    nav_links = [a.attrs["href"] for a in searched.find("nav", cls="govuk-pagination").find_all("a")]
    assert nav_links and all("q" not in parse_qs(urlsplit(link).query) for link in nav_links)
    last = [link for link in nav_links if parse_qs(urlsplit(link).query).get("page") == ["2"]][0]
    assert names(Page(hv.get(last))) == ["Davis"]


def test_a_page_of_one_is_not_paged(app, world):
    hv = signed_in(app, world.member)
    page = Page(hv.get("/families"))
    assert references(page) == [world.family.reference]
    assert page.find("nav", cls="govuk-pagination") is None
    assert hv.get("/families?page=0").status_code == 200
    assert hv.get("/families?page=abc").status_code == 200


@pytest.mark.parametrize("who", ["lead", "member"])
def test_each_row_shows_the_plan_and_the_lead(app, world, who):
    make_family(world, "Patel", PlanType.EARLY_HELP, with_household=False)
    db.session.commit()
    client = signed_in(app, getattr(world, who))
    rows = {row[1]: row for row in Page(client.get("/families", query_string={"sort": "name"})).table_rows()}
    assert rows["Harrow"][2:4] == ["Child protection", "Lee Lead"]
    assert rows["Patel"][2:4] == ["Early help", "Lee Lead"]


def test_percent_and_underscore_in_a_search_are_not_wildcards(app, world):
    from tests.families.conftest import act_as

    client = app.test_client()
    act_as(client, world.lead)
    assert world.family.reference in search(client, "Harrow").html
    for wildcard in ("%", "_", "H_rrow"):
        page = search(client, wildcard).html
        assert f"/families/{world.family.reference}\"" not in page, wildcard


# --- searching for a person, and open or closed families ---------------------------------------------

def add_person(world, family, name: str, *, lead=None):
    return services.add_member(family, actor=lead or world.lead, relationships={}, name=name, sex=Sex.FEMALE,
                               presence=Presence.LIVES_IN, source_kind=SightingKind.SEEN,
                               source_agency_id=(lead or world.lead).agency_id)


def rows_by_reference(page: Page) -> dict[str, list[str]]:
    return {row[0]: row for row in page.table_rows()}


def test_search_finds_the_family_where_a_person_lives_and_says_who_matched(app, world):
    make_family(world, "Okafor")  # Mum Okafor, Dad Okafor, Okafor Child: none of them a Kelly or a Ruby
    db.session.commit()
    hv = signed_in(app, world.member)
    ref = world.family.reference

    page = search(hv, "Kelly")  # Kelly Harrow lives in the Harrow family's home
    assert references(page) == [ref]
    assert rows_by_reference(page)[ref][1] == "Harrow Matched: Kelly Harrow (household member)"
    assert page.find("input", name="q").attrs["value"] == "Kelly"
    page = search(hv, "ruby h")  # the child, whatever the case typed
    assert rows_by_reference(page)[ref][1] == "Harrow Matched: Ruby Harrow (child)"
    page = search(hv, "HARROW")  # the family's own name: no person is singled out
    assert rows_by_reference(page)[ref][1] == "Harrow"
    page = search(hv, "mum okafor")
    assert names(page) == ["Okafor Matched: Mum Okafor (household member)"]


def test_a_search_for_a_person_never_finds_a_family_outside_ones_own_network(app, world, make_user):
    """Another family has a Kelly too, and a Ruby: a practitioner finds only the Kelly in a family whose
    network they are in; no one else (not an administrator, not a guest invited to one meeting, not someone
    who has left the network) finds Kelly Harrow by her name, and no other family's person is named."""
    from coordinator.families.models import PlanType

    elsewhere = services.create_family(lead=world.outsider, family_name="Marsh", plan_type=PlanType.OTHER)
    services.add_child(elsewhere, actor=world.outsider, name="Ruby Marsh",
                       date_of_birth=today() - timedelta(days=400), sex=Sex.FEMALE)
    add_person(world, elsewhere, "Kelly Marsh", lead=world.outsider)
    guest = make_user("guest@police.test", "Gita Guest", agency_name="Police")
    services.add_to_network(world.family, guest, NetworkRole.GUEST, reason="Invited to one meeting",
                            actor=world.lead)
    leaver = make_user("leaver@school.test", "Lou Leaver", agency_name="School")
    left = services.add_to_network(world.family, leaver, NetworkRole.MEMBER, reason="School nurse", actor=world.lead)
    services.remove_from_network(left, actor=world.lead, reason="Moved school")
    db.session.commit()

    hv = signed_in(app, world.member)
    for text in ("Kelly", "kelly", "Ruby", "Kelly M"):
        page = search(hv, text)
        assert "Marsh" not in page.text and elsewhere.reference not in page.text, text
    assert references(search(hv, "Kelly")) == [world.family.reference]

    outsider = signed_in(app, world.outsider)
    page = search(outsider, "Kelly")
    assert references(page) == [elsewhere.reference]
    assert "Kelly Marsh" in page.text and "Harrow" not in page.text
    for someone in (world.outsider, world.admin, guest, leaver):
        client = signed_in(app, someone)
        for text in ("Kelly Harrow", "Ruby Harrow", world.family.reference):
            page = search(client, text, status="all")
            shown = page.text.replace(f'matches "{text}"', "")  # what they typed is repeated back to them
            assert world.family.reference not in shown and "Harrow" not in shown, (someone.email, text)
            assert f"/families/{world.family.reference}" not in page.html


def test_open_closed_or_all_families(app, world):
    closed = make_family(world, "Okafor", with_household=False)
    add_person(world, closed, "Kelly Okafor")
    services.close_family(closed, actor=world.lead, on=today(), reason="Stepped down to universal services")
    db.session.commit()
    hv = signed_in(app, world.member)

    page = Page(hv.get("/families"))  # open families unless asked otherwise
    assert names(page) == ["Harrow"]
    assert page.checked("status") == ["open"]
    page = Page(hv.get("/families", query_string={"status": "closed"}))
    assert [row[:2] for row in page.table_rows()] == [[closed.reference, "Okafor"]]
    assert "Closed" in page.table_rows()[0][4]
    assert page.checked("status") == ["closed"]
    page = Page(hv.get("/families", query_string={"status": "all", "sort": "name"}))
    assert names(page) == ["Harrow", "Okafor"]
    assert "The families whose professional network you are in (2)." in page.text
    assert Page(hv.get("/families", query_string={"status": "nonsense"})).checked("status") == ["open"]

    # Searched: only open families unless asked, and the choice is kept in the address (it names no one).
    page = search(hv, "Kelly")
    assert names(page) == ["Harrow Matched: Kelly Harrow (household member)"]
    response = hv.post("/families/search", data={"csrf_token": csrf_of(hv), "q": "Kelly", "status": "all",
                                                 "sort": "name"})
    location = follow(response)
    assert parse_qs(urlsplit(location).query) == {"sort": ["name"], "status": ["all"]}
    page = Page(hv.get(location))
    assert names(page) == ["Harrow Matched: Kelly Harrow (household member)",
                           "Okafor Matched: Kelly Okafor (household member)"]
    assert page.checked("status") == ["all"]
    page = search(hv, "Kelly Harrow", status="closed")
    assert page.table_rows() == []
    assert 'No closed family in your caseload matches "Kelly Harrow".' in page.text
    assert Page(hv.get("/families", query_string={"status": "closed"})).text.count("Okafor") == 0  # still searched
    page = Page(hv.get(follow(hv.post("/families/search", data={"csrf_token": csrf_of(hv), "q": "",
                                                                "status": "closed"}))))
    assert [row[0] for row in page.table_rows()] == [closed.reference]


def test_the_open_or_closed_choice_is_kept_from_page_to_page(app, world):
    app.config["FAMILIES_PAGE_SIZE"] = 1
    for name in ("Adams", "Brown"):
        family = make_family(world, name, with_household=False)
        services.close_family(family, actor=world.lead, on=today(), reason="Closed")
    db.session.commit()
    hv = signed_in(app, world.member)
    page = Page(hv.get("/families", query_string={"status": "closed", "sort": "name"}))
    assert names(page) == ["Adams"]
    links = [a.attrs["href"] for a in page.find("nav", cls="govuk-pagination").find_all("a")]
    assert links and all(parse_qs(urlsplit(link).query)["status"] == ["closed"] for link in links)
    second = [link for link in links if parse_qs(urlsplit(link).query).get("page") == ["2"]][0]
    assert names(Page(hv.get(second))) == ["Brown"]
    assert Page(hv.get("/families")).find("nav", cls="govuk-pagination") is None  # open: Harrow alone


def test_names_with_letters_beyond_a_to_z_are_found_on_both_databases(app, world):
    add_person(world, world.family, "Zoë Łukasiewicz")
    db.session.commit()
    hv = signed_in(app, world.member)
    for text in ("Łukasiewicz", "ŁUKASIEWICZ", "zoë", "Zoë Ł"):
        page = search(hv, text)
        assert rows_by_reference(page)[world.family.reference][1] == \
            "Harrow Matched: Zoë Łukasiewicz (household member)", text


def test_a_search_for_a_person_costs_the_same_queries_for_3_or_30_families(app, world):
    app.config["FAMILIES_PAGE_SIZE"] = 100
    for n in range(2):
        make_family(world, f"Family {n:02d}")
    db.session.commit()
    hv = signed_in(app, world.member)
    search(hv, "Mum")  # kept in the session from now on; the first request's own work done

    with counting_queries(db.engine) as few:
        page = Page(hv.get("/families"))
    assert len(page.table_rows()) == 2 and all("Matched: Mum Family" in row[1] for row in page.table_rows())
    for n in range(2, 30):
        make_family(world, f"Family {n:02d}")
    db.session.commit()
    with counting_queries(db.engine) as many:
        page = Page(hv.get("/families"))
    assert len(page.table_rows()) == 30
    assert len(many) == len(few), "\n\n".join(many)


def test_with_nothing_to_list_the_page_says_whether_families_are_only_filtered_out(app, world):
    hv = signed_in(app, world.member)
    page = Page(hv.get("/families", query_string={"status": "closed"}))
    assert page.table_rows() == [] and "None of your families is closed." in page.text
    services.close_family(world.family, actor=world.lead, on=today(), reason="Stepped down")
    db.session.commit()
    page = Page(hv.get("/families"))
    assert page.table_rows() == []
    assert "None of your families is open. Show all families, open and closed." in page.text
    assert references(Page(hv.get(page.link("Show all families, open and closed")))) == [world.family.reference]
    page = Page(signed_in(app, world.outsider).get("/families"))
    assert "You are not in any family's professional network yet" in page.text
