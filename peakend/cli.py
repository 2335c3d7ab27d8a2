"""`python -m peakend COMMAND`: the command line of the data admin.

Each command lives in the module that does the work; this file only names them, so that
importing the CLI stays cheap and commands don't step on each other.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command -> (module with add_arguments(parser) and run(args) -> int, one-line help)
COMMANDS = {
    "demo": ("peakend.demo.cli", "generate the demo network into a database"),
    "load": (
        "peakend.warehouse.ingest.cli",
        "load visit, hall, purpose, staff, hourly-report or key-moment rating files into a database",
    ),
    "check": (
        "peakend.warehouse.check_cli",
        "recompute every rollup from the visits and compare (OK or each difference)",
    ),
    "upkeep": (
        "peakend.warehouse.upkeep_cli",
        "merge a DuckLake's small files, expire its old snapshots and delete the files nobody reads",
    ),
    "sources": (
        "peakend.warehouse.sources_cli",
        "add, revoke and list the ingest API's sources (a bearer token per hall system)",
    ),
    "moments": (
        "peakend.warehouse.moments_cli",
        "list, add and remove key moments (the study's journey, and moments a region or hall adds)",
    ),
    "feed": (
        "peakend.demo.feed",
        "play a day of the demo network into the ingest API, as the halls' systems would",
    ),
    "serve": ("peakend.web.cli", "serve the dashboard and its HTTP routes (/healthz) under uvicorn"),
    "users": ("peakend.auth.cli", "add users, reset passwords, set scopes, list users, show the audit log"),
    "brief": ("peakend.brief.cli", "write a hall's morning brief (or a region's) as an A4 PDF"),
    "wall-sheet": ("peakend.brief.wall_cli", "write a hall's wall sheet (key moments, targets, actions) as an A4 PDF"),
    "themes": (
        "peakend.hall.themes_cli",
        "read comments on stdin, one a line; write the themes each one praises or complains about as JSON lines",
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peakend", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    from peakend.warehouse.db import DatabaseBusy  # here: `--help` needn't load DuckDB
    from peakend.warehouse.schema import SchemaError

    try:
        return int(modules[args.command].run(args) or 0)
    except (DatabaseBusy, SchemaError) as busy:  # the file is taken, or this PeakEnd can't read it: plain words
        print(f"{args.command}: {busy}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
