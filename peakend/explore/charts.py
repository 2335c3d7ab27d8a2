"""Charts of the explore page: one measure by one or two groupings, and one visit's journey."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from peakend.charts.theme import GREYED, SCORE_SCALE, SERIES, STATUS_COLORS, WAIT_SCALE, finish
from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.metrics import METRICS
from peakend.explore.logic import ChartData, dimension_label, measure_axis_title


def _plot_value(kind: str, value):
    """Shares are drawn in percent so the axis reads 0-100 like the table."""
    if value is None or pd.isna(value):
        return None
    return value * 100 if kind == "share" else value


def _hover(metric, values, ns) -> list[str]:
    return [
        f"{metric.format(v) if v is not None and not pd.isna(v) else '–'} · n = {int(n) if not pd.isna(n) else 0}"
        for v, n in zip(values, ns)
    ]


def _short(metric, value) -> str:
    """A heatmap cell's text: the number alone (the colour bar names the unit)."""
    if metric.kind == "minutes":
        return formatting.number(value, 1)
    if metric.kind == "share":
        return formatting.percent(value, 0)
    if metric.kind == "score":
        return formatting.number(value, 1)
    return metric.format(value)


def _value_axis(fig: go.Figure, metric, axis: str) -> None:
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    if metric.kind == "share":
        update(ticksuffix="%", rangemode="tozero")
    elif metric.kind == "score":
        update(range=[1, 5.2])
    elif metric.kind in ("count", "minutes"):
        update(rangemode="tozero")


def _heat_scale(metric):
    if metric.higher_is_better is True:
        return SCORE_SCALE
    return WAIT_SCALE


def group_chart(chart: ChartData, measure: str, groups: tuple[str, ...]) -> go.Figure:
    """The chosen measure by the grouping: line over time, bars for categories, a heatmap
    for two categories. Groups resting on too few ratings are drawn grey."""
    metric = METRICS[measure]
    data = chart.data
    values = [_plot_value(metric.kind, v) for v in data["value"]]
    hover = _hover(metric, data["value"], data["n"])
    value_title = measure_axis_title(measure)
    colors = [GREYED if thin else SERIES[0] for thin in data["thin"]]
    by = " × ".join(dimension_label(d) for d in groups)
    title = t("explore.chart_title", measure=metric.label, by=by)
    fig = go.Figure()

    if chart.kind == "bar":
        fig.add_bar(
            y=data["x"],
            x=values,
            orientation="h",
            marker_color=colors,
            text=[metric.format(v) for v in data["value"]],
            textposition="auto",
            hovertext=hover,
            hoverinfo="text+y",
        )
        fig.update_yaxes(autorange="reversed", type="category")
        finish(fig, title, value_title, dimension_label(groups[0]), height=max(260, 90 + 26 * len(data)))
        # one readable size for every bar's label (inside when it fits, else just beyond)
        fig.update_layout(uniformtext={"minsize": 12, "mode": "show"})
        fig.update_traces(cliponaxis=False)
        _value_axis(fig, metric, "x")
        return fig

    if chart.kind == "column":
        fig.add_bar(
            x=data["x"],
            y=values,
            marker_color=colors,
            hovertext=hover,
            hoverinfo="text+x",
        )
        fig.update_xaxes(type="category")
        finish(fig, title, dimension_label(groups[0]), value_title)
        _value_axis(fig, metric, "y")
        return fig

    if chart.kind == "line":
        fig.add_scatter(
            x=data["x"],
            y=values,
            mode="lines+markers",
            line_color=SERIES[0],
            marker={"color": colors, "size": 8},
            hovertext=hover,
            hoverinfo="text+x",
            name=metric.label,
        )
        finish(fig, title, dimension_label(groups[0]), value_title)
        _value_axis(fig, metric, "y")
        return fig

    if chart.kind == "lines":
        time_dim = next(d for d in groups if d in ("day", "week", "month"))
        other = next(d for d in groups if d != time_dim)
        for i, (_series, part) in enumerate(data.groupby("series_order", sort=True)):
            color = SERIES[i % len(SERIES)]
            fig.add_scatter(
                x=part["x"],
                y=[_plot_value(metric.kind, v) for v in part["value"]],
                mode="lines+markers",
                name=str(part["series"].iloc[0]),
                line_color=color,
                marker={"color": [GREYED if th else color for th in part["thin"]], "size": 7},
                hovertext=_hover(metric, part["value"], part["n"]),
                hoverinfo="text+x+name",
            )
        finish(fig, title, dimension_label(time_dim), value_title, height=420)
        # up to 8 names: a column on the right, clear of the title
        fig.update_layout(
            legend={
                "title": {"text": dimension_label(other)},
                "orientation": "v",
                "x": 1.01,
                "xanchor": "left",
                "y": 1,
                "yanchor": "top",
            }
        )
        _value_axis(fig, metric, "y")
        return fig

    if chart.kind == "heatmap":
        rows = data.drop_duplicates("x_order").sort_values("x_order")["x"].tolist()
        cols = data.drop_duplicates("series_order").sort_values("series_order")["series"].tolist()
        z: list[list[float | None]] = [[None] * len(cols) for _ in rows]
        z_thin: list[list[int | None]] = [[None] * len(cols) for _ in rows]
        text = [[""] * len(cols) for _ in rows]
        for row in data.itertuples(index=False):
            r, c = int(row.x_order), int(row.series_order)
            v = _plot_value(metric.kind, row.value)
            text[r][c] = _short(metric, row.value) if v is not None else ""
            if row.thin:
                z_thin[r][c] = 1
            else:
                z[r][c] = v
        fig.add_heatmap(
            z=z,
            x=cols,
            y=rows,
            colorscale=_heat_scale(metric),
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            colorbar={"title": {"text": metric.unit}},
            xgap=1,
            ygap=1,
        )
        if any(v is not None for line in z_thin for v in line):
            fig.add_heatmap(
                z=z_thin,
                x=cols,
                y=rows,
                colorscale=[[0, GREYED], [1, GREYED]],
                showscale=False,
                text=text,
                texttemplate="%{text}",
                xgap=1,
                ygap=1,
                hovertemplate="%{y} · %{x}: %{text} (" + t("explore.thin_short") + ")<extra></extra>",
            )
        fig.update_xaxes(type="category", side="bottom")
        fig.update_yaxes(type="category", autorange="reversed")
        finish(
            fig, title, dimension_label(groups[1]), dimension_label(groups[0]), height=max(320, 110 + 28 * len(rows))
        )
        return fig

    raise ValueError(f"no chart for kind {chart.kind!r}")


STEP_COLORS = {
    "waiting": SERIES[1],
    "to_counter": GREYED,
    "at_counter": SERIES[0],
    "leaving": SERIES[2],
    "waited_gave_up": STATUS_COLORS["red"],
}


def journey_chart(steps: pd.DataFrame, visit_id: str) -> go.Figure:
    """One visit on a clock: waiting, walking to the counter, at the counter, leaving."""
    fig = go.Figure()
    for row in steps.itertuples(index=False):
        label = t(f"explore.step.{row.step}")
        fig.add_bar(
            y=[visit_id],
            base=[row.start],
            x=[(row.end - row.start).total_seconds() * 1000],
            orientation="h",
            name=label,
            marker_color=STEP_COLORS[row.step],
            text=[f"{label} {row.minutes:.0f}′"],
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            hovertemplate=f"{label}: {row.start:%H:%M} – {row.end:%H:%M}<extra></extra>",
        )
    # a label that doesn't fit its stretch is hidden, not shrunk or turned: legend and hover say it
    fig.update_layout(barmode="overlay", showlegend=True, uniformtext={"minsize": 11, "mode": "hide"})
    fig.update_xaxes(type="date", tickformat="%H:%M")
    fig.update_yaxes(visible=False)
    return finish(fig, t("explore.journey_chart"), t("explore.clock_time"), None, height=200)
