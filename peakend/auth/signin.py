"""Signing in with a user name and password, the slowdown after repeated failures (per
account and address, per address, per account, per known device), and session expiry. No Streamlit here: peakend/ui/auth.py keeps the session in Streamlit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from peakend.auth import passwords, sessions
from peakend.warehouse import portable
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

# Brute-force slowdown. A failure counts against several keys, and each key makes the
# next attempt on it wait once it has more than its free failures: 2, 4, 8 ... seconds, up
# to MAX_WAIT. Attempts made while waiting are refused without checking the password, so
# guessing stays slow however fast the guesses come. A correct password (after the wait)
# resets the keys of that account at that address (or device).
#
# Keys, so that a stranger failing on purpose can't lock a real user out:
#   account at this address  4 free: a guesser at one address is slowed on that account,
#                            the real user at another address is not;
#   this address             30 free (forgotten after an hour without failures): one
#                            address trying many names;
#   this account             50 free (forgotten likewise): many addresses on one account;
#                            it slows only devices that never signed in as that user;
#   known device + account   4 free: a browser that signed in as this user before (its
#                            device cookie, peakend/auth/sessions.py) answers to this key
#                            alone, so failures elsewhere never lock it out.
FREE_FAILURES = 4
MAX_WAIT = timedelta(minutes=5)


@dataclass(frozen=True)
class _Limit:
    free: int
    forget: timedelta | None  # a count this long without a failure starts again
    says: str  # whose failures a slowed attempt is told about: "account" | "address"


LIMITS = {
    "account_address": _Limit(FREE_FAILURES, None, "account"),
    "address": _Limit(30, timedelta(hours=1), "address"),
    "account": _Limit(50, timedelta(hours=1), "account"),
    "device": _Limit(FREE_FAILURES, None, "account"),
}

# A session ends after IDLE_TIMEOUT without a click, and MAX_SESSION after sign-in
# (the defaults; PEAKEND_SESSION_IDLE_MINUTES and PEAKEND_SESSION_MAX_HOURS change them).
IDLE_TIMEOUT = sessions.DEFAULT_IDLE
MAX_SESSION = sessions.DEFAULT_MAX


def required_wait(failures: int, free: int = FREE_FAILURES) -> timedelta:
    """How long after the last failure the next attempt must wait."""
    if failures <= free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - free)), MAX_WAIT)


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
    slowed_by: str = "account"  # SLOWED, WRONG with a wait: "account" or "address"


def _keys(name: str, ip: str, known_device: str | None) -> list[tuple[str, str]]:
    if known_device:
        return [("device", f"device:{known_device}|{name}")]
    return [
        ("account_address", f"account:{name}|address:{ip}"),
        ("address", f"address:{ip}"),
        ("account", f"account:{name}"),
    ]


def _counts(cur, keys: list[tuple[str, str]], now: datetime) -> list[tuple[str, str, int, datetime | None]]:
    """(kind, key, failures, last failure) of each key, a forgotten count as 0."""
    out = []
    for kind, key in keys:
        row = cur.execute("select failures, last_failed_at from sign_in_throttle where key = ?", [key]).fetchone()
        failures, last = (row[0], row[1]) if row else (0, None)
        forget = LIMITS[kind].forget
        if last is not None and forget is not None and now - last > forget:
            failures, last = 0, None
        out.append((kind, key, failures, last))
    return out


def _seconds(delta: timedelta) -> int:
    return max(1, int(-(-delta.total_seconds() // 1)))  # round up: "wait 0 s" reads wrong


def sign_in(
    target: Target,
    username: str,
    password: str,
    now: datetime | None = None,
    client: dict[str, Any] | None = None,
    device: str | None = None,
) -> SignInResult:
    """Check a user name and password; audit the attempt either way.

    `client` (e.g. {"ip": ...}) goes into the audit detail; its "ip" keys the slowdown per
    address. `device`: the SHA-256 of the browser's device cookie, if it has one. The
    password never leaves this function.
    """
    now = now or utcnow()
    # The typed name, cut to a sane length: it keys the failure counters and the audit.
    name = normalize_username(username)[:64]
    detail = dict(client or {})

    # Attempts on one name take turns, so parallel guesses can't all slip in before
    # the first failure is counted.
    with _NAME_LOCKS[hash(name) % len(_NAME_LOCKS)]:
        return _attempt(target, name, password, now, detail, device)


_NAME_LOCKS = [threading.Lock() for _ in range(64)]


def _attempt(target: Target, name: str, password: str, now: datetime, detail: dict, device: str | None) -> SignInResult:
    ip = str(detail.get("ip") or "-")
    known = device if name and sessions.is_known_device(target, device, name) else None
    if known:
        detail["known_device"] = True
    keys = _keys(name, ip, known)
    with _reading(target) as cur:
        counts = _counts(cur, keys, now)
    waits = [
        (last + required_wait(failures, LIMITS[kind].free), kind)
        for kind, _, failures, last in counts
        if last is not None
    ]
    ready_at, kind = max(waits, default=(now, "account_address"))
    if now < ready_at:
        audit(target, name, "sign_in_slowed", {**detail, "failures": counts[0][2], "by": kind}, now)
        return SignInResult(Outcome.SLOWED, wait_seconds=_seconds(ready_at - now), slowed_by=LIMITS[kind].says)

    user = get_user(target, name) if name else None
    stored = password_hash(target, name) if user else None
    if not passwords.verify(stored, password):  # spends one argon2 check even if unknown
        with _writing(target) as cur:
            counts = _counts(cur, keys, now)
            for _, key, failures, _ in counts:
                portable.replace_row(
                    cur, "sign_in_throttle", ("key",), {"key": key, "failures": failures + 1, "last_failed_at": now}
                )
        failures = counts[0][2] + 1
        audit(target, name, "sign_in_failed", {**detail, "failures": failures}, now)
        wait, kind = max(((required_wait(f + 1, LIMITS[k].free), k) for k, _, f, _ in counts), key=lambda w: w[0])
        if not wait:
            return SignInResult(Outcome.WRONG)
        return SignInResult(Outcome.WRONG, wait_seconds=_seconds(wait), slowed_by=LIMITS[kind].says)

    assert user is not None and stored is not None  # verify() is False without a stored hash
    if not user.active:
        audit(target, user, "sign_in_refused", {**detail, "reason": "disabled"}, now)
        return SignInResult(Outcome.DISABLED)

    with _writing(target) as cur:
        # this account at this address (or device), and the account's count; the address's
        # own count stays (an attacker can't wipe it by signing in to an account of theirs)
        for kind, key in keys:
            if kind != "address":
                cur.execute("delete from sign_in_throttle where key = ?", [key])
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
    SIGNED_OUT = "signed_out"  # the session's cookie was signed out (in another tab, say)


def open_session(user: User, method: str = "password", now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    return Ticket(user.username, method, now, now)


def check_session(target: Target, ticket: Ticket, now: datetime | None = None) -> tuple[User | None, Ended | None]:
    """The session's user, re-read from the database on every run so that a disabled
    account, a new password or a new scope takes effect at the next click; or None and
    why the session ended."""
    now = now or utcnow()
    limits = sessions.settings()
    if now - ticket.last_seen_at > limits.idle:
        return None, Ended.IDLE
    if now - ticket.signed_in_at > limits.max_age:
        return None, Ended.TOO_LONG
    user = get_user(target, ticket.username)
    if user is None:
        return None, Ended.REMOVED
    if not user.active:
        return None, Ended.DISABLED
    if user.password_changed_at > ticket.signed_in_at and ticket.method == "password":
        return None, Ended.PASSWORD_CHANGED
    return user, None
