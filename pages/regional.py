"""Regional comparison: every hall of a region side by side, for the regional manager who
must decide which hall needs help; choosing a hall opens the hall page."""

import streamlit as st

from peakend.core import formatting, moment_table
from peakend.core.filters import VisitFilter
from peakend.core.i18n import t
from peakend.core.metrics import METRICS
from peakend.regional import charts, key_moments
from peakend.regional import logic as regional
from peakend.regional import widgets as view
from peakend.regional.peer_widgets import peers_section
from peakend.reports.widgets import elsewhere
from peakend.ui.answers import ask, fetch, run
from peakend.ui.charts import show as show_chart
from peakend.ui.controls import period_control, show_dropped_url_values
from peakend.ui.sections import fragment, lazy_section

st.title(t("regional.title"))
st.caption(t("regional.intro"))

base = fetch(summary=ask("dataset_summary"), halls=ask("halls_in_scope"), purposes=ask("purposes"),
             reported=ask("periods_halls"))
summary = base["summary"].iloc[0]
if not summary["visits"]:
    st.info(t("regional.empty"))
    elsewhere(base["reported"])
    st.stop()

# --- controls ---------------------------------------------------------------------------------
halls = base["halls"]
all_regions = regional.regions_of(halls)
c_region, c_period = st.columns([4, 6])
with c_region:
    regions = view.region_control(all_regions)
with c_period:
    chosen = period_control(summary["last_day"], summary["first_day"])
date_from, date_to = chosen.start, chosen.end
c_purpose, c_moment, c_min_n = st.columns([4, 3, 3])
with c_purpose:
    purposes = view.purpose_control(base["purposes"])
with c_moment:
    moments = view.peak_moment_control()
with c_min_n:
    min_n = view.min_n_control()
show_dropped_url_values()

current = VisitFilter(
    date_from=date_from, date_to=date_to, regions=regions, purposes=purposes, peak_moments=moments
)
comparison = current.replace(date_from=chosen.compare_start, date_to=chosen.compare_end) if chosen.compared else None
view.period_caption(current, comparison)

every_region = current.replace(regions=None)
several_regions = len(all_regions) > 1
# the first screen's data at once; the sections below ask for theirs when they are opened
data = fetch(
    by_hall=ask("metrics_by_group", current, group_1="hall", group_2=None),
    previous=ask("metrics_by_group", comparison, group_1="hall", group_2=None) if comparison else None,
    regions=ask("metrics_by_group", current, group_1="region", group_2=None),
)
if data["by_hall"].empty:
    st.info(t("regional.no_visits", first=formatting.day(date_from), last=formatting.day(date_to)))
    elsewhere(base["reported"], regions)
    st.stop()
league = regional.league_table(halls, data["by_hall"], data["previous"], data["regions"], min_n, regions)

# --- league table (a store manager's one hall: its place among anonymised peers instead) ------
one_hall = len(league) == 1
if one_hall:
    peers_section(league["hall_id"].iloc[0], date_from, date_to)
    st.subheader(t("regional.league.own_title"))
else:
    st.subheader(t("regional.league.title"))
    st.caption(t("regional.league.caption", min_n=formatting.number(min_n)))
    view.worst_summary(regional.worst(league))
LAZY_SECTIONS = ("regional_open_trends", "regional_open_regions")  # they show the league's choices too


@fragment
def league_section(league, current, comparison, min_n, one_hall) -> None:
    """The table's columns and sort metric rerun this section alone (and the sections below
    that show them, when open)."""
    c_details, c_metric = st.columns([3, 2])
    with c_details:
        details = view.detail_control()
    with c_metric:
        trend_metric = view.trend_metric_control()
    chosen, drawn = (tuple(details), trend_metric), st.session_state.get("_regional_league_choice")
    st.session_state["_regional_league_choice"] = chosen
    if drawn is not None and drawn != chosen and any(st.session_state.get(k) for k in LAZY_SECTIONS):
        st.rerun()  # an open section below shows the old columns or metric: the whole page
    grain = regional.trend_grain(current, trend_metric)
    league = regional.sorted_by_rank(league, trend_metric)
    if not one_hall:
        st.caption(t("regional.league.sorted", metric=METRICS[trend_metric].label))
    drill_slot = st.container()  # the chosen hall's link goes above the table, where the eye is
    trend_rows = run("metrics_by_group", current, group_1="hall", group_2=grain)
    trend = regional.trend_frame(trend_rows, league, trend_metric, min_n)
    picked = view.table_view(
        league, [d for d in details if d != "rank"] if one_hall else details,
        regional.sparklines(trend, league["hall_id"]), trend_metric, min_n, comparison, key="regional_league",
    )
    with drill_slot:
        view.drill_down(league, picked)
    view.export_buttons(league, current)


league_section(league, current, comparison, min_n, one_hall)


# --- below the first screen: each section drawn (and asked for) only while it is open -----------
@fragment
def quadrant_section(league) -> None:
    with lazy_section(t("regional.quadrant.title"), "regional_open_quadrant") as box:
        if not box.open:
            return
        st.caption(t("regional.quadrant.caption"))
        show_chart(charts.quadrant(regional.quadrant(league), t("regional.quadrant.chart")))


@fragment
def trends_section(league, current, min_n) -> None:
    with lazy_section(t("regional.dist.title"), "regional_open_trends") as box:
        if not box.open:
            return
        trend_metric = view.trend_metric_value()
        grain = regional.trend_grain(current, trend_metric)
        league = regional.sorted_by_rank(league, trend_metric)
        data = fetch(
            trend=ask("metrics_by_group", current, group_1="hall", group_2=grain),
            waits=ask("regional_wait_distribution", current),
            region_trend=ask("metrics_by_group", current, group_1="region", group_2=grain),
        )
        trend = regional.trend_frame(data["trend"], league, trend_metric, min_n)
        boxes = regional.wait_boxes(data["waits"], league, min_n)
        show_chart(charts.wait_boxes(boxes.head(regional.MAX_HALLS_DRAWN), t("regional.box.title")))
        if len(boxes) > regional.MAX_HALLS_DRAWN:
            st.caption(t("regional.box.capped", shown=formatting.number(regional.MAX_HALLS_DRAWN),
                         total=formatting.number(len(boxes))))
        region_trend = regional.trend_frame(
            data["region_trend"],
            league[["region"]].drop_duplicates(), trend_metric, min_n, id_column="region",
        )
        panel_halls = regional.trend_panel_halls(league, trend_metric)
        show_chart(
            charts.trend_small_multiples(
                trend, region_trend, regional.hall_regions(league),
                regional.hall_targets(league, trend_metric), trend_metric,
                t("regional.trend.title", metric=METRICS[trend_metric].label,
                  grain=t(f"regional.trend.grain.{grain}")),
                hall_ids=panel_halls,
            )
        )
        if len(panel_halls) < len(league):
            st.caption(t("regional.trend.panels_capped", shown=formatting.number(len(panel_halls)),
                         total=formatting.number(len(league)), metric=METRICS[trend_metric].label))
        st.caption(t("regional.trend.caption", min_n=formatting.number(min_n)))


# region against region (for users who see more than one)
@fragment
def regions_section(every_region, comparison, min_n) -> None:
    with lazy_section(t("regional.regions.title"), "regional_open_regions") as box:
        if not box.open:
            return
        st.caption(t("regional.regions.caption"))
        data = fetch(
            every_region=ask("metrics_by_group", every_region, group_1="region", group_2=None),
            every_region_before=(
                ask("metrics_by_group", comparison.replace(regions=None), group_1="region", group_2=None)
                if comparison else None
            ),
            network=ask("metrics_by_group", every_region, group_1=None, group_2=None),
        )
        details = view.detail_value()
        by_region = regional.region_table(data["every_region"], data["every_region_before"], data["network"], min_n)
        view.table_view(by_region, details, None, None, min_n, comparison, key="regional_regions_table",
                        entity="region")
        show_chart(
            charts.quadrant(
                regional.quadrant(by_region, label_column="region"), t("regional.regions.quadrant"), legend=False
            )
        )


@fragment
def key_moments_section(league, current, min_n) -> None:
    with lazy_section(t("regional.moments.title"), "regional_open_moments") as box:
        if not box.open:
            return
        rows = run("regional_key_moments", current)
        table = key_moments.by_hall(rows, dict(zip(league["hall_id"], league["hall_name"])), min_n)
        if table.empty:
            st.info(t("regional.moments.none"))
            return
        st.caption(t("regional.moments.caption", min_n=formatting.number(min_n)))
        partial = key_moments.partial_moments(rows)
        if partial:
            st.caption(t("regional.moments.partial", moments=t("data.list_sep").join(partial)))
        unrated = moment_table.unrated(rows)
        if unrated:
            st.caption(t("regional.moments.unrated", moments=t("data.list_sep").join(unrated)))
        view.key_moments_table(table, key_moments.column_help(rows))


quadrant_section(league)
key_moments_section(league, current, min_n)
trends_section(league, current, min_n)
if several_regions:
    regions_section(every_region, comparison, min_n)
