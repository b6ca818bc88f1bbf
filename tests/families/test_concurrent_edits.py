"""Two people editing the same record: the second save, made from an out-of-date form, is refused and shown
what is saved now beside what was typed; their input is kept and the first person's change stands."""
from __future__ import annotations

from datetime import timedelta

from coordinator.extensions import db
from coordinator.families.models import Family, HouseholdMember, Presence
from coordinator.timeutil import long_date, today
from tests.families.helpers import Page, date_fields, post_form, table_counts
from tests.support.people import signed_in


def assert_conflict(page: Page, what: str, shown: dict[str, tuple[str, str]]) -> None:
    """The second save's page: an error, the comparison of each differing question, the form kept."""
    assert page.status_code == 200, page.status_code
    assert page.title.startswith("Error: "), page.title
    assert page.conflict_title() == f"Someone else saved {what} while you were editing"
    assert page.conflict() == shown




def open_form(client, url) -> Page:
    page = Page(client.get(url))
    assert page.status_code == 200
    return page


def test_the_second_save_of_a_person_is_refused_and_keeps_both_peoples_work(app, world):
    lead = signed_in(app, world.lead)
    hv = signed_in(app, world.member)
    url = f"/families/{world.family.reference}/household/{world.person.id}/edit"

    lead_form = open_form(lead, url)
    hv_form = open_form(hv, url)
    assert lead_form.value("revision") == hv_form.value("revision") == "1"
    assert hv_form.value("name") == "Kelly Harrow" and hv_form.value("presence") == "LIVES_IN"
    assert hv_form.value(f"relationship-{world.child.id}") == "MOTHER"

    # The lead saves first: Kelly now only stays sometimes, and has parental responsibility.
    response = post_form(lead, url, {"presence": "STAYS_SOMETIMES", "parental_responsibility": "YES"}, page=lead_form)
    assert response.status_code == 302, Page(response).summary_errors()

    # The health visitor saves from the form she opened before: refused, clearly, with her input kept.
    before = table_counts()
    typed = {"name": "Kelly Ann Harrow", "concerns": ["mental_health", "da_victim"],
             "concern_notes": "Low mood at the last visit"}
    page = Page(post_form(hv, url, typed, page=hv_form))
    assert_conflict(page, "this person's record", {
        "Name": ("Kelly Harrow", "Kelly Ann Harrow"),
        "Lives in or visits the home": ("Stays sometimes", "Lives in the home"),
        "Parental responsibility": ("Yes", "Not known"),
        "Known concerns": ("(blank)", "Mental health, Domestic abuse: victim"),
        "Notes about the concerns": ("(blank)", "Low mood at the last visit"),
    })
    assert page.value("name") == "Kelly Ann Harrow"
    assert page.value("presence") == "LIVES_IN"
    assert page.checked("concerns") == ["mental_health", "da_victim"]
    assert page.value("concern_notes") == "Low mood at the last visit"
    assert table_counts() == before

    db.session.expire_all()
    kelly = db.session.get(HouseholdMember, world.person.id)
    assert kelly.name == "Kelly Harrow" and kelly.presence is Presence.STAYS_SOMETIMES
    assert kelly.parental_responsibility.name == "YES"
    assert kelly.mental_health is False and kelly.concern_notes is None and kelly.revision == 2
    shown = Page(hv.get(f"/families/{world.family.reference}/household/{world.person.id}"))
    assert "Lives in or visits Stays sometimes" in shown.text

    # Having checked, she saves again from the re-shown form, which now carries the current revision.
    assert page.value("revision") == "2"
    response = post_form(hv, url, {}, page=page)
    assert response.status_code == 302, Page(response).summary_errors()
    db.session.expire_all()
    kelly = db.session.get(HouseholdMember, world.person.id)
    assert kelly.name == "Kelly Ann Harrow" and kelly.mental_health is True and kelly.da_victim is True
    assert kelly.revision == 3


def test_the_second_save_of_the_family_details_is_refused(app, world):
    url = f"/families/{world.family.reference}/edit"
    lead = signed_in(app, world.lead)
    first = open_form(lead, url)
    second = open_form(lead, url)  # the same lead, in another browser tab
    assert first.value("revision") == second.value("revision") == "1"
    assert second.value("family_name") == "Harrow" and second.value("plan_type") == "CHILD_PROTECTION"

    response = post_form(lead, url, {"address": "1 New Street"}, page=first)
    assert response.status_code == 302, Page(response).summary_errors()
    before = table_counts()
    page = Page(post_form(lead, url, {"family_name": "Harrow-Smith"}, page=second))
    assert_conflict(page, "this family's details", {"Family name": ("Harrow", "Harrow-Smith"),
                                                    "Address": ("1 New Street", "(blank)")})
    assert page.value("family_name") == "Harrow-Smith"
    assert table_counts() == before
    db.session.expire_all()
    family = db.session.get(Family, world.family.id)
    assert family.family_name == "Harrow" and family.address == "1 New Street"


def test_recording_a_leaving_from_an_out_of_date_form_is_refused(app, world):
    lead = signed_in(app, world.lead)
    hv = signed_in(app, world.member)
    ref = world.family.reference
    left_url = f"/families/{ref}/household/{world.person.id}/left"
    leaving = open_form(hv, left_url)
    edit_url = f"/families/{ref}/household/{world.person.id}/edit"
    assert post_form(lead, edit_url, {"presence": "VISITS"}).status_code == 302
    yesterday = today() - timedelta(days=1)
    page = Page(post_form(hv, left_url, date_fields("left_on", yesterday), page=leaving))
    # The lead's change was not a leaving: the comparison shows the record has no date of leaving yet.
    assert_conflict(page, "this person's record", {"Date they left": ("(blank)", long_date(yesterday))})
    db.session.expire_all()
    assert db.session.get(HouseholdMember, world.person.id).left_on is None
