"""The pinned DuckDB, and the two ways DuckDB releases have lost the rows of a big insert.

DuckDB 2.0.0 lost them: an empty CTAS inside a transaction, then an insert of more than
122,880 rows, gave a table whose bare count(*) was right but whose every column read empty
(10 of 10 runs). The rollup staging did exactly that, and the 1M demo's network overview
showed "–" for its median wait (issue 13). This is that repro, unchanged; it fails on 2.0.0
and passes on the pinned 1.5.5.

DuckDB 1.5.5 (and 1.5.6) lose rows in a second pattern, which the rollup merge hit on a
300,000-visit demo: in one transaction, an insert of no rows from a temporary table, then
an insert of more than one row group from another one, and the table reads empty. 1.5.5 is
still the pinned release, because it is the one DuckLake's extension is built for (issue
19; README, "Which DuckDB"): the write path never makes an empty insert from a temporary
table (rollups._merge skips it; the staging tables are declared with their columns), every
write checks the rollup rows it touched before it commits, and
tests/test_write_paths_at_scale.py drives every write path past two row groups. The repro
stays here, expected to fail on 1.5.x, so that the release that fixes it is noticed.
"""

from importlib.metadata import version
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_an_empty_ctas_then_a_big_insert_keeps_every_row():
    c = duckdb.connect()
    c.execute("create table w (a bigint, n bigint)")
    c.execute("begin")
    c.execute("create table d as select * from w limit 0")
    c.execute("insert into d select a, count(*) from (select hash(range) % 10000000 as a "
              "from range(150000)) group by all")
    expected = c.execute("select count(distinct hash(range) % 10000000) from range(150000)").fetchone()[0]
    assert expected > 122_880  # more than one row group, where 2.0.0 lost them
    assert c.execute("select count(*), sum(n), count(a) from d").fetchone() == (expected, 150_000, expected)
    c.execute("commit")
    assert c.execute("select count(*), sum(n), count(a) from d").fetchone() == (expected, 150_000, expected)


@pytest.mark.xfail(duckdb.__version__.startswith("1.5."), strict=True,
                   reason="DuckDB 1.5.x loses a big insert after an empty one from a temporary table")
def test_an_empty_insert_then_a_big_one_keeps_every_row(tmp_path):
    c = duckdb.connect(str(tmp_path / "t.duckdb"))
    c.execute("create table t (a bigint not null, n bigint not null)")
    c.execute("begin")
    c.execute("create temp table m0 as select i as a, 1::bigint as n from range(0) r(i)")
    c.execute("insert into t select * from m0 order by a")  # the merge of an empty delta
    c.execute("create temp table m1 as select i as a, 1::bigint as n from range(260000) r(i)")
    c.execute("insert into t select * from m1 order by a")
    assert c.execute("select count(*), sum(n) from t").fetchone() == (260_000, 260_000)  # 1.5.5: (0, None)
    c.execute("commit")
    assert c.execute("select count(*), sum(n) from t").fetchone() == (260_000, 260_000)


def test_the_merge_of_a_delta_that_cancels_out_then_a_big_one_keeps_every_row(tmp_path):
    """The write path's side of the second pattern: a staged change that sums to nothing
    (merged into no rows), then one of 260,000 keys, in one transaction, into one rollup."""
    from peakend.warehouse import rollups

    c = duckdb.connect(str(tmp_path / "t.duckdb"))
    c.execute("create table network_wait_rollup (day date not null, wait_s double not null, n bigint not null)")
    c.execute("insert into network_wait_rollup values (date '2026-01-01', 60, 1)")
    c.execute("begin")
    rollups._ensure_stage(c)
    c.execute("insert into network_wait_rollup_delta values (date '2026-01-01', 60, -1)")
    rollups._merge(c, "network_wait_rollup", ("day", "wait_s"), ["n"], "day, wait_s", "sum(n) <> 0")
    c.execute("insert into network_wait_rollup_delta select date '2026-01-02', i, 1 from range(260000) r(i)")
    rollups._merge(c, "network_wait_rollup", ("day", "wait_s"), ["n"], "day, wait_s", "sum(n) <> 0")
    assert c.execute("select count(*), sum(n) from network_wait_rollup").fetchone() == (260_000, 260_000)
    c.execute("commit")
    assert c.execute("select count(*), sum(n) from network_wait_rollup").fetchone() == (260_000, 260_000)


def test_the_pinned_release_and_its_extensions_are_the_ones_installed():
    pins = dict(
        line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line
    )
    assert duckdb.__version__ == pins["duckdb"] == "1.5.5"
    for package in ("duckdb-extension-ducklake", "duckdb-extension-sqlite"):
        assert version(package) == pins[package] == duckdb.__version__, package
