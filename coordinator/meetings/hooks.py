"""The meetings area's part in the families area (coordinator.families.signals): when each family last met,
its next meeting and overdue series on "My families", and its meetings on the family page."""
from flask import render_template
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.families import signals as families
from coordinator.hooks import fills, on
from coordinator.meetings import queries as meeting_queries
from coordinator.meetings import services as meeting_services
from coordinator.meetings import todo as _todo  # noqa: F401 - connects its part of the to-do list
from coordinator.meetings.models import MeetingSeries, SeriesStatus


@on(families.last_meeting_dates)
def last_meeting_dates(sender, family_ids):
    return meeting_queries.last_meeting_dates(family_ids)


@on(families.caseload_facts)
def caseload_facts(sender, family_ids):
    return {family_id: families.CaseloadFacts(
        tags=[families.Tag("Meetings overdue")] if entry["overdue"] else [],
        next_meeting=entry["next"])
        for family_id, entry in meeting_queries.caseload_meetings(family_ids).items()}


@fills("family.sections", priority=10)
def family_meetings(family, **context):
    return render_template("meetings/_family_section.html", family=family,
                           meetings=meeting_queries.caseload_meetings([family.id])[family.id])


@on(families.family_closed)
def end_the_family_series(family, actor, **_):
    """A closed family meets no more: each of its running series ends now, and its invitees' calendars are
    sent the cancellation of every meeting still to come (the feed drops them too)."""
    for series in db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == family.id,
                                                                 MeetingSeries.status == SeriesStatus.ACTIVE)).all():
        meeting_services.end_series(series, actor=actor)


@on(families.member_left)
def withdraw_their_invitations(family, user, actor, **_):
    """Someone removed from the network is taken off the family's running series at once: sent the
    cancellation, gone from their feed, sent no later change."""
    for series in db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == family.id,
                                                                 MeetingSeries.status == SeriesStatus.ACTIVE)).all():
        meeting_services.withdraw_invitations(series, {user.id}, actor=actor)


@on(families.partner_invited)
def invite_the_partner(family, user, actor, **_):
    """A partner the lead invited is invited to the family's running meetings, and sent the invitations."""
    for series in db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == family.id,
                                                                 MeetingSeries.status == SeriesStatus.ACTIVE)):
        meeting_services.change_invitees(series, [i.user for i in series.current_invitees] + [user], actor=actor)
