"""One page of the app as AppTest runs it for the bench: what app.py does for a page (the
session's language, then the page through st.navigation with every page registered, so
links between pages resolve), without the sign-in form; the bench puts a signed-in
ticket in the session first. The page to open is named by BENCH_PAGE."""

import os

import streamlit as st

from peakend.ui.navigation import PAGES, ROOT
from peakend.ui.session import init_language

init_language()
chosen = os.environ["BENCH_PAGE"]
st.navigation(
    [st.Page(str(ROOT / p.file), url_path=p.key, default=p.key == chosen) for p in PAGES],
    position="hidden",
).run()
