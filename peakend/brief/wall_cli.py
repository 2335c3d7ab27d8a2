"""`python -m peakend wall-sheet HALL [--lang zh|en] [--paper A4|A3] --out FILE.pdf`: the hall's
service blueprint and baselines (上墙) as one A4 (or A3) poster: every key moment, its target, the hall's
last 4 weeks marked red, amber or green, and the team's one action on it."""

from __future__ import annotations

import argparse
import sys

from peakend.brief.cli import add_common, last_day, open_database, scoped
from peakend.brief.render import PAPER
from peakend.core.i18n import set_language
from peakend.core.scope import EVERYTHING


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("hall", help="hall id (e.g. DLC01)")
    parser.add_argument("--paper", choices=tuple(PAPER), default="A4", help="paper size (default: A4)")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from peakend.brief import documents

    set_language(args.lang)
    db = open_database(args.db)
    if db is None:
        return 2
    every = db.query("halls_in_scope", scope=EVERYTHING)
    if not (every["hall_id"] == args.hall).any():
        print(f"no hall {args.hall!r} in {args.db}", file=sys.stderr)
        return 2
    found = scoped(db, [args.hall], args.user)
    if found is None:
        return 2
    query, halls = found
    day = last_day(halls)
    if day is None:
        print("no visits yet: nothing to put on the wall", file=sys.stderr)
        return 1
    pdf = documents.wall_pdf(query, halls, args.hall, day, args.paper)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pdf)
    print(f"wrote {args.out} ({len(pdf):,} bytes)")
    return 0
