"""Issue 15's journey in a real browser: the health visitor records, on the appointments step of her update,
two health visitor appointments the baby was not brought to, and that the mother says the children went to
every appointment; she submits from check your answers. The chair's pack opens with the contradiction, the
baby's not-brought timeline lists both appointments, and the domestic abuse enquiry stands beside the father's
perpetrator concern. axe checks every page; at 320 px nothing scrolls sideways (WCAG 2.2 1.4.10)."""
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from coordinator.extensions import db
from coordinator.timeutil import long_date
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def update_due(app, make_user):
    """A baby, her mother and her father (a recorded domestic abuse perpetrator); a meeting in twelve working
    days whose update request has gone to the health visitor, who has answered every step but the
    appointments."""
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole, PlanType, Presence, Relationship, Sex, SightingKind
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from coordinator.meetings.workdays import add_working_days
    from coordinator.submissions import services as updates

    lead = make_user("lead@council.test", "Lee Lead")
    chair = make_user("chair@council.test", "Chris Chair")
    health = make_user("hv@nhs.test", "Hana Visitor", agency_name="Northshire Health Visiting")
    family = families.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    reason_for_sharing="Allocated social worker")
    baby = families.add_child(family, actor=lead, name="Ruby Harrow",
                              date_of_birth=datetime.now().date() - timedelta(days=150), sex=Sex.FEMALE)
    kelly = families.add_member(family, actor=lead, relationships={baby.id: Relationship.MOTHER}, name="Kelly Harrow",
                                sex=Sex.FEMALE, presence=Presence.LIVES_IN, source_kind=SightingKind.SEEN,
                                source_agency_id=lead.agency_id)
    dean = families.add_member(family, actor=lead, relationships={baby.id: Relationship.FATHER}, name="Dean Carter",
                               sex=Sex.MALE, presence=Presence.VISITS, source_kind=SightingKind.TOLD_OF,
                               source_agency_id=lead.agency_id, da_perpetrator=True, violence_offending=True)
    families.add_to_network(family, chair, NetworkRole.CHAIR, reason="Chair", actor=lead)
    families.add_to_network(family, health, NetworkRole.MEMBER, reason="Health visitor", actor=lead)
    day = add_working_days(datetime.now().date(), 12)
    schedule = meetings.Schedule(MeetingType.PROFESSIONALS, day, time(10, 0), 90, Recurrence.WEEKLY, 6,
                                 SeriesEnd.AFTER_COUNT, count=1, location="Family centre")
    series = meetings.create_series(family, schedule, actor=lead, chair=chair, minute_taker=lead,
                                    invitees=[health], notify=False)
    occurrence = series.occurrences[0]
    [request] = [r for r in updates.ensure_requests(occurrence) if r.agency_id == health.agency_id]
    updates.save(request, health, {
        f"household-{kelly.id}": "SEEN", f"household-{dean.id}": "TOLD_OF", f"man-{dean.id}-seen": "no",
        f"child-{baby.id}-seen_awake": "yes", f"child-{baby.id}-sleeps": "In a cot", f"child-{baby.id}-scale": 4,
        f"da-{kelly.id}-asked": "yes", f"da-{kelly.id}-date": datetime.now().date().isoformat(),
        f"da-{kelly.id}-private": "yes", f"da-{dean.id}-asked": "no",
        "worries": "Ruby's weight.", "worries_provenance": "observation", "share_with_family": "yes",
    }, submit=False, expected_revision=None)
    db.session.commit()
    return family, occurrence, request, baby


def no_sideways_scroll(page, axe, label: str) -> None:
    page.wait_for_load_state("load")
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{label}: {width} px wide in a {inner} px window"
    axe.check(label)


def fill_appointment(page, child_id: int, slot: int, day, kind: str) -> None:
    prefix = f"child-{child_id}-appt-{slot}-"
    details = page.locator("details", has=page.locator(f"#{prefix}date-day"))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.locator(f"#{prefix}date-day").fill(str(day.day))
    page.locator(f"#{prefix}date-month").fill(str(day.month))
    page.locator(f"#{prefix}date-year").fill(str(day.year))
    page.locator(f"#{prefix}kind").fill(kind)
    page.locator(f"input[name='{prefix}outcome'][value='was_not_brought']").check()


def test_two_appointments_not_brought_against_all_attended_reach_the_top_of_the_pack(app, page, axe, update_due):
    family, occurrence, request, baby = update_due
    first, second = datetime.now().date() - timedelta(days=9), datetime.now().date() - timedelta(days=2)
    page.set_viewport_size({"width": 320, "height": 800})
    browser_sign_in(page, "hv@nhs.test", PASSWORD)
    page.goto(f"/families/{family.reference}/updates/{request.id}/steps/appointments")
    expect(page.get_by_role("heading", name="Appointments and engagement", exact=True)).to_be_visible()
    no_sideways_scroll(page, axe, "appointments step, 320 px")

    fill_appointment(page, baby.id, 1, first, "Health visitor check")
    fill_appointment(page, baby.id, 2, second, "Health visitor clinic")
    page.get_by_label("That the children went to every appointment").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Domestic abuse routine enquiry", exact=True)).to_be_visible()
    # The father's recorded concern stands beside the question about him.
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "Known concerns on the family record: violence or offending, domestic abuse: perpetrator")
    no_sideways_scroll(page, axe, "domestic abuse step, 320 px")

    page.goto(f"/families/{family.reference}/updates/{request.id}/check")
    card = page.locator(".govuk-summary-card", has_text="Appointments and engagement")
    expect(card).to_contain_text("Health visitor clinic")
    expect(card).to_contain_text("That the children went to every appointment")
    expect(page.locator(".govuk-summary-card", has_text="Domestic abuse routine enquiry")).to_contain_text(
        "No: marked not for the family")
    no_sideways_scroll(page, axe, "check your answers, 320 px")
    page.get_by_role("button", name="Submit the update").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your update has been submitted")

    chair = page.context.browser.new_context(base_url=page.url.split("/families")[0]).new_page()
    chair_axe = type(axe)(chair)
    browser_sign_in(chair, "chair@council.test", PASSWORD)
    for width in (1280, 320):
        chair.set_viewport_size({"width": width, "height": 800})
        chair.goto(f"/families/{family.reference}/meetings/{occurrence.id}/pack")
        top = chair.locator(".app-attention li").first.inner_text()
        assert top == (
            "Reported and observed disagree: the parent told Northshire Health Visiting the children went to every "
            "appointment, but Northshire Health Visiting recorded Ruby Harrow was not brought to 2 appointments "
            f"(Health visitor check on {long_date(first)}, Health visitor clinic on {long_date(second)})")
        ruby = chair.locator(".govuk-summary-card", has_text="Was not brought: every meeting and agency")
        expect(ruby).to_contain_text(long_date(first))
        expect(ruby).to_contain_text(long_date(second))
        dean = chair.locator(".govuk-summary-card", has_text="Dean Carter")
        expect(dean).to_contain_text("Violence or offending, Domestic abuse: perpetrator")
        no_sideways_scroll(chair, chair_axe, f"pre-meeting pack, {width} px")
    chair.context.close()
