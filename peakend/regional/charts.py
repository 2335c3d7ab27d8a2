"""Charts of the regional comparison: the queue-against-ending quadrant, the wait spread per
hall and the small multiples of each hall's trend. Each takes the tidy frames built in
peakend/regional/logic.py and returns a finished Plotly figure in the current language."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from peakend.charts.theme import GREYED, SERIES, TARGET_LINE, finish
from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.metrics import METRICS
from peakend.regional.logic import Quadrant

CROSSHAIR = "#757575"


def _axis_title(key: str) -> str:
    metric = METRICS[key]
    return f"{metric.label} ({metric.unit})"


def quadrant(q: Quadrant, title: str, legend: bool = True) -> go.Figure:
    """Median wait (x) against peak-end index (y), bubble area = visits, cross-hairs at the
    medians of the halls (or regions) that are not thin; thin ones are grey rings.
    `legend=False` when every bubble is labelled with what its colour would say."""
    fig = go.Figure()
    x_range, y_range = _axis_ranges(q.points)
    points = _labelled(q.points)
    points = points.assign(textposition=_label_positions(points, x_range, y_range))
    biggest = max(int(points["visits"].max()), 1) if len(points) else 1
    sizeref = 2.0 * biggest / (_BIGGEST_BUBBLE**2)
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
        # The four readings, in the corners _axis_ranges keeps free of bubbles.
        corners = (
            (1.0, 1.0, "right", "top", "long_happy"),
            (0.0, 1.0, "left", "top", "short_happy"),
            (1.0, 0.0, "right", "bottom", "long_bad"),
            (0.0, 0.0, "left", "bottom", "short_bad"),
        )
        for x, y, xanchor, yanchor, name in corners:
            fig.add_annotation(
                x=x,
                y=y,
                xref="paper",
                yref="paper",
                xanchor=xanchor,
                yanchor=yanchor,
                text=t(f"regional.quadrant.{name}"),
                showarrow=False,
                font={"size": 12, "color": CROSSHAIR},
                bgcolor="rgba(255,255,255,0.8)",
            )
        title = t(
            "regional.quadrant.medians",
            title=title,
            wait=formatting.minutes(q.wait_median),
            index=formatting.score(q.peak_end_median),
        )
    if len(points):
        step = _nice_step((x_range[1] - max(x_range[0], 0.0)) / 6)
        first = math.ceil(max(x_range[0], 0.0) / step) * step
        # A bubble at 0 min must not be cut in half, yet no negative wait is labelled.
        ticks = [round(first + i * step, 6) for i in range(int((x_range[1] - first) / step) + 1)]
        fig.update_xaxes(range=list(x_range), zeroline=False, tickmode="array", tickvals=ticks)
        fig.update_yaxes(range=list(y_range), zeroline=False)
    finish(fig, title, _axis_title("wait_median_min"), _axis_title("peak_end_index"), height=480)
    # The legend goes under the chart: above it, a long list of regions runs into the title.
    fig.update_layout(
        showlegend=legend and len(fig.data) > 1,
        legend={
            "title": {"text": ""},
            "itemsizing": "constant",
            "orientation": "h",
            "y": -0.16,
            "yanchor": "top",
            "x": 0,
            "xanchor": "left",
        },
        margin={"b": 60},
    )
    return fig


# Roughly where the quadrant is drawn (px) in the page's main column; used only to keep
# labels from landing on each other.
_PLOT_W, _PLOT_H = 860.0, 330.0
_BIGGEST_BUBBLE = 46.0  # px across
_LABEL_H = 15.0
_POSITIONS = (
    "top center",
    "bottom center",
    "middle right",
    "middle left",
    "top right",
    "top left",
    "bottom right",
    "bottom left",
)


# Beyond this many bubbles the names no longer fit: only the halls deepest in the
# long-wait, low-index corner keep theirs (the rest are named on hover). Placing every
# label of a region of 850 halls also took seconds.
MAX_LABELS = 12


def _labelled(points: pd.DataFrame, most: int = MAX_LABELS) -> pd.DataFrame:
    """`points` with the label kept on at most `most` bubbles: those ranked worst on wait
    and peak-end index together (thin ones last)."""
    if len(points) <= most:
        return points.assign(shown=points["label"])
    badness = (points["wait_median_min"].rank(ascending=True) + points["peak_end_index"].rank(ascending=False)).where(
        ~points["thin"], -1.0
    )
    keep = badness.nlargest(most).index
    return points.assign(shown=points["label"].where(points.index.isin(keep), ""))


def _text_width(text: str) -> float:
    """Width (px) of a label at font size 11: CJK characters are about twice as wide."""
    return sum(11.5 if ord(c) >= 0x2E80 else 6.0 for c in text)


def _label_positions(points: pd.DataFrame, x_range, y_range) -> list[str]:
    """A text position per bubble, chosen greedily (top bubbles first) to overlap the labels
    already placed and the bubbles least; plain "top center" when nothing is in the way."""
    if points.empty:
        return []
    sx = _PLOT_W / max(x_range[1] - x_range[0], 1e-9)
    sy = _PLOT_H / max(y_range[1] - y_range[0], 1e-9)
    cx = (points["wait_median_min"].to_numpy(float) - x_range[0]) * sx
    cy = (points["peak_end_index"].to_numpy(float) - y_range[0]) * sy
    biggest = max(float(points["visits"].max()), 1.0)
    radius = [max(_BIGGEST_BUBBLE * math.sqrt(max(v, 1) / biggest), 5.0) / 2 for v in points["visits"]]
    bubbles = [(x - r, y - r, x + r, y + r) for x, y, r in zip(cx, cy, radius)]
    placed: list[tuple[float, float, float, float]] = []
    chosen = ["top center"] * len(points)
    labels = [str(v) for v in points["shown" if "shown" in points else "label"]]
    for i in sorted((k for k in range(len(points)) if labels[k]), key=lambda k: -cy[k]):
        w, r = _text_width(labels[i]), radius[i]
        best, best_cost = _POSITIONS[0], None
        for position in _POSITIONS:
            box = _label_box(position, cx[i], cy[i], r, w)
            others = placed + [b for k, b in enumerate(bubbles) if k != i]
            cost = sum(_overlap(box, o) for o in others)
            if best_cost is None or cost < best_cost - 1e-6:
                best, best_cost = position, cost
            if cost == 0:
                break
        chosen[i] = best
        placed.append(_label_box(best, cx[i], cy[i], r, w))
    return chosen


def _label_box(position: str, x: float, y: float, r: float, w: float, h: float = _LABEL_H):
    vertical, horizontal = position.split()
    if horizontal == "center":
        x0 = x - w / 2
    elif horizontal == "right":
        x0 = x + (r if vertical == "middle" else r * 0.7)
    else:
        x0 = x - (r if vertical == "middle" else r * 0.7) - w
    if vertical == "top":
        y0 = y + (r if horizontal == "center" else r * 0.7)
    elif vertical == "bottom":
        y0 = y - (r if horizontal == "center" else r * 0.7) - h
    else:
        y0 = y - h / 2
    return (x0, y0, x0 + w, y0 + h)


def _overlap(a, b) -> float:
    dx = min(a[2], b[2]) - max(a[0], b[0])
    dy = min(a[3], b[3]) - max(a[1], b[1])
    return dx * dy if dx > 0 and dy > 0 else 0.0


def _bubbles(rows: pd.DataFrame, name: str, colour: str, sizeref: float, solid: bool) -> go.Scatter:
    hover = [
        t(
            "regional.quadrant.hover",
            label=r.label,
            wait=formatting.minutes(r.wait_median_min),
            index=formatting.score(r.peak_end_index),
            visits=formatting.number(r.visits),
        )
        for r in rows.itertuples()
    ]
    return go.Scatter(
        x=rows["wait_median_min"],
        y=rows["peak_end_index"],
        mode="markers+text",
        name=name,
        text=rows["shown"],
        textposition=rows["textposition"],
        textfont={"size": 11},
        hovertext=hover,
        hoverinfo="text",
        marker={
            "size": rows["visits"].clip(lower=1),
            "sizemode": "area",
            "sizeref": sizeref,
            "sizemin": 5,
            "color": colour if solid else "rgba(0,0,0,0)",
            "opacity": 0.75 if solid else 1.0,
            "line": {"color": "white" if solid else GREYED, "width": 1 if solid else 2},
        },
    )


def _axis_ranges(points: pd.DataFrame):
    """Axis ranges with room around the bubbles for their labels and the corner notes."""
    if points.empty:
        return (0.0, 1.0), (1.0, 5.0)
    x0, x1 = float(points["wait_median_min"].min()), float(points["wait_median_min"].max())
    y0, y1 = float(points["peak_end_index"].min()), float(points["peak_end_index"].max())
    dx, dy = max(x1 - x0, 1.0) * 0.2, max(y1 - y0, 0.2) * 0.3
    return (x0 - dx, x1 + dx), (y0 - dy, y1 + dy)


def _nice_step(raw: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, the smallest not below `raw`."""
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def wait_boxes(boxes: pd.DataFrame, title: str) -> go.Figure:
    """One horizontal box per hall from precomputed quantiles: box = quartiles, line =
    median, whiskers = P10 and P90; a red tick marks the hall's wait target."""
    fig = go.Figure()
    for thin, colour, name in (
        (False, SERIES[0], t("regional.box.halls")),
        (True, GREYED, t("regional.quadrant.thin")),
    ):
        rows = boxes[boxes["thin"] == thin]
        if rows.empty:
            continue
        fig.add_trace(
            go.Box(
                y=rows["hall_name"],
                q1=rows["wait_q1_min"],
                median=rows["wait_median_min"],
                q3=rows["wait_q3_min"],
                lowerfence=rows["wait_p10_min"],
                upperfence=rows["wait_p90_min"],
                orientation="h",
                name=name,
                marker_color=colour,
                fillcolor=_rgba(colour, 0.35),
                line={"color": colour},
                hoverinfo="x+y",
            )
        )
    targets = boxes.dropna(subset=["wait_target_min"])
    if not targets.empty:
        fig.add_trace(
            go.Scatter(
                x=targets["wait_target_min"],
                y=targets["hall_name"],
                mode="markers",
                name=t("regional.box.target"),
                marker={"symbol": "line-ns", "size": 16, "line": {"width": 3, "color": TARGET_LINE}},
                hovertemplate="%{y}: %{x:.0f} min<extra></extra>",
            )
        )
    order = list(boxes["hall_name"])[::-1]  # longest median wait at the top
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    finish(fig, title, t("regional.box.x"), None, height=max(260, 60 + 34 * len(boxes)))
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
    hall_ids: list[str] | None = None,
) -> go.Figure:
    """One small panel per hall (those of `hall_ids` with a trend, in that order; else
    every hall of the trend): its trend (blue), its region's (grey, dotted) and its
    target (red, dashed) on shared axes, so the panels compare at a glance."""
    metric = METRICS[metric_key]
    present = dict.fromkeys(trend["id"])
    ids = [h for h in hall_ids if h in present] if hall_ids is not None else list(present)
    labels = dict(zip(trend["id"], trend["label"]))
    rows = max(1, math.ceil(len(ids) / columns))
    spacing = 0.3 / rows + 0.04
    if rows > 1:  # plotly refuses more than 1 / (rows - 1): a region of 80 halls has 20 rows
        spacing = min(spacing, 0.9 / (rows - 1))
    fig = make_subplots(
        rows=rows,
        cols=columns,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=[labels[i] for i in ids],
        vertical_spacing=spacing,
        horizontal_spacing=0.03,
    )
    target_lines: list[dict] = []
    for index, hall_id in enumerate(ids):
        row, col = index // columns + 1, index % columns + 1
        first = index == 0
        region_rows = region_trend[region_trend["id"] == hall_regions.get(hall_id)]
        if not region_rows.empty:
            fig.add_trace(
                go.Scatter(
                    x=region_rows["period"],
                    y=region_rows["value"],
                    mode="lines",
                    name=t("regional.trend.region"),
                    legendgroup="region",
                    showlegend=first,
                    line={"color": GREYED, "dash": "dot", "width": 1.5},
                    hovertemplate=f"{t('regional.trend.region')}: %{{y}}<extra></extra>",
                ),
                row=row,
                col=col,
            )
        mine = trend[trend["id"] == hall_id]
        fig.add_trace(
            go.Scatter(
                x=mine["period"],
                y=mine["value"],
                mode="lines+markers",
                name=t("regional.trend.hall"),
                legendgroup="hall",
                showlegend=first,
                line={"color": SERIES[0], "width": 2},
                marker={"size": 4},
                customdata=mine["n"],
                hovertemplate=f"{labels[hall_id]} %{{x}}: %{{y}} (n = %{{customdata}})<extra></extra>",
            ),
            row=row,
            col=col,
        )
        target = targets.get(hall_id)
        if target is not None and not (isinstance(target, float) and math.isnan(target)):
            # One shape per panel, set once below: fig.add_hline(row=, col=) re-scans every
            # subplot on each call and takes seconds for a region of a dozen halls.
            axis = "" if index == 0 else str(index + 1)
            target_lines.append(
                {
                    "type": "line",
                    "xref": f"x{axis} domain",
                    "yref": f"y{axis}",
                    "x0": 0,
                    "x1": 1,
                    "y0": target,
                    "y1": target,
                    "line": {"color": TARGET_LINE, "dash": "dash", "width": 1},
                }
            )
    fig.update_layout(shapes=target_lines)
    if targets:
        # A legend entry for the dashed target lines (hlines have none of their own).
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name=t("regional.trend.target"),
                line={"color": TARGET_LINE, "dash": "dash", "width": 1},
            ),
            row=1,
            col=1,
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
