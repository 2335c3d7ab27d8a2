"""Key moments side by side (issue 21): rows of (one thing compared x moment) with the
moment's catalogue entry, its ratings and their mean on 1-5, as one table with a column per
moment in journey order. The regional page compares halls, Explore any grouping. Pure."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from peakend.core.moments import moment_label

JOURNEY_ORDER = ["stage_order", "position"]


def _rated(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows.groupby("moment")["ratings"].transform("sum") > 0]


def pivot(
    rows: pd.DataFrame,
    key: str,
    first_column: str,
    names: Callable[[object], str],
    min_n: int,
    label: Callable[[pd.Series], str] = moment_label,
) -> pd.DataFrame:
    """One row per `key` (named by `names` in the first column), one column per moment
    (headed by `label`) in journey order: the mean on 1-5, empty under min_n ratings or where
    the moment is not the row's. Moments no row rated are left out (unrated says which)."""
    rows = _rated(rows)
    if rows.empty:
        return pd.DataFrame()
    order = rows.drop_duplicates("moment").sort_values(JOURNEY_ORDER)
    labels = {r["moment"]: label(r) for _, r in order.iterrows()}
    shown = rows.assign(mean=rows["mean_on_five"].where(rows["ratings"] >= min_n))
    table = shown.pivot(index=key, columns="moment", values="mean").reindex(columns=list(labels))
    table.columns = [labels[m] for m in table.columns]
    table.insert(0, first_column, [names(k) for k in table.index])
    return table.reset_index(drop=True)


def unrated(rows: pd.DataFrame) -> list[str]:
    """The moments of the rows' journeys that none of them rated."""
    totals = rows.groupby("moment")["ratings"].sum()
    none = rows[rows["moment"].isin(totals[totals == 0].index)].drop_duplicates("moment")
    return [moment_label(r) for _, r in none.sort_values(JOURNEY_ORDER).iterrows()]
