"""Security headers on every answer, the pages' and the API's alike."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import streamlit
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INDEX = Path(streamlit.__file__).parent / "static" / "index.html"


def _inline_script_hashes(index_html: str) -> list[str]:
    """CSP hashes of the inline scripts in Streamlit's index.html (one today: it sets
    window.prerenderReady), so the policy needs no 'unsafe-inline' for scripts."""
    bodies = re.findall(r"<script>(.*?)</script>", index_html, flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies]


def content_security_policy() -> str:
    """Only the app's own origin. Styles may be inline: Streamlit's CSS-in-JS (emotion)
    and Plotly write style attributes at run time. Images may be data: URIs (Plotly's
    legend swatches, the favicon Streamlit inlines) and blob: (downloads)."""
    scripts = " ".join(["'self'", *_inline_script_hashes(_INDEX.read_text(encoding="utf-8"))])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "frame-src 'self'",
            "frame-ancestors 'self'",
            "base-uri 'self'",
            "form-action 'self'",
            "object-src 'none'",
        ]
    )


def security_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"SAMEORIGIN"),
    ]


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP answer (not to the WebSocket, which has no
    document to protect). Pure ASGI, so streamed answers pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
