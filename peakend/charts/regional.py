"""Charts of the regional comparison: the queue-against-ending quadrant, the wait spread per
hall and the small multiples of each hall's trend. Each takes the tidy frames built in
peakend/regional.py and returns a finished Plotly figure in the current language."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from peakend import formatting
from peakend.charts.theme import GREYED, SERIES, STATUS_COLORS, TARGET_LINE, finish
from peakend.i18n import t
from peakend.metrics import METRICS
from peakend.regional import Quadrant

CROSSHAIR = "#757575"


def _axis_title(key: str) -> str:
    metric = METRICS[key]
    return f"{metric.label} ({metric.unit})"


def quadrant(q: Quadrant, title: str) -> go.Figure:
    """Median wait (x) against peak-end index (y), bubble area = visits, cross-hairs at the
    medians of the halls (or regions) that are not thin; thin ones are grey rings."""
    fig = go.Figure()
    points = q.points
    biggest = max(int(points["visits"].max()), 1) if len(points) else 1
    sizeref = 2.0 * biggest / (46.0**2)  # the biggest bubble is about 46 px across
    regions = list(dict.fromkeys(points["region"]))
    colour = {r: SERIES[i % len(SERIES)] for i, r in enumerate(regions)}
    for region in regions:
        rows = points[(points["region"] == region) & ~points["thin"]]
        if rows.empty:
            continue
        fig.add_trace(_bubbles(rows, region, colour[region], sizeref, solid=True))
    thin = points[points["thin"]]
    if not thin.empty:
        fig.add_trace(_bubbles(thin, t("regional.quadrant.thin"), GREYED, sizeref, solid=False))
    if q.wait_median is not None:
        fig.add_vline(x=q.wait_median, line={"color": CROSSHAIR, "dash": "dash", "width": 1})
        fig.add_hline(y=q.peak_end_median, line={"color": CROSSHAIR, "dash": "dash", "width": 1})
        # The four readings, in the corners _pad_axes keeps free of bubbles.
        corners = (
            (1.0, 1.0, "right", "top", "long_happy"),
            (0.0, 1.0, "left", "top", "short_happy"),
            (1.0, 0.0, "right", "bottom", "long_bad"),
            (0.0, 0.0, "left", "bottom", "short_bad"),
        )
        for x, y, xanchor, yanchor, name in corners:
            fig.add_annotation(
                x=x, y=y, xref="paper", yref="paper", xanchor=xanchor, yanchor=yanchor,
                text=t(f"regional.quadrant.{name}"), showarrow=False,
                font={"size": 12, "color": CROSSHAIR}, bgcolor="rgba(255,255,255,0.8)",
            )
        title = t(
            "regional.quadrant.medians", title=title, wait=formatting.minutes(q.wait_median),
            index=formatting.score(q.peak_end_median),
        )
    _pad_axes(fig, points)
    finish(fig, title, _axis_title("wait_median_min"), _axis_title("peak_end_index"), height=480)
    fig.update_layout(legend={"title": {"text": ""}, "itemsizing": "constant"})
    return fig


def _bubbles(rows: pd.DataFrame, name: str, colour: str, sizeref: float, solid: bool) -> go.Scatter:
    hover = [
        t(
            "regional.quadrant.hover", label=r.label, wait=formatting.minutes(r.wait_median_min),
            index=formatting.score(r.peak_end_index), visits=formatting.number(r.visits),
        )
        for r in rows.itertuples()
    ]
    return go.Scatter(
        x=rows["wait_median_min"], y=rows["peak_end_index"], mode="markers+text", name=name,
        text=rows["label"], textposition="top center", textfont={"size": 11},
        hovertext=hover, hoverinfo="text",
        marker={
            "size": rows["visits"].clip(lower=1), "sizemode": "area", "sizeref": sizeref,
            "sizemin": 5, "color": colour if solid else "rgba(0,0,0,0)",
            "opacity": 0.75 if solid else 1.0,
            "line": {"color": "white" if solid else GREYED, "width": 1 if solid else 2},
        },
    )


def _pad_axes(fig: go.Figure, points: pd.DataFrame) -> None:
    """Leave room for the labels above the bubbles and for the corner notes."""
    if points.empty:
        return
    x0, x1 = float(points["wait_median_min"].min()), float(points["wait_median_min"].max())
    y0, y1 = float(points["peak_end_index"].min()), float(points["peak_end_index"].max())
    dx, dy = max(x1 - x0, 1.0) * 0.2, max(y1 - y0, 0.2) * 0.3
    fig.update_xaxes(range=[max(0.0, x0 - dx), x1 + dx], zeroline=False)
    fig.update_yaxes(range=[y0 - dy, y1 + dy], zeroline=False)


def wait_boxes(boxes: pd.DataFrame, title: str) -> go.Figure:
    """One horizontal box per hall from precomputed quantiles: box = quartiles, line =
    median, whiskers = P10 and P90; a red tick marks the hall's wait target."""
    fig = go.Figure()
    for thin, colour, name in ((False, SERIES[0], t("regional.box.halls")), (True, GREYED, t("regional.quadrant.thin"))):
        rows = boxes[boxes["thin"] == thin]
        if rows.empty:
            continue
        fig.add_trace(
            go.Box(
                y=rows["hall_name"], q1=rows["wait_q1_min"], median=rows["wait_median_min"],
                q3=rows["wait_q3_min"], lowerfence=rows["wait_p10_min"],
                upperfence=rows["wait_p90_min"], orientation="h", name=name,
                marker_color=colour, fillcolor=_rgba(colour, 0.35), line={"color": colour},
                hoverinfo="x+y",
            )
        )
    targets = boxes.dropna(subset=["wait_target_min"])
    if not targets.empty:
        fig.add_trace(
            go.Scatter(
                x=targets["wait_target_min"], y=targets["hall_name"], mode="markers",
                name=t("regional.box.target"),
                marker={"symbol": "line-ns", "size": 16, "line": {"width": 3, "color": TARGET_LINE}},
                hovertemplate="%{y}: %{x:.0f} min<extra></extra>",
            )
        )
    order = list(boxes["hall_name"])[::-1]  # longest median wait at the top
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    finish(fig, title, _axis_title("wait_median_min"), None, height=max(260, 60 + 34 * len(boxes)))
    fig.update_xaxes(rangemode="tozero")
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def trend_small_multiples(
    trend: pd.DataFrame,
    region_trend: pd.DataFrame,
    hall_regions: dict[str, str],
    targets: dict[str, float],
    metric_key: str,
    title: str,
    columns: int = 4,
) -> go.Figure:
    """One small panel per hall: its trend (blue), its region's (grey, dotted) and its
    target (red, dashed) on shared axes, so the panels compare at a glance."""
    metric = METRICS[metric_key]
    ids = list(dict.fromkeys(trend["id"]))
    labels = dict(zip(trend["id"], trend["label"]))
    rows = max(1, math.ceil(len(ids) / columns))
    fig = make_subplots(
        rows=rows, cols=columns, shared_xaxes=True, shared_yaxes=True,
        subplot_titles=[labels[i] for i in ids], vertical_spacing=0.3 / rows + 0.04,
        horizontal_spacing=0.03,
    )
    for index, hall_id in enumerate(ids):
        row, col = index // columns + 1, index % columns + 1
        first = index == 0
        region_rows = region_trend[region_trend["id"] == hall_regions.get(hall_id)]
        if not region_rows.empty:
            fig.add_trace(
                go.Scatter(
                    x=region_rows["period"], y=region_rows["value"], mode="lines",
                    name=t("regional.trend.region"), legendgroup="region", showlegend=first,
                    line={"color": GREYED, "dash": "dot", "width": 1.5},
                    hovertemplate=f"{t('regional.trend.region')}: %{{y}}<extra></extra>",
                ),
                row=row, col=col,
            )
        mine = trend[trend["id"] == hall_id]
        fig.add_trace(
            go.Scatter(
                x=mine["period"], y=mine["value"], mode="lines+markers",
                name=t("regional.trend.hall"), legendgroup="hall", showlegend=first,
                line={"color": SERIES[0], "width": 2}, marker={"size": 4},
                customdata=mine["n"],
                hovertemplate=f"{labels[hall_id]} %{{x}}: %{{y}} (n = %{{customdata}})<extra></extra>",
            ),
            row=row, col=col,
        )
        target = targets.get(hall_id)
        if target is not None and not (isinstance(target, float) and math.isnan(target)):
            fig.add_hline(
                y=target, row=row, col=col,
                line={"color": TARGET_LINE, "dash": "dash", "width": 1},
            )
    if targets:
        # A legend entry for the dashed target lines (hlines have none of their own).
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="lines", name=t("regional.trend.target"),
                line={"color": TARGET_LINE, "dash": "dash", "width": 1},
            ),
            row=1, col=1,
        )
    finish(fig, title, None, None, height=90 + 170 * rows)
    fig.update_annotations(font={"size": 12})
    tickformat = {"share": ".0%", "minutes": ".0f", "score": ".1f", "points": ".0f", "count": ",d"}
    fig.update_yaxes(tickformat=tickformat[metric.kind])
    fig.update_xaxes(tickformat="%m-%d")
    for r in range(1, rows + 1):
        fig.update_yaxes(title_text=metric.unit, row=r, col=1)
    fig.update_layout(legend={"y": 1.0 + 40 / (90 + 170 * rows)})
    return fig
