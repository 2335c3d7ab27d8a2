"""The explore page's state and the logic behind it, without Streamlit.

The whole view (filters, grouping, measures, the group whose visits are listed, the page of
that list and the visit opened) is an `ExploreView`. It round-trips through the URL query
string: `view_params` writes it, `parse_view` reads it back. Reading never raises: a value
that doesn't parse, or that names a hall, staff member, ... the user can't see, is dropped
and reported by name, so a stale or hand-edited link still opens.

Every value reaches SQL as a bound parameter; the parsing here is about giving the user a
clear note, not about keeping SQL safe.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from peakend.core import formatting, links, moment_table
from peakend.core.filters import DIMENSIONS, PERIOD_PRESETS, VisitFilter, period_preset
from peakend.core.i18n import t
from peakend.core.metrics import METRICS, MIN_RATINGS_DEFAULT
from peakend.core.moments import ALL_PEAK_MOMENTS

ALL_TIME = "all"
CUSTOM = "custom"
PERIODS = (*PERIOD_PRESETS, ALL_TIME, CUSTOM)
DEFAULT_PERIOD = "last_30_days"
DEFAULT_GROUP = "region"
DEFAULT_MEASURES = ("wait_median_min", "wait_p90_min", "service_level", "abandonment_rate", "exit_mean")
TIME_DIMENSIONS = ("day", "week", "month")
WEEKDAYS = tuple(range(1, 8))  # ISO: 1 = Monday
PAGE_SIZE = 50
NONE_VALUE = "~none"  # URL spelling of a group whose value is not recorded (e.g. no staff)
MAX_TEXT = 200  # longest comment search kept from a link

# URL name -> (VisitFilter field, source of valid values in FilterOptions, or a fixed tuple)
LIST_PARAMS: dict[str, tuple[str, str | tuple]] = {
    "region": ("regions", "region"),
    "city": ("cities", "city"),
    "hall": ("halls", "hall"),
    "purpose": ("purposes", "purpose"),
    "moment": ("peak_moments", ALL_PEAK_MOMENTS),
    "weekday": ("weekdays", tuple(str(d) for d in WEEKDAYS)),
    "staff": ("staff", "staff"),
    "segment": ("segments", "segment"),
}
# URL name (= VisitFilter field) -> inclusive bounds; a pair *_min/*_max or *_from/*_to
INT_PARAMS: dict[str, tuple[int, int]] = {
    "hour_from": (0, 23),
    "hour_to": (0, 23),
    "peak_min": (1, 5),
    "peak_max": (1, 5),
    "exit_min": (1, 5),
    "exit_max": (1, 5),
    "overall_min": (0, 10),
    "overall_max": (0, 10),
}
RANGE_PAIRS = (
    ("hour_from", "hour_to"),
    ("peak_min", "peak_max"),
    ("exit_min", "exit_max"),
    ("overall_min", "overall_max"),
)
YES_NO = {"yes": True, "no": False}
# URL name -> VisitFilter field for the yes / no filters
FLAG_PARAMS = {"abandoned": "abandoned", "comment": "has_comment"}
PARAM_NAMES = (
    "period",
    "from",
    "to",
    *LIST_PARAMS,
    *INT_PARAMS,
    *FLAG_PARAMS,
    "q",
    "by",
    "by2",
    "m",
    "chart",
    "min_n",
    "g1",
    "g2",
    "page",
    "visit",
)


@dataclass(frozen=True)
class FilterOptions:
    """The values each list filter can take for this user (from explore_filter_options)."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    labels: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> FilterOptions:
        values: dict[str, list[str]] = {}
        labels: dict[tuple[str, str], tuple[str, str]] = {}
        for row in frame.itertuples(index=False):
            values.setdefault(row.field, []).append(row.value)
            labels[(row.field, row.value)] = (row.label_en, row.label_zh)
        return cls({k: tuple(v) for k, v in values.items()}, labels)

    def valid(self, source: str | tuple) -> tuple[str, ...]:
        return source if isinstance(source, tuple) else self.values.get(source, ())

    def label(self, source: str, value: str, language: str) -> str:
        en_zh = self.labels.get((source, value))
        if en_zh is None:
            return str(value)
        return en_zh[1] if language == "zh" else en_zh[0]


@dataclass(frozen=True)
class ExploreView:
    period: str = DEFAULT_PERIOD  # a preset of filters.PERIOD_PRESETS, "all" or "custom"
    date_from: date | None = None  # only for "custom"
    date_to: date | None = None
    filters: VisitFilter = VisitFilter()  # every filter but the period (its dates stay None)
    group_1: str | None = DEFAULT_GROUP
    group_2: str | None = None
    measures: tuple[str, ...] = DEFAULT_MEASURES
    chart: str | None = None  # the measure drawn; None: the first one
    min_n: int = MIN_RATINGS_DEFAULT
    drill: tuple[str | None, ...] | None = None  # values of (group_1[, group_2]) whose visits are listed
    page: int = 1
    visit: str | None = None

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(g for g in (self.group_1, self.group_2) if g)

    @property
    def chart_measure(self) -> str:
        return self.chart if self.chart in self.measures else self.measures[0]

    def period_range(self, last_day: date) -> tuple[date | None, date | None]:
        """First and last day (inclusive) of the period; (None, None) for all time."""
        if self.period == ALL_TIME:
            return None, None
        if self.period == CUSTOM:
            return self.date_from, self.date_to
        return period_preset(self.period, last_day)

    def visit_filter(self, last_day: date) -> VisitFilter:
        date_from, date_to = self.period_range(last_day)
        return self.filters.replace(date_from=date_from, date_to=date_to)

    def drill_params(self) -> dict[str, str | None]:
        """Bound parameters of explore_visits that narrow the list to the chosen group."""
        params: dict[str, str | None] = {
            "drill_by_1": None,
            "drill_value_1": None,
            "drill_by_2": None,
            "drill_value_2": None,
        }
        if self.drill is not None and len(self.drill) == len(self.groups):
            for i, (dim, value) in enumerate(zip(self.groups, self.drill), start=1):
                params[f"drill_by_{i}"] = dim
                params[f"drill_value_{i}"] = value
        return params


# -- reading a link ---------------------------------------------------------------------


def parse_view(params: Mapping[str, Sequence[str]], options: FilterOptions) -> tuple[ExploreView, dict[str, str]]:
    """The view a URL query (name -> every value given) describes, and what was dropped.

    `dropped` maps a parameter name to the raw value(s) ignored, for a visible note.
    """
    dropped: dict[str, str] = {}

    def drop(name: str, raw: str | Sequence[str]) -> None:
        text = raw if isinstance(raw, str) else ",".join(raw)
        dropped[name] = f"{dropped[name]},{text}" if name in dropped else text

    changes: dict[str, Any] = {}  # ExploreView field -> value

    # the period: a preset, all time, or a custom from/to
    period = links.last(params, "period")
    raw_from, raw_to = links.last(params, "from"), links.last(params, "to")
    if period is not None and period not in PERIODS:
        drop("period", period)
        period = None
    if raw_from is not None or raw_to is not None or period == CUSTOM:
        day_from = links.decode_date(raw_from) if raw_from is not None else None
        day_to = links.decode_date(raw_to) if raw_to is not None else None
        if raw_from is not None and day_from is None:
            drop("from", raw_from)
        if raw_to is not None and day_to is None:
            drop("to", raw_to)
        if day_from is not None and day_to is not None and day_from > day_to:
            assert raw_from is not None and raw_to is not None  # the days were decoded from them
            drop("from", raw_from)
            drop("to", raw_to)
            day_from = day_to = None
        if day_from is not None or day_to is not None:
            # one bound alone is a valid open-ended range
            changes.update(period=CUSTOM, date_from=day_from, date_to=day_to)
        elif period == CUSTOM:
            if raw_from is None and raw_to is None:
                drop("period", period)  # custom, but no dates at all
            period = None  # a custom period without usable dates falls back to the default
    if period is not None and period != CUSTOM:
        changes["period"] = period

    # the filters
    filter_values: dict[str, Any] = {}  # VisitFilter field -> value
    for name, (attr, source) in LIST_PARAMS.items():
        raws = list(params.get(name, ()))
        if not raws:
            continue
        good, bad = links.decode_list(raws, options.valid(source))
        if bad:
            drop(name, bad)
        if good:
            filter_values[attr] = tuple(int(v) for v in good) if name == "weekday" else tuple(good)
    for name, (low, high) in INT_PARAMS.items():
        raw = links.last(params, name)
        if raw is None or raw == "":
            continue
        value = links.decode_int(raw, low, high)
        if value is None:
            drop(name, raw)
        else:
            filter_values[name] = value
    for low_name, high_name in RANGE_PAIRS:
        low_value, high_value = filter_values.get(low_name), filter_values.get(high_name)
        if low_value is not None and high_value is not None and low_value > high_value:
            drop(low_name, str(low_value))
            drop(high_name, str(high_value))
            del filter_values[low_name], filter_values[high_name]
    for name, attr in FLAG_PARAMS.items():
        raw = links.last(params, name)
        if raw is None or raw == "":
            continue
        if raw.strip().lower() in YES_NO:
            filter_values[attr] = YES_NO[raw.strip().lower()]
        else:
            drop(name, raw)
    text = links.last(params, "q")
    if text is not None and text.strip():
        if len(text) > MAX_TEXT:
            drop("q", text[:40] + "…")
        else:
            filter_values["comment_contains"] = text.strip()
    changes["filters"] = VisitFilter(**filter_values)

    # group and measure
    group_1 = links.last(params, "by")
    group_2 = links.last(params, "by2")
    if group_1 is not None:
        if group_1 == "none":
            changes["group_1"] = None
        elif group_1 in DIMENSIONS:
            changes["group_1"] = group_1
        else:
            drop("by", group_1)
            group_1 = None
    current_1 = changes.get("group_1", ExploreView.group_1)
    if group_2 is not None and group_2 != "none":
        if group_2 in DIMENSIONS and current_1 is not None and group_2 != current_1:
            changes["group_2"] = group_2
        else:
            drop("by2", group_2)
    measure_raws = list(params.get("m", ()))
    if measure_raws:
        good, bad = links.decode_list(measure_raws, METRICS)
        if bad:
            drop("m", bad)
        if good:
            changes["measures"] = tuple(good)
    measures = changes.get("measures", ExploreView.measures)
    chart = links.last(params, "chart")
    if chart is not None:
        if chart in measures:
            changes["chart"] = chart
        else:
            drop("chart", chart)
    raw = links.last(params, "min_n")
    if raw is not None:
        value = links.decode_int(raw, 0, 100_000)
        if value is None:
            drop("min_n", raw)
        else:
            changes["min_n"] = value

    # the visits behind one group, the page of that list and the visit opened
    groups = tuple(g for g in (changes.get("group_1", ExploreView.group_1), changes.get("group_2")) if g)
    drill_raws = {name: links.last(params, name) for name in ("g1", "g2")}
    given = [name for name, raw in drill_raws.items() if raw is not None]
    if given:
        # one value per grouping, no more, no fewer
        if groups and given == ["g1", "g2"][: len(groups)]:
            changes["drill"] = tuple(None if drill_raws[n] == NONE_VALUE else drill_raws[n] for n in given)
        else:
            for name, raw in drill_raws.items():
                if raw is not None:
                    drop(name, raw)
    raw = links.last(params, "page")
    if raw is not None:
        value = links.decode_int(raw, 1, 10_000_000)
        if value is None:
            drop("page", raw)
        else:
            changes["page"] = value
    visit = links.last(params, "visit")
    if visit is not None and visit.strip():
        changes["visit"] = visit.strip()

    return replace(ExploreView(), **changes), dropped


# -- writing a link ---------------------------------------------------------------------


def view_params(view: ExploreView) -> dict[str, list[str]]:
    """The URL query of a view: name -> values (repeated names for lists)."""
    out: dict[str, list[str]] = {"period": [view.period]}
    if view.period == CUSTOM:
        if view.date_from is not None:
            out["from"] = [view.date_from.isoformat()]
        if view.date_to is not None:
            out["to"] = [view.date_to.isoformat()]
    f = view.filters
    for name, (attr, _source) in LIST_PARAMS.items():
        values = getattr(f, attr)
        if values:
            out[name] = [str(v) for v in values]
    for name in INT_PARAMS:
        value = getattr(f, name)
        if value is not None:
            out[name] = [str(value)]
    for name, attr in FLAG_PARAMS.items():
        value = getattr(f, attr)
        if value is not None:
            out[name] = ["yes" if value else "no"]
    if f.comment_contains:
        out["q"] = [f.comment_contains]
    out["by"] = [view.group_1 or "none"]
    if view.group_2:
        out["by2"] = [view.group_2]
    out["m"] = list(view.measures)
    if view.chart and view.chart in view.measures and view.chart != view.measures[0]:
        out["chart"] = [view.chart]
    if view.min_n != MIN_RATINGS_DEFAULT:
        out["min_n"] = [str(view.min_n)]
    if view.drill is not None:
        for name, value in zip(("g1", "g2"), view.drill):
            out[name] = [NONE_VALUE if value is None else value]
    if view.page > 1:
        out["page"] = [str(view.page)]
    if view.visit:
        out["visit"] = [view.visit]
    return out


def query_string(view: ExploreView) -> str:
    return links.query_string(view_params(view))


def parse_query_string(text: str, options: FilterOptions) -> tuple[ExploreView, dict[str, str]]:
    return parse_view(links.parse_query_string(text), options)


# -- labels -----------------------------------------------------------------------------


def period_text(view: ExploreView, last_day: date) -> str:
    date_from, date_to = view.period_range(last_day)
    if date_from is None and date_to is None:
        return t("explore.all_time")
    first = formatting.day(date_from) if date_from else "…"
    last = formatting.day(date_to) if date_to else "…"
    return f"{first} – {last}"


def file_stem(view: ExploreView, last_day: date) -> str:
    """peakend-2026-02-01_2026-02-28: the period in the name of an exported file."""
    date_from, date_to = view.period_range(last_day)
    if date_from is None and date_to is None:
        return "peakend-all"
    return f"peakend-{date_from or 'start'}_{date_to or 'end'}"


def dimension_label(dim: str) -> str:
    return t(f"explore.dim.{dim}")


def value_label(dim: str, value, options: FilterOptions, language: str) -> str:
    """How one value of a grouping dimension reads on screen."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("explore.not_recorded")
    value = str(value)
    if dim == "hall":
        return options.label("hall", value, language)
    if dim == "purpose":
        return options.label("purpose", value, language)
    if dim == "staff":  # "王芳 · S012" (queries/explore_filter_options.sql), the id when unnamed
        return options.label("staff", value, language)
    if dim == "peak_moment":
        return t(f"explore.moment.{value}")
    if dim == "weekday":
        return t(f"explore.weekday.{value}")
    if dim == "hour":
        return f"{value}:00"
    return value


def key_moments_table(rows: pd.DataFrame, view: ExploreView, options: FilterOptions, language: str) -> pd.DataFrame:
    """Every key moment rated in the filter, by the view's first grouping (moments_by_group):
    a row per group, a column per moment in journey order, the mean on 1-5 (empty under the
    view's minimum n)."""
    dim = view.group_1
    rows = rows.assign(group_1=rows["group_1"].astype(object).where(rows["group_1"].notna(), NONE_VALUE))

    def name(value) -> str:
        if not dim:
            return t("explore.moments.all_visits")
        return value_label(dim, None if value == NONE_VALUE else value, options, language)

    first = dimension_label(dim) if dim else t("explore.moments.visits")
    return moment_table.pivot(rows, "group_1", first, name, view.min_n)


def group_key_label(view: ExploreView, values: Sequence, options: FilterOptions, language: str) -> str:
    return " · ".join(value_label(d, v, options, language) for d, v in zip(view.groups, values))


def measure_axis_title(key: str) -> str:
    metric = METRICS[key]
    if metric.kind == "count":
        return metric.label
    if metric.kind == "score":
        return f"{metric.label} (1-5)"  # the unit's own name says "score" again
    return f"{metric.label} ({metric.unit})"


# -- the result of group and measure ----------------------------------------------------


def _clean(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value


def group_rows(results: pd.DataFrame, view: ExploreView) -> list[tuple]:
    """The group key (values of the grouping dimensions) of each result row, in order."""
    columns = [f"group_{i}" for i in range(1, len(view.groups) + 1)]
    return (
        [tuple(_clean(v) for v in row) for row in results[columns].itertuples(index=False)]
        if columns
        else [()] * len(results)
    )


def is_thin(key: str, n, min_n: int) -> bool:
    """A mean of ratings over fewer than min_n ratings is shown greyed and not ranked."""
    metric = METRICS[key]
    n = _clean(n)
    return bool(metric.rating and n is not None and n < min_n)


STYLE_MAX_ROWS = 2_000


@dataclass
class ResultTable:
    table: pd.DataFrame  # what the screen and the export show: labels, raw numbers
    thin: pd.DataFrame  # same shape: True where a cell rests on too few ratings
    formats: dict[str, Callable]  # column -> formatter for the current language
    kinds: dict[str, str] = field(default_factory=dict)  # column -> metric kind (count, minutes, ...)

    @property
    def styled(self) -> bool:
        """Small enough to format and grey cell by cell (pandas' Styler has a cell limit)."""
        return len(self.table) <= STYLE_MAX_ROWS


def result_table(results: pd.DataFrame, view: ExploreView, options: FilterOptions, language: str) -> ResultTable:
    """One row per group: the group's labels, its visits, each measure and the n behind it."""
    columns: dict[str, list] = {}
    formats: dict[str, Callable] = {}
    kinds: dict[str, str] = {}
    thin: dict[str, list] = {}
    for i, dim in enumerate(view.groups, start=1):
        header = dimension_label(dim)
        columns[header] = [value_label(dim, _clean(v), options, language) for v in results[f"group_{i}"]]
        thin[header] = [False] * len(results)
    visits = METRICS["visits"]
    columns[visits.label] = list(results["visits"])
    formats[visits.label] = visits.format
    kinds[visits.label] = "count"
    thin[visits.label] = [False] * len(results)
    n_columns: list[str] = []
    for key in view.measures:
        if key == "visits":
            continue
        metric = METRICS[key]
        columns[metric.label] = [_clean(v) for v in results[key]]
        formats[metric.label] = metric.format
        kinds[metric.label] = metric.kind
        n_col = metric.n_column
        thin[metric.label] = [is_thin(key, n, view.min_n) for n in (results[n_col] if n_col else [None] * len(results))]
        if n_col and n_col != "visits" and n_col not in n_columns:
            n_columns.append(n_col)
    for n_col in n_columns:
        header = t(f"explore.n.{n_col}")
        columns[header] = list(results[n_col])
        formats[header] = formatting.number
        kinds[header] = "count"
        thin[header] = [False] * len(results)
    table = pd.DataFrame(columns)
    return ResultTable(table, pd.DataFrame(thin), formats, kinds)


def style_result(result: ResultTable):
    """The table with numbers formatted for the language and thin cells greyed."""
    styler = result.table.style.format({c: (lambda v, f=f: f(_clean(v))) for c, f in result.formats.items()})
    grey = result.thin.replace({True: "color: #9e9e9e; font-style: italic", False: ""})
    return styler.apply(lambda _frame: grey, axis=None)


# -- the chart ---------------------------------------------------------------------------

MAX_BARS = 40  # more categories than this are cut to the largest groups by visits
MAX_LINES = 8
MAX_HEAT = 40


def _group_date(dim: str, value: str | None):
    if value is None:
        return None
    try:
        return date.fromisoformat(value + "-01" if dim == "month" else value)
    except ValueError:
        return None


@dataclass
class ChartData:
    data: pd.DataFrame  # x, x_order, series, series_order, value, n, thin
    kind: str  # single | bar | column | line | heatmap | lines
    note: str | None = None  # said under the chart when groups were cut


def chart_data(results: pd.DataFrame, view: ExploreView, options: FilterOptions, language: str) -> ChartData:
    """The tidy frame the chart draws, the kind of chart that fits the grouping, and a note
    when the largest groups had to be kept to stay readable."""
    key = view.chart_measure
    metric = METRICS[key]
    n_col = metric.n_column or "visits"
    groups = view.groups
    frame = pd.DataFrame(
        {
            "value": [_clean(v) for v in results[key]],
            "n": list(results[n_col]),
            "visits": list(results["visits"]),
        }
    )
    frame["thin"] = [is_thin(key, n, view.min_n) for n in frame["n"]]
    note = None
    if not groups:
        return ChartData(frame.assign(x=t("explore.all_visits"), series=None), "single")
    dim_1 = groups[0]
    raw_1 = [_clean(v) for v in results["group_1"]]
    frame["x_raw"] = raw_1
    frame["x"] = [value_label(dim_1, v, options, language) for v in raw_1]
    if len(groups) == 1:
        if dim_1 in TIME_DIMENSIONS:
            frame["x"] = [_group_date(dim_1, v) for v in raw_1]
            frame = frame[frame["x"].notna()].sort_values("x")
            return ChartData(frame.assign(series=None).reset_index(drop=True), "line")
        if dim_1 in ("weekday", "hour"):
            # "1".."7" and "00".."23" sort as text in their own order; not recorded goes last
            frame = frame.sort_values("x_raw", key=lambda s: s.map(lambda v: (v is None, v or "")))
            return ChartData(frame.assign(series=None).reset_index(drop=True), "column")
        if len(frame) > MAX_BARS:
            note = t("explore.chart_cut", shown=MAX_BARS, total=formatting.number(len(frame)))
            frame = frame.nlargest(MAX_BARS, "visits")
        # best at the top: a ranking reads from the top down
        ascending = metric.higher_is_better is False
        frame = frame.sort_values(["thin", "value"], ascending=[True, ascending], na_position="last")
        return ChartData(frame.assign(series=None).reset_index(drop=True), "bar", note)

    dim_2 = groups[1]
    raw_2 = [_clean(v) for v in results["group_2"]]
    frame["series_raw"] = raw_2
    frame["series"] = [value_label(dim_2, v, options, language) for v in raw_2]
    time_dims = [d for d in groups if d in TIME_DIMENSIONS]
    if len(time_dims) == 1:
        # time on x, one line per category of the other dimension
        if dim_2 in TIME_DIMENSIONS:
            frame = frame.rename(columns={"x": "series", "series": "x", "x_raw": "series_raw", "series_raw": "x_raw"})
            time_dim = dim_2
        else:
            time_dim = dim_1
        frame["x"] = [_group_date(time_dim, v) for v in frame["x_raw"]]
        frame = frame[frame["x"].notna()]
        totals = frame.groupby("series", dropna=False)["visits"].sum().sort_values(ascending=False)
        if len(totals) > MAX_LINES:
            note = t("explore.lines_cut", shown=MAX_LINES, total=formatting.number(len(totals)))
            frame = frame[frame["series"].isin(totals.index[:MAX_LINES])]
        frame["series_order"] = frame["series"].map({s: i for i, s in enumerate(totals.index)})
        return ChartData(frame.sort_values(["series_order", "x"]).reset_index(drop=True), "lines", note)

    # two categories: a heatmap, rows = first dimension, columns = second
    cut = []
    for axis, raw in (("x_raw", dim_1), ("series_raw", dim_2)):
        totals = frame.groupby(axis, dropna=False)["visits"].sum().sort_values(ascending=False)
        if len(totals) > MAX_HEAT:
            cut.append((dimension_label(raw), len(totals)))
            frame = frame[frame[axis].isin(totals.index[:MAX_HEAT])]
    if cut:
        note = t("explore.heat_cut", shown=MAX_HEAT, dims=", ".join(f"{d} ({formatting.number(n)})" for d, n in cut))
    for axis, dim in (("x_raw", dim_1), ("series_raw", dim_2)):
        order_col = "x_order" if axis == "x_raw" else "series_order"
        if dim in (*TIME_DIMENSIONS, "weekday", "hour"):
            ordered = sorted(frame[axis].dropna().unique()) + ([None] if frame[axis].isna().any() else [])
        else:
            label_col = "x" if axis == "x_raw" else "series"
            ordered = list(frame.sort_values(label_col)[axis].drop_duplicates())
        frame[order_col] = frame[axis].map({v: i for i, v in enumerate(ordered)})
        if frame[axis].isna().any():
            frame.loc[frame[axis].isna(), order_col] = len(ordered) - 1
    return ChartData(frame.sort_values(["x_order", "series_order"]).reset_index(drop=True), "heatmap", note)


# -- the visit list ----------------------------------------------------------------------


def page_count(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def page_window(page: int) -> dict[str, int]:
    """limit / offset of one page of the visit list (pages count from 1)."""
    return {"limit": PAGE_SIZE, "offset": (max(page, 1) - 1) * PAGE_SIZE}


def drill_total(results: pd.DataFrame, view: ExploreView) -> int | None:
    """How many visits the list holds: every visit of the result, or of the chosen group.

    None when the chosen group is not in the result (the filters changed under it).
    """
    if view.drill is None:
        return int(results["visits"].sum()) if len(results) else 0
    for key, visits in zip(group_rows(results, view), results["visits"]):
        if key == tuple(view.drill):
            return int(visits)
    return None


VISIT_LIST_COLUMNS = (
    "visit_id",
    "arrived_at",
    "hall",
    "purpose",
    "staff",
    "abandoned",
    "wait_min",
    "peak_score",
    "exit_score",
    "overall_score",
    "exit_comment",
)


def visit_list(visits: pd.DataFrame, options: FilterOptions, language: str) -> pd.DataFrame:
    """One page of visits as the list shows them: hall, purpose and staff member by name."""
    out = visits.assign(
        hall=[options.label("hall", h, language) for h in visits["hall_id"]],
        purpose=[options.label("purpose", p, language) for p in visits["purpose"]],
        staff=[None if s is None or s != s else options.label("staff", s, language) for s in visits["staff_id"]],
    )
    return out[list(VISIT_LIST_COLUMNS)]


JOURNEY_STEPS = (
    ("arrived_at", "called_at", "waiting"),
    ("called_at", "service_started_at", "to_counter"),
    ("service_started_at", "service_ended_at", "at_counter"),
    ("service_ended_at", "left_at", "leaving"),
)


def journey_steps(visit: Mapping) -> pd.DataFrame:
    """The stretches of one visit's time in the hall, in order (a tidy frame for the chart).

    A visit that gave up has one stretch, waiting, from arrival to leaving.
    """
    rows = []
    if visit.get("abandoned"):
        start, end = _clean(visit.get("arrived_at")), _clean(visit.get("left_at"))
        if start is not None and end is not None:
            rows.append({"step": "waited_gave_up", "start": start, "end": end})
    else:
        for start_col, end_col, step in JOURNEY_STEPS:
            start, end = _clean(visit.get(start_col)), _clean(visit.get(end_col))
            if start is not None and end is not None and end > start:
                rows.append({"step": step, "start": start, "end": end})
    frame = pd.DataFrame(rows, columns=["step", "start", "end"])
    frame["minutes"] = [(e - s).total_seconds() / 60 for s, e in zip(frame["start"], frame["end"])]
    return frame
