"""A real IMAP server for the tests: Debian's Dovecot, started on a free loopback port with its own
configuration in a temporary directory (`make test` installs it). Any user name signs in with the password
"secret", each with a maildir of its own, so every test reads a mailbox nobody else writes to; or with
SASL XOAUTH2 and the bearer token "valid:<user name>", which Dovecot checks with a token introspection
endpoint (RFC 7662) the tests serve themselves, as Microsoft 365 or Google would."""
from __future__ import annotations

import contextlib
import imaplib
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PASSWORD = "secret"


@dataclass
class Dovecot:
    host: str
    port: int
    root: Path
    introspection: ThreadingHTTPServer | None = None

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message into ``user``'s folder (as an MTA's delivery agent would)."""
        with self.connect(user) as imap:
            kind, _ = imap.append(folder, None, None, raw)
            assert kind == "OK"

    @contextlib.contextmanager
    def connect(self, user: str):
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            imap.login(user, PASSWORD)
            yield imap
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                imap.logout()

    def flags(self, user: str) -> list[str]:
        """Each message's flags, in order."""
        with self.connect(user) as imap:
            imap.select("INBOX")
            kind, data = imap.fetch("1:*", "(FLAGS)")
            return [line.decode() for line in data if isinstance(line, bytes)] if kind == "OK" else []

    def config(self, user: str) -> dict:
        return {"MAIL_INBOUND": "imap", "MAIL_INBOUND_HOST": self.host, "MAIL_INBOUND_PORT": self.port,
                "MAIL_INBOUND_SECURITY": "none", "MAIL_INBOUND_USERNAME": user, "MAIL_INBOUND_PASSWORD": PASSWORD,
                "MAIL_INBOUND_FOLDER": "INBOX"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Introspection(BaseHTTPRequestHandler):
    """RFC 7662 token introspection: "valid:<user>" is an active token for that user; anything else is not."""

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        token = urllib.parse.parse_qs(body).get("token", [""])[0]
        user = token.removeprefix("valid:") if token.startswith("valid:") else None
        data = json.dumps({"active": True, "username": user} if user else {"active": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def start() -> tuple[Dovecot, subprocess.Popen]:
    """Start a server in a directory of its own (under /tmp: the mail user must be able to reach it, which
    pytest's private temporary directories do not allow); stop() removes it."""
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    root.chmod(0o755)
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        raise RuntimeError("Dovecot is not installed: `make test` installs Debian's dovecot-imapd")
    port = _free_port()
    introspection = ThreadingHTTPServer(("127.0.0.1", 0), _Introspection)
    threading.Thread(target=introspection.serve_forever, daemon=True).start()
    (root / "oauth2.conf.ext").write_text(
        f"introspection_mode = post\nintrospection_url = http://127.0.0.1:{introspection.server_address[1]}/introspect\n"
        "username_attribute = username\nactive_attribute = active\nactive_value = true\n")
    (root / "run").mkdir(parents=True)
    (root / "home").mkdir()
    (root / "home").chmod(0o777)
    conf = root / "dovecot.conf"
    conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
first_valid_uid = 1
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {root}/oauth2.conf.ext
}}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
""")
    process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return Dovecot("127.0.0.1", port, root, introspection), process
        if process.poll() is not None:
            raise RuntimeError(f"Dovecot did not start: see {root}/dovecot.log")
        time.sleep(0.1)
    process.terminate()
    introspection.shutdown()
    raise RuntimeError("Dovecot did not start listening in 15 seconds")


def stop(server: Dovecot, process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(10)
    if server.introspection is not None:
        server.introspection.shutdown()
        server.introspection.server_close()
    shutil.rmtree(server.root, ignore_errors=True)
