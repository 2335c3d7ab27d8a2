"""The hall among its anonymised peers on a page (regional page for a one-hall scope;
Insights). The ranks come from queries/peer_ranks.sql through the scoped query layer."""

from __future__ import annotations

from datetime import date

import streamlit as st

from peakend.core import formatting
from peakend.core.filters import VisitFilter
from peakend.core.i18n import t
from peakend.core.metrics import MIN_RATINGS_DEFAULT
from peakend.regional import peers
from peakend.ui.answers import run


def peers_section(hall_id: str, date_from: date, date_to: date, heading: bool = True) -> None:
    answer = run(
        "peer_ranks",
        VisitFilter(date_from=date_from, date_to=date_to),
        min_group=peers.MIN_GROUP,
        min_n=MIN_RATINGS_DEFAULT,
    )
    groups = peers.peer_groups(answer, hall_id, MIN_RATINGS_DEFAULT)
    if heading:
        st.subheader(t("peers.heading"))
    st.caption(
        t(
            "peers.intro",
            min_group=formatting.number(peers.MIN_GROUP),
            first=formatting.day(date_from),
            last=formatting.day(date_to),
        )
    )
    if not groups:
        st.info(t("peers.none", min_group=formatting.number(peers.MIN_GROUP)))
        return
    for column, group in zip(st.columns(len(groups)), groups):
        with column, st.container(border=True):
            st.markdown(f"**{group.title}**")
            st.markdown("\n".join(f"- {line}" for line in group.lines))
