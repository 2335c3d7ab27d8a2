"""POST /api/v1/visits: the hall systems post visits (README, "The ingest API").

    Authorization: Bearer TOKEN          a source's token (python -m peakend sources add)
    Content-Type: application/x-ndjson   one JSON object per line, or
                  text/csv               a CSV with a header row
    ?mapping=NAME                        optional: a saved or shipped column mapping

The body goes through the loader a data admin uses (peakend.warehouse.ingest.load_files),
in a thread so the event loop keeps serving the pages: the same checks, the same reasons,
one load in the load history (undo as any other), inside Database.transaction (the rollup
self-check). Re-sending a visit_id replaces the visit, so a retry is safe; re-sending a
batch that loaded whole changes nothing ("unchanged"). Visits may come in pieces (the
ticket, then the call, then the ratings): a later piece keeps every stored value it has
none for (store.insert_visits(merge=True)), so it never blanks what is known.

A row for a hall the source was not issued for is rejected like any bad row (the reason
names the source's halls) and the rest of the batch loads: one wrong row never sinks a
batch, which is the loader's rule for files too, and the answer says which row and why.

Answers (JSON): 200 loaded or unchanged, with accepted (new visits), replaced and rejected
rows (row, column, value, reason); 400 unknown mapping; 401 no, wrong or revoked token;
413 body over PEAKEND_API_MAX_BODY_MB (default 8); 415 another content type; 422 the batch
was refused whole (the loader's reason: empty, no visit_id column...); 429 the source sent
more than PEAKEND_API_BURST requests (default 20) faster than PEAKEND_API_RATE a minute
(default 120), with Retry-After in seconds. Messages are English, or Chinese with
`Accept-Language: zh`; the row reasons are the loader's (English, as on the Data page's
downloads and the command line).
"""

from __future__ import annotations

import asyncio
import math
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse

from peakend.core.i18n import label
from peakend.ui.session import process_database
from peakend.warehouse import sources
from peakend.warehouse.accounts import audit
from peakend.warehouse.db import Database, DatabaseBusy
from peakend.warehouse.ingest import LoadReport, MappingError, get_mapping, load_files

NO_STORE = {"cache-control": "no-store"}
CONTENT_TYPES = {
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/json-lines": "ndjson",
    "text/csv": "csv",
    # what `python -m peakend load` sends a running app besides those (README, "The command
    # line while the app runs"): the value is the file's extension, which the loader reads by
    "text/tab-separated-values": "tsv",
    "application/vnd.apache.parquet": "parquet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/gzip": "csv.gz",
    "application/zip": "zip",
}


def _lang(request: Request) -> str:
    return "zh" if request.headers.get("accept-language", "").strip().lower().startswith("zh") else "en"


def _say(request: Request, key: str, **values) -> str:
    """The answer's message from the label catalog (peakend/locales/api.toml)."""
    return label(f"api.{key}", _lang(request)).format(**values)


def _error(request: Request, status: int, key: str, headers: dict | None = None, **values) -> JSONResponse:
    return JSONResponse(
        {"status": "error", "error": key, "message": _say(request, key, **values)},
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )


def max_body_bytes() -> int:
    return int(float(os.environ.get("PEAKEND_API_MAX_BODY_MB", "8")) * 1024 * 1024)


@dataclass
class RateLimit:
    """A token bucket per source: `burst` requests at once, refilled at `per_minute`."""

    per_minute: float
    burst: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_env(cls) -> RateLimit:
        return cls(float(os.environ.get("PEAKEND_API_RATE", "120")), float(os.environ.get("PEAKEND_API_BURST", "20")))

    def wait(self, key: str, now: float | None = None) -> float:
        """0 when the request may go now (and it is counted), else the seconds to wait."""
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60
        with self._lock:
            tokens, then = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate if rate > 0 else 3600.0


_LIMIT: RateLimit | None = None


def rate_limit() -> RateLimit:
    global _LIMIT
    if _LIMIT is None:
        _LIMIT = RateLimit.from_env()
    return _LIMIT


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` (never held whole beyond it)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _visit_ids(db: Database, load_id: int) -> tuple[list[str], list[str]]:
    """(new visit_ids, replaced visit_ids) of a load."""
    cur = db.cursor()
    try:
        replaced = [
            r[0]
            for r in cur.execute(
                "select visit_id from visits_replaced where replaced_by_load = ? order by visit_id", [load_id]
            ).fetchall()
        ]
        new = [
            r[0]
            for r in cur.execute(
                """select visit_id from visits where load_id = $id and visit_id not in
                   (select visit_id from visits_replaced where replaced_by_load = $id) order by visit_id""",
                {"id": load_id},
            ).fetchall()
        ]
    finally:
        cur.close()
    return new, replaced


def _rejects(report: LoadReport) -> list[dict]:
    out = []
    for r in report.rejects.itertuples(index=False):
        value = None if r.value is None or r.value != r.value else str(r.value)  # NaN: no value
        entry = {"row": int(r.row), "column": r.column or None, "value": value, "reason": r.reason}
        if isinstance(getattr(r, "lines", None), str):
            entry["lines"] = r.lines
        out.append(entry)
    return out


# Loads run here, not in asyncio's default pool: they take turns on the write lock anyway,
# and queued in the default pool (a handful of threads) behind a feed's batches they held
# up everything else the server hands to it, such as the sign-in's cookie (/peakend/session):
# ten readers signing in while a feed posted went 30 s without their cookie (bench.live).
_LOADS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="peakend-api-load")


def _load(db: Database, source: sources.Source, body: bytes, fmt: str, mapping: str | None, live: bool) -> dict:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    with tempfile.TemporaryDirectory(prefix="peakend-api-") as workdir:
        path = Path(workdir) / f"api-{source.name}-{stamp}.{fmt}"
        path.write_bytes(body)
        [report] = load_files(
            db,
            [path],
            source.loaded_by,
            mapping=mapping,
            kind=None if mapping else "visits",
            writable_halls=None if source.all_halls else list(source.halls),
            merge=True,  # visits arrive in pieces: a later piece never blanks what is known
            live=live,
        )
        audit(
            db,
            source.loaded_by,
            "load",
            {
                "via": "api",
                "file": path.name,
                "status": report.status,
                "load_id": report.load_id,
                "same_as_load": report.same_as_load,
                "rows_loaded": report.rows_loaded,
                "rows_rejected": report.rows_rejected,
            },
        )
    answer: dict = {"status": report.status, "file": path.name, "format": fmt, "mapping": mapping}
    if report.status == "refused":
        return {**answer, "reason": report.message}
    if report.status == "unchanged":
        return {
            **answer,
            "same_as_load": report.same_as_load,
            "rows_read": report.rows_read,
            "accepted": {"count": 0, "visit_ids": []},
            "replaced": {"count": 0, "visit_ids": []},
            "rejected": {"count": 0, "rows": []},
        }
    assert report.load_id is not None
    new, replaced = _visit_ids(db, report.load_id)
    return {
        **answer,
        "load_id": report.load_id,
        "rows_read": report.rows_read,
        "rows_skipped": report.rows_skipped,
        "accepted": {"count": len(new), "visit_ids": new},
        "replaced": {"count": len(replaced), "visit_ids": replaced},
        "rejected": {"count": report.rows_rejected, "rows": _rejects(report)},
    }


def _mapping_problem(db: Database, name: str) -> tuple[str, dict] | None:
    try:
        mapping = get_mapping(db, name)
    except MappingError as e:
        return "bad_mapping", {"reason": str(e)}
    if mapping.kind != "visits":
        return "mapping_kind", {"name": name, "kind": mapping.kind}
    return None


async def post_visits(request: Request) -> JSONResponse:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    challenge = {"www-authenticate": 'Bearer realm="peakend"'}
    if scheme.lower() != "bearer" or not token.strip():
        return _error(request, 401, "no_token", challenge)
    try:
        db = process_database()
    except DatabaseBusy as busy:
        return _error(request, 503, "database_busy", {"retry-after": "30"}, pid=busy.pid or "?")
    source = await asyncio.to_thread(sources.authenticate, db, token.strip())
    if source is None:
        return _error(request, 401, "bad_token", challenge)
    wait = rate_limit().wait(source.name)
    if wait:
        seconds = max(1, math.ceil(wait))
        return _error(request, 429, "too_fast", {"retry-after": str(seconds)}, seconds=seconds)
    got = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = CONTENT_TYPES.get(got)
    if fmt is None:
        return _error(request, 415, "content_type", got=got or "no Content-Type")
    limit = max_body_bytes()
    body = await _read_body(request, limit)
    if body is None:
        return _error(request, 413, "too_big", limit=f"{limit / 1024 / 1024:.3g}")
    mapping = request.query_params.get("mapping") or None
    if mapping:
        problem = await asyncio.to_thread(_mapping_problem, db, mapping)
        if problem:
            return _error(request, 400, problem[0], **problem[1])
    # ?refresh=now: a whole file (the command line's load sent here), shown on every page
    # at once; a feed's batch reaches the pages' caches within LIVE_CACHE_S
    live = request.query_params.get("refresh") != "now"
    answer = await asyncio.get_running_loop().run_in_executor(_LOADS, _load, db, source, body, fmt, mapping, live)
    answer["source"] = source.name
    if answer["status"] == "refused":
        answer["message"] = _say(request, "refused", reason=answer["reason"])
        return JSONResponse(answer, status_code=422, headers=NO_STORE)
    if answer["status"] == "unchanged":
        answer["message"] = _say(request, "unchanged", load_id=answer["same_as_load"])
    else:
        answer["message"] = _say(
            request,
            "loaded",
            load_id=answer["load_id"],
            accepted=answer["accepted"]["count"],
            replaced=answer["replaced"]["count"],
            rejected=answer["rejected"]["count"],
        )
    return JSONResponse(answer, headers=NO_STORE)
