"""The sidebar's account box: who is signed in, as what, over which halls, and the sign-out
button. Apart from peakend.ui.auth because it asks a query (peakend.ui.answers), which
itself asks auth for the scope: the dependencies go one way, account -> answers -> auth ->
session."""

from __future__ import annotations

import streamlit as st

from peakend.auth import User
from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.safe_text import md
from peakend.ui.answers import run
from peakend.ui.auth import role_label, sign_out, signed_in_scope


def account_box(user: User) -> None:
    """Sidebar: who is signed in, as what, over which halls; and the sign-out button."""
    scope = signed_in_scope()
    hall_names = [] if scope.sees_everything else list(run("halls_in_scope")["hall_name"])
    st.markdown(f"**{md(user.display_name)}** · {role_label(user.role)}")
    if scope.sees_everything:
        st.caption(t("auth.scope_all"))
    elif user.regions:
        st.caption(
            t(
                "auth.scope_regions",
                regions=t("auth.list_sep").join(user.regions),
                n=formatting.counted(len(hall_names), "hall"),
            )
        )
    else:
        st.caption(t("auth.scope_halls", halls=t("auth.list_sep").join(hall_names) or "–"))
    if st.button(t("auth.sign_out"), icon=":material/logout:", key="_peakend_sign_out"):
        sign_out()
