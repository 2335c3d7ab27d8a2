"""The loader's settings: the network's time zone and the limits of a plausible visit.

Each has a default and an environment variable (README, "Loading your own data"), read
when a check starts, so a test or a deployment can set it without code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peakend.warehouse.ingest.errors import FileRefused


@dataclass(frozen=True)
class Settings:
    # a timestamp with an offset or zone is converted to this zone (the halls' local time)
    time_zone: str = "Asia/Shanghai"
    # an arrival this many days before the hall's first day of data is rejected
    past_days: int = 366
    # an arrival after now plus this many days is rejected
    future_days: int = 1
    # a wait, service time or visit longer than this is rejected
    max_duration_hours: float = 12.0
    # a visit_id or code (hall, purpose, staff, counter, segment) longer than this is rejected
    max_id_length: int = 64


ENV = {
    "PEAKEND_TIME_ZONE": ("time_zone", str),
    "PEAKEND_MAX_PAST_DAYS": ("past_days", int),
    "PEAKEND_MAX_FUTURE_DAYS": ("future_days", int),
    "PEAKEND_MAX_DURATION_HOURS": ("max_duration_hours", float),
    "PEAKEND_MAX_ID_LENGTH": ("max_id_length", int),
}


def current() -> Settings:
    """The settings as the environment sets them (defaults otherwise)."""
    values = {}
    for var, (name, kind) in ENV.items():
        raw = os.environ.get(var)
        if raw:
            try:
                values[name] = kind(raw)
            except ValueError:
                raise FileRefused(f"the setting {var}={raw!r} is not a {kind.__name__}") from None
    settings = Settings(**values)
    try:
        ZoneInfo(settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FileRefused(
            f"the setting PEAKEND_TIME_ZONE={settings.time_zone!r} is not a time zone (write it like Asia/Shanghai)"
        ) from None
    return settings
