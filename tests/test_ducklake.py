"""The warehouse as a DuckLake (issue 19), on a SQLite catalog and a folder of Parquet files
(the one-machine form): the same schema from the same migrations, the same loader, the same
answers to every named query as the DuckDB file, undo and the rollup audit.

The fixture is built twice, once in a DuckDB file and once in a lake, by the same code
(tests/fixture_db.py); every named query is asked the same questions of both.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from fixture_db import FIXTURE, build_fixture_db
from peakend.warehouse import lake, portable, rollup_check
from peakend.warehouse.ingest import load_files, undo
from peakend.warehouse.named_queries import named_queries
from test_auth_scope import _is_write, _param_sets

# answers that hold the time they were made or a process's own numbers
VOLATILE_COLUMNS = {"loaded_at", "created_at", "undone_at", "saved_at", "last_load_at", "newest_load_at"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def lake_target(request, tmp_path_factory):
    """The lake's target and its folder: its catalog in a SQLite file there (one machine), or
    in a database of the temporary Postgres cluster (tests/services.py); its data files in
    the folder's data/ either way (the bucket is tests/test_ducklake_postgres.py's)."""
    folder = tmp_path_factory.mktemp(f"lake-{request.param}")
    if request.param == "postgres":
        target = "ducklake:postgres:" + request.getfixturevalue("postgres").create_database("peakend_fixture")
    else:
        target = f"ducklake:sqlite:{folder / 'catalog.sqlite'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PEAKEND_WAREHOUSE_DATA", str(folder / "data"))
        yield target, folder


# The tests that write run on the SQLite catalog only: on Postgres the loads, an undo and
# another process's load are tests/test_ducklake_postgres.py's (the suite's time).
SQLITE_ONLY = pytest.mark.parametrize("lake_target", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def on_lake(lake_target):
    db = build_fixture_db(lake_target[0])
    yield db
    db.close()


@pytest.fixture(scope="module")
def on_file():
    db = build_fixture_db()
    yield db
    db.close()


def test_the_lake_is_a_ducklake_with_its_data_in_parquet_files(on_lake, lake_target):
    cur = on_lake.cursor()
    try:
        assert portable.is_lake(cur)
        assert lake.snapshot(cur) > 0
    finally:
        cur.close()
    files = list((lake_target[1] / "data").rglob("*.parquet"))
    assert files, "no data files"
    if lake_target[0].startswith("ducklake:sqlite:"):
        assert (lake_target[1] / "catalog.sqlite").exists()
    else:  # the catalog's tables are Postgres's
        cur = on_lake.cursor()
        try:
            dsn = lake_target[0].removeprefix("ducklake:postgres:")
            cur.execute(f"attach '{dsn}' as pg (type postgres, read_only)")
            [(n,)] = cur.execute("select count(*) from pg.public.ducklake_data_file").fetchall()
            cur.execute("detach pg")
        finally:
            cur.close()
        assert n >= len(files) > 0


def test_every_named_query_answers_the_same_on_the_lake(on_lake, on_file, subtests):
    for name in named_queries():
        if _is_write(name):
            continue
        for params in _param_sets(name):
            with subtests.test(query=name, params=params):
                want = on_file.query(name, **params)
                got = on_lake.query(name, **params)
                keep = [c for c in want.columns if c not in VOLATILE_COLUMNS]
                assert list(got.columns) == list(want.columns)
                pd.testing.assert_frame_equal(
                    got[keep].reset_index(drop=True), want[keep].reset_index(drop=True),
                    check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-9,
                )


@SQLITE_ONLY
def test_a_load_and_its_undo_on_the_lake_keep_the_rollups_exact(on_lake, tmp_path):
    more = tmp_path / "more.csv"
    header, *rows = (FIXTURE / "visits.csv").read_text(encoding="utf-8").splitlines()
    # the fixture's visits again under new ids, a week later, and V01 re-sent
    shifted = [r.replace("2026-03-0", "2026-03-1").replace("V", "W", 1) for r in rows] + [rows[0]]
    more.write_text("\n".join([header, *shifted]) + "\n", encoding="utf-8")
    before = on_lake.scalar("select count(*) from visits")
    [report] = load_files(on_lake, [more], "tester")
    assert (report.status, report.rows_loaded, report.rows_replaced) == ("loaded", 14, 1)
    assert on_lake.scalar("select count(*) from visits") == before + 13
    cur = on_lake.cursor()
    try:
        assert rollup_check.audit(cur).ok
    finally:
        cur.close()
    undo(on_lake, report.load_id, "tester")
    assert on_lake.scalar("select count(*) from visits") == before
    cur = on_lake.cursor()
    try:
        assert rollup_check.audit(cur).ok
    finally:
        cur.close()


@SQLITE_ONLY
def test_a_second_process_sees_a_committed_load(on_lake, lake_target, tmp_path):
    """Another connection to the same catalog (as another app process would open it) sees
    the load once it has committed. (Its reads are read to the end: on a SQLite catalog a
    reader holding a result open blocks the commit, which DuckLake retries for ~10 s.)"""
    import duckdb

    other = duckdb.connect(lake_target[0], config=lake.config())
    try:
        [(seen,)] = other.execute("select count(*) from visits").fetchall()
        ratings = tmp_path / "ratings.csv"
        ratings.write_text("visit_id,moment,score\nV01,find,4\nV02,find,2\n", encoding="utf-8")
        [report] = load_files(on_lake, [ratings], "tester")
        assert report.rows_loaded == 2, report.message
        assert other.execute("select count(*) from moment_ratings").fetchall() == [(2,)]
        assert other.execute("select count(*) from visits").fetchall() == [(seen,)]
    finally:
        other.close()


def test_a_new_lake_without_a_data_folder_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("PEAKEND_WAREHOUSE_DATA", raising=False)
    with pytest.raises(lake.LakeError, match="set PEAKEND_WAREHOUSE_DATA"):
        lake.connect(f"ducklake:sqlite:{tmp_path / 'new.sqlite'}")


def test_the_setting_names_the_warehouse(monkeypatch):
    monkeypatch.delenv("PEAKEND_WAREHOUSE", raising=False)
    monkeypatch.setenv("PEAKEND_DB", "/tmp/x.duckdb")
    assert lake.warehouse_target() == "/tmp/x.duckdb"
    monkeypatch.setenv("PEAKEND_WAREHOUSE", "ducklake:sqlite:/srv/c.sqlite")
    assert lake.warehouse_target() == "ducklake:sqlite:/srv/c.sqlite"
    assert lake.warehouse_target("given.duckdb") == "given.duckdb"
    assert lake.is_lake("ducklake:sqlite:/srv/c.sqlite") and not lake.is_lake(os.devnull)


def test_the_schema_leaves_out_what_a_lake_has_not():
    assert portable.lake_ddl("create sequence if not exists task_ids start 1") is None
    assert portable.lake_ddl(
        "create table t (\n  task_id integer primary key default nextval('task_ids'),\n"
        "  name varchar not null unique,\n  a varchar, b int,\n  primary key (a, b))"
    ) == "create table t (\n  task_id integer not null,\n  name varchar not null,\n  a varchar, b int)"
    assert portable.lake_ddl("create table m (key varchar primary key, value varchar)") == (
        "create table m (key varchar not null, value varchar)"
    )
    assert portable.lake_ddl(
        "create table k (role varchar not null check (role in ('a', 'b')),\n  h tinyint check (h between 0 and 23))"
    ) == "create table k (role varchar not null,\n  h tinyint)"


@SQLITE_ONLY
def test_a_load_by_another_process_reaches_this_ones_pages_within_the_poll(on_lake, lake_target, tmp_path):
    """A command-line load in a process of its own, while this one has the lake open: this
    process's data version (every page cache's key) moves within LAKE_POLL_S of the commit."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from peakend.warehouse import db as warehouse_db

    ratings = tmp_path / "enter.csv"
    ratings.write_text("visit_id,moment,score\nV05,enter,5\nV08,enter,3\n", encoding="utf-8")
    before = on_lake.data_version()
    done = subprocess.run(
        [sys.executable, "-m", "peakend", "load", str(ratings), "--db", lake_target[0], "--user", "tester"],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    committed = time.monotonic()
    while on_lake.data_version() == before:
        assert time.monotonic() - committed < warehouse_db.LAKE_POLL_S + 1, "the other process's load never showed"
        time.sleep(0.1)
    assert on_lake.scalar("select count(*) from moment_ratings where moment = 'enter'") == 2


def test_data_on_s3_takes_its_keys_and_endpoint_from_the_aws_environment(monkeypatch):
    for name in ("AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "it's secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    assert lake.on_object_storage("s3://bucket/lake/") and not lake.on_object_storage("/srv/peakend/data")
    sql = lake.s3_secret("s3://bucket/lake/")
    assert sql == (
        "create or replace secret peakend_lake_s3 (type s3, provider config, key_id 'AKIDEXAMPLE', "
        "secret 'it''s secret', region 'us-east-1', scope 's3://bucket/', endpoint '127.0.0.1:9000', "
        "use_ssl false, url_style 'path')"
    )
    import duckdb

    with duckdb.connect(config=lake.config()) as con:  # DuckDB takes it (httpfs, from its package)
        con.execute(sql)
        [(kind, scope)] = con.execute("select type, scope from duckdb_secrets()").fetchall()
        assert (kind, scope) == ("s3", ["s3://bucket/"])
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://objects.example.com")  # the S3 one wins
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    assert "endpoint 'objects.example.com', use_ssl true" in lake.s3_secret("s3://bucket/lake/")
    assert "region 'eu-west-3'" in lake.s3_secret("s3://bucket/lake/")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert "endpoint" not in lake.s3_secret("s3://bucket/lake/")  # AWS itself


def test_a_new_lake_on_s3_without_keys_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("PEAKEND_WAREHOUSE_DATA", "s3://bucket/lake")
    with pytest.raises(lake.LakeError, match="s3://bucket/lake/: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        lake.connect(f"ducklake:sqlite:{tmp_path / 'new.sqlite'}")


def test_a_dsn_password_is_never_shown():
    assert lake.shown("ducklake:postgres:dbname=lake host=db password=hunter2 user=app") == (
        "ducklake:postgres:dbname=lake host=db password=*** user=app"
    )
    assert lake.shown("ducklake:postgres:postgresql://app:hunter2@db/lake") == "ducklake:postgres:postgresql://app:***@db/lake"
    assert lake.shown("ducklake:sqlite:/srv/catalog.sqlite") == "ducklake:sqlite:/srv/catalog.sqlite"


def test_every_lake_table_has_its_statistics_and_an_empty_one_stays_empty(on_lake, lake_target):
    """DuckLake 1.5.5 plans a query on a table that never held a row 15-100x slower than on
    one with statistics (peakend/warehouse/lake_stats.py): every table has them, the
    tables nothing wrote are still empty, and opening the lake again writes nothing."""
    from peakend.warehouse import lake_stats
    from peakend.warehouse.db import Database

    cur = on_lake.cursor()
    try:
        assert lake_stats.tables_without_stats(cur) == []
        empty = [
            t
            for (t,) in cur.execute(
                "select table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
            if cur.execute(f'select count(*) from "{t}"').fetchone()[0] == 0
        ]
        assert {"tasks", "day_notes", "deliveries"} <= set(empty)  # the fixture writes none of them
        before = lake.snapshot(cur)
    finally:
        cur.close()
    Database(lake_target[0]).close()
    cur = on_lake.cursor()
    try:
        assert lake.snapshot(cur) == before
    finally:
        cur.close()
