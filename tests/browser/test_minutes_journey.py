"""Issue 6's journey in a real browser: from the pre-meeting pack through minutes, a change asked for,
approval, publishing, acknowledgement and a correction (version 2; version 1 superseded); the next
meeting's minutes list the open action; the family copy leaves out what is not for the family; the demo
family's page charts its scores across meetings. axe checks every page."""
import re
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from coordinator.extensions import db
from tests.browser.conftest import AccessibilityChecker, browser_sign_in
from tests.conftest import PASSWORD, send_all

pytestmark = pytest.mark.browser


@pytest.fixture
def held_meeting(app, make_user):
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole, PlanType, Presence, Relationship, Sex, SightingKind
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from coordinator.submissions import services as updates

    lead = make_user("lead@council.test", "Lee Lead")
    chair = make_user("chair@council.test", "Chris Chair")
    partner = make_user("hv@nhs.test", "Hana Visitor", agency_name="Northshire Health Visiting")
    family = families.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    reason_for_sharing="Allocated social worker")
    baby = families.add_child(family, actor=lead, name="Ruby Harrow", date_of_birth=date.today() - timedelta(days=150),
                              sex=Sex.FEMALE)
    families.add_member(family, actor=lead, relationships={baby.id: Relationship.MOTHER}, name="Kelly Harrow",
                        sex=Sex.FEMALE, presence=Presence.LIVES_IN, source_kind=SightingKind.SEEN,
                        source_agency_id=lead.agency_id)
    families.add_to_network(family, chair, NetworkRole.CHAIR, reason="Chair", actor=lead)
    families.add_to_network(family, partner, NetworkRole.MEMBER, reason="Health visitor", actor=lead)
    first = date.today() - timedelta(days=3)
    schedule = meetings.Schedule(MeetingType.CORE_GROUP, first, time(10, 0), 90, Recurrence.WEEKLY, 4,
                                 SeriesEnd.AFTER_COUNT, count=3, location="Family centre")
    series = meetings.create_series(family, schedule, actor=lead, chair=chair, minute_taker=lead,
                                    invitees=[lead, partner], notify=False, allow_past=True)
    db.session.flush()
    occurrence = series.occurrences[0]
    from zoneinfo import ZoneInfo

    for request in updates.ensure_requests(occurrence):
        if request.agency_id == partner.agency_id:
            updates.save(request, partner, {f"child-{baby.id}-scale": 4, f"child-{baby.id}-seen_alone": "yes",
                                            "worries": "Mum's low mood", "worries_provenance": "observation",
                                            "da_asked": "yes", "share_with_family": "yes"},
                         submit=True, expected_revision=None,
                         now=datetime.combine(first - timedelta(days=4), time(9), ZoneInfo("Europe/London")))
    db.session.commit()
    return family, series


def new_page(page, email):
    other = page.context.browser.new_context(base_url=page.url.split("/families")[0].split("/sign-in")[0]).new_page()
    other.set_default_timeout(10_000)
    browser_sign_in(other, email, PASSWORD)
    return other, AccessibilityChecker(other)


def test_minutes_from_pack_to_correction(app, page, axe, smtp_server, held_meeting, live_server):
    app.config.update(smtp_server.config())
    family, series = held_meeting
    occurrence, later = series.occurrences[0], series.occurrences[1]
    base = f"/families/{family.reference}"

    browser_sign_in(page, "chair@council.test", PASSWORD)
    page.goto(f"{base}/meetings/{occurrence.id}/pack")
    assert "No update from" in page.locator(".app-attention").inner_text()
    axe.check("pack")

    taker, taker_axe = new_page(page, "lead@council.test")
    taker.goto(f"{base}/meetings/{occurrence.id}")
    taker.get_by_role("link", name="Write the minutes").click()
    assert "Mum's low mood" in taker.locator("textarea[name$='-opinion'], textarea[name$='-facts']").all_inner_texts().__str__() \
        or "Mum's low mood" in "".join(t.input_value() for t in taker.locator("textarea[name^='agency-']").all())
    taker_axe.check("minutes editor")
    taker.get_by_role("textbox", name="Decisions, with reasons").fill("The core group continues. Reason: risks not reduced.")
    taker.get_by_role("textbox", name="What we are worried about").fill("Kelly's mood and an unknown visitor.")
    taker.locator("input[name='not_for_family'][value='worries']").check()
    taker.get_by_label("Why they must not be shared").fill("It names a source who could be at risk.")
    taker.get_by_role("button", name="Save the minutes").click()
    expect(taker.locator(".govuk-notification-banner")).to_contain_text("Minutes saved")

    taker.get_by_label("What needs to be done").fill("Health visitor to see Ruby weekly")
    taker.get_by_label("Who will do it").select_option(label="Hana Visitor, Northshire Health Visiting")
    due = date.today() + timedelta(days=14)
    taker.locator("#action-due_date-day").fill(str(due.day))
    taker.locator("#action-due_date-month").fill(str(due.month))
    taker.locator("#action-due_date-year").fill(str(due.year))
    taker.get_by_role("button", name="Add the action").click()
    taker.get_by_label("What life should be like for the child").fill("Ruby is cared for every day")
    taker.get_by_label("Today's score (0 to 10)").fill("4")
    taker.get_by_role("button", name="Add the goal").click()
    taker.get_by_role("button", name="Send to the chair for approval").click()
    expect(taker.locator(".govuk-notification-banner")).to_contain_text("sent to the chair for approval")

    page.goto(f"{base}/minutes/{occurrence.id}/edit")
    page.get_by_label("What needs to change").fill("Add the reason for the decision about Dean.")
    page.get_by_role("button", name="Ask for the change").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("asked for the change")

    taker.goto(f"{base}/minutes/{occurrence.id}/edit")
    assert "Add the reason for the decision about Dean." in taker.locator(".govuk-warning-text").inner_text()
    taker.get_by_role("textbox", name="Decisions, with reasons").fill("The core group continues. Reason: risks not reduced; "
                                                       "nobody has met Dean.")
    taker.get_by_role("button", name="Save the minutes").click()
    taker.get_by_role("button", name="Send to the chair for approval").click()

    page.goto(f"{base}/minutes/{occurrence.id}/edit")
    page.get_by_role("button", name="Approve the minutes").click()
    page.get_by_role("button", name="Publish the minutes").click()
    expect(page.get_by_role("heading", name="Minutes, version 1")).to_be_visible()
    axe.check("published minutes")
    send_all()
    published = [m for m in smtp_server.messages if "minutes published" in m["message"]["Subject"]]
    assert sorted(m["to"][0] for m in published) == ["chair@council.test", "hv@nhs.test", "lead@council.test"]
    email_body = published[0]["message"].get_body(preferencelist=("plain",)).get_content()
    assert "Harrow" not in email_body and "Ruby" not in email_body
    link = re.search(r"http://\S+/v1", email_body).group(0)

    partner, partner_axe = new_page(page, "hv@nhs.test")
    partner.goto("/families" + link.split("/families", 1)[1])
    partner.get_by_role("button", name="I have read these minutes").click()
    expect(partner.locator(".govuk-notification-banner")).to_contain_text("acknowledgement is recorded")
    partner.get_by_role("link", name=re.compile("Ask for a correction")).click()
    partner.get_by_label("Section").select_option(label="Decisions, with reasons")
    partner.get_by_label("What is wrong, and what it should say").fill("The health visitor saw Ruby alone.")
    partner.get_by_role("button", name="Ask for the correction").click()
    partner_axe.check("minutes after asking for a correction")

    page.goto(link.replace(live_server, ""))
    acknowledged = page.locator("ul", has_text="Hana Visitor").first.inner_text()
    assert "read" in acknowledged
    page.get_by_role("link", name="decide").click()
    axe.check("decide a correction")
    page.get_by_label("Accept: publish a corrected version").check()
    page.get_by_label("The corrected text of the section").fill(
        "The core group continues. Reason: risks not reduced; nobody has met Dean. The health visitor saw Ruby alone.")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("heading", name="Minutes, version 2")).to_be_visible()
    assert "Added: The core group continues. Reason: risks not reduced; nobody has met Dean. The health visitor saw Ruby alone." \
        in page.locator("main").inner_text()
    axe.check("version 2 with the difference")
    page.goto(f"{base}/minutes/{occurrence.id}/v1")
    assert "Superseded" in page.locator(".govuk-warning-text").first.inner_text()

    page.goto(f"{base}/minutes/{occurrence.id}/v2/family-copy")
    copy = page.locator("main").inner_text()
    assert "Kelly's mood and an unknown visitor" not in copy
    assert "What we are worried about: It names a source who could be at risk." in copy
    axe.check("family copy")

    with app.app_context():
        from coordinator.meetings.models import Occurrence

        row = db.session.get(Occurrence, later.id)
        row.starts_at = row.starts_at - timedelta(days=27)  # the next meeting has now taken place (test time travel)
        row.ends_at = row.ends_at - timedelta(days=27)
        db.session.commit()
    taker.goto(f"{base}/minutes/{later.id}/edit")
    review = taker.locator("form", has_text="Save the review").inner_text()
    assert "Health visitor to see Ruby weekly" in review
    taker_axe.check("next meeting's minutes with the open action")
    taker.context.close()
    partner.context.close()


def test_demo_family_page_charts_scores_across_meetings(app, page, axe):
    from coordinator.demo import load_demo
    from coordinator.families.models import Family

    load_demo(PASSWORD)
    reference = db.session.scalar(db.select(Family.reference).where(Family.family_name == "Harrow"))
    browser_sign_in(page, "lead@demo.invalid", PASSWORD)
    page.goto(f"/families/{reference}")
    charts = page.locator("svg[role='img']")
    assert charts.count() >= 3  # the goals, and each child's safety scales
    goal_table = page.locator("table", has_text="Goal scores at each meeting: the figures")
    assert goal_table.locator("tbody tr").count() >= 3
    axe.check("demo family page with charts")
