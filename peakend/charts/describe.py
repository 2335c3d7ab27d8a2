"""A chart's text alternative for screen readers: what it shows and its extremes, in the
current language, read off the finished figure so every chart gets one the same way."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from peakend.charts.theme import unwrap_title
from peakend.core import formatting
from peakend.core.i18n import t

MAX_SERIES = 4  # a screen reader reads every word: the first few series, then how many more


def _number(value) -> str | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(v):
        return None
    return formatting.number(v, 0 if v.is_integer() else 1)


def _points(trace) -> list[tuple[str, float]]:
    """(label, value) of a bar/line trace: the value axis is y unless the bars lie flat."""
    flat = getattr(trace, "orientation", None) == "h"
    labels, values = (trace.y, trace.x) if flat else (trace.x, trace.y)
    if values is None:
        return []
    labels = list(labels) if labels is not None else list(range(1, len(values) + 1))
    out = []
    for label, value in zip(labels, values):
        if _number(value) is not None:
            out.append((str(label), float(value)))
    return out


def _grid_extremes(trace) -> str | None:
    z = trace.z
    if z is None:
        return None
    cells = []
    for i, row in enumerate(z):
        for j, value in enumerate(row if row is not None else []):
            if _number(value) is not None:
                y = trace.y[i] if trace.y is not None and i < len(trace.y) else i
                x = trace.x[j] if trace.x is not None and j < len(trace.x) else j
                cells.append((float(value), f"{y} {x}"))
    if not cells:
        return None
    low, high = min(cells), max(cells)
    return t("chart_alt.grid", high=_number(high[0]), high_at=high[1], low=_number(low[0]), low_at=low[1])


def describe(fig: go.Figure) -> str:
    """One short paragraph: the title, the axes, then each series' highest and lowest
    point (a grid's highest and lowest cell)."""
    layout = fig.layout
    parts = [unwrap_title(layout.title.text) or t("chart_alt.untitled")]
    x_title = unwrap_title(layout.xaxis.title.text) if layout.xaxis and layout.xaxis.title else ""
    y_title = unwrap_title(layout.yaxis.title.text) if layout.yaxis and layout.yaxis.title else ""
    if x_title and y_title:
        parts.append(t("chart_alt.axes", x=x_title, y=y_title))
    series = [tr for tr in fig.data if getattr(tr, "visible", True) is not False]
    said = 0
    for trace in series:
        if said == MAX_SERIES:
            break
        if trace.type == "heatmap":
            text = _grid_extremes(trace)
        else:
            points = _points(trace) if trace.type in ("bar", "scatter", "box") else []
            if not points:
                continue
            high = max(points, key=lambda p: p[1])
            low = min(points, key=lambda p: p[1])
            name = trace.name or t("chart_alt.values")
            text = (
                t("chart_alt.one", name=name, value=_number(high[1]), at=high[0])
                if len(points) == 1
                else t(
                    "chart_alt.series",
                    name=name,
                    n=formatting.number(len(points)),
                    high=_number(high[1]),
                    high_at=high[0],
                    low=_number(low[1]),
                    low_at=low[0],
                )
            )
        if text:
            parts.append(text)
            said += 1
    if len(series) > said and said == MAX_SERIES:
        parts.append(t("chart_alt.more", n=formatting.number(len(series) - said)))
    return " ".join(p if p.endswith((".", "。")) else p + t("chart_alt.stop") for p in parts)
