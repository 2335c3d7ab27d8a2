"""`python -m peakend load FILE` while the app runs: the file goes to the app's ingest API
(POST /api/v1/visits) with a data admin's token, and the app loads it in its own process.

Why not a second writer: DuckDB lets one process open a database file for writing, and
while it has it open no other process may open it at all, not even to read. The app holds
it all day, so the command line can only hand the file to the app, which loads it as one
transaction beside the pages' reads (the same loader, checks, load history and undo, and
the rollup self-check). What needs the file itself (--undo, --history, --mappings,
--dry-run, a halls or purposes file) is done on the app's Data page while it runs, or
from the command line once the app is stopped; the command says so in those words.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8501"

# the file's extension -> the Content-Type the API reads it by (peakend/web/ingest_api.py)
CONTENT_TYPES = {
    ".csv": "text/csv",
    ".txt": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".ndjson": "application/x-ndjson",
    ".jsonl": "application/x-ndjson",
    ".parquet": "application/vnd.apache.parquet",
    ".pq": "application/vnd.apache.parquet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".gz": "application/gzip",
    ".zip": "application/zip",
}


def app_url(given: str | None) -> str:
    return (given or os.environ.get("PEAKEND_URL") or DEFAULT_URL).rstrip("/")


def token(given: str | None) -> str | None:
    return given or os.environ.get("PEAKEND_TOKEN") or None


def content_type(path: Path) -> str | None:
    return CONTENT_TYPES.get(path.suffix.lower())


def send(url: str, bearer: str, path: Path, mapping: str | None = None, timeout: float = 600) -> tuple[int, dict]:
    """POST the file to the app; (HTTP status, the JSON answer). An app that doesn't answer
    is status 0 with the reason as the message."""
    # refresh=now: a file, shown on every page at once (not a feed's batch, Database.page_version)
    query = "?refresh=now" + (f"&mapping={urllib.parse.quote(mapping)}" if mapping else "")
    req = urllib.request.Request(f"{url}/api/v1/visits{query}", data=path.read_bytes(), method="POST")
    req.add_header("Content-Type", content_type(path) or "application/octet-stream")
    req.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read())
        except ValueError:
            return e.code, {"message": str(e.reason)}
    except OSError as e:
        return 0, {"message": f"the app at {url} did not answer ({getattr(e, 'reason', e)})"}


def answer_lines(path: Path, url: str, status: int, answer: dict, shown_rejects: int = 10) -> list[str]:
    """What the command prints for one file sent to the app."""
    if status == 200 and answer.get("status") == "loaded":
        lines = [
            f"{path.name}: loaded by the app at {url} as load {answer['load_id']} "
            f"(source {answer.get('source')}): {answer['accepted']['count']:,} new, "
            f"{answer['replaced']['count']:,} replaced, {answer['rejected']['count']:,} rejected"
        ]
        rows = answer["rejected"]["rows"]
        lines += [f"  row {r['row']}, {r['column'] or '-'}: {r['reason']}" for r in rows[:shown_rejects]]
        if len(rows) > shown_rejects:
            lines.append(f"  … and {len(rows) - shown_rejects:,} more (the Data page's load history has them all)")
        return lines
    if status == 200:
        return [f"{path.name}: {answer.get('message', answer.get('status'))} (the app at {url})"]
    if status == 0:
        return [f"{path.name}: not loaded: {answer['message']}"]
    return [f"{path.name}: not loaded: the app at {url} answered {status}: {answer.get('message')}"]
