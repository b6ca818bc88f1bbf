"""A session that runs out while an update is being written: what was typed is kept with the draft and shown
again after signing in."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.audit.models import AuditEvent
from coordinator.extensions import db
from coordinator.submissions.models import Submission, SubmissionRequest, SubmissionStatus
from coordinator.timeutil import today
from tests.conftest import sign_in
from tests.families.helpers import Page
from tests.submissions.conftest import (
    complete_answers,
    day_fields,
    first_meeting,
    fresh,
    pack_url,
    post_update,
    save_step,
    send_requests,
    signed_in,
    step_url,
    submit_update,
    update_url,
)

IDLE_MINUTES = 5


def go_idle(client) -> None:
    """Move the session's last activity back beyond the idle limit."""
    with client.session_transaction() as session:
        session["seen"] = int(session["seen"]) - (IDLE_MINUTES + 1) * 60


def test_a_post_after_the_session_ran_out_keeps_what_was_typed_until_signing_in_again(app, team):
    app.config["SESSION_IDLE_MINUTES"] = IDLE_MINUTES
    request = send_requests(team.world)["Health visiting"]
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    assert save_step(client, url, "appointments", {"engagement_observed": "Nobody answered at the agreed time."}
                     ).status_code == 302
    page = Page(client.get(step_url(url, "children")))
    seen = today() - timedelta(days=1)
    typed = {
        f"child-{team.child.id}-last_seen": day_fields(seen),
        f"child-{team.child.id}-where": "At clinic; a man's boots by the door at home.",
        f"child-{team.child.id}-contacts": "3",
    }

    go_idle(client)
    response = save_step(client, url, "children", typed, page=page)
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/sign-in")
    sign_in_page = Page(client.get(response.headers["Location"]))
    assert any("What you typed has been kept: sign in again to carry on." in b for b in sign_in_page.banners())
    assert client.get(url).status_code == 302  # signed out

    # Kept with a draft (nothing submitted, nothing proposed for the household).
    [submission] = fresh(SubmissionRequest, request.id).submissions
    assert submission.status is SubmissionStatus.DRAFT and submission.version == 0
    kept = submission.fields["__unsaved__"]
    assert kept[f"child-{team.child.id}-where"] == [typed[f"child-{team.child.id}-where"]]
    assert kept[f"child-{team.child.id}-last_seen"] == day_fields(seen)
    assert submission.fields["engagement_observed"] == "Nobody answered at the agreed time."
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update_kept_on_timeout")).all()
    assert event.actor_id == team.member.id and event.object_id == str(submission.id)

    # Signing in again goes straight back to the step, showing what was typed.
    response = sign_in(client, team.member.email)
    assert response.headers["Location"].endswith(step_url(url, "children"))
    assert Page(client.get(step_url(url, "worries"))).banners() == []  # only on the step it was typed on
    page = Page(client.get(step_url(url, "children")))
    assert any("You were signed out while writing: what you had typed was kept" in b for b in page.banners())
    for name, value in typed.items():
        if isinstance(value, list):
            assert [n.attrs.get("value") for n in page.find_all("input", name=name)] == value
        else:
            assert page.value(name) == value, name

    # Saving the step keeps what was typed (and the kept copy goes); finishing it off submits it all.
    assert save_step(client, url, "children", {}, page=page).status_code == 302
    answers = complete_answers(team.world, scale="3")
    answers.pop(f"child-{team.child.id}-where")
    assert post_update(client, url, answers).status_code == 302
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    assert submission.status is SubmissionStatus.SUBMITTED and submission.version == 1
    assert "__unsaved__" not in submission.fields
    assert submission.fields["engagement_observed"] == "Nobody answered at the agreed time."
    assert submission.fields[f"child-{team.child.id}-where"] == typed[f"child-{team.child.id}-where"]
    assert submission.fields[f"child-{team.child.id}-last_seen"] == seen.isoformat()


def test_a_timed_out_amendment_does_not_change_the_submitted_update(app, team):
    app.config["SESSION_IDLE_MINUTES"] = IDLE_MINUTES
    request = send_requests(team.world)["Health visiting"]
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    assert post_update(client, url, complete_answers(team.world, worries="As submitted.")).status_code == 302
    page = Page(client.get(step_url(url, "worries")))

    go_idle(client)
    response = save_step(client, url, "worries", {"worries": "An amendment typed slowly."}, page=page)
    assert response.headers["Location"].split("?")[0].endswith("/sign-in")

    # The chair still reads the submitted version.
    [submission] = fresh(SubmissionRequest, request.id).submissions
    assert submission.version == 1 and submission.fields["worries"] == "As submitted."
    pack = Page(signed_in(app, team.lead).get(pack_url(team.world, first_meeting(team.world))))
    assert "As submitted." in pack.text and "typed slowly" not in pack.text

    sign_in(client, team.member.email)
    page = Page(client.get(step_url(url, "worries")))
    assert page.value("worries") == "An amendment typed slowly."
    assert save_step(client, url, "worries", {}, page=page).status_code == 302
    assert fresh(Submission, submission.id).version == 1  # kept beside it until submitted
    assert submit_update(client, url).status_code == 302
    submission = fresh(Submission, submission.id)
    assert submission.version == 2 and submission.fields["worries"] == "An amendment typed slowly."
