"""The session cookie's HTTP side (peakend/auth/sessions.py says how sessions work).

POST /auth/session {"nonce": …}  swaps the one-time nonce a sign-in handed to the page
    (/peakend/session.js posts it) for the session token, and sets it as the cookie
    `peakend_session`: HttpOnly, SameSite=Lax, Path=/, Max-Age the absolute expiry, Secure
    when PEAKEND_COOKIE_SECURE says the app is served over HTTPS. It also sets (or keeps)
    the long-lived device cookie `peakend_device` and records the device as known to the
    user, so a stranger's failed sign-ins never lock this browser out.
POST /auth/signout  revokes the cookie's session and clears the cookie (the device cookie
    stays). A sign-out button does the revoking in its own run and calls this to clear it.

Both answer only requests from the app's own origin (an Origin header naming another is
refused) and are never cached."""

from __future__ import annotations

import asyncio
import json

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from peakend.auth import audit, sessions
from peakend.ui.session import process_database

NO_STORE = {"cache-control": "no-store"}


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=sessions.settings().secure,
    )


def _refused(status: int, why: str) -> JSONResponse:
    return JSONResponse({"error": why}, status_code=status, headers=NO_STORE)


async def create_session(request: Request) -> Response:
    if not _same_origin(request):
        return _refused(403, "another origin")
    try:
        body = json.loads((await request.body())[:1024] or b"{}")
        nonce = str(body.get("nonce", "")) if isinstance(body, dict) else ""
    except ValueError:
        return _refused(400, "not JSON")
    token = sessions.redeem(nonce, request.headers.get("user-agent"))
    if token is None:
        return _refused(400, "unknown, used or expired nonce")
    device = request.cookies.get(sessions.DEVICE_COOKIE) or ""
    if not 20 <= len(device) <= 100:
        device = sessions.new_token()
    db = process_database()
    username = await asyncio.to_thread(sessions.session_user, db, sessions.token_hash(token))
    # the device is remembered after the answer is sent: the cookie never waits on a write
    remember = BackgroundTask(sessions.remember_device, db, sessions.token_hash(device), username) if username else None
    response = Response(status_code=204, headers=NO_STORE, background=remember)
    _cookie(response, sessions.SESSION_COOKIE, token, int(sessions.settings().max_age.total_seconds()))
    _cookie(response, sessions.DEVICE_COOKIE, device, int(sessions.DEVICE_MAX_AGE.total_seconds()))
    return response


def _sign_out(token: str, ip: str | None) -> None:
    db = process_database()
    digest = sessions.token_hash(token)
    if sessions.revoke(db, digest, "signed_out"):
        audit(db, sessions.session_user(db, digest), "sign_out", {"ip": ip} if ip else None)


async def end_session(request: Request) -> Response:
    if not _same_origin(request):
        return _refused(403, "another origin")
    token = request.cookies.get(sessions.SESSION_COOKIE)
    if token:
        await asyncio.to_thread(_sign_out, token, request.client.host if request.client else None)
    response = Response(status_code=204, headers=NO_STORE)
    response.delete_cookie(
        sessions.SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=sessions.settings().secure
    )
    return response
