"""Sign in: what everyone sees until they have signed in, whatever page URL they opened."""

import streamlit as st

from peakend.core.i18n import t
from peakend.ui.auth import password_form, show_notice, single_sign_on
from peakend.ui.session import language_switch

_, middle, _ = st.columns([1, 2, 1])
with middle:
    language_switch(key="lang_signin")
    st.title(t("auth.title"))
    st.caption(t("auth.intro"))
    show_notice()
    password_form()
    single_sign_on()
    st.caption(t("auth.help"))
