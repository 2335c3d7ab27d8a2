"""The one place that decides colours and the common look of every chart."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from peakend import safe_text

# Against a target: green / amber / red (colour-blind-safe enough with the marks beside).
STATUS_COLORS = {"green": "#2e7d32", "amber": "#f0a202", "red": "#c62828", None: "#9e9e9e"}
# Scores 1-5 (and any "higher is better" value): one sequential scale, red to green.
SCORE_SCALE = ["#c62828", "#ef6c00", "#f9d71c", "#9ccc65", "#2e7d32"]
# Waits and other "lower is better" intensities: one sequential scale, light to dark.
WAIT_SCALE = "Blues"
SERIES = ["#1f5fa8", "#e07b39", "#3a9d5d", "#8e5ea2", "#c4445a", "#5fa8d3", "#8c6d31", "#7f7f7f"]
TARGET_LINE = "#c62828"
GREYED = "#bdbdbd"
FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, Helvetica, Arial, sans-serif"


# Every figure starts from this template (plotly_white with our font and colours) as the
# process default: setting a template on a finished figure deep-copies and re-validates
# it, about 20 ms a chart, which was a third of a page's render time.
_TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
_TEMPLATE.layout.update(font={"family": FONT, "size": 13}, colorway=SERIES)
pio.templates["peakend"] = _TEMPLATE
pio.templates.default = "peakend"


def finish(fig: go.Figure, title: str, x_title: str | None, y_title: str | None, height: int = 360) -> go.Figure:
    """Title, axis titles, font and margins every chart shares."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=height,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    # hall names, labels and comments come from data: Plotly would render their <b>, <a>
    return safe_text.plotly_figure(fig)
