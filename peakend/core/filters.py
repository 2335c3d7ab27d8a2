"""The one filter object every page builds and every named query accepts.

Each field maps to a `$name` parameter of queries/_filtered_visits.sql. An empty selection
means "all", the way an empty multiselect reads to a user.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from peakend.core.periods import PRESETS, as_date, preset_range  # noqa: F401  (as_date: re-exported)

DIMENSIONS = (
    "region",
    "city",
    "hall",
    "purpose",
    "peak_moment",
    "staff",
    "segment",
    "day",
    "week",
    "month",
    "weekday",
    "hour",
)


def _tuple_or_none(values) -> tuple | None:
    if values is None:
        return None
    values = tuple(values)
    return values or None


@dataclass(frozen=True)
class VisitFilter:
    date_from: date | None = None  # first day, inclusive (the hall's local date)
    date_to: date | None = None  # last day, inclusive
    regions: tuple[str, ...] | None = None
    cities: tuple[str, ...] | None = None
    halls: tuple[str, ...] | None = None
    purposes: tuple[str, ...] | None = None
    peak_moments: tuple[str, ...] | None = None
    hour_from: int | None = None  # arrival hour, inclusive, 0-23
    hour_to: int | None = None  # arrival hour, inclusive
    weekdays: tuple[int, ...] | None = None  # ISO: 1 = Monday ... 7 = Sunday
    staff: tuple[str, ...] | None = None
    segments: tuple[str, ...] | None = None
    peak_min: int | None = None
    peak_max: int | None = None
    exit_min: int | None = None
    exit_max: int | None = None
    overall_min: int | None = None
    overall_max: int | None = None
    abandoned: bool | None = None  # None: both
    has_comment: bool | None = None  # None: both
    comment_contains: str | None = None  # words the comment must all hold (peakend.core.comment_search)
    skip_noted: bool | None = None  # True: leave out the hours of day notes marked leave_out

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (list, tuple, set, frozenset)):
                object.__setattr__(self, f.name, _tuple_or_none(sorted(value)))
        if self.comment_contains is not None and not self.comment_contains.strip():
            object.__setattr__(self, "comment_contains", None)
        if not self.skip_noted:  # False and None both keep every visit: one cache key
            object.__setattr__(self, "skip_noted", None)

    def replace(self, **changes: Any) -> VisitFilter:
        return dataclasses.replace(self, **changes)

    def as_params(self) -> dict[str, Any]:
        params = {}
        for f in fields(self):
            value = getattr(self, f.name)
            params[f.name] = list(value) if isinstance(value, tuple) else value
        if self.comment_contains is not None:
            from peakend.core.comment_search import search_patterns  # jieba and OpenCC only when searching

            params["comment_contains"] = search_patterns(self.comment_contains)
        return params

    @property
    def days(self) -> int | None:
        if self.date_from is None or self.date_to is None:
            return None
        return (self.date_to - self.date_from).days + 1

    def previous_period(self) -> VisitFilter:
        """The same filter over the period of equal length just before this one."""
        if self.date_from is None or self.date_to is None or self.days is None:
            raise ValueError("a comparison period needs a bounded date range")
        length = timedelta(days=self.days)
        return self.replace(date_from=self.date_from - length, date_to=self.date_to - length)


def period_preset(name: str, last_day: date) -> tuple[date, date]:
    """Date range (inclusive) of a named period counted back from the data's last day
    (peakend.core.periods: "yesterday" is that last day, not the calendar's)."""
    return preset_range(name, last_day)


PERIOD_PRESETS = PRESETS
