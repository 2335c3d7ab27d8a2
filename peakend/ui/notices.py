"""Notices every page shows above its content."""

from __future__ import annotations

import streamlit as st

from peakend.core import formatting
from peakend.core.i18n import t
from peakend.ui.session import database


def rollups_notice() -> None:
    """Say so when the pre-computed totals don't add up to the visits: the numbers shown are
    then computed from the visits themselves (slower, still right), never a "–"."""
    behind = database().rollups_behind()
    if behind:
        details = "; ".join(
            t(
                "app.rollup_counts",
                table=table,
                has=formatting.number(has),
                should=formatting.number(should),
                what=t(f"app.rollup_{what}"),
            )
            for table, what, has, should in behind
        )
        st.warning(t("app.rollups_behind", details=details), icon=":material/warning:")
