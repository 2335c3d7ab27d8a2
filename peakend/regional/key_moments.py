"""Every key moment, hall by hall (issue 21): the halls compared side by side on each moment
of their journeys (queries/regional_key_moments.sql), in journey order. A moment every
compared hall has is compared across all of them; one only some halls have (a region's or a
hall's own) is shown for those halls and labelled with how many have it. Pure."""

from __future__ import annotations

import pandas as pd

from peakend.core import formatting, moment_table
from peakend.core.i18n import t
from peakend.core.moments import moment_label, moment_name

PARTIAL_MARK = " *"  # a column heading's mark: only some of the compared halls have the moment


def _partial(row) -> bool:
    """Only some of the compared halls have the moment in their journey."""
    return int(row["halls_with_moment"]) < int(row["halls_compared"])


def full_label(row) -> str:
    """A moment's name with who added it, and for one only some halls have, how many."""
    label = moment_label(row)
    if _partial(row):
        label = t(
            "regional.moments.some_halls",
            moment=label,
            n=formatting.number(int(row["halls_with_moment"])),
            total=formatting.number(int(row["halls_compared"])),
        )
    return label


def column_label(row) -> str:
    """A moment's column heading, short enough to read whole: its name, marked when only some
    halls have it (the caption and the heading's help say which and how many)."""
    return moment_name(row) + (PARTIAL_MARK if _partial(row) else "")


def column_help(rows: pd.DataFrame) -> dict[str, str]:
    """Each heading's full label (the help a heading shows on hover or tap)."""
    first = rows.drop_duplicates("moment")
    return {column_label(r): full_label(r) for _, r in first.iterrows()}


def by_hall(rows: pd.DataFrame, hall_names: dict[str, str], min_n: int) -> pd.DataFrame:
    """One row per hall, one column per moment in journey order: the mean score on 1-5 (empty
    where the hall's journey lacks the moment, or it has fewer than min_n ratings); moments
    none of them rated are left out (moment_table.unrated names them)."""
    return moment_table.pivot(
        rows, "hall_id", t("regional.moments.hall"), lambda h: hall_names.get(str(h), str(h)), min_n, column_label
    )


def partial_moments(rows: pd.DataFrame) -> list[str]:
    """The moments only some of the compared halls have, as their column headings say."""
    some = rows[rows["halls_with_moment"] < rows["halls_compared"]].drop_duplicates("moment")
    return [full_label(r) for _, r in some.sort_values(moment_table.JOURNEY_ORDER).iterrows()]
