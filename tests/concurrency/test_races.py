"""Two people saving the same record at the same instant, over real HTTP against the served application,
released together by a barrier, ROUNDS times for each kind of record: never a server error, never a
silent overwrite. Of two saves made from the same revision exactly one is saved; the other person is
shown what was saved beside what they typed, and the database holds the winner's text."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from coordinator.extensions import db
from tests.concurrency.conftest import ROUNDS, assert_no_server_error, together


def fresh(model, id_):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, id_)


def one_saved(responses) -> tuple[int, int]:
    """(winner, loser) of two saves from the same revision: exactly one was saved."""
    assert_no_server_error(responses)
    saved = [n for n, response in enumerate(responses) if response.saved]
    assert len(saved) == 1, [(r.status, r.page.text[:300]) for r in responses]
    return saved[0], 1 - saved[0]


def shown_side_by_side(response, label: str, saved: str, yours: str) -> None:
    """The loser's page: an error, the form kept, the question compared with the winner's answer."""
    page = response.page
    assert response.status == 200 and page.title.startswith("Error: "), (response.status, page.title)
    assert page.conflict()[label] == (saved, yours), page.conflict()


def race_a_field(browsers, url: str, field: str, label: str, stored, rounds: int = ROUNDS) -> None:
    """Two people open ``url``'s form, type different text into ``field`` and save at the same instant."""
    for n in range(rounds):
        forms = [browser.form(url) for browser in browsers]
        texts = [f"Round {n}: typed by person {who}" for who in range(len(browsers))]
        for form, text in zip(forms, texts, strict=True):
            form[field] = [text]
        responses = together(*[lambda b=b, f=f, url=url: b.post(url, f) for b, f in zip(browsers, forms, strict=True)])
        winner, loser = one_saved(responses)
        shown_side_by_side(responses[loser], label, texts[winner], texts[loser])
        assert stored() == texts[winner], n


# --- the family record ------------------------------------------------------------------------------------

def test_the_family_details(team, browser_for):
    from coordinator.families.models import Family

    lead = [browser_for(team.lead), browser_for(team.lead)]  # one lead, two browsers
    race_a_field(lead, f"/families/{team.ref}/edit", "address", "Address",
                 lambda: fresh(Family, team.family.id).address)


def test_a_child(team, browser_for):
    from coordinator.families.models import Child

    lead = [browser_for(team.lead), browser_for(team.lead)]
    race_a_field(lead, f"/families/{team.ref}/children/{team.child.id}/edit", "school_or_setting",
                 "School, nursery or setting (optional)", lambda: fresh(Child, team.child.id).school_or_setting)


def test_a_household_member(team, browser_for):
    from coordinator.families.models import HouseholdMember

    people = [browser_for(team.lead), browser_for(team.member)]
    race_a_field(people, f"/families/{team.ref}/household/{team.mother.id}/edit", "concern_notes",
                 "Notes about the concerns", lambda: fresh(HouseholdMember, team.mother.id).concern_notes)


def test_adding_and_removing_the_same_professional(team, browser_for, make_user):
    """Both add the same person to the network at once: one membership, the other told so. Then both
    remove it at once: one removal, with its reason, the other told so."""
    from coordinator.families.models import NetworkMembership

    police = make_user("pc@police.test", "Pat Constable", agency_name="Northshire Police")
    lead = [browser_for(team.lead), browser_for(team.lead)]
    add = f"/families/{team.ref}/network/add"
    for n in range(ROUNDS):
        forms = [browser.form(add) for browser in lead]
        for form, who in zip(forms, "AB", strict=True):
            form.update({"email": [police.email], "role": ["MEMBER"], "reason": [f"Round {n}: added by {who}"]})
        responses = together(*[lambda b=b, f=f: b.post(add, f) for b, f in zip(lead, forms, strict=True)])
        winner, loser = one_saved(responses)
        assert "Pat Constable is already in this family's network" in responses[loser].page.summary_errors().values()
        db.session.rollback()
        current = db.session.scalars(select(NetworkMembership).where(
            NetworkMembership.user_id == police.id, NetworkMembership.removed_at.is_(None))).all()
        assert [m.reason_for_sharing for m in current] == [f"Round {n}: added by {'AB'[winner]}"]

        remove = f"/families/{team.ref}/network/{current[0].id}/remove"
        forms = [browser.form(remove) for browser in lead]
        for form, who in zip(forms, "AB", strict=True):
            form["reason"] = [f"Round {n}: removed by {who}"]
        responses = together(*[lambda b=b, f=f, remove=remove: b.post(remove, f) for b, f in zip(lead, forms, strict=True)])
        winner, loser = one_saved(responses)
        assert "This person is no longer in the network" in responses[loser].page.summary_errors().values()
        assert fresh(NetworkMembership, current[0].id).removed_reason == f"Round {n}: removed by {'AB'[winner]}"


# --- meetings -------------------------------------------------------------------------------------------

def test_moving_the_same_meeting(team, browser_for):
    from coordinator.meetings.models import MeetingSeries, Occurrence

    series = team.world.series
    meeting = sorted(series.occurrences, key=lambda o: o.starts_at)[0]
    url = f"/families/{team.ref}/meetings/{meeting.id}/move"
    lead = [browser_for(team.lead), browser_for(team.lead)]
    revision = series.revision
    for n in range(ROUNDS):
        forms = [browser.form(url) for browser in lead]
        places = [f"Round {n}: room {who}" for who in "AB"]
        for form, place, minute in zip(forms, places, ("10", "40"), strict=True):
            form.update({"location": [place], "new_time": [f"11:{minute}"], "notify": ["no"]})
        responses = together(*[lambda b=b, f=f, url=url: b.post(url, f) for b, f in zip(lead, forms, strict=True)])
        winner, loser = one_saved(responses)
        shown_side_by_side(responses[loser], "Place (if different)", places[winner], places[loser])
        assert fresh(Occurrence, meeting.id).location == places[winner]
        revision += 1
        assert fresh(MeetingSeries, series.id).revision == revision  # one change a round, never two


# --- agencies' updates ------------------------------------------------------------------------------------

def _colleague(team, make_user):
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole

    colleague = make_user("hv2@nhs.test", "Harper Visitor", agency_name="Health visiting")
    families.add_to_network(team.family, colleague, NetworkRole.MEMBER, reason="Health visitor", actor=team.lead)
    db.session.commit()
    return colleague


def test_first_drafts_of_the_same_update(team, browser_for, make_user):
    """Two health visitors start their agency's update at the same instant: one draft, not two."""
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, Recurrence, SeriesEnd
    from coordinator.submissions.models import Submission
    from coordinator.submissions.services import ensure_requests

    colleague = _colleague(team, make_user)
    schedule = meetings.Schedule(MeetingType.PROFESSIONALS, team.meetings[-1].starts_at.date() + timedelta(days=60),
                                 team.meetings[0].starts_at.time(), 60, Recurrence.WEEKLY, 1, SeriesEnd.AFTER_COUNT,
                                 count=ROUNDS)
    series = meetings.create_series(team.family, schedule, actor=team.lead, chair=team.chair, minute_taker=None,
                                    invitees=[team.member], notify=False)
    db.session.flush()
    requests = [next(r for r in ensure_requests(o) if r.agency_id == team.member.agency_id)
                for o in sorted(series.occurrences, key=lambda o: o.starts_at)]
    db.session.commit()
    assert len(requests) == ROUNDS
    visitors = [browser_for(team.member), browser_for(colleague)]
    for n, request in enumerate(requests):
        url = f"/families/{team.ref}/updates/{request.id}/steps/worries"  # the update is written in steps
        forms = [browser.form(url) for browser in visitors]
        texts = [f"Round {n}: first draft by {who}" for who in "AB"]
        for form, text in zip(forms, texts, strict=True):
            form.update({"worries": [text], "continue": ["1"]})
        responses = together(*[lambda b=b, f=f, url=url: b.post(url, f) for b, f in zip(visitors, forms, strict=True)])
        winner, loser = one_saved(responses)
        shown_side_by_side(responses[loser], "What are you worried about?", texts[winner], texts[loser])
        db.session.rollback()
        drafts = db.session.scalars(select(Submission).where(Submission.request_id == request.id)).all()
        assert [d.fields["worries"] for d in drafts] == [texts[winner]]


def test_drafts_and_amendments_of_the_same_update(team, browser_for, make_user):
    """Saves of a step, first of the draft and then of an amendment of the submitted update; and two
    submissions of the same update at the same instant (from check your answers): one new version a round."""
    from coordinator.submissions.forms import step_of
    from coordinator.submissions.models import Submission, SubmissionVersion
    from tests.submissions.conftest import complete_answers, send_requests

    colleague = _colleague(team, make_user)
    request = send_requests(team.world)["Health visiting"]
    url = f"/families/{team.ref}/updates/{request.id}"
    step = f"{url}/steps/worries"
    visitors = [browser_for(team.member), browser_for(colleague)]
    by_step: dict[str, dict] = {}
    for name, value in complete_answers(team.world).items():
        by_step.setdefault(step_of(name), {})[name] = value if isinstance(value, list) else [str(value)]
    for slug, answers in by_step.items():  # the rest of the update, answered once
        form = visitors[0].form(f"{url}/steps/{slug}")
        form.update({**answers, "continue": ["1"]})
        assert visitors[0].post(f"{url}/steps/{slug}", form).saved
    versions = 0
    for n in range(ROUNDS):
        submitted = n >= ROUNDS // 2  # drafts, then amendments of the submitted update
        forms = [browser.form(step) for browser in visitors]
        texts = [f"Round {n}: {'amendment' if submitted else 'draft'} by {who}" for who in "AB"]
        for form, text in zip(forms, texts, strict=True):
            form.update({"worries": [text], "continue": ["1"]})
        responses = together(*[lambda b=b, f=f: b.post(step, f) for b, f in zip(visitors, forms, strict=True)])
        winner, loser = one_saved(responses)
        shown_side_by_side(responses[loser], "What are you worried about?", texts[winner], texts[loser])
        db.session.rollback()
        [update] = db.session.scalars(select(Submission).where(Submission.request_id == request.id)).all()
        written = update.fields.get("__amending__", update.fields) if update.version else update.fields
        assert written["worries"] == texts[winner]
        kept = texts[winner]
        if submitted or n == ROUNDS // 2 - 1:
            checks = [browser.form(f"{url}/check") for browser in visitors]
            for form in checks:
                form["submit"] = ["1"]
            responses = together(*[lambda b=b, f=f: b.post(f"{url}/check", f)
                                   for b, f in zip(visitors, checks, strict=True)])
            winner, loser = one_saved(responses)
            assert responses[loser].page.title.startswith("Error: ")
            assert "changed in another tab or by a colleague" in responses[loser].page.text
            db.session.rollback()
            [update] = db.session.scalars(select(Submission).where(Submission.request_id == request.id)).all()
            versions += 1
            assert update.version == versions  # one new version a round, never two
            assert update.fields["worries"] == kept and "__amending__" not in update.fields
            assert db.session.scalar(select(func.count()).select_from(SubmissionVersion)
                                     .where(SubmissionVersion.submission_id == update.id)) == versions



def test_an_action_updated_by_its_owner_and_the_lead_at_once(team, browser_for):
    from coordinator.minutes import actions as minutes_actions
    from coordinator.minutes import services
    from coordinator.minutes.models import Action, ActionUpdate

    meeting = team.meetings[0]
    services.start_minutes(meeting, team.taker)
    action = minutes_actions.add_action(meeting, actor=team.taker, description="Health visitor to weigh the baby",
                                 owner=team.member, due=meeting.starts_at.date() + timedelta(days=30),
                                 intended_outcome=None)
    db.session.commit()
    url = f"/families/{team.ref}/actions/{action.id}"
    people = [browser_for(team.member), browser_for(team.lead)]
    for n in range(ROUNDS):
        forms = [browser.form(url) for browser in people]
        texts = [f"Round {n}: noted by the {who}" for who in ("owner", "lead")]
        for form, text in zip(forms, texts, strict=True):
            form.update({"status": ["OPEN"], "comment": [text]})
        responses = together(*[lambda b=b, f=f, url=url: b.post(url, f) for b, f in zip(people, forms, strict=True)])
        winner, loser = one_saved(responses)
        shown_side_by_side(responses[loser], "Evidence or comment", texts[winner], texts[loser])
        assert fresh(Action, action.id).evidence == texts[winner]
    db.session.rollback()
    history = db.session.scalars(select(ActionUpdate.comment).where(ActionUpdate.action_id == action.id)).all()
    assert len(history) == ROUNDS + 1  # agreed, then one update a round


def test_a_goal_scored_by_two_people_at_once(team, browser_for):
    from coordinator.minutes import actions as minutes_actions
    from coordinator.minutes import services
    from coordinator.minutes.models import GoalScore

    first, second = team.meetings[:2]
    services.start_minutes(first, team.taker)
    goal = minutes_actions.add_goal(first, actor=team.taker, description="The baby is fed and warm every day")
    db.session.commit()
    url = f"/families/{team.ref}/minutes/{second.id}/edit"
    editors = [browser_for(team.taker), browser_for(team.chair)]
    form = editors[0].form(url)
    assert editors[0].post(url, {**form, "intent": ["save"]}).saved  # the minutes as the form writes them
    for n in range(ROUNDS):
        forms = [browser.form(url) for browser in editors]
        scores = [str(n % 11), str((n + 5) % 11)]
        for form, score in zip(forms, scores, strict=True):
            form.update({f"score-{goal.id}": [score], "intent": ["scores"]})
        responses = together(*[lambda b=b, f=f, url=url: b.post(url, f) for b, f in zip(editors, forms, strict=True)])
        winner, loser = one_saved(responses)
        page = responses[loser].page
        assert any("Someone else scored the goal" in m for m in page.summary_errors().values())
        assert page.value(f"score-{goal.id}") == scores[loser]  # kept, to press again if still right
        db.session.rollback()
        assert db.session.scalars(select(GoalScore.score).where(GoalScore.goal_id == goal.id,
                                                                GoalScore.occurrence_id == second.id)).all() == [
            int(scores[winner])]


# --- administration ---------------------------------------------------------------------------------------

def test_two_administrators_adding_the_same_agency_in_different_case(team, browser_for, make_user):
    from coordinator.agencies.models import Agency

    second_admin = make_user("admin2@council.test", "Ade Admin", admin=True)
    admins = [browser_for(team.admin), browser_for(second_admin)]
    for n in range(ROUNDS):
        names = [f"Northshire Youth Service {n}", f"NORTHSHIRE YOUTH SERVICE {n}"]
        forms = [browser.form("/admin/agencies/new") for browser in admins]
        for form, name in zip(forms, names, strict=True):
            form.update({"name": [name], "kind": ["OTHER"]})
        responses = together(*[lambda b=b, f=f: b.post("/admin/agencies/new", f) for b, f in zip(admins, forms, strict=True)])
        winner, loser = one_saved(responses)
        assert "An agency with this name already exists" in responses[loser].page.summary_errors().values()
        assert responses[loser].page.value("name") == names[loser]
        db.session.rollback()
        assert db.session.scalars(select(Agency.name).where(func.lower(Agency.name) == names[0].lower())).all() == [
            names[winner]]


def test_two_administrators_editing_the_same_agency(team, browser_for, make_user):
    from coordinator.agencies.models import Agency

    second_admin = make_user("admin2@council.test", "Ade Admin", admin=True)
    agency_id = team.member.agency_id
    race_a_field([browser_for(team.admin), browser_for(second_admin)], f"/admin/agencies/{agency_id}", "name",
                 "Agency name", lambda: fresh(Agency, agency_id).name)


def test_two_administrators_adding_the_same_email_in_different_case(team, browser_for, make_user):
    from coordinator.auth.models import User

    second_admin = make_user("admin2@council.test", "Ade Admin", admin=True)
    admins = [browser_for(team.admin), browser_for(second_admin)]
    for n in range(ROUNDS):
        emails = [f"new.worker{n}@council.test", f"New.Worker{n}@COUNCIL.test"]
        forms = [browser.form("/admin/users/new") for browser in admins]
        for form, email, who in zip(forms, emails, "AB", strict=True):
            form.update({"name": [f"New Worker {who}"], "email": [email], "agency_id": [str(team.lead.agency_id)],
                         "role": ["PRACTITIONER"], "send_invite": []})
        responses = together(*[lambda b=b, f=f: b.post("/admin/users/new", f) for b, f in zip(admins, forms, strict=True)])
        winner, loser = one_saved(responses)
        assert "A user with this email address already exists" in responses[loser].page.summary_errors().values()
        db.session.rollback()
        assert db.session.scalars(select(User.name).where(func.lower(User.email) == emails[0].lower())).all() == [
            f"New Worker {'AB'[winner]}"]


def test_two_administrators_editing_the_same_user(team, browser_for, make_user):
    from coordinator.auth.models import User

    second_admin = make_user("admin2@council.test", "Ade Admin", admin=True)
    race_a_field([browser_for(team.admin), browser_for(second_admin)], f"/admin/users/{team.member.id}",
                 "job_title", "Job title", lambda: fresh(User, team.member.id).job_title)


# --- decisions taken twice at the same instant ----------------------------------------------------------------

def _button(browser, page_url: str, action: str) -> dict[str, list[str]]:
    """The payload of the page's form that posts to ``action`` (a button form), as shown."""
    from tests.support.pages import payload_of, posting_forms

    response = browser.get(page_url)
    assert response.status == 200, (page_url, response.status)
    return payload_of(next(f for f in posting_forms(response.page) if f.attrs.get("action", "").endswith(action)))


def test_a_person_an_agency_reported_added_and_declined_at_once(team, browser_for):
    """A double click on "Add to the household", or the lead's two tabs adding and declining: the person is
    added once or not at all, and the proposal's state says which."""
    import json

    from coordinator.families.models import HouseholdMember
    from coordinator.submissions import services as updates
    from coordinator.submissions.models import HouseholdProposal, ProposalState
    from tests.submissions.conftest import complete_answers, send_requests

    request = send_requests(team.world)["Health visiting"]
    submission = updates.save(request, team.member, complete_answers(team.world), submit=True,
                              expected_revision=None)
    db.session.commit()
    lead = [browser_for(team.lead), browser_for(team.lead)]
    page = f"/families/{team.ref}"
    for n in range(ROUNDS):
        name = f"Round {n} visitor"
        proposal = HouseholdProposal(family_id=team.family.id, submission_id=submission.id, slot=100 + n,
                                     data=json.dumps({"name": name, "presence": "VISITS", "source": "SEEN"}))
        db.session.add(proposal)
        db.session.commit()
        decisions = ("accept", "accept") if n % 2 == 0 else ("accept", "decline")
        forms = [_button(browser, page, f"/proposals/{proposal.id}/{decision}")
                 for browser, decision in zip(lead, decisions, strict=True)]
        urls = [f"/families/{team.ref}/proposals/{proposal.id}/{decision}" for decision in decisions]
        responses = together(*[lambda b=b, u=u, f=f: b.post(u, f) for b, u, f in zip(lead, urls, forms, strict=True)])
        assert_no_server_error(responses)
        decided = fresh(HouseholdProposal, proposal.id)
        added = db.session.scalars(select(HouseholdMember).where(HouseholdMember.family_id == team.family.id,
                                                                 HouseholdMember.name == name)).all()
        assert decided.state is not ProposalState.PENDING, n
        assert len(added) == (1 if decided.state is ProposalState.ACCEPTED else 0), (n, decided.state, len(added))
        assert decided.member_id == (added[0].id if added else None)


def test_a_meeting_recorded_as_held_as_it_is_cancelled(team, browser_for):
    """The lead's two tabs: one records the meeting as held, the other cancels it. The one that comes second
    is refused, and the meeting is what the one that came first said."""
    from sqlalchemy import update

    from coordinator.meetings.models import Occurrence, OccurrenceStatus

    meeting = team.meetings[1]
    lead = [browser_for(team.lead), browser_for(team.lead)]
    show = f"/families/{team.ref}/meetings/{meeting.id}"
    cancel = f"{show}/cancel"
    for n in range(ROUNDS):
        db.session.execute(update(Occurrence).where(Occurrence.id == meeting.id)
                           .values(status=OccurrenceStatus.SCHEDULED, cancel_reason=None))
        db.session.commit()
        held_form = _button(lead[0], show, "/held")
        cancel_form = lead[1].form(cancel)
        cancel_form.update({"reason": [f"Round {n}: the family moved away"], "notify": ["no"]})
        held, cancelled = together(lambda f=held_form: lead[0].post(f"{show}/held", f),
                                   lambda f=cancel_form: lead[1].post(cancel, f))
        assert_no_server_error([held, cancelled])
        status = fresh(Occurrence, meeting.id).status
        assert status in (OccurrenceStatus.HELD, OccurrenceStatus.CANCELLED), n
        assert cancelled.saved == (status is OccurrenceStatus.CANCELLED), (n, status, cancelled.status)


def test_the_chair_and_the_minute_taker_opening_new_minutes_at_once(team, browser_for):
    """Both click "Write the minutes" for a meeting with none yet: both get the editor, of the one copy."""
    from sqlalchemy import delete

    from coordinator.minutes.models import Minutes, MinutesRevision

    meeting = team.meetings[1]
    url = f"/families/{team.ref}/minutes/{meeting.id}/edit"
    editors = [browser_for(team.chair), browser_for(team.taker)]
    for n in range(ROUNDS):
        db.session.execute(delete(MinutesRevision).where(MinutesRevision.minutes_id.in_(
            select(Minutes.id).where(Minutes.occurrence_id == meeting.id))))
        db.session.execute(delete(Minutes).where(Minutes.occurrence_id == meeting.id))
        db.session.commit()
        responses = together(*[lambda b=b: b.get(url) for b in editors])
        assert_no_server_error(responses)
        assert [r.status for r in responses] == [200, 200], n
        assert all(r.page.heading.startswith("Minutes:") for r in responses)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Minutes)
                                 .where(Minutes.occurrence_id == meeting.id)) == 1
