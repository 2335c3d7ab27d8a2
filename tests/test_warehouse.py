"""The write path: re-sent visits replace, undo restores, a failed write leaves nothing."""

import pandas as pd
import pytest

from peakend.warehouse import store as warehouse
from peakend.warehouse.store import CONTRACT_VISIT_COLUMNS, UndoError


def _resend(db, rows: pd.DataFrame, user="tester"):
    with db.transaction() as cur:
        load_id = warehouse.start_load(cur, "visits", user, "resend.csv")
        cur.register("incoming", rows)
        inserted, replaced = warehouse.insert_visits(cur, "incoming", load_id)
        warehouse.finish_load(cur, load_id, inserted, 0, replaced)
        cur.unregister("incoming")
    return load_id


def _visit(db, visit_id):
    return db.cursor().execute(
        "select exit_score, wait_s, load_id from visits where visit_id = ?", [visit_id]
    ).fetchone()


def _v01_changed(db):
    row = db.cursor().execute(
        f"select {', '.join(CONTRACT_VISIT_COLUMNS)} from visits where visit_id = 'V01'"
    ).df()
    row["exit_score"] = 3
    row["called_at"] = pd.Timestamp("2026-03-02 09:05:00")
    return row


def test_resent_visit_replaces_and_undo_restores(fixture_db):
    before_version = fixture_db.data_version()
    assert _visit(fixture_db, "V01") == (5, 240.0, 2)
    load_id = _resend(fixture_db, _v01_changed(fixture_db))
    assert fixture_db.scalar("select count(*) from visits") == 13
    assert _visit(fixture_db, "V01") == (3, 300.0, load_id)
    assert fixture_db.data_version() == before_version + 1
    with fixture_db.transaction() as cur:
        warehouse.undo_load(cur, load_id, "tester")
    assert _visit(fixture_db, "V01") == (5, 240.0, 2)
    assert fixture_db.scalar("select status from loads where load_id = ?", [load_id]) == "undone"
    with pytest.raises(UndoError, match="already undone"):
        with fixture_db.transaction() as cur:
            warehouse.undo_load(cur, load_id, "tester")


def test_older_load_cannot_be_undone_under_a_newer_replacement(fixture_db):
    newer = _resend(fixture_db, _v01_changed(fixture_db))
    with pytest.raises(UndoError, match=f"undo load {newer} first"):
        with fixture_db.transaction() as cur:
            warehouse.undo_load(cur, 2, "tester")
    assert fixture_db.scalar("select count(*) from visits") == 13


def test_a_failing_write_leaves_the_database_as_it_was(fixture_db):
    version = fixture_db.data_version()
    with pytest.raises(RuntimeError):
        with fixture_db.transaction() as cur:
            cur.execute("delete from visits")
            raise RuntimeError("killed mid-load")
    assert fixture_db.scalar("select count(*) from visits") == 13
    assert fixture_db.data_version() == version
