"""Signing in: passwords (Argon2id), one-time codes by email, throttling, reset and invitation links.

No message, status or timing tells whether an email address has an account: unknown addresses are
throttled like known ones, and a dummy hash is checked so the work done is the same.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import delete, func, select

from coordinator.audit import services as audit
from coordinator.auth import signals
from coordinator.auth.models import (
    OneTimeCode,
    Role,
    SignInFailure,
    TokenPurpose,
    User,
    UserToken,
)
from coordinator.concurrency import claim_revision, flush_or_raise
from coordinator.extensions import db
from coordinator.notify.services import enqueue_template
from coordinator.timeutil import utcnow


@lru_cache(maxsize=4)
def _hashers(parameters: tuple) -> tuple[PasswordHasher, str]:
    """Argon2id with the configured cost (the library's recommended parameters unless set otherwise), and
    a dummy hash checked for unknown accounts so they take as long as real ones."""
    hasher = PasswordHasher(**dict(parameters))
    return hasher, hasher.hash("not a real password: used to spend the same time on unknown accounts")


def _hasher() -> PasswordHasher:
    return _hashers(tuple(sorted(current_app.config["PASSWORD_HASH_PARAMETERS"].items())))[0]


def _dummy_hash() -> str:
    return _hashers(tuple(sorted(current_app.config["PASSWORD_HASH_PARAMETERS"].items())))[1]


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _keyed_hash(value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def existing_user(email: str) -> User:
    """The user with this email, who must exist (the demo's people, a command's argument checked already)."""
    user = user_by_email(email)
    if user is None:
        raise LookupError(f"no user {email}")
    return user


# --- throttling -------------------------------------------------------------------------------------

def _window_start(now: datetime) -> datetime:
    return now - timedelta(minutes=current_app.config["SIGNIN_WINDOW_MINUTES"])


def _account_key(email: str, path: str) -> str:
    """Failures are counted per account and per way of signing in: wrong passwords typed by someone else
    lock the password only, and the owner can still sign in with a code emailed to them."""
    email = normalise_email(email)
    return _keyed_hash(email if path == "password" else f"{path}:{email}")


def is_throttled(email: str, address: str | None, now: datetime | None = None, *, path: str = "password") -> bool:
    now = now or utcnow()
    since = _window_start(now)
    cfg = current_app.config
    by_account = db.session.scalar(
        select(func.count()).select_from(SignInFailure).where(
            SignInFailure.account_key == _account_key(email, path), SignInFailure.at >= since)
    )
    if by_account >= cfg["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]:
        return True
    by_address = db.session.scalar(
        select(func.count()).select_from(SignInFailure).where(
            SignInFailure.address == (address or "-"), SignInFailure.at >= since)
    )
    return by_address >= cfg["SIGNIN_MAX_FAILURES_PER_ADDRESS"]


def _record_failure(email: str, address: str | None, reason: str, *, path: str = "password") -> None:
    db.session.add(SignInFailure(account_key=_account_key(email, path), address=address or "-"))
    user = user_by_email(email)
    audit.record("sign_in_failed", object_type="user", object_id=user.id if user else None, actor=user,
                 detail=reason)


def _record_refusal(email: str, reason: str) -> None:
    """An attempt refused by throttling is audited but not counted again: otherwise a noisy shared address
    would keep locking the real accounts typed from it."""
    user = user_by_email(email)
    audit.record("sign_in_failed", object_type="user", object_id=user.id if user else None, actor=user,
                 detail=reason)


def _clear_failures(email: str) -> None:
    db.session.execute(delete(SignInFailure).where(
        SignInFailure.account_key.in_([_account_key(email, "password"), _account_key(email, "code")])))


class SignInRefused(Exception):
    """Carries only the message a person may see; never says whether the account exists."""


def _throttled() -> SignInRefused:
    return SignInRefused(f"There have been too many attempts to sign in. Wait "
                         f"{current_app.config['SIGNIN_WINDOW_MINUTES']} minutes and try again, "
                         "or ask your administrator for help.")


def authenticate_password(email: str, password: str, address: str | None) -> User:
    """Return the user, or raise SignInRefused. Commits the failure record either way."""
    if is_throttled(email, address):
        _verify(None, password)  # same work as a real attempt
        _record_refusal(email, "throttled")
        db.session.commit()
        raise _throttled()
    user = user_by_email(email)
    ok = _verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        _record_failure(email, address, "wrong password" if user else "unknown or inactive account")
        db.session.commit()
        raise SignInRefused("Enter a correct email address and password")
    if user.password_hash and _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    _signed_in(user, "password")
    return user


def _signed_in(user: User, method: str) -> None:
    _clear_failures(user.email)
    user.last_sign_in_at = utcnow()
    audit.record("signed_in", object_type="user", object_id=user.id, actor=user, detail=method)
    db.session.commit()


# --- one-time codes ---------------------------------------------------------------------------------

def send_one_time_code(email: str, address: str | None) -> None:
    """Email a sign-in code if the address belongs to an active account. Says nothing either way."""
    user = user_by_email(email)
    if user is None or not user.active or is_throttled(email, address, path="code") or _too_many_recent(
            OneTimeCode, user, current_app.config["ONE_TIME_CODES_PER_WINDOW"]):
        return  # the answer takes the same time either way (auth.views.answers_in_fixed_time)
    now = utcnow()
    # A new code replaces any earlier one still unused.
    for old in db.session.scalars(select(OneTimeCode).where(OneTimeCode.user_id == user.id,
                                                             OneTimeCode.used_at.is_(None))):
        old.used_at = now
    code = f"{secrets.randbelow(10**6):06d}"
    row = OneTimeCode(user_id=user.id, code_hash=_keyed_hash(f"{user.id}:{code}"), created_at=now,
                      expires_at=now + timedelta(minutes=current_app.config["ONE_TIME_CODE_MINUTES"]))
    db.session.add(row)
    db.session.flush()
    enqueue_template(
        f"one-time-code:{row.id}", to=user.email, subject="Your sign-in code", template="one_time_code",
        kind="one_time_code", code=code, minutes=current_app.config["ONE_TIME_CODE_MINUTES"],
    )
    audit.record("one_time_code_sent", object_type="user", object_id=user.id, actor=user)
    db.session.commit()


def authenticate_code(email: str, code: str, address: str | None) -> User:
    refused = SignInRefused("The code is wrong or has expired. Check the code in your most recent email, "
                            "or ask for a new one.")
    if is_throttled(email, address, path="code"):
        _record_refusal(email, "throttled")
        db.session.commit()
        raise _throttled()
    user = user_by_email(email)
    now = utcnow()
    row = None
    if user is not None and user.active:
        row = db.session.scalar(
            select(OneTimeCode).where(OneTimeCode.user_id == user.id, OneTimeCode.used_at.is_(None),
                                      OneTimeCode.expires_at > now)
            .order_by(OneTimeCode.id.desc())
        )
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if user is None or row is None or row.tries >= current_app.config["ONE_TIME_CODE_MAX_TRIES"]:
        _record_failure(email, address, "no valid code", path="code")
        db.session.commit()
        raise refused
    row.tries += 1
    if not hmac.compare_digest(row.code_hash, _keyed_hash(f"{user.id}:{code}")):
        _record_failure(email, address, "wrong code", path="code")
        db.session.commit()
        raise refused
    row.used_at = now  # single use
    _signed_in(user, "one-time code")
    return user


# --- reset and invitation links ---------------------------------------------------------------------

def _issue_token(user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserToken(user_id=user.id, purpose=purpose, token_hash=_keyed_hash(token),
                             created_at=now, expires_at=now + lifetime))
    db.session.flush()
    return token


def _too_many_recent(model, user: User, limit: int) -> bool:
    """Codes and links are not sent without limit: a flood of them to someone's inbox is itself harm."""
    since = _window_start(utcnow())
    recent = db.session.scalar(select(func.count()).select_from(model).where(
        model.user_id == user.id, model.created_at >= since))
    return (recent or 0) >= limit


def request_password_reset(email: str) -> None:
    user = user_by_email(email)
    if user is None or not user.active or _too_many_recent(UserToken, user,
                                                           current_app.config["PASSWORD_RESETS_PER_WINDOW"]):
        return
    token = _issue_token(user, TokenPurpose.PASSWORD_RESET,
                         timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"]))
    enqueue_template(
        f"password-reset:{_keyed_hash(token)[:16]}", to=user.email, subject="Reset your password",
        template="password_reset", kind="password_reset", token=token,
        hours=current_app.config["PASSWORD_RESET_HOURS"],
    )
    audit.record("password_reset_requested", object_type="user", object_id=user.id, actor=user)
    db.session.commit()


def invite_user(user: User, invited_by: User) -> None:
    """Email a new user a link to set a password (or, without one, to sign in with emailed codes)."""
    token = _issue_token(user, TokenPurpose.INVITE, timedelta(days=current_app.config["INVITE_DAYS"]))
    enqueue_template(
        f"invite:{_keyed_hash(token)[:16]}", to=user.email, subject="You have been given access",
        template="invite", kind="invite", token=token, days=current_app.config["INVITE_DAYS"],
    )
    audit.record("user_invited", object_type="user", object_id=user.id, actor=invited_by)


def valid_token(token: str) -> UserToken | None:
    row = db.session.scalar(select(UserToken).where(UserToken.token_hash == _keyed_hash(token or "")))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.active:
        return None
    return row


def set_password_with_token(row: UserToken, password: str) -> User:
    user = row.user
    now = utcnow()
    # This link, and every other unused link of the user's, stops working.
    for other in db.session.scalars(select(UserToken).where(UserToken.user_id == user.id, UserToken.used_at.is_(None))):
        other.used_at = now
    row.used_at = now
    user.password_hash = hash_password(password)
    user.session_version += 1  # sign out every other session
    audit.record("password_set", object_type="user", object_id=user.id, actor=user,
                 detail=row.purpose.value)
    db.session.commit()
    return user


def load_user_from_session(value: str) -> User | None:
    try:
        user_id, version = (int(part) for part in value.split(":"))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


class UserError(ValueError):
    """A rule refused the change; ``field`` names the form field it concerns."""

    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field


class StaleUser(UserError):
    """Someone else saved the user since the form was opened."""


EMAIL_TAKEN = "A user with this email address already exists"


def create_user(*, email: str, name: str, agency=None, role: Role = Role.PRACTITIONER,
                password: str | None = None, job_title: str | None = None, is_demo: bool = False,
                actor=None, invited_by: User | None = None) -> User:
    """Add a user. An email address already used, in any case, is refused with UserError, also when two
    administrators add it at the same instant (the database's case-insensitive unique index decides)."""
    if user_by_email(email) is not None:
        raise UserError(EMAIL_TAKEN)
    user = User(email=normalise_email(email), name=name.strip(), agency=agency, role=role,
                job_title=job_title, password_hash=hash_password(password) if password else None,
                is_demo=is_demo, invited_by_id=invited_by.id if invited_by else None)
    db.session.add(user)
    flush_or_raise(UserError(EMAIL_TAKEN))
    audit.record("user_created", object_type="user", object_id=user.id, actor=actor,
                 detail=f"role={role.name}")
    return user


USER_FIELDS = ("name", "email", "job_title", "agency_id", "role", "active")


def update_user(user: User, *, actor: User, expected_revision: int, **changes) -> list[str]:
    """An administrator's change to a user (fields of USER_FIELDS). Deactivating ends their sessions at once.
    Refuses an email address someone else has and a save made from an out-of-date form."""
    changes["email"] = normalise_email(changes.get("email", user.email))
    other = user_by_email(changes["email"])
    if other is not None and other.id != user.id:
        raise UserError(EMAIL_TAKEN)
    if user.id == actor.id and (not changes.get("active", True) or changes.get("role", user.role) is not Role.ADMIN):
        raise UserError("You cannot deactivate yourself or remove your own administrator role", "active")
    changed = [key for key in USER_FIELDS if key in changes and getattr(user, key) != changes[key]]
    claim_revision(user, expected_revision, StaleUser("Someone else saved this user while you were editing"))
    was_active = user.active
    for key in changed:
        setattr(user, key, changes[key])
    if was_active and not user.active:
        user.session_version += 1  # end their sessions now
    flush_or_raise(UserError(EMAIL_TAKEN))
    audit.record("user_updated", object_type="user", object_id=user.id,
                 detail=f"changed {', '.join(changed) or 'nothing'}; role={user.role.name}; active={user.active}")
    if changed:
        signals.user_changed.send(user)
    return changed
