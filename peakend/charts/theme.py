"""The one place that decides colours and the common look of every chart."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from peakend.core import safe_text

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
# Every text a chart draws is at least MIN_FONT px, phones included: heatmap numbers are
# sized to their cell by Plotly unless told (they came out ~5 px at 390 px wide).
MIN_FONT = 11
_TEMPLATE.data.heatmap = [go.Heatmap(textfont={"size": 12})]
pio.templates["peakend"] = _TEMPLATE
pio.templates.default = "peakend"

# How every chart is shown (peakend.ui.charts): no toolbar, which covered the titles, and
# nothing fetched from plot.ly.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True, "showLink": False}

# Titles are wrapped to fit the narrowest screen the app is designed for, a 390 px phone
# (about 350 px of chart): SVG text does not wrap, and long titles were cut off.
TITLE_SIZE = 15
TITLE_WIDTH_PX = 330


def text_width(text: str, size: float) -> float:
    """Rough width (px) of a text: CJK characters are about one em, others about half."""
    return sum(size if ord(c) >= 0x2E80 else 0.56 * size for c in text)


_NO_LINE_START = frozenset("）」』】〉》，。、：；！？)")


def wrap_title(title: str, size: float = TITLE_SIZE, width_px: float = TITLE_WIDTH_PX) -> str:
    """The title with <br> where a line would run wider than width_px; breaks after a
    space (or between CJK characters), never inside a word. Removing the <br>s gives the
    title back (unwrap_title)."""
    if not title or "<br>" in title or text_width(title, size) <= width_px:
        return title
    lines, line = [], ""
    # tokens: a latin word with its following space, or a single CJK character
    tokens, word = [], ""
    for ch in title:
        if ord(ch) >= 0x2E80:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
            if ch == " ":
                tokens.append(word)
                word = ""
    if word:
        tokens.append(word)
    for token in tokens:
        # a closing bracket or a punctuation mark never starts a line (it stays with its text)
        if line.strip() and token not in _NO_LINE_START and text_width(line + token.rstrip(), size) > width_px:
            lines.append(line)
            line = token
        else:
            line += token
    lines.append(line)
    return "<br>".join(lines)


def unwrap_title(title: str | None) -> str:
    return (title or "").replace("<br>", "")


def finish(fig: go.Figure, title: str, x_title: str | None, y_title: str | None, height: int = 360) -> go.Figure:
    """Title, axis titles, font and margins every chart shares."""
    title = wrap_title(title)
    lines = title.count("<br>") + 1 if title else 0
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": TITLE_SIZE}},
        margin={"l": 10, "r": 10, "t": 30 + 20 * lines, "b": 10},
        height=height + 20 * (lines - 1) if lines > 1 else height,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    # hall names, labels and comments come from data: Plotly would render their <b>, <a>
    return safe_text.plotly_figure(fig)
