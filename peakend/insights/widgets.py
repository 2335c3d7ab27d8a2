"""Streamlit pieces of the insights page that are not charts: its controls (the area the
statistics cover, the staffing what-if), the columns of its tables, and the hall's tasks."""

from __future__ import annotations

from datetime import date
from typing import cast

import pandas as pd
import streamlit as st

from peakend.core import formatting
from peakend.core.filters import VisitFilter
from peakend.core.i18n import t
from peakend.core.safe_text import md
from peakend.insights.effect import effect
from peakend.insights.staffing import WhatIf
from peakend.insights.text import effect_sentence, task_line, task_moment, tolerance_words, weekday_name
from peakend.insights.tolerance import ReadMoment
from peakend.ui import url_state
from peakend.ui.answers import run
from peakend.ui.auth import current_user
from peakend.ui.session import database
from peakend.warehouse.day_notes import WRITERS
from peakend.warehouse.tasks import TaskError, add_task, close_task

LEVELS = ("hall", "region", "all")
WEEKDAYS = tuple(range(1, 8))  # ISO, Monday first
SERVICE_CHANGES = tuple(range(-50, 55, 5))  # percent


# --- the area the statistics cover --------------------------------------------------------------
def level_options(hall, halls: pd.DataFrame) -> list[str]:
    """This hall, its region, all halls in view: only the levels that add halls."""
    options = ["hall"]
    in_region = int((halls["region"] == hall["region"]).sum())
    if in_region > 1:
        options.append("region")
    if len(halls) > in_region:
        options.append("all")
    return options


def level_control(hall, halls: pd.DataFrame) -> str:
    """URL: ?level=hall|region|all."""
    options = level_options(hall, halls)
    url_state.seed("insights_level", url_state.read("level", str, lambda v: v in LEVELS))
    if st.session_state.get("insights_level") not in options:
        st.session_state["insights_level"] = "hall"
    level = st.segmented_control(
        t("insights.level.label"),
        options,
        key="insights_level",
        required=True,
        format_func=lambda v: t(f"insights.level.{v}"),
        help=t("insights.level.help"),
    )
    url_state.write(level=None if level == "hall" else level)
    return cast(str, level)  # required=True: never None


def area_filter(level: str, hall, date_from: date, date_to: date) -> VisitFilter:
    if level == "hall":
        return VisitFilter(date_from=date_from, date_to=date_to, halls=(hall["hall_id"],))
    if level == "region":
        return VisitFilter(date_from=date_from, date_to=date_to, regions=(hall["region"],))
    return VisitFilter(date_from=date_from, date_to=date_to)


def place_name(level: str, hall, halls: pd.DataFrame) -> str:
    if level == "hall":
        return hall["hall_name"]
    if level == "region":
        n = int((halls["region"] == hall["region"]).sum())
        return t("insights.level.region_place", region=hall["region"], n=formatting.number(n))
    return t("insights.level.all_place", n=formatting.number(len(halls)))


# --- staffing what-if -----------------------------------------------------------------------------
WAIT_UNITS = ("s", "min")  # the wait target in seconds (a call centre's 20 s) or minutes


def staffing_controls(hall, default_weekday: int) -> tuple[int, WhatIf]:
    """Weekday (URL ?weekday=1..7) and the what-if: service-level target, wait target and a
    change in service time. The what-if starts from the hall's own targets; its keys carry
    the hall, so choosing another hall starts again from that hall's targets."""
    hall_id = hall["hall_id"]
    url_state.seed("insights_weekday", url_state.read("weekday", int, lambda v: v in WEEKDAYS))
    if "insights_weekday" not in st.session_state:
        st.session_state["insights_weekday"] = default_weekday
    c_day, c_level, c_wait, c_unit, c_service = st.columns([2, 3, 2, 1, 3])
    with c_day:
        weekday = st.selectbox(
            t("insights.staffing.weekday"), WEEKDAYS, key="insights_weekday", format_func=weekday_name
        )
    with c_level:
        level = st.slider(
            t("insights.staffing.level"),
            50,
            99,
            round(float(hall["service_level_target"]) * 100),
            step=1,
            format="%d%%",
            key=f"insights_level_target_{hall_id}",
            help=t("insights.staffing.level_help"),
        )
    hall_wait_min = float(hall["wait_target_min"])
    with c_unit:
        unit = st.selectbox(
            t("insights.staffing.wait_unit"),
            WAIT_UNITS,
            index=0 if hall_wait_min < 2 else 1,
            format_func=lambda u: t(f"data.targets.unit.{u}"),
            key=f"insights_wait_unit_{hall_id}",
        )
    with c_wait:
        if unit == "s":
            wait = st.number_input(
                t("insights.staffing.wait"),
                min_value=1.0,
                max_value=7200.0,
                value=float(round(hall_wait_min * 60, 1)),
                step=5.0,
                format="%.0f",
                key=f"insights_wait_target_s_{hall_id}",
                help=t("insights.staffing.wait_help"),
            )
        else:
            wait = st.number_input(
                t("insights.staffing.wait"),
                min_value=0.1,
                max_value=120.0,
                value=float(hall_wait_min),
                step=0.5,
                format="%.1f",
                key=f"insights_wait_target_{hall_id}",
                help=t("insights.staffing.wait_help"),
            )
    with c_service:
        change = st.select_slider(
            t("insights.staffing.service_change"),
            SERVICE_CHANGES,
            value=0,
            format_func=lambda v: f"{v:+d}%" if v else t("insights.staffing.as_observed"),
            key=f"insights_service_change_{hall_id}",
            help=t("insights.staffing.service_change_help"),
        )
    url_state.write(weekday=weekday)
    if unit == "s":
        return weekday, WhatIf.seconds(level / 100, float(wait), change / 100)
    return weekday, WhatIf(level / 100, float(wait), change / 100)


# --- table columns ----------------------------------------------------------------------------------
# Counts with thousands separators ("localized"); other numbers with fixed decimals.
def effects_columns() -> dict:
    cc = st.column_config
    return {
        "label": cc.TextColumn(t("insights.rule.col.factor"), width=190),
        "unit": cc.TextColumn(t("insights.rule.col.unit"), width=110),
        "per_unit": cc.TextColumn(t("insights.rule.col.per_unit"), width=190),
        "typical_difference": cc.TextColumn(t("insights.rule.col.typical_difference"), width=125),
        "typical": cc.TextColumn(t("insights.rule.col.typical_effect"), width=190),
        "p": cc.TextColumn("p", width=60),
        "n": cc.NumberColumn("n", format="localized", width=60),
    }


EFFECTS_ORDER = ("label", "unit", "per_unit", "typical_difference", "typical", "p", "n")


def evidence_columns() -> dict:
    cc = st.column_config
    return {
        "moment": cc.TextColumn(t("insights.todo.col.moment")),
        "status": cc.TextColumn(t("insights.todo.col.status")),
        "value": cc.TextColumn(t("insights.todo.col.value")),
        "n": cc.NumberColumn(t("insights.todo.col.n"), format="localized"),
        "benchmark": cc.TextColumn(t("insights.todo.col.benchmark")),
        "share": cc.NumberColumn(t("insights.todo.col.share"), format="%.0f%%"),
        "unit": cc.TextColumn(t("insights.todo.col.unit")),
        "index_per_unit": cc.TextColumn(t("insights.todo.col.index_per_unit")),
        "nps_per_unit": cc.TextColumn(t("insights.todo.col.nps_per_unit")),
        "slope_n": cc.NumberColumn(t("insights.todo.col.slope_n"), format="localized"),
        "gain_index": cc.TextColumn(t("insights.todo.col.gain_index")),
        "gain_nps": cc.TextColumn(t("insights.todo.col.gain_nps")),
    }


def staffing_columns() -> dict:
    cc = st.column_config
    return {
        "hour": cc.TextColumn(t("insights.staffing.col.hour"), width=70),
        "status": cc.TextColumn(t("insights.staffing.col.status")),
        "arrivals_per_day": cc.NumberColumn(t("insights.staffing.col.arrivals"), format="%.1f"),
        "service_min": cc.NumberColumn(t("insights.staffing.col.service"), format="%.1f"),
        "traffic": cc.NumberColumn(t("insights.staffing.col.traffic"), format="%.2f"),
        "needed": cc.NumberColumn(t("insights.staffing.col.needed"), format="%d"),
        "in_use": cc.NumberColumn(t("insights.staffing.col.in_use"), format="%.1f"),
        "busy": cc.NumberColumn(t("insights.staffing.col.busy"), format="%.1f"),
        "expected_level": cc.NumberColumn(t("insights.staffing.col.expected_level"), format="%.1f%%"),
        "observed_service_level": cc.NumberColumn(t("insights.staffing.col.observed_level"), format="%.0f%%"),
        "wait_median_min": cc.NumberColumn(t("insights.staffing.col.wait_median"), format="%.1f"),
        "served": cc.NumberColumn(t("insights.staffing.col.served"), format="localized"),
    }


_STATUS_STYLE = {
    "under": "background-color: #fde0dc",
    "over_missed": "background-color: #fde0dc",
    "over": "background-color: #fff3cd",
}


def staffing_styled(frame: pd.DataFrame, statuses: pd.Series):
    """Under- and overstaffed hours highlighted (the status column says it in words too)."""
    styles = statuses.map(lambda s: _STATUS_STYLE.get(s, "")).tolist()
    return frame.style.apply(lambda _: styles, axis=0)


def tolerance_columns() -> dict:
    cc = st.column_config
    return {
        "purpose": cc.TextColumn(t("insights.tolerance.col.purpose")),
        "reading": cc.TextColumn(t("insights.tolerance.col.reading")),
        "ratings": cc.NumberColumn(t("insights.tolerance.col.ratings"), format="localized"),
        "knee": cc.TextColumn(t("insights.tolerance.col.knee")),
        "suggested": cc.TextColumn(t("insights.tolerance.col.suggested")),
        "basis": cc.TextColumn(t("insights.tolerance.col.basis")),
        "current": cc.TextColumn(t("insights.tolerance.col.current")),
    }


def read_moment_control(choices) -> ReadMoment:
    """Which moment's score the section reads against the wait (the peak first); URL: ?read=CODE."""
    codes = [m.code for m in choices]
    url_state.seed("insights_read", url_state.read("read", str, lambda v: v in codes))
    if st.session_state.get("insights_read") not in codes:
        st.session_state["insights_read"] = codes[0]
    names = {
        m.code: tolerance_words(m)["moment"] if m.kind == "rated" else t(f"insights.tolerance.read.{m.kind}")
        for m in choices
    }
    code = st.selectbox(
        t("insights.tolerance.moment"), codes, key="insights_read", format_func=lambda c: names.get(c, c)
    )
    url_state.write(read=None if code == codes[0] else code)
    return choices[codes.index(code)]


def purpose_control(results, labels: dict[str, str]):
    """Which purpose's curve to draw (the most rated first); URL: ?purpose=CODE."""
    codes = [tol.purpose for tol in results]
    url_state.seed("insights_purpose", url_state.read("purpose", str, lambda v: v in codes))
    if st.session_state.get("insights_purpose") not in codes:
        st.session_state["insights_purpose"] = codes[0]
    code = st.selectbox(
        t("insights.tolerance.pick"), codes, key="insights_purpose", format_func=lambda c: labels.get(c, c)
    )
    url_state.write(purpose=code)
    return results[codes.index(code)]


# --- tasks given to people (任务落实到人) -------------------------------------------------------
EFFECT_WEEKS = 4


def tasks_box(hall_id: str, moments: dict[str, str], last_day: date) -> None:
    """The hall's tasks: each open one with its owner and dates, each closed one with whether
    its fix made a difference; a form that turns a line of the list above into a task
    (moments: code -> name, in the list's order)."""
    st.subheader(t("insights.tasks.title"))
    tasks = run("hall_tasks", VisitFilter(halls=(hall_id,)))
    if tasks.empty:
        st.caption(t("insights.tasks.none"))
    for _, task in tasks.iterrows():
        line = md(task_line(task))
        if pd.isna(task["closed_at"]):
            st.markdown(f"- {t('insights.tasks.open', line=line)}")
            continue
        found = effect(
            run("task_effect", hall_id=hall_id, moment=task["moment"], starts_on=task["starts_on"], weeks=EFFECT_WEEKS),
            task["moment"],
        )
        st.markdown(
            f"- {t('insights.tasks.closed', by=md(task['closed_by']), line=line)}  \n  "
            f"{effect_sentence(found, md(task_moment(task)))}"
        )
    user = current_user()
    if user is None or user.role not in WRITERS:
        return
    with st.expander(t("insights.tasks.add")):
        staff = run("staff_labels", VisitFilter(halls=(hall_id,)))
        owners = dict(zip(staff["staff_id"], staff["label"]))
        with st.form("insights_task_form", clear_on_submit=True, border=False):
            moment = st.selectbox(
                t("insights.tasks.moment"),
                list(moments),
                key="task_moment",
                format_func=lambda m: moments.get(m, m),
            )
            owner = st.selectbox(
                t("insights.tasks.owner"),
                list(staff["staff_id"]),
                key="task_owner",
                format_func=lambda staff_id: owners.get(staff_id, staff_id),
                index=None,
                placeholder=t("insights.tasks.owner_pick"),
            )
            left, right = st.columns(2)
            starts = left.date_input(t("insights.tasks.starts"), value=last_day, key="task_starts")
            due = right.date_input(t("insights.tasks.due"), value=last_day + pd.Timedelta(days=14), key="task_due")
            note = st.text_input(t("insights.tasks.note"), max_chars=500, key="task_note")
            if st.form_submit_button(t("insights.tasks.save")):
                if owner is None:
                    st.error(t("insights.tasks.owner_missing"))
                    return
                try:
                    add_task(database(), user, hall_id, moment, owner, starts, due, note)
                except TaskError as exc:
                    st.error(md(str(exc)))
                    return
                st.rerun()
    open_ids = [int(i) for i in tasks.loc[tasks["closed_at"].isna(), "task_id"]]
    if open_ids:
        labels = dict(
            zip(
                tasks["task_id"].astype(int),
                [f"{task_moment(task)} · {task['owner_label']}" for _, task in tasks.iterrows()],
            )
        )
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen: int | None = left.selectbox(
            t("insights.tasks.close_pick"), open_ids, format_func=lambda i: labels.get(i, str(i)), key="task_close"
        )
        if chosen is not None and right.button(t("insights.tasks.close"), key="task_close_go"):
            close_task(database(), user, chosen)
            st.rerun()
