"""Walks every route in the URL map as five people and checks each answer against the route's declared
access rule. A route added without a rule, or whose answers do not match its rule, fails here."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from coordinator.core import access_rule
from coordinator.extensions import db
from tests.families.conftest import act_as
from tests.minutes.conftest import team  # noqa: F401  (the fixture: a family with a chair, a minute-taker, a guest)

# Who walks: nobody signed in; a practitioner outside the family; the family's lead professional; network
# members who are the series' chair, its minute-taker, the health visitor (invited, owner of an action, asked
# for an update) and the school (invited, a different agency); a GP invited by email (a guest); an
# administrator who has not opened the record; a team manager whose team includes the lead (the family is
# on their dashboard, its record is not theirs); the partnership's analyst (no family, ever).
PERSONAS = ["anonymous", "outsider", "lead", "chair", "taker", "member", "school", "guest", "admin", "manager",
            "analyst"]

# What each person gets by the route's need ("signin": sent to sign in; "allowed"; "403"; "404"; "break_glass":
# an administrator asked for a reason first).
NETWORK = dict(lead="allowed", chair="allowed", taker="allowed", member="allowed", school="allowed")
BY_RULE = {
    "public": dict(anonymous="allowed", outsider="allowed", guest="allowed", admin="allowed", **NETWORK),
    "signed_in": dict(anonymous="signin", outsider="allowed", guest="allowed", admin="allowed", **NETWORK),
    # The walk's guest is a GP with an agency; an account made for an email invitation has none (a test below).
    "agency_staff": dict(anonymous="signin", outsider="allowed", guest="allowed", admin="403", **NETWORK),
    "admin": dict(anonymous="signin", outsider="403", guest="403", admin="allowed",
                  **{p: "403" for p in NETWORK}),
    "token": {p: "404" for p in PERSONAS},
    "family:break-glass": dict({p: "404" for p in PERSONAS}, anonymous="signin", admin="allowed"),
    "family:attend": dict(anonymous="signin", outsider="404", guest="allowed", admin="break_glass", **NETWORK),
    "family:read": dict(anonymous="signin", outsider="404", guest="404", admin="break_glass", **NETWORK),
    "family:contribute": dict(anonymous="signin", outsider="404", guest="404", admin="403", **NETWORK),
    "family:manage": dict(anonymous="signin", outsider="404", guest="404", admin="403", lead="allowed",
                          chair="403", taker="403", member="403", school="403"),
}
BY_RULE["family:manage:closed-ok"] = BY_RULE["family:manage"]
for _rule, _answers in BY_RULE.items():
    # Outside the network, the manager is anyone outside it; the analyst too, and creates no family.
    _answers.setdefault("manager", _answers["outsider"])
    _answers.setdefault("analyst", "403" if _rule == "agency_staff" else _answers["outsider"])
BY_RULE["team_manager"] = dict({p: "403" for p in PERSONAS}, anonymous="signin", manager="allowed")
BY_RULE["partnership_analyst"] = dict({p: "403" for p in PERSONAS}, anonymous="signin", analyst="allowed")

# Each predicate: who, of those the need lets through, it refuses, and how. Every predicate a route names
# must be here, so a new one cannot be added without saying whom it lets in.
REFUSED_BY = {
    "may_see_series": {},  # the guest is invited to the walk's series
    "may_see_meeting": {},
    "may_answer_meeting": dict(lead="403"),  # the lead is not invited to the walk's series
    "may_edit_minutes": dict(member="403", school="403"),
    "may_read_minutes": {},
    "may_answer_minutes": {},  # everyone the walk lets read them was sent them (the admin: break glass, below)
    "may_make_family_copy": dict(taker="403", member="403", school="403"),
    "may_decide_correction": dict(lead="403", taker="403", member="403", school="403"),
    "may_update_action": dict(chair="403", taker="403", school="403"),  # the member owns the action
    "may_approve_action_closure": dict(lead="403", taker="403", member="403", school="403"),  # the chair's
    "may_write_update": dict(lead="403", chair="403", taker="403", school="403", guest="403"),  # HV's request
    # Submitted: under the pack's rule (the school, which sent nothing, does not read the health visitor's).
    "may_read_update": dict(guest="404", school="404"),
    "may_allow_several": dict(taker="403", member="403", school="403"),
    # The walk's meeting is past its deadline: the health visitor, who sent an update, may read the pack; the
    # school, which sent none, may not.
    "may_see_pack": dict(school="403"),
}


def expected(rule: str, method: str, persona: str) -> str:
    base, *predicates = rule.split("+")
    outcome = BY_RULE[base][persona]
    if outcome == "break_glass" and method in ("POST", "PUT", "PATCH", "DELETE"):
        return "403"  # break glass is for reading: a change is refused before any reason is asked
    for predicate in predicates:
        if predicate.startswith("change:"):
            if method not in ("POST", "PUT", "PATCH", "DELETE"):
                continue
            predicate = predicate.removeprefix("change:")
        if outcome == "allowed":
            outcome = REFUSED_BY[predicate].get(persona, "allowed")
    return outcome


def _outcome(response) -> str:
    location = urlsplit(response.headers.get("Location", "")).path
    if response.status_code in (301, 302, 303):
        if location == "/sign-in":
            return "signin"
        if "/break-glass" in location:
            return "break_glass"
        return "allowed"
    if response.status_code in (403, 404):
        return str(response.status_code)
    if response.status_code == 500:
        return "500"
    # 200, a form re-shown with errors (200), an expired link (410), a refused empty action (400)
    return "allowed"


def _walk_records(team):
    """One of everything a route can name, in the team's family."""
    from coordinator.minutes import actions as minutes_actions
    from coordinator.minutes import services as minutes
    from coordinator.notify.mime import Email
    from coordinator.notify.services import enqueue
    from coordinator.submissions import services as updates

    message = enqueue("walk-test", Email(to="x@partnership.test", subject="s", text="t"), kind="test")
    occurrence = team.meetings[-1]
    requests = {r.agency_id: r for r in updates.ensure_requests(occurrence)}
    health_request = requests[team.member.agency_id]
    health_request.state = updates.RequestState.OPEN
    submission = updates.save(health_request, team.member, {"new-1-description": "A man with a red van",
                                                            "new-1-presence": "VISITS", "new-1-source": "SEEN"},
                              submit=True, expected_revision=None, now=occurrence.starts_at - timedelta(days=3))
    db.session.commit()
    proposal = updates.pending_proposals(team.family)[0]
    record = minutes.start_minutes(occurrence, team.taker)
    action = minutes_actions.add_action(occurrence, actor=team.taker, description="See the baby weekly", owner=team.member,
                                due=occurrence.day + timedelta(days=14), intended_outcome="Ruby is seen")
    minutes.send_decisions_summary(record, actor=team.taker)
    minutes.send_for_approval(record, actor=team.taker)
    minutes.approve(record, actor=team.chair)
    version = minutes.publish(record, actor=team.chair)
    correction = minutes.request_correction(version, team.member, section="decisions", text="Add the date")
    from coordinator.meetings.models import ProposedTime

    proposed_time = ProposedTime(occurrence_id=occurrence.id, user_id=team.member.id,
                                 starts_at=occurrence.starts_at + timedelta(hours=3),
                                 ends_at=occurrence.ends_at + timedelta(hours=3))
    db.session.add(proposed_time)
    from coordinator.notify.inbound import store
    from coordinator.notify.models import InboundState

    unplaced, _ = store(b"From: someone@elsewhere.test\r\nSubject: hello\r\n\r\nNot about any meeting.\r\n", "walk:1")
    unplaced.state = InboundState.KEPT
    db.session.commit()
    return {
        "ref": team.ref, "child_id": team.child.id, "member_id": team.mother.id,
        "membership_id": team.world.member_membership.id, "user_id": team.member.id,
        "agency_id": team.member.agency_id, "message_id": message.id, "token": "not-a-real-token",
        "filename": "js/app.mjs", "series_id": team.series.id, "occurrence_id": occurrence.id,
        "request_id": health_request.id, "submission_id": submission.id, "proposal_id": proposal.id,
        "number": version.number, "correction_id": correction.id, "action_id": action.id,
        "step": "worries", "proposed_time_id": proposed_time.id, "inbound_message_id": unplaced.id,
    }


CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def _overseers(team) -> tuple:
    """The team manager (their team: the walk's lead) and the partnership's analyst, made once per test."""
    if not hasattr(team, "overseers"):
        from coordinator.auth import services as auth
        from coordinator.auth.models import Role
        from coordinator.oversight.history import make_team

        manager = auth.create_user(email="manager@council.test", name="Mo Manager", agency=team.lead.agency,
                                   role=Role.TEAM_MANAGER, password="walk password 1")
        analyst = auth.create_user(email="analyst@partnership.test", name="Ana Analyst", agency=None,
                                   role=Role.PARTNERSHIP_ANALYST, password="walk password 1")
        db.session.flush()
        make_team("Walk team", team.lead.agency_id, [team.lead.id], [manager.id])
        db.session.commit()
        team.overseers = (manager, analyst)
    return team.overseers


def _people(team) -> dict:
    manager, analyst = _overseers(team)
    return {"outsider": team.outsider, "lead": team.lead, "chair": team.chair, "taker": team.taker,
            "member": team.member, "school": team.school, "guest": team.gp, "admin": team.admin,
            "manager": manager, "analyst": analyst}


def walk(app, values: dict, people: dict, want, prepare=None) -> tuple[int, list[str], list[str], set]:
    """Every route and method as every persona: (requests walked, mismatches against ``want(rule, method,
    persona)``, routes without a rule, the predicates named). ``prepare(client, persona)`` may set up the
    person's browser (signed in already, unless anonymous)."""
    undeclared, mismatches, walked, named = [], [], 0, set()
    for rule in app.url_map.iter_rules():
        declared = access_rule(app, rule.endpoint)
        if declared is None:
            undeclared.append(f"{rule.rule} ({rule.endpoint})")
            continue
        base, *predicates = declared.split("+")
        assert base in BY_RULE, f"{rule.endpoint}: unknown access rule {declared!r}"
        named |= {p.removeprefix("change:") for p in predicates}
        missing = [arg for arg in rule.arguments if arg not in values]
        assert not missing, f"{rule.rule}: give the access walk a value for {missing}"
        url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for persona in people:
                client = app.test_client()
                if persona != "anonymous":
                    act_as(client, people[persona])
                if prepare is not None:
                    prepare(client, persona)
                response = client.open(url, method=method, data={})
                response.close()
                got, expected_answer = _outcome(response), want(declared, method, persona)
                walked += 1
                if got != expected_answer:
                    mismatches.append(f"{method} {url} [{declared}] as {persona}: got {got} "
                                      f"({response.status_code}), expected {expected_answer}")
    return walked, mismatches, undeclared, named


def test_every_route_answers_each_person_as_its_rule_says(app, team):
    app.config["WTF_CSRF_ENABLED"] = False  # access is under test here, not forgery protection
    values = _walk_records(team)
    people = dict.fromkeys(PERSONAS) | _people(team)

    walked, mismatches, undeclared, named = walk(app, values, people, expected)
    assert not undeclared, "routes with no access decision:\n" + "\n".join(undeclared)
    assert not mismatches, "\n".join(mismatches)
    assert named == set(REFUSED_BY), "predicates named by routes and the walk's table differ"
    assert walked > 600


def test_a_closed_family_is_read_only_on_every_route(app, team):
    """Closed, the record reads as before and nothing changes it: every changing request, and every page of
    a route that only contributes or manages, is refused; only reopening (the lead) is left."""
    from coordinator.families import services

    app.config["WTF_CSRF_ENABLED"] = False
    values = _walk_records(team)
    services.close_family(team.family, actor=team.lead, on=team.family.created_at.date(), reason="Case closed")
    db.session.commit()
    people = dict.fromkeys(PERSONAS) | _people(team)

    def expected_when_closed(rule: str, method: str, persona: str) -> str:
        answer = expected(rule, method, persona)
        base = rule.split("+")[0]
        in_network = persona in NETWORK or persona == "guest"
        if (answer == "allowed" and in_network and base.startswith("family:") and not base.endswith("closed-ok")
                and (method in CHANGING or base in ("family:contribute", "family:manage"))):
            return "403"
        return answer

    walked, mismatches, _, _ = walk(app, values, people, expected_when_closed)
    assert not mismatches, "\n".join(mismatches)
    assert walked > 600


def test_break_glass_is_read_only_on_every_route(app, team):
    """An administrator who has opened the record reads every page the network reads, and changes nothing:
    every changing request to the family is refused."""
    from coordinator.families.access import open_break_glass

    app.config["WTF_CSRF_ENABLED"] = False
    values = _walk_records(team)
    open_break_glass(team.family, team.admin, "Subject access request SAR-77")
    db.session.commit()

    def expected_with_break_glass(rule: str, method: str, persona: str) -> str:
        base = rule.split("+")[0]
        if base in ("family:read", "family:attend"):
            return "403" if method in CHANGING else "any"
        return expected(rule, method, "admin")

    walked, mismatches, _, _ = walk(app, values, {"admin": team.admin}, expected_with_break_glass)
    unexpected = [m for m in mismatches if not m.endswith("expected any") or ": got 500" in m
                  or ": got break_glass" in m]
    assert not unexpected, "\n".join(unexpected)
    assert walked > 70


def test_a_member_removed_from_the_network_is_an_outsider_on_every_route(app, team):
    """Removed, the school's designated safeguarding lead gets what anyone outside the family gets, on
    every route (their invitations are withdrawn with their place)."""
    from coordinator.families import services
    from coordinator.families.models import NetworkMembership

    app.config["WTF_CSRF_ENABLED"] = False
    values = _walk_records(team)
    membership = db.session.scalar(db.select(NetworkMembership).where(
        NetworkMembership.family_id == team.family.id, NetworkMembership.user_id == team.school.id))
    services.remove_from_network(membership, actor=team.lead, reason="Left the school")
    db.session.commit()

    walked, mismatches, _, _ = walk(app, values, {"school": team.school},
                                    lambda rule, method, persona: expected(rule, method, "outsider"))
    assert not mismatches, "\n".join(mismatches)
    assert walked > 70


def test_a_cookie_copied_before_signing_out_is_nobody_on_every_route(app, team):
    """Each person's session cookie, copied before they sign out, answers afterwards as if nobody were
    signed in, on every route."""
    from coordinator.auth.models import User

    app.config["WTF_CSRF_ENABLED"] = False
    values = _walk_records(team)
    people = _people(team)
    cookies = {}
    for persona, user in people.items():
        client = app.test_client()
        act_as(client, user)
        cookies[persona] = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        client.get("/sign-out")
        response = client.post("/sign-out", data={})
        assert response.status_code == 302, persona
    db.session.expire_all()
    assert all(db.session.get(User, user.id).session_version > 1 for user in people.values())

    def copied_cookie(client, persona):
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookies[persona], domain="localhost")

    walked, mismatches, _, _ = walk(app, values, people, lambda rule, method, persona: expected(rule, method, "anonymous"),
                                    prepare=copied_cookie)
    assert not mismatches, "\n".join(mismatches)
    assert walked > 600


def test_a_guest_invited_after_a_meeting_is_refused_its_minutes_on_every_route(app, team, make_user):
    """A guest invited to the series after the walk's meeting gets what the invited guest gets, except
    that meeting's minutes: not found, on every route that shows or answers them."""
    from datetime import timedelta

    from coordinator.meetings import services as meetings

    app.config["WTF_CSRF_ENABLED"] = False
    values = _walk_records(team)
    meeting = team.meetings[-1]
    team.series.created_at = team.meetings[0].starts_at - timedelta(days=14)
    late = make_user("late@probation.test", "Lou Late", agency_name="Probation")
    meetings.set_invitees(team.series, [i.user for i in team.series.current_invitees] + [late], actor=team.lead,
                          now=meeting.starts_at + timedelta(hours=3))
    db.session.commit()

    def expected_for_late_guest(rule: str, method: str, persona: str) -> str:
        answer = expected(rule, method, "guest")
        if answer == "allowed" and "may_read_minutes" in rule:
            return "404"
        return answer

    walked, mismatches, _, _ = walk(app, values, {"guest": late}, expected_for_late_guest)
    assert not mismatches, "\n".join(mismatches)
    assert walked > 70


def test_every_predicate_of_every_policy_is_named_by_a_route(app):
    """A predicate written in a policy module and never put on a route enforces nothing."""
    import importlib
    import inspect

    defined = set()
    for area in ("meetings", "submissions", "minutes"):
        module = importlib.import_module(f"coordinator.{area}.policy")
        defined |= {name for name, fn in inspect.getmembers(module, inspect.isfunction)
                    if fn.__module__ == module.__name__ and hasattr(fn, "refusal")}
    on_routes = {p.__name__ for view in app.view_functions.values() for p in getattr(view, "predicates", ())}
    assert defined == on_routes == set(REFUSED_BY)


def test_admin_can_read_a_family_after_stating_a_reason_and_the_lead_sees_it(app, world):
    from tests.conftest import csrf_from

    client = app.test_client()
    act_as(client, world.admin)
    url = f"/families/{world.family.reference}"
    response = client.get(url)
    assert response.status_code == 302 and "/break-glass" in response.headers["Location"]
    page = client.get(f"/families/{world.family.reference}/break-glass")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(f"/families/{world.family.reference}/break-glass",
                           data={"csrf_token": token, "reason": "Subject access request SAR-1234 from the mother"})
    assert response.status_code == 302
    shown = client.get(url).get_data(as_text=True)
    assert "Harrow" in shown and "You opened this record as an administrator" in shown
    # still read-only for the administrator
    assert client.get(f"/families/{world.family.reference}/edit").status_code == 403

    lead = app.test_client()
    act_as(lead, world.lead)
    page = lead.get(url).get_data(as_text=True)
    assert "Subject access request SAR-1234 from the mother" in page
    assert "Ada Admin" in page


def test_closed_family_is_read_only(app, world):
    from coordinator.families import services

    services.close_family(world.family, actor=world.lead, on=world.family.created_at.date(), reason="Case closed")
    db.session.commit()
    for user in (world.lead, world.member):
        client = app.test_client()
        act_as(client, user)
        assert client.get(f"/families/{world.family.reference}").status_code == 200
        assert client.get(f"/families/{world.family.reference}/household/new").status_code == 403
        assert client.get(f"/families/{world.family.reference}/edit").status_code == 403
    lead = app.test_client()
    act_as(lead, world.lead)
    assert lead.get(f"/families/{world.family.reference}/reopen").status_code == 200


def test_removal_from_the_network_ends_access_at_once_and_is_audited(app, world):
    from coordinator.audit.models import AuditEvent
    from coordinator.families import services

    client = app.test_client()
    act_as(client, world.member)
    assert client.get(f"/families/{world.family.reference}").status_code == 200
    assert world.family.reference in client.get("/families").get_data(as_text=True)
    services.remove_from_network(world.member_membership, actor=world.lead, reason="Case transferred to another HV")
    db.session.commit()
    assert client.get(f"/families/{world.family.reference}").status_code == 404
    assert world.family.reference not in client.get("/families").get_data(as_text=True)
    removal = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "network_member_removed"))
    assert removal.family_id == world.family.id and "Case transferred to another HV" in removal.detail


def test_an_account_made_for_an_email_invitation_creates_no_family(app, world):
    """Someone invited to a meeting by email (an account with no agency) sees the meetings they are invited
    to and creates nothing; nor does an administrator."""
    from coordinator.meetings.services import user_for_external

    guest = user_for_external("visitor@elsewhere.test", actor=world.lead)
    db.session.commit()
    for user in (guest, world.admin):
        client = app.test_client()
        act_as(client, user)
        assert client.get("/families/new").status_code == 403
        assert client.post("/families/new", data={"family_name": "Made up"}).status_code in (400, 403)
    lead = app.test_client()
    act_as(lead, world.lead)
    assert lead.get("/families/new").status_code == 200
