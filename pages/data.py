"""Data (data admins only): load files with a column mapping, check them before anything
is written, load with progress, undo any load; edit the targets and the purposes; add,
revoke and list the ingest API's sources; add and remove key moments."""

import streamlit as st

from peakend.auth import Permission
from peakend.core.i18n import t
from peakend.data_admin import widgets as ui
from peakend.data_admin.moments_widgets import moments_section
from peakend.ui.auth import require_permission
from peakend.ui.session import database

st.title(t("data.title"))
user = require_permission(Permission.LOAD_DATA)
db = database()
st.caption(t("data.intro"))

upload_tab, history_tab, targets_tab, purposes_tab, moments_tab, sources_tab = st.tabs(
    [t("data.tab.upload"), t("data.tab.history"), t("data.tab.targets"), t("data.tab.purposes"),
     t("data.tab.moments"), t("data.tab.sources")],
    key="dm_tab",
    on_change="rerun",  # .open says which tab is shown: a mapping choice doesn't redraw the history
)

# The upload tab always runs: its file and mapping are widgets, which would lose their
# state in a run that didn't draw them. The other tabs run only while open.
with upload_tab:
    st.subheader(t("data.files.title"))
    paths, previews = ui.files_with_previews(db)
    if paths:
        st.subheader(t("data.mapping.title"))
        mapping, ready = ui.choose_mapping(db, paths, previews, user)

        st.subheader(t("data.check.title"))
        reports = ui.check(db, paths, mapping, ready)

        st.subheader(t("data.load.title"))
        ui.load(db, paths, previews, mapping, reports, user)
    else:
        ui.show_results()  # what the last load did, after its files were taken out

# each other tab: its help line (the history has none) and what it draws
for tab, help_key, draw in (
    (history_tab, None, ui.history),
    (targets_tab, "data.targets.help", ui.targets),
    (purposes_tab, "data.purposes.help", ui.purposes),
    (moments_tab, "data.moments.help", moments_section),
    (sources_tab, "data.sources.help", ui.sources_section),
):
    with tab:
        if tab.open:
            if help_key:
                st.caption(t(help_key))
            draw(db, user)
