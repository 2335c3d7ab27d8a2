"""Hall view: a store manager's queue, peak moments and exit moment for one hall and period."""

import streamlit as st

from peakend.core import formatting, links
from peakend.core.halls import data_days, first_row, hall_row
from peakend.core.i18n import purpose_labels, t
from peakend.core.metrics import MIN_RATINGS_DEFAULT
from peakend.core.moments import ALL_PEAK_MOMENTS
from peakend.core.safe_text import md
from peakend.hall import charts, key_moments, themes
from peakend.hall import logic as hall
from peakend.hall.notes import heatmap_cells, leave_out_count, trend_marks
from peakend.hall.widgets import (
    COMMENT_ORDER,
    KEY_MOMENT_ORDER,
    comment_columns,
    day_notes_box,
    key_moment_columns,
    leave_out_toggle,
    today_panel,
)
from peakend.ui import url_state
from peakend.ui.answers import ask, fetch, run
from peakend.ui.cards import metric_card
from peakend.ui.charts import show as show_chart
from peakend.ui.controls import hall_picker, period_control, show_dropped_url_values
from peakend.ui.layout import FLOWING_TILES_KEY, TILES_KEY
from peakend.ui.navigation import page_path
from peakend.ui.sections import fragment, lazy_section
from peakend.ui.subscriptions import subscriptions_box

REPORTS_PAGE = page_path("reports")

st.title(t("hall.title"))
today_box = st.container()  # the today panel comes first (on a phone, before the controls)

base = fetch(summary=ask("dataset_summary"), halls=ask("halls_in_scope"), purposes=ask("purposes"),
             reported=ask("periods_halls"))
summary = base["summary"].iloc[0]
if not summary["visits"]:
    st.info(t("hall.empty_db"))
    if (note := hall.reports_sentence(base["reported"], None)) is not None:
        st.page_link(REPORTS_PAGE, label=note, icon=":material/schedule:")
    st.stop()

# --- controls ---------------------------------------------------------------------------------
halls = base["halls"]
purposes = base["purposes"]
purpose_label = purpose_labels(purposes)
url_state.seed("hall_purposes", url_state.read_list("purpose", purpose_label))
url_state.seed("hall_moments", url_state.read_list("moment", ALL_PEAK_MOMENTS))
c_hall, c_period, c_purpose, c_moment = st.columns([3, 4, 3, 3])
with c_hall:
    hall_id = hall_picker(halls)
with c_period:
    first_day, last_day = data_days(halls, hall_id, summary)
    chosen = period_control(
        last_day, first_day, hall_name=hall_row(halls, hall_id)["hall_name"] if hall_id else None,
        network_last_day=summary["last_day"],
    )
date_from, date_to = chosen.start, chosen.end
with c_purpose:
    chosen_purposes = st.multiselect(
        t("hall.purposes"), list(purpose_label), key="hall_purposes",
        format_func=lambda p: purpose_label.get(p, p), placeholder=t("hall.all"),
    )
with c_moment:
    chosen_moments = st.multiselect(
        t("hall.peak_moments"), list(ALL_PEAK_MOMENTS), key="hall_moments",
        format_func=lambda m: t(f"hall.moment.{m}"), placeholder=t("hall.all"),
    )
url_state.write(purpose=chosen_purposes, moment=chosen_moments)
show_dropped_url_values()
if hall_id is None:
    st.stop()

this_hall = hall_row(halls, hall_id)
if not hall.reports_only(base["reported"], hall_id):  # hourly reports have no "now"
    with today_box:
        today_panel(this_hall)
notes = run("hall_day_notes", hall.notes_filter(hall_id, date_from, date_to, chosen.compare_start))
skip_noted = leave_out_toggle(leave_out_count(notes))
period = hall.hall_filter(hall_id, date_from, date_to, chosen_purposes, chosen_moments, skip_noted)
period_notes = hall.notes_between(notes, date_from, date_to)
comparison = period.replace(date_from=chosen.compare_start, date_to=chosen.compare_end) if chosen.compared else None
grain = hall.trend_grain(date_from, date_to)
# the first screen's data at once; each section below asks for its own when it is opened
data = fetch(
    current=ask("metrics_by_group", period, group_1=None, group_2=None),
    previous=ask("metrics_by_group", comparison, group_1=None, group_2=None) if comparison else None,
    by_hour=ask("metrics_by_group", period, group_1="hour", group_2=None),
)
current = first_row(data["current"])
previous = first_row(data["previous"]) if comparison else None
first, last = formatting.day(date_from), formatting.day(date_to)
reports_note = hall.reports_sentence(base["reported"], hall_id)
if current is None:
    if hall.reports_only(base["reported"], hall_id):
        st.info(t("hall.reports.only", hall=md(this_hall["hall_name"])))
    else:
        st.info(t("hall.no_visits", hall=md(this_hall["hall_name"]), first=first, last=last))
    if reports_note is not None:
        st.page_link(REPORTS_PAGE, label=reports_note, icon=":material/schedule:", query_params=links.hall_link(hall_id))
    st.stop()

# --- headline cards ---------------------------------------------------------------------------
st.subheader(t("hall.headline", hall=md(this_hall["hall_name"]), first=first, last=last))
if reports_note is not None:  # a hall with both kinds of data: these numbers are the visits'
    st.page_link(REPORTS_PAGE, label=reports_note, icon=":material/schedule:", query_params=links.hall_link(hall_id))
if comparison is not None:
    st.caption(
        t("hall.comparison", first=formatting.day(comparison.date_from), last=formatting.day(comparison.date_to))
        if previous is not None
        else t("hall.no_previous", first=formatting.day(comparison.date_from), last=formatting.day(comparison.date_to))
    )
with st.container(key=TILES_KEY):  # two to a row on a phone
    for column, key in zip(st.columns(len(hall.HEADLINE_TILES)), hall.HEADLINE_TILES):
        with column:
            metric_card(key, current, previous, this_hall)

wait_target = float(this_hall["wait_target_min"])
peak_target = float(this_hall["peak_target"])
exit_target = float(this_hall["exit_target"])

# --- the worst hour and what people wrote after it ----------------------------------------------
found = hall.worst_hour(data["by_hour"], MIN_RATINGS_DEFAULT)
if found is None:
    st.info(t("hall.worst_hour.none"))
else:
    worst, thin = found
    st.subheader(t("hall.worst_hour.title", hour=hall.hour_span(worst["group_1"])))
    st.markdown(hall.worst_hour_sentence(worst, wait_target))
    if thin:
        st.caption(t("hall.worst_hour.thin", min_n=formatting.number(MIN_RATINGS_DEFAULT)))
    hour = int(worst["group_1"])
    worst_comments = run("hall_exit_comments", period.replace(hour_from=hour, hour_to=hour),
                         limit=hall.WORST_HOUR_COMMENTS)
    if worst_comments.empty:
        st.caption(t("hall.worst_hour.no_comments"))
    else:
        with st.container(key="hall_worst_hour_comments"):
            st.markdown(f"**{t('hall.worst_hour.comments')}**")
            st.dataframe(hall.comment_feed(worst_comments), hide_index=True, column_config=comment_columns(),
                         column_order=COMMENT_ORDER, placeholder="–")

with st.expander(t("hall.all_numbers")):
    with st.container(key=FLOWING_TILES_KEY):  # three to a row on a desk, two on a phone
        for column, key in zip(st.columns(len(hall.MORE_TILES)), hall.MORE_TILES):
            with column:
                metric_card(key, current, previous, this_hall)
st.caption(t("hall.cards_note", min_n=formatting.number(MIN_RATINGS_DEFAULT)))
day_notes_box(period_notes, hall_id, first_day, last_day)
subscriptions_box(hall_id, this_hall["hall_name"])

# --- the sections below the first screen: each drawn only while it is open, each a fragment
# (opening one, or a control inside it, reruns that section alone)
@fragment
def heatmap_section(heatmap) -> None:
    measure = st.segmented_control(
        t("hall.queue.heatmap_measure"), ["wait", "arrivals"], key="hall_heatmap_measure", default="wait",
        format_func=lambda m: t(f"hall.queue.measure.{m}"), required=True,
    )
    noted = heatmap_cells(period_notes)
    show_chart(charts.wait_heatmap(heatmap, measure, noted))
    if noted:
        st.caption(t("hall.notes.heatmap_caption"))


@fragment
def queue_section() -> None:
    with lazy_section(t("hall.queue.title"), "hall_open_queue") as box:
        if not box.open:
            return
        data = fetch(
            trend=ask("metrics_by_group", period, group_1=grain, group_2=None),
            heatmap=ask("hall_wait_heatmap", period),
            distribution=ask(
                "hall_wait_distribution", period, band_min=hall.DISTRIBUTION_BAND_MIN,
                cap_min=hall.DISTRIBUTION_CAP_MIN,
            ),
            arrivals=ask("hall_arrivals_by_hour", period),
        )
        heatmap_section(data["heatmap"])
        trend = data["trend"]
        left, right = st.columns(2)
        with left:
            distribution = data["distribution"]
            if distribution.empty:
                st.info(t("hall.queue.no_waits"))
            else:
                show_chart(charts.wait_distribution(
                    distribution, wait_target, hall.DISTRIBUTION_BAND_MIN, hall.DISTRIBUTION_CAP_MIN
                ))
        with right:
            if hall.has_trend(trend):
                show_chart(charts.wait_trend(trend, wait_target, grain, trend_marks(period_notes, grain)))
            else:
                st.info(t("hall.trend_one_period", grain=t(f"hall.grain.{grain}")))
        show_chart(charts.arrivals_vs_counters(
            data["arrivals"], this_hall["counters"], float(this_hall["service_level_target"])
        ))
        st.caption(t("hall.queue.staffing_note"))


@fragment
def peak_section() -> None:
    with lazy_section(t("hall.peak.title"), "hall_open_peak") as box:
        if not box.open:
            return
        data = fetch(
            trend=ask("metrics_by_group", period, group_1=grain, group_2=None),
            peak_distribution=ask("hall_peak_distribution", period),
            staff=ask("metrics_by_group", period, group_1="staff", group_2="peak_moment"),
            staff_labels=ask("staff_labels", period),
            tolerance=ask("hall_peak_by_wait_band", period, wait_band_edges=list(hall.WAIT_BAND_EDGES)),
        )
        trend = data["trend"]
        peak_distribution = data["peak_distribution"]
        if peak_distribution.empty:
            st.info(t("hall.peak.no_ratings"))
            return
        left, right = st.columns(2)
        with left:
            show_chart(charts.peak_distribution(peak_distribution, current))
        with right:
            if hall.has_trend(trend):
                show_chart(charts.peak_trend(trend, peak_target, grain, trend_marks(period_notes, grain)))
            else:
                st.info(t("hall.trend_one_period", grain=t(f"hall.grain.{grain}")))
        left, right = st.columns(2)
        with left:
            staff = hall.staff_peak_scores(data["staff"], data["staff_labels"])
            if staff.empty:
                st.info(t("hall.peak.no_staff"))
            else:
                show_chart(charts.staff_scores(staff, MIN_RATINGS_DEFAULT))
        with right:
            curve = data["tolerance"]
            show_chart(charts.wait_tolerance(curve, peak_target, MIN_RATINGS_DEFAULT))
            falloff = hall.tolerance_falloff(curve, peak_target, MIN_RATINGS_DEFAULT)
            st.markdown("\n".join(
                f"- {s}" for s in hall.tolerance_sentences(falloff, peak_target, MIN_RATINGS_DEFAULT)
            ))


@fragment
def comments_section(comments) -> None:
    """The comments behind a theme's bar and the search of the feed (reruns alone)."""
    left, right = st.columns(2)
    counts = themes.theme_counts(comments)
    with left:
        show_chart(charts.theme_counts(counts))
        st.caption(t("hall.exit.themes_note"))
    with right:
        bar = st.selectbox(
            t("hall.exit.themes_pick"), themes.bar_keys(counts), key="hall_theme",
            format_func=lambda k: themes.bar_label(k, counts),
        )
        st.dataframe(
            hall.comment_feed(themes.bar_examples(comments, bar)), hide_index=True,
            column_config=comment_columns(), column_order=("exit_comment", "evidence", "exit_score"), placeholder="–",
        )
    search = st.text_input(
        t("hall.exit.search"), key="hall_comment_search", placeholder=t("hall.exit.search_placeholder")
    )
    feed = run("hall_exit_comments", period.replace(comment_contains=search), limit=hall.COMMENT_FEED_ROWS)
    st.markdown(f"**{t('hall.exit.feed_title', n=formatting.number(len(feed)))}**")
    if feed.empty:
        st.info(t("hall.exit.no_match", search=md(search)))
    else:
        st.dataframe(hall.comment_feed(feed), hide_index=True, column_config=comment_columns(),
                     column_order=COMMENT_ORDER, placeholder="–")


@fragment
def exit_section() -> None:
    with lazy_section(t("hall.exit.title"), "hall_open_exit") as box:
        if not box.open:
            return
        data = fetch(
            trend=ask("metrics_by_group", period, group_1=grain, group_2=None),
            exit_distribution=ask("hall_exit_distribution", period),
            comments=ask("hall_exit_comments", period, limit=None),
        )
        trend = data["trend"]
        exit_distribution = data["exit_distribution"]
        if exit_distribution.empty:
            st.info(t("hall.exit.no_ratings"))
        else:
            left, right = st.columns(2)
            with left:
                show_chart(charts.exit_distribution(exit_distribution))
            with right:
                if hall.has_trend(trend):
                    show_chart(charts.exit_trend(trend, exit_target, grain, trend_marks(period_notes, grain)))
                else:
                    st.info(t("hall.trend_one_period", grain=t(f"hall.grain.{grain}")))
        if data["comments"].empty:
            st.info(t("hall.exit.no_comments"))
        else:
            comments_section(data["comments"])


@fragment
def journey_section() -> None:
    with lazy_section(t("hall.journey.title"), "hall_open_journey") as box:
        if not box.open:
            return
        data = fetch(
            comments=ask("hall_exit_comments", period, limit=None),
            unhappy=ask("hall_unhappy_exits", period),
            journey=ask("hall_journey", period, wait_band_edges=list(hall.WAIT_BAND_EDGES)),
        )
        st.markdown(hall.unhappy_exit_statement(first_row(data["unhappy"]), wait_target))
        st.markdown(themes.unhappy_complaints_statement(data["comments"]))
        journey = data["journey"]
        if journey.empty:
            st.info(t("hall.journey.no_visits"))
        else:
            show_chart(charts.journey_grid(journey, MIN_RATINGS_DEFAULT))
            st.caption(t("hall.journey.note", min_n=formatting.number(MIN_RATINGS_DEFAULT)))


@fragment
def key_moments_section() -> None:
    with lazy_section(t("hall.moments.title"), "hall_open_moments") as box:
        if not box.open:
            return
        data = fetch(
            moments=ask("hall_key_moments", period, hall_id=hall_id),
            staff=ask("moments_by_group", period, group_1="staff"),
            staff_labels=ask("staff_labels", period),
        )
        found = data["moments"]
        st.markdown(key_moments.about_sentence(found, md(this_hall["hall_name"])))
        st.markdown(key_moments.unhappy_sentence(found))
        show_chart(charts.key_moments(found))
        st.dataframe(key_moments.moments_frame(found), hide_index=True, column_config=key_moment_columns(),
                     column_order=KEY_MOMENT_ORDER, placeholder="–", key="hall_moments_table")
        st.caption(t("hall.moments.note"))
        staff = key_moments.staff_moments(data["staff"], data["staff_labels"])
        if staff.empty:
            st.info(t("hall.peak.no_staff"))
        else:
            show_chart(charts.staff_key_moments(staff, MIN_RATINGS_DEFAULT))


key_moments_section()
queue_section()
peak_section()
exit_section()
journey_section()
