"""Tasks given to people (任务落实到人): a hall's key moment to fix, handed to a staff member
of the hall, with the day the fix starts, a due date and a note. Written and closed by whoever
manages the hall (as day notes are), every change audited. Whether a closed task's fix made a
difference is peakend/insights/effect.py, over queries/task_effect.sql.
"""

from __future__ import annotations

from datetime import date

from peakend.warehouse.accounts import User, audit, utcnow
from peakend.warehouse.day_notes import MAX_NOTE, NoteError, check_may_write
from peakend.warehouse.db import Database
from peakend.warehouse.moments import journey


class TaskError(NoteError):
    """A task can't be given or closed as asked; the message says why."""


def add_task(
    db: Database,
    user: User,
    hall_id: str,
    moment: str,
    owner_staff_id: str,
    starts_on: date,
    due_on: date,
    note: str = "",
) -> int:
    try:
        check_may_write(db, user, hall_id)
    except NoteError as exc:
        raise TaskError(str(exc)) from None
    note = (note or "").strip()
    moments = [m.moment for m in journey(db, hall_id)]
    if moment not in moments:
        raise TaskError(f"moment {moment!r} is not a key moment of hall {hall_id}: one of {', '.join(moments)}")
    if due_on < starts_on:
        raise TaskError(f"due {due_on} is before the start {starts_on}")
    if len(note) > MAX_NOTE:
        raise TaskError(f"a note is at most {MAX_NOTE} characters")

    def _write(cur):
        staff_of_hall = (
            cur.execute(
                "select count(*) from staff where staff_id = ? and (hall_id = ? or hall_id is null)",
                [owner_staff_id, hall_id],
            ).fetchall()[0][0]
            or cur.execute(
                "select count(*) from visits where hall_id = ? and staff_id = ?", [hall_id, owner_staff_id]
            ).fetchall()[0][0]
        )
        if not staff_of_hall:
            raise TaskError(f"{owner_staff_id} is not a staff member of hall {hall_id}")
        task_id = cur.execute(
            "insert into tasks (task_id, hall_id, moment, owner_staff_id, starts_on, due_on, note, created_by, "
            "created_at) select (select coalesce(max(task_id), 0) + 1 from tasks), ?, ?, ?, ?, ?, ?, ?, ? "
            "returning task_id",
            [hall_id, moment, owner_staff_id, starts_on, due_on, note, user.username, utcnow()],
        ).fetchall()[0][0]
        audit(
            cur,
            user,
            "task_add",
            {
                "task_id": task_id,
                "hall": hall_id,
                "moment": moment,
                "owner": owner_staff_id,
                "starts_on": starts_on.isoformat(),
            },
        )
        return int(task_id)

    return db.write(_write)


def close_task(db: Database, user: User, task_id: int) -> None:
    cur = db.cursor()
    try:
        row = cur.execute("select hall_id, closed_at from tasks where task_id = ?", [task_id]).fetchone()
    finally:
        cur.close()
    if row is None:
        raise TaskError(f"no task {task_id}")
    try:
        check_may_write(db, user, row[0])
    except NoteError as exc:
        raise TaskError(str(exc)) from None
    if row[1] is not None:
        raise TaskError(f"task {task_id} is closed already")

    def _write(cur):
        cur.execute(
            "update tasks set closed_by = ?, closed_at = ? where task_id = ?", [user.username, utcnow(), task_id]
        )
        audit(cur, user, "task_close", {"task_id": task_id, "hall": row[0]})

    db.write(_write)
