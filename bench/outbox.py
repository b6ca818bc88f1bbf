"""The outbox against raw smtplib, to the same local SMTP server (aiosmtpd's Sink, in its own process).

Raw: one smtplib connection sends the outbox's own MIME texts one after the other, nothing else. The outbox:
the scheduler's job (lease taken, ``send-outbox`` run through its lease keeper) claims, sends and records
the same number of queued messages. Both on SQLite in a temporary folder, or on BENCH_DATABASE_URL.

Run: ``make bench`` (part of it), or ``.venv/bin/python -m bench.outbox``.
"""
from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MESSAGES = int(os.environ.get("BENCH_OUTBOX_MESSAGES", "1000"))
ROUNDS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink() -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.05)
    server.kill()
    sys.exit("the SMTP sink did not start")


def make_app(database_url: str, port: int):
    import logging

    from flask_migrate import upgrade

    from coordinator import create_app
    from coordinator.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "BASE_URL": "http://localhost",
                      "MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                      "SMTP_STARTTLS": False, "MAIL_FROM": "Coordinator <coordinator@partnership.test>"})
    logging.disable(logging.INFO)
    with app.app_context():
        if database_url.startswith("postgresql"):  # emptied first, as the web benchmark does
            db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
    logging.disable(logging.NOTSET)
    logging.getLogger().setLevel(logging.WARNING)
    return app


def queue(app, round_: int) -> list[tuple[str, bytes]]:
    """MESSAGES queued messages (like the meeting-change emails: text, HTML and an iMIP calendar)."""
    from coordinator.extensions import db
    from coordinator.notify.mime import CalendarPart, Email
    from coordinator.notify.models import OutboxMessage
    from coordinator.notify.services import enqueue

    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
           "UID:bench@partnership.test\r\nDTSTAMP:20261130T100000Z\r\nDTSTART:20261208T100000Z\r\n"
           "SUMMARY:Professionals meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with app.app_context():
        for n in range(MESSAGES):
            enqueue(f"bench-{round_}-{n}",
                    Email(to=f"person{n}@agency.test", subject="Professionals meeting: changed",
                          text="The meeting has moved.\n" * 20, html="<p>The meeting has moved.</p>" * 20,
                          calendar=CalendarPart(ics=ics, method="REQUEST")),
                    kind="meeting_change", checked=True)
        db.session.commit()
        texts = [(row.recipient, row.mime.encode()) for row in db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.idempotency_key.like(f"bench-{round_}-%")))]
    return texts


def raw_rate(port: int, texts: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port)
    for recipient, data in texts:
        smtp.sendmail("coordinator@partnership.test", [recipient], data)
    smtp.quit()
    return len(texts) / (time.perf_counter() - started)


def outbox_rate(app) -> tuple[float, dict, int]:
    from sqlalchemy import event

    from coordinator.extensions import db
    from coordinator.notify.jobs import send_outbox
    from coordinator.scheduler.services import LeaseKeeper, acquire_lease, new_holder_id, release_lease
    from coordinator.timeutil import utcnow

    with app.app_context():
        holder = new_holder_id("bench")
        assert acquire_lease(holder)
        statements = 0

        def count(*_):
            nonlocal statements
            statements += 1

        event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        counts = send_outbox(LeaseKeeper(holder), utcnow())
        elapsed = time.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", count)
        release_lease(holder)
    return counts["sent"] / elapsed, counts, statements


def main() -> None:
    server, port = start_sink()
    try:
        with tempfile.TemporaryDirectory(prefix="coordinator-outbox-bench-") as tmp:
            database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
            app = make_app(database_url, port)
            raw, outbox = [], []
            for round_ in range(ROUNDS):  # alternating: a passing spike does not favour one side
                texts = queue(app, round_)
                raw.append(raw_rate(port, texts))
                rate, counts, statements = outbox_rate(app)
                assert counts["sent"] == MESSAGES, counts
                outbox.append(rate)
            with app.app_context():
                from coordinator.extensions import db

                db.engine.dispose()
    finally:
        server.terminate()
        server.wait()
    kind = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(f"\noutbox: {MESSAGES:,} messages to a local SMTP sink ({kind}), best of {ROUNDS}: "
          f"raw smtplib {max(raw):.0f}/s, the scheduler's outbox job {max(outbox):.0f}/s "
          f"= {max(outbox) / max(raw):.2f} x raw; {statements / MESSAGES:.2f} statements per message")


if __name__ == "__main__":
    main()
