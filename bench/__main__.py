"""Benchmarks for the meetings area, on a temporary SQLite database migrated like a real one.

1. A personal calendar feed: one user invited to 200 series whose meetings run over two years, some of
   them moved or cancelled. The time for ``coordinator.calendar.feed.feed_ics(user)`` (database load
   included) against the time ``icalendar`` alone takes to build the same VEVENTs (and VTIMEZONE) from
   plain Python values and serialise them with ``to_ical``.
2. Generating occurrences: ``coordinator.meetings.services.generate_occurrences`` over 10,000 in-memory
   series of mixed schedules, up to the configured horizon; and, for a sense of the cost of storing them,
   1,000 of them written to the database.

3. The outbox's scheduler job against raw smtplib to the same local SMTP server (``bench/outbox.py``).
4. Each page's CPU with 10 and with 100 past meetings per series (``bench/history.py``).
5. The pages at partnership scale under gunicorn, driven by wrk beside bare Flask (``bench/web.py``).

Run: ``make bench`` (a few minutes; ``BENCH_ARGS=--no-web`` for 1 to 4 only, ``--web-only`` for 5).
Figures are the best of a few runs.
"""
from __future__ import annotations

import logging
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

FEED_SERIES = 200
FEED_YEARS = 2
FEED_RUNS = 5
GENERATE_SERIES = 10_000
STORE_SERIES = 1_000


def make_app(workdir: Path):
    from flask_migrate import upgrade

    from coordinator import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
        "SECRET_KEY": "bench",
        "BASE_URL": "http://localhost",
        "MAIL_TRANSPORT": "file",
        "MAIL_DIR": str(workdir / "mail"),
        "MAIL_FROM": "Coordinator <coordinator@partnership.test>",
    })
    logging.disable(logging.INFO)  # alembic's progress lines
    with app.app_context():
        upgrade()
    logging.disable(logging.NOTSET)
    logging.getLogger().setLevel(logging.WARNING)
    return app


def best(runs: int, fn):
    """(best wall time, median wall time, best CPU time, the last result). The CPU time is there because
    wall times swing when the machine is busy with other work."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        start, start_cpu = clock.perf_counter(), clock.process_time()
        result = fn()
        times.append(clock.perf_counter() - start)
        cpu.append(clock.process_time() - start_cpu)
    return min(times), statistics.median(times), min(cpu), result


# --- 1. the feed --------------------------------------------------------------------------------------

def build_feed_world(rng: random.Random):
    """A user invited to FEED_SERIES series (in 20 families), each generated over FEED_YEARS years, with
    about one meeting in ten moved and one in twenty cancelled."""
    from coordinator.agencies.models import Agency, AgencyKind
    from coordinator.auth import services as auth
    from coordinator.extensions import db
    from coordinator.families import services as families
    from coordinator.families.models import NetworkRole, PlanType
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import MeetingType, OccurrenceStatus, Recurrence, SeriesEnd
    from coordinator.timeutil import utcnow

    agency = Agency(name="Bench Children's Services", kind=AgencyKind.CHILDRENS_SOCIAL_CARE)
    health = Agency(name="Bench Health", kind=AgencyKind.CHILDRENS_SOCIAL_CARE)
    db.session.add_all([agency, health])
    db.session.flush()
    lead = auth.create_user(email="lead@bench.test", name="Lee Lead", agency=agency)
    user = auth.create_user(email="hv@bench.test", name="Hana Visitor", agency=health)
    others = [auth.create_user(email=f"p{n}@bench.test", name=f"Person {n}", agency=health) for n in range(4)]
    family_list = []
    for n in range(20):
        family = families.create_family(lead=lead, family_name=f"Family {n}", plan_type=PlanType.CHILD_IN_NEED,
                                        reason_for_sharing="Bench")
        for person in [user, *others]:
            families.add_to_network(family, person, NetworkRole.MEMBER, reason="Bench", actor=lead)
        family_list.append(family)
    db.session.commit()

    today = utcnow().date()
    types = list(MeetingType)
    for n in range(FEED_SERIES):
        first = today + timedelta(days=1 + n % 28)
        kind = (Recurrence.WEEKLY, Recurrence.WEEKLY, Recurrence.MONTHLY_WEEKDAY)[n % 3]
        interval = rng.choice([2, 4, 6]) if kind is Recurrence.WEEKLY else 1
        if kind is Recurrence.MONTHLY_DATE and first.day > 28:
            first = first.replace(day=28)
        schedule = meetings.Schedule(types[n % len(types)], first, time(9 + n % 7, 30 if n % 2 else 0), 90, kind,
                                     interval, SeriesEnd.ON_DATE, until_date=first + timedelta(days=365 * FEED_YEARS),
                                     location="Family centre, room 2",
                                     online_link="https://meet.example.org/bench" if n % 2 else None)
        series = meetings.create_series(family_list[n % len(family_list)], schedule, actor=lead, chair=lead,
                                        minute_taker=None, invitees=[user, *others], notify=False)
        meetings.generate_occurrences(series, until=utcnow() + timedelta(days=365 * FEED_YEARS + 60))
        for occurrence in series.occurrences:
            roll = rng.random()
            if roll < 0.10:
                occurrence.starts_at += timedelta(days=1, hours=2)
                occurrence.ends_at += timedelta(days=1, hours=2)
                occurrence.location = "Library"
                occurrence.status = OccurrenceStatus.MOVED
            elif roll < 0.15:
                occurrence.status = OccurrenceStatus.CANCELLED
                occurrence.cancel_reason = "Bench"
    db.session.commit()
    return user


def plain_feed_data(user):
    """The feed's content as plain values, read once from the database, so that the icalendar-only timing
    measures icalendar and nothing else."""
    from sqlalchemy import select

    from coordinator.extensions import db
    from coordinator.meetings import queries as meeting_queries
    from coordinator.meetings import services as meetings
    from coordinator.meetings.models import Invitee, MeetingSeries

    rows = db.session.scalars(select(MeetingSeries).join(Invitee, Invitee.series_id == MeetingSeries.id)
                              .where(Invitee.user_id == user.id, Invitee.removed_at.is_(None))
                              .order_by(MeetingSeries.id)).all()
    data = []
    for series in rows:
        zone = ZoneInfo(series.timezone)
        people = [(a.email, a.name, a.role) for a in meetings.attendees(series)]
        base = dict(summary=series.title, organiser=(series.organiser_email, series.organiser_name),
                    attendees=people, sequence=series.sequence, last_modified=series.updated_at, zone=zone)
        master = dict(base, uid=series.uid, start=series.first_start,
                      end=series.first_start + timedelta(minutes=series.duration_minutes),
                      url=meeting_queries.series_url(series),
                      location=", ".join(p for p in (series.location, series.online_link) if p) or None,
                      status="CONFIRMED", rrule=series.rule.ical_rrule(), recurrence_id=None)
        data.append(master)
        for o in series.rule_occurrences:
            if o.status_name in ("MOVED", "CANCELLED"):
                data.append(dict(base, uid=series.uid, start=o.starts_at, end=o.ends_at, url=meeting_queries.meeting_url(o),
                                 location=", ".join(p for p in (o.where, o.link) if p) or None,
                                 status="CANCELLED" if o.status_name == "CANCELLED" else "CONFIRMED", rrule=None,
                                 recurrence_id=o.original_start))
    return data


def icalendar_alone(data, stamp, zone_name: str) -> bytes:
    """The same calendar built with icalendar directly: VTIMEZONE, then one VEVENT per master and override."""
    from icalendar import Calendar, Event, vCalAddress, vText

    from coordinator.calendar.ics import vtimezone

    cal = Calendar()
    cal.add("prodid", "-//bench//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add_component(vtimezone(zone_name))
    for item in data:
        zone = item["zone"]
        event = Event()
        event.add("uid", item["uid"])
        event.add("sequence", item["sequence"])
        event.add("dtstamp", stamp)
        event.add("dtstart", item["start"].astimezone(zone))
        event.add("dtend", item["end"].astimezone(zone))
        event.add("summary", item["summary"])
        event.add("description", item["url"])
        event.add("url", item["url"])
        if item["location"]:
            event.add("location", item["location"])
        event.add("status", item["status"])
        event.add("transp", "OPAQUE")
        event.add("last-modified", item["last_modified"].astimezone(timezone.utc))
        organiser = vCalAddress(f"mailto:{item['organiser'][0]}")
        organiser.params["cn"] = vText(item["organiser"][1])
        event.add("organizer", organiser)
        for email, name, role in item["attendees"]:
            attendee = vCalAddress(f"mailto:{email}")
            attendee.params["cn"] = vText(name)
            attendee.params["role"] = vText(role)
            attendee.params["partstat"] = vText("NEEDS-ACTION")
            attendee.params["rsvp"] = vText("TRUE")
            event.add("attendee", attendee, encode=0)
        if item["rrule"]:
            event.add("rrule", item["rrule"])
        if item["recurrence_id"]:
            event.add("recurrence-id", item["recurrence_id"].astimezone(zone))
        cal.add_component(event)
    return cal.to_ical()


def bench_feed(app) -> None:
    from coordinator.calendar.feed import feed_ics
    from coordinator.extensions import db
    from coordinator.meetings.models import Occurrence

    rng = random.Random(20261126)
    with app.app_context():
        started = clock.perf_counter()
        user = build_feed_world(rng)
        setup = clock.perf_counter() - started
        meetings_count = db.session.query(Occurrence).count()
        user_id = user.id

    from coordinator.calendar import feed

    def run_feed(forget: bool = True, change: bool = False):
        # a fresh session each run, as each feed request has: the database load is part of the cost
        with app.app_context():
            from coordinator.auth.models import User
            from coordinator.meetings.models import MeetingSeries

            if forget:
                feed._SERIES_TEXT.clear()  # every series' text built again: the feed as first fetched
            if change:  # one series changed since the last fetch (as a move or a cancellation leaves it)
                series = db.session.query(MeetingSeries).order_by(MeetingSeries.id).first()
                series.revision += 1
                db.session.commit()
            return feed_ics(db.session.get(User, user_id))

    def unchanged():
        with app.app_context():
            from coordinator.auth.models import User

            return feed.feed_version(db.session.get(User, user_id))

    run_feed()  # warm up (imports, caches)
    feed_best, feed_median, feed_cpu, body = best(FEED_RUNS, run_feed)
    changed_best, _, changed_cpu, changed_body = best(FEED_RUNS, lambda: run_feed(forget=False, change=True))
    same_best, _, _, _ = best(FEED_RUNS, unchanged)

    with app.app_context():
        from coordinator.auth.models import User

        data = plain_feed_data(db.session.get(User, user_id))
        zone_name = app.config["TIMEZONE"]
    stamp = datetime.now(timezone.utc)
    icalendar_alone(data, stamp, zone_name)  # warm up
    ical_best, ical_median, ical_cpu, direct = best(FEED_RUNS, lambda: icalendar_alone(data, stamp, zone_name))

    print(f"feed, one series changed since the last fetch (the rest kept as text): {changed_best * 1000:.0f} ms "
          f"(ratio to icalendar alone {changed_best / ical_best:.2f}; CPU ratio {changed_cpu / ical_cpu:.2f}); "
          f"unchanged, answered 304 from its version: {same_best * 1000:.1f} ms")
    if changed_body.count("BEGIN:VEVENT") != body.count("BEGIN:VEVENT"):
        print("  warning: the kept and rebuilt feeds hold different numbers of events", file=sys.stderr)
    ours_events = body.count("BEGIN:VEVENT")
    direct_events = direct.decode().count("BEGIN:VEVENT")
    print(f"feed: {FEED_SERIES} series, {FEED_YEARS} years: {feed_best:.2f} s "
          f"(icalendar alone {ical_best:.2f} s, ratio {feed_best / ical_best:.1f})")
    print(f"  best of {FEED_RUNS}; medians {feed_median:.2f} s and {ical_median:.2f} s; CPU time {feed_cpu:.2f} s and "
          f"{ical_cpu:.2f} s (ratio {feed_cpu / ical_cpu:.1f}).")
    print(f"  {meetings_count:,} meetings in "
          f"the database; {ours_events:,} VEVENTs in the feed ({direct_events:,} built directly), "
          f"{len(body.encode()) / 1024:.0f} KiB. Setting up the data took {setup:.1f} s.")
    if ours_events != direct_events:
        print("  warning: the two calendars hold different numbers of events", file=sys.stderr)


# --- 2. generating occurrences ------------------------------------------------------------------------

def mixed_series(rng: random.Random, n: int, today: date):
    """``n`` unsaved series of mixed schedules: weekly every 1-12 weeks, monthly on a weekday or a date,
    never ending, ending on a date, or after a number of meetings."""
    from coordinator.meetings.models import MeetingSeries, MeetingType, Recurrence, SeriesEnd, SeriesStatus

    kinds = [Recurrence.WEEKLY] * 6 + [Recurrence.MONTHLY_WEEKDAY] * 2 + [Recurrence.MONTHLY_DATE]
    result = []
    for i in range(n):
        kind = rng.choice(kinds)
        first = today + timedelta(days=rng.randint(0, 60))
        if kind is Recurrence.MONTHLY_DATE and first.day > 28:
            first = first.replace(day=rng.randint(1, 28))
        end = rng.choice([SeriesEnd.NEVER, SeriesEnd.NEVER, SeriesEnd.ON_DATE, SeriesEnd.AFTER_COUNT])
        result.append(MeetingSeries(
            family_id=1, meeting_type=rng.choice(list(MeetingType)), organiser_id=1, first_date=first,
            start_time=time(rng.randint(9, 16), rng.choice([0, 15, 30, 45])), duration_minutes=90,
            timezone="Europe/London", recurrence=kind,
            interval=rng.randint(1, 12) if kind is Recurrence.WEEKLY else rng.randint(1, 3), end_kind=end,
            until_date=first + timedelta(days=rng.randint(30, 700)) if end is SeriesEnd.ON_DATE else None,
            count=rng.randint(1, 30) if end is SeriesEnd.AFTER_COUNT else None,
            uid=f"bench-{i}@localhost", sequence=0, status=SeriesStatus.ACTIVE, revision=1,
            generated_until=None))
    return result


def bench_generate(app) -> None:
    from coordinator.extensions import db
    from coordinator.meetings.services import generate_occurrences
    from coordinator.timeutil import utcnow

    with app.app_context():
        today = utcnow().date()
        rng = random.Random(10_000)
        batch = mixed_series(rng, GENERATE_SERIES, today)
        started = clock.perf_counter()
        made = sum(generate_occurrences(series) for series in batch)
        total = clock.perf_counter() - started
        again_started = clock.perf_counter()
        again = sum(generate_occurrences(series) for series in batch)
        again_total = clock.perf_counter() - again_started
        print(f"generate: {GENERATE_SERIES:,} series: {total:.2f} s ({total / GENERATE_SERIES * 1000:.2f} ms per "
              f"series), {made:,} meetings to the {app.config['MEETING_HORIZON_DAYS']}-day horizon")
        print(f"  in memory (unsaved series). Calling it again for all of them: {again_total * 1000:.0f} ms, "
              f"{again} made (nothing to do once generated).")

    with app.app_context():
        from coordinator.families.models import Family

        family_id = db.session.query(Family.id).first()[0]
        organiser_id = db.session.query(Family.created_by_id).first()[0]
        stored = mixed_series(random.Random(1_000), STORE_SERIES, today)
        for series in stored:
            series.family_id, series.organiser_id = family_id, organiser_id
        started = clock.perf_counter()
        db.session.add_all(stored)
        made = sum(generate_occurrences(series) for series in stored)
        db.session.commit()
        stored_total = clock.perf_counter() - started
        print(f"generate and store: {STORE_SERIES:,} series in SQLite: {stored_total:.2f} s "
              f"({stored_total / STORE_SERIES * 1000:.2f} ms per series), {made:,} meetings written")


def main() -> None:
    started = clock.perf_counter()
    if "--web-only" not in sys.argv:
        run_in_process_benchmarks()
        from bench import history, outbox

        outbox.main()
        history.main()
    if "--no-web" not in sys.argv:
        from bench import web

        web.main()
    print(f"(benchmark total {clock.perf_counter() - started:.0f} s)")


def run_in_process_benchmarks() -> None:
    with tempfile.TemporaryDirectory(prefix="coordinator-bench-") as tmp:
        app = make_app(Path(tmp))
        bench_feed(app)
        bench_generate(app)
        with app.app_context():
            from coordinator.extensions import db

            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
