"""Sending mail through SMTP, with the settings from the environment:

PEAKEND_SMTP_HOST       the mail server (unset: no mail is sent, the scheduler stays off)
PEAKEND_SMTP_PORT       default 587 with starttls, 465 with ssl, 25 without
PEAKEND_SMTP_SECURITY   starttls (default), ssl or none
PEAKEND_SMTP_USER, PEAKEND_SMTP_PASSWORD   when the server wants a sign-in
PEAKEND_SMTP_FROM       the sender, default peakend@localhost
PEAKEND_PUBLIC_URL      where the links in a mail point, default http://127.0.0.1:8501
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password: str | None = None
    sender: str = "peakend@localhost"
    public_url: str = "http://127.0.0.1:8501"

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("PEAKEND_SMTP_HOST")
        if not host:
            return None
        security = os.environ.get("PEAKEND_SMTP_SECURITY", "starttls")
        if security not in DEFAULT_PORTS:
            raise ValueError(f"PEAKEND_SMTP_SECURITY={security!r}: starttls, ssl or none")
        return cls(
            host=host,
            port=int(os.environ.get("PEAKEND_SMTP_PORT") or DEFAULT_PORTS[security]),
            security=security,
            user=os.environ.get("PEAKEND_SMTP_USER") or None,
            password=os.environ.get("PEAKEND_SMTP_PASSWORD") or None,
            sender=os.environ.get("PEAKEND_SMTP_FROM") or "peakend@localhost",
            public_url=public_url(),
        )


def public_url() -> str:
    """Where the links in a message point (PEAKEND_PUBLIC_URL)."""
    return (os.environ.get("PEAKEND_PUBLIC_URL") or "http://127.0.0.1:8501").rstrip("/")


def send(settings: SmtpSettings, message: EmailMessage, timeout: float = 20) -> None:
    """Hand one message to the mail server; raises OSError or smtplib.SMTPException."""
    message["From"] = settings.sender
    if settings.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with server:
        if settings.security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if settings.user:
            server.login(settings.user, settings.password or "")
        server.send_message(message)
