"""`python -m peakend moments`: the catalogue of key moments (peakend/warehouse/moments.py).

    python -m peakend moments list [--hall H | --region R]     the catalogue, or a hall's journey
    python -m peakend moments add CODE --zh 迎宾 --en "Greeting at the door" --stage before_queue
                                  [--peak] [--scale 1-5] [--region R | --hall H]
    python -m peakend moments remove CODE

The field study's moments can't be removed (可增加，不可减少). Like every write from the command
line, add and remove need the database file to themselves (run them while the app is
stopped); while the app runs, a data admin does the same on the Data page (Key moments).
"""

from __future__ import annotations

import argparse
import sys

from peakend.core.moments import STAGES
from peakend.warehouse.db import Database, DatabaseBusy
from peakend.warehouse.ingest.cli import _default_user, default_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["list", "add", "remove"])
    parser.add_argument("code", nargs="?", help="the moment's code (add, remove), e.g. greeting")
    parser.add_argument("--zh", default="", help="add: its Chinese label, e.g. 迎宾")
    parser.add_argument("--en", default="", help="add: its English label, e.g. 'Greeting at the door'")
    parser.add_argument("--stage", choices=STAGES, default=None, help="add: where in the visit it sits")
    parser.add_argument("--peak", action="store_true", help="add: it is a peak moment")
    parser.add_argument("--scale", default="1-5", help="add: its score scale, LOW-HIGH (default 1-5)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--region", default=None, help="add: the region's own moment; list: the region's")
    where.add_argument("--hall", default=None, help="add: the hall's own moment; list: the hall's journey")
    parser.add_argument(
        "--db",
        "--warehouse",
        default=None,
        help="the warehouse (default: $PEAKEND_WAREHOUSE, else $PEAKEND_DB, else data/demo.duckdb)",
    )
    parser.add_argument("--user", default=None, help="who does it (default: $PEAKEND_USER or the login name)")


def _line(m) -> str:
    peak = ", peak" if m.is_peak else ""
    return f"{m.moment:<18} {m.label_zh} / {m.label_en}  [{m.stage}{peak}, {m.scale_min}-{m.scale_max}; {m.owner}]"


def run(args: argparse.Namespace) -> int:
    from peakend.warehouse import moments

    if args.action != "list" and not args.code:
        print(f"moments {args.action}: name the moment's code", file=sys.stderr)
        return 2
    db_path = args.db or default_db()
    try:
        db = Database(db_path, read_only=args.action == "list")
    except DatabaseBusy as e:
        print(
            f"moments: {e}\n  While the app runs, a data admin changes key moments on its Data page.", file=sys.stderr
        )
        return 1
    except Exception as e:  # a wrong or newer database: say so in one line
        print(f"moments: cannot open {db_path}: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1
    user = args.user or _default_user()
    try:
        if args.action == "list":
            if args.hall:
                listed = moments.journey(db, args.hall)
            else:
                listed = [
                    m
                    for m in moments.catalogue(db)
                    if not args.region or m.region == args.region or (m.region is None and m.hall_id is None)
                ]
            for m in listed:
                print(_line(m))
        elif args.action == "add":
            if not args.stage:
                print(f"moments add: give --stage ({', '.join(STAGES)})", file=sys.stderr)
                return 2
            try:
                low, high = (int(x) for x in args.scale.split("-"))
            except ValueError:
                print(f"moments add: --scale {args.scale!r}: LOW-HIGH, e.g. 1-5", file=sys.stderr)
                return 2
            added = moments.add_moment(
                db,
                user,
                moments.NewMoment(
                    args.code, args.zh, args.en, args.stage, args.peak, (low, high), args.region, args.hall
                ),
            )
            print(f"added: {_line(added)}")
        else:
            moments.remove_moment(db, user, args.code)
            print(f"removed: {args.code}")
        return 0
    except moments.MomentError as e:
        print(f"moments {args.action}: {e}", file=sys.stderr)
        return 1
    finally:
        db.close()
