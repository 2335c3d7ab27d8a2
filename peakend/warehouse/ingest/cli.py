"""`python -m peakend load`: load, check, undo and list loads from the command line.

    python -m peakend load FILE... [--halls FILE] [--mapping NAME|FILE.json] [--kind KIND]
                                   [--unit COLUMN=UNIT]... [--sheet NAME] [--strict]
                                   [--db PATH] [--user NAME] [--dry-run]
    python -m peakend load --undo LOAD_ID [--db PATH] [--user NAME]
    python -m peakend load --history [--db PATH]
    python -m peakend load --mappings [--db PATH]

One line per file. Exit status 1 when a file was refused (or an undo was not possible),
0 otherwise; rows rejected inside a loaded file don't change it (they are listed in
FILE.rejects.csv and in the database).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from peakend.warehouse.db import Database
from peakend.warehouse.ingest.contract import KINDS

DEFAULT_DB = "data/demo.duckdb"


def default_db() -> str:
    return os.environ.get("PEAKEND_DB") or DEFAULT_DB


def _default_user() -> str:
    try:
        return os.environ.get("PEAKEND_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="visit, hall or purpose files (.csv, .tsv, .xlsx, .parquet)"
    )
    parser.add_argument("--halls", metavar="FILE", help="a halls file to load first")
    parser.add_argument(
        "--mapping",
        metavar="NAME|FILE.json",
        help="a saved or shipped column mapping (e.g. anonymous_bank), or a mapping written as a JSON file",
    )
    parser.add_argument(
        "--unit",
        action="append",
        default=[],
        metavar="COLUMN=UNIT",
        help="the unit of a duration column the mapping adds (seconds, minutes, hours or hh:mm:ss), "
        "e.g. --unit wait=minutes; overrides the mapping's",
    )
    parser.add_argument(
        "--kind", choices=KINDS, help="what the files hold when there is no mapping (default: read from the header)"
    )
    parser.add_argument(
        "--sheet", metavar="NAME", help="the sheet of a workbook to read (default: the one with the contract's columns)"
    )
    parser.add_argument("--strict", action="store_true", help="refuse a file that has columns the load would not read")
    parser.add_argument("--db", default=None, help=f"database file (default: $PEAKEND_DB or {DEFAULT_DB})")
    parser.add_argument("--user", default=None, help="who is loading (default: $PEAKEND_USER or the login name)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--dry-run", action="store_true", help="check the files and report, writing nothing")
    action.add_argument("--undo", type=int, metavar="LOAD_ID", help="take a load back out")
    action.add_argument("--history", action="store_true", help="list the loads, newest first")
    action.add_argument("--mappings", action="store_true", help="list the mappings a load can use")


def _progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{fraction:4.0%} {message[:70]:<70}")
        sys.stderr.flush()
        if fraction >= 1:
            sys.stderr.write("\r" + " " * 76 + "\r")


def _options(args: argparse.Namespace, path) -> dict:
    """--sheet and --strict apply to the FILEs, not to the --halls file."""
    if args.halls and path == args.halls:
        return {}
    return {"sheet": args.sheet, "strict": args.strict}


def _mapping(db: Database, args: argparse.Namespace):
    """--mapping (a preset's name or a JSON file) with the units of --unit applied."""
    from peakend.warehouse import ingest
    from peakend.warehouse.ingest.mapping import with_unit

    if not args.mapping:
        if args.unit:
            raise ingest.MappingError("--unit needs a --mapping whose durations it sets")
        return None
    mapping = ingest.get_mapping(db, args.mapping)
    for item in args.unit:
        column, sep, unit = item.partition("=")
        if not sep or not column.strip():
            raise ingest.MappingError(f"--unit {item}: write COLUMN=UNIT, e.g. --unit wait=minutes")
        mapping = with_unit(mapping, column.strip(), unit.strip().lower())
    return mapping


def run(args: argparse.Namespace) -> int:
    from peakend.warehouse import ingest  # imported here so `python -m peakend --help` stays fast

    wants_files = not (args.undo is not None or args.history or args.mappings)
    if wants_files and not args.files and not args.halls:
        print("load: name at least one FILE (or use --undo, --history or --mappings)", file=sys.stderr)
        return 2
    if not wants_files and (args.files or args.halls):
        print("load: --undo, --history and --mappings take no files", file=sys.stderr)
        return 2
    db_path = args.db or default_db()
    user = args.user or _default_user()
    try:
        db = Database(db_path)
    except Exception as e:  # a wrong or newer database: say so in one line
        print(f"load: cannot open {db_path}: {e}", file=sys.stderr)
        return 1
    try:
        if args.history:
            history = ingest.load_history(db)
            if history.empty:
                print(f"{db_path}: no loads yet")
            else:
                cols = [
                    "load_id",
                    "loaded_at",
                    "loaded_by",
                    "kind",
                    "file_name",
                    "mapping",
                    "rows_accepted",
                    "rows_rejected",
                    "rows_replaced",
                    "rows_skipped",
                    "status",
                ]
                print(history[cols].astype(object).where(history[cols].notna(), "").to_string(index=False))
            return 0
        if args.mappings:
            for p in ingest.list_mappings(db):
                print(f"{p.name} ({p.kind}, {p.source}): {p.description}")
            return 0
        if args.undo is not None:
            try:
                ingest.undo(db, args.undo, user)
            except ingest.UndoError as e:
                print(f"undo: {e}", file=sys.stderr)
                return 1
            print(f"load {args.undo} undone")
            return 0
        mapping = _mapping(db, args)
        if args.dry_run:
            refused = 0
            jobs = ([(args.halls, None, "halls")] if args.halls else []) + [(f, mapping, args.kind) for f in args.files]
            for path, m, kind in jobs:
                report = ingest.validate_file(db, path, m, kind, **_options(args, path))
                print(report.summary())
                refused += not report.ok
            return 1 if refused else 0
        reports = ingest.load_files(
            db,
            args.files,
            user,
            mapping=mapping,
            halls_path=args.halls,
            progress=_progress,
            kind=args.kind,
            sheet=args.sheet,
            strict=args.strict,
        )
        for load_report in reports:
            print(load_report.summary())
            for line in load_report.problem_lines():
                print(f"  {line}")
        return 1 if any(not r.ok for r in reports) else 0
    except ingest.MappingError as e:
        print(f"load: {e}", file=sys.stderr)
        return 1
    finally:
        db.close()
