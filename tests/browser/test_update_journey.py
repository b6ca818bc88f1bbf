"""Issue 5's journey in a real browser: a partner-agency practitioner with no password gets the request by
email, signs in with an emailed code, saves a draft, adds an unknown man and submits; the lead accepts him
into the household; the chair's pack shows him on top and the agency that has not submitted; reminders
went to that agency only. axe checks every page."""
import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from coordinator.extensions import db
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD, send_all

pytestmark = pytest.mark.browser


@pytest.fixture
def meeting(app, make_user):
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole, PlanType, Presence, Relationship, Sex, SightingKind
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from coordinator.meetings.workdays import add_working_days

    lead = make_user("lead@council.test", "Lee Lead")
    chair = make_user("chair@council.test", "Chris Chair")
    partner = make_user("hv@nhs.test", "Hana Visitor", password=None, agency_name="Northshire Health Visiting")
    school = make_user("dsl@school.test", "Sam School", agency_name="Northshire Primary School")
    family = families.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    reason_for_sharing="Allocated social worker")
    baby = families.add_child(family, actor=lead, name="Ruby Harrow",
                              date_of_birth=datetime.now().date() - timedelta(days=150), sex=Sex.FEMALE)
    families.add_member(family, actor=lead, relationships={baby.id: Relationship.MOTHER}, name="Kelly Harrow",
                        sex=Sex.FEMALE, presence=Presence.LIVES_IN, source_kind=SightingKind.SEEN,
                        source_agency_id=lead.agency_id)
    families.add_to_network(family, chair, NetworkRole.CHAIR, reason="Chair", actor=lead)
    for person in (partner, school):
        families.add_to_network(family, person, NetworkRole.MEMBER, reason="Works with the family", actor=lead)
    day = add_working_days(datetime.now().date(), 12)
    schedule = meetings.Schedule(MeetingType.PROFESSIONALS, day, time(10, 0), 90, Recurrence.WEEKLY, 6,
                                 SeriesEnd.AFTER_COUNT, count=3, location="Family centre",
                                 online_link="https://video.example/join/abc")
    series = meetings.create_series(family, schedule, actor=lead, chair=chair, minute_taker=lead,
                                    invitees=[partner, school], notify=False)
    db.session.commit()
    return family, series.occurrences[0]


def at_nine(day):
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(9), ZoneInfo("Europe/London"))


def test_partner_submits_an_update_that_reaches_the_household_and_the_pack(app, page, axe, smtp_server, meeting):
    from coordinator.submissions import services as updates

    app.config.update(smtp_server.config())
    family, occurrence = meeting
    request_day = updates.send_on_for(occurrence)
    updates.run_requests(at_nine(request_day))
    send_all(at_nine(request_day))
    [request_email] = [m for m in smtp_server.messages if m["to"] == ["hv@nhs.test"]]
    subject = request_email["message"]["Subject"]
    assert re.match(rf"Your update for the professionals meeting \(ref {family.reference}\) on .+ is due by .+", subject)
    body = request_email["message"].get_body(preferencelist=("plain",)).get_content()
    assert "Harrow" not in body and "Ruby" not in body
    link = re.search(r"http://\S+/updates/\d+", body).group(0)

    page.goto("/families" + link.split("/families", 1)[1])
    assert "/sign-in" in page.url
    page.get_by_role("link", name="sign in with a code sent to your email").click()
    page.get_by_label("Email address").fill("hv@nhs.test")
    page.get_by_role("button", name="Email me a code").click()
    send_all()
    code_email = [m for m in smtp_server.messages if m["message"]["Subject"] == "Your sign-in code"][-1]
    code = re.search(r"\b(\d{6})\b", code_email["message"].get_body(preferencelist=("plain",)).get_content()).group(1)
    page.get_by_label("Sign-in code").fill(code)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name=re.compile("Your agency's update"))).to_be_visible()
    expect(page.get_by_text("Kelly Harrow (lives in the home)")).to_be_visible()
    axe.check("update form")
    page.get_by_label("Seen", exact=True).first.check()
    page.get_by_label("What are you worried about?").fill("Mum's low mood.")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Draft saved")
    assert page.get_by_label("What are you worried about?").input_value() == "Mum's low mood."
    axe.check("update form, draft saved")

    page.locator("#new-1-description").fill("Man in his 20s with a dog, answered the door")
    page.locator("input[name='new-1-sex'][value='MALE']").check()
    page.locator("input[name='new-1-presence'][value='VISITS']").check()
    page.locator("input[name='new-1-source'][value='SEEN']").check()
    page.get_by_role("button", name="Submit the update").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Say whether Ruby Harrow was seen alone" in summary
    assert page.locator("#new-1-description").input_value() == "Man in his 20s with a dog, answered the door"
    axe.check("update form with errors")
    page.locator("input[name^='child-'][name$='-seen_alone'][value='yes']").check()
    page.locator("input[name^='child-'][name$='-scale']").fill("4")
    page.locator("input[name='da_asked'][value='yes']").check()
    page.locator("#da_date-day").fill(str(datetime.now().day))
    page.locator("#da_date-month").fill(str(datetime.now().month))
    page.locator("#da_date-year").fill(str(datetime.now().year))
    page.locator("input[name='da_private'][value='yes']").check()
    page.locator("input[name='share_with_family'][value='yes']").check()
    page.get_by_role("button", name="Submit the update").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your update has been submitted")
    axe.check("submitted update")
    page.goto(f"/families/{family.reference}/meetings/{occurrence.id}")
    expect(page.get_by_role("link", name="https://video.example/join/abc")).to_be_visible()
    page.get_by_role("link", name="Write or amend the update").click()
    expect(page.get_by_role("heading", name=re.compile("Your agency's update"))).to_be_visible()
    axe.check("meeting page for an invitee with an update to write")

    # The social worker (the lead, also the minute-taker) sends children's social care's update too.
    from coordinator.auth.services import user_by_email
    from coordinator.submissions.models import SubmissionRequest

    lead_user = user_by_email("lead@council.test")
    own = db.session.scalar(db.select(SubmissionRequest).where(SubmissionRequest.occurrence_id == occurrence.id,
                                                                SubmissionRequest.agency_id == lead_user.agency_id))
    updates.save(own, lead_user, {"worries": "Who else is in the home"}, submit=True, expected_revision=None)
    db.session.commit()

    reminder_day = updates.reminder_days(updates.deadline_for(occurrence))[0]
    updates.run_requests(at_nine(reminder_day))
    send_all(at_nine(reminder_day))
    reminders = [m for m in smtp_server.messages if m["message"]["Subject"].startswith("Reminder:")]
    assert [m["to"] for m in reminders] == [["dsl@school.test"]]

    lead = page.context.browser.new_context(base_url=page.url.split("/families")[0]).new_page()
    browser_sign_in(lead, "lead@council.test", PASSWORD)
    lead.goto(f"/families/{family.reference}")
    assert "Man in his 20s with a dog" in lead.locator(".govuk-inset-text").inner_text()
    lead.get_by_role("button", name=re.compile("Add to the household")).click()
    expect(lead.locator(".govuk-notification-banner")).to_contain_text("added to the household")
    men = lead.locator("table", has_text="Man in his 20s with a dog")
    expect(men).to_be_visible()
    lead.context.close()

    chair = page.context.browser.new_context(base_url=page.url.split("/families")[0]).new_page()
    chair_axe = type(axe)(chair)
    browser_sign_in(chair, "chair@council.test", PASSWORD)
    chair.goto(f"/families/{family.reference}/meetings/{occurrence.id}/pack")
    attention = chair.locator(".app-attention").inner_text()
    first = attention.splitlines()[0]
    assert "Man in his 20s with a dog" in first
    assert "No update from Northshire Primary School" in attention
    chair_axe.check("pre-meeting pack")
    chair.context.close()
