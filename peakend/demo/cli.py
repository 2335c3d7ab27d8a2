"""`python -m peakend demo`: generate the demo network into a new database file."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from peakend.demo.generate import DEFAULT_MONTHS, DEFAULT_VISITS, default_end_date, generate_demo
from peakend.warehouse import lake
from peakend.warehouse.db import Database

DEFAULT_SEED = 7  # the seed `make demo` uses
DEFAULT_OUT = Path("data/demo.duckdb")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--visits", type=int, default=DEFAULT_VISITS, help=f"number of visits to simulate (default {DEFAULT_VISITS:,})"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed; the same seed, end date and size give the same data (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"database file to create, or an empty DuckLake (ducklake:sqlite:PATH; default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--end-date", type=_iso_date, default=None, help="last day of the period, YYYY-MM-DD (default yesterday)"
    )
    parser.add_argument(
        "--months", type=int, default=DEFAULT_MONTHS, help=f"length of the period in months (default {DEFAULT_MONTHS})"
    )
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")


class _Printer:
    """Progress on one rewritten line on a terminal; a line per stage otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.stage = None

    def __call__(self, fraction: float, message: str) -> None:
        line = f"[{fraction * 100:3.0f}%] {message}"
        if self.tty:
            self.stream.write("\r" + line.ljust(60))
            if fraction >= 1:
                self.stream.write("\n")
        else:
            stage = message.split(",")[0]
            if stage == self.stage:
                return
            self.stage = stage
            self.stream.write(line + "\n")
        self.stream.flush()


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        if p.exists():
            p.unlink()


def _into_lake(target: str, args: argparse.Namespace) -> int:
    """The demo written into a DuckLake (peakend/warehouse/lake.py): in one transaction, as
    into a file, so a failed run leaves the lake as it was; an empty lake only."""
    db = Database(target)
    try:
        if db.scalar("select count(*) from visits"):
            print(f"{target} already holds visits; a demo goes into an empty DuckLake", file=sys.stderr)
            return 1
        end_date = args.end_date or default_end_date()
        print(f"Generating {args.visits:,} demo visits to {end_date} (seed {args.seed}) into {target}")
        summary = generate_demo(db, args.visits, args.seed, end_date, args.months, _Printer())
    finally:
        db.close()
    print(
        f"Wrote {summary.visits:,} visits in {summary.halls} halls, {summary.first_day} to {summary.last_day}, "
        f"to {target} in {summary.seconds:.1f} s"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if args.visits < 1:
        print("--visits must be at least 1", file=sys.stderr)
        return 2
    if args.seed < 0:
        print("--seed must not be negative", file=sys.stderr)
        return 2
    if not 1 <= args.months <= 36:
        print("--months must be between 1 and 36", file=sys.stderr)
        return 2
    if lake.is_lake(str(args.out)):
        return _into_lake(str(args.out), args)
    if out.is_dir():
        print(f"{out} is a directory; --out needs a file name", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"{out} already exists; pass --force to replace it", file=sys.stderr)
        return 1
    end_date = args.end_date or default_end_date()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the target and swap it in at the end, so a failed or interrupted run
    # leaves any existing file as it was.
    partial = out.with_name(out.name + ".partial")
    _remove(partial)
    months = f"{args.months} month{'s' if args.months != 1 else ''}"
    print(f"Generating {args.visits:,} demo visits over {months} to {end_date} (seed {args.seed}) into {out}")
    started = time.perf_counter()
    db = Database(partial)
    try:
        summary = generate_demo(db, args.visits, args.seed, end_date, args.months, _Printer())
    except BaseException:
        db.close()
        _remove(partial)
        raise
    db.close()
    # A stale .wal of the old file must never be replayed onto the new one.
    stale_wal, new_wal = Path(f"{out}.wal"), Path(f"{partial}.wal")
    if stale_wal.exists():
        stale_wal.unlink()
    os.replace(partial, out)
    if new_wal.exists():  # normally checkpointed away on close
        os.replace(new_wal, stale_wal)
    seconds = time.perf_counter() - started
    size_mb = out.stat().st_size / 1e6
    print(
        f"Wrote {summary.visits:,} visits in {summary.halls} halls, "
        f"{summary.first_day} to {summary.last_day}, to {out} "
        f"({size_mb:.0f} MB) in {seconds:.1f} s"
    )
    return 0
