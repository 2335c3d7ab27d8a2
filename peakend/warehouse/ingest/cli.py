"""`python -m peakend load`: load, check, undo and list loads from the command line.

    python -m peakend load FILE... [--halls FILE] [--mapping NAME|FILE.json] [--kind KIND]
                                   [--unit COLUMN=UNIT]... [--sheet NAME] [--strict]
                                   [--db PATH] [--user NAME] [--dry-run]
    python -m peakend load --undo LOAD_ID [--db PATH] [--user NAME]
    python -m peakend load --history [--db PATH]
    python -m peakend load --mappings [--db PATH]
    python -m peakend load FILE... --url http://127.0.0.1:8501 [--token TOKEN] [--mapping NAME]

While the app runs it holds the database file, and DuckDB lets no other process open it:
a load of visit files then goes to the app's ingest API (peakend/warehouse/ingest/forward.py)
with a data admin's token (--token or $PEAKEND_TOKEN; `sources add NAME --all-halls`, or
the Data page's Sources). Everything else says, in plain words, what to do instead.

One line per file. Exit status 1 when a file was refused (or an undo was not possible),
0 otherwise; rows rejected inside a loaded file don't change it (they are listed in
FILE.rejects.csv and in the database).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from peakend.warehouse import lake
from peakend.warehouse.db import Database, DatabaseBusy
from peakend.warehouse.ingest import forward
from peakend.warehouse.ingest.contract import KINDS

DEFAULT_DB = "data/demo.duckdb"


def default_db() -> str:
    """$PEAKEND_WAREHOUSE (a DuckDB file or a DuckLake), else $PEAKEND_DB, else the demo file."""
    return lake.warehouse_target(default=DEFAULT_DB)


def _default_user() -> str:
    try:
        return os.environ.get("PEAKEND_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="visit, hall, purpose, staff, hourly-report or rating files (.csv, .tsv, .xlsx, .parquet)",
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
    parser.add_argument(
        "--db",
        "--warehouse",
        default=None,
        help=f"the warehouse: a DuckDB file or a DuckLake (ducklake:sqlite:PATH; default: $PEAKEND_WAREHOUSE, "
        f"else $PEAKEND_DB, else {DEFAULT_DB})",
    )
    parser.add_argument("--user", default=None, help="who is loading (default: $PEAKEND_USER or the login name)")
    parser.add_argument(
        "--url",
        default=None,
        help="send the files to the running app at this address instead of opening the file "
        f"(default when the app holds the database: $PEAKEND_URL or {forward.DEFAULT_URL})",
    )
    parser.add_argument("--token", default=None, help="a data admin's source token for --url (default: $PEAKEND_TOKEN)")
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
    if args.url:
        return _send_to_app(args, None)
    try:
        db = Database(db_path)
    except DatabaseBusy as busy:
        return _send_to_app(args, busy)
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


def _cannot_send(args: argparse.Namespace) -> str | None:
    """Why these arguments can't go to the app's ingest API (None: they can)."""
    if args.history or args.mappings or args.undo is not None:
        what = "--history" if args.history else "--mappings" if args.mappings else "--undo"
        return f"{what} reads or writes the database itself: use the app's Data page (History) while it runs"
    if args.dry_run:
        return "--dry-run checks against the database itself: use the app's Data page (Check) while it runs"
    if args.halls or (args.kind and args.kind != "visits"):
        return "the app's ingest API takes visit files only: load halls, purposes or staff on its Data page"
    if args.unit or args.sheet or args.strict:
        return "--unit, --sheet and --strict aren't sent to the app: use its Data page for those"
    if args.mapping and Path(args.mapping).suffix.lower() == ".json":
        return "a mapping written as a JSON file isn't sent to the app: save it on the Data page and name it"
    unknown = [f for f in args.files if forward.content_type(Path(f)) is None]
    if unknown:
        return f"{', '.join(unknown)}: the app's ingest API takes .csv, .tsv, .ndjson, .parquet, .xlsx, .gz and .zip"
    return None


def _send_to_app(args: argparse.Namespace, busy: DatabaseBusy | None) -> int:
    """The files to the running app's ingest API (the app holds the database), one POST each."""
    url = forward.app_url(args.url)
    said = f"load: {busy}\n  " if busy else "load: "
    problem = _cannot_send(args)
    if problem:
        stop = " or stop the app and run this again." if busy else "."
        print(f"{said}{problem};{stop}", file=sys.stderr)
        return 1
    bearer = forward.token(args.token)
    if not bearer:
        print(
            f"{said}To load while the app runs, the files go to the app at {url}: give a data admin's "
            "source token with --token or $PEAKEND_TOKEN (the Data page's Sources, or "
            "`python -m peakend sources add NAME --all-halls` while the app is stopped), or stop the app.",
            file=sys.stderr,
        )
        return 1
    if busy:
        print(f"load: the app has the database open; sending to it at {url}", file=sys.stderr)
    failed = 0
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"{path.name}: not loaded: no such file", file=sys.stderr)
            failed += 1
            continue
        status, answer = forward.send(url, bearer, path, args.mapping)
        for line in forward.answer_lines(path, url, status, answer):
            print(line)
        failed += status != 200
    return 1 if failed else 0
