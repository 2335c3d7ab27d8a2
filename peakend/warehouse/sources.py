"""The ingest API's sources: a hall system (the queue system of a hall, an exit terminal)
that posts visits to POST /api/v1/visits with a bearer token of its own.

Only the SHA-256 of a token is stored; the token itself is shown once, when the source is
added. A source may write only the halls it was issued for. Revoking keeps the source
listed (its loads name it, `source:NAME`), and its token stops working at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from peakend.warehouse.accounts import audit
from peakend.warehouse.db import Database

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TOKEN_PREFIX = "pe_"
ALL_HALLS = "*"  # a data admin's source (the command line's loads while the app runs): every hall


class SourceError(ValueError):
    """A source can't be added or revoked; the message says why."""


@dataclass(frozen=True)
class Source:
    name: str
    halls: tuple[str, ...]
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    loads: int = 0
    last_load_at: datetime | None = None

    @property
    def all_halls(self) -> bool:
        return ALL_HALLS in self.halls

    @property
    def loaded_by(self) -> str:
        """How the loads of this source name who loaded them."""
        return f"source:{self.name}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def add_source(db: Database, name: str, halls: list[str], user: str) -> str:
    """Add a source for `halls` (["*"]: every hall, a data admin's) and return its token
    (shown once; only its hash is kept)."""
    if not NAME.match(name or ""):
        raise SourceError(f"{name!r}: a source name is letters, digits and _ . - (up to 64 characters)")
    halls = sorted({h.strip() for h in halls if h.strip()})
    if not halls:
        raise SourceError("name at least one hall the source may write (--halls DLC01,DLC02, or --all-halls)")
    if ALL_HALLS in halls:
        halls = [ALL_HALLS]
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def _write(cur):
        known = {r[0] for r in cur.execute("select hall_id from halls").fetchall()}
        unknown = [h for h in halls if h not in known and h != ALL_HALLS]
        if unknown:
            raise SourceError(f"unknown hall(s): {', '.join(unknown)}; load the halls first")
        if cur.execute("select count(*) from ingest_sources where name = ?", [name]).fetchall()[0][0]:
            raise SourceError(f"a source named {name} exists already (revoked ones stay listed); pick another name")
        cur.execute(
            "insert into ingest_sources (name, token_sha256, halls, created_at, created_by) values (?, ?, ?, ?, ?)",
            [name, token_hash(token), halls, _now(), user],
        )
        audit(cur, user, "source_add", {"source": name, "halls": halls})

    db.write(_write)
    return token


def revoke_source(db: Database, name: str, user: str) -> None:
    def _write(cur):
        rows = cur.execute("select revoked_at from ingest_sources where name = ?", [name]).fetchall()
        if not rows:
            raise SourceError(f"no source named {name}")
        if rows[0][0] is not None:
            raise SourceError(f"source {name} was revoked already ({rows[0][0]:%Y-%m-%d %H:%M} UTC)")
        cur.execute("update ingest_sources set revoked_at = ?, revoked_by = ? where name = ?", [_now(), user, name])
        audit(cur, user, "source_revoke", {"source": name})

    db.write(_write)


_SELECT = """select s.name, s.halls, s.created_at, s.created_by, s.revoked_at, s.revoked_by,
                    count(l.load_id) as loads, max(l.loaded_at) as last_load_at
             from ingest_sources as s left join loads as l on l.loaded_by = 'source:' || s.name"""
_GROUP = " group by all"


def _source(row) -> Source:
    return Source(row[0], tuple(row[1]), *row[2:])


def list_sources(db: Database) -> list[Source]:
    cur = db.cursor()
    try:
        return [_source(r) for r in cur.execute(_SELECT + _GROUP + " order by s.name").fetchall()]
    finally:
        cur.close()


def authenticate(db: Database, token: str) -> Source | None:
    """The source in force whose token this is, or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    cur = db.cursor()
    try:
        rows = cur.execute(
            _SELECT + " where s.token_sha256 = ? and s.revoked_at is null" + _GROUP, [token_hash(token)]
        ).fetchall()
    finally:
        cur.close()
    return _source(rows[0]) if rows else None
