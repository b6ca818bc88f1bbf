"""The chair's pre-meeting pack: every agency side by side, and on top what needs attention."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coordinator.extensions import db
from coordinator.families import services as family_services
from coordinator.families.models import Child, Family, HouseholdMember, person_label
from coordinator.hooks import answers
from coordinator.meetings.models import (
    InvitationResponse,
    MeetingSeries,
    Occurrence,
    OccurrenceStatus,
    Response,
)
from coordinator.submissions.document import APPOINTMENT_OUTCOMES, PARENT_SAYS, Appointment, UpdateDocument
from coordinator.submissions.forms import SECTIONS, is_baby
from coordinator.submissions.models import (
    Submission,
    SubmissionRequest,
    SubmissionStatus,
)
from coordinator.submissions.services import pending_proposals
from coordinator.submissions.signals import pack_attention
from coordinator.timeutil import long_date


@dataclass
class Attention:
    kind: str
    text: str


@dataclass
class NotBrought:
    """An appointment a child was not brought to, as an agency's update for a meeting recorded it."""

    day: date | None
    kind: str
    agency: str
    meeting_day: date


@dataclass
class ChildReport:
    """What one agency's update says about one child."""

    agency: str
    update: UpdateDocument
    appointments: list[Appointment]

    @property
    def appointments_summary(self) -> str:
        if not self.appointments:
            return "None recorded"
        attended = sum(a.outcome == "attended" for a in self.appointments)
        missed = sum(a.outcome == "was_not_brought" for a in self.appointments)
        each = "; ".join(f"{(long_date(a.day) or 'date not given')}, {a.kind or 'appointment'}: "
                         f"{APPOINTMENT_OUTCOMES.get(a.outcome, 'not given').lower()}" for a in self.appointments)
        return f"{len(self.appointments)} offered, {attended} attended, {missed} not brought. {each}"


@dataclass
class ChildView:
    child: Child
    baby: bool
    reports: list[ChildReport] = field(default_factory=list)
    not_brought: list[NotBrought] = field(default_factory=list)  # across meetings and agencies, by date


@dataclass
class AdultView:
    """An adult of the household: the concerns on the family record, beside each agency's domestic abuse
    enquiry of them."""

    member: HouseholdMember
    enquiries: list[tuple[str, dict]] = field(default_factory=list)  # (agency, its answers)

    @property
    def concerns(self) -> list[str]:
        return self.member.concerns


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
    children: list[ChildView] = field(default_factory=list)
    adults: list[AdultView] = field(default_factory=list)
    legacy_da: list[tuple[str, dict]] = field(default_factory=list)  # one enquiry for the family (older updates)
    legacy_not_brought: list[tuple[date, str, int]] = field(default_factory=list)  # (meeting, agency, count)


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


def _meetings_so_far(occurrence: Occurrence) -> list[tuple]:
    """Every meeting of the family up to and including this one, each with its submitted updates, and this
    meeting's requests with their recipients' answers to the invitation: one query for the whole pack.
    Rows: (meeting, request or None, response or None, update or None)."""
    current = Occurrence.id == occurrence.id
    request_here = SubmissionRequest.occurrence_id == Occurrence.id
    return list(db.session.execute(
        select(Occurrence, SubmissionRequest, InvitationResponse, Submission)
        .join(MeetingSeries, Occurrence.series_id == MeetingSeries.id)
        .outerjoin(SubmissionRequest, request_here & current)
        .outerjoin(InvitationResponse, (InvitationResponse.occurrence_id == SubmissionRequest.occurrence_id)
                   & (InvitationResponse.user_id == SubmissionRequest.recipient_id))
        .outerjoin(Submission, (Submission.occurrence_id == Occurrence.id)
                   & (Submission.status == SubmissionStatus.SUBMITTED)
                   & (SubmissionRequest.id.is_(None) | (Submission.request_id == SubmissionRequest.id)))
        .where(MeetingSeries.family_id == occurrence.series.family_id, Occurrence.starts_at <= occurrence.starts_at)
        .options(joinedload(Occurrence.series), joinedload(SubmissionRequest.agency),
                 joinedload(Submission.agency), joinedload(Submission.author))
        .order_by(Occurrence.starts_at, Occurrence.id, SubmissionRequest.id, Submission.agency_id, Submission.id)).all())


def build_pack(occurrence: Occurrence) -> Pack:
    series = occurrence.series
    family = series.family
    rows = _meetings_so_far(occurrence)
    updates: dict[int, list[Submission]] = {}  # meeting -> its submitted updates
    meetings: dict[int, Occurrence] = {}
    requests: dict[int, tuple[SubmissionRequest, InvitationResponse | None]] = {}
    for meeting, request, response, update in rows:
        meetings[meeting.id] = meeting
        if request is not None:
            requests.setdefault(request.id, (request, response))
        if update is not None and update not in updates.setdefault(meeting.id, []):
            updates[meeting.id].append(update)
    for listed in updates.values():
        listed.sort(key=lambda s: (s.agency_id, s.id))
    submissions = updates.get(occurrence.id, [])
    submitted_agencies = {s.agency_id for s in submissions}
    # Each request with its recipient's answer to the invitation (apologies explain a missing update).
    missing: list[tuple[SubmissionRequest, InvitationResponse | None]] = [
        (r, response) for r, response in requests.values() if r.agency_id not in submitted_agencies]
    earlier = [m for m in meetings.values() if m.starts_at < occurrence.starts_at
               and m.status is not OccurrenceStatus.CANCELLED]
    previous = max(earlier, key=lambda m: m.starts_at) if earlier else None
    pack = Pack(occurrence, family, submissions, missing, previous=previous, proposals=pending_proposals(family))
    if pack.previous is not None:
        for old in updates.get(pack.previous.id, []):
            for child in family.children:
                scale = UpdateDocument(old.fields).scale(child.id)
                if scale is not None:
                    pack.previous_scales[(old.agency_id, child.id)] = scale
    _each_child(pack, [(meetings[m], u) for m in meetings for u in updates.get(m, [])])
    _each_adult(pack)
    pack.attention = _attention(pack)
    return pack


def _current_members(family: Family) -> list[HouseholdMember]:
    on = family_services.today()
    return [m for m in family.members if m.left_on is None or m.left_on > on]


def _each_adult(pack: Pack) -> None:
    for member in _current_members(pack.family):
        view = AdultView(member)
        for sub in pack.submissions:
            answers_given = UpdateDocument(sub.fields).da_enquiries().get(member.id)
            if answers_given:
                view.enquiries.append((sub.agency.name, answers_given))
        pack.adults.append(view)
    for sub in pack.submissions:
        legacy = UpdateDocument(sub.fields).da_legacy()
        if legacy:
            pack.legacy_da.append((sub.agency.name, legacy))


def _each_child(pack: Pack, history: list[tuple[Occurrence, Submission]]) -> None:
    """Each child: what every agency says of them now, and every appointment they were not brought to, by
    date, from every update given for this meeting and the ones before it."""
    family = pack.family
    views = {child.id: ChildView(child, is_baby(child)) for child in family.children}
    for sub in pack.submissions:
        update = UpdateDocument(sub.fields)
        for child in family.children:
            prefix = f"child-{child.id}-"
            if any(key.startswith(prefix) and value not in (None, "", []) for key, value in update.data.items()):
                views[child.id].reports.append(ChildReport(sub.agency.name, update, update.appointments(child.id)))
    seen: set[tuple] = set()
    for meeting, submission in history:
        update, agency, meeting_day = UpdateDocument(submission.fields), submission.agency.name, meeting.day
        found_any = False
        for child in family.children:
            for appointment in update.not_brought(child.id):
                found_any = True
                key = (child.id, appointment.day, appointment.kind.lower(), agency)
                if key in seen:  # the same appointment told again (an update for the next meeting)
                    continue
                seen.add(key)
                views[child.id].not_brought.append(NotBrought(appointment.day, appointment.kind, agency, meeting_day))
        legacy = _int(update.answer("was_not_brought")) or 0
        if not found_any and legacy:
            pack.legacy_not_brought.append((meeting_day, agency, legacy))
    for view in views.values():
        view.not_brought.sort(key=lambda n: (n.day or n.meeting_day, n.agency))
    pack.children = [views[child.id] for child in family.children]


def _children_not_seen_alone(pack: Pack, last_meeting_day: date | None) -> list[Attention]:
    """Every born child no agency has seen alone since the last meeting (a baby: seen awake)."""
    items = []
    for view in pack.children:
        child = view.child
        if child.is_unborn:
            continue
        seen = False
        for report in view.reports:
            update = report.update
            last_seen = update.last_seen(child.id)
            answered = update.seen_awake(child.id) if view.baby else update.seen_alone(child.id)
            if answered and (last_meeting_day is None or (last_seen is not None and last_seen >= last_meeting_day)):
                seen = True
        if not seen:
            since = (f"since the last meeting on {long_date(last_meeting_day)}" if last_meeting_day
                     else "by any agency")
            how = "awake" if view.baby else "alone"
            items.append(Attention("not_seen_alone", f"{child.display_name} has not been seen {how} {since}"))
    return items


def _not_brought_now(pack: Pack) -> list[tuple[str, Child, list[Appointment]]]:
    """(agency, child, the appointments not brought to) in this meeting's updates."""
    found = []
    for view in pack.children:
        for report in view.reports:
            missed = [a for a in report.appointments if a.outcome == "was_not_brought"]
            if missed:
                found.append((report.agency, view.child, missed))
    return found


def _appointments(count: int) -> str:
    return f"{count} appointment{'s' if count != 1 else ''}"


def _appointments_text(appointments: list[Appointment]) -> str:
    return ", ".join(f"{a.kind or 'appointment'} on {long_date(a.day)}" if a.day else (a.kind or "appointment")
                     for a in appointments)


def _reported_vs_observed(pack: Pack) -> list[Attention]:
    """What a parent told an agency, against what an agency recorded itself: a parent saying every
    appointment was kept while a child was not brought; saying they work with every agency while visits go
    unanswered; saying nobody else is in the home while an agency saw someone there."""
    items = []
    missed = _not_brought_now(pack)
    legacy_missed = sum((_int(s.fields.get("was_not_brought")) or 0) for s in pack.submissions
                        if not any(UpdateDocument(s.fields).not_brought(c.id) for c in pack.family.children))
    unanswered = [(s.agency.name, n) for s in pack.submissions if (n := _int(s.fields.get("no_answer_visits")) or 0)]
    cancelled = [(s.agency.name, n) for s in pack.submissions if (n := _int(s.fields.get("family_cancelled")) or 0)]
    seen_new = []
    for sub in pack.submissions:
        update = UpdateDocument(sub.fields)
        for slot in range(1, 4):
            person = update.new_person(slot)
            if person.get("source") == "SEEN" and ((person.get("name") or "").strip()
                                                    or (person.get("description") or "").strip()):
                seen_new.append((sub.agency.name, person_label(person.get("name"), person.get("description"),
                                                               person.get("sex"))))
    told: dict[str, list[str]] = {}  # what the parent said -> the agencies told it
    for sub in pack.submissions:
        update = UpdateDocument(sub.fields)
        for topic in PARENT_SAYS:
            said = update.parent_says(topic)
            if said:
                told.setdefault(f"{topic}:{said}", []).append(sub.agency.name)

    def disagree(topic: str, said: str, observed: str) -> None:
        agencies = told.get(f"{topic}:{said}")
        if agencies and observed:
            items.append(Attention("reported_vs_observed", f"Reported and observed disagree: the parent told "
                                   f"{' and '.join(agencies)} {PARENT_SAYS[topic][said]}, but {observed}"))

    observed = "; ".join(f"{agency} recorded {child.display_name} was not brought to {_appointments(len(appointments))} "
                         f"({_appointments_text(appointments)})" for agency, child, appointments in missed)
    if legacy_missed:
        observed = "; ".join(filter(None, [observed, f"agencies recorded {legacy_missed} appointments the "
                                                     "children were not brought to"]))
    disagree("appointments", "all_attended", observed)
    disagree("engagement", "engaging", "; ".join(
        [f"{agency} had {n} home visit{'s' if n > 1 else ''} with no answer" for agency, n in unanswered]
        + [f"{agency} had {n} appointment{'s' if n > 1 else ''} cancelled or rearranged by the family"
           for agency, n in cancelled]
        + [f"{agency} recorded {child.display_name} was not brought to {_appointments(len(appointments))}"
           for agency, child, appointments in missed]))
    disagree("household", "only_recorded", "; ".join(f"{agency} saw {who} there" for agency, who in seen_new))
    return items


def _domestic_abuse(pack: Pack) -> list[Attention]:
    """Each adult's known concerns, beside whether anyone asked about domestic abuse."""
    items = []
    for adult in pack.adults:
        if adult.concerns:
            asked = [agency for agency, answers_given in adult.enquiries if answers_given.get("asked") == "yes"]
            items.append(Attention("known_concerns", f"{adult.member.display_name}: known concerns on the family "
                                   f"record: {', '.join(adult.concerns).lower()}"
                                   + (f" (asked about domestic abuse by {', '.join(asked)})" if asked else "")))
    if pack.submissions and not any(UpdateDocument(s.fields).da_asked_anyone() for s in pack.submissions):
        items.append(Attention("domestic_abuse", "No agency asked about domestic abuse"))

    return items


def _was_not_brought(pack: Pack) -> list[Attention]:
    cfg, family, items = current_app.config, pack.family, []
    child_ids = [c.id for c in family.children]
    per_agency = [(s.agency.name, UpdateDocument(s.fields).was_not_brought_total(child_ids)) for s in pack.submissions]
    wnb = sum(n for _, n in per_agency)
    if wnb >= int(cfg["WAS_NOT_BROUGHT_THRESHOLD"]):
        by = ", ".join(f"{agency} {n}" for agency, n in per_agency if n > 0)
        items.append(Attention("was_not_brought", f"Children were not brought to {wnb} appointments ({by})"))
    for view in pack.children:
        if len(view.not_brought) >= int(cfg["WAS_NOT_BROUGHT_THRESHOLD"]):
            agencies = sorted({n.agency for n in view.not_brought})
            meetings = {n.meeting_day for n in view.not_brought}
            items.append(Attention("was_not_brought", f"{view.child.display_name} was not brought to "
                                   f"{len(view.not_brought)} appointments over {len(meetings)} "
                                   f"meeting{'s' if len(meetings) > 1 else ''} ({', '.join(agencies)})"))
    return items


def _attention(pack: Pack) -> list[Attention]:
    cfg = current_app.config
    family = pack.family
    items = _reported_vs_observed(pack)  # on top: what the family says against what agencies saw
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

    items += _domestic_abuse(pack)
    items += _was_not_brought(pack)

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

    for answer in answers(pack_attention, family, occurrence=pack.occurrence):
        items += [Attention(kind, text) for kind, text in answer]

    for request, response in pack.missing:
        note = f" (sent apologies{': ' + response.reason if response and response.reason else ''})" if (
            response and response.response is Response.APOLOGIES) else ""
        items.append(Attention("missing", f"No update from {request.agency.name}{note}"))
    return items


PACK_ROWS = [
    ("appointments", [("family_cancelled", "Cancelled or rearranged by the family"),
                      ("no_answer_visits", "Home visits with no answer"),
                      ("parent_says_appointments", "What the parent says about appointments")]),
    ("engagement", [("parent_says_engagement", "What the parent says about working with agencies"),
                    ("engagement_reported", "What the parent said"), ("engagement_observed", "What was observed or checked")]),
    ("worries", [("worries", "Worried about"), ("worries_provenance", "Worries are"), ("working_well", "Working well"),
                 ("working_well_provenance", "Working well is"), ("needs_to_happen", "Needs to happen")]),
]


def section_label(key: str) -> str:
    return SECTIONS[key]
