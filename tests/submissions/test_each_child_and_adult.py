"""The update asks about each child (a baby as a baby) and each adult: every appointment of each child with
its date, type and outcome; each adult's domestic abuse enquiry beside the concerns on the family record,
kept from the family unless its author shares it. What the parent says is set against what agencies saw.
Updates written before keep being read."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.submissions.models import Submission
from coordinator.timeutil import long_date, today
from tests.families.helpers import Page, field_names
from tests.submissions.conftest import (
    check_url,
    complete_answers,
    day_fields,
    post_update,
    save_step,
    signed_in,
    step_url,
    submit_update,
    update_form_index,
    update_url,
)
from tests.submissions.test_pack import attention, give_update, not_brought, pack_world  # noqa: F401


def add_jack(w):
    from coordinator.families import services as families
    from coordinator.families.models import Sex

    jack = families.add_child(w.family, actor=w.lead, name="Jack Harrow",
                              date_of_birth=today() - timedelta(days=7 * 365), sex=Sex.MALE)
    db.session.commit()
    return jack


def test_a_baby_is_asked_whether_seen_awake_where_she_sleeps_and_held_an_older_child_whether_seen_alone(
        app, pack_world):
    w = pack_world
    jack = add_jack(w)
    ruby = w.child  # five months old
    client = signed_in(app, w.member)
    url = update_url(w.world, w.requests["Health visiting"])
    page = Page(client.get(step_url(url, "children")))
    names = field_names(page, update_form_index(page))
    assert {f"child-{ruby.id}-seen_awake", f"child-{ruby.id}-sleeps", f"child-{ruby.id}-handled"} <= names
    assert f"child-{ruby.id}-seen_alone" not in names
    assert f"child-{jack.id}-seen_alone" in names and f"child-{jack.id}-seen_awake" not in names
    assert "Ruby Harrow is a baby: a baby cannot be seen alone" in page.text
    assert "Was Ruby Harrow awake when you saw them?" in page.text and "Where does Ruby Harrow sleep?" in page.text

    # Submitting asks whether the baby was seen awake, and the older child seen alone.
    post_update(client, url, {"worries": "Nappy rash."}, button="draft")
    response = submit_update(client, url)
    page = Page(client.get(response.headers["Location"].replace("household", "children")))
    errors = page.summary_errors()
    assert errors[f"#child-{ruby.id}-seen_awake"] == "Say whether Ruby Harrow was awake when you saw them"
    assert errors[f"#child-{jack.id}-seen_alone"] == "Say whether Jack Harrow was seen alone"

    # The age is a setting: under four months only, Ruby is asked whether seen alone.
    app.config["BABY_AGE_MONTHS"] = 4
    names = field_names(page := Page(client.get(step_url(url, "children"))), update_form_index(page))
    assert f"child-{ruby.id}-seen_alone" in names and f"child-{ruby.id}-seen_awake" not in names


def test_each_childs_appointments_are_recorded_with_date_type_and_outcome(app, pack_world):
    w = pack_world
    jack = add_jack(w)
    ruby = w.child
    client = signed_in(app, w.member)
    url = update_url(w.world, w.requests["Health visiting"])
    page = Page(client.get(step_url(url, "appointments")))
    assert page.status_code == 200
    for child in (ruby, jack):
        assert f"child-{child.id}-appt-1-date-day" in {n.attrs.get("id") for n in page.find_all("input")}
        assert f"{child.display_name}: appointment 4" in page.text

    # An outcome without a date is refused on submitting; a date to come only for an appointment still to come.
    post_update(client, url, complete_answers(w.world, **{
        f"child-{ruby.id}-seen_awake": "yes", f"child-{jack.id}-seen_alone": "yes", f"child-{jack.id}-scale": "5",
        f"child-{ruby.id}-appt-1-kind": "Health visitor check", f"child-{ruby.id}-appt-1-outcome": "was_not_brought",
    }), button="draft")
    response = submit_update(client, url)
    assert response.headers["Location"].endswith(step_url(url, "appointments") + "?errors=1")
    page = Page(client.get(response.headers["Location"]))
    assert page.summary_errors() == {f"#child-{ruby.id}-appt-1-date": "Enter the date of Ruby Harrow's appointment 1"}

    later = today() + timedelta(days=3)
    response = save_step(client, url, "appointments", {
        f"child-{ruby.id}-appt-1-date": day_fields(later)})
    assert response.status_code == 200
    assert Page(response).summary_errors() == {f"#child-{ruby.id}-appt-1-date": "Date of appointment 1 cannot be in "
                                                                                  "the future"}
    assert save_step(client, url, "appointments", {
        f"child-{ruby.id}-appt-1-date": day_fields(later), f"child-{ruby.id}-appt-1-outcome": "booked"}
    ).status_code == 302
    assert save_step(client, url, "appointments", {
        **not_brought(ruby, 1, today() - timedelta(days=9), "Health visitor check"),
        **not_brought(ruby, 2, today() - timedelta(days=2), "Health visitor clinic"),
        f"child-{jack.id}-appt-1-date": day_fields(today() - timedelta(days=4)),
        f"child-{jack.id}-appt-1-kind": "Dentist", f"child-{jack.id}-appt-1-outcome": "attended",
        "parent_says_appointments": "all_attended"}).status_code == 302
    check = Page(client.get(check_url(url))).text
    assert "Ruby Harrow: Type of appointment 2 Health visitor clinic" in check
    assert "Ruby Harrow: appointment 3" not in check and "Type of appointment 3" not in check  # empty slots left out
    assert submit_update(client, url).status_code == 302

    [submission] = db.session.scalars(select(Submission)).all()
    page = Page(signed_in(app, w.chair).get(f"{url}/submitted/{submission.id}"))
    appointments = page.section("Appointments").text()
    day = long_date(today() - timedelta(days=9))
    assert f"Ruby Harrow: Health visitor check {day}: Was not brought" in appointments
    assert "Jack Harrow: Dentist" in appointments and "Attended" in appointments
    assert "What the parent says That the children went to every appointment" in appointments

    pack = Page(signed_in(app, w.chair).get(w.pack_url))
    on_top = attention(pack)
    assert on_top[0] == (
        "Reported and observed disagree: the parent told Health visiting the children went to every appointment, "
        f"but Health visiting recorded Ruby Harrow was not brought to 2 appointments (Health visitor check on {day}, "
        f"Health visitor clinic on {long_date(today() - timedelta(days=2))})")
    assert "Ruby Harrow was not brought to 2 appointments over 1 meeting (Health visiting)" in on_top


def test_domestic_abuse_is_asked_of_each_adult_beside_their_concerns_and_kept_from_the_family(app, pack_world):
    w = pack_world
    w.father.da_perpetrator = True
    w.father.concern_notes = "Police: domestic abuse of a former partner."
    db.session.commit()
    kelly = next(m for m in w.family.members if m.name == "Kelly Harrow")
    client = signed_in(app, w.member)
    url = update_url(w.world, w.requests["Health visiting"])
    page = Page(client.get(step_url(url, "domestic-abuse")))
    assert [h.text() for h in page.find_all("h2")][:2] == ["Kelly Harrow", "Dean Carter"]
    warning = page.find("div", cls="govuk-warning-text").text()
    assert warning.endswith("Known concerns on the family record: domestic abuse: perpetrator. Police: domestic "
                            "abuse of a former partner.")
    assert "Did you ask Dean Carter about domestic abuse?" in page.text

    # Each adult must be answered about; asked means when, and whether on their own.
    answers = complete_answers(w.world, **{f"da-{kelly.id}-asked": "yes"})
    del answers[f"da-{w.father.id}-asked"]
    post_update(client, url, answers, button="draft")
    response = submit_update(client, url)
    page = Page(client.get(response.headers["Location"]))
    assert page.summary_errors() == {
        f"#da-{kelly.id}-date": "Enter the date you asked Kelly Harrow about domestic abuse",
        f"#da-{kelly.id}-private": "Say whether Kelly Harrow was on their own when you asked",
        f"#da-{w.father.id}-asked": "Say whether you asked Dean Carter about domestic abuse",
    }
    assert save_step(client, url, "domestic-abuse", {
        f"da-{kelly.id}-date": day_fields(today() - timedelta(days=1)), f"da-{kelly.id}-private": "yes",
        f"da-{kelly.id}-outcome": "Says she feels safe.", f"da-{w.father.id}-asked": "no"}).status_code == 302
    assert submit_update(client, url).status_code == 302

    [submission] = db.session.scalars(select(Submission)).all()
    assert submission.marked_not_for_family == [] and submission.not_for_family == ["domestic_abuse"]
    page = Page(signed_in(app, w.chair).get(f"{url}/submitted/{submission.id}"))
    headings = {h.text() for h in page.find_all("h2")}
    assert "Domestic abuse routine enquiry Not for the family" in headings
    enquiry = page.section("Domestic abuse routine enquiry Not for the family").text()
    assert "Kelly Harrow Asked" in enquiry and "on their own. Says she feels safe" in enquiry
    assert "Dean Carter Not asked. Concerns on the family record: domestic abuse: perpetrator" in enquiry

    pack = Page(signed_in(app, w.chair).get(w.pack_url))
    assert "Dean Carter: known concerns on the family record: domestic abuse: perpetrator" in attention(pack)
    assert "No agency asked about domestic abuse" not in attention(pack)

    # The author may share it with the family: then it is not withheld.
    from coordinator.submissions import services

    services.save(w.requests["Health visiting"], w.member, {**submission.fields, "da_share_with_family": "yes"},
                  submit=True, expected_revision=submission.revision)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).not_for_family == []


def test_an_update_written_before_each_child_and_adult_were_asked_about_is_still_read(app, pack_world):
    """Updates stored before: one lived experience and one count of appointments for all the children, one
    domestic abuse enquiry for the family."""
    from coordinator.submissions import services

    w = pack_world
    request = w.requests["Health visiting"]
    old = {"worries": "Earlier worries.", "share_with_family": "yes", "da_asked": "yes",
           "da_date": (today() - timedelta(days=3)).isoformat(), "da_private": "yes", "da_outcome": "Mum feels safe.",
           "appointments_offered": 4, "appointments_attended": 2, "was_not_brought": 2,
           "lived_experience": "Ruby is smiley at home.", "parent_says_appointments": "all_attended",
           f"child-{w.child.id}-seen_alone": "yes", f"child-{w.child.id}-scale": 5}
    submission = services.save(request, w.member, old, submit=True, expected_revision=None)
    db.session.commit()
    page = Page(signed_in(app, w.chair).get(f"{update_url(w.world, request)}/submitted/{submission.id}"))
    assert page.status_code == 200
    assert "Ruby Harrow Ruby is smiley at home." in page.section("Each child's lived experience").text()
    enquiry = page.section("Domestic abuse routine enquiry Not for the family").text()
    assert "The parent (one enquiry for the family) Asked" in enquiry and "Mum feels safe." in enquiry
    assert "Was not brought (all the children) 2" in page.section("Appointments").text()

    pack = Page(signed_in(app, w.chair).get(w.pack_url))
    on_top = attention(pack)
    assert "No agency asked about domestic abuse" not in on_top
    assert "Children were not brought to 2 appointments (Health visiting 2)" in on_top
    assert ("Reported and observed disagree: the parent told Health visiting the children went to every "
            "appointment, but agencies recorded 2 appointments the children were not brought to") in on_top
    assert "Health visiting, for the meeting on" in pack.text and "not brought to 2" in pack.text
