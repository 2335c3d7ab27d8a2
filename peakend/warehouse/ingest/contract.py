"""The data contract (DESIGN.md) as the loader checks it: which columns each kind of file
has, which are required, and how each one's text is read and range-checked.

One definition, used by validation, previews and the CLI's messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from peakend.core.moments import ALL_PEAK_MOMENTS
from peakend.warehouse.schema import PERIOD_MEASURES
from peakend.warehouse.store import CONTRACT_HALL_COLUMNS, CONTRACT_PERIOD_COLUMNS, CONTRACT_VISIT_COLUMNS

# "periods": hourly reports, one row per hall x period (the second kind of data); "ratings":
# key-moment ratings in the long format, one row per visit x moment (issue 21)
KINDS = ("visits", "halls", "purposes", "staff", "periods", "ratings")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text | timestamp | score | bool | count | float | time | peak_moment | time_zone | minutes
    required: bool = False
    low: float | None = None  # inclusive range for numbers
    high: float | None = None
    sql_type: str = "varchar"


def _visit_field(name: str) -> Field:
    required = name in ("visit_id", "hall_id", "arrived_at", "purpose")
    if name.endswith("_at"):
        return Field(name, "timestamp", required, sql_type="timestamp")
    if name in ("peak_score", "exit_score"):
        return Field(name, "score", required, 1, 5, "tinyint")
    if name == "overall_score":
        return Field(name, "score", required, 0, 10, "tinyint")
    if name == "abandoned":
        return Field(name, "bool", required, sql_type="boolean")
    return Field(name, "text", required)


def _hall_field(name: str) -> Field:
    required = name in ("hall_id", "hall_name", "region", "city")
    if name == "counters":
        return Field(name, "count", required, 0, 10_000, "integer")
    if name == "latitude":
        return Field(name, "float", required, -90, 90, "double")
    if name == "longitude":
        return Field(name, "float", required, -180, 180, "double")
    if name in ("opens_at", "closes_at"):
        return Field(name, "time", required, sql_type="time")
    if name == "time_zone":
        return Field(name, "time_zone", required)
    return Field(name, "text", required)


# the most customers one report row may count (a hall x period)
MAX_PERIOD_COUNT = 1_000_000


def _period_field(name: str) -> Field:
    if name == "hall_id":
        return Field(name, "text", True)
    if name == "period_start":
        return Field(name, "timestamp", True, sql_type="timestamp")
    if name == "period_minutes":  # a period of a minute up to a day
        return Field(name, "count", True, 1, 1440, "integer")
    if name.endswith("_min"):  # a duration in minutes (a mapping may give another unit)
        return Field(name, "minutes", sql_type="double")
    return Field(name, "count", False, 0, MAX_PERIOD_COUNT, "integer")


FIELDS: dict[str, dict[str, Field]] = {
    "visits": {c: _visit_field(c) for c in CONTRACT_VISIT_COLUMNS},
    "halls": {c: _hall_field(c) for c in CONTRACT_HALL_COLUMNS},
    "purposes": {
        "purpose": Field("purpose", "text", True),
        "label_en": Field("label_en", "text", True),
        "label_zh": Field("label_zh", "text", True),
        "peak_moment": Field("peak_moment", "peak_moment"),
    },
    "staff": {
        "staff_id": Field("staff_id", "text", True),
        "staff_name": Field("staff_name", "text", True),
        "hall_id": Field("hall_id", "text"),
    },
    "periods": {c: _period_field(c) for c in CONTRACT_PERIOD_COLUMNS},
    # a score is read as 0-10 here; the moment's own scale (the catalogue) is checked after
    "ratings": {
        "visit_id": Field("visit_id", "text", True),
        "moment": Field("moment", "text", True),
        "score": Field("score", "score", True, 0, 10, "tinyint"),
        "rated_at": Field("rated_at", "timestamp", sql_type="timestamp"),
        "comment": Field("comment", "text"),
    },
}
# The measures of a report row: a row needs at least one of them.
PERIOD_MEASURE_COLUMNS = tuple(PERIOD_MEASURES)

# The column that must be unique within a file (and is the key a re-sent row replaces on).
KEY = {
    "visits": "visit_id",
    "halls": "hall_id",
    "purposes": "purpose",
    "staff": "staff_id",
    "periods": "period_start",
    "ratings": "moment",
}
# An hourly report's key is the hall and the period's start, a rating's the visit and the
# moment; as one text, for messages.
KEY_SQL = {
    "periods": "hall_id || ' ' || strftime(period_start, '%Y-%m-%d %H:%M')",
    "ratings": "visit_id || ' ' || moment",
}


def required_columns(kind: str) -> list[str]:
    return [f.name for f in FIELDS[kind].values() if f.required]


def normalise_name(name: str) -> str:
    """How a file's header name is compared with a contract name: case, surrounding spaces
    and spaces or hyphens inside don't matter ("Visit ID" finds visit_id)."""
    return "_".join(name.strip().lstrip("\ufeff").lower().replace("-", " ").split())


def guess_kind(columns: list[str]) -> str:
    """Which kind of file a header looks like; visits when unsure, so that a wrong file is
    refused with the visit columns it lacks."""
    names = {normalise_name(c) for c in columns}
    if "period_start" in names:
        return "periods"
    if "moment" in names and "score" in names:
        return "ratings"
    if "visit_id" in names or "arrived_at" in names:
        return "visits"
    if "staff_name" in names:
        return "staff"
    if "hall_name" in names:
        return "halls"
    if "label_en" in names or "label_zh" in names or "peak_moment" in names:
        return "purposes"
    return "visits"


PEAK_MOMENT_VALUES = ALL_PEAK_MOMENTS
