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
    con = lake.connect(target, {})
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
    con = lake.connect(target, {})
    try:
        before = lake_upkeep.files(con)
        assert before.snapshots > 1
        turns = []  # each step in the warehouse's writer turn: loads wait for it

        @contextlib.contextmanager
        def turn():
            turns.append("taken")
            yield

        report = lake_upkeep.upkeep(
            con, keep=NOTHING, grace=NOTHING, orphan_age=NOTHING, delete_threshold=0.0, turn=turn
        )
        assert len(turns) == len(report.seconds) == 6
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
