"""Explore: any filter, grouped and measured, down to one visit's journey; every view is a
link, can be saved under a name, and exported."""

import streamlit as st

from peakend.core import formatting, moment_table
from peakend.core.i18n import get_language, t
from peakend.explore import export as explore_export
from peakend.explore import logic as explore
from peakend.explore import widgets as ui
from peakend.explore.charts import group_chart, journey_chart
from peakend.ui.answers import run
from peakend.ui.auth import current_scope
from peakend.ui.cards import metric_card
from peakend.ui.charts import show as show_chart
from peakend.ui.sections import fragment, lazy_section
from peakend.ui.session import database

st.title(t("explore.title"))
st.caption(t("explore.intro"))
notes = st.container()

summary = run("dataset_summary").iloc[0]
if not summary["visits"]:
    st.info(t("explore.empty"))
    st.stop()
first_day, last_day = summary["first_day"], summary["last_day"]
language = get_language()

# Controls: the link seeds them, the sidebar holds every filter, grouping and measures on top.
options = ui.filter_options()
ui.load_from_url(options)
with st.sidebar:
    ui.filter_controls(options, first_day, last_day)
ui.group_controls()
ui.reset_list_when_changed(ui.current_view(), last_day)
view = ui.current_view()
filters = view.visit_filter(last_day)
results = run("metrics_by_group", filters, group_1=view.group_1, group_2=view.group_2)
view, total, visit = ui.settle(view, results, filters, options, notes)
with notes:
    ui.show_dropped(view)

st.caption(t("explore.matching", n=formatting.number(int(results["visits"].sum()) if len(results) else 0),
             period=explore.period_text(view, last_day)))

with st.expander(t("explore.share_and_save"), icon=":material/link:"):
    st.caption(t("explore.link_help"))
    link_slot = st.empty()  # with a chart, its fragment writes the link (its measure is in it)
    if not (len(results) and view.groups):
        link_slot.code(ui.share_link(view), language=None, wrap_lines=True)
    ui.saved_views(view, options)

# The result: a chart that fits the grouping, then the table (a row opens its visits).
st.subheader(t("explore.result"))
if not len(results):
    st.info(t("explore.no_visits"))
elif not view.groups:
    for column, key in zip(st.columns(min(len(view.measures), 6)), view.measures[:6]):
        with column:
            metric_card(key, results.iloc[0], min_n=view.min_n)
else:

    @fragment
    def chart_section(results) -> None:
        """The chart's measure redraws the chart alone (and rewrites the link)."""
        view = ui.current_view()
        if len(view.measures) > 1:
            ui.chart_measure_picker(view)
            view = ui.current_view()
        if st.session_state.get("_xp_chart_drawn") not in (None, view.chart_measure):
            ui.publish(view)  # a fragment's rerun doesn't reach the page's publish below
        st.session_state["_xp_chart_drawn"] = view.chart_measure
        link_slot.code(ui.share_link(view), language=None, wrap_lines=True)
        chart = explore.chart_data(results, view, options, language)
        show_chart(group_chart(chart, view.chart_measure, view.groups), width="stretch")
        if chart.note:
            st.caption(chart.note)

    chart_section(results)
    view = ui.current_view()
stem = explore.file_stem(view, last_day)
if len(results):
    table = explore.result_table(results, view, options, language)
    ui.result_dataframe(table, view, results)
    ui.export_buttons(t("explore.export_result"), lambda fmt, path: explore_export.write_table(table.table, fmt, path),
                      f"{stem}-result", "xp_export_result")

# Every key moment rated in the filter, by the first grouping (drawn only while open).
@fragment
def key_moments_section(filters, view) -> None:
    by = explore.dimension_label(view.group_1) if view.group_1 else t("explore.moments.visits")
    with lazy_section(t("explore.moments.title", by=by), "xp_open_moments") as box:
        if not box.open:
            return
        rows = run("moments_by_group", filters, group_1=view.group_1)
        table = explore.key_moments_table(rows, view, options, language)
        if table.empty:
            st.info(t("explore.moments.none"))
            return
        st.caption(t("explore.moments.caption", min_n=formatting.number(view.min_n)))
        ui.key_moments_dataframe(table)
        unrated = moment_table.unrated(rows)
        if unrated:
            st.caption(t("explore.moments.unrated", moments=t("data.list_sep").join(unrated)))


if len(results):
    key_moments_section(filters, view)

# The visits behind the result (or behind the chosen row), one page at a time.
st.subheader(t("explore.visits"))
ui.drill_caption(view, options, total)
if total:
    pages = explore.page_count(total)
    page = ui.page_picker(view, pages, total)
    view = ui.current_view()
    visits = run("explore_visits", filters, **view.drill_params(), **explore.page_window(page))
    ui.visit_dataframe(explore.visit_list(visits, options, language), view)
    st.caption(t("explore.visits_help"))
    db, scope, drill = database(), current_scope(), view.drill_params()
    ui.export_buttons(
        t("explore.export_visits", n=formatting.number(total)),
        lambda fmt, path: explore_export.write_visits(db, filters, scope, drill, fmt, path),
        f"{stem}-visits", "xp_export_visits",
        notes=ui.visit_export_notes(total),
    )

# One visit's journey: arrival, call, service, exit, its scores and comment.
if visit is not None:
    st.subheader(t("explore.journey"))
    show_chart(journey_chart(explore.journey_steps(visit), visit["visit_id"]), width="stretch")
    ui.journey(visit, options, run("explore_visit_moments", filters, visit_id=visit["visit_id"]))

ui.publish(view)
