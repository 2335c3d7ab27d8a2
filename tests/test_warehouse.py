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


def test_live_writes_reach_the_pages_version_within_the_window_and_others_at_once(fixture_db, monkeypatch):
    """Database.page_version: a feed's batches (live writes) move the version pages cache
    under at most every LIVE_CACHE_S; any other commit moves it at once. data_version is
    always exact (the today panel)."""
    from peakend.warehouse import db as db_module

    clock = [1000.0]
    monkeypatch.setattr(db_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(db_module, "LIVE_CACHE_S", 30.0)
    db = fixture_db

    def write(live: bool) -> None:
        with db.transaction(live=live) as cur:
            cur.execute("update meta set value = value where key = 'load_time_zone'")

    start = db.page_version()
    assert start == db.data_version()
    steps = [  # (what happens, seconds later, a write (live?) or None, pages' and exact version - start)
        ("a live batch", 1, True, 0, 1),
        ("another", 10, True, 0, 2),
        ("the window has passed", 20, None, 2, 2),
        ("a live batch", 1, True, 2, 3),
        ("a file load", 1, False, 4, 4),
        ("nothing new, much later", 100, None, 4, 4),
    ]
    for what, later, live, pages, exact in steps:
        clock[0] += later
        if live is not None:
            write(live)
        assert (db.page_version() - start, db.data_version() - start) == (pages, exact), what
