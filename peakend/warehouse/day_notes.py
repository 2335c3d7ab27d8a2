"""Day notes: what happened on a day, or some hours of it, in one hall ("system outage",
"new staff", "holiday promotion"). A hall's manager, a regional or head-office manager
whose scope holds the hall, or a data admin writes them; every add and removal is audited.

A note marked `leave_out` names hours whose numbers don't say how the hall usually runs:
pages can leave those visits out of the numbers (VisitFilter.skip_noted), and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from peakend.core.roles import Role
from peakend.core.scope import Scope
from peakend.warehouse.accounts import User, audit, scope_of, utcnow
from peakend.warehouse.db import Database

KINDS = ("outage", "staffing", "promotion", "holiday", "other")
MAX_NOTE = 500
WRITERS = frozenset({Role.HALL_MANAGER, Role.REGIONAL_MANAGER, Role.HEAD_OFFICE, Role.DATA_ADMIN})


class NoteError(ValueError):
    """A note can't be written or removed as asked; the message says why (English, for the
    CLI and logs; the page checks the same things first and says them in the user's language)."""


@dataclass(frozen=True)
class DayNote:
    note_id: int
    hall_id: str
    day: date
    hour_from: int | None
    hour_to: int | None
    kind: str
    note: str
    leave_out: bool
    created_by: str
    created_at: datetime


def check_may_write(db: Database, user: User, hall_id: str) -> Scope:
    if user.role not in WRITERS:
        raise NoteError(f"{user.username} may not write day notes")
    scope = scope_of(db, user)
    if not scope.allows(hall_id):
        raise NoteError(f"hall {hall_id} is not in {user.username}'s halls")
    return scope


def add_note(
    db: Database,
    user: User,
    hall_id: str,
    day: date,
    kind: str,
    note: str,
    hours: tuple[int, int] | None = None,
    leave_out: bool = False,
) -> int:
    """Add a note on `day` (or its `hours`, inclusive) of `hall_id`; returns its id."""
    check_may_write(db, user, hall_id)
    note = (note or "").strip()
    if kind not in KINDS:
        raise NoteError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    if not note or len(note) > MAX_NOTE:
        raise NoteError(f"a note is 1 to {MAX_NOTE} characters")
    if hours is not None and not (0 <= hours[0] <= hours[1] <= 23):
        raise NoteError(f"hours {hours[0]}-{hours[1]}: from 0 to 23, the first not after the second")

    def _write(cur):
        if not cur.execute("select count(*) from halls where hall_id = ?", [hall_id]).fetchall()[0][0]:
            raise NoteError(f"unknown hall {hall_id}")
        hour_from, hour_to = hours if hours is not None else (None, None)
        note_id = cur.execute(
            "insert into day_notes (note_id, hall_id, day, hour_from, hour_to, kind, note, leave_out, created_by, "
            "created_at) select (select coalesce(max(note_id), 0) + 1 from day_notes), ?, ?, ?, ?, ?, ?, ?, ?, ? "
            "returning note_id",
            [hall_id, day, hour_from, hour_to, kind, note, leave_out, user.username, utcnow()],
        ).fetchall()[0][0]
        audit(
            cur,
            user,
            "day_note_add",
            {
                "note_id": note_id,
                "hall": hall_id,
                "day": day.isoformat(),
                "hours": list(hours) if hours else None,
                "kind": kind,
                "leave_out": leave_out,
            },
        )
        return int(note_id)

    return db.write(_write)


def remove_note(db: Database, user: User, note_id: int) -> None:
    cur = db.cursor()
    try:
        row = cur.execute("select hall_id from day_notes where note_id = ?", [note_id]).fetchone()
    finally:
        cur.close()
    if row is None:
        raise NoteError(f"no day note {note_id}")
    check_may_write(db, user, row[0])

    def _write(cur):
        cur.execute("delete from day_notes where note_id = ?", [note_id])
        audit(cur, user, "day_note_remove", {"note_id": note_id, "hall": row[0]})

    db.write(_write)
