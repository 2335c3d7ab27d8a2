"""Insights: what to fix first in a hall, how many counters each hour needs, whether the
peak-end rule holds here and how long people wait before the peak suffers."""

import streamlit as st

from peakend.core import formatting
from peakend.core.halls import data_days, first_row, hall_row
from peakend.core.i18n import purpose_labels, t
from peakend.core.metrics import MIN_RATINGS_DEFAULT
from peakend.core.safe_text import md
from peakend.insights import charts, journey_check, moments, peak_end, staffing, text, tolerance
from peakend.insights import widgets as view
from peakend.regional.peer_widgets import peers_section
from peakend.ui.answers import ask, fetch, run
from peakend.ui.charts import show as show_chart
from peakend.ui.controls import hall_picker, period_control, show_dropped_url_values
from peakend.ui.sections import fragment, lazy_section

st.title(t("insights.title"))
st.caption(t("insights.intro"))

base = fetch(summary=ask("dataset_summary"), halls=ask("halls_in_scope"))
summary = base["summary"].iloc[0]
if not summary["visits"]:
    st.info(t("insights.empty"))
    st.stop()

# --- controls ---------------------------------------------------------------------------------
halls = base["halls"]
c_hall, c_period = st.columns(2)
with c_hall:
    hall_id = hall_picker(halls)
with c_period:
    first_day, last_day = data_days(halls, hall_id, summary)
    chosen = period_control(
        last_day, first_day, default="last_30_days", compare=False,
        hall_name=hall_row(halls, hall_id)["hall_name"] if hall_id else None, network_last_day=summary["last_day"],
    )
date_from, date_to = chosen.start, chosen.end
show_dropped_url_values()
if hall_id is None:
    st.stop()
hall = hall_row(halls, hall_id)
first, last = formatting.day(date_from), formatting.day(date_to)
st.caption(t("insights.period_is", hall=md(hall["hall_name"]), region=md(hall["region"]), first=first, last=last))

# --- 1. what to fix first -----------------------------------------------------------------------
st.header(t("insights.todo.title"))
hall_period = view.area_filter("hall", hall, date_from, date_to)
first_data = fetch(
    region_rows=ask(
        "insights_moments", view.area_filter("region", hall, date_from, date_to), median_hall=hall_id
    ),
    weekdays=ask("metrics_by_group", hall_period, group_1="weekday", group_2=None),
    journey=ask("hall_journey_moments", hall_id=hall_id),
)
region_rows = first_data["region_rows"]
lines, bench = moments.todo_list(region_rows, hall_id, hall, MIN_RATINGS_DEFAULT, journey=first_data["journey"])
st.markdown(t("insights.todo.model"))
st.caption(text.benchmark_sentence(bench, md(hall["hall_name"]), md(hall["region"]), MIN_RATINGS_DEFAULT,
                                   moments.MIN_BENCHMARK_HALLS))
own_bar = text.own_bar_sentence(lines, bench, moments.MIN_BENCHMARK_HALLS)
if own_bar:
    st.caption(md(own_bar))
todo = text.todo_sentences(lines, MIN_RATINGS_DEFAULT)
if todo:
    st.markdown("\n".join(todo))
    show_chart(charts.moment_gains(text.gains_frame(lines), hall["hall_name"]))
else:
    st.info(text.nothing_to_rank(lines, bench.kind))
others = text.other_moment_sentences(lines, MIN_RATINGS_DEFAULT)
if others:
    st.markdown("\n".join(f"- {s}" for s in others))
with st.expander(t("insights.todo.evidence")):
    st.dataframe(text.evidence_frame(lines), hide_index=True, column_config=view.evidence_columns(), placeholder="–")
    st.caption(t("insights.todo.evidence_note"))
    st.caption(t("insights.method.todo"))
view.tasks_box(hall_id, {line.moment: text.line_label(line) for line in lines}, last_day)
peers_section(hall_id, date_from, date_to)

# --- 2. staffing what-if (its controls rerun this section alone) ---------------------------------
@fragment
def staffing_section(hall, hall_period, weekdays) -> None:
    st.header(t("insights.staffing.title"))
    weekday, what_if = view.staffing_controls(hall, staffing.busiest_weekday(weekdays))
    day = hall_period.replace(weekdays=(weekday,))
    day_data = fetch(
        arrivals=ask("hall_arrivals_by_hour", day),
        hours=ask("metrics_by_group", day, group_1="hour", group_2=None),
        whole_day=ask("metrics_by_group", day, group_1=None, group_2=None),
        observed=ask("hall_service_level_by_hour", day, wait_target_s=what_if.wait_target_s),
    )
    table = staffing.staffing_table(
        day_data["arrivals"], day_data["hours"], first_row(day_data["whole_day"]), what_if, hall["counters"],
        day_data["observed"],
    )
    st.markdown("\n".join(f"- {s}" for s in text.staffing_sentences(
        table, md(hall["hall_name"]), weekday, what_if.service_level_target, what_if.wait_target_min,
        hall["counters"], staffing.position_basis(day_data["arrivals"]))))
    if not table.empty:
        weekday_name = text.weekday_name(weekday)
        show_chart(charts.staffing(table, hall["hall_name"], weekday_name, hall["counters"]))
        st.dataframe(view.staffing_styled(text.staffing_frame(table), table["status"]), hide_index=True,
                     column_config=view.staffing_columns(), height="content", placeholder="–",
                     key="insights_staffing_table")
    st.caption(t("insights.staffing.note", min_served=formatting.number(staffing.MIN_SERVED_FOR_HOUR)))


staffing_section(hall, hall_period, first_data["weekdays"])


# --- 3. and 4.: the area the statistics cover, then two sections drawn only while open ------------
# (the area control and opening either section rerun this part alone)
@fragment
def area_sections(hall, halls) -> None:
    level = view.level_control(hall, halls)
    place = view.place_name(level, hall, halls)
    area = view.area_filter(level, hall, date_from, date_to)

    # --- 3. does the peak-end rule hold here? ------------------------------------------------------
    with lazy_section(t("insights.rule.title"), "insights_open_rule") as box:
        if box.open:
            rule_data = fetch(covariance=ask("insights_rating_covariance", area),
                              journey=ask("insights_all_moments", area))
            verdict = peak_end.analyse(peak_end.Summary.from_row(rule_data["covariance"].iloc[0]))
            journey = rule_data["journey"].iloc[0]
            st.markdown("\n\n".join([*text.rule_sentences(verdict, md(place)),
                                      text.journey_sentence(journey_check.check(journey), int(journey["visits"]))]))
            if verdict.full is not None:
                effects = text.effects_frame(verdict)
                show_chart(charts.effects(effects, place))
                st.dataframe(effects, hide_index=True, column_config=view.effects_columns(),
                             column_order=view.EFFECTS_ORDER, placeholder="–")
            st.caption(t("insights.rule.basis", place=md(place), first=first, last=last,
                         n=formatting.number(verdict.n)))
            with st.expander(t("insights.method.label")):
                st.caption(t("insights.method.rule"))

    # --- 4. wait tolerance ----------------------------------------------------------------------------
    with lazy_section(t("insights.tolerance.title"), "insights_open_tolerance") as box:
        if box.open:
            tolerance_section(hall, area, place)


@fragment
def tolerance_section(hall, area, place) -> None:
    """The moment and purpose pickers rerun this section alone."""
    journey = run("hall_journey_moments", hall_id=hall["hall_id"])
    read = view.read_moment_control(tolerance.read_moments(journey))
    words = text.tolerance_words(read)
    area_data = fetch(
        tolerance=ask("insights_wait_tolerance", area, max_wait_min=tolerance.MAX_WAIT_MIN, moment=read.code),
        purposes=ask("purposes"),
    )
    target, wait_target = read.target(hall), float(hall["wait_target_min"])
    results = tolerance.fit_purposes(area_data["tolerance"], target)
    labels = purpose_labels(area_data["purposes"])
    st.caption(t("insights.tolerance.about", place=md(place), first=first, last=last, hall=md(hall["hall_name"]),
                 score=md(words["score"])))
    if read.scale != (1, 5):
        st.caption(t("insights.tolerance.on_five", moment=md(words["moment"]), low=read.scale[0], high=read.scale[1]))
    if not results:
        st.info(t("insights.tolerance.no_ratings", place=md(place), score=md(words["score"])))
        return
    st.dataframe(text.tolerance_frame(results, labels, wait_target), hide_index=True,
                 column_config=view.tolerance_columns(), placeholder="–")
    for note in (text.no_knee_note(results, read), text.beyond_note(results)):
        if note:
            st.caption(note)
    tol = view.purpose_control(results, labels)
    label = labels.get(tol.purpose, tol.purpose)
    st.markdown("\n".join(f"- {s}" for s in text.tolerance_sentences(tol, md(label), target, wait_target, read)))
    if tol.kind != "thin":  # a handful of dots says nothing the sentence doesn't
        show_chart(charts.tolerance(tol, label, place, target, wait_target, words["score"]))
    with st.expander(t("insights.method.label")):
        st.caption(t("insights.method.tolerance"))


area_sections(hall, halls)
