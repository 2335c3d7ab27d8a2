"""Keep Streamlit's legacy `pages/` auto-discovery out of the app.

The client's layout has a top-level `pages/` folder, which Streamlit treats as a legacy
multipage app until app.py has run `st.navigation` once in the process. So the very first
visitor who opens a page URL directly (say /hall) would get that page run on its own —
without app.py's language, sign-in and menu — and see the legacy file-name menu.

This module is imported (through peakend.ui) by every page. On that first run it switches
the legacy mode off and reruns, so the request goes through app.py like every other one.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def enforce_app_navigation() -> None:
    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        PagesManager.uses_pages_directory = False
        st.rerun()


enforce_app_navigation()
