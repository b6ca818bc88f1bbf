"""Transports deliver a rendered message. They raise TemporaryFailure or PermanentFailure."""
from __future__ import annotations

import contextlib
import os
import smtplib
import socket
from pathlib import Path

from flask import current_app


class TemporaryFailure(Exception):
    """Worth trying again later: a 4xx answer, a timeout, a refused or dropped connection."""


class PermanentFailure(Exception):
    """Trying again will not help: a 5xx answer. Shown to administrators with a resend button."""


class FileTransport:
    """Writes each message to ``MAIL_DIR`` as an .eml file that any mail client opens."""

    def __init__(self, directory: str):
        self.directory = Path(directory)

    def open(self):
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, *, sender: str, recipient: str, data: bytes, name: str) -> None:
        target = self.directory / f"{name}.eml"
        partial = target.with_suffix(".eml.part")
        try:
            partial.write_bytes(data)
            os.replace(partial, target)  # a reader never sees half a message
        except OSError as exc:  # a full disk, a permission, something in the way: try again later
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise TemporaryFailure(f"cannot write {target}: {exc}") from exc

    def close(self):
        pass


class SmtpTransport:
    """One SMTP connection per batch, STARTTLS and credentials as configured."""

    def __init__(self, host: str, port: int, *, starttls: bool, username: str | None, password: str | None,
                 timeout: float):
        self.host, self.port, self.starttls = host, port, starttls
        self.username, self.password, self.timeout = username, password, timeout
        self._smtp: smtplib.SMTP | None = None

    def open(self):
        pass  # connect lazily, so an empty batch opens no connection

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            try:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
            except smtplib.SMTPResponseException as exc:
                raise _classify(exc.smtp_code, exc.smtp_error) from exc
            except (OSError, smtplib.SMTPException) as exc:
                raise TemporaryFailure(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
            self._smtp = smtp
        return self._smtp

    def send(self, *, sender: str, recipient: str, data: bytes, name: str) -> None:
        smtp = self._connection()
        try:
            smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._reset()
            raise _classify(code, text) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
            self._reset()
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except UnicodeEncodeError as exc:  # smtplib sends addresses as ASCII (no SMTPUTF8 here)
            self._reset()
            raise PermanentFailure(f"cannot send to {recipient} from {sender}: only plain ASCII "
                                   "addresses can be sent") from exc
        except (OSError, socket.timeout, smtplib.SMTPException) as exc:
            self._drop()
            raise TemporaryFailure(f"connection lost: {exc}") from exc

    def _reset(self):
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self):
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self):
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._drop()


def _classify(code: int, text) -> Exception:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    message = f"{code} {text}"
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)


def make_transport():
    cfg = current_app.config
    if cfg["MAIL_TRANSPORT"] == "smtp":
        return SmtpTransport(
            cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), starttls=bool(cfg["SMTP_STARTTLS"]),
            username=cfg.get("SMTP_USERNAME"), password=cfg.get("SMTP_PASSWORD"),
            timeout=float(cfg["SMTP_TIMEOUT_SECONDS"]),
        )
    if cfg["MAIL_TRANSPORT"] == "file":
        return FileTransport(cfg["MAIL_DIR"])
    raise RuntimeError(f"unknown MAIL_TRANSPORT {cfg['MAIL_TRANSPORT']!r} (use 'smtp' or 'file')")
