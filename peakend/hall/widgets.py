"""Streamlit pieces of the hall page that are not charts: the comment tables' columns and
the day notes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.metrics import MIN_RATINGS_DEFAULT
from peakend.core.safe_text import md
from peakend.hall import charts, today
from peakend.hall.logic import comment_feed
from peakend.hall.notes import note_line
from peakend.ui.answers import ask, fetch_live, run_live
from peakend.ui.auth import current_user
from peakend.ui.cards import metric_card
from peakend.ui.charts import show as show_chart
from peakend.ui.layout import TILES_KEY
from peakend.ui.sections import fragment
from peakend.ui.session import database
from peakend.warehouse.day_notes import KINDS, MAX_NOTE, WRITERS, NoteError, add_note, remove_note

# The comment first: on a phone only the first column or two are on the screen.
COMMENT_ORDER = ("exit_comment", "exit_score", "commented_at", "purpose")


# The numbers first: on a phone only the first columns or so are on the screen.
KEY_MOMENT_ORDER = ("moment", "mean_score", "ratings", "low_share", "unhappy_lowest", "stage", "scale")


def key_moment_columns() -> dict:
    """Column headers and formats for peakend.hall.key_moments.moments_frame."""
    return {
        "moment": st.column_config.TextColumn(t("hall.moments.col.moment"), width="medium"),
        "stage": st.column_config.TextColumn(t("hall.moments.col.stage")),
        "scale": st.column_config.TextColumn(t("hall.moments.col.scale"), width=60),
        "ratings": st.column_config.NumberColumn(t("hall.moments.col.ratings"), format="localized", width=80),
        "mean_score": st.column_config.NumberColumn(t("hall.moments.col.mean_score"), format="%.2f", width=70),
        "low_share": st.column_config.NumberColumn(t("hall.moments.col.low_share"), format="%.0f%%", width=70),
        "unhappy_lowest": st.column_config.NumberColumn(
            t("hall.moments.col.unhappy_lowest"), format="%.0f%%", width=100
        ),
    }


def comment_columns() -> dict:
    """Column headers and formats for peakend.hall.logic.comment_feed tables."""
    return {
        "commented_at": st.column_config.DatetimeColumn(t("hall.exit.col.time"), format="YYYY-MM-DD HH:mm", width=135),
        "exit_score": st.column_config.NumberColumn(t("hall.exit.col.score"), format="%d", width=80),
        "purpose": st.column_config.TextColumn(t("hall.exit.col.purpose"), width=120),
        "exit_comment": st.column_config.TextColumn(t("hall.exit.col.comment"), width="large"),
        "evidence": st.column_config.TextColumn(t("hall.exit.col.evidence"), width="medium"),
    }


def day_notes_box(notes: pd.DataFrame, hall_id: str, first_day: date, last_day: date) -> None:
    """The period's day notes of the hall, a form to add one and a way to remove one. A note
    is written by whoever manages the hall (peakend/warehouse/day_notes.py checks it)."""
    title = t("hall.notes.title", n=len(notes)) if len(notes) else t("hall.notes.title_none")
    with st.expander(title):
        for _, note in notes.iterrows():
            st.markdown(f"- {md(note_line(note))}")
        user = current_user()
        if user is None or user.role not in WRITERS:
            return
        with st.form("hall_note_form", clear_on_submit=True, border=False):
            st.markdown(f"**{t('hall.notes.add')}**")
            left, right = st.columns(2)
            with left:
                day = st.date_input(
                    t("hall.notes.day"), value=last_day, min_value=first_day, max_value=last_day, key="hall_note_day"
                )
                kind = st.selectbox(
                    t("hall.notes.kind_label"),
                    KINDS,
                    key="hall_note_kind",
                    format_func=lambda k: t(f"hall.notes.kind.{k}"),
                )
            with right:
                whole = st.checkbox(t("hall.notes.whole_day"), value=True, key="hall_note_whole")
                hours = st.slider(t("hall.notes.hours"), 0, 23, (9, 11), key="hall_note_hours")
            text = st.text_input(
                t("hall.notes.text"),
                max_chars=MAX_NOTE,
                key="hall_note_text",
                placeholder=t("hall.notes.text_placeholder"),
            )
            leave_out = st.checkbox(
                t("hall.notes.leave_out"), key="hall_note_leave_out", help=t("hall.notes.leave_out_help")
            )
            if st.form_submit_button(t("hall.notes.save")):
                if not text.strip():
                    st.error(t("hall.notes.empty"))
                    return
                add_note(database(), user, hall_id, day, kind, text, None if whole else (hours[0], hours[1]), leave_out)
                st.rerun()
        if len(notes):
            labels = {int(n["note_id"]): note_line(n) for _, n in notes.iterrows()}
            chosen = st.selectbox(
                t("hall.notes.remove_pick"),
                list(labels),
                key="hall_note_remove",
                format_func=lambda i: labels[i],
                index=None,
                placeholder=t("hall.notes.remove_none"),
            )
            if chosen is not None and st.button(t("hall.notes.remove"), key="hall_note_remove_go"):
                try:
                    remove_note(database(), user, chosen)
                except NoteError:
                    st.error(t("hall.notes.not_yours"))
                    return
                st.rerun()


def leave_out_toggle(count: int) -> bool:
    """Whether to leave the hours of `count` leave-out notes out of every number of the page."""
    if not count:
        return False
    return st.toggle(t("hall.notes.skip", n=count), key="hall_skip_noted", help=t("hall.notes.skip_help"))


def _tile(label_key: str, value: str, help_text: str) -> None:
    with st.container(border=True):
        st.metric(t(label_key), value, help=help_text)


def _today_panel(this_hall) -> None:
    """The live panel: drawn again every REFRESH_S seconds without the rest of the page."""
    hall_id = this_hall["hall_id"]
    found = run_live("hall_today_clock", hall_id=hall_id)
    if found.empty:
        return
    hall_clock = found.iloc[0]
    newest = hall_clock["newest_event_at"]
    clock_now = today.local_now(hall_clock["time_zone"])
    now, moved = today.panel_now(clock_now, newest, today.loaded_ago(hall_clock["newest_load_at"]))
    day = now.date()
    st.subheader(t("hall.today.title", hall=md(this_hall["hall_name"])))
    as_of = t(
        "hall.today.as_of",
        day=formatting.day(day),
        time=now.strftime("%H:%M"),
        zone=hall_clock["time_zone"],
        refresh=today.REFRESH_S,
    )
    gone = today.age(newest, now)
    if gone is None:
        st.caption(as_of)
        st.info(t("hall.today.no_data"))
        return
    newest_at = pd.Timestamp(newest).strftime("%Y-%m-%d %H:%M:%S")
    st.caption(f"{as_of} · {t('hall.today.newest', at=newest_at, age=today.age_text(gone))}")
    if moved:
        st.caption(t(f"hall.today.{moved}", clock=clock_now.strftime("%H:%M")))
    if today.is_open(hall_clock, now) is False:
        st.caption(
            t("hall.today.closed", opens=str(hall_clock["opens_at"])[:5], closes=str(hall_clock["closes_at"])[:5])
        )
    data = fetch_live(
        queue=ask("hall_today_queue", today.today_filter(hall_id, day), now=now),
        curve=ask("hall_today_arrivals", today.usual_filter(hall_id, day), now=now, today=day),
        scores=ask("metrics_by_group", today.today_filter(hall_id, day), group_1=None, group_2=None),
        comments=ask("hall_exit_comments", today.today_filter(hall_id, day), limit=today.LATEST_COMMENTS),
    )
    answers = {k: v if v is not None else pd.DataFrame() for k, v in data.items()}
    queue = answers["queue"].iloc[0]
    if not queue["arrivals_so_far"]:
        st.info(t("hall.today.no_visits_today", day=formatting.day(day), at=newest_at, age=today.age_text(gone)))
        return
    if today.feed_quiet(hall_clock, now, newest):
        st.warning(t("hall.today.quiet", age=today.age_text(gone)))
    counters = this_hall.get("counters")
    serving_help = (
        t("hall.today.serving_help", counters=formatting.number(counters))
        if counters is not None and not today._missing(counters)
        else t("hall.today.serving_help_unknown")
    )
    with st.container(key=f"{TILES_KEY}_today"):
        tiles = st.columns(4)
        with tiles[0]:
            _tile("hall.today.waiting", formatting.number(queue["waiting_now"]), t("hall.today.waiting_help"))
        with tiles[1]:
            # nobody waiting: the longest wait is none at all, 0 (a dash would read as "no data")
            longest = queue["longest_wait_s"] if queue["waiting_now"] else 0
            _tile("hall.today.longest_wait", today.wait_text(longest), t("hall.today.longest_wait_help"))
        with tiles[2]:
            _tile("hall.today.serving", formatting.number(queue["serving_now"]), serving_help)
        with tiles[3]:
            _tile("hall.today.arrivals", formatting.number(queue["arrivals_so_far"]), t("hall.today.arrivals_help"))
    curve = answers["curve"]
    usual = today.usual_by_now(curve, now)
    usual_days = int(curve["usual_days"].iloc[0]) if not curve.empty else 0
    st.markdown(today.arrivals_sentence(int(queue["arrivals_so_far"]), usual, usual_days))
    if not curve.empty:
        show_chart(charts.today_arrivals(today.curve_frame(curve, now)), key="hall_today_curve")
    st.markdown(f"**{t('hall.today.scores_title')}**")
    scores = answers["scores"].iloc[0] if not answers["scores"].empty else None
    with st.container(key=f"{TILES_KEY}_today_scores"):
        for column, key in zip(st.columns(len(today.SCORE_TILES)), today.SCORE_TILES):
            with column:
                metric_card(key, scores, None, this_hall, MIN_RATINGS_DEFAULT)
    st.caption(
        t(
            "hall.today.targets_note",
            peak=formatting.score(this_hall["peak_target"]),
            exit=formatting.score(this_hall["exit_target"]),
            min_n=formatting.number(MIN_RATINGS_DEFAULT),
        )
    )
    st.markdown(f"**{t('hall.today.comments_title')}**")
    comments = answers["comments"]
    if comments.empty:
        st.caption(t("hall.today.no_comments"))
    else:
        st.dataframe(
            comment_feed(comments),
            hide_index=True,
            column_config=comment_columns(),
            column_order=COMMENT_ORDER,
            placeholder="–",
            key="hall_today_comments",
        )


_today_fragment = fragment(run_every=today.REFRESH_S)(_today_panel)


def today_panel(this_hall) -> None:
    """The hall's "today" panel (README, "Today"), a fragment refreshed every REFRESH_S s."""
    with st.container(key="hall_today", border=True):
        _today_fragment(this_hall)
