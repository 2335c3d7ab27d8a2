"""The brief page's Streamlit parts: the day and period controls, the brief drawn from its
HTML, and the download buttons whose PDFs are made only when clicked."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from peakend.brief import documents, logic, render
from peakend.core.i18n import get_language, set_language, t
from peakend.core.periods import as_date
from peakend.ui.answers import scoped_query


def period_controls(first_day: date, last_day: date) -> logic.BriefPeriod:
    """The day of data (the hall's last by default) and a day or the week ending on it
    (the week when the day is a Sunday: the brief read on Monday)."""
    first_day, last_day = as_date(first_day), as_date(last_day)
    day_col, kind_col = st.columns(2)
    with day_col:
        day = st.date_input(
            t("brief.page.day"), value=last_day, min_value=first_day, max_value=last_day, key="brief_day"
        )
    auto = logic.brief_period(day).kind
    with kind_col:
        kind = st.segmented_control(
            t("brief.page.kind"),
            ["day", "week"],
            default=auto,
            key=f"brief_kind_{auto}",
            required=True,
            format_func=lambda k: t(f"brief.page.kind_{k}"),
        )
    return logic.brief_period(day, kind)


def show(brief: logic.Brief) -> None:
    st.html(render.screen_html(render.brief_body(brief, screen=True)))


def _in_language(language: str, make):
    """A file made on the download's own thread, in the page's language (the language is a
    context variable of the page run, which that thread doesn't inherit)."""

    def made() -> bytes:
        set_language(language)
        return make()

    return made


def downloads(halls: pd.DataFrame, hall_id: str, period: logic.BriefPeriod, region_halls: int) -> None:
    query, language = scoped_query(), get_language()
    day, kind = period.end, period.kind
    stem = f"{hall_id}-{day.isoformat()}-{language}"
    st.download_button(
        t("brief.page.download_brief"),
        _in_language(language, lambda: documents.brief_pdf(query, halls, hall_id, day, kind)),
        file_name=f"brief-{kind}-{stem}.pdf",
        mime="application/pdf",
        key="brief_download",
        icon=":material/print:",
        on_click="ignore",
    )
    hall_last_day = halls.loc[halls["hall_id"] == hall_id, "last_day"].iloc[0]
    if not pd.isna(hall_last_day):  # a hall without visits has no 4 weeks to put on the wall
        last_day = as_date(hall_last_day)
        st.download_button(
            t("brief.page.download_wall"),
            _in_language(language, lambda: documents.wall_pdf(query, halls, hall_id, last_day)),
            file_name=f"wall-sheet-{hall_id}-{last_day.isoformat()}-{language}.pdf",
            mime="application/pdf",
            key="wall_download",
            icon=":material/wall_art:",
            on_click="ignore",
        )
    if region_halls > 1:
        region = str(halls.loc[halls["hall_id"] == hall_id, "region"].iloc[0])
        st.download_button(
            t("brief.page.download_region"),
            _in_language(language, lambda: documents.region_pdf(query, halls, region, day, kind)),
            file_name=f"briefs-{kind}-{day.isoformat()}-{language}.pdf",
            mime="application/pdf",
            key="region_download",
            icon=":material/library_books:",
            on_click="ignore",
        )
