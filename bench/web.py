"""Pages at partnership scale, served as in production and measured against bare Flask in the same run.

A database is seeded with ``flask seed-scale`` shapes (BENCH_FAMILIES families, default 10,000, and
BENCH_AUDIT_ROWS audit events, default 1,000,000; SQLite in a temporary folder, or BENCH_DATABASE_URL, which
is emptied first). The application and the baseline (``bench.baseline``: hello-world and a 50-paragraph Jinja
page) are each served by gunicorn with 2 sync workers, and wrk drives every page in turn with 16
connections for BENCH_SECONDS seconds, for BENCH_ROUNDS alternating rounds (the best round counts). For each
page: the queries one request runs (counted in-process), p50 and p95 latency, requests a second, the
workers' CPU time per request (from /proc), and the ratios to the Jinja page's. Then the audit log's CSV of
every event, streamed, with the workers' peak memory. The load average is printed with the table: figures
from a busy machine are not comparable.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

FAMILIES = int(os.environ.get("BENCH_FAMILIES", "10000"))
AUDIT_ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", "1000000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = 16
SECRET = "bench-secret-not-for-production"
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PERCENTILES = """done = function(summary, latency, requests)
  io.write(string.format("p50=%d p95=%d\\n", latency:percentile(50), latency:percentile(95)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(workdir: Path, database_url: str) -> tuple[list[tuple[str, str, str | None]], dict]:
    """Seed the database; the pages to drive as (name, path, session cookie), and the in-process counts."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import event, text

    from bench import subjects
    from coordinator import create_app
    from coordinator.auth import services as auth
    from coordinator.auth.models import Role
    from coordinator.extensions import db
    from coordinator.scale import seed_scale

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET, "BASE_URL": "http://localhost",
                      "MAIL_TRANSPORT": "file", "MAIL_DIR": str(workdir / "mail")})
    logging.disable(logging.INFO)
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        started = time.perf_counter()
        world = seed_scale(FAMILIES, audit_rows=AUDIT_ROWS)
        admin = auth.create_user(email="admin@bench.invalid", name="Bench Admin", agency=None, role=Role.ADMIN,
                                 password=None)
        db.session.commit()
        print(f"seeded {FAMILIES:,} families, {world.meetings:,} meetings, {AUDIT_ROWS:,} audit events "
              f"in {time.perf_counter() - started:.0f} s")
        if database_url.startswith("postgresql"):
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        deep = db.session.execute(text("SELECT id FROM audit_events ORDER BY at DESC, id DESC LIMIT 1 OFFSET :n"),
                                  {"n": min(AUDIT_ROWS - 1, 9_999 * 50)}).scalar()
        subject = subjects(app, world)
        chair, family, meeting, token, cookie = (subject.chair, subject.family, subject.meeting, subject.feed_token,
                                                 subject.cookie)
        lead = subject.lead

        pages = [
            ("My families (caseload 50)", "/families", cookie(lead)),
            ("Family page", f"/families/{family.reference}", cookie(lead)),
            ("Meeting page", f"/families/{family.reference}/meetings/{meeting.id}", cookie(lead)),
            ("Pre-meeting pack", f"/families/{family.reference}/meetings/{meeting.id}/pack", cookie(chair)),
            ("Calendar feed (unchanged: 304)", f"/calendar/{token}.ics", None),
            ("Calendar feed (body)", f"/calendar/{token}.ics", None),
            ("Audit log, page 1", "/admin/audit", cookie(admin)),
            ("Audit log, page 10,000", f"/admin/audit?older_than={deep}", cookie(admin)),
        ]
        engine = db.engine
        db.session.remove()
    # Each request in its own application context, as under gunicorn (a shared one would keep the last
    # person signed in, and the session, from one request to the next).
    etag = app.test_client().get(f"/calendar/{token}.ics").headers["ETag"]
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    queries = {}
    for name, path, session in pages:
        client = app.test_client()  # a browser of its own: only this page's person's cookie
        if session:
            client.set_cookie(app.config["SESSION_COOKIE_NAME"], session, domain="localhost")
        headers = {"If-None-Match": etag} if "304" in name else {}
        statements.clear()
        response = client.get(path, headers=headers)
        assert response.status_code == (304 if "304" in name else 200), (name, response.status_code)
        queries[name] = len(statements)
    engine.dispose()
    named = [(n, p, f"{app.config['SESSION_COOKIE_NAME']}={c}" if c else None) for n, p, c in pages]
    admin_cookie = next(c for n, _, c in named if n.startswith("Audit"))
    return named, {"queries": queries, "etag": etag, "admin": admin_cookie}


class Served:
    """A WSGI app under gunicorn, 2 sync workers, on a free port."""

    def __init__(self, target: str, env: dict):
        self.port = free_port()
        # A sync worker cannot signal that it is alive while it streams a long export: allow the export time.
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "--timeout", "600", target],
            env={**os.environ, **env}, cwd=HERE.parent)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/hello" if "baseline" in target else
                                       f"http://127.0.0.1:{self.port}/accessibility", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{target} did not start")

    def workers(self) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def peak_memory_mb(self) -> float:
        peaks = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks, default=0.0)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def drive(served: Served, path: str, headers: list[str], lua: Path) -> dict:
    before = served.cpu_seconds()
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", str(lua)]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run(command + [f"http://127.0.0.1:{served.port}{path}"], capture_output=True, text=True,
                         check=True).stdout
    cpu = served.cpu_seconds() - before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    percentiles = dict(re.findall(r"(p\d+)=(\d+)", out))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "requests": requests,
            "p50": int(percentiles["p50"]) / 1000, "p95": int(percentiles["p95"]) / 1000,
            "cpu_ms": cpu / max(requests, 1) * 1000, "bad": int(bad.group(1)) if bad else 0}


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make bench` installs it")
    with tempfile.TemporaryDirectory(prefix="coordinator-web-bench-") as tmp:
        workdir = Path(tmp)
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
        pages, facts = prepare(workdir, database_url)
        lua = workdir / "percentiles.lua"
        lua.write_text(PERCENTILES)
        env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "BASE_URL": "http://localhost",
               "MAIL_TRANSPORT": "file", "MAIL_DIR": str(workdir / "mail")}
        app, baseline = Served("coordinator:create_app()", env), Served("bench.baseline:app", {})
        targets = [("Bare Flask: hello-world", baseline, "/hello", []),
                   ("Bare Flask: 50-paragraph Jinja page", baseline, "/jinja", [])]
        for name, path, cookie in pages:
            headers = [f"Cookie: {cookie}"] if cookie else []
            if "304" in name:
                headers.append(f"If-None-Match: {facts['etag']}")
            targets.append((name, app, path, headers))
        best: dict[str, dict] = {}
        try:
            for _ in range(ROUNDS):  # alternating rounds: a passing spike does not favour one side
                for name, served, path, headers in targets:
                    result = drive(served, path, headers, lua)
                    if name not in best or result["rps"] > best[name]["rps"]:
                        best[name] = result
            csv = bench_csv(app, facts["admin"])
        finally:
            app.stop()
            baseline.stop()
    jinja = best["Bare Flask: 50-paragraph Jinja page"]
    print(f"\n{'page':<38} {'queries':>7} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>8} {'CPU ms/req':>10} "
          f"{'req/s vs Jinja':>14} {'CPU vs Jinja':>12}")
    for name, *_ in targets:
        r = best[name]
        print(f"{name:<38} {facts['queries'].get(name, ''):>7} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['rps']:>8.0f} "
              f"{r['cpu_ms']:>10.2f} {r['rps'] / jinja['rps']:>13.0%} {r['cpu_ms'] / jinja['cpu_ms']:>11.1f}x"
              + (f"  ({r['bad']} non-2xx answers!)" if r["bad"] else ""))
    print(f"\nAudit log CSV, every event ({AUDIT_ROWS:,}): {csv['rows']:,} lines in {csv['seconds']:.1f} s, "
          f"workers' peak memory {csv['peak_mb']:.0f} MB")
    print(f"{CONNECTIONS} connections, 2 gunicorn sync workers each, best of {ROUNDS} rounds of {SECONDS} s; "
          f"{'PostgreSQL' if database_url.startswith('postgresql') else 'SQLite'}; load average now "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


def bench_csv(app: Served, admin_cookie: str) -> dict:
    started = time.perf_counter()
    request = urllib.request.Request(f"http://127.0.0.1:{app.port}/admin/audit.csv", headers={"Cookie": admin_cookie})
    rows = 0
    with urllib.request.urlopen(request, timeout=600) as response:
        for _ in response:
            rows += 1
    return {"rows": rows, "seconds": time.perf_counter() - started, "peak_mb": app.peak_memory_mb()}


if __name__ == "__main__":
    main()
