"""Signing in with a user name and password, the slowdown after repeated failures, and
session expiry. No Streamlit here: peakend/ui/auth.py keeps the session in Streamlit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from peakend.auth import passwords
from peakend.warehouse.accounts import (
    Target,
    User,
    _reading,
    _writing,
    audit,
    get_user,
    normalize_username,
    password_hash,
    rehash_password,
    utcnow,
)

# Brute-force slowdown, per user name typed (known or not): the first FREE_FAILURES
# wrong passwords in a row cost nothing; after that each further attempt has to wait
# 2, 4, 8 ... seconds, up to MAX_WAIT. Attempts made while waiting are refused without
# checking the password, so guessing stays slow however fast the guesses come. A correct
# password (after the wait) resets the count.
FREE_FAILURES = 4
MAX_WAIT = timedelta(minutes=5)

# A session ends after IDLE_TIMEOUT without a click, and MAX_SESSION after sign-in.
IDLE_TIMEOUT = timedelta(minutes=60)
MAX_SESSION = timedelta(hours=12)


def required_wait(failures: int) -> timedelta:
    """How long after the last failure the next attempt must wait."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_WAIT)


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    WRONG = "wrong"  # unknown user name or wrong password: one answer for both
    SLOWED = "slowed"  # too many failures: wait before trying again
    DISABLED = "disabled"  # right password, but the account is disabled


@dataclass(frozen=True)
class SignInResult:
    outcome: Outcome
    user: User | None = None
    wait_seconds: int = 0  # SLOWED: seconds left; WRONG: the wait the next attempt faces


def _failures(cur, name: str) -> tuple[int, datetime | None]:
    row = cur.execute("select failures, last_failed_at from sign_in_failures where username = ?", [name]).fetchone()
    return (row[0], row[1]) if row else (0, None)


def _seconds(delta: timedelta) -> int:
    return max(1, int(-(-delta.total_seconds() // 1)))  # round up: "wait 0 s" reads wrong


def sign_in(
    target: Target,
    username: str,
    password: str,
    now: datetime | None = None,
    client: dict[str, Any] | None = None,
) -> SignInResult:
    """Check a user name and password; audit the attempt either way.

    `client` (e.g. {"ip": ...}) goes into the audit detail. The password never leaves
    this function.
    """
    now = now or utcnow()
    # The typed name, cut to a sane length: it keys the failure counter and the audit.
    name = normalize_username(username)[:64]
    detail = dict(client or {})

    # Attempts on one name take turns, so parallel guesses can't all slip in before
    # the first failure is counted.
    with _NAME_LOCKS[hash(name) % len(_NAME_LOCKS)]:
        return _attempt(target, name, password, now, detail)


_NAME_LOCKS = [threading.Lock() for _ in range(64)]


def _attempt(target: Target, name: str, password: str, now: datetime, detail: dict) -> SignInResult:
    with _reading(target) as cur:
        failures, last_failed = _failures(cur, name)
    if last_failed is not None:
        ready_at = last_failed + required_wait(failures)
        if now < ready_at:
            audit(target, name, "sign_in_slowed", {**detail, "failures": failures}, now)
            return SignInResult(Outcome.SLOWED, wait_seconds=_seconds(ready_at - now))

    user = get_user(target, name) if name else None
    stored = password_hash(target, name) if user else None
    if not passwords.verify(stored, password):  # spends one argon2 check even if unknown
        with _writing(target) as cur:
            cur.execute(
                "insert into sign_in_failures values (?, 1, ?) on conflict (username) do update "
                "set failures = sign_in_failures.failures + 1, last_failed_at = excluded.last_failed_at",
                [name, now],
            )
            failures, _ = _failures(cur, name)
        audit(target, name, "sign_in_failed", {**detail, "failures": failures}, now)
        wait = required_wait(failures)
        return SignInResult(Outcome.WRONG, wait_seconds=_seconds(wait) if wait else 0)

    assert user is not None and stored is not None  # verify() is False without a stored hash
    if not user.active:
        audit(target, user, "sign_in_refused", {**detail, "reason": "disabled"}, now)
        return SignInResult(Outcome.DISABLED)

    with _writing(target) as cur:
        cur.execute("delete from sign_in_failures where username = ?", [name])
    if passwords.needs_rehash(stored):
        rehash_password(target, name, passwords.hash_password(password))
    audit(target, user, "sign_in", {**detail, "method": "password"}, now)
    return SignInResult(Outcome.SIGNED_IN, user=user)


# -- sessions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ticket:
    """What a signed-in session remembers (on the server, in its session state)."""

    username: str
    method: str  # "password" | "sso"
    signed_in_at: datetime
    last_seen_at: datetime

    def seen(self, now: datetime) -> Ticket:
        return replace(self, last_seen_at=now)


class Ended(StrEnum):
    IDLE = "idle"
    TOO_LONG = "too_long"
    DISABLED = "disabled"
    REMOVED = "removed"
    PASSWORD_CHANGED = "password_changed"


def open_session(user: User, method: str = "password", now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    return Ticket(user.username, method, now, now)


def check_session(target: Target, ticket: Ticket, now: datetime | None = None) -> tuple[User | None, Ended | None]:
    """The session's user, re-read from the database on every run so that a disabled
    account, a new password or a new scope takes effect at the next click; or None and
    why the session ended."""
    now = now or utcnow()
    if now - ticket.last_seen_at > IDLE_TIMEOUT:
        return None, Ended.IDLE
    if now - ticket.signed_in_at > MAX_SESSION:
        return None, Ended.TOO_LONG
    user = get_user(target, ticket.username)
    if user is None:
        return None, Ended.REMOVED
    if not user.active:
        return None, Ended.DISABLED
    if user.password_changed_at > ticket.signed_in_at and ticket.method == "password":
        return None, Ended.PASSWORD_CHANGED
    return user, None
