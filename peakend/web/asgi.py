"""The ASGI app: `uvicorn peakend.web.asgi:app` (make run), PeakEnd's pages with its own
HTTP routes beside them.

Serving from here also closes Streamlit's legacy `pages/` trap for good: the flag that
would run a page URL without app.py is switched off before the first session exists, so
no visitor after a restart can land in a legacy run (peakend/ui/legacy_pages.py keeps the
in-run guard for `streamlit run app.py`)."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route
from streamlit.runtime.pages_manager import PagesManager

from peakend.notify.mail import SmtpSettings
from peakend.notify.scheduler import start_in_background
from peakend.ui.auth import SESSION_SCRIPT_FILE, SESSION_SCRIPT_URL
from peakend.ui.errors import show_script_error
from peakend.ui.layout import SCRIPT_FILE, SCRIPT_URL
from peakend.ui.session import process_database
from peakend.warehouse.db import DatabaseBusy
from peakend.warehouse.schema import SchemaError
from peakend.web.headers import SecurityHeadersMiddleware
from peakend.web.health import healthz
from peakend.web.ingest_api import post_visits
from peakend.web.sessions import create_session, end_session

ROOT = Path(__file__).resolve().parent.parent.parent

PagesManager.uses_pages_directory = False  # app.py's st.navigation owns every URL


async def layout_script(request: Request) -> FileResponse:
    return FileResponse(SCRIPT_FILE, media_type="text/javascript")


async def session_script(request: Request) -> FileResponse:
    return FileResponse(SESSION_SCRIPT_FILE, media_type="text/javascript")


@asynccontextmanager
async def lifespan(_app):
    """The scheduler of briefs and alerts while the server runs: by mail when a mail server
    is set, to group robots' webhooks always (peakend/notify/scheduler.py says why it runs
    here and not as a process of its own)."""
    stop = None
    try:
        stop = start_in_background(process_database(), SmtpSettings.from_env())
    except (FileNotFoundError, SchemaError, DatabaseBusy) as exc:  # the pages say it too
        logging.getLogger("peakend.scheduler").error("no scheduler: %s", exc)
    try:
        yield None
    finally:
        if stop is not None:
            stop.set()


app = st.App(
    ROOT / "app.py",
    routes=[
        Route("/healthz", healthz, methods=["GET"]),
        Route(SCRIPT_URL, layout_script, methods=["GET"]),
        Route(SESSION_SCRIPT_URL, session_script, methods=["GET"]),
        Route("/auth/session", create_session, methods=["POST"]),
        Route("/auth/signout", end_session, methods=["POST"]),
        Route("/api/v1/visits", post_visits, methods=["POST"]),
    ],
    middleware=[Middleware(SecurityHeadersMiddleware)],
    on_script_error=show_script_error,  # in the user's language, not Streamlit's English box
    lifespan=lifespan,
)
