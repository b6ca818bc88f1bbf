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
    send_requests,
    signed_in,
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
    page = Page(client.get(url))
    seen = today() - timedelta(days=1)
    typed = {
        "worries": "Mum's low mood; a man's boots by the door.",
        "engagement_observed": "Nobody answered at the agreed time.",
        f"child-{team.child.id}-last_seen": day_fields(seen),
        f"child-{team.child.id}-scale": "3",
        "new-1-description": "Man with a dog",
    }

    go_idle(client)
    response = post_update(client, url, typed, page=page)
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/sign-in")
    sign_in_page = Page(client.get(response.headers["Location"]))
    assert any("What you typed has been kept: sign in again to carry on." in b for b in sign_in_page.banners())
    assert client.get(url).status_code == 302  # signed out

    # Kept with a draft (nothing submitted, nothing proposed for the household).
    [submission] = fresh(SubmissionRequest, request.id).submissions
    assert submission.status is SubmissionStatus.DRAFT and submission.version == 0
    kept = submission.fields["__unsaved__"]
    assert kept["worries"] == [typed["worries"]]
    assert kept[f"child-{team.child.id}-last_seen"] == day_fields(seen)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update_kept_on_timeout")).all()
    assert event.actor_id == team.member.id and event.object_id == str(submission.id)

    # Signing in again goes straight back to the form, showing what was typed.
    response = sign_in(client, team.member.email)
    assert response.headers["Location"].endswith(url)
    page = Page(client.get(url))
    assert any("You were signed out while writing: what you had typed was kept" in b for b in page.banners())
    for name, value in typed.items():
        if isinstance(value, list):
            assert [n.attrs.get("value") for n in page.find_all("input", name=name)] == value
        else:
            assert page.value(name) == value, name

    # Finishing it off submits what was typed, and the kept copy goes.
    answers = complete_answers(team.world, scale="3", worries=typed["worries"],
                               **{"new-1-presence": "VISITS", "new-1-source": "SEEN"})
    assert post_update(client, url, answers, page=page).status_code == 302
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    assert submission.status is SubmissionStatus.SUBMITTED and submission.version == 1
    assert "__unsaved__" not in submission.fields
    assert submission.fields["engagement_observed"] == "Nobody answered at the agreed time."
    assert submission.fields["new-1-description"] == "Man with a dog"


def test_a_timed_out_amendment_does_not_change_the_submitted_update(app, team):
    app.config["SESSION_IDLE_MINUTES"] = IDLE_MINUTES
    request = send_requests(team.world)["Health visiting"]
    client = signed_in(app, team.member)
    url = update_url(team.world, request)
    assert post_update(client, url, complete_answers(team.world, worries="As submitted.")).status_code == 302
    page = Page(client.get(url))

    go_idle(client)
    response = post_update(client, url, {"worries": "An amendment typed slowly."}, page=page)
    assert response.headers["Location"].split("?")[0].endswith("/sign-in")

    # The chair still reads the submitted version.
    [submission] = fresh(SubmissionRequest, request.id).submissions
    assert submission.version == 1 and submission.fields["worries"] == "As submitted."
    pack = Page(signed_in(app, team.lead).get(pack_url(team.world, first_meeting(team.world))))
    assert "As submitted." in pack.text and "typed slowly" not in pack.text

    sign_in(client, team.member.email)
    page = Page(client.get(url))
    assert page.value("worries") == "An amendment typed slowly."
    assert post_update(client, url, {}, page=page).status_code == 302
    submission = fresh(Submission, submission.id)
    assert submission.version == 2 and submission.fields["worries"] == "An amendment typed slowly."
