"""The home page's "Needs attention" section: halls in the user's scope that missed a
target in the user's period, with the kind of problem named (peakend.insights.attention).
"""

from __future__ import annotations

import streamlit as st

from peakend.core import formatting, links
from peakend.core.filters import VisitFilter
from peakend.core.i18n import t
from peakend.core.metrics import MIN_RATINGS_DEFAULT
from peakend.core.safe_text import md
from peakend.insights.attention import HallAttention, needs_attention
from peakend.insights.text import diagnosis_text, problem_text
from peakend.ui.answers import ask, fetch
from peakend.ui.auth import current_user
from peakend.ui.navigation import PAGES, ROOT, page_allowed

SHOWN = 6  # halls listed openly; more in an expander
LISTED = 60  # at most this many in all: a network of thousands can miss in hundreds of halls,
# and hundreds of cards make the overview slow and unreadable; the regional page ranks them all
_BADGE = {"queue": "blue", "peak": "orange", "end": "violet"}
_PAGE = {spec.key: spec for spec in PAGES}


def needs_attention_section(period: VisitFilter, before: VisitFilter, min_n: int = MIN_RATINGS_DEFAULT) -> None:
    """Draw the section for the user's period; a problem the period `before` didn't have is new."""
    data = fetch(
        halls=ask("halls_in_scope"),
        now=ask("metrics_by_group", period, group_1="hall", group_2=None),
        before=ask("metrics_by_group", before, group_1="hall", group_2=None),
    )
    items = needs_attention(data["halls"], data["now"], data["before"], min_n)
    first, last = period.date_from, period.date_to
    st.subheader(t("insights.attention.title", first=formatting.day(first), last=formatting.day(last)))
    st.caption(t("insights.attention.note", min_n=formatting.number(min_n)))
    if not items:
        st.success(t("insights.attention.none"))
        return
    with st.container(key="needs_attention"):
        _cards(items[:SHOWN])
        if len(items) > SHOWN:
            with st.expander(t("insights.attention.more", n=formatting.number(len(items) - SHOWN))):
                _cards(items[SHOWN:LISTED])
                if len(items) > LISTED:
                    st.caption(
                        t(
                            "insights.attention.not_listed",
                            listed=formatting.number(LISTED),
                            total=formatting.number(len(items)),
                        )
                    )


def _cards(items: list[HallAttention]) -> None:
    """Two cards a row: a long list stays short on the page."""
    for start in range(0, len(items), 2):
        for column, item in zip(st.columns(2), items[start : start + 2]):
            with column:
                _hall(item)


def _hall(item: HallAttention) -> None:
    with st.container(border=True):
        badges = " ".join(f":{_BADGE[k]}-badge[{t(f'insights.attention.kind.{k}')}]" for k in item.kinds)
        st.markdown(f"**{md(item.hall_name)}** · {md(item.region)} &nbsp; {badges}")
        lines = []
        for p in item.problems:
            new = f" :red-badge[{t('insights.attention.new')}]" if p.new else ""
            lines.append(f"- {problem_text(p)}{new}")  # the metric's name says its kind
        diagnosis = diagnosis_text(item)
        if diagnosis:
            lines.append(f"- *{diagnosis}*")
        st.markdown("\n".join(lines))
        user = current_user()
        with st.container(horizontal=True):
            for key in ("hall", "insights"):
                spec = _PAGE.get(key)
                if spec is not None and page_allowed(spec, user.role if user else None):
                    # the absolute path, as build_pages registers it (app.py may run from elsewhere)
                    st.page_link(
                        str(ROOT / spec.file),
                        label=t(f"insights.attention.open_{key}"),
                        icon=spec.icon,
                        query_params=links.hall_link(item.hall_id),
                    )
