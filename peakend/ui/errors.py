"""An error no page caught, said in the user's language (st.App's on_script_error).

Streamlit's own box is English whatever the UI language ("This app has encountered an
error..."). Streamlit has logged the traceback by the time this runs; the user gets a
plain sentence and a way on, never the traceback (client.showErrorDetails = "none")."""

from __future__ import annotations

import streamlit as st

from peakend.core import i18n


def _language() -> str:
    # the session's, set by app.py: an error may come before i18n's value is set in this run
    wanted = st.session_state.get("lang") if st.runtime.exists() else None
    return wanted if wanted in i18n.LANGUAGES else i18n.get_language()


def show_script_error(exc: Exception) -> bool:
    """Show the error in the user's language; True tells Streamlit not to show its own."""
    i18n.set_language(_language())
    st.error(i18n.t("app.error"))
    return True
