"""Charts of the insights page. Each takes a tidy frame (from peakend.insights.text or the
statistics) and returns a finished figure: title, axis titles with units in the current
language, colours from theme.py."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from peakend.charts.theme import GREYED, SERIES, STATUS_COLORS, TARGET_LINE, finish
from peakend.core import formatting
from peakend.core.i18n import t
from peakend.insights.tolerance import Tolerance, advice

_STAFFING_COLORS = {
    "under": STATUS_COLORS["red"],
    "over": STATUS_COLORS["amber"],
    "ok": STATUS_COLORS["green"],
    "met_under": STATUS_COLORS["green"],
    "over_missed": STATUS_COLORS["red"],
    "unknown": GREYED,
    "no_arrivals": GREYED,
}
_BAND = "rgba(31, 95, 168, 0.18)"  # SERIES[0] with transparency: the confidence band


def _legend_below(fig: go.Figure) -> go.Figure:
    """Legends go under the plot: above it they collide with long titles."""
    fig.update_layout(
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0}
    )
    return fig


def _labels_beyond(fig: go.Figure, frame: pd.DataFrame, texts: list[str], under: bool = False) -> None:
    """Each bar's value just past the far end of its interval, where no whisker hides it;
    `under`: below the bar from its base instead, for labels too long to fit beside the
    longest bar on a phone."""
    for y, low, high, estimate, label in zip(frame["y"], frame["low"], frame["high"], frame["estimate"], texts):
        right = estimate >= 0
        beside = {"x": high if right else low, "xshift": 6 if right else -6, "xanchor": "left" if right else "right"}
        below = {"x": 0, "yshift": -19, "xanchor": "left" if right else "right"}
        fig.add_annotation(
            y=y,
            text=label,
            showarrow=False,
            font={"size": 12, "color": "#333"},
            **(below if under else beside),
        )


def _error_x(frame: pd.DataFrame) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": frame["high"] - frame["estimate"],
        "arrayminus": frame["estimate"] - frame["low"],
        "color": "#555",
        "thickness": 1.5,
        "width": 6,
    }


def effects(frame: pd.DataFrame, place: str) -> go.Figure:
    """What moves the overall score: a typical difference (one standard deviation) of each
    factor, with its 95% interval; the moments and the minutes in two colours."""
    frame = frame.iloc[::-1].assign(y=lambda f: f["label"])  # the first factor on top
    colors = [{"moment": SERIES[0], "time": SERIES[1]}.get(g, SERIES[2]) for g in frame["group"]]
    fig = go.Figure(
        go.Bar(
            x=frame["estimate"],
            y=frame["y"],
            orientation="h",
            marker_color=colors,
            error_x=_error_x(frame),
            customdata=frame[["typical_difference", "typical_ci", "n"]].to_numpy(),
            hovertemplate=("%{y}: %{x:+.2f} " + t("insights.chart.effects.hover") + "<extra></extra>"),
        )
    )
    _labels_beyond(fig, frame, [formatting.points(v, 2) for v in frame["estimate"]])
    fig.add_vline(x=0, line={"color": "#444", "width": 1})
    top = max(frame["high"].max(), 0)
    bottom = min(frame["low"].min(), 0)
    pad = (top - bottom) * 0.15 or 0.5
    fig.update_xaxes(range=[bottom - (pad if bottom < 0 else 0.05), top + pad], zeroline=False)
    return finish(
        fig,
        t("insights.chart.effects.title", place=place),
        t("insights.chart.effects.x"),
        None,
        height=110 + 48 * len(frame),
    )


def moment_gains(frame: pd.DataFrame, hall_name: str) -> go.Figure:
    """The to-do list as bars: expected gain in the peak-end index with its 95% interval,
    largest on top; the expected NPS gain written beside each."""
    frame = frame.iloc[::-1].assign(y=lambda f: f["moment"])
    fig = go.Figure(
        go.Bar(
            x=frame["estimate"],
            y=frame["y"],
            orientation="h",
            marker_color=SERIES[0],
            error_x=_error_x(frame),
            customdata=frame[["low", "high", "nps"]].to_numpy(),
            hovertemplate="%{y}: %{x:+.2f} " + t("insights.chart.gains.hover") + "<extra></extra>",
        )
    )
    labels = [
        t("insights.chart.gains.label", index=formatting.points(e, 2), nps=formatting.points(n, 1))
        if pd.notna(n)
        else formatting.points(e, 2)
        for e, n in zip(frame["estimate"], frame["nps"])
    ]
    _labels_beyond(fig, frame, labels, under=True)
    fig.update_traces(width=0.45)  # room under each bar for its label
    top = max(frame["high"].max(), 0.01)
    fig.update_xaxes(range=[min(frame["low"].min(), 0), top * 1.08], rangemode="tozero")
    return finish(
        fig,
        t("insights.chart.gains.title", hall=hall_name),
        t("insights.chart.gains.x"),
        None,
        height=120 + 56 * len(frame),
    )


def staffing(table: pd.DataFrame, hall_name: str, weekday_name: str, hall_counters) -> go.Figure:
    """Counters needed (Erlang C) next to counters in use, per hour of arrival; the bar in
    use coloured by whether the hour was under- or overstaffed."""
    hours = [f"{int(h):02d}:00" for h in table["hour"]]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=hours,
            y=table["needed"],
            name=t("insights.chart.staffing.needed"),
            marker={"color": "rgba(0,0,0,0)", "line": {"color": "#333", "width": 2}},
            text=[formatting.number(v) for v in table["needed"]],
            textposition="outside",
            textfont={"size": 12, "color": "#333"},
            hovertemplate="%{x}: %{y} " + t("insights.chart.staffing.needed") + "<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=hours,
            y=table["in_use"],
            name=t("insights.chart.staffing.in_use"),
            showlegend=False,
            marker_color=[_STAFFING_COLORS[s] for s in table["status"]],
            # no number over these: next to the needed count it would read as one number; the
            # table below and the hover give it
            customdata=[t(f"insights.staffing.status.{s}") for s in table["status"]],
            hovertemplate="%{x}: %{y:.1f} " + t("insights.chart.staffing.in_use") + " (%{customdata})<extra></extra>",
        )
    )
    # the legend shows what the colours of the bars in use mean
    for status in ("under", "ok", "over"):
        fig.add_trace(
            go.Bar(
                x=[None],
                y=[None],
                marker_color=_STAFFING_COLORS[status],
                name=t("insights.chart.staffing.in_use_status", status=t(f"insights.staffing.status.{status}")),
                showlegend=True,
                hoverinfo="skip",
            )
        )
    top = max(float(table["needed"].max() or 0), float(table["in_use"].max() or 0))
    if hall_counters is not None and not pd.isna(hall_counters):
        # a legend entry rather than a label on the line, which the bars' numbers would hit
        fig.add_trace(
            go.Scatter(
                x=[hours[0], hours[-1]],
                y=[int(hall_counters)] * 2,
                mode="lines",
                line={"color": TARGET_LINE, "dash": "dash", "width": 1.5},
                name=t("insights.chart.staffing.counters", n=int(hall_counters)),
                hoverinfo="skip",
            )
        )
        top = max(top, float(hall_counters))
    if len(hours) < 6:  # a day of one or two hours: keep the bars from filling the width
        pad = (6 - len(hours)) / 2
        fig.update_xaxes(range=[-0.5 - pad, len(hours) - 0.5 + pad])
    # small numbers over narrow bars: keep them readable rather than shrunk to fit
    fig.update_layout(barmode="group", bargap=0.2, bargroupgap=0.04, uniformtext={"minsize": 11, "mode": "show"})
    fig.update_yaxes(range=[0, top * 1.2 + 0.5], dtick=1 if top <= 12 else None)
    finish(
        fig,
        t("insights.chart.staffing.title", hall=hall_name, weekday=weekday_name),
        t("insights.chart.staffing.x"),
        t("insights.chart.staffing.y"),
        height=400,
    )
    return _legend_below(fig).update_layout(margin={"b": 90})


def tolerance(
    tol: Tolerance, purpose: str, place: str, target: float, wait_target: float, score: str | None = None
) -> go.Figure:
    """Mean score (score: how the section names it; the peak's by default) at each minute of
    wait (dot area ~ ratings), the fitted broken stick with its 95% band, the knee or the
    suggested target (target: the bar the score is held to), and the current wait target."""
    bins = tol.bins
    fig = go.Figure()
    if tol.curve is not None:
        c = tol.curve
        fig.add_trace(
            go.Scatter(
                x=pd.concat([c["wait_min"], c["wait_min"][::-1]]),
                y=pd.concat([c["high"], c["low"][::-1]]),
                fill="toself",
                fillcolor=_BAND,
                line={"width": 0},
                hoverinfo="skip",
                name=t("insights.chart.tolerance.band"),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=c["wait_min"],
                y=c["fitted"],
                mode="lines",
                line={"color": SERIES[0], "width": 2.5},
                name=t("insights.chart.tolerance.fit" if tol.knee is not None else "insights.chart.tolerance.line"),
                hoverinfo="skip",
            )
        )
    size = (bins["ratings"] / max(bins["ratings"].max(), 1)) ** 0.5 * 22 + 4
    fig.add_trace(
        go.Scatter(
            x=bins["wait_mean_min"],
            y=bins["score_mean"],
            mode="markers",
            name=t("insights.chart.tolerance.points"),
            marker={"size": size, "color": SERIES[1], "opacity": 0.7, "line": {"width": 0}},
            customdata=bins["ratings"],
            hovertemplate=t("insights.chart.tolerance.hover") + "<extra></extra>",
        )
    )
    fig.add_hline(
        y=target,
        line={"color": TARGET_LINE, "dash": "dot", "width": 1.2},
        annotation_text=t("insights.chart.tolerance.target", value=formatting.score(target)),
        annotation_position="bottom right",
        annotation_font={"color": TARGET_LINE, "size": 12},
    )
    marks = [
        (wait_target, "#555", "dash", t("insights.chart.tolerance.current", value=formatting.wait_target(wait_target)))
    ]
    if advice(tol, wait_target) == "tighten":  # never a line that invites a longer target
        assert tol.suggested is not None  # no advice without a suggestion
        marks.append(
            (
                tol.suggested,
                STATUS_COLORS["green"],
                "dash",
                t("insights.chart.tolerance.suggested", value=formatting.minutes(tol.suggested, 0)),
            )
        )
    if tol.knee is not None and tol.kind == "early":
        marks.append(
            (tol.knee, SERIES[3], "dot", t("insights.chart.tolerance.knee", value=formatting.minutes(tol.knee)))
        )
    for step, (x, color, dash, label) in enumerate(sorted(marks, key=lambda m: m[0])):
        fig.add_vline(x=x, line={"color": color, "dash": dash, "width": 1.8})
        fig.add_annotation(
            x=x,
            xref="x",
            y=1.0 - 0.075 * step,
            yref="paper",
            text=label,
            showarrow=False,
            xanchor="left",
            xshift=4,
            yanchor="top",
            font={"color": color, "size": 12},
            bgcolor="rgba(255,255,255,0.8)",
        )
    fig.update_yaxes(range=[max(0.9, min(bins["score_mean"].min(), target) - 0.3), 5.35])
    fig.update_xaxes(rangemode="tozero")
    finish(
        fig,
        t(
            "insights.chart.tolerance.title",
            purpose=purpose,
            place=place,
            score=score or t("insights.tolerance.score.peak"),
        ),
        t("insights.chart.tolerance.x"),
        t("insights.chart.tolerance.y"),
        height=480,
    )
    return _legend_below(fig).update_layout(margin={"b": 90})
