"""Controls several pages share: the period (with its comparison) and the hall picker.

Each reads its first value from the URL and is written back by the page through
url_state.write, so a drill-down link opens the same hall and period.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from peakend import formatting
from peakend.filters import PERIOD_PRESETS, as_date, period_preset
from peakend.i18n import t
from peakend.ui import url_state
from peakend.safe_text import md

CUSTOM = "custom"


def period_control(
    last_day: date, first_day: date, default: str = "last_7_days", key: str = "period",
    caption: bool = True,
) -> tuple[date, date]:
    """A period preset (or a custom range) anchored on the data's last day.

    URL: ?period=<preset> or ?from=YYYY-MM-DD&to=YYYY-MM-DD. `caption=False` leaves out the
    "compared with the period before" line, for a page that lets the user pick another
    comparison and says so itself.
    """
    last_day, first_day = as_date(last_day), as_date(first_day)
    options = list(PERIOD_PRESETS) + [CUSTOM]
    url_from = url_state.read("from", date.fromisoformat)
    url_to = url_state.read("to", date.fromisoformat)
    url_preset = url_state.read("period", str, lambda v: v in options)
    if url_from and url_to and url_from <= url_to:
        url_state.seed(key, CUSTOM)
        url_state.seed(f"{key}_range", (url_from, url_to))
    else:
        url_state.seed(key, url_preset or default)
    choice = st.selectbox(
        t("controls.period"), options, key=key, format_func=lambda p: t(f"period.{p}")
    )
    if choice == CUSTOM:
        url_state.seed(f"{key}_range", period_preset(default, last_day))
        picked = st.date_input(
            t("controls.custom_range"), key=f"{key}_range",
            min_value=first_day, max_value=last_day, format="YYYY-MM-DD",
        )
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            start, end = picked
        else:  # the user has clicked only the first day so far
            start = end = picked[0] if isinstance(picked, (tuple, list)) and picked else last_day
        url_state.write(period=None, **{"from": start, "to": end})
    else:
        start, end = period_preset(choice, last_day)
        url_state.write(period=choice, **{"from": None, "to": None})
    if caption:
        st.caption(t("controls.period_is", first=formatting.day(start), last=formatting.day(end)))
    return start, end


def hall_picker(halls, key: str = "hall") -> str | None:
    """Pick one hall among those in scope (a DataFrame with hall_id, hall_name, region).

    A user with one hall lands on it. URL: ?hall=ID (an out-of-scope id is dropped).
    """
    if halls.empty:
        st.warning(t("controls.no_halls"))
        return None
    ids = list(halls["hall_id"])
    names = dict(zip(halls["hall_id"], halls["hall_name"] + " · " + halls["region"]))
    url_state.seed(key, url_state.read("hall", str, lambda v: v in names))
    if len(ids) == 1:
        st.session_state[key] = ids[0]
    hall_id = st.selectbox(
        t("controls.hall"), ids, key=key, format_func=lambda h: names.get(h, h),
        disabled=len(ids) == 1,
    )
    url_state.write(hall=hall_id)
    return hall_id


def show_dropped_url_values() -> None:
    """Say which link values were ignored (unknown hall, a date that doesn't parse...)."""
    for name, raw in url_state.dropped().items():
        st.warning(t("controls.url_dropped", name=md(name), value=md(raw)))
