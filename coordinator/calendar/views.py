from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.access import signed_in
from coordinator.audit import services as audit
from coordinator.calendar import feed
from coordinator.extensions import db
from coordinator.forms import ButtonForm
from coordinator.urls import external_url

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def token_route(view):
    """A URL whose secret token is the credential (calendar apps cannot sign in): a wrong token is a 404."""
    view.access_rule = "token"
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
    user = feed.user_for_token(token)
    if user is None:
        abort(404)
    # Calendar apps poll every 15 to 60 minutes: an unchanged feed is answered from its version alone.
    version = feed.feed_version(user)
    response = Response(mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=meetings.ics",
                                                           "Cache-Control": "private, no-cache"})
    response.set_etag(version.etag)
    if version.last_modified is not None:
        response.last_modified = version.last_modified
    # Only the ETag answers "not modified": it covers everything the feed shows, while the last change of a
    # series does not move when the person is taken off a series or a colleague's name is corrected.
    if request.if_none_match.contains(version.etag):
        response.status_code = 304
        return response
    response.set_data(feed.feed_ics(user, version))
    return response
