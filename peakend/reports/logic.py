"""The hourly-reports page's logic (no Streamlit): which measures the loaded reports have,
the filter the page asks with, the league table and the sentences that say where a number
came from."""

from __future__ import annotations

from datetime import date

import pandas as pd

from peakend.core import formatting
from peakend.core.filters import VisitFilter
from peakend.core.i18n import t
from peakend.core.metrics import PERIOD_METRICS, PeriodMetric

# Below this many report rows a hall's mean is greyed and not ranked (a day of hours).
MIN_PERIODS = 24
# The measure the page opens on, when the reports have it: the posted walk-in wait (what a
# customer without an appointment is told), else the reported mean wait.
PREFERRED = (
    "posted_wait_walkin",
    "wait_mean",
    "posted_wait_appointment",
    "wait_max",
    "arrivals",
    "abandonment",
    "service_mean",
)


def period_filter(region: str | None, hall_id: str | None, date_from: date, date_to: date) -> VisitFilter:
    return VisitFilter(
        date_from=date_from,
        date_to=date_to,
        regions=(region,) if region else None,
        halls=(hall_id,) if hall_id else None,
    )


def halls_of(halls: pd.DataFrame, region: str, hall_id: str | None) -> pd.DataFrame:
    """The halls the page shows (periods_halls rows): the one chosen, else the region's."""
    return halls[halls["hall_id"] == hall_id] if hall_id is not None else halls[halls["region"] == region]


def measures_present(summary: pd.Series) -> list[str]:
    """The measures some report row of the selection has, in the page's order."""
    return [key for key in PREFERRED if int(summary.get(f"n_{key}") or 0) > 0]


def metric(key: str) -> PeriodMetric:
    return PERIOD_METRICS[key]


def value_text(key: str, value) -> str:
    if value is None or pd.isna(value):
        return "–"
    return PERIOD_METRICS[key].format(value)


def source_sentence(summary: pd.Series, halls: pd.DataFrame, hall_id: str | None) -> str:
    """Where the page's numbers come from: hourly reports, how many rows, of how many halls,
    and of what length; for one hall that has visit logs too, that those are elsewhere."""
    minutes = sorted({int(m) for m in pd.concat([halls["period_minutes_min"], halls["period_minutes_max"]])})
    length = (
        t("reports.length.one", n=formatting.number(minutes[0]))
        if len(minutes) == 1
        else t("reports.length.mixed", low=formatting.number(minutes[0]), high=formatting.number(minutes[-1]))
    )
    text = t(
        "reports.source",
        rows=formatting.counted(summary["report_rows"], "report_row"),
        halls=formatting.counted(summary["halls"], "hall"),
        length=length,
        first=formatting.day(summary["first_day"]),
        last=formatting.day(summary["last_day"]),
    )
    if hall_id is not None:
        row = halls[halls["hall_id"] == hall_id]
        if len(row) and int(row["visits"].iloc[0]) > 0:
            text += " " + t("reports.also_visits", visits=formatting.number(row["visits"].iloc[0]))
    return text


def league_table(league: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per hall, the highest value of `key` first (for waits and abandonment: the
    worst), ranked among the halls with at least MIN_PERIODS report rows behind it; n beside
    every value, and whether the hall has visit logs as well."""
    n = league[f"n_{key}"].astype(int)
    out = pd.DataFrame(
        {
            "hall_id": league["hall_id"],
            "hall": league["hall_name"],
            "city": league["city"],
            "value": league[key].astype(float),
            "n": n,
            "thin": n < MIN_PERIODS,
            "visits": league["visits"].astype(int),
        }
    )
    out = out[out["n"] > 0].sort_values(["thin", "value", "hall"], ascending=[True, False, True])
    ranked = ~out["thin"]
    out["rank"] = pd.Series(range(1, int(ranked.sum()) + 1), index=out.index[ranked]).reindex(out.index)
    return out.reset_index(drop=True)[["rank", "hall_id", "hall", "city", "value", "n", "thin", "visits"]]


def kinds_text(visits: int) -> str:
    """Which kinds of data a hall has: hourly reports (always, here), and visit logs?"""
    return t("reports.kinds.both", visits=formatting.number(visits)) if visits else t("reports.kinds.reports")


def elsewhere_sentence(reported: pd.DataFrame, regions: list[str] | None = None) -> str | None:
    """For a page of visit numbers: the hourly reports loaded for its halls (periods_halls,
    within `regions` when given), which it doesn't count and the Hourly reports page shows."""
    if regions:
        reported = reported[reported["region"].isin(regions)]
    if reported.empty:
        return None
    return t(
        "reports.elsewhere",
        rows=formatting.counted(int(reported["report_rows"].sum()), "report_row"),
        halls=formatting.counted(len(reported), "hall"),
    )
