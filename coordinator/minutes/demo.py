"""Demo minutes for the Harrow family's four held meetings: published (the second corrected to version 2),
actions in every status, two goals whose scores rise, and the latest minutes waiting for the health
visitor's acknowledgement."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.auth.services import existing_user
from coordinator.extensions import db
from coordinator.families.models import Family
from coordinator.meetings.models import MeetingSeries, OccurrenceStatus
from coordinator.minutes import actions as minutes_actions
from coordinator.minutes import services
from coordinator.minutes.models import ActionDecision, ActionStatus, Minutes

GOALS = [  # each child's own goal
    ("Ruby is cared for every day by adults who meet her needs and keep her safe", [3, 4, 5, 5], "Ruby Harrow"),
    ("Jack gets to school on time, fed and rested", [4, 4, 6, 7], "Jack Harrow"),
]


def load_demo_minutes() -> None:
    harrow = db.session.scalar(select(Family).where(Family.family_name == "Harrow"))
    if harrow is None or db.session.scalar(select(Minutes.id).where(Minutes.family_id == harrow.id)):
        return
    series = db.session.scalar(select(MeetingSeries).where(MeetingSeries.family_id == harrow.id))
    if series is None:
        return
    lead, chair = existing_user("lead@demo.invalid"), existing_user("chair@demo.invalid")
    health, school = existing_user("health@demo.invalid"), existing_user("school@demo.invalid")
    held = [o for o in series.occurrences if o.status is OccurrenceStatus.HELD]
    goals, actions = [], {}
    for n, occurrence in enumerate(held):
        minutes = services.start_minutes(occurrence, lead)
        content = minutes.fields
        content.update({
            "parents_status": "told",
            "parents": "A professionals meeting: Kelly was told it was taking place and of its outcome by her social worker.",
            "household": "Kelly, Ruby and Jack live at the address. Dean Carter, Ruby's father, visits; no agency has seen him.",
            "child_view": "Jack says he likes school and 'mum is sad a lot'. Ruby is too young to give a view: she is "
                          "smiley and settled with Kelly at visits.",
            "worries": "Kelly's mental health; Dean Carter's offending history and his role in the home; Jack's hunger.",
            "strengths": "Kelly engages with the health visitor; Ruby is gaining weight; Jack's attendance is improving.",
            "needs": "Someone must meet Dean Carter; Jack needs breakfast; Kelly needs perinatal mental health support.",
            "decisions": f"Meeting {n + 1}: the core group continues every four weeks. Reason: the risks are not reduced.",
            "contingency": "If Kelly's mental health deteriorates, the social worker arranges a strategy discussion.",
        })
        if n == len(held) - 1:  # the latest minutes keep the worries from the family's copy, with the reason
            content["worries"] += " A neighbour told the school of shouting late at night."
            content.update({"not_for_family": ["worries"],
                            "withheld_reason": "Names a neighbour who spoke to the school in confidence."})
        for invitee in series.current_invitees:
            content[f"attendance-{invitee.user_id}"] = content.get(f"attendance-{invitee.user_id}") or "present"
        services.save(minutes, content, actor=lead, expected_revision=minutes.revision)
        due = occurrence.day + timedelta(days=14)
        if n == 0:
            children = {child.name: child.id for child in harrow.children}
            for description, _, child in GOALS:
                goal = minutes_actions.add_goal(occurrence, actor=lead, description=description)
                goal.child_id = children[child]
                goals.append(goal)
            actions["hv"] = minutes_actions.add_action(occurrence, actor=lead, description="Health visitor to see Ruby every week",
                                                owner=health, due=due, intended_outcome="Ruby's care is seen, not reported")
            actions["school"] = minutes_actions.add_action(occurrence, actor=lead, description="School to offer Jack a breakfast club place",
                                                    owner=school, due=due, intended_outcome="Jack starts the day fed")
            actions["dean"] = minutes_actions.add_action(occurrence, actor=lead, description="Social worker to meet Dean Carter",
                                                  owner=lead, due=due, intended_outcome="Dean's role in the home is known")
        if n == 1:
            minutes_actions.update_action(actions["hv"], actor=lead, status=ActionStatus.DONE,
                                   comment="Seen weekly since the last meeting", reviewed_at=occurrence)
            # Not done: carried forward, still the social worker's, with a new date (it stays owned and,
            # once that date passes, overdue).
            minutes_actions.update_action(actions["dean"], actor=lead, status=ActionStatus.NOT_DONE,
                                          comment="Two visits, no answer", reviewed_at=occurrence,
                                          decision=ActionDecision.CARRIED, new_due=due, new_owner=lead)
            actions["hearing"] = minutes_actions.add_action(occurrence, actor=lead, owner=health, due=due,
                                                            description="Health visitor to arrange a hearing test for Ruby",
                                                            intended_outcome="Ruby's hearing is known to be fine")
        if n == 2:
            minutes_actions.update_action(actions["school"], actor=lead, status=ActionStatus.NOT_POSSIBLE,
                                   comment="The breakfast club closed; free school meals arranged instead",
                                   reviewed_at=occurrence)
            # Not done and no longer needed: closed with a reason, once the chair approved.
            minutes_actions.update_action(actions["hearing"], actor=lead, status=ActionStatus.NOT_DONE,
                                          comment="Ruby's hearing was checked at her one-year review instead",
                                          reviewed_at=occurrence, decision=ActionDecision.CLOSURE_ASKED)
            minutes_actions.decide_closure(actions["hearing"], actor=chair, approve=True)
            minutes_actions.add_action(occurrence, actor=lead, description="Refer Kelly to the perinatal mental health team",
                                owner=lead, due=held[-1].day + timedelta(weeks=8),
                                intended_outcome="Kelly has support for her mood")
        for goal, (_, scores, _child) in zip(goals, GOALS, strict=True):
            minutes_actions.score_goal(goal, occurrence, actor=lead, score=scores[n])
        services.send_decisions_summary(minutes, actor=lead)
        services.send_for_approval(minutes, actor=lead)
        services.approve(minutes, actor=chair)
        version = services.publish(minutes, actor=chair)
        db.session.flush()
        for person in services.distribution(occurrence):
            if n == len(held) - 1 and person.id == health.id:
                continue  # the latest minutes wait for the health visitor's acknowledgement
            services.acknowledge(version, person)
        if n == 1:
            correction = services.request_correction(version, health, section="decisions",
                                                     text="The reason should say the health visitor has not seen Dean.")
            services.decide_correction(correction, actor=chair, accept=True,
                                       new_text=content["decisions"] + " No agency has seen Dean Carter.",
                                       note="Agreed: added.")
    db.session.commit()
