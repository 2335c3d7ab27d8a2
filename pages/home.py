"""Network overview: what is loaded, and the network's headline numbers against targets."""

import streamlit as st

from peakend.core import formatting
from peakend.core.filters import VisitFilter
from peakend.core.i18n import t
from peakend.core.metrics import METRICS, shown_on
from peakend.insights.attention_widgets import needs_attention_section
from peakend.reports.widgets import elsewhere
from peakend.ui.answers import ask, fetch, run
from peakend.ui.cards import metric_card
from peakend.ui.controls import period_control
from peakend.ui.layout import TILES_KEY

st.title(t("home.title"))

summary = run("dataset_summary").iloc[0]
reported = run("periods_halls")  # the other kind of data, kept apart: a link to its page
if not summary["visits"]:
    st.info(t("home.empty"))
    elsewhere(reported)
    st.stop()

st.caption(
    t(
        "home.loaded",
        halls=formatting.counted(summary["halls"], "hall"),
        regions=formatting.counted(summary["regions"], "region"),
        cities=formatting.counted(summary["cities"], "city"),
        visits=formatting.counted(summary["visits"], "visit"),
        first=formatting.day(summary["first_day"]),
        last=formatting.day(summary["last_day"]),
        last_load=summary["last_load_at"].strftime("%Y-%m-%d %H:%M") if summary["last_load_at"] is not None else "–",
    )
)
elsewhere(reported)

# the session's one period, as on every page (a first visit starts on the last 30 days)
with st.columns(2)[0]:  # half the width on a desk; stacked on a phone
    chosen = period_control(summary["last_day"], summary["first_day"], default="last_30_days")
period = VisitFilter(date_from=chosen.start, date_to=chosen.end)
comparison = period.replace(date_from=chosen.compare_start, date_to=chosen.compare_end) if chosen.compared else None
data = fetch(
    current=ask("metrics_by_group", period, group_1=None, group_2=None),
    previous=ask("metrics_by_group", comparison, group_1=None, group_2=None) if comparison else None,
    targets=ask("network_targets"),
)
current = data["current"].iloc[0]
previous = data["previous"].iloc[0] if data["previous"] is not None and len(data["previous"]) else None
targets = data["targets"].iloc[0]

st.subheader(t("home.headline", first=formatting.day(chosen.start), last=formatting.day(chosen.end)))
st.caption(t("home.headline_note"))
home_cards = shown_on("home")
# the queue on one row, the ratings on the next; two to a row on a phone
for row, row_keys in enumerate(
    ([k for k in home_cards if not METRICS[k].rating], [k for k in home_cards if METRICS[k].rating])
):
    with st.container(key=f"{TILES_KEY}_home_{row}"):
        for column, key in zip(st.columns(len(row_keys)), row_keys):
            with column:
                metric_card(key, current, previous, targets)

# halls in the user's scope that missed a target in the period, and what kind of problem
needs_attention_section(period, comparison or period.previous_period())
