"""Users, their scope and the audit log, in the warehouse (tables from schema migration
`_users_and_audit`). No Streamlit here: the CLI, the demo generator and the app share it.

Every function takes either a `Database` (it then runs in a short transaction of its own)
or a cursor already inside the caller's transaction (the demo generator, a data load that
audits itself atomically). Auth writes don't bump the data version: a sign-in must not
throw away every cached query result.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from peakend.core import clock
from peakend.core.roles import SCOPE_KIND, Permission, Role, role_may
from peakend.core.scope import EVERYTHING, Scope
from peakend.warehouse.db import Database

Target = Database | duckdb.DuckDBPyConnection

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
# Auth writers in this process take turns (two failed sign-ins for one name at once
# would otherwise conflict on the same counter row).
_WRITE_LOCK = threading.Lock()


def _hash(password: str) -> str:
    # here, not at the top: peakend.auth's package imports this module (no cycle on import)
    from peakend.auth.passwords import hash_password

    return hash_password(password)


class UserError(ValueError):
    """A user can't be added or changed as asked; the message says why."""


def utcnow() -> datetime:
    """Now in UTC (the injectable clock of peakend/core/clock.py)."""
    return clock.utcnow()


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: Role
    email: str | None
    active: bool
    halls: tuple[str, ...]  # hall managers
    regions: tuple[str, ...]  # regional managers
    password_changed_at: datetime
    has_password: bool

    def may(self, permission: Permission) -> bool:
        return role_may(self.role, permission)


# -- cursors -----------------------------------------------------------------------------
@contextmanager
def _reading(target: Target) -> Iterator[duckdb.DuckDBPyConnection]:
    if isinstance(target, Database):
        cur = target.cursor()
        try:
            yield cur
        finally:
            cur.close()
    else:
        yield target


@contextmanager
def _writing(target: Target) -> Iterator[duckdb.DuckDBPyConnection]:
    if not isinstance(target, Database):
        yield target  # the caller's transaction
        return
    with target.turn(), _WRITE_LOCK:  # the turn first, as Database.transaction takes it
        cur = target.cursor()
        cur.execute("begin transaction")
        try:
            yield cur
            cur.execute("commit")
        except BaseException:
            cur.execute("rollback")
            raise
        finally:
            cur.close()


# -- names -------------------------------------------------------------------------------
def normalize_username(name: str) -> str:
    """User names are case-insensitive: stored and compared in lower case."""
    return (name or "").strip().lower()


def check_username(name: str) -> str:
    norm = normalize_username(name)
    if not _USERNAME.fullmatch(norm):
        raise UserError(
            f"user name {name!r} must be 1-64 characters: letters, digits and . _ @ -, starting with a letter or digit"
        )
    return norm


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise UserError(f"{email!r} is not an e-mail address")
    return email


def _check_scope(role: Role, halls: Iterable[str], regions: Iterable[str]) -> tuple[list[str], list[str]]:
    halls = sorted({h.strip() for h in halls if h and h.strip()})
    regions = sorted({r.strip() for r in regions if r and r.strip()})
    kind = SCOPE_KIND[role]
    if kind == "hall" and (not halls or regions):
        raise UserError("a hall manager needs one or more halls (--halls) and no regions")
    if kind == "region" and (not regions or halls):
        raise UserError("a regional manager needs one or more regions (--regions) and no halls")
    if kind is None and (halls or regions):
        raise UserError(f"a {role.value} sees every hall; give no halls or regions")
    return halls, regions


# -- reading -----------------------------------------------------------------------------
_USER_COLUMNS = "username, display_name, role, email, active, password_changed_at, password_hash is not null"


def _user_from_row(cur: duckdb.DuckDBPyConnection, row) -> User:
    scopes = cur.execute(
        "select kind, value from user_scopes where username = ? order by kind, value", [row[0]]
    ).fetchall()
    return User(
        username=row[0],
        display_name=row[1],
        role=Role(row[2]),
        email=row[3],
        active=bool(row[4]),
        halls=tuple(v for k, v in scopes if k == "hall"),
        regions=tuple(v for k, v in scopes if k == "region"),
        password_changed_at=row[5],
        has_password=bool(row[6]),
    )


def get_user(target: Target, username: str) -> User | None:
    with _reading(target) as cur:
        row = cur.execute(
            f"select {_USER_COLUMNS} from users where username = ?", [normalize_username(username)]
        ).fetchone()
        return _user_from_row(cur, row) if row else None


def user_by_email(target: Target, email: str) -> User | None:
    """The user a single sign-on identity maps to (e-mail compared case-insensitively)."""
    email = (email or "").strip().lower()
    if not email:
        return None
    with _reading(target) as cur:
        row = cur.execute(f"select {_USER_COLUMNS} from users where email = ?", [email]).fetchone()
        return _user_from_row(cur, row) if row else None


def list_users(target: Target) -> list[User]:
    with _reading(target) as cur:
        rows = cur.execute(f"select {_USER_COLUMNS} from users order by role, username").fetchall()
        return [_user_from_row(cur, row) for row in rows]


def password_hash(target: Target, username: str) -> str | None:
    with _reading(target) as cur:
        row = cur.execute(
            "select password_hash from users where username = ?", [normalize_username(username)]
        ).fetchone()
        return row[0] if row else None


def scope_of(target: Target, user: User | None) -> Scope:
    """The halls `user` may see, resolved against the halls loaded now (so a hall loaded
    into a region tomorrow reaches its regional manager). No user: no halls."""
    if user is None or not user.active:
        return Scope.halls(())
    kind = SCOPE_KIND[user.role]
    if kind is None:
        return EVERYTHING
    if kind == "hall":
        return Scope.halls(user.halls)
    with _reading(target) as cur:
        # This query decides the scope, so it reads `halls` itself.
        rows = cur.execute(
            "select hall_id from halls where list_contains($regions, region)",
            {"regions": list(user.regions)},
        ).fetchall()
    return Scope.halls(r[0] for r in rows)


def known_halls_and_regions(target: Target) -> tuple[set[str], set[str]]:
    with _reading(target) as cur:
        rows = cur.execute("select hall_id, region from halls").fetchall()
    return {r[0] for r in rows}, {r[1] for r in rows}


# -- writing -----------------------------------------------------------------------------
def add_user(
    target: Target,
    username: str,
    role: Role | str,
    *,
    display_name: str | None = None,
    password: str | None = None,
    email: str | None = None,
    halls: Iterable[str] = (),
    regions: Iterable[str] = (),
    now: datetime | None = None,
    hashed_password: str | None = None,
) -> User:
    """Add a user. Without a password the user can only sign in through single sign-on.

    `hashed_password`: an argon2 hash made earlier instead of `password` (the test
    fixture hashes its passwords once per process rather than once per copy)."""
    name = check_username(username)
    role = Role(role)
    halls, regions = _check_scope(role, halls, regions)
    email = _clean_email(email)
    hashed = _hash(password) if password is not None else hashed_password
    if hashed is None and email is None:
        raise UserError("a user needs a password, an e-mail for single sign-on, or both")
    now = now or utcnow()
    with _writing(target) as cur:
        if cur.execute("select 1 from users where username = ?", [name]).fetchone():
            raise UserError(f"there is already a user {name!r}")
        if email and cur.execute("select username from users where email = ?", [email]).fetchone():
            raise UserError(f"another user already has the e-mail {email}")
        cur.execute(
            "insert into users (username, display_name, role, password_hash, email, active, "
            "created_at, password_changed_at) values (?, ?, ?, ?, ?, true, ?, ?)",
            [name, (display_name or name).strip(), role.value, hashed, email, now, now],
        )
        _write_scope(cur, name, halls, regions)
        user = get_user(cur, name)
        assert user is not None  # just inserted
        return user


def _write_scope(cur, name: str, halls: list[str], regions: list[str]) -> None:
    cur.execute("delete from user_scopes where username = ?", [name])
    rows = [(name, "hall", h) for h in halls] + [(name, "region", r) for r in regions]
    if rows:
        cur.executemany("insert into user_scopes values (?, ?, ?)", rows)


def _existing(cur, username: str) -> str:
    name = normalize_username(username)
    if not cur.execute("select 1 from users where username = ?", [name]).fetchone():
        raise UserError(f"there is no user {name!r}")
    return name


def _revoke_sessions(cur, name: str, why: str, now: datetime) -> None:
    """End every open session cookie of a user (peakend/auth/sessions.py): a browser
    holding one is signed out at its next click or reload."""
    cur.execute(
        "update web_sessions set revoked_at = ?, revoked_why = ? where username = ? and revoked_at is null",
        [now, why, name],
    )


def set_password(target: Target, username: str, password: str, now: datetime | None = None) -> None:
    """Set a new password. Every session opened before now ends (its cookie is revoked)."""
    hashed = _hash(password)
    now = now or utcnow()
    with _writing(target) as cur:
        name = _existing(cur, username)
        cur.execute(
            "update users set password_hash = ?, password_changed_at = ? where username = ?",
            [hashed, now, name],
        )
        _revoke_sessions(cur, name, "password_changed", now)
        # the slowdown's counts for this account start again (the address counts stay)
        cur.execute(
            "delete from sign_in_throttle where key = $account or starts_with(key, $account || '|') "
            "or (starts_with(key, 'device:') and ends_with(key, '|' || $name))",
            {"account": f"account:{name}", "name": name},
        )


def rehash_password(target: Target, username: str, hashed: str) -> None:
    """Store a stronger hash of the same password (does not end sessions)."""
    with _writing(target) as cur:
        cur.execute("update users set password_hash = ? where username = ?", [hashed, username])


def set_scope(
    target: Target,
    username: str,
    role: Role | str | None = None,
    halls: Iterable[str] = (),
    regions: Iterable[str] = (),
) -> User:
    """Set a user's role (optional) and halls or regions; takes effect at their next click."""
    with _writing(target) as cur:
        name = _existing(cur, username)
        current = get_user(cur, name)
        assert current is not None  # _existing checked it
        new_role = Role(role) if role is not None else current.role
        halls, regions = _check_scope(new_role, halls, regions)
        cur.execute("update users set role = ? where username = ?", [new_role.value, name])
        _write_scope(cur, name, halls, regions)
        user = get_user(cur, name)
        assert user is not None  # _existing checked it
        return user


def set_active(target: Target, username: str, active: bool) -> None:
    """Disable (or re-enable) a user; disabling revokes their session cookies, and any
    session of theirs ends at its next click."""
    with _writing(target) as cur:
        name = _existing(cur, username)
        cur.execute("update users set active = ? where username = ?", [active, name])
        if not active:
            _revoke_sessions(cur, name, "disabled", utcnow())


def set_email(target: Target, username: str, email: str | None) -> None:
    email = _clean_email(email)
    with _writing(target) as cur:
        name = _existing(cur, username)
        if email:
            other = cur.execute(
                "select username from users where email = ? and username <> ?", [email, name]
            ).fetchone()
            if other:
                raise UserError(f"user {other[0]!r} already has the e-mail {email}")
        cur.execute("update users set email = ? where username = ?", [email, name])


# -- audit -------------------------------------------------------------------------------
def audit(
    target: Target,
    user: User | str | None,
    action: str,
    detail: Any = None,
    now: datetime | None = None,
) -> None:
    """Record `action` by `user` (a User, a user name as typed, or None).

    Called for sign-ins, failed sign-ins, sign-outs, loads, undos, target changes and
    user administration. `detail` is text or a JSON-able dict; never put a password in it.
    Pass the load's own cursor to record it in the same transaction as the load.
    """
    username = user.username if isinstance(user, User) else user
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    with _writing(target) as cur:
        cur.execute(
            # numbered here, not by a sequence: a DuckLake has none (peakend/warehouse/portable.py)
            "insert into audit_log (audit_id, happened_at, username, action, detail) "
            "select (select coalesce(max(audit_id), 0) + 1 from audit_log), ?, ?, ?, ?",
            [now or utcnow(), username, action, detail],
        )


def audit_entries(target: Target, limit: int = 50, username: str | None = None) -> list[tuple]:
    """The latest audit entries, newest first: (happened_at, username, action, detail)."""
    with _reading(target) as cur:
        return cur.execute(
            "select happened_at, username, action, detail from audit_log "
            "where $username is null or username = $username "
            "order by happened_at desc, audit_id desc limit $limit",
            {"username": normalize_username(username) if username else None, "limit": limit},
        ).fetchall()
