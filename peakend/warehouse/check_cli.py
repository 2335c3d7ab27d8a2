"""`python -m peakend check`: recompute every rollup from the visits and compare.

Prints OK, or each difference (table, key, column, stored and recomputed values) and exits 1.
It also checks the schema version, that every visit's and hourly-report row's hall exists and
that no hall's period is stored twice. The database is
opened read-only, so it can run beside the app only when the app isn't writing (DuckDB
lets one process hold a file for writing)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, cast

import duckdb

from peakend.warehouse import lake, rollup_check
from peakend.warehouse.db import DatabaseBusy, lock_conflict
from peakend.warehouse.duckdb_settings import settings_from_env


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        "--warehouse",
        default=lake.warehouse_target(default="data/demo.duckdb"),
        help="the warehouse: a DuckDB file or a DuckLake (default: $PEAKEND_WAREHOUSE, else $PEAKEND_DB, "
        "else data/demo.duckdb)",
    )


def run(args: argparse.Namespace) -> int:
    if not lake.is_lake(args.db) and not Path(args.db).exists():
        print(f"{args.db}: no such database file", file=sys.stderr)
        return 2
    started = time.perf_counter()
    name = lake.shown(args.db)  # a DSN's password is not printed
    try:
        # a DuckLake is read at its current snapshot; a file read-only, beside nobody (both
        # within the environment's bounds, as the app is)
        if lake.is_lake(args.db):
            con = lake.connect(args.db)
        else:
            con = duckdb.connect(str(args.db), read_only=True, config=settings_from_env())
    except (duckdb.Error, lake.LakeError) as e:
        pid = lock_conflict(e)
        if pid is not False:
            print(f"check: {DatabaseBusy(name, pid or None)}", file=sys.stderr)
            return 2
        print(f"{name}: can't open it read-only ({e})", file=sys.stderr)
        return 2
    try:
        visits = cast("tuple[Any, ...]", con.execute("select count(*) from visits").fetchone())[0]
        report = rollup_check.audit(con)
        # hall_periods exists once the schema is current (an older file is refused above)
        reported = (
            cast("tuple[Any, ...]", con.execute("select count(*) from hall_periods").fetchone())[0] if report.ok else 0
        )
    finally:
        con.close()
    seconds = time.perf_counter() - started
    if report.ok:
        tables = ", ".join(t.table for t in report.tables)
        print(
            f"OK: {name}, {visits:,} visits, {reported:,} hourly-report rows; schema current; "
            "every visit's and report row's hall exists, no period stored twice; "
            f"{tables} equal a recomputation from the visits ({seconds:.1f} s)"
        )
        return 0
    for line in report.lines():
        print(line)
    print(f"{name}: the rollups or the schema differ from the visits (see above)", file=sys.stderr)
    return 1
