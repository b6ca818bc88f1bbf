"""Issue 5's journey in a real browser: a partner-agency practitioner with no password gets the request by
email, signs in with an emailed code, writes the update step by step (issue 13: a task list, Save and
continue, a draft kept between steps and after leaving, check your answers, a submission with answers
missing sent back to the step that needs them), adds an unknown man and submits; the lead accepts him
into the household; the chair's pack shows him on top and the agency that has not submitted; reminders
went to that agency only. axe checks every page, and every step of the update reflows at 1280 and 320 px
with no sideways scrolling (WCAG 2.2 1.4.10)."""
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


def every_step(page) -> list[tuple[str, str]]:
    """The task list's steps: (title, address)."""
    links = page.locator(".govuk-task-list__link")
    return [(links.nth(n).inner_text(), links.nth(n).get_attribute("href")) for n in range(links.count())]


def reflows(page, axe, label: str) -> None:
    """No sideways scrolling at this width (WCAG 2.2 1.4.10), and axe finds nothing."""
    page.wait_for_load_state("load")
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{label}: {width} px wide in a {inner} px window"
    axe.check(label)


def answer_domestic_abuse(page) -> None:
    """Kelly, the one adult recorded, asked on her own today."""
    page.locator("input[name^='da-'][name$='-asked'][value='yes']").check()
    page.locator("input[id^='da-'][id$='-date-day']").fill(str(datetime.now().day))
    page.locator("input[id^='da-'][id$='-date-month']").fill(str(datetime.now().month))
    page.locator("input[id^='da-'][id$='-date-year']").fill(str(datetime.now().year))
    page.locator("input[name^='da-'][name$='-private'][value='yes']").check()


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

    # The task list: every step, one click from each.
    expect(page.get_by_role("heading", name=re.compile("Your agency's update"))).to_be_visible()
    task_list = page.url
    steps = every_step(page)
    assert [title for title, _ in steps] == [
        "Who lives in or visits the home", "Fathers and male carers", "Contact with each child",
        "Appointments and engagement", "Domestic abuse routine enquiry",
        "Worries, what is working well, what needs to happen", "Each child's lived experience", "Safety scales",
        "Sharing with the family"]
    reflows(page, axe, "task list, 1280 px")
    page.get_by_role("link", name="Who lives in or visits the home").click()
    expect(page.get_by_role("heading", name="Who lives in or visits the home")).to_be_visible()
    expect(page.get_by_text("Step 1 of 9")).to_be_visible()
    expect(page.get_by_text("Kelly Harrow (lives in the home)")).to_be_visible()
    reflows(page, axe, "household step, 1280 px")
    page.get_by_label("Seen", exact=True).first.check()
    page.locator("#new-1-description").fill("Man in his 20s with a dog, answered the door")
    page.locator("input[name='new-1-sex'][value='MALE']").check()
    page.locator("input[name='new-1-presence'][value='VISITS']").check()
    page.get_by_role("button", name="Save and continue").click()
    # Save and continue goes on to the next step, through every one of them.
    for number, (title, _) in enumerate(steps[1:], start=2):
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(page.get_by_text(f"Step {number} of 9")).to_be_visible()
        reflows(page, axe, f"{title}, 1280 px")
        if title == "Worries, what is working well, what needs to happen":
            page.get_by_label("What are you worried about?").fill("Mum's low mood.")
            page.get_by_role("button", name="Save and come back later").click()
            break
        page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your answers have been saved")
    assert page.url == task_list

    # Leaving and coming back: the draft is kept, and the task list says how far it has got.
    page.goto(f"/families/{family.reference}")
    page.goto(task_list)
    expect(page.locator(".govuk-summary-list")).to_contain_text("Draft")
    worries = page.locator(".govuk-task-list__item", has_text="Worries, what is working well")
    expect(worries.locator(".govuk-task-list__status")).to_have_text("Completed")
    household = page.locator(".govuk-task-list__item", has_text="Who lives in or visits the home")
    expect(household.locator(".govuk-task-list__status")).to_have_text("Incomplete")
    worries.get_by_role("link").click()
    assert page.get_by_label("What are you worried about?").input_value() == "Mum's low mood."
    page.goto(task_list)
    page.get_by_role("link", name="Who lives in or visits the home").click()
    assert page.locator("#new-1-description").input_value() == "Man in his 20s with a dog, answered the door"
    assert page.get_by_label("Seen", exact=True).first.is_checked()

    # Check your answers, at 320 px from here on: each step it sends back to, and the answers, reflow.
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(task_list)
    page.get_by_role("button", name="Check your answers and submit").click()
    expect(page.get_by_role("heading", name="Check your answers before you submit")).to_be_visible()
    expect(page.locator(".govuk-summary-card", has_text="Worries, what is working well")).to_contain_text(
        "Mum's low mood.")
    reflows(page, axe, "check your answers, 320 px")
    page.get_by_role("button", name="Submit the update").click()
    # Sent back to the first step that needs more, with the error summary and what was typed.
    expect(page.get_by_role("heading", name="Who lives in or visits the home")).to_be_visible()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Say whether you saw the new person or were told of them" in summary
    assert page.locator("#new-1-description").input_value() == "Man in his 20s with a dog, answered the door"
    reflows(page, axe, "household step with errors, 320 px")
    page.locator("input[name='new-1-source'][value='SEEN']").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Check your answers before you submit")).to_be_visible()
    expect(page.locator(".govuk-summary-card", has_text="Who lives in or visits the home")).to_contain_text(
        "Man in his 20s with a dog")

    answers = {
        # Ruby is a baby: asked whether she was seen awake.
        "Contact with each child": lambda: page.locator("input[name^='child-'][name$='-seen_awake'][value='yes']").check(),
        "Domestic abuse routine enquiry": lambda: answer_domestic_abuse(page),
        "Safety scales": lambda: page.locator("input[name^='child-'][name$='-scale']").fill("4"),
        "Sharing with the family": lambda: page.locator("input[name='share_with_family'][value='yes']").check(),
    }
    for title, answer in answers.items():
        page.get_by_role("button", name="Submit the update").click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        reflows(page, axe, f"{title} with errors, 320 px")
        answer()
        page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_role("heading", name="Check your answers before you submit")).to_be_visible()
    # A Change link opens its step, and Save and continue comes back.
    page.get_by_role("link", name="Change (Each child's lived experience)").click()
    page.get_by_label("Ruby Harrow's lived experience").fill("Ruby smiles at her mum and is clean and fed.")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-summary-card", has_text="Each child's lived experience")).to_contain_text(
        "Ruby smiles at her mum")
    reflows(page, axe, "check your answers, complete, 320 px")
    page.get_by_role("button", name="Submit the update").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your update has been submitted")
    axe.check("submitted update")

    # Every step of the submitted update, at 320 px and at 1280 px.
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        for title, href in steps:
            page.goto(href)
            expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
            reflows(page, axe, f"{title}, submitted, {width} px")
        page.goto(task_list)
        reflows(page, axe, f"task list, submitted, {width} px")
        page.get_by_role("button", name=re.compile("Check your answers")).click()
        reflows(page, axe, f"check your answers, submitted, {width} px")

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
    assert "Unknown man 1" in first  # on the record now: numbered, his description beside the label, not as it
    assert "No update from Northshire Primary School" in attention
    chair_axe.check("pre-meeting pack")
    chair.context.close()
