"""`make run` on another HOST and PORT: the links in emails, the calendar feed's address and the banners follow
them, unless BASE_URL says where people reach the service."""
from __future__ import annotations

import email
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from flask import Flask

from coordinator.config import load_config
from tests.conftest import CSRF_RE, free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo password for host and port"


def configured(tmp_path: Path, monkeypatch, instance_config: str = "", **env: str) -> dict:
    """The settings an application started with these environment variables would have."""
    for name in ("BASE_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    (instance / "config.py").write_text(instance_config)
    app = Flask("coordinator", instance_path=str(instance), instance_relative_config=True)
    load_config(app, {"SECRET_KEY": "test"})
    return app.config


def test_links_start_at_127_0_0_1_port_5000_by_default(tmp_path, monkeypatch):
    assert configured(tmp_path, monkeypatch)["BASE_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize("env, base", [
    ({"PORT": "5101"}, "http://127.0.0.1:5101"),
    ({"HOST": "localhost", "PORT": "8080"}, "http://localhost:8080"),
    ({"HOST": "0.0.0.0", "PORT": "5101"}, "http://127.0.0.1:5101"),  # every interface: this machine's own
    ({"HOST": "::1"}, "http://[::1]:5000"),
])
def test_links_follow_host_and_port(tmp_path, monkeypatch, env, base):
    config = configured(tmp_path, monkeypatch, **env)
    assert config["BASE_URL"] == base
    assert config["SESSION_COOKIE_SECURE"] is False


def test_base_url_set_in_the_environment_or_the_instance_wins(tmp_path, monkeypatch):
    config = configured(tmp_path, monkeypatch, HOST="127.0.0.1", PORT="5101",
                        BASE_URL="https://coordinator.partnership.test")
    assert config["BASE_URL"] == "https://coordinator.partnership.test"
    assert config["SESSION_COOKIE_SECURE"] is True
    config = configured(tmp_path, monkeypatch, 'BASE_URL = "https://meetings.partnership.test"\n', PORT="5101")
    assert config["BASE_URL"] == "https://meetings.partnership.test"


@pytest.mark.parametrize("port", ["http", "0", "70000", "-1"])
def test_a_port_that_is_no_port_is_refused_by_name(tmp_path, monkeypatch, port):
    with pytest.raises(ValueError, match="PORT must be a port number from 1 to 65535"):
        configured(tmp_path, monkeypatch, PORT=port)


# --- the commands `make run` runs, for real ---------------------------------------------------------

def run_env(database_url: str, tmp_path: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "MAIL_", "SMTP_", "SCHEDULER_")) and k not in ("BASE_URL", "HOST", "PORT")}
    env.update({"DATABASE_URL": database_url, "SECRET_KEY": "a-test-secret", "MAIL_DIR": str(tmp_path / "mail"),
                "SCHEDULER_TICK_SECONDS": "1", "PYTHONUNBUFFERED": "1", "HOST": "127.0.0.1", "PORT": str(port)})
    return env


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "coordinator", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def wait_for(predicate, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"gave up waiting for {what}")


def links_in(message_file: Path) -> list[str]:
    message = email.message_from_bytes(message_file.read_bytes())
    texts = [part.get_payload(decode=True).decode() for part in message.walk()
             if part.get_content_maintype() == "text"]
    return [link for text in texts for link in re.findall(r"https?://[^\s\"'<>]+", text)]


def test_make_run_on_another_port_links_everything_to_that_port(empty_database_url, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = run_env(empty_database_url, tmp_path, port)
    flask("init-db", env=env)
    demo = flask("demo", "--skip-if-real", "--password", DEMO_PASSWORD, env=env)
    assert f"Demo ready at {base}. Sign in with any of these (password: {DEMO_PASSWORD}):" in demo.stdout

    log = open(tmp_path / "run.log", "w+")  # noqa: SIM115 - closed below
    server = subprocess.Popen(["scripts/run.sh"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              env={**env, "FLASK": f"{sys.executable} -m flask --app coordinator"},
                              start_new_session=True)
    try:
        banner = wait_for(lambda: (tmp_path / "run.log").read_text(), "the start banner")
        assert f"Web server on {base}" in banner

        # Signed in over HTTP on that port, the calendar feed's address is on that port.
        cookies = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def sign_in_page():
            try:
                return cookies.open(f"{base}/sign-in", timeout=5).read().decode()
            except OSError:
                return None

        token = CSRF_RE.search(wait_for(sign_in_page, "the web server")).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": "health@demo.invalid",
                                       "password": DEMO_PASSWORD}).encode()
        cookies.open(f"{base}/sign-in", data=form, timeout=10).read()
        calendar = cookies.open(f"{base}/calendar", timeout=10).read().decode()
        feed = re.search(r'id="feed-url" type="text" value="([^"]+)"', calendar).group(1)
        assert feed.startswith(f"{base}/calendar/") and feed.endswith(".ics")

        # The scheduler beside it sends the demo's emails: every link in every one is on that port.
        mail = tmp_path / "mail"
        sent = wait_for(lambda: sorted(mail.glob("*.eml")) if mail.exists() else [], "the demo's emails")
        links = [link for message in sent for link in links_in(message)]
        # The one link elsewhere is where the demo's online meetings are held (in the calendar invitations).
        ours = [link for link in links if not link.startswith("https://video.demo.invalid/")]
        assert ours
        assert all(link.startswith(f"{base}/") for link in ours), sorted(set(ours))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
