"""Hourly reports: the second kind of data (one row per hall x period, as queue systems and
public offices publish it). What it supports, labelled as what it is; what it can't show,
said in a sentence."""

import streamlit as st

from peakend.core.halls import first_row
from peakend.core.i18n import t
from peakend.reports import charts
from peakend.reports import logic as reports
from peakend.reports import widgets as ui
from peakend.ui.answers import ask, fetch, run
from peakend.ui.charts import show as show_chart
from peakend.ui.controls import period_control

st.title(t("reports.title"))

halls = run("periods_halls")
if halls.empty:
    st.info(t("reports.empty"))
    st.stop()
st.info(t("reports.cannot"), icon=":material/info:")

# --- controls ---------------------------------------------------------------------------------
c_region, c_hall, c_period = st.columns([3, 3, 4])
with c_region:
    region = ui.region_picker(halls)
with c_hall:
    hall_id = ui.hall_picker(halls, region)
with c_period:
    mine = reports.halls_of(halls, region, hall_id)
    chosen = period_control(mine["last_day"].max(), mine["first_day"].min(), default="last_30_days",
                            key="reports_period", compare=False)
selection = reports.period_filter(region, hall_id, chosen.start, chosen.end)

data = fetch(
    summary=ask("periods_summary", selection),
    heatmap=ask("periods_heatmap", selection),
    trend=ask("periods_trend", selection),
    league=ask("periods_league", selection),
)
summary = first_row(data["summary"])
measures = reports.measures_present(summary) if summary is not None else []
if not measures:
    st.info(t("reports.no_rows"))
    st.stop()

# --- what the numbers are and where they came from --------------------------------------------
st.markdown(reports.source_sentence(summary, mine, hall_id))
ui.cards(summary, measures)
measure = ui.measure_picker(measures)
st.caption(reports.metric(measure).help)

# --- when in the week, and how it went ---------------------------------------------------------
show_chart(charts.heatmap(data["heatmap"], measure))
show_chart(charts.trend(data["trend"], measure))

# --- the halls side by side --------------------------------------------------------------------
if hall_id is None:
    st.subheader(t("reports.league.title", measure=reports.metric(measure).label))
    ui.league(data["league"], measure)
