"""`python -m peakend serve`: the dashboard and its HTTP routes under uvicorn (make run)."""

from __future__ import annotations

import argparse
import logging
import os


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        "--warehouse",
        default=None,
        help="the warehouse: a DuckDB file or a DuckLake (ducklake:sqlite:PATH, ducklake:postgres:DSN; "
        "default: $PEAKEND_WAREHOUSE, else $PEAKEND_DB, else data/demo.duckdb)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    parser.add_argument(
        "--access-log", action="store_true", help="log every HTTP request (off: a page is ~80 requests)"
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn  # here, not at the top: the other commands needn't load a web server

    if args.db:
        os.environ["PEAKEND_WAREHOUSE"] = args.db
    from peakend.ui.session import database_path  # the same rule the pages open the file by
    from peakend.warehouse import lake

    print(f"PeakEnd: http://{args.host}:{args.port}  (database {lake.shown(database_path())})", flush=True)
    # Streamlit routes uvicorn's access log through its own logger, whatever uvicorn is told.
    logging.getLogger("uvicorn.access").disabled = not args.access_log
    uvicorn.run("peakend.web.asgi:app", host=args.host, port=args.port, access_log=False, log_config=None)
    return 0
