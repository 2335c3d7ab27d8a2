"""Under a page, with ?debug=routes in its link: which named query answered each of the
page's questions, at which grain, why that one, the filters its SQL carries, and the SQL.
Values are bound, never in the SQL, so nothing of the data shows here."""

from __future__ import annotations

import streamlit as st

from peakend.core.i18n import t
from peakend.ui.answers import asked_this_run, explain, routes_wanted


def routes_expander() -> None:
    if not routes_wanted():
        return
    asked = asked_this_run()
    with st.expander(t("app.routes.title", n=len(asked)), icon=":material/route:"):
        seen = set()
        for a in asked:
            route = explain(a)
            label = f"{a.name}({', '.join(f'{k}={v}' for k, v in sorted(a.params.items()))})"
            if label in seen:
                continue
            seen.add(label)
            st.markdown(f"**{label}** → `{route.query}`" + (f" ({route.grain})" if route.grain else ""))
            st.caption(t("app.routes.why", why=route.why, filters=", ".join(route.filters) or t("app.routes.none")))
            st.code(route.sql, language="sql", wrap_lines=False)
