"""The loader's settings: the network's time zone, the limits of a plausible visit and
the largest a compressed file may unpack to.

They live in the database (`meta`, like the service-level rule; schema.LOAD_SETTING_DEFAULTS
holds the keys and defaults), so the command line and the Data page check a file by the
same limits, and a data admin changes them on the Data page (`save`). Every message that
rejects a row by one of them names the limit and where it is set (SET_ON).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import duckdb

from peakend.warehouse import portable
from peakend.warehouse.schema import LOAD_SETTING_DEFAULTS

# said after a limit in a message, so the reader knows where to change it
SET_ON = "the limit set on the Data page"


@dataclass(frozen=True)
class Settings:
    # a timestamp with an offset or zone is converted to this zone, for halls without one
    time_zone: str = LOAD_SETTING_DEFAULTS["load_time_zone"]
    # an arrival this many days before the hall's first day of data is rejected
    past_days: int = int(LOAD_SETTING_DEFAULTS["load_max_past_days"])
    # an arrival after now plus this many days is rejected
    future_days: int = int(LOAD_SETTING_DEFAULTS["load_max_future_days"])
    # a wait, service time or visit longer than this is rejected
    max_duration_hours: float = float(LOAD_SETTING_DEFAULTS["load_max_duration_hours"])
    # a visit_id or code (hall, purpose, staff, counter, segment) longer than this is rejected
    max_id_length: int = int(LOAD_SETTING_DEFAULTS["load_max_id_length"])
    # a .gz or .zip that would unpack to more than this is refused (it is never unpacked whole)
    max_unpacked_gb: float = float(LOAD_SETTING_DEFAULTS["load_max_unpacked_gb"])

    @property
    def max_unpacked_bytes(self) -> int:
        return int(self.max_unpacked_gb * 1024**3)


# setting -> (meta key, type, lowest, highest)
KEYS: dict[str, tuple[str, type, float, float]] = {
    "time_zone": ("load_time_zone", str, 0, 0),
    "past_days": ("load_max_past_days", int, 1, 36_500),
    "future_days": ("load_max_future_days", int, 0, 3_650),
    "max_duration_hours": ("load_max_duration_hours", float, 0.5, 240),
    "max_id_length": ("load_max_id_length", int, 8, 10_000),
    "max_unpacked_gb": ("load_max_unpacked_gb", float, 0.001, 1_000),
}


class SettingError(ValueError):
    """A setting's value that can't be used; the message says why."""


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zone names a hall or the network may have, sorted."""
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def canonical_zone(name: str) -> str | None:
    """The time zone `name` means (Asia/Shanghai for "asia/shanghai"), or None."""
    text = (name or "").strip()
    if text in time_zones():
        return text
    by_lower = {z.lower(): z for z in time_zones()}
    return by_lower.get(text.lower())


def checked(values: dict) -> Settings:
    """Settings from `values` (setting name -> value; missing ones at their defaults),
    each checked. Raises SettingError naming the first one that can't be used."""
    out: dict = {}
    for name, (_, kind, low, high) in KEYS.items():
        if name not in values or values[name] is None:
            continue
        raw = values[name]
        if kind is str:
            zone = canonical_zone(str(raw))
            if zone is None:
                raise SettingError(f"{raw!r} is not a time zone name (write it like Asia/Shanghai)")
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise SettingError(f"{raw!r} is not a time zone name (write it like Asia/Shanghai)") from None
            out[name] = zone
            continue
        try:
            value = kind(float(raw)) if kind is int and float(raw) == int(float(raw)) else kind(raw)
        except (TypeError, ValueError):
            raise SettingError(f"{name}: {raw!r} is not a {'whole number' if kind is int else 'number'}") from None
        if not low <= value <= high:
            raise SettingError(f"{name}: {value:g} is outside {low:g}-{high:g}")
        out[name] = value
    return Settings(**out)


def read(cur: duckdb.DuckDBPyConnection) -> Settings:
    """The settings stored in the database (defaults for any not stored, or for a database
    without a meta table, such as a preview's scratch one)."""
    try:
        rows = cur.execute("select key, value from meta where key like 'load_%'").fetchall()
    except duckdb.CatalogException:
        return Settings()
    stored = dict(rows)
    values = {name: stored[key] for name, (key, *_) in KEYS.items() if key in stored}
    return checked(values)


def save(cur: duckdb.DuckDBPyConnection, values: dict) -> Settings:
    """Store the settings `values` names (the others keep their stored value); return them all."""
    merged = {**asdict(read(cur)), **{k: v for k, v in values.items() if k in KEYS}}
    new = checked(merged)
    for f in fields(new):
        portable.replace_row(cur, "meta", ("key",), {"key": KEYS[f.name][0], "value": str(getattr(new, f.name))})
    return new
