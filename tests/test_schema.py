"""Opening databases: new, current, older (upgraded), newer or foreign (refused untouched)."""

import duckdb
import pytest

from peakend.warehouse import schema
from peakend.warehouse.db import Database
from peakend.warehouse.schema import SCHEMA_VERSION, SchemaError


def test_new_database_gets_the_current_schema(tmp_path):
    db = Database(tmp_path / "new.duckdb")
    assert db.scalar("select value from meta where key = 'schema_version'") == str(SCHEMA_VERSION)
    assert db.scalar("select count(*) from targets where hall_id = '*'") == 1
    db.close()
    # Reopening is a no-op.
    Database(tmp_path / "new.duckdb").close()


def test_newer_database_is_refused_without_change(tmp_path):
    path = tmp_path / "future.duckdb"
    Database(path).close()
    con = duckdb.connect(str(path))
    con.execute("update meta set value = ? where key = 'schema_version'", [str(SCHEMA_VERSION + 5)])
    con.close()
    with pytest.raises(SchemaError, match="newer PeakEnd"):
        Database(path)
    con = duckdb.connect(str(path))
    assert con.execute("select value from meta where key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION + 5)
    con.close()


def test_foreign_duckdb_file_is_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table something (x int)")
    con.close()
    with pytest.raises(SchemaError, match="not a PeakEnd database"):
        Database(path)


def test_older_database_is_upgraded(tmp_path, monkeypatch):
    # Build a database at version 1 only, then open it with every migration.
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 1)
    Database(path).close()
    monkeypatch.undo()
    db = Database(path)
    assert db.scalar("select value from meta where key = 'schema_version'") == str(SCHEMA_VERSION)
    db.close()


def test_failed_upgrade_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 1)
    Database(path).close()

    def broken(con):
        con.execute("create table half_done (x int)")
        raise RuntimeError("disk full")

    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1] + [broken])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    with pytest.raises(RuntimeError, match="disk full"):
        Database(path)
    monkeypatch.undo()
    con = duckdb.connect(str(path))
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert "half_done" not in tables
    assert con.execute("select value from meta where key = 'schema_version'").fetchone()[0] == "1"
    con.close()


def test_a_database_from_before_the_staff_roster_gains_it_with_its_visits_kept(tmp_path, monkeypatch):
    path = tmp_path / "before_staff.duckdb"
    before = schema.MIGRATIONS.index(schema._staff)
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", before)
    db = Database(path)
    with db.transaction() as cur:
        cur.execute("insert into halls (hall_id, hall_name, region, city) values ('H1', 'Alpha', 'North', 'Harbin')")
    db.close()
    monkeypatch.undo()
    db = Database(path)
    try:
        assert db.scalar("select value from meta where key = 'schema_version'") == str(SCHEMA_VERSION)
        assert db.scalar("select count(*) from staff") == 0 and db.scalar("select count(*) from halls") == 1
        assert db.scalar("select staff_label('S012', '王芳') || ' / ' || staff_label('S013', null)") == "王芳 · S012 / S013"
    finally:
        db.close()
