"""PeakEnd entry point: page config, language, sign-in, navigation."""

import streamlit as st

from peakend.hall_themes import warm_up
from peakend.i18n import t
from peakend.ui.auth import account_box, refresh_session, run_page_if_allowed, signin_pages
from peakend.ui.navigation import build_pages
from peakend.ui.notices import rollups_notice
from peakend.ui.session import init_language, language_switch

st.set_page_config(page_title="PeakEnd", page_icon=":material/insights:", layout="wide")
warm_up()  # the comment themes' word list, while the user signs in
init_language()
user = refresh_session()
if user is None:
    # Every URL shows the sign-in form and keeps its path and query for after sign-in.
    page = st.navigation(signin_pages(), position="hidden")
    with st.sidebar:
        language_switch()
    page.run()
else:
    page = st.navigation(build_pages(user.role))
    with st.sidebar:
        language_switch()
        account_box(user)
        st.caption(t("app.tagline"))
    rollups_notice()
    run_page_if_allowed(page, user)
