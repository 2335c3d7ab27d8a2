"""`python -m peakend upkeep`: merge a DuckLake's small files, expire its old snapshots and
delete the files nobody reads any more (peakend/warehouse/lake_upkeep.py).

Run it on a schedule beside the app (README, "The warehouse as a DuckLake"): each step is a
commit of its own, tried again when a load commits first. A DuckDB file needs none of it."""

from __future__ import annotations

import argparse
import sys
import time

import duckdb

from peakend.warehouse import lake, lake_upkeep, write_turns


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        "--db",
        dest="db",
        default=lake.warehouse_target(default="data/demo.duckdb"),
        help="the DuckLake (default: $PEAKEND_WAREHOUSE, else $PEAKEND_DB)",
    )
    parser.add_argument(
        "--keep",
        default="1d",
        help="keep the snapshots of this long (time travel that far back); e.g. 0, 30m, 2h, 7d (default 1d)",
    )
    parser.add_argument(
        "--grace",
        default="1h",
        help="a file no snapshot reads any more is deleted once it has waited this long (default 1h)",
    )
    parser.add_argument(
        "--delete-threshold",
        type=float,
        default=lake_upkeep.DELETE_THRESHOLD,
        help=f"rewrite a data file once this share of its rows is deleted (default {lake_upkeep.DELETE_THRESHOLD})",
    )


def run(args: argparse.Namespace) -> int:
    if not lake.is_lake(args.db):
        print(f"{args.db} is a DuckDB file: it needs no upkeep (that is for a DuckLake)")
        return 0
    try:
        keep, grace = lake_upkeep.parse_duration(args.keep), lake_upkeep.parse_duration(args.grace)
    except ValueError as e:
        print(f"upkeep: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        con = lake.connect(args.db)
    except (duckdb.Error, lake.LakeError) as e:
        print(f"{lake.shown(args.db)}: can't open it ({e})", file=sys.stderr)
        return 2
    turns = write_turns.Turns(args.db)
    try:
        report = lake_upkeep.upkeep(
            con,
            keep=keep,
            grace=grace,
            orphan_age=max(grace, lake_upkeep.ORPHAN_AGE),
            delete_threshold=args.delete_threshold,
            turn=turns.turn,
        )
    finally:
        turns.close()
        con.close()
    print(f"before: {report.before.line()}")
    print(f"after:  {report.after.line()}")
    steps = ", ".join(f"{step} {s:.1f} s" for step, s in report.seconds.items())
    retried = f"; {report.retries} step(s) tried again after another writer's commit" if report.retries else ""
    print(f"upkeep of {lake.shown(args.db)} in {time.perf_counter() - started:.1f} s ({steps}){retried}")
    return 0
