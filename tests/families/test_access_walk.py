"""Walks every route in the URL map as five people and checks each answer against the route's declared
access rule. A route added without a rule, or whose answers do not match its rule, fails here."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit


from coordinator.core import access_rule
from coordinator.extensions import db
from tests.families.conftest import act_as

PERSONAS = ["anonymous", "outsider", "member", "lead", "admin"]

# What each person gets, by rule: "signin" (redirect to sign-in), "allowed", "403", "404",
# or "break_glass" (an administrator is asked for a reason first).
EXPECTED = {
    "public": dict(anonymous="allowed", outsider="allowed", member="allowed", lead="allowed", admin="allowed"),
    "signed_in": dict(anonymous="signin", outsider="allowed", member="allowed", lead="allowed", admin="allowed"),
    "admin": dict(anonymous="signin", outsider="403", member="403", lead="403", admin="allowed"),
    "family:attend": dict(anonymous="signin", outsider="404", member="allowed", lead="allowed", admin="break_glass"),
    "family:read": dict(anonymous="signin", outsider="404", member="allowed", lead="allowed", admin="break_glass"),
    "family:attend+writer": dict(anonymous="signin", outsider="404", member="allowed", lead="403", admin="break_glass"),
    "family:read+chair": dict(anonymous="signin", outsider="404", member="403", lead="allowed", admin="break_glass"),
    "family:contribute": dict(anonymous="signin", outsider="404", member="allowed", lead="allowed", admin="403"),
    "family:manage": dict(anonymous="signin", outsider="404", member="403", lead="allowed", admin="403"),
    "family:manage:closed-ok": dict(anonymous="signin", outsider="404", member="403", lead="allowed", admin="403"),
    "token": dict(anonymous="404", outsider="404", member="404", lead="404", admin="404"),
    "family:break-glass": dict(anonymous="signin", outsider="404", member="404", lead="404", admin="allowed"),
}


def _url_values(world, outbox_message_id, request_id=None, submission_id=None, proposal_id=None):
    return {
        "ref": world.family.reference,
        "child_id": world.child.id,
        "member_id": world.person.id,
        "membership_id": world.member_membership.id,
        "user_id": world.member.id,
        "agency_id": world.member.agency_id,
        "message_id": outbox_message_id,
        "token": "not-a-real-token",
        "filename": "js/app.mjs",
        "series_id": world.series.id,
        "occurrence_id": world.series.occurrences[0].id,
        "request_id": request_id,
        "submission_id": submission_id,
        "proposal_id": proposal_id,
    }


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


def test_every_route_answers_each_person_as_its_rule_says(app, world):
    from coordinator.notify.mime import Email
    from coordinator.notify.services import enqueue

    app.config["WTF_CSRF_ENABLED"] = False  # access is under test here, not forgery protection
    message = enqueue("walk-test", Email(to="x@partnership.test", subject="s", text="t"), kind="test")
    db.session.commit()
    from coordinator.submissions import services as updates

    occurrence = world.series.occurrences[0]
    requests = {r.agency_id: r for r in updates.ensure_requests(occurrence)}
    health_request = requests[world.member.agency_id]
    health_request.state = updates.RequestState.OPEN
    submission = updates.save(health_request, world.member, {"new-1-description": "A man with a red van",
                                                             "new-1-presence": "VISITS", "new-1-source": "SEEN"},
                              submit=True, expected_revision=None)
    db.session.commit()
    proposal = updates.pending_proposals(world.family)[0]
    from coordinator.minutes import services as minutes_services

    minutes = minutes_services.start_minutes(occurrence, world.lead)
    action = minutes_services.add_action(occurrence, actor=world.lead, description="See the baby weekly",
                                         owner=world.member, due=occurrence.starts_at.date() + timedelta(days=14),
                                         intended_outcome="Ruby is seen")
    minutes_services.send_decisions_summary(minutes, actor=world.lead)
    minutes_services.send_for_approval(minutes, actor=world.lead)
    minutes_services.approve(minutes, actor=world.lead)
    version = minutes_services.publish(minutes, actor=world.lead)
    correction = minutes_services.request_correction(version, world.member, section="decisions", text="Add the date")
    db.session.commit()
    values = _url_values(world, message.id, health_request.id, submission.id, proposal.id)
    values.update(number=version.number, correction_id=correction.id, action_id=action.id)
    people = {"outsider": world.outsider, "member": world.member, "lead": world.lead, "admin": world.admin}

    undeclared, mismatches, walked = [], [], 0
    for rule in app.url_map.iter_rules():
        declared = access_rule(app, rule.endpoint)
        if declared is None:
            undeclared.append(f"{rule.rule} ({rule.endpoint})")
            continue
        assert declared in EXPECTED, f"{rule.endpoint}: unknown access rule {declared!r}"
        missing = [arg for arg in rule.arguments if arg not in values]
        assert not missing, f"{rule.rule}: give the access walk a value for {missing}"
        url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for persona in PERSONAS:
                client = app.test_client()
                if persona != "anonymous":
                    act_as(client, people[persona])
                response = client.open(url, method=method, data={})
                response.close()
                got = _outcome(response)
                want = EXPECTED[declared][persona]
                walked += 1
                if got != want:
                    mismatches.append(f"{method} {url} [{declared}] as {persona}: got {got} "
                                      f"({response.status_code}), expected {want}")
    assert not undeclared, "routes with no access decision:\n" + "\n".join(undeclared)
    assert not mismatches, "\n".join(mismatches)
    assert walked > 100


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
