"""Builds the hand-checked test database from the readable CSVs in tests/fixture/.

Every expected number in the query tests is derived by hand from these few rows (see
tests/test_queries_metrics.py).
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import duckdb

from peakend import auth
from peakend.warehouse import store as warehouse
from peakend.auth.passwords import hash_password
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import load_files
from peakend.warehouse.schema import TARGET_COLUMNS

FIXTURE = Path(__file__).parent / "fixture"


def build_fixture_db(path: str | Path = ":memory:") -> Database:
    db = Database(path)
    with db.transaction() as cur:
        _load(cur, "halls")
        _load(cur, "purposes")
        _load(cur, "targets")
        _add_users(cur)
    # the visits go through the loader a data admin uses (load 2, after the halls' load 1)
    [report] = load_files(db, [FIXTURE / "visits.csv"], "fixture")
    if report.status != "loaded" or report.rows_rejected:
        raise RuntimeError(f"the fixture visits did not load cleanly: {report.summary()}")
    # the staff roster (load 3): S1-S3 and S5 by name; S4 (of V10) is not in it
    [report] = load_files(db, [FIXTURE / "staff.csv"], "fixture")
    if report.status != "loaded" or report.rows_rejected:
        raise RuntimeError(f"the fixture staff did not load cleanly: {report.summary()}")
    return db


@functools.cache
def _hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose: once per process


def _add_users(cur: duckdb.DuckDBPyConnection) -> None:
    """The users of tests/fixture/users.csv (one per role, passwords in the file)."""
    with (FIXTURE / "users.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            auth.add_user(
                cur, row["username"], row["role"], display_name=row["display_name"],
                hashed_password=_hash(row["password"]), email=row["email"] or None,
                halls=[h for h in row["halls"].split(";") if h],
                regions=[r for r in row["regions"].split(";") if r],
            )


def fixture_password(username: str) -> str:
    """The fixture user's password (tests sign in with it)."""
    with (FIXTURE / "users.csv").open(encoding="utf-8") as fh:
        return next(r["password"] for r in csv.DictReader(fh) if r["username"] == username)


def _load(cur: duckdb.DuckDBPyConnection, table: str) -> None:
    rel_sql = f"read_csv('{FIXTURE / (table + '.csv')}', header = true, all_varchar = true)"
    cur.execute(f"create temp table staged as select * from {rel_sql}")
    if table == "halls":
        cur.execute(
            "create or replace temp table staged as select hall_id, hall_name, region, city, "
            "counters::int as counters, hall_type, latitude::double as latitude, "
            "longitude::double as longitude, opens_at::time as opens_at, "
            "closes_at::time as closes_at from staged"
        )
        load_id = warehouse.start_load(cur, "halls", "fixture", "halls.csv")
        warehouse.insert_halls(cur, "staged", load_id)
    elif table == "purposes":
        warehouse.upsert_purposes(cur, "staged")
    elif table == "targets":
        for row in cur.execute("select * from staged").fetchall():
            values = {
                c: (float(v) if v not in (None, "") else None)
                for c, v in zip(TARGET_COLUMNS, row[1:])
            }
            warehouse.set_targets(cur, row[0], values)
    cur.execute("drop table staged")
