"""Scheduler processes for real: ``flask --app coordinator scheduler`` against the test database and SMTP server."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import RecordingHandler, SmtpServer

PROJECT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
TICK_SECONDS = 1
LEASE_SECONDS = 3


class SlowHandler(RecordingHandler):
    """Takes ``delay`` seconds over each message before accepting it, like a busy relay; a client that
    goes away meanwhile leaves the message unaccepted (the server drops it)."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


class SlowSmtpServer(SmtpServer):
    def __init__(self, delay: float):
        super().__init__()
        self.handler = SlowHandler(delay)


@pytest.fixture
def slow_smtp_server():
    server = SlowSmtpServer(delay=0.15)
    server.start()
    yield server
    server.stop()


class Schedulers:
    """Starts scheduler processes and makes sure every one of them is gone when the test ends."""

    def __init__(self, database_url: str, tmp_path: Path):
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []
        self._logs: list = []

    def env(self, smtp_server, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "SMTP_", "MAIL_", "SCHEDULER_"))}
        env.update({
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "test-secret-key",
            "BASE_URL": "http://localhost",
            "MAIL_TRANSPORT": "smtp",
            "MAIL_FROM": "Coordinator <coordinator@partnership.test>",
            "MAIL_DIR": str(self.tmp_path / "scheduler-mail"),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_server.port),
            "SCHEDULER_TICK_SECONDS": str(TICK_SECONDS),
            "SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
            "PYTHONUNBUFFERED": "1",
        })
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def start(self, smtp_server, command: str = "scheduler", **extra) -> subprocess.Popen:
        n = len(self.processes)
        log = open(self.tmp_path / f"{command}-{n}.log", "wb")  # noqa: SIM115 - closed in stop_all
        self._logs.append(log)
        process = subprocess.Popen([FLASK, "--app", "coordinator", command], cwd=PROJECT,
                                   env=self.env(smtp_server, **extra), stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log.name
        self.processes.append(process)
        return process

    def output(self, process) -> str:
        return Path(process.log_path).read_text(errors="replace")

    @staticmethod
    def stop(process, sig=signal.SIGTERM, timeout: float = 10) -> int:
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        for log in self._logs:
            log.close()


@pytest.fixture
def schedulers(app, database_url, tmp_path):  # after `app`, so every process is gone before its database is
    started = Schedulers(database_url, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
