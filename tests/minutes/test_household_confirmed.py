"""What the meeting and the agencies say of the household reaches the record without losing what was known:
a confirmation at the meeting never downgrades a sighting, and a person an agency reports as new is dated
by when the agency saw them (or was told of them), not by when it sent its update."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.families import services as families
from coordinator.families.models import HouseholdMember, Presence, Sex, SightingKind
from tests.minutes.helpers import give_update, meeting_day, open_page, published


def test_confirming_the_household_at_the_meeting_never_downgrades_a_sighting(team, client_for):
    meeting = team.meetings[0]
    day = meeting_day(meeting)
    # Known to the social worker, by report, for months; the school saw the mother three days before the
    # meeting; nobody has seen her partner.
    mother, father = (families.add_member(team.family, actor=team.lead, relationships={}, name=name, sex=sex,
                                          presence=Presence.LIVES_IN, source_kind=SightingKind.TOLD_OF,
                                          source_agency_id=team.lead.agency_id,
                                          first_recorded_on=day - timedelta(days=90))
                      for name, sex in (("Amy Stone", Sex.FEMALE), ("Rob Stone", Sex.MALE)))
    families.record_sighting(mother, actor=team.school, kind=SightingKind.SEEN, on=day - timedelta(days=3),
                             note="At the school gate")
    db.session.commit()
    mother_id, father_id = mother.id, father.id
    published(team, meeting, **{f"household-{mother_id}": "confirmed", f"household-{father_id}": "confirmed"})
    db.session.expire_all()
    mother, father = db.session.get(HouseholdMember, mother_id), db.session.get(HouseholdMember, father_id)
    last = families.last_confirmation(mother)
    assert (last.kind, last.seen_on, last.agency.name) == (SightingKind.SEEN, day - timedelta(days=3), "Oakfield Primary")
    assert [s.note for s in mother.sightings].count("Confirmed at the meeting") == 0
    last = families.last_confirmation(father)  # told of at the meeting: the best there is for him
    assert (last.kind, last.seen_on, last.note) == (SightingKind.TOLD_OF, day, "Confirmed at the meeting")

    page = open_page(client_for(team.lead), team.family_page)
    row = [r for r in page.table_rows(page.section("Everyone else")) if r[0] == "Amy Stone"][0]
    assert "(seen, Oakfield Primary)" in row[4] and "told of" not in row[4]


def test_a_new_person_is_dated_by_when_the_agency_saw_them(app, team, client_for):
    from coordinator.submissions import services as updates

    meeting = team.meetings[-1]
    seen = meeting_day(meeting) - timedelta(days=20)  # seen on a visit ten days before the update was sent
    give_update(meeting, team.member, {"new-1-description": "Man in his 20s with a dog", "new-1-sex": "MALE",
                                       "new-1-presence": "VISITS", "new-1-source": "SEEN",
                                       "new-1-seen_on": seen.isoformat()})
    proposal = updates.pending_proposals(team.family)[0]
    lead = client_for(team.lead)
    assert f"seen on {families.long_date(seen)}" in open_page(lead, team.family_page).text
    updates.accept_proposal(proposal, actor=team.lead)
    db.session.commit()
    member = db.session.scalar(select(HouseholdMember).order_by(HouseholdMember.id.desc()).limit(1))
    assert member.display_name == "Unknown man 1"
    assert [(s.kind, s.seen_on) for s in member.sightings] == [(SightingKind.SEEN, seen)]

    # The update form asks for the date.
    request = next(r for r in updates.ensure_requests(meeting) if r.agency_id == team.school.agency_id)
    page = open_page(client_for(team.school), f"/families/{team.ref}/updates/{request.id}/steps/household")
    assert page.find("input", name="new-1-seen_on") is not None
    assert "When you saw them, or were told of them" in page.text
