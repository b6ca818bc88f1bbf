"""The chair's pre-meeting pack: every agency side by side, and on top what needs attention."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coordinator.extensions import db
from coordinator.families import services as family_services
from coordinator.families.models import Family, person_label
from coordinator.meetings.models import (
    InvitationResponse,
    MeetingSeries,
    Occurrence,
    OccurrenceStatus,
    Response,
)
from coordinator.submissions.document import UpdateDocument
from coordinator.submissions.forms import SECTIONS
from coordinator.submissions.models import (
    Submission,
    SubmissionRequest,
    SubmissionStatus,
)
from coordinator.submissions.services import pending_proposals
from coordinator.timeutil import long_date


@dataclass
class Attention:
    kind: str
    text: str


@dataclass
class Pack:
    occurrence: Occurrence
    family: Family
    submissions: list[Submission]
    missing: list[tuple[SubmissionRequest, InvitationResponse | None]]
    attention: list[Attention] = field(default_factory=list)
    previous: Occurrence | None = None
    previous_scales: dict = field(default_factory=dict)  # (agency_id, child_id) -> scale at the last meeting
    proposals: list = field(default_factory=list)  # people agencies reported as new, awaiting the lead


def previous_meeting(occurrence: Occurrence) -> Occurrence | None:
    """The family's last meeting before this one that was not cancelled (held or, failing that, past)."""
    family_id = occurrence.series.family_id
    return db.session.scalar(
        select(Occurrence).join(MeetingSeries)
        .where(MeetingSeries.family_id == family_id, Occurrence.starts_at < occurrence.starts_at,
               Occurrence.status != OccurrenceStatus.CANCELLED)
        .order_by(Occurrence.starts_at.desc()).limit(1))


def latest_submitted(occurrence_id: int) -> list[Submission]:
    rows = db.session.scalars(
        select(Submission).where(Submission.occurrence_id == occurrence_id,
                                 Submission.status == SubmissionStatus.SUBMITTED)
        .options(joinedload(Submission.agency), joinedload(Submission.author))
        .order_by(Submission.agency_id, Submission.id)).all()
    return list(rows)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def build_pack(occurrence: Occurrence) -> Pack:
    series = occurrence.series
    family = series.family
    submissions = latest_submitted(occurrence.id)
    # Each request with its recipient's answer to the invitation (apologies explain a missing update).
    requests = db.session.execute(
        select(SubmissionRequest, InvitationResponse)
        .outerjoin(InvitationResponse, (InvitationResponse.occurrence_id == SubmissionRequest.occurrence_id)
                   & (InvitationResponse.user_id == SubmissionRequest.recipient_id))
        .where(SubmissionRequest.occurrence_id == occurrence.id)
        .options(joinedload(SubmissionRequest.agency)).order_by(SubmissionRequest.id)).all()
    submitted_agencies = {s.agency_id for s in submissions}
    missing: list[tuple[SubmissionRequest, InvitationResponse | None]] = [
        (r, response) for r, response in requests if r.agency_id not in submitted_agencies]
    pack = Pack(occurrence, family, submissions, missing, previous=previous_meeting(occurrence),
                proposals=pending_proposals(family))
    if pack.previous is not None:
        for old in latest_submitted(pack.previous.id):
            for child in family.children:
                scale = UpdateDocument(old.fields).scale(child.id)
                if scale is not None:
                    pack.previous_scales[(old.agency_id, child.id)] = scale
    pack.attention = _attention(pack)
    return pack


def _children_not_seen_alone(pack: Pack, last_meeting_day: date | None) -> list[Attention]:
    """Every born child no agency has seen alone since the last meeting."""
    items = []
    for child in pack.family.children:
        if child.is_unborn:
            continue
        seen_alone = False
        for sub in pack.submissions:
            update = UpdateDocument(sub.fields)
            last_seen = update.last_seen(child.id)
            if update.seen_alone(child.id) and (
                    last_meeting_day is None or (last_seen is not None and last_seen >= last_meeting_day)):
                seen_alone = True
        if not seen_alone:
            since = (f"since the last meeting on {long_date(last_meeting_day)}" if last_meeting_day
                     else "by any agency")
            items.append(Attention("not_seen_alone", f"{child.display_name} has not been seen alone {since}"))
    return items


def _attention(pack: Pack) -> list[Attention]:
    cfg = current_app.config
    family, items = pack.family, []
    last_meeting_day = pack.previous.day if pack.previous else None

    for proposal in pack.proposals:
        person = proposal.fields
        who = person_label(person.get("name"), person.get("description"), person.get("sex"))
        items.append(Attention("new_person", f"New to the household, reported by {proposal.submission.agency.name}: "
                                             f"{who} (waiting for the lead professional to add them)"))
    flags = family_services.household_flags(family, last_meeting=last_meeting_day)
    for flag in flags.of_kind("new"):
        items.append(Attention("new_person", flag.text))
    for flag in flags.father_concerns:
        items.append(Attention("men", flag.text))

    items += _children_not_seen_alone(pack, last_meeting_day)

    if pack.submissions and not any(s.fields.get("da_asked") == "yes" for s in pack.submissions):
        items.append(Attention("domestic_abuse", "No agency asked about domestic abuse"))

    wnb = sum(_int(s.fields.get("was_not_brought")) or 0 for s in pack.submissions)
    if wnb >= int(cfg["WAS_NOT_BROUGHT_THRESHOLD"]):
        by = ", ".join(f"{s.agency.name} {_int(s.fields.get('was_not_brought'))}" for s in pack.submissions
                       if (_int(s.fields.get("was_not_brought")) or 0) > 0)
        items.append(Attention("was_not_brought", f"Children were not brought to {wnb} appointments ({by})"))

    for child in family.children:
        scales = {s.agency.name: scale for s in pack.submissions
                  if (scale := UpdateDocument(s.fields).scale(child.id)) is not None}
        if len(scales) >= 2 and max(scales.values()) - min(scales.values()) >= int(cfg["SCALE_SPREAD_THRESHOLD"]):
            detail = ", ".join(f"{agency} {score}" for agency, score in sorted(scales.items()))
            items.append(Attention("scale_spread", f"Agencies disagree about how safe {child.display_name} is: {detail}"))
        for sub in pack.submissions:
            now_scale = UpdateDocument(sub.fields).scale(child.id)
            before = pack.previous_scales.get((sub.agency_id, child.id))
            if now_scale is not None and before is not None and now_scale != before:
                direction = "down" if now_scale < before else "up"
                items.append(Attention("scale_change", f"{sub.agency.name}'s safety scale for {child.display_name} is "
                                                       f"{direction} from {before} to {now_scale}"))

    for request, response in pack.missing:
        note = f" (sent apologies{': ' + response.reason if response and response.reason else ''})" if (
            response and response.response is Response.APOLOGIES) else ""
        items.append(Attention("missing", f"No update from {request.agency.name}{note}"))
    return items


PACK_ROWS = [
    ("appointments", [("appointments_offered", "Offered"), ("appointments_attended", "Attended"),
                      ("was_not_brought", "Was not brought"), ("family_cancelled", "Cancelled or rearranged by the family"),
                      ("no_answer_visits", "Home visits with no answer")]),
    ("engagement", [("engagement_reported", "What the parent said"), ("engagement_observed", "What was observed or checked")]),
    ("domestic_abuse", [("da_asked", "Asked"), ("da_date", "Date"), ("da_private", "Asked in private"),
                        ("da_outcome", "Outcome"), ("da_risk_score", "Risk score"), ("marac", "MARAC")]),
    ("worries", [("worries", "Worried about"), ("worries_provenance", "Worries are"), ("working_well", "Working well"),
                 ("working_well_provenance", "Working well is"), ("needs_to_happen", "Needs to happen")]),
    ("lived_experience", [("lived_experience", "The child's lived experience")]),
]


def section_label(key: str) -> str:
    return SECTIONS[key]
