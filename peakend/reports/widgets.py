"""The hourly-reports page's Streamlit parts: the region and hall pickers, the measure
cards and the league table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from peakend.core import formatting, links
from peakend.core.i18n import t
from peakend.reports import logic
from peakend.ui import url_state
from peakend.ui.navigation import page_path

MEASURE = "measure"  # the URL parameter of the measure shown


def region_picker(halls: pd.DataFrame) -> str:
    """The region (URL: ?region=, when there is a choice); a link's ?hall= opens on that
    hall's region."""
    regions = sorted(set(halls["region"]))
    url_state.seed("reports_region", url_state.read(links.REGION, str, lambda r: r in regions))
    linked = url_state.read(links.HALL, str, lambda h: h in set(halls["hall_id"]))
    if linked is not None:
        url_state.seed("reports_region", halls.loc[halls["hall_id"] == linked, "region"].iloc[0])
        url_state.seed("reports_hall", linked)
    region = st.selectbox(t("reports.region"), regions, key="reports_region", disabled=len(regions) == 1)
    url_state.write(**{links.REGION: region if len(regions) > 1 else None})
    return region


def hall_picker(halls: pd.DataFrame, region: str) -> str | None:
    """One hall of the region, or none: every hall of the region together. URL: ?hall=ID."""
    mine = halls[halls["region"] == region]
    names = dict(zip(mine["hall_id"], mine["hall_name"]))
    if st.session_state.get("reports_hall") not in names:
        st.session_state["reports_hall"] = None
    hall_id = st.selectbox(
        t("reports.hall"),
        list(names),
        index=None,
        key="reports_hall",
        format_func=lambda h: names.get(h, h),
        placeholder=t("reports.all_halls", n=formatting.number(len(names))),
    )
    url_state.write(**{links.HALL: hall_id})
    return hall_id


def measure_picker(measures: list[str]) -> str:
    """The measure the charts and the league show (URL: ?measure=KEY). Radio buttons in a
    row: they wrap on a phone, where a segmented control's long labels ran off the screen."""
    url_state.seed("reports_measure", url_state.read(MEASURE, str, lambda m: m in measures))
    if st.session_state.get("reports_measure") not in measures:
        st.session_state["reports_measure"] = measures[0]
    picked = st.radio(
        t("reports.measure"),
        measures,
        key="reports_measure",
        format_func=lambda k: logic.metric(k).label,
        horizontal=True,
    )
    url_state.write(**{MEASURE: picked})
    return picked or measures[0]


def cards(summary: pd.Series, measures: list[str]) -> None:
    """Each measure the reports have over the selection, with the report rows behind it."""
    for column, key in zip(st.columns(len(measures)), measures):
        with column:
            st.metric(
                logic.metric(key).label,
                logic.value_text(key, summary[key]),
                help=logic.metric(key).help,
            )
            st.caption(t("reports.card_n", periods=formatting.counted(summary[f"n_{key}"], "period")))


def league(league: pd.DataFrame, key: str) -> None:
    """Halls side by side on `key`, the highest first, with n; thin ones greyed, unranked."""
    table = logic.league_table(league, key)
    shown = pd.DataFrame(
        {
            "rank": table["rank"],
            "hall": table["hall"],  # a table cell is text, not Markdown
            "value": [logic.value_text(key, v) for v in table["value"]],
            "n": table["n"],
            "kinds": [logic.kinds_text(v) for v in table["visits"]],
        }
    )
    thin = table["thin"].tolist()
    styled = shown.style.apply(lambda row: ["color: #9e9e9e" if thin[row.name] else "" for _ in row], axis=1)
    st.dataframe(
        styled,
        hide_index=True,
        key="reports_league",
        column_config={
            "rank": st.column_config.NumberColumn(t("reports.league.rank"), width=60),
            "hall": st.column_config.TextColumn(t("reports.league.hall")),
            "value": st.column_config.TextColumn(logic.metric(key).label),
            "n": st.column_config.NumberColumn(t("reports.league.n"), help=t("reports.league.n_help")),
            "kinds": st.column_config.TextColumn(t("reports.league.kinds")),
        },
    )
    if any(thin):
        st.caption(t("reports.league.thin", min_n=formatting.number(logic.MIN_PERIODS)))


def elsewhere(reported: pd.DataFrame, regions: list[str] | None = None) -> None:
    """On a page of visit numbers: a link to the hourly reports of its halls, when any."""
    sentence = logic.elsewhere_sentence(reported, regions)
    if sentence is not None:
        query = {links.REGION: regions[0]} if regions and len(regions) == 1 else None
        st.page_link(page_path("reports"), label=sentence, icon=":material/schedule:", query_params=query)
