"""`python -m peakend sources`: the ingest API's sources (peakend/warehouse/sources.py).

    python -m peakend sources add NAME --halls DLC01[,DLC02] [--db PATH] [--user NAME]
    python -m peakend sources add NAME --all-halls    a data admin's token (every hall): the
                                                      command line's loads while the app runs
    python -m peakend sources revoke NAME [--db PATH] [--user NAME]
    python -m peakend sources list [--db PATH]

`add` prints the source's token once (only its hash is stored): give it to the hall's
system as `Authorization: Bearer TOKEN`. Like every write from the command line, it needs
the database file to itself (run it while the app is stopped); while the app runs, a data
admin adds, revokes and lists sources on the Data page (Sources).
"""

from __future__ import annotations

import argparse
import sys

from peakend.warehouse.db import Database, DatabaseBusy
from peakend.warehouse.ingest.cli import _default_user, default_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["add", "revoke", "list"])
    parser.add_argument("name", nargs="?", help="the source (add, revoke), e.g. dlc01-queue")
    parser.add_argument("--halls", default="", help="add: the halls it may write, comma-separated")
    parser.add_argument(
        "--all-halls", action="store_true", help="add: every hall (a data admin's token, for `load` while the app runs)"
    )
    parser.add_argument(
        "--db",
        "--warehouse",
        default=None,
        help="the warehouse (default: $PEAKEND_WAREHOUSE, else $PEAKEND_DB, else data/demo.duckdb)",
    )
    parser.add_argument("--user", default=None, help="who does it (default: $PEAKEND_USER or the login name)")


def run(args: argparse.Namespace) -> int:
    from peakend.warehouse import sources

    if args.action != "list" and not args.name:
        print(f"sources {args.action}: name the source", file=sys.stderr)
        return 2
    db_path = args.db or default_db()
    try:
        db = Database(db_path)
    except DatabaseBusy as e:
        print(
            f"sources: {e}\n  While the app runs, a data admin manages sources on its Data page (Sources).",
            file=sys.stderr,
        )
        return 1
    except Exception as e:  # a wrong or newer database: say so in one line
        print(f"sources: cannot open {db_path}: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1
    user = args.user or _default_user()
    try:
        if args.action == "add":
            halls = [sources.ALL_HALLS] if args.all_halls else args.halls.split(",")
            token = sources.add_source(db, args.name, halls, user)
            print(
                f"source {args.name} added for {'every hall' if args.all_halls else args.halls}; "
                "its token (shown only now):"
            )
            print(token)
        elif args.action == "revoke":
            sources.revoke_source(db, args.name, user)
            print(f"source {args.name} revoked; its token no longer works")
        else:
            listed = sources.list_sources(db)
            if not listed:
                print(f"{db_path}: no sources yet")
            for s in listed:
                state = f"revoked {s.revoked_at:%Y-%m-%d %H:%M} UTC by {s.revoked_by}" if s.revoked_at else "in force"
                last = f", last {s.last_load_at:%Y-%m-%d %H:%M}" if s.last_load_at else ""
                print(
                    f"{s.name}: halls {','.join(s.halls)}; {state}; added {s.created_at:%Y-%m-%d %H:%M} UTC "
                    f"by {s.created_by}; {s.loads} load(s){last}"
                )
        return 0
    except sources.SourceError as e:
        print(f"sources {args.action}: {e}", file=sys.stderr)
        return 1
    finally:
        db.close()
