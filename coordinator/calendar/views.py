from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from coordinator.access import signed_in
from coordinator.audit import services as audit
from coordinator.calendar import feed, replies
from coordinator.extensions import db
from coordinator.families.access import Need, family_view
from coordinator.families.models import Family
from coordinator.forms import ButtonForm
from coordinator.meetings.models import MeetingSeries, Occurrence, ProposedTime
from coordinator.notify.models import InboundState
from coordinator.timeutil import utcnow
from coordinator.urls import external_url

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def token_route(view):
    """A URL whose secret token is the credential (calendar apps cannot sign in): a wrong token is a 404.
    It is answered without a session: no cookie is read, renewed or set."""
    view.access_rule = "token"
    view.sessionless = True
    return view


@bp.get("")
@signed_in
def subscribe():
    token = feed.token_for(current_user)
    db.session.commit()
    url = external_url("calendar.feed_file", token=token)
    webcal = "webcal://" + url.split("://", 1)[1]
    return render_template("calendar/subscribe.html", url=url, webcal=webcal, form=ButtonForm())


@bp.post("/reset")
@signed_in
def reset():
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    feed.reset(current_user)
    audit.record("calendar_feed_reset", object_type="user", object_id=current_user.id)
    db.session.commit()
    flash("Your calendar feed has a new address. The old one no longer works: subscribe again with the new one.",
          "success")
    return redirect(url_for("calendar.subscribe"))


@bp.get("/<token>.ics")
@token_route
def feed_file(token: str):
    found = feed.feed_for_token(token)
    if found is None:
        abort(404)
    subscription, user = found
    # Calendar apps poll every 15 to 60 minutes: an unchanged feed is answered from its version alone.
    version = feed.feed_version(user)
    since, new = feed.served_since(subscription, version)
    response = Response(mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=meetings.ics",
                                                           "Cache-Control": "private, no-cache"})
    response.set_etag(version.etag)  # strong: the same bytes whenever the version is the same
    # RFC 9110 13.1.3: If-Modified-Since only when there is no If-None-Match. Last-Modified moves with
    # every version of the feed (feed.served_since), so both say "not modified" for the same feed only.
    if request.if_none_match:
        unchanged = request.if_none_match.contains(version.etag)
    else:
        unchanged = request.if_modified_since is not None and since <= request.if_modified_since
    if unchanged:
        response.status_code = 304
    else:
        response.set_data(feed.feed_ics(user, version))
    if new:
        since = feed.record_version(subscription, version, since)
        db.session.commit()
    if since <= utcnow():  # never a date later than the answer's own (RFC 9110 8.8.2.1)
        response.last_modified = since
    return response


# --- what came back to the organiser address --------------------------------------------------------------

@bp.route("/family/<ref>/replies", methods=["GET", "POST"])
@family_view(Need.MANAGE)
def messages(family: Family):
    """Calendar answers applied, replies kept for the lead to read, and new times proposed from calendars."""
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        message_id = request.form.get("message_id", type=int)
        if message_id is None:
            abort(400)
        if replies.look_at(message_id, family_id=family.id, actor=current_user) is None:
            abort(404)
        db.session.commit()
        flash("Marked as read.", "success")
        return redirect(url_for("calendar.messages", ref=family.reference))
    kept = replies.messages_for(family.id)
    proposals = replies.waiting_proposals([family.id])
    return render_template("calendar/messages.html", family=family, form=form, proposals=proposals,
                           kept=[m for m in kept if m.state is InboundState.KEPT],
                           applied=[m for m in kept if m.state is InboundState.APPLIED],
                           done=[m for m in kept if m.state is InboundState.DONE],
                           text_of=replies.text_of)


def _proposal_in(family: Family, proposal_id: int) -> ProposedTime:
    proposal = db.session.scalar(select(ProposedTime).join(ProposedTime.occurrence).join(Occurrence.series)
                                 .where(ProposedTime.id == proposal_id, MeetingSeries.family_id == family.id))
    if proposal is None:
        abort(404)
    return proposal


@bp.post("/family/<ref>/proposed-times/<int:proposed_time_id>")
@family_view(Need.MANAGE)
def decide_proposal(family: Family, proposed_time_id: int):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    proposal = _proposal_in(family, proposed_time_id)
    decision = request.form.get("decision")
    try:
        if decision == "accept":
            replies.accept_proposal(proposal, actor=current_user)
            message = "The meeting has moved to the proposed time. Everyone invited has been sent the change."
        elif decision == "decline":
            replies.decline_proposal(proposal, actor=current_user, comment=(request.form.get("comment") or "").strip()[:400] or None)
            message = "The proposal has been declined. The person who proposed it has been told."
        else:
            abort(400)
    except replies.ProposalError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(url_for("calendar.messages", ref=family.reference))
    audit.record("proposed_time_decided", object_type="proposed_time", object_id=proposal.id, family_id=family.id,
                 detail=decision)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("calendar.messages", ref=family.reference))
