"""The brief's one chart, drawn as plain SVG from its data: the median wait of each hour of
arrival against the wait target, the worst hour marked. Vector on paper and on screen, no
chart library and nothing fetched; every label is in the current language."""

from __future__ import annotations

import html

import pandas as pd

from peakend.charts.theme import GREYED, SERIES, STATUS_COLORS, TARGET_LINE
from peakend.core import formatting
from peakend.core.i18n import t

WIDTH, HEIGHT = 640, 190  # on paper; on screen narrower, so a phone's labels stay readable
SCREEN_WIDTH = 360
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 26, 30
FONT = "Noto Sans CJK SC, Noto Sans, sans-serif"


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _text_width(text: str, size: float) -> float:
    """About how wide a label is drawn: a CJK character is a full em, others about 0.6."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in html.unescape(text))


def hourly_waits(
    by_hour: pd.DataFrame, wait_target: float, worst_hour: int | None, min_visits: int, width: int = WIDTH
) -> str:
    """metrics_by_group by hour -> an SVG bar chart (a string), or "" without any wait."""
    rows = by_hour[by_hour["group_1"].notna() & by_hour["wait_median_min"].notna()].sort_values("group_1")
    if rows.empty:
        return ""
    hours = [int(h) for h in rows["group_1"]]
    waits = [float(w) for w in rows["wait_median_min"]]
    visits = [int(v) for v in rows["visits"]]
    top = max(max(waits), wait_target) * 1.15 or 1.0
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(hours)
    bar_w = step * 0.72
    # grey marks the hours with few visits, unless every hour has few (one hall's one day):
    # then the sentence above says so and the bars keep their colour
    all_thin = all(n < min_visits for n in visits)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    title = t("brief.chart.title")  # said above the chart by the page (render.py); here for screen readers
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" font-family="{FONT}">',
    ]
    # the y axis: 0, the middle and the top, in minutes
    for tick in (0.0, top / 2, top * 0.95):
        ty = y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#e6e6e6"/>')
        parts.append(
            f'<text x="{LEFT - 5}" y="{ty + 4:.1f}" font-size="11" text-anchor="end" fill="#555">'
            f"{_esc(formatting.number(tick, 0))}</text>"
        )
    parts.append(
        f'<text x="10" y="{TOP + plot_h / 2:.1f}" font-size="11" fill="#555" text-anchor="middle" '
        f'transform="rotate(-90 10 {TOP + plot_h / 2:.1f})">{_esc(t("brief.chart.y"))}</text>'
    )
    for i, (hour, wait, n) in enumerate(zip(hours, waits, visits)):
        x = LEFT + i * step + (step - bar_w) / 2
        colour = (
            STATUS_COLORS["red"] if hour == worst_hour else (GREYED if n < min_visits and not all_thin else SERIES[0])
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{y(wait):.1f}" width="{bar_w:.1f}" height="{TOP + plot_h - y(wait):.1f}" '
            f'fill="{colour}"><title>{_esc(f"{hour:02d}:00 · {formatting.minutes(wait)} · n = {n}")}</title></rect>'
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="11" text-anchor="middle" '
            f'fill="#333">{hour:02d}</text>'
        )
    ty = y(wait_target)
    parts.append(
        f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{TARGET_LINE}" '
        f'stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    # the target's label in the title row, with a sample of its line: never over a bar
    label = _esc(t("brief.chart.target", target=formatting.wait_target(wait_target)))
    parts.append(
        f'<text x="{width - RIGHT}" y="15" font-size="11" text-anchor="end" fill="{TARGET_LINE}">{label}</text>'
    )
    sample_x = width - RIGHT - _text_width(label, 11) - 28
    parts.append(
        f'<line x1="{sample_x:.1f}" x2="{sample_x + 22:.1f}" y1="11" y2="11" stroke="{TARGET_LINE}" '
        f'stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 3}" font-size="11" text-anchor="middle" fill="#555">'
        f"{_esc(t('brief.chart.x'))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
