"""Charts of the hourly-reports page: each takes one named query's rows (periods_heatmap,
periods_trend) and a measure of peakend.core.metrics.PERIOD_METRICS, and says in its title
that its numbers come from hourly reports."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from peakend.charts.theme import SERIES, WAIT_SCALE, finish
from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.metrics import PERIOD_METRICS

WEEKDAYS = range(1, 8)  # ISO: Monday first
ALL_DAYS = 0  # the heatmap's first row: every weekday together


def _unit(key: str) -> str:
    return t(f"reports.unit.{PERIOD_METRICS[key].kind}")


def _cell(key: str, value, decimals: int) -> str:
    if pd.isna(value):
        return ""
    if PERIOD_METRICS[key].kind == "share":
        return formatting.percent(value)
    return formatting.number(value, decimals)


def heatmap(cells: pd.DataFrame, key: str) -> go.Figure:
    """Weekday x hour of the period's start (periods_heatmap): the measure `key`, with a first
    row over every weekday (the rows of weekday null)."""
    frame = cells.assign(weekday=cells["weekday"].fillna(ALL_DAYS).astype(int))
    frame = frame[frame[f"n_{key}"] > 0]
    hours = list(range(int(frame["period_hour"].min()), int(frame["period_hour"].max()) + 1)) if len(frame) else []
    days = [d for d in (ALL_DAYS, *WEEKDAYS) if d in set(frame["weekday"])]
    grid = frame.pivot(index="weekday", columns="period_hour", values=key).reindex(index=days, columns=hours)
    counts = frame.pivot(index="weekday", columns="period_hour", values=f"n_{key}").reindex(index=days, columns=hours)
    values = grid.to_numpy(dtype=float)
    text = [[_cell(key, v, 0) for v in row] for row in values]
    hover = [
        [
            ["" if pd.isna(v) else _cell(key, v, 1), "" if pd.isna(n) else formatting.number(n)]
            for v, n in zip(row, nrow)
        ]
        for row, nrow in zip(values, counts.to_numpy())
    ]
    fig = go.Figure(
        go.Heatmap(
            # plain numbers (not a typed array): the figure's JSON carries the values themselves
            z=[[None if pd.isna(v) else float(v) for v in row] for row in values],
            x=[f"{h:02d}:00" for h in hours],
            y=[t("reports.all_days") if d == ALL_DAYS else t(f"hall.weekday.{d}") for d in days],
            text=text,
            texttemplate="%{text}",
            colorscale=WAIT_SCALE,
            xgap=2,
            ygap=2,
            showscale=False,
            hoverongaps=False,
            customdata=hover,
            hovertemplate="%{y} %{x}: %{customdata[0]} "
            + _unit(key)
            + " (n = %{customdata[1]} "
            + t("reports.unit.periods")
            + ")<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    # a count is added up over the weeks of the period; a mean or a share is not
    which = "reports.heatmap_total_title" if PERIOD_METRICS[key].kind == "count" else "reports.heatmap_title"
    title = t(which, measure=PERIOD_METRICS[key].label)
    return finish(fig, title, t("reports.axis.hour"), t("reports.axis.weekday"), height=380)


def trend(days: pd.DataFrame, key: str) -> go.Figure:
    """The measure `key` per day (periods_trend)."""
    frame = days[days[f"n_{key}"] > 0]
    fig = go.Figure(
        go.Scatter(
            x=pd.to_datetime(frame["period_date"]),
            y=frame[key],
            mode="lines+markers",
            name=PERIOD_METRICS[key].label,
            line={"color": SERIES[0]},
            customdata=frame[f"n_{key}"],
            hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} "
            + _unit(key)
            + " (n = %{customdata} "
            + t("reports.unit.periods")
            + ")<extra></extra>",
        )
    )
    fig.update_yaxes(rangemode="tozero")
    if PERIOD_METRICS[key].kind == "share":
        fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(tickformat="%m-%d")
    title = t("reports.trend_title", measure=PERIOD_METRICS[key].label)
    return finish(fig, title, t("reports.axis.day"), f"{PERIOD_METRICS[key].label} ({_unit(key)})")
