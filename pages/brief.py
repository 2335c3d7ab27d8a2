"""The morning brief (晨会简报): a hall's last day of data on one phone screen, and the PDFs
to print for the morning meeting and the back-office wall."""

import streamlit as st

from peakend.brief import logic as brief
from peakend.brief import widgets as view
from peakend.core import formatting
from peakend.core.halls import data_days, hall_row
from peakend.core.i18n import t
from peakend.core.safe_text import md
from peakend.ui.answers import ask, fetch, run
from peakend.ui.controls import hall_picker, show_dropped_url_values
from peakend.ui.subscriptions import subscriptions_box

st.title(t("nav.brief"))
st.caption(t("brief.page.intro"))

base = fetch(summary=ask("dataset_summary"), halls=ask("halls_in_scope"))
summary = base["summary"].iloc[0]
halls = base["halls"]

# --- controls ---------------------------------------------------------------------------------
hall_id = hall_picker(halls)
show_dropped_url_values()
if hall_id is None or not summary["visits"]:
    st.info(t("brief.page.no_hall") if summary["visits"] else t("hall.empty_db"))
    st.stop()
first_day, last_day = data_days(halls, hall_id, summary)
period = view.period_controls(first_day, last_day)
hall = hall_row(halls, hall_id)

# --- the brief, then its PDFs ------------------------------------------------------------------
the_brief = brief.gather(run, hall, period)
if the_brief.current is None:
    st.info(t("brief.page.no_data", hall=md(hall["hall_name"]), day=formatting.day(period.end)))
else:
    view.show(the_brief)
view.downloads(halls, hall_id, period, region_halls=int((halls["region"] == hall["region"]).sum()))
subscriptions_box(hall_id, hall["hall_name"])  # the brief by e-mail, every morning
