"""GET /healthz: is the server up, and can it read its database (and at which data version)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from peakend.ui.session import database_path, process_database


def _database_state() -> dict:
    db = process_database()
    return {"path": database_path(), "data_version": db.data_version(), "read_only": db.read_only}


async def healthz(request: Request) -> JSONResponse:
    try:
        state = await asyncio.to_thread(_database_state)
    except Exception as exc:  # the page would say the same: the server is up, its data isn't
        return JSONResponse({"status": "error", "database": database_path(), "error": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "database": state})
