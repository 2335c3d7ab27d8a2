"""Charts of the hall page. Each takes the tidy result of one named query (or of
metrics_by_group) and returns a finished figure: title, axis titles with units, colours
from theme.py, numbers formatted for the current language."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from peakend.charts.theme import (
    GREYED,
    SCORE_SCALE,
    SERIES,
    STATUS_COLORS,
    TARGET_LINE,
    WAIT_SCALE,
    finish,
    wrap_title,
)
from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.metrics import METRICS, target_status
from peakend.core.moments import PEAK_MOMENTS, moment_label
from peakend.hall.logic import PEAK_BANDS, wait_band_labels
from peakend.hall.themes import NEGATIVE, NEUTRAL, POSITIVE

WEEKDAYS = range(1, 8)  # ISO: Monday first
_SCORE_COLORSCALE = [[i / (len(SCORE_SCALE) - 1), c] for i, c in enumerate(SCORE_SCALE)]
_POLARITY_COLORS = {NEGATIVE: SCORE_SCALE[0], POSITIVE: SCORE_SCALE[4], NEUTRAL: GREYED}


def _target_line(fig: go.Figure, y: float, label: str, **kwargs) -> None:
    fig.add_hline(
        y=y,
        line={"color": TARGET_LINE, "dash": "dash", "width": 1.5},
        annotation_text=label,
        annotation_position="top left",
        annotation_font={"color": TARGET_LINE, "size": 12},
        **kwargs,
    )


def _legend_below(fig: go.Figure, title: str | None = None) -> go.Figure:
    """Legends go under the plot: above it they collide with long titles."""
    fig.update_layout(
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "xanchor": "left",
            "x": 0,
            "title": {"text": title or ""},
        },
        margin={"b": 10},
    )
    return fig


def _whole_numbers(fig: go.Figure, top, axis: str = "y") -> None:
    """Counts are whole: small ranges get a tick per unit instead of 0.5 steps."""
    if top is not None and not pd.isna(top) and top <= 8:
        (fig.update_yaxes if axis == "y" else fig.update_xaxes)(dtick=1, tick0=0)


def _period_axis_title(grain: str) -> str:
    return t(f"hall.axis.{grain}")


def _date_axis(fig: go.Figure) -> None:
    # Numeric month-day: Plotly's bundled month names are English only.
    fig.update_xaxes(tickformat="%m-%d")


def _wrap(label: str, width: int = 12) -> str:
    """Break a long axis label at its first space, so it needs no rotation."""
    return label.replace(" ", "<br>", 1) if len(label) > width else label


def _hour_label(hour: int) -> str:
    return f"{int(hour):02d}:00"


NOTE_COLOUR = "#6d4c41"


def _note_marks(fig: go.Figure, marks) -> None:
    """Day notes on a trend (peakend/hall/notes.trend_marks): a dotted line on each noted
    day or week, and a marker at its top whose hover reads the notes."""
    if not marks:
        return
    xs = [pd.Timestamp(day) for day, _ in marks]
    for x in xs:
        fig.add_vline(x=x, line={"color": NOTE_COLOUR, "dash": "dot", "width": 1})
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[1.0] * len(xs),
            yaxis="y2",
            mode="markers",
            marker={"symbol": "triangle-down", "size": 11, "color": NOTE_COLOUR},
            name=t("hall.notes.legend"),
            text=["<br>".join(lines) for _, lines in marks],
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 1.05], "visible": False, "fixedrange": True})


# --- queue ----------------------------------------------------------------------------------
def wait_heatmap(cells: pd.DataFrame, measure: str, noted: Collection[tuple[int, int]] = frozenset()) -> go.Figure:
    """Weekday x hour of arrival from hall_wait_heatmap: median wait or arrivals; the cells
    of hours a day note names (peakend/hall/notes.heatmap_cells) carry a mark."""
    hours = list(range(int(cells["arrival_hour"].min()), int(cells["arrival_hour"].max()) + 1))
    column = "wait_median_min" if measure == "wait" else "arrivals"
    grid = cells.pivot(index="weekday", columns="arrival_hour", values=column).reindex(
        index=list(WEEKDAYS), columns=hours
    )
    # Whole minutes in the cells (the hover has one decimal), and no colour bar: every cell
    # carries its number, and on a phone a cell is ~20 px wide, room for two digits at 12 px.
    cell = (lambda v: formatting.number(v, 0)) if measure == "wait" else (lambda v: formatting.compact(v, 1000))
    hover = (lambda v: formatting.number(v, 1)) if measure == "wait" else formatting.number
    values = grid.to_numpy()
    mark = [[(d, h) in noted for h in hours] for d in WEEKDAYS]
    text = [
        ["" if pd.isna(v) else cell(v) + ("*" if m else "") for v, m in zip(row, marks)]
        for row, marks in zip(values, mark)
    ]
    noted_text = " · " + t("hall.notes.noted_hour")
    hover_text = [
        ["" if pd.isna(v) else hover(v) + (noted_text if m else "") for v, m in zip(row, marks)]
        for row, marks in zip(values, mark)
    ]
    unit = t("hall.unit.minutes") if measure == "wait" else t("hall.unit.arrivals")
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=[_hour_label(h) for h in hours],
            y=[t(f"hall.weekday.{d}") for d in WEEKDAYS],
            text=text,
            texttemplate="%{text}",
            colorscale=WAIT_SCALE,
            xgap=2,
            ygap=2,
            showscale=False,
            hoverongaps=False,
            customdata=hover_text,
            hovertemplate="%{y} %{x}: %{customdata} " + unit + "<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    title = t("hall.queue.heatmap_wait_title") if measure == "wait" else t("hall.queue.heatmap_arrivals_title")
    return finish(fig, title, t("hall.axis.arrival_hour"), t("hall.axis.weekday"), height=340)


def wait_distribution(bands: pd.DataFrame, target_min: float, band_min: int, cap_min: int) -> go.Figure:
    """Called visits per wait band (hall_wait_distribution) with the wait target."""
    labels = [f"≥{int(s)}" if s >= cap_min else f"{int(s)}–{int(s) + band_min}" for s in bands["band_start_min"]]
    fig = go.Figure(
        go.Bar(
            x=bands["band_start_min"] + band_min / 2,
            y=bands["visits"],
            width=band_min * 0.9,
            marker_color=[STATUS_COLORS["red"] if s >= target_min else SERIES[0] for s in bands["band_start_min"]],
            customdata=labels,
            name=t("hall.unit.visits"),
            hovertemplate="%{customdata} " + t("hall.unit.minutes") + ": %{y}<extra></extra>",
        )
    )
    fig.add_vline(x=target_min, line={"color": TARGET_LINE, "dash": "dash", "width": 1.5})
    # Above the plot area, where no bar can hide it.
    fig.add_annotation(
        x=target_min,
        y=1,
        yref="paper",
        yanchor="bottom",
        xanchor="left",
        showarrow=False,
        text=t("hall.target_label", value=formatting.wait_target(target_min)),
        font={"color": TARGET_LINE},
    )
    fig.update_xaxes(range=[0, max(cap_min, target_min) + band_min + 1])
    _whole_numbers(fig, bands["visits"].max())
    return finish(fig, t("hall.queue.distribution_title"), t("hall.axis.wait_min"), t("hall.axis.called_visits"))


def wait_trend(trend: pd.DataFrame, target_min: float, grain: str, notes=()) -> go.Figure:
    """Median and P90 wait per day or week (metrics_by_group by day/week) against the target."""
    fig = go.Figure()
    for column, colour in (("wait_median_min", SERIES[0]), ("wait_p90_min", SERIES[1])):
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(trend["group_1"]),
                y=trend[column],
                mode="lines+markers",
                name=METRICS[column].label,
                line={"color": colour},
                hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} " + t("hall.unit.minutes") + "<extra>%{fullData.name}</extra>",
            )
        )
    _target_line(fig, target_min, t("hall.target_label", value=formatting.wait_target(target_min)))
    fig.update_yaxes(rangemode="tozero")
    _note_marks(fig, notes)
    _date_axis(fig)
    return _legend_below(finish(fig, t("hall.queue.trend_title"), _period_axis_title(grain), t("hall.axis.wait_min")))


def arrivals_vs_counters(hours: pd.DataFrame, counters_installed, service_level_target: float) -> go.Figure:
    """Arrivals and counters in use per hour of the day (hall_arrivals_by_hour).

    Bars are coloured by the service level of that hour's arrivals against the hall's
    target, so the hours short of counters are the red ones.
    """
    metric = METRICS["service_level"]
    status = [target_status(metric, sl, service_level_target) for sl in hours["service_level"]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = [_hour_label(h) for h in hours["hour"]]
    for key in ("green", "amber", "red", None):
        mask = [s == key and a > 0 for s, a in zip(status, hours["arrivals_per_day"])]
        if not any(mask):
            continue
        part = hours[mask]
        fig.add_trace(
            go.Bar(
                x=[xx for xx, m in zip(x, mask) if m],
                y=part["arrivals_per_day"],
                marker_color=STATUS_COLORS[key],
                name=t(f"hall.queue.hour_status.{key or 'none'}"),
                customdata=[
                    [metric.format(sl), formatting.minutes(w)]
                    for sl, w in zip(part["service_level"], part["wait_median_min"])
                ],
                hovertemplate="%{x}: %{y:.1f} "
                + t("hall.unit.arrivals_per_day")
                + "<br>"
                + metric.label
                + ": %{customdata[0]}<br>"
                + METRICS["wait_median_min"].label
                + ": %{customdata[1]}<extra></extra>",
            ),
            secondary_y=False,
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=hours["counters_in_use"],
            mode="lines+markers",
            name=t("hall.queue.counters_in_use"),
            line={"color": SERIES[3], "width": 2.5},
            hovertemplate="%{x}: %{y:.1f}<extra>%{fullData.name}</extra>",
        ),
        secondary_y=True,
    )
    top = float(hours["counters_in_use"].max() or 0)
    if counters_installed is not None and not pd.isna(counters_installed):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[counters_installed] * len(x),
                mode="lines",
                name=t("hall.queue.counters_installed"),
                line={"color": SERIES[3], "dash": "dot", "width": 1.5},
                hoverinfo="skip",
            ),
            secondary_y=True,
        )
        top = max(top, float(counters_installed))
    fig.update_xaxes(categoryorder="array", categoryarray=x)
    fig.update_yaxes(
        title_text=t("hall.axis.counters"),
        range=[0, top * 1.15 + 0.1],
        secondary_y=True,
        showgrid=False,
        dtick=1 if top <= 12 else None,
        tick0=0,
    )
    fig.update_layout(barmode="stack")
    fig = finish(fig, t("hall.queue.staffing_title"), t("hall.axis.arrival_hour"), None, height=400)
    fig.update_yaxes(title_text=t("hall.axis.arrivals_per_day"), secondary_y=False)
    return _legend_below(fig)


# --- peak moments -----------------------------------------------------------------------------
def _moment_axis_label(moment: str, current) -> str:
    metric = METRICS[f"peak_{moment}_mean"]
    n = current[metric.n_column] if current is not None else 0
    return f"{t(f'hall.moment.{moment}')}<br>{t('hall.mean_n', mean=metric.format(current[metric.key]) if n else formatting.MISSING, n=formatting.number(n))}"


def peak_distribution(dist: pd.DataFrame, current) -> go.Figure:
    """Share of each score 1-5 per peak moment (hall_peak_distribution), the mean and n in the label."""
    moments = [m for m in PEAK_MOMENTS]
    y = [_moment_axis_label(m, current) for m in moments]
    fig = go.Figure()
    for score in range(1, 6):
        rows = dist[dist["score"] == score].set_index("peak_moment")
        share = [rows["share"].get(m, 0.0) for m in moments]
        count = [int(rows["ratings"].get(m, 0)) for m in moments]
        fig.add_trace(
            go.Bar(
                y=y,
                x=share,
                orientation="h",
                name=str(score),
                marker_color=SCORE_SCALE[score - 1],
                text=[formatting.percent(s, 0) if s >= 0.08 else "" for s in share],
                textposition="inside",
                textangle=0,
                insidetextanchor="middle",
                customdata=[[formatting.percent(s), formatting.number(c)] for s, c in zip(share, count)],
                hovertemplate=t("hall.score_hover", score=score)
                + ": %{customdata[0]} (n = %{customdata[1]})<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    fig = finish(fig, t("hall.peak.distribution_title"), t("hall.axis.share_of_ratings"), None, height=360)
    return _legend_below(fig, t("hall.axis.score"))


def peak_trend(trend: pd.DataFrame, target: float, grain: str, notes=()) -> go.Figure:
    """Mean peak score per moment per day or week (metrics_by_group by day/week)."""
    fig = go.Figure()
    for i, moment in enumerate(PEAK_MOMENTS):
        column = f"peak_{moment}_mean"
        rows = trend[trend[f"peak_{moment}_n"] > 0]
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(rows["group_1"]),
                y=rows[column],
                mode="lines+markers",
                name=t(f"hall.moment.{moment}"),
                line={"color": SERIES[i]},
                customdata=rows[f"peak_{moment}_n"],
                hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} (n = %{customdata})<extra>%{fullData.name}</extra>",
            )
        )
    _target_line(fig, target, t("hall.target_label", value=formatting.score(target)))
    fig.update_yaxes(range=[0.8, 5.2], dtick=1)
    _note_marks(fig, notes)
    _date_axis(fig)
    return _legend_below(finish(fig, t("hall.peak.trend_title"), _period_axis_title(grain), t("hall.axis.mean_score")))


def _score_grid(fig: go.Figure, z, text, x, y, thin, colorbar_title: str, font_size: int | None = None) -> None:
    """A heatmap of mean scores on the score scale; cells with too few ratings in grey.
    `font_size`: the cells' text at that size (Plotly otherwise shrinks it to fit a cell,
    under 11 px when there are many columns on a phone)."""
    trusted = [[None if th else v for v, th in zip(zr, tr)] for zr, tr in zip(z, thin)]
    greyed = [
        [1 if th and v is not None and not pd.isna(v) else None for v, th in zip(zr, tr)] for zr, tr in zip(z, thin)
    ]
    # Each layer labels only its own cells, or the two labels print over each other.
    trusted_text = [[tx if not th else "" for tx, th in zip(txr, tr)] for txr, tr in zip(text, thin)]
    greyed_text = [[tx if th else "" for tx, th in zip(txr, tr)] for txr, tr in zip(text, thin)]
    fig.add_trace(
        go.Heatmap(
            z=trusted,
            x=x,
            y=y,
            text=trusted_text,
            texttemplate="%{text}",
            zmin=1,
            zmax=5,
            colorscale=_SCORE_COLORSCALE,
            xgap=2,
            ygap=2,
            hoverongaps=False,
            colorbar={"title": {"text": colorbar_title}},
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            **({"textfont": {"size": font_size}} if font_size else {}),
        )
    )
    fig.add_trace(
        go.Heatmap(
            z=greyed,
            x=x,
            y=y,
            text=greyed_text,
            texttemplate="%{text}",
            showscale=False,
            colorscale=[[0, GREYED], [1, GREYED]],
            xgap=2,
            ygap=2,
            hoverongaps=False,
            textfont={"color": "#616161", "size": font_size or 12},  # a trace font replaces the template's
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
        )
    )


def _grid_cells(frame, rows, columns, value, count, row_order, column_order, min_n):
    """A score grid's values, cell texts ("mean<br>n = ...") and which cells are thin."""
    mean = frame.pivot(index=rows, columns=columns, values=value).reindex(index=row_order, columns=column_order)
    n = frame.pivot(index=rows, columns=columns, values=count).reindex(index=row_order, columns=column_order)
    z = mean.to_numpy().tolist()
    counts = n.to_numpy().tolist()
    thin = [[(c if not pd.isna(c) else 0) < min_n for c in row] for row in counts]
    text = [
        ["" if pd.isna(v) else f"{formatting.score(v)}<br>n = {formatting.number(c)}" for v, c in zip(zr, cr)]
        for zr, cr in zip(z, counts)
    ]
    return z, text, thin


def staff_scores(scores: pd.DataFrame, min_n: int) -> go.Figure:
    """Mean peak score per staff member (by name and id) and moment, with n; grey under
    min_n ratings."""
    # in staff_id order, each row named as hall.logic.staff_peak_scores labels it
    names = dict(zip(scores["staff_id"], scores["staff"])) if "staff" in scores else {}
    ids = sorted(scores["staff_id"].unique())
    moments = [m for m in PEAK_MOMENTS]
    z, text, thin = _grid_cells(scores, "staff_id", "peak_moment", "peak_mean", "ratings", ids, moments, min_n)
    staff = [names.get(s, s) for s in ids]
    fig = go.Figure()
    _score_grid(
        fig, z, text, [_wrap(t(f"hall.moment.{m}")) for m in moments], staff, thin, t("hall.axis.mean_score_short")
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(tickangle=0)
    height = max(260, 90 + 38 * len(staff))
    return finish(
        fig,
        t("hall.peak.staff_title", min_n=formatting.number(min_n)),
        t("hall.axis.peak_moment"),
        t("hall.axis.staff"),
        height=height,
    )


def staff_key_moments(rows: pd.DataFrame, min_n: int) -> go.Figure:
    """Mean score (on 1-5) per key moment of the hall's journey (rows, in journey order) and
    staff member (columns, by name; the id on hover), the mean in the cell and n on hover;
    grey under min_n ratings (peakend.hall.key_moments.staff_moments). Moments run down the
    chart and the colour needs no bar, so that it reads on a phone as well."""
    names = dict(zip(rows["staff_id"], rows["staff"]))
    ids = sorted(rows["staff_id"].unique())
    order = rows.drop_duplicates("moment").sort_values(["stage_order", "position"])
    moments = list(order["moment"])
    labels = [wrap_title(moment_label(r), 12, 110) for _, r in order.iterrows()]
    z, text, thin = _grid_cells(rows, "moment", "staff_id", "mean_on_five", "ratings", moments, ids, min_n)
    means = [[cell.split("<br>")[0] for cell in row] for row in text]
    staff = [_wrap(str(names.get(s, s)).split(" · ")[0], 4) for s in ids]  # the name; the id on hover
    fig = go.Figure()
    _score_grid(fig, z, means, staff, labels, thin, t("hall.axis.mean_score_short"), font_size=11)
    hover = [[f"{names.get(s, s)} · {cell.replace('<br>', ' · ')}" for s, cell in zip(ids, row)] for row in text]
    for trace in fig.data:
        trace.customdata = hover
        trace.hovertemplate = "%{y}: %{customdata}<extra></extra>"
        trace.showscale = False
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(tickangle=0, type="category")
    return finish(
        fig,
        t("hall.moments.staff_title", min_n=formatting.number(min_n)),
        None,
        None,
        height=max(260, 120 + 40 * len(moments)),
    )


def wait_tolerance(curve: pd.DataFrame, target: float, min_n: int) -> go.Figure:
    """Mean peak score by wait band per moment (hall_peak_by_wait_band): where it falls off.
    Hollow markers: fewer than min_n ratings in that band."""
    labels = wait_band_labels()
    fig = go.Figure()
    for i, moment in enumerate(PEAK_MOMENTS):
        rows = curve[curve["peak_moment"] == moment].sort_values("wait_band")
        if rows.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=[labels[b - 1] for b in rows["wait_band"]],
                y=rows["peak_mean"],
                mode="lines+markers",
                name=t(f"hall.moment.{moment}"),
                line={"color": SERIES[i]},
                marker={"size": 10, "symbol": ["circle" if r >= min_n else "circle-open" for r in rows["ratings"]]},
                customdata=rows["ratings"],
                hovertemplate="%{x} "
                + t("hall.unit.minutes")
                + ": %{y:.2f} (n = %{customdata})<extra>%{fullData.name}</extra>",
            )
        )
    _target_line(fig, target, t("hall.target_label", value=formatting.score(target)))
    fig.update_xaxes(categoryorder="array", categoryarray=labels, type="category")
    fig.update_yaxes(range=[0.8, 5.2], dtick=1)
    return _legend_below(
        finish(fig, t("hall.peak.tolerance_title"), t("hall.axis.wait_band"), t("hall.axis.mean_peak_score"))
    )


# --- exit moment ----------------------------------------------------------------------------
def exit_distribution(dist: pd.DataFrame) -> go.Figure:
    """Exit ratings per score 1-5 (hall_exit_distribution)."""
    rows = dist.set_index("score").reindex(range(1, 6))
    ratings = rows["ratings"].fillna(0)
    share = rows["share"].fillna(0)
    fig = go.Figure(
        go.Bar(
            x=[str(s) for s in range(1, 6)],
            y=ratings,
            marker_color=SCORE_SCALE,
            text=[formatting.percent(s, 0) for s in share],
            textposition="outside",
            customdata=[formatting.number(r) for r in ratings],
            name=t("hall.axis.exit_ratings"),
            hovertemplate=t("hall.axis.score") + " %{x}: %{customdata} (%{text})<extra></extra>",
        )
    )
    fig.update_yaxes(range=[0, float(ratings.max()) * 1.2 + 0.5])
    _whole_numbers(fig, ratings.max())
    return finish(fig, t("hall.exit.distribution_title"), t("hall.axis.exit_score"), t("hall.axis.exit_ratings"))


def exit_trend(trend: pd.DataFrame, target: float, grain: str, notes=()) -> go.Figure:
    """Mean exit score per day or week (metrics_by_group by day/week) against the target."""
    rows = trend[trend["exit_n"] > 0]
    fig = go.Figure(
        go.Scatter(
            x=pd.to_datetime(rows["group_1"]),
            y=rows["exit_mean"],
            mode="lines+markers",
            name=METRICS["exit_mean"].label,
            line={"color": SERIES[0]},
            customdata=rows["exit_n"],
            hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} (n = %{customdata})<extra></extra>",
        )
    )
    _target_line(fig, target, t("hall.target_label", value=formatting.score(target)))
    fig.update_yaxes(range=[0.8, 5.2], dtick=1)
    _note_marks(fig, notes)
    _date_axis(fig)
    return finish(fig, t("hall.exit.trend_title"), _period_axis_title(grain), t("hall.axis.mean_score"))


def theme_counts(counts: pd.DataFrame) -> go.Figure:
    """Complaints, praise and plain mentions per theme (peakend.hall.themes.theme_counts), read
    from the comments' text; complaints first."""
    themes = list(dict.fromkeys(counts["theme"]))
    y = [t(f"hall.theme.{k}") for k in themes]
    fig = go.Figure()
    for polarity in (NEGATIVE, POSITIVE, NEUTRAL):
        rows = counts[counts["polarity"] == polarity].set_index("theme").reindex(themes)
        values = rows["comments"].fillna(0)
        if not values.any():
            continue
        fig.add_trace(
            go.Bar(
                y=y,
                x=values,
                orientation="h",
                name=t(f"hall.polarity.{polarity}"),
                marker_color=_POLARITY_COLORS[polarity],
                hovertemplate="%{y}: %{x}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed")
    _whole_numbers(fig, counts["theme_total"].max(), axis="x")
    fig = finish(
        fig, t("hall.exit.themes_title"), t("hall.axis.comments"), None, height=max(320, 140 + 34 * len(themes))
    )
    return _legend_below(fig)


# --- every key moment ---------------------------------------------------------------------------
def key_moments(moments: pd.DataFrame) -> go.Figure:
    """The mean score of every key moment of the hall's journey on a 1-5 scale, top to bottom
    in journey order (hall_key_moments); peaks in the peak colour."""
    rated = moments["ratings"] > 0
    fig = go.Figure(
        go.Bar(
            # at most ~150 px a line, broken between words (the y-axis takes less of a phone)
            y=[wrap_title(moment_label(r), 12, 150) for _, r in moments.iterrows()],
            x=moments["mean_on_five"].where(rated),
            orientation="h",
            marker_color=[SERIES[1] if peak else SERIES[0] for peak in moments["is_peak"]],
            # the mean beside the bar (short enough for a phone), n on hover and in the table
            text=[
                formatting.score(m) if n else t("hall.moments.no_ratings")
                for m, n in zip(moments["mean_on_five"], moments["ratings"])
            ],
            customdata=[formatting.number(n) for n in moments["ratings"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text} (n = %{customdata})<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[1, 5.6], tickvals=[1, 2, 3, 4, 5])
    return finish(
        fig, t("hall.moments.chart_title"), t("hall.moments.axis"), None, height=max(300, 110 + 44 * len(moments))
    )


# --- journey --------------------------------------------------------------------------------
def journey_grid(cells: pd.DataFrame, min_n: int) -> go.Figure:
    """Mean exit score by wait band x peak band (hall_journey), n in each cell; grey under min_n."""
    labels = wait_band_labels()
    bands = list(range(1, len(labels) + 1))
    z, text, thin = _grid_cells(cells, "peak_band", "wait_band", "exit_mean", "visits", PEAK_BANDS, bands, min_n)
    fig = go.Figure()
    _score_grid(
        fig, z, text, labels, [t(f"hall.peak_band.{b}") for b in PEAK_BANDS], thin, t("hall.axis.mean_score_short")
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return finish(fig, t("hall.journey.grid_title"), t("hall.axis.wait_band"), t("hall.axis.peak_band"), height=320)


# --- today ----------------------------------------------------------------------------------
def today_arrivals(curve: pd.DataFrame) -> go.Figure:
    """Arrivals so far today against the usual day, by the end of each hour and by now
    (hall_today_arrivals as peakend.hall.today.curve_frame lays it out)."""
    fig = go.Figure()
    x = list(curve["label"])
    fig.add_trace(
        go.Scatter(
            x=x,
            y=curve["usual_cumulative"],
            mode="lines",
            name=t("hall.today.curve.usual"),
            line={"color": GREYED, "dash": "dash", "width": 2},
            hovertemplate="%{x}: %{y:.0f}<extra>%{fullData.name}</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=curve["today_cumulative"],
            mode="lines+markers",
            name=t("hall.today.curve.today"),
            line={"color": SERIES[0], "width": 3},
            hovertemplate="%{x}: %{y:.0f}<extra>%{fullData.name}</extra>",
        )
    )
    fig.update_xaxes(categoryorder="array", categoryarray=x)
    fig.update_yaxes(rangemode="tozero")
    fig = finish(fig, t("hall.today.curve.title"), t("hall.today.curve.x"), t("hall.today.curve.y"), height=300)
    return _legend_below(fig)
