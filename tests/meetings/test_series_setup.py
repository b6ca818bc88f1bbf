"""The lead sets up a meeting series: the confirmation page names who will get invitations; sending
creates the meetings up to the horizon and one invitation per invitee; a professional invited by email
gets scoped access to this family's meetings and nothing else."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.families.models import NetworkMembership, NetworkRole
from coordinator.meetings.models import Invitee, MeetingSeries, Occurrence, OccurrenceStatus
from coordinator.timeutil import utcnow
from tests.families.helpers import Page
from tests.meetings.helpers import (
    EXTERNAL,
    count,
    meeting_counts,
    next_weekday,
    outbox,
    post,
    press,
    series_data,
    signed_in,
)

LONDON = ZoneInfo("Europe/London")


def new_series_url(net) -> str:
    return f"/families/{net.ref}/series/new"


def the_new_series(net) -> MeetingSeries:
    db.session.expire_all()
    return db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == net.family.id)
                              .order_by(MeetingSeries.id.desc())).first()


def setup_data(net, first):
    w = net.world
    return series_data(first, chair=w.lead, minute_taker=net.school, invitees=[w.member, net.school],
                       external=EXTERNAL)


def test_the_confirmation_page_lists_everyone_who_will_get_an_invitation(app, net):
    lead = signed_in(app, net.world.lead)
    before = meeting_counts()
    page = Page(post(lead, new_series_url(net), setup_data(net, next_weekday(1))))
    assert page.status_code == 200
    assert page.heading == "Send the invitations?"
    recipients = page.section("Who will get a calendar update").text()
    for email in (net.world.lead.email, net.world.member.email, net.school.email, EXTERNAL):
        assert email in recipients
    assert "Every 6 weeks" in page.text or "Repeats every 6 weeks" in page.text
    assert "Family centre, room 2" in page.text and "https://meet.example.org/harrow" in page.text
    # nothing is saved (and no account made for the external address) until the lead confirms
    assert meeting_counts() == before


def test_sending_creates_the_meetings_to_the_horizon_and_one_invitation_each(app, net):
    w = net.world
    lead = signed_in(app, w.lead)
    first = next_weekday(1)  # a Tuesday
    url = new_series_url(net)
    response = press(lead, url, Page(post(lead, url, setup_data(net, first))), "yes")
    assert response.status_code == 302, Page(response).text[:3000]
    series = the_new_series(net)
    assert response.headers["Location"].endswith(f"/families/{net.ref}/series/{series.id}")
    assert series.id != w.series.id
    assert (series.first_date, series.start_time.strftime("%H:%M"), series.duration_minutes, series.interval) == (
        first, "10:00", 90, 6)
    assert series.location == "Family centre, room 2" and series.online_link == "https://meet.example.org/harrow"
    assert (series.chair_id, series.minute_taker_id) == (w.lead.id, net.school.id)

    # every 6 weeks on Tuesday at 10:00 London time, up to the horizon and no further
    horizon = utcnow() + timedelta(days=app.config["MEETING_HORIZON_DAYS"])
    expected, day = [], first
    while (start := datetime.combine(day, series.start_time, LONDON)) < horizon:
        expected.append(start)
        day += timedelta(weeks=6)
    starts = [o.starts_at for o in series.occurrences]
    assert starts == expected and len(starts) >= 9
    assert all(o.status is OccurrenceStatus.SCHEDULED for o in series.occurrences)
    assert all(o.ends_at - o.starts_at == timedelta(minutes=90) for o in series.occurrences)
    assert all(o.starts_at.astimezone(LONDON).strftime("%a %H:%M") == "Tue 10:00" for o in series.occurrences)
    assert series.generated_until >= expected[-1]

    # one invitation per invitee: the network three, the chair (the lead) and the external professional
    invited = {i.email for i in series.current_invitees}
    assert invited == {w.lead.email, w.member.email, net.school.email, EXTERNAL}
    messages = outbox()
    assert sorted(m.recipient for m in messages) == sorted(invited)
    assert all(m.kind == "invite_request" for m in messages)
    assert all(net.ref in m.subject and "Harrow" not in m.subject for m in messages)


def test_an_external_professional_gets_an_account_and_sees_only_the_meetings(app, net):
    w = net.world
    lead = signed_in(app, w.lead)
    url = new_series_url(net)
    assert press(lead, url, Page(post(lead, url, setup_data(net, next_weekday(1)))), "yes").status_code == 302
    series = the_new_series(net)

    gp = db.session.scalar(select(User).where(User.email == EXTERNAL))
    assert gp is not None and gp.password_hash is None  # signs in with emailed codes
    memberships = db.session.scalars(select(NetworkMembership).where(NetworkMembership.user_id == gp.id)).all()
    assert [(m.family_id, m.role) for m in memberships] == [(w.family.id, NetworkRole.GUEST)]

    guest = signed_in(app, gp)
    meeting = series.occurrences[0]
    page = Page(guest.get(f"/families/{net.ref}/meetings/{meeting.id}"))
    assert page.status_code == 200
    assert page.heading == "Professionals meeting"
    assert page.link("Answer this meeting")
    assert Page(guest.get(f"/families/{net.ref}/series/{series.id}")).status_code == 200

    respond_url = f"/families/{net.ref}/meetings/{meeting.id}/respond"
    answered = post(guest, respond_url, {"response": "ATTENDING"})
    assert answered.status_code == 302
    page = Page(guest.get(f"/families/{net.ref}/meetings/{meeting.id}"))
    assert "Your answer: Attending" in page.text

    # the family's record, and any other series of the family, do not exist for them
    assert guest.get(f"/families/{net.ref}").status_code == 404
    assert guest.get(f"/families/{net.ref}/series/{w.series.id}").status_code == 404
    assert guest.get(f"/families/{net.ref}/meetings/{w.series.occurrences[0].id}").status_code == 404
    listing = Page(guest.get("/families"))
    assert listing.status_code == 200
    assert net.ref not in listing.text and "Harrow" not in listing.text


def test_saving_without_sending_sends_nothing(app, net):
    lead = signed_in(app, net.world.lead)
    url = new_series_url(net)
    response = press(lead, url, Page(post(lead, url, setup_data(net, next_weekday(1)))), "no")
    assert response.status_code == 302
    series = the_new_series(net)
    assert series.id != net.world.series.id
    assert count(Occurrence, Occurrence.series_id == series.id) >= 9
    assert count(Invitee, Invitee.series_id == series.id) == 4
    assert outbox() == []
    page = Page(lead.get(response.headers["Location"]))
    assert "No invitations were sent" in page.text
