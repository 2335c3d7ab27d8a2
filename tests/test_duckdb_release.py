"""The pinned DuckDB keeps the rows of a staged table larger than one row group.

DuckDB 2.0.0 lost them: an empty CTAS inside a transaction, then an insert of more than
122,880 rows, gave a table whose bare count(*) was right but whose every column read empty
(10 of 10 runs). The rollup staging did exactly that, and the 1M demo's network overview
showed "–" for its median wait (issue 13). This is that repro, unchanged; it fails on 2.0.0.

DuckDB 1.5.5 (and 1.5.6) lose rows in a second pattern, which the rollup merge hit on a
300,000-visit demo (tests/test_write_paths_at_scale.py): in one transaction, an insert of no
rows from a temporary table, then an insert of more than one row group from another one,
and the table reads empty, before the commit and after it. 2.0.1 keeps both, so it is the
pinned release (README, "Which DuckDB").
"""

import duckdb


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


def test_the_pinned_release_is_one_that_keeps_the_rows():
    assert duckdb.__version__ not in ("2.0.0", "1.5.5", "1.5.6")
