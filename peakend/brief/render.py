"""The brief and the wall sheet as HTML: one document for the screen (the brief page shows
it as it is, phone first) and for paper (WeasyPrint turns it into one A4 page). Every value
from the data is escaped; every word comes from the locales."""

from __future__ import annotations

import base64
import html

from peakend.brief.charts import SCREEN_WIDTH, WIDTH, hourly_waits
from peakend.brief.logic import COVER_METRICS, Brief, BriefPeriod, RegionCover, WallSheet
from peakend.charts.theme import STATUS_COLORS
from peakend.core import formatting
from peakend.core.i18n import get_language, t
from peakend.core.metrics import METRICS, MIN_RATINGS_DEFAULT
from peakend.core.periods import short_day

FONT = '"Noto Sans CJK SC", "Noto Sans", "Noto Sans CJK JP", sans-serif'
WAY_COLOURS = {"better": STATUS_COLORS["green"], "worse": STATUS_COLORS["red"], "same": "#777", None: "#333"}
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def esc(value) -> str:
    return html.escape(str(value), quote=True)


# Shared by screen and paper; the brief's own class names start with pe- so nothing of
# Streamlit's page is styled by them (the page shows the same HTML).
BASE_CSS = f"""
.pe-doc {{ font-family: {FONT}; color: #222; line-height: 1.35; }}
.pe-doc h1 {{ font-size: 1.35rem; margin: 0 0 .1rem 0; padding: 0; }}
.pe-doc h2 {{ font-size: 1rem; margin: .7rem 0 .3rem 0; padding: 0; border-bottom: 1px solid #ddd; }}
.pe-doc .pe-sub {{ color: #555; font-size: .85rem; margin: 0 0 .4rem 0; }}
.pe-doc .pe-tiles {{ display: flex; flex-wrap: wrap; gap: .4rem; }}
.pe-doc .pe-tile {{ flex: 1 1 0; min-width: 6.5rem; border: 1px solid #ddd; border-left: 6px solid #9e9e9e;
  border-radius: 4px; padding: .3rem .45rem; }}
.pe-doc .pe-tile .pe-label {{ font-size: .78rem; color: #444; }}
.pe-doc .pe-tile .pe-value {{ font-size: 1.35rem; font-weight: bold; }}
.pe-doc .pe-tile .pe-target {{ font-size: .74rem; color: #555; }}
.pe-doc .pe-mark {{ display: inline-block; font-size: .72rem; font-weight: bold; color: #fff; border-radius: 3px;
  padding: 0 .3rem; }}
.pe-doc table {{ border-collapse: collapse; width: 100%; font-size: .8rem; }}
.pe-doc th, .pe-doc td {{ text-align: right; padding: .12rem .3rem; border-bottom: 1px solid #eee; vertical-align: top; }}
.pe-doc th:first-child, .pe-doc td:first-child {{ text-align: left; }}
.pe-doc th {{ font-weight: normal; color: #555; }}
.pe-doc .pe-before {{ color: #777; font-size: .72rem; }}
.pe-doc .pe-cols {{ display: flex; flex-wrap: wrap; gap: 0 1rem; }}
.pe-doc .pe-cols > div {{ flex: 1 1 16rem; min-width: 0; }}
.pe-doc ul, .pe-doc ol {{ margin: .2rem 0; padding-left: 1.2rem; font-size: .82rem; }}
.pe-doc li {{ margin: .1rem 0; }}
.pe-doc .pe-note {{ color: #666; font-size: .72rem; margin: .25rem 0; }}
.pe-doc .pe-chart svg {{ display: block; width: 100%; height: auto; }}
.pe-doc .pe-comment {{ font-size: .8rem; }}
.pe-doc td:nth-child(2) {{ white-space: nowrap; }}
.pe-doc .pe-chart {{ margin: .3rem 0 .4rem 0; }}
"""

# The paper sizes offered, and the type size that fills each (A3 is A4 scaled by sqrt 2:
# every size in the CSS is in rem or em, so the layout is the same, only larger).
PAPER = {"A4": "10pt", "A3": "14.1pt"}

PRINT_CSS = """
@page { size: %(paper)s; margin: 11mm 12mm 12mm 12mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #777; } }
html { font-size: %(type)s; }
body { margin: 0; }
.pe-doc h2 { break-after: avoid; }
.pe-doc .pe-tile, .pe-doc li, .pe-doc tr { break-inside: avoid; }
.pe-page { break-after: page; }
.pe-page:last-child { break-after: auto; }
"""

SCREEN_CSS = """
.pe-doc { max-width: 60rem; }
.pe-doc h1 { font-size: 1.3rem !important; padding: .5rem 0 0 0 !important; line-height: 1.3 !important; }
.pe-doc h2 { font-size: 1.1rem !important; padding: .6rem 0 .2rem 0 !important; line-height: 1.3 !important; }
@media (max-width: 639.98px) {
  .pe-doc .pe-tile { flex: 1 1 calc(50% - .4rem); }
  .pe-doc .pe-tile .pe-value { font-size: 1.2rem; }
  .pe-doc table { font-size: .78rem; }
}
"""


def _mark(status: str | None, thin: bool = False) -> str:
    if thin:
        return f'<span class="pe-mark" style="background:#9e9e9e">{esc(t("brief.thin"))}</span>'
    if status is None:
        return ""
    return f'<span class="pe-mark" style="background:{STATUS_COLORS[status]}">{esc(t("status." + status))}</span>'


def period_title(brief: Brief) -> str:
    return period_title_of(brief.period)


def _changed(change: str, way: str | None, before: str) -> str:
    """A change, coloured by which way it went, over the value it is against."""
    if before == formatting.MISSING:
        return esc(formatting.MISSING)
    return (
        f'<span style="color:{WAY_COLOURS[way]}">{esc(change)}</span>'
        f'<br><span class="pe-before">{esc(t("brief.changes.was", value=before))}</span>'
    )


def _chart(svg: str, inline: bool) -> str:
    """Inline SVG on paper; on screen an <img> of it (st.html drops inline SVG), vector both."""
    if inline:
        return svg
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img src="data:image/svg+xml;base64,{data}" alt="{esc(t("brief.chart.title"))}" '
        'style="width:100%; max-width:30rem">'
    )


def brief_body(brief: Brief, screen: bool = False) -> str:
    """The brief's content (no <html>): the page shows it (screen=True), the PDF wraps it."""
    p = brief.period
    out = [f'<div class="pe-doc pe-page" lang="{HTML_LANG[get_language()]}">']
    out.append(f"<h1>{esc(t('brief.title', hall=brief.hall_name))}</h1>")
    out.append(
        f'<p class="pe-sub">{esc(period_title(brief))} · '
        f"{esc(formatting.counted(brief.visits, 'visit'))} · {esc(brief.region)}</p>"
    )
    # --- tiles against the targets
    out.append('<div class="pe-tiles">')
    for tile in brief.tiles:
        colour = "#9e9e9e" if tile.thin else STATUS_COLORS[tile.status]
        n = f" · n = {esc(formatting.number(tile.n))}" if tile.n is not None and tile.key != "service_level" else ""
        out.append(
            f'<div class="pe-tile" style="border-left-color:{colour}" data-key="{esc(tile.key)}">'
            f'<div class="pe-label">{esc(tile.label)}</div>'
            f'<div class="pe-value">{esc(tile.shown)}</div>'
            f'<div class="pe-target">{esc(t("brief.target", target=tile.target_shown))}{n}</div>'
            f"{_mark(tile.status, tile.thin)}</div>"
        )
    out.append("</div>")
    # --- what changed | where the hall stands
    out.append('<div class="pe-cols"><div>')
    out.append(f"<h2>{esc(t('brief.changes.title'))}</h2>")
    prev_head = t(f"brief.changes.previous.{p.kind}")
    earlier_head = t(f"brief.changes.earlier.{p.kind}")
    out.append(
        f"<table><tr><th></th><th>{esc(t('brief.changes.now'))}</th>"
        f"<th>{esc(prev_head)}</th><th>{esc(earlier_head)}</th></tr>"
    )
    for c in brief.changes:
        out.append(
            f"<tr><td>{esc(c.label)}</td><td>{esc(c.now)}</td>"
            f"<td>{_changed(c.previous_change, c.previous_way, c.previous)}</td>"
            f"<td>{_changed(c.earlier_change, c.earlier_way, c.earlier)}</td></tr>"
        )
    out.append("</table>")
    out.append(
        f'<p class="pe-note">{esc(t(f"brief.changes.note.{p.kind}", previous=short_day(p.previous[0]), earlier=short_day(p.earlier[0])))}</p>'
    )
    out.append("</div><div>")
    out.append(f"<h2>{esc(t('brief.peers.title'))}</h2>")
    rank_from, rank_to = p.ranks
    if not brief.peer_groups:
        out.append(f'<p class="pe-note">{esc(t("peers.none", min_group=5))}</p>')
    for group in brief.peer_groups:
        out.append(f'<p class="pe-comment"><b>{esc(group.title)}</b></p><ul>')
        out.extend(f"<li>{esc(line)}</li>" for line in group.lines)
        out.append("</ul>")
    out.append(
        f'<p class="pe-note">{esc(t(f"brief.peers.note.{p.kind}", first=short_day(rank_from), last=short_day(rank_to)))}</p>'
    )
    out.append("</div></div>")
    # --- the worst hour
    worst = brief.worst_hour
    out.append(f"<h2>{esc(t('brief.worst.title', hour=worst.span) if worst else t('brief.worst.none'))}</h2>")
    if worst is not None:
        out.append(f'<p class="pe-comment">{esc(worst.sentence.replace("**", ""))}</p>')
        if worst.thin:
            out.append(f'<p class="pe-note">{esc(t("hall.worst_hour.thin", min_n=MIN_RATINGS_DEFAULT))}</p>')
    chart = hourly_waits(
        brief.hours,
        brief.wait_target,
        worst.hour if worst else None,
        MIN_RATINGS_DEFAULT,
        width=SCREEN_WIDTH if screen else WIDTH,
    )
    if chart:
        out.append(f'<p class="pe-comment"><b>{esc(t("brief.chart.title"))}</b></p>')
        out.append(f'<div class="pe-chart">{_chart(chart, inline=not screen)}</div>')
    if worst is not None:
        if worst.comments:
            out.append(f'<p class="pe-comment"><b>{esc(t("brief.worst.comments"))}</b></p><ul>')
            out.extend(
                f'<li class="pe-comment">{esc(t("brief.worst.comment", score=score, comment=comment))}</li>'
                for score, comment in worst.comments
            )
            out.append("</ul>")
        else:
            out.append(f'<p class="pe-note">{esc(t("hall.worst_hour.no_comments"))}</p>')
    # --- the top three to fix
    out.append(f"<h2>{esc(t('brief.fix.title'))}</h2>")
    if brief.fixes:
        out.append("<ol>" + "".join(f"<li>{esc(s)}</li>" for s in brief.fixes) + "</ol>")
    if brief.fixes_note:
        out.append(f'<p class="pe-note">{esc(brief.fixes_note)}</p>')
    first, last = p.todo
    out.append(f'<p class="pe-note">{esc(t("brief.fix.note", first=short_day(first), last=short_day(last)))}</p>')
    # --- the hall's open tasks and the period's day notes, when there are any
    for title, lines in (("brief.tasks.title", brief.open_tasks), ("brief.notes.title", brief.notes)):
        if lines:
            out.append(f"<h2>{esc(t(title))}</h2><ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>")
    out.append(f'<p class="pe-note">{esc(t("brief.footer", min_n=MIN_RATINGS_DEFAULT))}</p>')
    out.append("</div>")
    return "".join(out)


def document(body: str, title: str, paper: str = "A4") -> str:
    """A whole HTML document for paper (A4, or A3 for the wall sheet)."""
    print_css = PRINT_CSS % {"paper": paper, "type": PAPER[paper]}
    return (
        f'<!doctype html><html lang="{HTML_LANG[get_language()]}"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{BASE_CSS}{print_css}{WALL_CSS}</style></head>"
        f"<body>{body}</body></html>"
    )


def brief_document(briefs: list[Brief]) -> str:
    title = t("brief.title", hall=briefs[0].hall_name) if len(briefs) == 1 else t("brief.title_many")
    return document("".join(brief_body(b) for b in briefs), title)


def screen_html(body: str) -> str:
    return f"<style>{BASE_CSS}{SCREEN_CSS}{WALL_CSS}</style>{body}"


# --- the wall sheet ----------------------------------------------------------------------------
WALL_CSS = """
.pe-wall { font-size: 1.18rem; }
.pe-wall h1 { font-size: 1.65em; margin: 0; }
.pe-wall .pe-sub { font-size: .85em; }
.pe-wall .pe-moment { display: flex; gap: .6em; align-items: stretch; border: 1px solid #ccc;
  border-left: 10px solid #9e9e9e; border-radius: 5px; padding: .45em .6em; margin: 0 0 .45em 0;
  break-inside: avoid; }
.pe-wall .pe-step { font-size: 1.6em; font-weight: bold; color: #888; width: 1.6em; }
.pe-wall .pe-what { flex: 1 1 0; }
.pe-wall .pe-name { font-size: 1.3em; font-weight: bold; }
.pe-wall .pe-standard { font-size: .9em; color: #333; }
.pe-wall .pe-action { font-size: .95em; margin-top: .2em; }
.pe-wall .pe-number { width: 11em; text-align: right; }
.pe-wall .pe-number .pe-value { font-size: 1.7em; font-weight: bold; }
.pe-wall .pe-number .pe-detail { font-size: .75em; color: #555; }
.pe-wall .pe-legend { font-size: .78em; color: #555; margin-top: .3em; }
"""


def wall_body(sheet: WallSheet) -> str:
    out = [f'<div class="pe-doc pe-wall pe-page" lang="{HTML_LANG[get_language()]}">']
    out.append(f"<h1>{esc(t('wall.title', hall=sheet.hall_name))}</h1>")
    out.append(
        f'<p class="pe-sub">{esc(t("wall.period", first=short_day(sheet.start, year=True), last=short_day(sheet.end, year=True)))}</p>'
    )
    for step, m in enumerate(sheet.moments, start=1):
        card = m.tile
        status = None if card is None or card.thin else card.status
        colour = STATUS_COLORS[status]
        value = esc(card.shown) if card is not None else "–"
        mark = _mark(status, bool(card and card.thin)) if card is not None else ""
        out.append(
            f'<div class="pe-moment" style="border-left-color:{colour}" data-moment="{esc(m.moment)}">'
            f'<div class="pe-step">{step}</div>'
            f'<div class="pe-what"><div class="pe-name">{esc(m.name)}</div>'
            f'<div class="pe-standard">{esc(t("wall.standard_label"))}{esc(m.standard)}</div>'
            f'<div class="pe-action"><b>{esc(t("wall.action_label"))}</b>{esc(m.action)}</div></div>'
            f'<div class="pe-number"><div class="pe-value">{value}</div>{mark}'
            f'<div class="pe-detail">{esc(m.detail)}</div></div></div>'
        )
    out.append(f'<p class="pe-legend">{esc(t("wall.legend", min_n=MIN_RATINGS_DEFAULT))}</p>')
    out.append("</div>")
    return "".join(out)


def wall_document(sheets: list[WallSheet], paper: str = "A4") -> str:
    return document("".join(wall_body(s) for s in sheets), t("wall.title", hall=sheets[0].hall_name), paper)


def cover_body(cover: RegionCover) -> str:
    """The region's cover: its halls ranked by peak-end index, each number marked."""
    p = cover.period
    span = t("brief.cover.span", first=short_day(p.ranks[0], year=True), last=short_day(p.ranks[1], year=True))
    out = [f'<div class="pe-doc pe-page" lang="{HTML_LANG[get_language()]}">']
    out.append(f"<h1>{esc(t('brief.cover.title', region=cover.region, period=span))}</h1>")
    out.append(f'<p class="pe-sub">{esc(t("brief.cover.intro"))}</p>')
    out.append(
        f'<table><tr><th>{esc(t("brief.cover.rank"))}</th><th style="text-align:left">{esc(t("brief.cover.hall"))}</th>'
    )
    out.extend(f"<th>{esc(METRICS[k].label)}</th>" for k in COVER_METRICS)
    out.append("</tr>")
    for rank, name, tiles in cover.rows:
        cells = "".join(
            f'<td><span style="color:{"#9e9e9e" if x.thin else STATUS_COLORS[x.status] if x.status else "#333"}">'
            f"{esc(x.shown)}</span>{_n(x)}</td>"
            for x in tiles
        )
        out.append(f'<tr><td>{rank}</td><td style="text-align:left">{esc(name)}</td>{cells}</tr>')
    out.append("</table>")
    out.append(f'<p class="pe-note">{esc(t("brief.footer", min_n=MIN_RATINGS_DEFAULT))}</p></div>')
    return "".join(out)


def _n(tile) -> str:
    """The count behind a mean, beside it (greyed with its value when under the minimum)."""
    if tile.n is None or tile.key in ("visits", "abandonment_rate"):
        return ""
    return f' <span class="pe-before">n = {esc(formatting.number(tile.n))}</span>'


def period_title_of(p: BriefPeriod) -> str:
    if p.kind == "day":
        return t("brief.period.day", day=short_day(p.end, weekday=True, year=True))
    return t(
        "brief.period.week",
        first=short_day(p.start, weekday=True, year=True),
        last=short_day(p.end, weekday=True, year=True),
    )
