"""Controls several pages share: the period (with its comparison) and the hall picker.

Each reads its first value from the URL and is written back by the page through
url_state.write, so a drill-down link opens the same hall and period.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from peakend.core import links, periods
from peakend.core.i18n import t
from peakend.core.periods import CUSTOM, Period
from peakend.core.safe_text import md
from peakend.ui import url_state

_KEPT = "_kept_"  # prefix of the plain session values that keep the period's widgets' choice


def _keep(*keys: str) -> None:
    for k in keys:
        if k in st.session_state:
            st.session_state[_KEPT + k] = st.session_state[k]


def period_control(
    last_day: date,
    first_day: date,
    default: str = "last_7_days",
    key: str = "period",
    compare: bool = True,
    hall_name: str | None = None,
    network_last_day: date | None = None,
) -> Period:
    """The app's one period: a preset counted back from the data's last day (or a custom
    range) and, with compare=True, the period it is compared with (peakend.core.periods).

    The choice is the user's for the whole session: the same keys on every page, kept
    across page changes (persist_state="session"), and in the URL: ?period=<preset> or
    ?from=YYYY-MM-DD&to=YYYY-MM-DD, and ?compare=<kind> when not the preset's natural one.
    A link's values count on a session's first visit; after that the session's choice does.

    `hall_name` and `network_last_day`: the presets of one hall whose data ends before the
    network's count back from the hall's own last day, and a note says so.
    """
    last_day, first_day = periods.as_date(last_day), periods.as_date(first_day)
    with_year = last_day.year != date.today().year
    options = list(periods.PRESETS) + [CUSTOM]
    range_key, compare_key = f"{key}_range", f"{key}_compare"
    # The session's choice also lives in plain session values, put back before the widgets
    # are drawn: Streamlit's own keeping of a widget's value across pages (persist_state)
    # fell back to the first option ("Yesterday") on a switch from the overview to the
    # regional page.
    for k in (key, range_key, compare_key):
        if st.session_state.get(_KEPT + k) is not None:
            st.session_state[k] = st.session_state[_KEPT + k]
    url_from = url_state.read(links.DATE_FROM, date.fromisoformat)
    url_to = url_state.read(links.DATE_TO, date.fromisoformat)
    url_preset = url_state.read(links.PERIOD, str, lambda v: v in options)
    if url_from and url_to and url_from <= url_to:
        url_state.seed(key, CUSTOM)
        url_state.seed(range_key, (url_from, url_to))
    else:
        url_state.seed(key, url_preset or default)
    url_compare = url_state.read(
        links.COMPARE, lambda v: periods.OLD_COMPARISONS.get(v, v), lambda v: v in periods.COMPARISONS
    )
    url_state.seed(compare_key, url_compare)

    def preset_changed() -> None:  # a new preset starts from its natural comparison
        st.session_state[compare_key] = periods.default_comparison(st.session_state[key])
        _keep(key, compare_key)

    # labels made now, in this run's language (a format_func called later, as AppTest does,
    # would not know the run's language)
    preset_labels = {p: periods.preset_label(p, last_day, year=with_year) for p in options}
    choice = st.selectbox(
        t("controls.period"),
        options,
        key=key,
        persist_state="session",
        on_change=preset_changed,
        format_func=preset_labels.__getitem__,
    )
    custom = None
    if choice == CUSTOM:
        kept = st.session_state.get(range_key)
        if not (isinstance(kept, (tuple, list)) and kept and all(first_day <= d <= last_day for d in kept)):
            # another hall's range, or a link's beyond this data: the default preset's days,
            # kept inside the data (a hall with a few days of data has fewer than the preset's;
            # a value outside the picker's bounds is an error, not a picker)
            if url_from and url_to and isinstance(kept, (tuple, list)) and tuple(kept) == (url_from, url_to):
                # the link's own dates, partly or wholly beyond this hall's data: kept inside
                # it, and the dates not kept are named (not swapped in silence)
                start, end = periods.preset_range(default, last_day)
                if url_from <= last_day and url_to >= first_day:
                    start, end = url_from, url_to
                if start != url_from or start < first_day:
                    url_state.note_dropped(links.DATE_FROM, url_from.isoformat())
                if end != url_to or end > last_day:
                    url_state.note_dropped(links.DATE_TO, url_to.isoformat())
            else:
                start, end = periods.preset_range(default, last_day)
            start, end = max(start, first_day), min(end, last_day)
            st.session_state[range_key] = (start, end) if start <= end else (first_day, last_day)
        picked = st.date_input(
            t("controls.custom_range"),
            key=range_key,
            persist_state="session",
            on_change=_keep,
            args=(range_key,),
            min_value=first_day,
            max_value=last_day,
            format="YYYY-MM-DD",
        )
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            custom = tuple(picked)
        else:  # the user has clicked only the first day so far
            day = picked[0] if isinstance(picked, (tuple, list)) and picked else last_day
            custom = (day, day)
    period = periods.resolve(choice, last_day, first_day, st.session_state.get(compare_key), custom)
    if compare:
        offered = periods.comparisons_offered(period.preset, period.start, period.end, first_day)
        st.session_state[compare_key] = period.comparison  # a kind the data doesn't reach falls back
        compare_labels = {kind: periods.comparison_label(kind, period, year=with_year) for kind in offered}
        st.selectbox(
            t("controls.comparison"),
            offered,
            key=compare_key,
            persist_state="session",
            on_change=_keep,
            args=(compare_key,),
            format_func=compare_labels.__getitem__,
        )
    _keep(key, range_key, compare_key)
    natural = periods.resolve(period.preset, last_day, first_day, None, custom).comparison
    if choice == CUSTOM:
        url_state.write(**{links.PERIOD: None, links.DATE_FROM: period.start, links.DATE_TO: period.end})
    else:
        url_state.write(**{links.PERIOD: choice, links.DATE_FROM: None, links.DATE_TO: None})
    url_state.write(**{links.COMPARE: None if not compare or period.comparison == natural else period.comparison})
    if network_last_day is not None and last_day < periods.as_date(network_last_day):
        st.caption(
            t(
                "controls.own_last_day",
                hall=md(hall_name or ""),
                day=periods.short_day(last_day, weekday=True, year=True),
            )
        )
    return period


def hall_picker(halls, key: str = "hall") -> str | None:
    """Pick one hall among those in scope (a DataFrame with hall_id, hall_name, region).

    A user with one hall lands on it. URL: ?hall=ID (an out-of-scope id is dropped).
    """
    if halls.empty:
        st.warning(t("controls.no_halls"))
        return None
    ids = list(halls["hall_id"])
    names = dict(zip(halls["hall_id"], halls["hall_name"] + " · " + halls["region"]))
    url_state.seed(key, url_state.read(links.HALL, str, lambda v: v in names))
    if len(ids) == 1:
        st.session_state[key] = ids[0]
    hall_id = st.selectbox(
        t("controls.hall"),
        ids,
        key=key,
        format_func=lambda h: names.get(h, h),
        disabled=len(ids) == 1,
    )
    url_state.write(**{links.HALL: hall_id})
    return hall_id


def show_dropped_url_values() -> None:
    """Say which link values were ignored (unknown hall, a date that doesn't parse...)."""
    for name, raw in url_state.dropped().items():
        st.warning(t("controls.url_dropped", name=md(name), value=md(raw)))
