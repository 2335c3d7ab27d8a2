"""The clock sign-in, sessions and the audit log read (UTC, naive).

Injectable, so session expiry can be tested on a running server without waiting an hour:
`set_clock(fn)` in-process, or, for a server started by a test, the environment variable
PEAKEND_CLOCK_FILE naming a file that holds a number of seconds to add to the real time
(the test writes 3700 into it: the server now lives an hour and a bit later). Without
either, it is the real time."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_clock: Callable[[], datetime] | None = None


def _real_utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _offset() -> timedelta:
    path = os.environ.get("PEAKEND_CLOCK_FILE")
    if not path:
        return timedelta(0)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
        return timedelta(seconds=float(text or 0))
    except (OSError, ValueError):
        return timedelta(0)


def utcnow() -> datetime:
    if _clock is not None:
        return _clock()
    return _real_utcnow() + _offset()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (None: the real one again)."""
    global _clock
    _clock = fn
