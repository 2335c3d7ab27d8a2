"""Network overview: what is loaded, and the network's headline numbers against targets."""

import streamlit as st

from peakend.core import formatting
from peakend.core.filters import VisitFilter, period_preset
from peakend.core.i18n import t
from peakend.core.metrics import METRICS, shown_on
from peakend.insights.attention_widgets import needs_attention_section
from peakend.ui.answers import ask, fetch, run
from peakend.ui.cards import metric_card

st.title(t("home.title"))

summary = run("dataset_summary").iloc[0]
if not summary["visits"]:
    st.info(t("home.empty"))
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

date_from, date_to = period_preset("last_30_days", summary["last_day"])
period = VisitFilter(date_from=date_from, date_to=date_to)
data = fetch(
    current=ask("metrics_by_group", period, group_1=None, group_2=None),
    previous=ask("metrics_by_group", period.previous_period(), group_1=None, group_2=None),
    targets=ask("network_targets"),
)
current = data["current"].iloc[0]
previous = data["previous"].iloc[0] if len(data["previous"]) else None
targets = data["targets"].iloc[0]

st.subheader(
    t("home.headline", first=formatting.day(date_from), last=formatting.day(date_to))
)
st.caption(t("home.headline_note"))
home_cards = shown_on("home")
# the queue on one row, the ratings on the next
for row_keys in ([k for k in home_cards if not METRICS[k].rating], [k for k in home_cards if METRICS[k].rating]):
    for column, key in zip(st.columns(len(row_keys)), row_keys):
        with column:
            metric_card(key, current, previous, targets)

# halls in the user's scope that missed a target in the last 7 days, and what kind of problem
needs_attention_section(summary["last_day"])
