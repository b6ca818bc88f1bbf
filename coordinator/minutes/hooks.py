"""The minutes area's part in the areas below it (coordinator.hooks): overdue actions on "My families",
actions, minutes and outcome charts on the family page, the minutes link on a meeting's page, and an
agency's open actions for its update form."""
from flask import render_template
from sqlalchemy import exists

from coordinator.families import signals as families
from coordinator.hooks import fills, on
from coordinator.meetings import signals as meeting_signals
from coordinator.meetings.models import Occurrence
from coordinator.minutes import actions as minutes_actions
from coordinator.minutes import outcomes as minutes_outcomes
from coordinator.minutes import pack as minutes_pack
from coordinator.minutes import services
from coordinator.minutes import todo as _todo  # noqa: F401 - connects its part of the to-do list
from coordinator.minutes.models import Minutes
from coordinator.submissions.signals import open_actions_for_agency, pack_attention
from coordinator.timeutil import today


@on(families.caseload_facts)
def caseload_facts(sender, family_ids):
    return {family_id: families.CaseloadFacts(tags=[families.Tag(f"{count} action{'s' if count > 1 else ''} overdue")])
            for family_id, count in minutes_actions.overdue_actions_by_family(family_ids).items() if count}


@fills("family.sections", priority=20)
def family_actions_and_outcomes(family, **context):
    return render_template("minutes/_family_sections.html", family=family, overdue=minutes_actions.overdue_actions(family),
                           overdue_minutes=minutes_outcomes.overdue_minutes(family), charts=minutes_outcomes.outcome_charts(family))


@fills("meeting.links", priority=20)
def meeting_minutes(family, occurrence, user, **context):
    return render_template("minutes/_meeting_links.html", family=family, occurrence=occurrence,
                           minutes=services.minutes_for(occurrence), may_edit=services.may_edit(occurrence, user),
                           taken_place=occurrence.day <= today())


@on(open_actions_for_agency)
def open_actions(family, agency_id):
    return minutes_actions.open_actions_for_agency(family, agency_id)


@on(meeting_signals.occurrence_in_use)
def meeting_has_minutes(occurrence, **_):
    """A meeting with minutes started (or actions or goal scores recorded at it) stays, cancelled, when its
    series is cut short: none of that is lost."""
    return services.has_records(occurrence)


@on(meeting_signals.held_elsewhere)
def held_once_minutes_are_started(sender, **_):
    """A meeting whose minutes are started has been held (the minutes record who attended)."""
    return exists().where(Minutes.occurrence_id == Occurrence.id)


@on(pack_attention)
def overdue_actions_in_the_pack(family, occurrence, **_):
    """The pack puts each overdue action, with its owner, among what needs attention."""
    return minutes_pack.overdue_attention(family, occurrence)


@fills("pack.minutes", priority=10)
def pack_actions_decisions_and_goals(family, occurrence, previous, children, **context):
    return render_template("minutes/_pack.html", family=family, actions=minutes_pack.open_actions(family, occurrence),
                           today=today(), decisions=minutes_pack.last_decisions(previous), previous=previous,
                           goals=minutes_pack.goals_by_child(family, children))
