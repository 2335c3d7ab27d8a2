"""Keep Streamlit's legacy `pages/` auto-discovery out of the app.

The client's layout has a top-level `pages/` folder, which Streamlit treats as a legacy
multipage app until app.py has run `st.navigation` once in the process. So a visitor who
opens a page URL directly (say /hall) on a fresh server would get that page run on its
own — without app.py's language, sign-in and menu — and see the legacy file-name menu.
`python -m peakend serve` (make run) switches the mode off before any session exists
(peakend/web/asgi.py); what follows guards a plain `streamlit run app.py`.

Not only the very first visitor: every run that starts before the first one has gone
through app.py is such a legacy run (20 managers opening their bookmarks after a restart).

Two parts, both needed:
- importing this module (peakend.ui does, so the first page run of the process does)
  switches the legacy mode off for every run that starts from then on;
- `enforce_app_navigation()`, called on every run when a page asks who is signed in
  (peakend.ui.auth), reruns a run that is already in legacy mode, so it goes through
  app.py like every other one. A legacy run is told apart by its page registry, which
  holds the main script (app.py) itself as a page beside the pages/ files; app.py's own
  menu never does.

The rerun is never raised while a module is being imported: an exception there unwinds
the import of peakend.ui under other sessions' threads importing it at the same moment
(seen as "cannot import name ... from partially initialized module").
"""

from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def in_legacy_run(ctx=None) -> bool:
    """Is this script run Streamlit's legacy pages/ mode (the main script among its pages)?"""
    ctx = ctx or get_script_run_ctx()
    if ctx is None:
        return False
    manager = ctx.pages_manager
    pages = manager.get_pages()
    if len(pages) < 2:  # no st.navigation yet: the main script alone
        return False
    main = str(Path(manager.main_script_path).resolve())  # legacy mode registers it resolved
    return any(info.get("script_path") == main for info in pages.values())


def switch_off_legacy_pages() -> None:
    """Runs that start from now on go through app.py's st.navigation."""
    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        PagesManager.uses_pages_directory = False


def enforce_app_navigation() -> None:
    """Rerun this run through app.py if Streamlit ran the page in legacy mode."""
    ctx = get_script_run_ctx()
    if ctx is not None and in_legacy_run(ctx):
        PagesManager.uses_pages_directory = False
        st.rerun()  # the same page (its hash is its URL path), now through app.py


switch_off_legacy_pages()
