"""PeakEnd entry point: page config, language, sign-in, navigation."""

import streamlit as st

from peakend.core.i18n import get_language, t
from peakend.hall.themes import warm_up
from peakend.ui.account import account_box
from peakend.ui.answers import start_run
from peakend.ui.auth import refresh_session, run_page_if_allowed, session_cookie_script, signin_pages
from peakend.ui.layout import FAVICON, phone_layout
from peakend.ui.navigation import build_pages
from peakend.ui.notices import rollups_notice
from peakend.ui.routes import routes_expander
from peakend.ui.session import init_language, language_switch

# A local icon: a :material/…: or emoji icon makes the browser fetch it from a CDN
# (fonts.gstatic.com), which fails offline and in mainland China.
st.set_page_config(page_title="PeakEnd", page_icon=FAVICON, layout="wide")
warm_up()  # the comment themes' word list, while the user signs in
init_language()
start_run()
user = refresh_session()
if user is None:
    # Every URL shows the sign-in form and keeps its path and query for after sign-in.
    # No sidebar before sign-in: on a phone it starts closed, and the language switch in it
    # could not be reached. pages/signin.py draws the switch above the form.
    page = st.navigation(signin_pages(), position="hidden")
    phone_layout(page.url_path, get_language())
    session_cookie_script()  # a sign-out's cookie cleared
    page.run()
else:
    page = st.navigation(build_pages(user.role))
    with st.sidebar:
        language_switch(key="lang_sidebar")
        account_box(user)
        st.caption(t("app.tagline"))
        phone_layout(page.url_path, get_language())
        session_cookie_script()  # a sign-in's cookie set
    rollups_notice()
    run_page_if_allowed(page, user)
    routes_expander()  # with ?debug=routes: which query answered what, and why
