from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.access import signed_in
from coordinator.audit import services as audit
from coordinator.calendar import feed
from coordinator.extensions import db
from coordinator.forms import ButtonForm
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
