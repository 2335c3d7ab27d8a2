"""A DuckLake's upkeep (issue 19): after small loads, `upkeep` merges the files, expires the
snapshots and deletes what nobody reads, and the answers and the rollups stay as they were.
On the fixture in a lake on a SQLite catalog (the one-machine form)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from fixture_db import FIXTURE, build_fixture_db
from peakend import cli
from peakend.warehouse import lake, lake_upkeep, rollup_check
from peakend.warehouse.ingest import load_files

NOTHING = timedelta(0)


@pytest.fixture(scope="module")
def small_loads_lake(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("upkeep")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PEAKEND_WAREHOUSE_DATA", str(tmp_path / "data"))
        yield from _small_loads_lake(tmp_path)


def _small_loads_lake(tmp_path):
    target = f"ducklake:sqlite:{tmp_path / 'catalog.sqlite'}"
    con = lake.connect(target)
    # the fixture's few rows would stay in the catalog (DuckLake inlines small inserts):
    # written to files, each load's files are there to merge
    con.execute("call ducklake_set_option('catalog', 'data_inlining_row_limit', 0)")
    con.close()
    db = build_fixture_db(target)
    header, *rows = (FIXTURE / "visits.csv").read_text(encoding="utf-8").splitlines()
    # a feed's way: the same few visits sent again and again, each load a few new files
    for i in range(4):
        path = tmp_path / f"batch-{i}.csv"
        path.write_text("\n".join([header, *rows[i * 2 : i * 2 + 3]]) + "\n", encoding="utf-8")
        [report] = load_files(db, [path], "test feed", kind="visits", merge=True)
        assert report.status in ("loaded", "unchanged"), report.summary()
    yield db, target, tmp_path / "data"
    db.close()


def test_upkeep_merges_the_small_files_and_keeps_every_answer(small_loads_lake):
    db, target, data = small_loads_lake
    want = db.query("dataset_summary")
    con = lake.connect(target)
    try:
        before = lake_upkeep.files(con)
        assert before.snapshots > 1
        flushed = lake_upkeep.flush_calls(con)
        turns = []  # each step in the warehouse's writer turn: loads wait for it

        @contextlib.contextmanager
        def turn():
            turns.append("taken")
            yield

        report = lake_upkeep.upkeep(
            con, keep=NOTHING, grace=NOTHING, orphan_age=NOTHING, delete_threshold=0.0, turn=turn
        )
        # every call in the turn: 5 steps of one call, the flush one call a table it flushes
        assert len(turns) == 5 + len(flushed)
        assert rollup_check.audit(con).ok
    finally:
        con.close()
    after = report.after
    assert report.before == before
    assert after.data_files < before.data_files
    assert after.delete_files == 0
    assert after.snapshots == 1  # the current one: every older one expired (keep=0)
    assert after.waiting == 0
    # on disk: only what the current snapshot reads
    assert len(list(data.rglob("*.parquet"))) == after.data_files + after.delete_files
    assert set(report.seconds) == {
        "flush inlined data", "rewrite files with deletes", "merge adjacent files",
        "expire snapshots", "clean up old files", "delete orphaned files",
    }
    got = db.query("dataset_summary")
    assert got.drop(columns=[c for c in got.columns if "load" in c]).equals(
        want.drop(columns=[c for c in want.columns if "load" in c])
    )


def test_the_upkeep_command(small_loads_lake, capsys, tmp_path):
    # (after the test above, or on its own: either way the lake is one to keep up)
    _, target, _ = small_loads_lake
    assert cli.main(["upkeep", "--warehouse", target, "--keep", "0", "--grace", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("before: ") and "after: " in out and "merge adjacent files" in out
    assert cli.main(["upkeep", "--warehouse", str(tmp_path / "some.duckdb")]) == 0
    assert "needs no upkeep" in capsys.readouterr().out
    assert cli.main(["upkeep", "--warehouse", target, "--keep", "soon"]) == 2


def test_durations():
    assert lake_upkeep.parse_duration("0") == NOTHING
    assert lake_upkeep.parse_duration("90s") == timedelta(seconds=90)
    assert lake_upkeep.parse_duration("30m") == timedelta(minutes=30)
    assert lake_upkeep.parse_duration("2h") == timedelta(hours=2)
    assert lake_upkeep.parse_duration("7d") == timedelta(days=7)
    with pytest.raises(ValueError):
        lake_upkeep.parse_duration("a week")


def _data_files(con, table: str) -> int:
    meta = f'"__ducklake_metadata_{lake_upkeep.catalog(con)}"'
    return con.execute(
        f"""select count(*) from {meta}.ducklake_data_file f join {meta}.ducklake_table t using (table_id)
            where f.end_snapshot is null and t.end_snapshot is null and t.table_name = ?""",
        [table],
    ).fetchone()[0]


def test_upkeep_leaves_a_small_table_in_the_catalog(tmp_path, monkeypatch):
    # a fresh load keeps a table of a few rows (the users, the purposes) in the catalog;
    # flushed, each was one more Parquet file for every read (20 files against 14 in
    # bench.lake upkeep). Only tables whose catalog rows outgrew one insert's are flushed.
    monkeypatch.setenv("PEAKEND_WAREHOUSE_DATA", str(tmp_path / "data"))
    con = lake.connect(f"ducklake:sqlite:{tmp_path / 'catalog.sqlite'}")
    try:
        assert lake_upkeep.inlining_row_limit(con) == lake_upkeep.INLINING_ROW_LIMIT == 10
        con.execute("create table few (k varchar)")
        con.execute("insert into few values ('a'), ('b'), ('c')")
        con.execute("create table many (k integer)")  # a feed's rows, a few at a time
        for i in range(4):
            con.execute(f"insert into many select range from range({i * 3}, {i * 3 + 3})")
        con.execute("create table churn (k varchar, v integer)")  # one row changed by every load
        con.execute("insert into churn values ('data_version', 0)")
        con.execute("create table filed (k integer)")  # a table in a file, and one row inlined
        con.execute("insert into filed select range from range(20)")
        con.execute("insert into filed values (20)")
        dead = lake_upkeep.DEAD_INLINED_ROWS
        for _ in range(dead + 1):
            con.execute("update churn set v = v + 1")
        assert lake_upkeep.inlined_rows(con) == {
            ("main", "few"): (3, 0, 0),
            ("main", "many"): (12, 0, 0),
            ("main", "churn"): (1, dead + 1, 0),
            ("main", "filed"): (1, 0, 1),
        }
        flushed = [c.split("table_name => ")[1] for c in lake_upkeep.flush_calls(con)]
        assert flushed == ["'churn')", "'filed')", "'many')"]
        report = lake_upkeep.upkeep(con, keep=NOTHING, grace=NOTHING, orphan_age=NOTHING)
        assert report.after.data_files == 3  # many's, churn's, filed's (merged); few's rows stay in the catalog
        assert [_data_files(con, t) for t in ("few", "many", "churn", "filed")] == [0, 1, 1, 1]
        # the deleted rows of churn went with the flush (expiry leaves them)
        assert lake_upkeep.inlined_rows(con) == {
            ("main", "few"): (3, 0, 0),
            ("main", "many"): (0, 0, 1),
            ("main", "churn"): (0, 0, 1),
            ("main", "filed"): (0, 0, 1),
        }
        assert con.execute("select string_agg(k, ',' order by k) from few").fetchone()[0] == "a,b,c"
        assert con.execute("select count(*), sum(k) from many").fetchone() == (12, 66)
        assert con.execute("select v from churn").fetchall() == [(dead + 1,)]
        assert con.execute("select count(*), sum(k) from filed").fetchone() == (21, 210)
        assert con.execute("select count(*), sum(k) from filed").fetchone() == (21, 210)
        # a lake that inlines nothing (limit 0) has every inlined row flushed
        con.execute(f"call ducklake_set_option({lake.quoted(lake_upkeep.catalog(con))}, 'data_inlining_row_limit', 0)")
        assert lake_upkeep.inlining_row_limit(con) == 0
        assert len(lake_upkeep.flush_calls(con)) == 1  # few
    finally:
        con.close()
