"""Does a page cost more as each family's history grows? The same partnership (HISTORY_FAMILIES families,
default 500) seeded twice in SQLite, once with 10 and once with 100 past meetings per series, and each page
requested in-process (the test client, one application context per request, as under gunicorn): the CPU
time per request and the queries it runs, side by side.

Run: ``make bench`` (part of it), or ``.venv/bin/python -m bench.history``.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

FAMILIES = int(os.environ.get("HISTORY_FAMILIES", "500"))
HISTORIES = (10, 100)
REQUESTS = 40
SECRET = "bench-history"


def measure(past_meetings: int, workdir: Path) -> dict[str, tuple[float, int]]:
    from flask_migrate import upgrade
    from sqlalchemy import event

    from bench import subjects
    from coordinator import create_app
    from coordinator.extensions import db
    from coordinator.scale import seed_scale

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / f'history-{past_meetings}.db'}",
                      "SECRET_KEY": SECRET, "BASE_URL": "http://localhost", "MAIL_TRANSPORT": "file",
                      "MAIL_DIR": str(workdir / "mail")})
    logging.disable(logging.INFO)
    with app.app_context():
        upgrade()
        world = seed_scale(FAMILIES, past_meetings=past_meetings, seed=7, tag="hist")
        db.session.commit()
        subject = subjects(app, world)
        lead, chair, family, meeting, token, cookie = (subject.lead, subject.chair, subject.family, subject.meeting,
                                                       subject.feed_token, subject.cookie)
        pages = [("My families (caseload 50)", "/families", cookie(lead)),
                 ("Family page", f"/families/{family.reference}", cookie(lead)),
                 ("Family's meetings", f"/families/{family.reference}/meetings", cookie(lead)),
                 ("Pre-meeting pack", f"/families/{family.reference}/meetings/{meeting.id}/pack", cookie(chair)),
                 ("Calendar feed (body)", f"/calendar/{token}.ics", None)]
        engine = db.engine
        db.session.remove()
    logging.disable(logging.NOTSET)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    results = {}
    for name, path, session in pages:
        client = app.test_client()
        if session:
            client.set_cookie(app.config["SESSION_COOKIE_NAME"], session, domain="localhost")
        for _ in range(3):  # warm: templates compiled, the feed's kept text made
            assert client.get(path).status_code == 200, (name, path)
        statements.clear()
        started = time.process_time()
        for _ in range(REQUESTS):
            client.get(path)
        results[name] = ((time.process_time() - started) / REQUESTS * 1000, len(statements) // REQUESTS)
    engine.dispose()
    return results


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="coordinator-history-bench-") as tmp:
        by_history = {past: measure(past, Path(tmp)) for past in HISTORIES}
    low, high = HISTORIES
    print(f"\nhistory: {FAMILIES:,} families, {low} then {high} past meetings per series (SQLite, in-process, "
          f"CPU ms per request over {REQUESTS} requests)")
    print(f"{'page':<28} {f'{low} past':>10} {f'{high} past':>10} {'ratio':>6} {'queries':>8}")
    for name in by_history[low]:
        (cpu_low, q_low), (cpu_high, q_high) = by_history[low][name], by_history[high][name]
        print(f"{name:<28} {cpu_low:>10.1f} {cpu_high:>10.1f} {cpu_high / cpu_low:>6.2f} {q_low:>4}/{q_high:<3}")


if __name__ == "__main__":
    main()
