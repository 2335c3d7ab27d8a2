"""Streamlit pieces of the hall page that are not charts: the comment tables' columns and
the day notes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from peakend.core.i18n import t
from peakend.core.safe_text import md
from peakend.hall.notes import note_line
from peakend.ui.auth import current_user
from peakend.ui.session import database
from peakend.warehouse.day_notes import KINDS, MAX_NOTE, WRITERS, NoteError, add_note, remove_note

# The comment first: on a phone only the first column or two are on the screen.
COMMENT_ORDER = ("exit_comment", "exit_score", "commented_at", "purpose")


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
