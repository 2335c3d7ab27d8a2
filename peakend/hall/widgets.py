"""Streamlit pieces of the hall page that are not charts: the comment tables' columns."""

from __future__ import annotations

import streamlit as st

from peakend.core.i18n import t

# The comment first: on a phone only the first column or two are on the screen.
COMMENT_ORDER = ("exit_comment", "exit_score", "commented_at", "purpose")


def comment_columns() -> dict:
    """Column headers and formats for peakend.hall.logic.comment_feed tables."""
    return {
        "commented_at": st.column_config.DatetimeColumn(t("hall.exit.col.time"), format="YYYY-MM-DD HH:mm", width=135),
        "exit_score": st.column_config.NumberColumn(t("hall.exit.col.score"), format="%d", width=80),
        "purpose": st.column_config.TextColumn(t("hall.exit.col.purpose"), width=120),
        "exit_comment": st.column_config.TextColumn(t("hall.exit.col.comment"), width="large"),
        "evidence": st.column_config.TextColumn(t("hall.exit.col.evidence"), width="medium"),
    }
