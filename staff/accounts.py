"""Local staff accounts (the embedded default; the city's identity provider can replace them,
staff/identity_provider.py) and the sign-in rules: argon2id password hashes, sessions that
expire, a CSRF token per session, and failed attempts that slow further tries down."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from staff.store import StaffStore, utcnow

ROLES = ("trainee", "teamlead")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
SESSION_IDLE = dt.timedelta(minutes=int(os.environ.get("STADSLOKET_STAFF_IDLE_MINUTES", "30")))
SESSION_LONGEST = dt.timedelta(hours=int(os.environ.get("STADSLOKET_STAFF_SESSION_HOURS", "8")))
FREE_FAILURES = 3  # then each failure doubles the wait before the next try
LONGEST_WAIT_SECONDS = 300

_hasher = PasswordHasher()  # argon2id with the library's current parameters
# Verified when the name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class StaffMember:
    name: str
    display_name: str
    role: str
    team: str

    @property
    def is_team_lead(self) -> bool:
        return self.role == "teamlead"


@dataclass(frozen=True)
class Session:
    member: StaffMember
    token_hash: str
    csrf: str


class SignInRefused(Exception):
    """Wrong name or password (never saying which)."""


class TooManyAttempts(Exception):
    def __init__(self, wait_seconds: int):
        super().__init__(f"wait {wait_seconds} s")
        self.wait_seconds = wait_seconds


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_new_account(name: str, role: str, team: str, password: Optional[str]) -> Optional[str]:
    """Why an account cannot be made, or None."""
    if not NAME.match(name or ""):
        return "een naam van 2 tot 64 tekens: kleine letters, cijfers, punt, streepje of liggend streepje"
    if role not in ROLES:
        return f"rol {role!r} bestaat niet; kies {' of '.join(ROLES)}"
    if not (team or "").strip():
        return "geef een team op"
    if password is not None and len(password) < MIN_PASSWORD:
        return f"een wachtwoord van minstens {MIN_PASSWORD} tekens"
    return None


def create_account(store: StaffStore, name: str, role: str, team: str, password: Optional[str], display_name: str = "") -> None:
    problem = check_new_account(name, role, team, password)
    if problem:
        raise ValueError(problem)
    hashed = _hasher.hash(password) if password is not None else None
    store.add_account(name, display_name or name, role, team.strip(), hashed)


def _member(row) -> StaffMember:
    return StaffMember(row["name"], row["display_name"], row["role"], row["team"])


def _wait_left(store: StaffStore, key: str, now: dt.datetime) -> int:
    found = store.failures(key)
    if not found or found["count"] < FREE_FAILURES:
        return 0
    wait = min(2 ** (found["count"] - FREE_FAILURES), LONGEST_WAIT_SECONDS)
    left = (found["last_at"] + dt.timedelta(seconds=wait) - now).total_seconds()
    return max(0, int(left + 0.999))


FAILURES_KEPT = dt.timedelta(days=1)  # long enough to slow a guesser down, then forgotten


def failure_keys(row: Optional[dict], address: str) -> list:
    """What a refused try counts against: the client address (hashed) and, when the name is an
    account's, that account. A name that is no account is not kept: it may be a password typed
    into the wrong field."""
    keys = ["address:" + hashlib.sha256(("staff-sign-in " + (address or "")).encode()).hexdigest()[:32]]
    if row:
        keys.append(f"name:{row['name']}")
    return keys


def sign_in(store: StaffStore, name: str, password: str, address: str, now: Optional[dt.datetime] = None) -> StaffMember:
    """The member, or SignInRefused / TooManyAttempts; a refused try is counted for the name and
    for the address, and no password is checked while either must still wait."""
    now = now or utcnow()
    store.forget_failures_before(now - FAILURES_KEPT)
    store.end_expired_sessions(now)
    name = (name or "").strip().lower()[:64]
    row = store.account(name) if NAME.match(name) else None
    keys = failure_keys(row, address)
    wait = max(_wait_left(store, key, now) for key in keys)
    if wait:
        raise TooManyAttempts(wait)
    stored = row["password_hash"] if row else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password or "")
        if stored is None:
            raise VerifyMismatchError()
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        for key in keys:
            store.add_failure(key, now)
        raise SignInRefused() from None
    for key in keys:
        store.clear_failures(key)
    return _member(row)


def start_session(store: StaffStore, member: StaffMember, now: Optional[dt.datetime] = None) -> str:
    """A new session; returns the cookie's token (only its hash is stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    store.add_session(token_hash(token), member.name, secrets.token_urlsafe(32), now + SESSION_IDLE)
    return token


def current_session(store: StaffStore, token: Optional[str], now: Optional[dt.datetime] = None) -> Optional[Session]:
    """The live session of a cookie, extended by the idle time up to its longest life; else None."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    hashed = token_hash(token)
    found = store.session(hashed)
    if not found:
        return None
    if found["expires_at"] <= now or found["created_at"] + SESSION_LONGEST <= now:
        store.end_session(hashed)
        return None
    row = store.account(found["name"])
    if not row:
        store.end_session(hashed)
        return None
    store.extend_session(hashed, min(now + SESSION_IDLE, found["created_at"] + SESSION_LONGEST))
    return Session(_member(row), hashed, found["csrf"])


def csrf_ok(session: Session, submitted: Optional[str]) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf.encode(), submitted.encode())
