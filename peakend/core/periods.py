"""The one period model of the app: a preset (or a custom range) counted back from the
last day of data, and the period it is compared with.

- Presets count back from the last day the data has (the network's, or one hall's when
  that hall's data ends earlier), never from the calendar: "yesterday" is the data's
  last day, because the morning's figures are yesterday's.
- Each preset has a natural comparison: a day against the same weekday a week earlier
  (a Sunday is not a Saturday), a calendar month against the calendar month before it,
  month-to-date against the same days of the month before, any other range against the
  equal-length range just before it.
- "Same weekdays a week earlier" (for periods shorter than a week) and "same dates a year
  earlier" are offered where the data reaches back that far.

Pure functions (no Streamlit): peakend/ui/controls.py draws them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from peakend.core.i18n import get_language, t

PRESETS = ("yesterday", "last_7_days", "last_30_days", "this_month", "last_month")
CUSTOM = "custom"
COMPARISONS = ("previous", "week_before", "year_before", "none")
# Links written before the one model named the regional page's comparisons like this.
OLD_COMPARISONS = {"previous_period": "previous", "previous_year": "year_before"}


def as_date(value) -> date:
    """A plain date from a date, datetime or pandas Timestamp (DuckDB dates arrive as the latter)."""
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value


def preset_range(name: str, last_day: date) -> tuple[date, date]:
    """Date range (inclusive) of a preset, counted back from the data's last day."""
    last_day = as_date(last_day)
    if name == "yesterday":  # the data's last day: the morning's "yesterday"
        return last_day, last_day
    if name == "last_7_days":
        return last_day - timedelta(days=6), last_day
    if name == "last_30_days":
        return last_day - timedelta(days=29), last_day
    if name == "this_month":
        return last_day.replace(day=1), last_day
    if name == "last_month":
        end = last_day.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    raise ValueError(f"unknown period preset {name!r}")


def _month_before(day: date) -> date:
    """The same day of the month before, or that month's last day when it is shorter."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def default_comparison(preset: str) -> str:
    return "week_before" if preset == "yesterday" else "previous"


def comparison_range(preset: str, start: date, end: date, kind: str) -> tuple[date, date] | None:
    """The comparison period of `kind` for the period start..end chosen as `preset`."""
    days = (end - start).days + 1
    if kind == "none":
        return None
    if kind == "week_before":
        return start - timedelta(days=7), end - timedelta(days=7)
    if kind == "year_before":
        return _year_before(start), _year_before(end)
    if kind != "previous":
        raise ValueError(f"unknown comparison {kind!r}")
    if preset == "last_month":  # the calendar month before, whatever its length
        before_end = start - timedelta(days=1)
        return before_end.replace(day=1), before_end
    if preset == "this_month":  # the same days of the month before
        return _month_before(start), _month_before(end)
    return start - timedelta(days=days), end - timedelta(days=days)


def comparisons_offered(preset: str, start: date, end: date, first_day: date) -> list[str]:
    """The period before and none, always (a period before the data shows as "no data
    before"); a week earlier and a year earlier where the data reaches back that far.

    "Same weekdays a week earlier" only for periods shorter than a week: for a week it is
    the previous period, and for longer ones it is no longer the same weekdays."""
    first_day = as_date(first_day)
    offered = []
    for kind in COMPARISONS:
        if kind in ("previous", "none"):
            offered.append(kind)
            continue
        if kind == "week_before" and (end - start).days + 1 >= 7:
            continue
        before = comparison_range(preset, start, end, kind)
        if before is not None and before[0] >= first_day:
            offered.append(kind)
    return offered


@dataclass(frozen=True)
class Period:
    preset: str  # one of PRESETS, or CUSTOM
    start: date
    end: date
    comparison: str  # one of COMPARISONS
    compare_start: date | None = None
    compare_end: date | None = None
    anchor: date | None = None  # the last day the presets count back from

    @property
    def compared(self) -> bool:
        return self.compare_start is not None


def resolve(
    preset: str, last_day: date, first_day: date, comparison: str | None = None, custom: tuple[date, date] | None = None
) -> Period:
    """The period a choice means on data that runs from first_day to last_day. A
    comparison the data doesn't reach falls back to the preset's natural one, then to the
    period before."""
    last_day, first_day = as_date(last_day), as_date(first_day)
    if preset == CUSTOM and custom is not None:
        start, end = custom
    else:
        preset = preset if preset in PRESETS else PRESETS[1]
        start, end = preset_range(preset, last_day)
    offered = comparisons_offered(preset, start, end, first_day)
    if comparison not in offered:
        natural = default_comparison(preset)
        comparison = natural if natural in offered else "previous"
    before = comparison_range(preset, start, end, comparison)
    compare_start, compare_end = before if before is not None else (None, None)
    return Period(preset, start, end, comparison, compare_start, compare_end, anchor=last_day)


# -- words ----------------------------------------------------------------------------------
def short_day(day: date, weekday: bool = False, year: bool = False) -> str:
    """ "Mon 30 Nov" / "11月30日 周一" (the year added when asked)."""
    day = as_date(day)
    month = t(f"period.month.{day.month}")
    if get_language() == "zh":
        text = f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"
        return f"{text} {t(f'period.weekday.{day.isoweekday()}')}" if weekday else text
    text = f"{day.day} {month}" + (f" {day.year}" if year else "")
    return f"{t(f'period.weekday.{day.isoweekday()}')} {text}" if weekday else text


def short_range(start: date, end: date, year: bool = False) -> str:
    """ "Mon 30 Nov" for one day, "24–30 Nov" or "31 Oct – 6 Nov" for a range."""
    start, end = as_date(start), as_date(end)
    if start == end:
        return short_day(start, weekday=True, year=year)
    zh = get_language() == "zh"
    if start.year == end.year and start.month == end.month:
        if zh:
            head = f"{start.year}年" if year else ""
            return f"{head}{start.month}月{start.day}日–{end.day}日"
        return f"{start.day}–{end.day} {t(f'period.month.{end.month}')}" + (f" {end.year}" if year else "")
    if zh:
        return f"{short_day(start, year=year)}–{short_day(end, year=year)}"
    return f"{short_day(start, year=year)} – {short_day(end, year=year)}"


def preset_label(preset: str, last_day: date, year: bool = False) -> str:
    """ "Yesterday · Mon 30 Nov": the preset's name and the dates it means now."""
    name = t(f"period.{preset}")
    if preset == CUSTOM:
        return name
    return f"{name} · {short_range(*preset_range(preset, last_day), year=year)}"


def comparison_label(kind: str, period: Period, year: bool = False) -> str:
    """ "Same weekday a week earlier · Sun 1 Mar"."""
    name = t(f"period.compare.{kind}")
    if kind == "none" or period is None:
        return name
    before = comparison_range(period.preset, period.start, period.end, kind)
    return f"{name} · {short_range(*before, year=year)}" if before else name
