"""Text from data or from a URL is only ever text.

- `md(value)`: a value to put inside Markdown (st.markdown, st.info/warning/error, st.caption,
  labels): the marks that act are backslash-escaped, so no link, autolink, bold, colour
  directive (`:red[...]`), emoji code or LaTeX (`$`) can come from it, while ordinary
  text (file.csv, hall_id, 10:00) reads as it is; HTML is escaped by Streamlit already,
  and `<` `>` are escaped here as well.
- `plot(value)`: a value for a Plotly label or hover text, which renders a few HTML tags
  (`<b>`, `<a href>`, `<br>`): `<`, `>` and `&` as entities.
- `csv_cell(value)` / `csv_safe(frame)`: a cell a spreadsheet would run as a formula
  (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as
  OWASP advises against CSV injection; the CSV writer quotes the rest.
"""

from __future__ import annotations

import html
import re

import pandas as pd

# Markdown that acts inline: emphasis, code, links and images, HTML, LaTeX, strikethrough,
# entities; an underscore only at a word's edge (bill_payment stays as it is)
_MD_INLINE = re.compile(r"([\\`*\[\]<>~$&]|(?<![^\W_])_|_(?![^\W_]))")
# Streamlit's :red[...] / :material/x: / :emoji: and autolinks (https://, www.)
_MD_COLON = re.compile(r":(?=[A-Za-z/])")
_MD_WWW = re.compile(r"(?i)\b(www)\.")
# GFM's autolinks (https://..., www...., a@b.example) are found in the text after the
# Markdown is parsed, so a backslash escape does not stop them (seen in Chromium: an escaped
# "https\\://evil.example" rendered as a live link): a word joiner (U+2060, invisible)
# between the marks breaks them
_WORD_JOINER = "\u2060"
_MD_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\\?\.)|(?<=[\w.+-])(?=@[\w-]+\.)")
# a block marker at the start: heading, quote, list, rule
_MD_LEAD = re.compile(r"^(\s*)([#>+\-=]|\d+(?=[.)]))")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def md(value) -> str:
    """`value` as literal text inside Markdown (one line: line breaks become spaces)."""
    if value is None:
        return ""
    text = " ".join(str(value).splitlines())
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_COLON.sub(r"\\:", text)
    text = _MD_WWW.sub(r"\1\\.", text)
    text = _MD_AUTOLINK.sub(_WORD_JOINER, text)
    lead = _MD_LEAD.match(text)
    if lead is None:
        return text
    if lead.group(2)[0].isdigit():  # "1. one": escape the dot
        cut = lead.end()
        return text[:cut] + "\\" + text[cut:]
    return text[: lead.start(2)] + "\\" + text[lead.start(2) :]


def plot(value) -> str:
    """`value` as literal text in a Plotly label or hover."""
    if value is None:
        return ""
    return html.escape(str(value), quote=False)


def csv_cell(value):
    """A cell as a spreadsheet should read it: text that would start a formula gets a
    leading apostrophe (OWASP: CSV injection); anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names can't act as formulas."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(csv_cell).astype(object)
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def sql_cell(expr: str) -> str:
    """SQL for `expr` (text) neutralised as csv_cell does it, for exports DuckDB writes."""
    starts = ", ".join("'" + c.replace("'", "''") + "'" for c in FORMULA_START)
    return f"(case when left({expr}, 1) in ({starts}) then '''' || {expr} else {expr} end)"


# Plotly's own markup in labels the charts build ("mean<br>n = 3", "<extra></extra>");
# any other tag comes from data and is shown as text
_PLOT_TAG = re.compile(r"<(?!(?:br\s*/?|/?extra)>)", re.IGNORECASE)


def plot_markup(text: str) -> str:
    """A label that may hold the charts' own <br> (and <extra>), with every other tag from
    data made literal: `<b>` shows as <b>, `<a href=...>` as text."""
    return _PLOT_TAG.sub("&lt;", text.replace("&", "&amp;"))


def _plot_values(values):
    import numpy as np

    if isinstance(values, str):
        return plot_markup(values)
    if isinstance(values, (list, tuple)):
        return type(values)(_plot_values(v) for v in values)
    if isinstance(values, np.ndarray) and values.dtype == object:
        out = values.copy()
        flat = out.reshape(-1)
        for i, v in enumerate(flat):
            flat[i] = _plot_values(v)
        return out
    return values


def plotly_figure(fig):
    """Every text a figure holds at this point (traces' values, labels, names, hovers,
    titles, annotations, tick texts) with tags from data made literal (plot_markup)."""
    for trace in fig.data:
        for attr in (
            "x",
            "y",
            "text",
            "hovertext",
            "hovertemplate",
            "texttemplate",
            "name",
            "customdata",
            "labels",
            "legendgroup",
        ):
            if attr in trace and trace[attr] is not None:
                trace[attr] = _plot_values(trace[attr])
    layout = fig.layout
    if layout.title and layout.title.text:
        layout.title.text = plot_markup(layout.title.text)
    for note in layout.annotations or ():
        if note.text:
            note.text = plot_markup(note.text)
    for axis in (a for a in dir(layout) if a.startswith(("xaxis", "yaxis"))):
        ax = getattr(layout, axis, None)
        if ax is None:
            continue
        # the category order names the same (now escaped) values as the traces
        for attr in ("ticktext", "categoryarray"):
            if getattr(ax, attr, None) is not None:
                setattr(ax, attr, _plot_values(list(getattr(ax, attr))))
    return fig
