"""Day notes on the hall page: how each reads in a line, and where it marks a trend or the
heatmap. The notes themselves come from queries/hall_day_notes.sql; writing them is
peakend/warehouse/day_notes.py."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from peakend.core import formatting
from peakend.core.i18n import t


def hours_text(hour_from, hour_to) -> str:
    """'09:00–11:59', or the whole day."""
    if pd.isna(hour_from):
        return t("hall.notes.whole_day")
    return f"{int(hour_from):02d}:00–{int(hour_to):02d}:59"


def note_line(note) -> str:
    """One note as a plain line (its text from data: callers escape it where they render)."""
    left_out = f" · {t('hall.notes.left_out_mark')}" if note["leave_out"] else ""
    return (
        f"{formatting.day(note['day'])} {hours_text(note['hour_from'], note['hour_to'])} · "
        f"{t('hall.notes.kind.' + note['kind'])}: {note['note']}{left_out}"
    )


def leave_out_count(notes: pd.DataFrame) -> int:
    return int(notes["leave_out"].sum()) if not notes.empty else 0


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def trend_marks(notes: pd.DataFrame, grain: str) -> list[tuple[date, list[str]]]:
    """(x of the trend's point, the lines of the notes on it): a day, or its week's Monday
    on a weekly trend (metrics_by_group by week starts its weeks on Mondays)."""
    marks: dict[date, list[str]] = {}
    for _, note in notes.iterrows():
        day = pd.Timestamp(note["day"]).date()
        marks.setdefault(_week_start(day) if grain == "week" else day, []).append(note_line(note))
    return sorted(marks.items())


def heatmap_cells(notes: pd.DataFrame) -> set[tuple[int, int]]:
    """(ISO weekday, hour) of every noted hour; a whole-day note marks none (its weekday's
    row is named in the caption instead)."""
    cells: set[tuple[int, int]] = set()
    for _, note in notes.iterrows():
        if pd.isna(note["hour_from"]):
            continue
        weekday = pd.Timestamp(note["day"]).isoweekday()
        cells.update((weekday, h) for h in range(int(note["hour_from"]), int(note["hour_to"]) + 1))
    return cells
