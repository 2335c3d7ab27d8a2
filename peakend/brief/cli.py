"""`python -m peakend brief HALL [--date D] [--lang zh|en] --out FILE.pdf`: the morning
brief of a hall as one A4 page, for cron or a print room (`--region R` instead of a hall:
a cover ranking the region's halls, then a page per hall).

It opens the database read-only, so it runs when no other process writes to the file (DuckDB
lets one process hold a file for writing): beside a running app, use the brief page's
download buttons. The brief is computed as the hall's own manager sees it: the query layer's scope is the
hall asked for (the halls of the region, for --region), so peers stay anonymised ranks."""

from __future__ import annotations

import argparse
import functools
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from peakend.core.i18n import LANGUAGES, set_language
from peakend.core.periods import as_date
from peakend.core.scope import EVERYTHING, Scope
from peakend.warehouse import accounts, lake
from peakend.warehouse.db import Database, DatabaseBusy, open_read_only

DEFAULT_DB = "data/demo.duckdb"


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0], help="language (default: zh)")
    parser.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    parser.add_argument(
        "--user",
        help="compute it as this user sees it (their scope: e.g. a regional manager's region is the benchmark); "
        "default: as the hall's own manager sees it",
    )
    parser.add_argument(
        "--db",
        "--warehouse",
        type=Path,
        default=Path(lake.warehouse_target(default=DEFAULT_DB)),
        help="the warehouse (default: $PEAKEND_WAREHOUSE, else $PEAKEND_DB, else data/demo.duckdb)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("hall", nargs="?", help="hall id (e.g. DLC01)")
    parser.add_argument("--region", help="a region instead of a hall: a cover page, then a page per hall")
    parser.add_argument("--date", type=date.fromisoformat, help="day of data (default: the hall's last day)")
    parser.add_argument(
        "--period",
        choices=("auto", "day", "week"),
        default="auto",
        help="the day, or the week ending on it (auto: the week when the day is a Sunday, read on Monday)",
    )
    add_common(parser)


def open_database(path: Path) -> Database | None:
    if not path.exists():
        print(f"{path}: no such database file", file=sys.stderr)
        return None
    try:
        return open_read_only(path)
    except DatabaseBusy as e:
        print(e, file=sys.stderr)
        return None


def scoped(db: Database, hall_ids, username: str | None = None) -> tuple[functools.partial, pd.DataFrame] | None:
    """The query function for a user who sees exactly these halls (or for the user named,
    who must see every one of them), and their halls_in_scope; None, said why, when not."""
    if username is None:
        scope = Scope.halls(hall_ids)
    else:
        user = accounts.get_user(db, username)
        if user is None or not user.active:
            print(f"no active user {username!r}", file=sys.stderr)
            return None
        scope = accounts.scope_of(db, user)
        outside = sorted(h for h in hall_ids if not scope.allows(h))
        if outside:
            print(f"{username} may not see {', '.join(outside)}", file=sys.stderr)
            return None
    return functools.partial(db.query, scope=scope), db.query("halls_in_scope", scope=scope)


def last_day(halls: pd.DataFrame) -> date | None:
    days = halls["last_day"].dropna()
    return as_date(days.max()) if len(days) else None


def run(args: argparse.Namespace) -> int:
    from peakend.brief import documents

    set_language(args.lang)
    if bool(args.hall) == bool(args.region):
        print("name one hall, or one region with --region", file=sys.stderr)
        return 2
    db = open_database(args.db)
    if db is None:
        return 2
    every = db.query("halls_in_scope", scope=EVERYTHING)
    wanted = every[every["region"] == args.region] if args.region else every[every["hall_id"] == args.hall]
    if wanted.empty:
        print(f"no {'region' if args.region else 'hall'} {args.region or args.hall!r} in {args.db}", file=sys.stderr)
        return 2
    found = scoped(db, list(wanted["hall_id"]), args.user)
    if found is None:
        return 2
    query, halls = found
    if args.region:  # only the region's halls, whatever else the user may see
        halls = halls[halls["region"] == args.region]
    day = args.date or last_day(halls)
    if day is None:
        print("no visits yet: nothing to brief", file=sys.stderr)
        return 1
    kind = None if args.period == "auto" else args.period
    if args.region:
        pdf = documents.region_pdf(query, halls, args.region, day, kind)
    else:
        pdf = documents.brief_pdf(query, halls, args.hall, day, kind)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pdf)
    print(f"wrote {args.out} ({len(pdf):,} bytes)")
    return 0
