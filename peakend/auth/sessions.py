"""Sign-in that lasts: a session cookie with a random token, kept on the server only as a
hash; known devices; the one-time hand-over of a new token to the browser. No Streamlit
here (peakend/ui/auth.py), no HTTP (peakend/web/sessions.py).

How a sign-in becomes a cookie: a script run can't set an HttpOnly cookie, so on a correct
password the run makes a session (`create`: the token's SHA-256, the user, times, user
agent and address go into `web_sessions`) and hands the browser a one-time nonce
(`hand_off`, valid for NONCE_SECONDS, in this process's memory). The page script
/peakend/session.js posts it to POST /auth/session, which swaps it for the token
(`redeem`) and sets the cookie. Every later run — a reload, a new tab, a shared link —
reads the cookie (st.context.cookies) and checks its hash here (`check`): idle or too old,
revoked by a sign-out, a new password or a disabled account, and the run is signed out.

Settings (environment, read at each check):
  PEAKEND_SESSION_IDLE_MINUTES  idle expiry (default 60)
  PEAKEND_SESSION_MAX_HOURS     absolute expiry after sign-in (default 12)
  PEAKEND_COOKIE_SECURE         1: the cookies are Secure (the app is served over HTTPS)
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from peakend.warehouse.accounts import Target, User, _reading, _writing, get_user, utcnow

SESSION_COOKIE = "peakend_session"
DEVICE_COOKIE = "peakend_device"
DEVICE_MAX_AGE = timedelta(days=400)  # browsers cap a cookie's life at 400 days
NONCE_SECONDS = 60
# last_seen_at is written at most this often (a click is a run; not every run a write)
TOUCH_EVERY = timedelta(seconds=30)

DEFAULT_IDLE = timedelta(minutes=60)
DEFAULT_MAX = timedelta(hours=12)


@dataclass(frozen=True)
class SessionSettings:
    idle: timedelta
    max_age: timedelta
    secure: bool


def _number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def settings() -> SessionSettings:
    return SessionSettings(
        idle=timedelta(minutes=_number("PEAKEND_SESSION_IDLE_MINUTES", DEFAULT_IDLE.total_seconds() / 60)),
        max_age=timedelta(hours=_number("PEAKEND_SESSION_MAX_HOURS", DEFAULT_MAX.total_seconds() / 3600)),
        secure=os.environ.get("PEAKEND_COOKIE_SECURE", "").strip().lower() in {"1", "true", "yes", "on"},
    )


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- sessions ------------------------------------------------------------------------------
def create(
    target: Target,
    user: User,
    method: str = "password",
    *,
    user_agent: str | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> str:
    """Open a session for `user`; return its token (only its hash is stored)."""
    now = now or utcnow()
    token = new_token()
    with _writing(target) as cur:
        cur.execute(
            "insert into web_sessions (token_sha256, username, method, created_at, last_seen_at, user_agent, ip) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [token_hash(token), user.username, method, now, now, (user_agent or "")[:512] or None, ip],
        )
    return token


def check(target: Target, digest: str, now: datetime | None = None, touch: bool = True):
    """The user of the session whose token hashes to `digest`, or None and why it ended
    (an `Ended`; None too for a token the server never issued)."""
    from peakend.auth.signin import Ended  # signin imports this module

    now = now or utcnow()
    with _reading(target) as cur:
        row = cur.execute(
            "select username, method, created_at, last_seen_at, revoked_why from web_sessions where token_sha256 = ?",
            [digest],
        ).fetchone()
    if row is None:
        return None, None
    username, method, created_at, last_seen_at, revoked_why = row
    if revoked_why is not None:
        return None, {"password_changed": Ended.PASSWORD_CHANGED, "disabled": Ended.DISABLED}.get(
            revoked_why, Ended.SIGNED_OUT
        )
    limits = settings()
    if now - last_seen_at > limits.idle:
        return None, Ended.IDLE
    if now - created_at > limits.max_age:
        return None, Ended.TOO_LONG
    user = get_user(target, username)
    if user is None:
        return None, Ended.REMOVED
    if not user.active:
        return None, Ended.DISABLED
    if method == "password" and user.password_changed_at > created_at:
        return None, Ended.PASSWORD_CHANGED
    if touch and now - last_seen_at >= TOUCH_EVERY:
        with _writing(target) as cur:
            cur.execute("update web_sessions set last_seen_at = ? where token_sha256 = ?", [now, digest])
    return user, None


def session_user(target: Target, digest: str) -> str | None:
    with _reading(target) as cur:
        row = cur.execute("select username from web_sessions where token_sha256 = ?", [digest]).fetchone()
    return row[0] if row else None


def revoke(target: Target, digest: str, why: str = "signed_out", now: datetime | None = None) -> bool:
    """End one session (a sign-out); True if it was open."""
    with _writing(target) as cur:
        open_ = cur.execute(
            "select 1 from web_sessions where token_sha256 = ? and revoked_at is null", [digest]
        ).fetchone()
        if open_:
            cur.execute(
                "update web_sessions set revoked_at = ?, revoked_why = ? where token_sha256 = ?",
                [now or utcnow(), why, digest],
            )
    return bool(open_)


def revoke_user(cur, username: str, why: str, now: datetime) -> None:
    """End every open session of a user (in the caller's transaction: a new password, a
    disabled account)."""
    cur.execute(
        "update web_sessions set revoked_at = ?, revoked_why = ? where username = ? and revoked_at is null",
        [now, why, username],
    )


def open_sessions(target: Target, username: str) -> list[tuple]:
    """(created_at, last_seen_at, user_agent, ip) of the user's sessions not revoked."""
    with _reading(target) as cur:
        return cur.execute(
            "select created_at, last_seen_at, user_agent, ip from web_sessions "
            "where username = ? and revoked_at is null order by created_at",
            [username],
        ).fetchall()


# -- known devices -------------------------------------------------------------------------
def remember_device(target: Target, device_digest: str, username: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    with _writing(target) as cur:
        seen = cur.execute(
            "update known_devices set last_seen_at = ? where device_sha256 = ? and username = ? returning 1",
            [now, device_digest, username],
        ).fetchall()
        if not seen:  # (an upsert by hand: a DuckLake has no key to conflict on)
            cur.execute("insert into known_devices values (?, ?, ?, ?)", [device_digest, username, now, now])


def is_known_device(target: Target, device_digest: str | None, username: str) -> bool:
    """Did a browser holding this device cookie sign in as `username` before?"""
    if not device_digest:
        return False
    with _reading(target) as cur:
        row = cur.execute(
            "select 1 from known_devices where device_sha256 = ? and username = ?", [device_digest, username]
        ).fetchone()
    return row is not None


# -- the one-time hand-over of a token to the browser --------------------------------------
_NONCES: dict[str, tuple[str, str, float]] = {}  # sha256(nonce) -> (token, user agent, expires)
_NONCE_LOCK = threading.Lock()


def hand_off(token: str, user_agent: str | None) -> str:
    """A one-time nonce the browser swaps for `token` within NONCE_SECONDS (same user agent)."""
    nonce = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _NONCE_LOCK:
        for key in [k for k, (_, _, expires) in _NONCES.items() if expires < now]:
            del _NONCES[key]
        _NONCES[token_hash(nonce)] = (token, user_agent or "", now + NONCE_SECONDS)
    return nonce


def redeem(nonce: str, user_agent: str | None) -> str | None:
    """The token handed off with `nonce`, once; None if unknown, used, expired or asked for
    by another browser."""
    with _NONCE_LOCK:
        got = _NONCES.pop(token_hash(nonce or ""), None)
    if got is None:
        return None
    token, agent, expires = got
    if time.monotonic() > expires or agent != (user_agent or ""):
        return None
    return token
