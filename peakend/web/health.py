"""GET /healthz: is the server up, and can it read its database (and at which data version).

The versions are this process's: `data_version`, the warehouse's as this process knows it
(on a DuckLake read again every LAKE_POLL_S, so another process's load shows within it), and
`page_version`, the one the pages' caches answer under (a load by another process reaches
it within LIVE_CACHE_S more). `?counts=1` adds what the pages' dataset summary counts, read
now from the rollups: the visits and the halls that have visits, and the loads (counts only,
nothing of any hall). Several app processes on one DuckLake answer the same after a load.
A password in the warehouse's Postgres DSN is never shown.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from peakend.ui.session import database_path, process_database
from peakend.warehouse import lake

COUNTS_SQL = (
    "select (select coalesce(sum(visits), 0)::bigint from hall_rollup), (select count(*) from hall_rollup), "
    "(select count(*) from loads where status = 'loaded')"
)


def _database_state(counts: bool) -> dict:
    db = process_database()
    state = {
        "path": lake.shown(database_path()),
        "data_version": db.data_version(),
        "page_version": db.page_version(),
        "read_only": db.read_only,
    }
    if counts:
        cur = db.cursor()
        try:
            visits, halls, loads = cur.execute(COUNTS_SQL).fetchone()  # type: ignore[misc]
        finally:
            cur.close()
        state["counts"] = {"visits": int(visits), "halls": int(halls), "loads": int(loads)}
    return state


async def healthz(request: Request) -> JSONResponse:
    counts = request.query_params.get("counts") in ("1", "true", "yes")
    try:
        state = await asyncio.to_thread(_database_state, counts)
    except Exception as exc:  # the page would say the same: the server is up, its data isn't
        return JSONResponse(
            {"status": "error", "database": lake.shown(database_path()), "error": lake.shown(str(exc))},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": state})
