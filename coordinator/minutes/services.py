"""Minutes: the working copy, approval, publishing frozen versions, acknowledgements, corrections and the
decisions summary. (The action log and goals are in ``actions``; what the family page charts and flags, in
``outcomes``.) Emails say only that something is there to read, with a link."""
from __future__ import annotations

import difflib
import json
from datetime import date

from flask import current_app
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from coordinator.audit import services as audit
from coordinator.auth.models import User
from coordinator.concurrency import claim_revision, hold_revision
from coordinator.extensions import db
from coordinator.families import services as family_services
from coordinator.families.models import (
    HouseholdMember,
    NetworkMembership,
    NetworkRole,
    SightingKind,
)
from coordinator.meetings import services as meetings_services
from coordinator.meetings.models import (
    InvitationResponse,
    MeetingDeputy,
    Occurrence,
    OccurrenceStatus,
    Response,
)
from coordinator.meetings.workdays import add_working_days
from coordinator.minutes import document
from coordinator.minutes.models import (
    Acknowledgement,
    Action,
    ActionUpdate,
    CorrectionRequest,
    CorrectionState,
    DecisionsSummary,
    Goal,
    GoalScore,
    Minutes,
    MinutesRevision,
    MinutesStatus,
    MinutesVersion,
)
from coordinator.notify.personal import notify_person
from coordinator.notify.services import enqueue_template
from coordinator.submissions.document import summary_for_minutes
from coordinator.timeutil import local_zone, long_date, today, utcnow
from coordinator.todo import spoken_date
from coordinator.urls import external_url

# The text sections of minutes, in the order of ../shared/domain.md.
SECTIONS = {
    "parents": "Parents' involvement",
    "confidentiality": "Confidentiality",
    "household": "Household composition and changes",
    "agencies": "Each agency's information",
    "child_view": "The child's view and lived experience",
    "worries": "What we are worried about",
    "strengths": "What is working well",
    "needs": "What needs to happen",
    "scaling": "Each agency's safety scale",
    "decisions": "Decisions, with reasons",
    "dissent": "Dissent recorded",
    "contingency": "Contingency plan",
}


class MinutesError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class StaleMinutes(MinutesError):
    def __init__(self, message: str, saved: dict):
        super().__init__(message)
        self.saved = saved


# --- roles --------------------------------------------------------------------------------------------

def is_chair(occurrence: Occurrence, user: User) -> bool:
    return occurrence.series.chair_id == user.id


def is_minute_taker(occurrence: Occurrence, user: User) -> bool:
    return occurrence.series.minute_taker_id == user.id


def may_edit(occurrence: Occurrence, user: User) -> bool:
    from coordinator.families.access import is_lead

    return is_chair(occurrence, user) or is_minute_taker(occurrence, user) or is_lead(occurrence.series.family, user)


def may_approve(occurrence: Occurrence, user: User) -> bool:
    """The chair approves. Where the chair is also the minute-taker, only if the setting allows one person
    to do both."""
    series = occurrence.series
    if not is_chair(occurrence, user):
        return False
    if series.chair_id == series.minute_taker_id:
        return bool(current_app.config["MINUTES_ONE_PERSON_MAY_WRITE_AND_APPROVE"])
    return True


# --- the working copy -----------------------------------------------------------------------------------


def minutes_for(occurrence: Occurrence, *, with_versions: bool = False) -> Minutes | None:
    query = select(Minutes).where(Minutes.occurrence_id == occurrence.id)
    if not with_versions:
        return db.session.scalar(query)
    # A meeting's minutes have a few versions: read with them, and each version knows its minutes (so a
    # version kept after the minutes object is gone does not read the minutes and its versions again).
    minutes = db.session.scalars(query.options(joinedload(Minutes.versions))).unique().one_or_none()
    for version in minutes.versions if minutes else []:
        set_committed_value(version, "minutes", minutes)
    return minutes


def start_minutes(occurrence: Occurrence, actor: User) -> Minutes:
    """Open the minutes with attendance from the answers and each agency's update summarised, ready to edit."""
    existing = minutes_for(occurrence)
    if existing is not None:
        return existing
    if occurrence.status is OccurrenceStatus.CANCELLED:
        raise MinutesError("This meeting was cancelled: it has no minutes")
    if occurrence.series.family.is_closed:
        raise MinutesError("This family's record is closed: no minutes can be started")
    _check_taken_place(occurrence, "Minutes can be started from the day of the meeting")
    content = prefill(occurrence)
    minutes = Minutes(occurrence_id=occurrence.id, family_id=occurrence.series.family_id, status=MinutesStatus.DRAFT,
                      content=json.dumps(content, sort_keys=True), revision=1)
    db.session.add(minutes)
    try:
        db.session.flush()
    except IntegrityError:  # opened by someone else at the same instant (one per meeting): theirs is the copy
        db.session.rollback()
        return db.session.scalars(select(Minutes).where(Minutes.occurrence_id == occurrence.id)).one()
    db.session.add(MinutesRevision(minutes_id=minutes.id, revision=1, content=minutes.content, saved_by_id=actor.id))
    audit.record("minutes_started", object_type="minutes", object_id=minutes.id, family_id=minutes.family_id,
                 actor=actor)
    return minutes


def prefill(occurrence: Occurrence) -> dict:
    from coordinator.submissions.pack import latest_submitted

    series = occurrence.series
    family = series.family
    content: dict = {key: "" for key in SECTIONS}
    content["confidentiality"] = current_app.config["MINUTES_CONFIDENTIALITY_TEXT"]
    responses = {r.user_id: r for r in db.session.scalars(
        select(InvitationResponse).where(InvitationResponse.occurrence_id == occurrence.id))}
    submissions = latest_submitted(occurrence.id)
    submitted_agencies = {s.agency_id for s in submissions}
    for invitee in series.current_invitees:
        answer = responses.get(invitee.user_id)
        status = {Response.ATTENDING: "present", Response.DEPUTY: "present", Response.APOLOGIES: "apologies",
                  Response.REPORT_ONLY: "report_received"}.get(answer.response, "") if answer else ""
        if status in ("", "apologies") and invitee.user.agency_id in submitted_agencies:
            status = "report_received" if status == "" else status
        content[document.attendance_key(invitee.user_id)] = status
        content[document.deputy_key(invitee.user_id)] = (answer.deputy_name or "") if answer else ""
    child_ids = [child.id for child in family.children]
    for submission in submissions:
        summary = summary_for_minutes(submission.fields, child_ids,  # what the update says, asked of its area
                                      {child.id: child.display_name for child in family.children})
        content[document.agency_facts_key(submission.agency_id)] = "\n".join(summary.facts)
        content[document.agency_opinion_key(submission.agency_id)] = "\n".join(summary.opinion)
        for child_id, scale in summary.scales.items():
            content[document.scale_key(submission.agency_id, child_id)] = scale
    content["not_for_family"] = []
    content["withheld_reason"] = ""
    return content


STALE_MINUTES = ("Someone else saved these minutes while you were editing. Compare the sections below and choose "
                 "which text to keep.")


def claim(minutes: Minutes, expected_revision: int | None, *, hold: bool = False) -> None:
    """Raise the working copy's revision (a save), or only hold it (``hold``: a step of approval and
    publishing, which then re-reads the state it checks). Either way StaleMinutes, with what is saved now,
    if someone else saved first: a chair cannot approve or publish text that changed after they last saw
    it, and of two clicks on Publish the second finds the minutes published."""
    try:
        (hold_revision if hold else claim_revision)(minutes, expected_revision, StaleMinutes(STALE_MINUTES, saved={}))
    except StaleMinutes as stale:
        stale.saved = minutes.fields  # rolled back: this is what the other person saved
        raise


def save(minutes: Minutes, content: dict, *, actor: User, expected_revision: int) -> bool:
    """Save the working copy; False when nothing changed (no new revision, nothing to approve again)."""
    if minutes.status is MinutesStatus.PUBLISHED:
        raise MinutesError("These minutes are published and can no longer be changed. Ask for a correction instead.")
    if minutes.revision != expected_revision:
        raise StaleMinutes(STALE_MINUTES, saved=minutes.fields)
    text = json.dumps(content, sort_keys=True)
    if text == minutes.content:
        return False
    claim(minutes, expected_revision)
    minutes.content = text
    minutes.updated_at = utcnow()
    if minutes.status is MinutesStatus.APPROVED:
        minutes.status = MinutesStatus.DRAFT  # a change after approval needs approving again
        minutes.approved_by_id = minutes.approved_at = None
    db.session.add(MinutesRevision(minutes_id=minutes.id, revision=minutes.revision, content=minutes.content,
                                   saved_by_id=actor.id))
    audit.record("minutes_saved", object_type="minutes", object_id=minutes.id, family_id=minutes.family_id,
                 actor=actor, detail=f"revision {minutes.revision}")
    return True


def section_differences(mine: dict, saved: dict) -> list[str]:
    return sorted(k for k in set(mine) | set(saved) if (mine.get(k) or "") != (saved.get(k) or ""))


# --- approval and publishing ------------------------------------------------------------------------------

def send_for_approval(minutes: Minutes, *, actor: User, expected_revision: int | None = None) -> None:
    claim(minutes, expected_revision, hold=True)
    if minutes.status is not MinutesStatus.DRAFT:
        raise MinutesError("Only draft minutes can be sent for approval")
    minutes.status = MinutesStatus.AWAITING_APPROVAL
    minutes.change_requested = None
    audit.record("minutes_sent_for_approval", object_type="minutes", object_id=minutes.id,
                 family_id=minutes.family_id, actor=actor)
    occurrence = minutes.occurrence
    chair = occurrence.series.chair
    if chair is not None and chair.id != actor.id:
        ref = occurrence.series.family.reference
        notify_person(chair, "minutes_to_approve", key=f"{minutes.id}:r{minutes.revision}",
                      subject=f"Minutes waiting for your approval: family {ref}",
                      line=f"The minutes of {occurrence.series.meeting_type.in_a_sentence} on "
                           f"{spoken_date(occurrence.day)} (family {ref}) are waiting for your approval.",
                      url=external_url("minutes.edit", ref=ref, occurrence_id=occurrence.id),
                      family_id=minutes.family_id)


def ask_for_change(minutes: Minutes, *, actor: User, note: str, expected_revision: int | None = None) -> None:
    if not may_approve(minutes.occurrence, actor):
        raise MinutesError("Only the chair can ask for changes")
    if not (note or "").strip():
        raise MinutesError("Say what needs to change", "note")
    claim(minutes, expected_revision, hold=True)
    if minutes.status not in (MinutesStatus.AWAITING_APPROVAL, MinutesStatus.APPROVED):
        raise MinutesError("These minutes are not waiting for approval")
    minutes.status = MinutesStatus.DRAFT
    minutes.change_requested = note.strip()
    minutes.approved_by_id = minutes.approved_at = None
    audit.record("minutes_change_requested", object_type="minutes", object_id=minutes.id,
                 family_id=minutes.family_id, actor=actor, detail=note[:400])


def has_records(occurrence: Occurrence) -> bool:
    """Whether anything of the minutes area is about this meeting (minutes, an action or goal agreed or
    reviewed at it, a goal scored at it), in one query."""
    about = [select(Minutes.id).where(Minutes.occurrence_id == occurrence.id),
             select(Action.id).where(Action.agreed_at_id == occurrence.id),
             select(ActionUpdate.id).where(ActionUpdate.reviewed_at_id == occurrence.id),
             select(Goal.id).where(Goal.agreed_at_id == occurrence.id),
             select(GoalScore.id).where(GoalScore.occurrence_id == occurrence.id)]
    return bool(db.session.scalar(select(or_(*(exists(query) for query in about)))))


def _check_taken_place(occurrence: Occurrence, what: str) -> None:
    """Minutes are of a meeting that has taken place: from its day (where it happens) on. Checked here, not
    only on the page, so no route and no meeting moved later lets minutes go out before it."""
    if occurrence.day > today():
        raise MinutesError(f"{what}: it is on {long_date(occurrence.day)}")


def approve(minutes: Minutes, *, actor: User, expected_revision: int | None = None) -> None:
    _check_taken_place(minutes.occurrence, "Minutes can be approved from the day of the meeting")
    if not may_approve(minutes.occurrence, actor):
        raise MinutesError("Only the chair can approve minutes, and not their own unless the service allows one "
                           "person to write and approve")
    claim(minutes, expected_revision, hold=True)
    if minutes.status is not MinutesStatus.AWAITING_APPROVAL:
        raise MinutesError("Minutes must be sent for approval before they are approved")
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_by_id, minutes.approved_at = actor.id, utcnow()
    audit.record("minutes_approved", object_type="minutes", object_id=minutes.id, family_id=minutes.family_id,
                 actor=actor)


def publish(minutes: Minutes, *, actor: User, correction: CorrectionRequest | None = None,
            expected_revision: int | None = None) -> MinutesVersion:
    """Freeze a numbered version and tell the network and attendees, in one transaction: a failure anywhere
    leaves nothing half published and no email queued."""
    _check_taken_place(minutes.occurrence, "Minutes can be published from the day of the meeting")
    if not may_approve(minutes.occurrence, actor):
        raise MinutesError("Only the chair can publish minutes")
    if correction is None:  # a correction has claimed the revision already, with its new text
        claim(minutes, expected_revision, hold=True)
    if minutes.status is MinutesStatus.PUBLISHED and correction is None:
        raise MinutesError("These minutes are already published")
    if minutes.status is not MinutesStatus.APPROVED and correction is None:
        raise MinutesError("The chair must approve the minutes before they are published")
    number = (db.session.scalar(select(func.max(MinutesVersion.number)).where(MinutesVersion.minutes_id == minutes.id))
              or 0) + 1
    occurrence = minutes.occurrence
    version = MinutesVersion(minutes_id=minutes.id, family_id=minutes.family_id, number=number,
                             content=json.dumps(snapshot(minutes), sort_keys=True), published_at=utcnow(),
                             published_by_id=actor.id, correction_id=correction.id if correction else None)
    db.session.add(version)
    minutes.status = MinutesStatus.PUBLISHED
    if number == 1:
        try:
            _apply_household_confirmation(minutes, actor)
            if occurrence.status is not OccurrenceStatus.HELD and occurrence.starts_at <= utcnow():
                meetings_services.mark_held(occurrence, actor=actor)
        except (family_services.FamilyError, meetings_services.MeetingError) as error:
            # Someone changed a person's record or the meeting at this very moment: nothing is published
            # (the transaction is rolled back); the chair sees why and publishes again.
            db.session.rollback()
            raise MinutesError(f"Nothing was published. {error}") from error
    db.session.flush()  # the unique (minutes, number) refuses a second publish racing this one
    for user in distribution(occurrence):
        enqueue_template(f"minutes-published:{version.id}:{user.id}", to=user.email,
                         subject=f"{occurrence.series.meeting_type.label} - ref {occurrence.series.family.reference}: "
                                 f"minutes {'corrected' if number > 1 else 'published'}",
                         template="minutes_published", kind="minutes_published", family_id=minutes.family_id,
                         meeting=occurrence.series.meeting_type.label, reference=occurrence.series.family.reference,
                         day=occurrence.day.strftime("%-d %B %Y"), number=number,
                         url=version_url(version))
    audit.record("minutes_published", object_type="minutes_version", object_id=version.id,
                 family_id=minutes.family_id, actor=actor, detail=f"version {number}")
    return version


def _apply_household_confirmation(minutes: Minutes, actor: User) -> None:
    """What the meeting confirmed about the household reaches the record, with its history."""
    day = minutes.occurrence.day
    for member_id, value in document.MinutesDocument(minutes.fields).household().items():
        member = db.session.get(HouseholdMember, member_id)
        if member is None or member.family_id != minutes.family_id or member.left_on is not None:
            continue
        if value == "confirmed" and not _seen_lately(member, day):
            family_services.record_sighting(member, actor=actor, kind=SightingKind.TOLD_OF, on=day,
                                            note="Confirmed at the meeting")
        elif value == "left":
            family_services.update_member(member, actor=actor, expected_revision=member.revision, left_on=day)


def _seen_lately(member: HouseholdMember, day: date) -> bool:
    """A confirmation at the meeting never downgrades a sighting: someone an agency has seen within the
    unconfirmed period (HOUSEHOLD_UNCONFIRMED_DAYS) keeps that sighting as their last confirmation, rather
    than a later "told of (not seen)" from the meeting."""
    last = family_services.last_confirmation(member)
    days = int(current_app.config["HOUSEHOLD_UNCONFIRMED_DAYS"])
    return last is not None and last.kind is SightingKind.SEEN and 0 <= (day - last.seen_on).days <= days


def distribution(occurrence: Occurrence) -> list[User]:
    """Network members (not guests) and the meeting's invitees who were invited by the time it took place:
    who receives and may read the minutes (a guest invited later was not at it)."""
    family = occurrence.series.family
    on = today()
    people = {m.user_id: m.user for m in db.session.scalars(
        select(NetworkMembership).where(NetworkMembership.family_id == family.id,
                                        NetworkMembership.role != NetworkRole.GUEST,
                                        NetworkMembership.removed_at.is_(None),
                                        NetworkMembership.from_date <= on)
        .options(joinedload(NetworkMembership.user)))
        if m.until_date is None or m.until_date >= on}
    for invitee in occurrence.series.current_invitees:
        if invitee.invited_to(occurrence):
            people.setdefault(invitee.user_id, invitee.user)
    for deputy in db.session.scalars(select(MeetingDeputy).where(MeetingDeputy.occurrence_id == occurrence.id,
                                                                 MeetingDeputy.withdrawn_at.is_(None))
                                     .options(joinedload(MeetingDeputy.deputy))):
        people.setdefault(deputy.deputy_id, deputy.deputy)  # sent in an invitee's place, they were at it
    return sorted((u for u in people.values() if u.active), key=lambda u: u.name)


def version_url(version: MinutesVersion) -> str:
    minutes = version.minutes
    return external_url("minutes.show_version", ref=minutes.occurrence.series.family.reference,
                        occurrence_id=minutes.occurrence_id, number=version.number)


def snapshot(minutes: Minutes) -> dict:
    """Everything a published version shows, frozen as text: the sections, attendance, actions, scores."""
    occurrence = minutes.occurrence
    series, family = occurrence.series, occurrence.series.family
    fields = minutes.fields
    doc = document.MinutesDocument(fields)
    invitees = {i.user_id: i.user for i in series.current_invitees}
    attendance = [{"name": u.name, "agency": u.agency.name if u.agency else "", "status": doc.attendance(uid),
                   "deputy": doc.deputy(uid)} for uid, u in invitees.items()]
    from coordinator.agencies.models import Agency

    scales_recorded = doc.scales()
    agency_ids = set(doc.agencies()) | {agency_id for agency_id, _, _ in scales_recorded}
    names = {a.id: a.name for a in db.session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
    agency_info = [{"agency": names.get(aid, ""), "facts": fields.get(document.agency_facts_key(aid), ""),
                    "opinion": fields.get(document.agency_opinion_key(aid), "")} for aid in doc.agencies()]
    children = {c.id: c.name for c in family.children}
    scales = [{"agency": names[agency_id], "child": children[child_id], "score": score}
              for agency_id, child_id, score in scales_recorded if agency_id in names and child_id in children]
    agreed = db.session.scalars(select(Action).where(Action.agreed_at_id == occurrence.id).order_by(Action.id)).all()
    reviewed = db.session.scalars(select(ActionUpdate).where(ActionUpdate.reviewed_at_id == occurrence.id)
                                  .order_by(ActionUpdate.id)).all()
    goals = [{"goal": g.description, "score": s.score}
             for g in db.session.scalars(select(Goal).where(Goal.family_id == family.id).order_by(Goal.id))
             for s in g.scores if s.occurrence_id == occurrence.id]
    household = []
    for member_id, value in doc.household().items():
        member = db.session.get(HouseholdMember, member_id)
        if member is not None and member.family_id == family.id:
            household.append({"person": member.display_name, "confirmed": value})
    health = next_meeting(occurrence)
    return {
        "meeting": {"type": series.meeting_type.label, "reference": family.reference,
                    "date": occurrence.starts_at.astimezone(series.zone).strftime("%A %-d %B %Y, %H:%M"),
                    "chair": series.chair.name if series.chair else "", "minute_taker": series.minute_taker.name if series.minute_taker else ""},
        # "agencies" and "scaling" hold text only when a correction to them was accepted.
        "sections": {key: fields.get(key, "") for key in SECTIONS},
        "parents_status": fields.get("parents_status", ""),
        "attendance": attendance,
        "household_confirmed": household,
        "agency_information": agency_info,
        "scales": sorted(scales, key=lambda s: (s["child"], s["agency"])),
        "actions_agreed": [_action_row(a) for a in agreed],
        "actions_reviewed": [{"action": u.action.description, "status": u.described if u.decision else u.status.label,
                              "comment": "" if u.decision else (u.comment or "")} for u in reviewed],
        "goals": goals,
        "next_meeting": health,
        "distribution": [u.name for u in distribution(occurrence)],
        "not_for_family": fields.get("not_for_family", []),
        "withheld_reason": fields.get("withheld_reason", ""),
        "withheld_updates": _withheld_updates(occurrence),
    }


def _withheld_updates(occurrence: Occurrence) -> list[dict]:
    from coordinator.submissions.pack import latest_submitted

    rows = []
    for s in latest_submitted(occurrence.id):
        data = s.fields
        if data.get("share_with_family") in ("no", "partly") or data.get("not_for_family"):
            rows.append({"agency": s.agency.name, "whole": data.get("share_with_family") == "no",
                         "sections": sorted(data.get("not_for_family") or []),
                         "reason": data.get("withheld_reason") or "not given"})
    return rows


def _action_row(action: Action) -> dict:
    return {"what": action.description, "who": f"{action.owner.name} ({action.owner_agency.name})",
            "by": long_date(action.due_date), "outcome": action.intended_outcome or ""}


def next_meeting(occurrence: Occurrence) -> str:
    later = [o for o in occurrence.series.occurrences
             if o.starts_at > occurrence.starts_at and o.status is not OccurrenceStatus.CANCELLED]
    if not later:
        return "Not yet arranged"
    nxt = min(later, key=lambda o: o.starts_at)
    return nxt.starts_at.astimezone(occurrence.series.zone).strftime("%A %-d %B %Y, %H:%M")


def family_copy(version: MinutesVersion) -> dict:
    """The version without what is marked not for the family, item by item: the sections the minutes
    withhold, and of each agency's update exactly the sections it withheld (its safety scale only if it
    withheld its scales); every omission noted with its reason."""
    data = version.fields
    withheld = set(data.get("not_for_family", []))
    reason = data.get("withheld_reason") or "not given"
    copy = dict(data)
    copy["sections"] = {k: ("" if k in withheld else v) for k, v in data["sections"].items()}
    copy["omissions"] = [{"what": SECTIONS.get(k, k), "reason": reason} for k in sorted(withheld)]
    information = {a["agency"]: a for a in data.get("agency_information", [])}
    scales = list(data.get("scales", []))
    for w in data.get("withheld_updates", []):
        agency, sections = w["agency"], set(w.get("sections") or [])
        if w.get("whole") or not sections:  # the whole update (or a version frozen before sections were kept)
            information.pop(agency, None)
            scales = [s for s in scales if s["agency"] != agency]
            copy["omissions"].append({"what": f"{agency}'s information (marked not for the family in its update)",
                                      "reason": w["reason"]})
            continue
        if "scales" in sections:
            scales = [s for s in scales if s["agency"] != agency]
        if agency in information:
            information[agency], own_notes = _without_sections(information[agency], sections)
            if own_notes:
                copy["omissions"].append({"what": f"Notes on {agency}'s information written at the meeting (its "
                                                  "update is partly not for the family)", "reason": w["reason"]})
        for section in sorted(sections):
            copy["omissions"].append({"what": f"{agency}'s update: {_update_section_label(section)} (marked not for "
                                              "the family in its update)", "reason": w["reason"]})
    copy["agency_information"] = [] if "agencies" in withheld else list(information.values())
    copy["scales"] = [] if "scaling" in withheld else scales  # (each withheld section is listed once above)
    if "household" in withheld:
        copy["household_confirmed"] = []  # who the meeting confirmed lives there is part of that section
    copy["distribution"] = []
    return copy


def _without_sections(info: dict, sections: set[str]) -> tuple[dict, bool]:
    """An agency's information without the lines from the update's withheld ``sections``. A line the
    minute-taker wrote cannot be told apart: it is left out too (the bool: whether any such line was)."""
    from coordinator.submissions.document import section_of_summary_line

    own = False
    kept = dict(info)
    for key in ("facts", "opinion"):
        lines = []
        for line in (info.get(key) or "").splitlines():
            section = section_of_summary_line(line)
            if section is None and line.strip():
                own = True
            elif section is not None and section not in sections:
                lines.append(line)
        kept[key] = "\n".join(lines)
    return kept, own


def _update_section_label(section: str) -> str:
    from coordinator.submissions.forms import SECTIONS as UPDATE_SECTIONS

    return UPDATE_SECTIONS.get(section, section).lower()


# --- acknowledgements and corrections --------------------------------------------------------------------

def acknowledge(version: MinutesVersion, user: User) -> Acknowledgement:
    row = db.session.scalar(select(Acknowledgement).where(Acknowledgement.version_id == version.id,
                                                          Acknowledgement.user_id == user.id))
    if row is None:
        row = Acknowledgement(version_id=version.id, user_id=user.id)
        db.session.add(row)
        audit.record("minutes_acknowledged", object_type="minutes_version", object_id=version.id,
                     family_id=version.family_id, actor=user)
    return row


def correction_deadline(version: MinutesVersion) -> date:
    published = version.published_at.astimezone(local_zone()).date()
    return add_working_days(published, int(current_app.config["MINUTES_CORRECTION_WORKING_DAYS"]))


def request_correction(version: MinutesVersion, user: User, *, section: str, text: str) -> CorrectionRequest:
    if version.superseded:
        raise MinutesError("A newer version of these minutes has been published: ask for a correction to that one")
    if today() > correction_deadline(version):
        raise MinutesError(f"Corrections could be asked for until {long_date(correction_deadline(version))}. "
                           "Speak to the chair.")
    if user.id not in {u.id for u in distribution(version.minutes.occurrence)}:
        raise MinutesError("Only people who received these minutes can ask for a correction")
    if section not in SECTIONS:
        raise MinutesError("Choose the section to correct", "section")
    row = CorrectionRequest(version_id=version.id, family_id=version.family_id, requested_by_id=user.id,
                            section=section, text=text.strip())
    db.session.add(row)
    db.session.flush()
    occurrence = version.minutes.occurrence
    if occurrence.series.chair:
        enqueue_template(f"correction-requested:{row.id}", to=occurrence.series.chair.email,
                         subject=f"{occurrence.series.meeting_type.label} - ref {occurrence.series.family.reference}: "
                                 "a correction to the minutes is asked for",
                         template="minutes_correction", kind="minutes_correction", family_id=version.family_id,
                         url=version_url(version))
    audit.record("minutes_correction_requested", object_type="correction_request", object_id=row.id,
                 family_id=version.family_id, actor=user, detail=section)
    return row


def decide_correction(correction: CorrectionRequest, *, actor: User, accept: bool, new_text: str | None = None,
                      note: str | None = None) -> MinutesVersion | None:
    minutes = correction.version.minutes
    if not may_approve(minutes.occurrence, actor):
        raise MinutesError("Only the chair can decide on corrections")
    if correction.state is not CorrectionState.PENDING:
        raise MinutesError("This correction has already been decided")
    # Two decisions at the same instant: the second is refused here, before anything is written.
    claim_revision(minutes, None, MinutesError("Someone else decided on a correction to these minutes at the same "
                                               "moment: open the correction again to see where it stands"))
    correction.decided_by_id, correction.decided_at, correction.decision_note = actor.id, utcnow(), (note or None)
    if not accept:
        correction.state = CorrectionState.DECLINED
        audit.record("minutes_correction_declined", object_type="correction_request", object_id=correction.id,
                     family_id=correction.family_id, actor=actor)
        return None
    if new_text is None or not new_text.strip():
        raise MinutesError("Enter the corrected text", "new_text")
    correction.state = CorrectionState.ACCEPTED
    content = minutes.fields
    content[correction.section] = new_text.strip()
    minutes.content = json.dumps(content, sort_keys=True)
    db.session.add(MinutesRevision(minutes_id=minutes.id, revision=minutes.revision, content=minutes.content,
                                   saved_by_id=actor.id))
    return publish(minutes, actor=actor, correction=correction)


def difference(older: MinutesVersion, newer: MinutesVersion) -> list[tuple[str, list[str]]]:
    """Per section, the lines that changed from one version to the next."""
    changes = []
    for key, label in SECTIONS.items():
        a = (older.fields["sections"].get(key) or "").splitlines()
        b = (newer.fields["sections"].get(key) or "").splitlines()
        if a != b:
            changes.append((label, [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
                                    if not line.startswith(("---", "+++", "@@"))]))
    return changes


# --- decisions summary ------------------------------------------------------------------------------------

def send_decisions_summary(minutes: Minutes, *, actor: User, expected_revision: int | None = None) -> DecisionsSummary:
    _check_taken_place(minutes.occurrence, "The decisions summary can be sent from the day of the meeting")
    if not (is_chair(minutes.occurrence, actor) or is_minute_taker(minutes.occurrence, actor)):
        raise MinutesError("Only the chair or the minute-taker can send the decisions summary")
    claim(minutes, expected_revision, hold=True)  # the decisions sent are the ones the sender last saw
    if minutes.decisions_sent_at is not None:
        raise MinutesError("The decisions summary has already been sent")
    existing = db.session.scalar(select(DecisionsSummary).where(DecisionsSummary.minutes_id == minutes.id))
    if existing is not None:
        raise MinutesError("The decisions summary has already been sent")
    occurrence = minutes.occurrence
    agreed = db.session.scalars(select(Action).where(Action.agreed_at_id == occurrence.id).order_by(Action.id)).all()
    content = {"decisions": minutes.fields.get("decisions", ""), "actions": [_action_row(a) for a in agreed]}
    summary = DecisionsSummary(minutes_id=minutes.id, content=json.dumps(content, sort_keys=True), sent_by_id=actor.id)
    db.session.add(summary)
    minutes.decisions_sent_at = utcnow()
    db.session.flush()
    url = external_url("minutes.decisions", ref=occurrence.series.family.reference, occurrence_id=occurrence.id)
    for invitee in occurrence.series.current_invitees:
        enqueue_template(f"decisions:{summary.id}:{invitee.user_id}", to=invitee.email,
                         subject=f"{occurrence.series.meeting_type.label} - ref {occurrence.series.family.reference}: "
                                 "decisions and actions", template="decisions_summary", kind="decisions_summary",
                         family_id=minutes.family_id,
                         url=url)
    audit.record("decisions_summary_sent", object_type="minutes", object_id=minutes.id, family_id=minutes.family_id,
                 actor=actor)
    return summary
