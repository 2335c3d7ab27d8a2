"""Reading the small answers every page starts from: a hall's row of halls_in_scope, the
days a hall's (or the scope's) visits cover, and the one row of a one-row answer."""

from __future__ import annotations

from datetime import date

import pandas as pd


def hall_row(halls: pd.DataFrame, hall_id: str) -> pd.Series:
    return halls.loc[halls["hall_id"] == hall_id].iloc[0]


def data_days(halls: pd.DataFrame, hall_id: str | None, summary) -> tuple[date, date]:
    """The first and last day of a hall's visits (halls_in_scope), or of every visit in
    scope (dataset_summary) when no hall is chosen or it has none: the days its periods
    count back from."""
    if hall_id is not None:
        row = hall_row(halls, hall_id)
        if not pd.isna(row.get("last_day")):
            return row["first_day"], row["last_day"]
    return summary["first_day"], summary["last_day"]


def first_row(frame: pd.DataFrame) -> pd.Series | None:
    return frame.iloc[0] if len(frame) else None
