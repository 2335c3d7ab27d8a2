"""PeakEnd entry point: page config, language, navigation."""

import streamlit as st

from peakend.i18n import t
from peakend.ui.navigation import build_pages
from peakend.ui.session import init_language, language_switch

st.set_page_config(page_title="PeakEnd", page_icon=":material/insights:", layout="wide")
init_language()
page = st.navigation(build_pages())
with st.sidebar:
    language_switch()
    st.caption(t("app.tagline"))
page.run()
