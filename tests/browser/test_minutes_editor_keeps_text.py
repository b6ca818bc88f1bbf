"""Nothing typed into the minutes is lost, whichever button of the editor is pressed: the chair types into
the minutes before every button (the review, an action refused and then added, a goal, the scores, the
decisions summary, sending, asking for a change, approving, publishing) and finds the text each time,
saved. Leaving the page with unsaved text asks first. axe checks the editor."""
from datetime import date, time, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from coordinator.extensions import db
from tests.browser.conftest import browser_sign_in, wait_for_frontend
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def second_meeting(app, make_user):
    """A core group whose first meeting agreed an action and a goal; the second meeting has just been held."""
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole, PlanType, Sex
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from coordinator.minutes import actions as minutes_actions
    from coordinator.minutes import services as minutes

    lead = make_user("lead@council.test", "Lee Lead")
    chair = make_user("chair@council.test", "Chris Chair")
    partner = make_user("hv@nhs.test", "Hana Visitor", agency_name="Northshire Health Visiting")
    family = families.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    reason_for_sharing="Allocated social worker")
    families.add_child(family, actor=lead, name="Ruby Harrow", date_of_birth=date.today() - timedelta(days=150),
                       sex=Sex.FEMALE)
    families.add_to_network(family, chair, NetworkRole.CHAIR, reason="Chair", actor=lead)
    families.add_to_network(family, partner, NetworkRole.MEMBER, reason="Health visitor", actor=lead)
    schedule = meetings.Schedule(MeetingType.CORE_GROUP, date.today() - timedelta(days=15), time(10, 0), 90,
                                 Recurrence.WEEKLY, 2, SeriesEnd.AFTER_COUNT, count=2)
    series = meetings.create_series(family, schedule, actor=lead, chair=chair, minute_taker=lead,
                                    invitees=[lead, partner], notify=False, allow_past=True)
    db.session.flush()
    first, second = sorted(series.occurrences, key=lambda o: o.starts_at)
    minutes.start_minutes(first, lead)
    minutes_actions.add_action(first, actor=lead, description="Health visitor to weigh Ruby weekly", owner=partner,
                       due=date.today() - timedelta(days=2), intended_outcome=None)
    goal = minutes_actions.add_goal(first, actor=lead, description="Ruby is fed and warm every day")
    minutes_actions.score_goal(goal, first, actor=lead, score=3)
    db.session.commit()
    return family, second


def worries(page):
    return page.get_by_role("textbox", name="What we are worried about")


def test_every_button_of_the_editor_keeps_what_was_typed(app, page, axe, second_meeting):
    from coordinator.minutes.models import Minutes

    family, meeting = second_meeting
    editor = f"/families/{family.reference}/minutes/{meeting.id}/edit"
    browser_sign_in(page, "chair@council.test", PASSWORD)
    page.goto(editor)
    axe.check("minutes editor")

    def saved_worries() -> str:
        db.session.expire_all()
        text = db.session.query(Minutes).filter_by(occurrence_id=meeting.id).one().fields["worries"]
        return text.replace("\r\n", "\n")  # a browser sends a textarea's line ends as CR LF

    typed = []

    def type_then_press(button: str, before=None, banner: str | None = None):
        text = f"Worry noted before pressing {button!r}."
        typed.append(text)
        worries(page).fill("\n".join(typed))
        if before:
            before()
        page.get_by_role("button", name=button).click()
        if banner:
            expect(page.locator(".govuk-notification-banner")).to_contain_text(banner)
        expect(worries(page)).to_have_value("\n".join(typed))
        assert saved_worries() == "\n".join(typed), button

    def review():
        page.get_by_role("radio", name="Done", exact=True).check()
        page.get_by_label("Evidence or comment").fill("Weighed every Monday")

    type_then_press("Save the review", review, "Review of 1 action(s) saved")

    # An action with no description is refused beside its form; the minutes above it are saved all the same.
    type_then_press("Add the action")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Describe the action")
    axe.check("editor with an action refused")

    def action():
        page.get_by_label("What needs to be done").fill("Social worker to meet Dean")
        page.get_by_label("Who will do it").select_option(label="Lee Lead, Test Children's Services")
        due = date.today() + timedelta(days=14)
        page.locator("#action-due_date-day").fill(str(due.day))
        page.locator("#action-due_date-month").fill(str(due.month))
        page.locator("#action-due_date-year").fill(str(due.year))

    type_then_press("Add the action", action, "Action added")

    def goal():
        page.get_by_label("What life should be like for the child").fill("Ruby sees a doctor when unwell")
        page.get_by_label("Today's score (0 to 10)").fill("5")

    type_then_press("Add the goal", goal, "Goal added")
    type_then_press("Save the scores", lambda: page.get_by_label(
        "Ruby is fed and warm every day: score today (0 to 10)").fill("4"), "Scores saved")
    type_then_press("Send the decisions summary to attendees", None, "decisions summary has been sent")
    type_then_press("Send to the chair for approval", None, "sent to the chair for approval")
    type_then_press("Ask for the change", lambda: page.get_by_label("What needs to change").fill("Say who visits"),
                    "asked for the change")
    type_then_press("Send to the chair for approval", None, "sent to the chair for approval")

    # Leaving with unsaved text asks first; staying keeps it.
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    wait_for_frontend(page)
    worries(page).press("Control+End")
    worries(page).press_sequentially(" Typed, not saved.")  # typed as keys: a person's input
    page.get_by_role("link", name="All minutes").click()
    expect(worries(page)).to_have_value("\n".join(typed) + " Typed, not saved.")
    assert dialogs == ["beforeunload"]
    assert urlsplit(page.url).path == editor
    page.remove_listener("dialog", answer)

    type_then_press("Approve the minutes", None, "Approved")
    text = "Worry noted before pressing 'Publish the minutes'."
    typed.append(text)
    worries(page).fill("\n".join(typed))
    page.get_by_role("button", name="Publish the minutes").click()
    # A change after approval needs approving again: the text is saved and the chair is told, not published.
    expect(page.locator(".govuk-error-summary")).to_contain_text("approve the minutes before they are published")
    expect(worries(page)).to_have_value("\n".join(typed))
    assert saved_worries() == "\n".join(typed)
    page.get_by_role("button", name="Send to the chair for approval").click()
    page.get_by_role("button", name="Approve the minutes").click()
    page.get_by_role("button", name="Publish the minutes").click()
    expect(page.get_by_role("heading", name="Minutes, version 1")).to_be_visible()
    for line in typed:
        expect(page.locator("main")).to_contain_text(line)
    axe.check("published minutes")


def test_text_typed_into_minutes_published_meanwhile_is_shown_to_copy(app, page, axe, second_meeting):
    """The chair has the editor open at 320 px while the minutes are approved and published elsewhere; what
    they then type and save is not added to published minutes, and not lost from sight either: it is shown
    beside what was published, with the way to ask for a correction."""
    from coordinator.auth.models import User
    from coordinator.minutes import services as minutes

    family, meeting = second_meeting
    page.set_viewport_size({"width": 320, "height": 800})
    browser_sign_in(page, "chair@council.test", PASSWORD)
    page.goto(f"/families/{family.reference}/minutes/{meeting.id}/edit")
    worries(page).fill("Ruby's weight has dropped again.")
    page.get_by_role("button", name="Save the minutes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Minutes saved")

    db.session.expire_all()
    lead, chair = (db.session.query(User).filter_by(email=email).one()
                   for email in ("lead@council.test", "chair@council.test"))
    record = minutes.minutes_for(meeting)
    minutes.send_for_approval(record, actor=lead)
    minutes.approve(record, actor=chair)
    minutes.publish(record, actor=chair)
    db.session.commit()

    worries(page).fill("Ruby's weight has dropped again. Dean was at the home on Friday.")
    page.get_by_role("button", name="Save the minutes").click()
    expect(page.get_by_role("heading", name="What you typed after the minutes were published")).to_be_visible()
    typed = page.locator("#typed-worries")
    expect(typed).to_contain_text("Dean was at the home on Friday.")  # theirs, to copy
    expect(typed.locator("p").first).to_have_text("Ruby's weight has dropped again.")  # what was published
    expect(page.get_by_role("link", name="ask the chair for a correction")).to_be_visible()
    axe.check("minutes published while the chair was writing, 320 px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
