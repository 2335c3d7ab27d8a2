"""The hall page's logic: its filter, the wait and peak bands, and the plain sentences it
says about the numbers. The numbers themselves come from queries/hall_*.sql and
metrics_by_group (warehouse/metric_sql.py); nothing here computes a metric.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from peakend.core import formatting
from peakend.core.filters import VisitFilter
from peakend.core.i18n import get_language, t
from peakend.core.metrics import shown_on
from peakend.core.moments import PEAK_MOMENTS

# Wait bands (minutes) for the wait-tolerance curve and the journey: band k (1-based, as the
# queries number them) runs from WAIT_BAND_EDGES[k-1] up to the next edge; the last is open.
WAIT_BAND_EDGES = (0, 5, 10, 15, 20, 30)
# The wait distribution: bars of 2 minutes; every wait of an hour or more shares the last bar.
DISTRIBUTION_BAND_MIN = 2
DISTRIBUTION_CAP_MIN = 60
PEAK_BANDS = ("low", "middle", "high")  # peak score 1-2, 3, 4-5
COMMENT_FEED_ROWS = 200
# Daily points up to two months; beyond that a daily line is noise, so weeks.
DAILY_TREND_MAX_DAYS = 62


def hall_filter(
    hall_id: str, date_from: date, date_to: date, purposes=None, peak_moments=None, skip_noted: bool = False
) -> VisitFilter:
    return VisitFilter(
        date_from=date_from,
        date_to=date_to,
        halls=(hall_id,),
        purposes=purposes or None,
        peak_moments=peak_moments or None,
        skip_noted=skip_noted,
    )


def notes_filter(hall_id: str, date_from: date, date_to: date, compare_from: date | None = None) -> VisitFilter:
    """The days whose notes the page needs: the period's, and the comparison's before it
    (a left-out note there changes the comparison too)."""
    first = min(date_from, compare_from) if compare_from else date_from
    return VisitFilter(date_from=first, date_to=date_to, halls=(hall_id,))


def notes_between(notes: pd.DataFrame, date_from: date, date_to: date) -> pd.DataFrame:
    days = pd.to_datetime(notes["day"]).dt.date
    return notes[(days >= date_from) & (days <= date_to)]


def trend_grain(date_from: date, date_to: date) -> str:
    """'day' or 'week': the dimension of metrics_by_group a trend is drawn by."""
    return "day" if (date_to - date_from).days + 1 <= DAILY_TREND_MAX_DAYS else "week"


def has_trend(trend: pd.DataFrame) -> bool:
    """Whether a trend (metrics_by_group by day or week) has two points or more: one day
    drew a single dot with the same date repeated on every tick."""
    return trend["group_1"].dropna().nunique() >= 2


def wait_band_label(band: int, edges=WAIT_BAND_EDGES) -> str:
    """'0–5', '5–10', ..., '30+' (minutes) for band k of the queries (1-based)."""
    start = edges[band - 1]
    if band >= len(edges):
        return f"{start}+"
    return f"{start}–{edges[band]}"


def wait_band_labels(edges=WAIT_BAND_EDGES) -> list[str]:
    return [wait_band_label(k, edges) for k in range(1, len(edges) + 1)]


def staff_peak_scores(by_staff_and_moment: pd.DataFrame, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of metrics_by_group(staff, peak_moment) for the three peak moments and visits
    served by a known staff member, as staff_id, staff (how the member reads: the label of
    queries/staff_labels.sql, "王芳 · S012", or the id alone when `labels` lacks it),
    peak_moment, ratings, peak_mean."""
    rows = by_staff_and_moment
    rows = rows[rows["group_1"].notna() & rows["group_2"].isin(PEAK_MOMENTS) & (rows["peak_n"] > 0)]
    rows = rows.rename(columns={"group_1": "staff_id", "group_2": "peak_moment", "peak_n": "ratings"})
    named = {} if labels is None else dict(zip(labels["staff_id"], labels["label"]))
    rows = rows.assign(staff=[named.get(s, s) for s in rows["staff_id"]])
    return rows[["staff_id", "staff", "peak_moment", "ratings", "peak_mean"]].reset_index(drop=True)


def tolerance_falloff(curve: pd.DataFrame, target: float, min_n: int) -> dict[str, tuple[str, int | None]]:
    """Per peak moment, where its mean peak score falls below the target as waits grow.

    Reads hall_peak_by_wait_band rows; only bands with at least min_n ratings count.
    Returns moment -> (verdict, band): 'falls' at band k (the first trusted band below
    target after one at or above it), 'holds' (never below), 'below' (below from the
    first trusted band) or 'thin' (no trusted band).
    """
    out: dict[str, tuple[str, int | None]] = {}
    for moment in PEAK_MOMENTS:
        rows = curve[(curve["peak_moment"] == moment) & (curve["ratings"] >= min_n)]
        rows = rows.sort_values("wait_band")
        if rows.empty:
            out[moment] = ("thin", None)
            continue
        below = rows[rows["peak_mean"] < target]
        if below.empty:
            out[moment] = ("holds", None)
        elif below.index[0] == rows.index[0]:
            out[moment] = ("below", int(rows["wait_band"].iloc[0]))
        else:
            out[moment] = ("falls", int(below["wait_band"].iloc[0]))
    return out


def tolerance_sentences(falloff: dict[str, tuple[str, int | None]], target: float, min_n: int) -> list[str]:
    sentences = []
    for moment, (verdict, band) in falloff.items():
        sentences.append(
            t(
                f"hall.tolerance.{verdict}",
                moment=t(f"hall.moment.{moment}"),
                target=formatting.score(target),
                band=wait_band_label(band) if band else "",
                min_n=formatting.number(min_n),
            )
        )
    return sentences


def _share(part, whole) -> str:
    return formatting.percent(part / whole if whole else None, 0)


def unhappy_exit_statement(row: pd.Series | None, wait_target_min: float) -> str:
    """What came before this period's unhappy exits, in one plain paragraph."""
    if row is None or not row["exit_ratings"]:
        return t("hall.drivers.no_ratings")
    unhappy = int(row["unhappy_exits"])
    if unhappy == 0:
        return t("hall.drivers.none_unhappy", ratings=formatting.number(row["exit_ratings"]))
    parts = {key: int(row[key]) for key in ("after_long_wait", "after_low_peak", "after_both", "after_neither")}
    text = t(
        "hall.drivers.statement",
        unhappy=formatting.number(unhappy),
        unhappy_share=_share(unhappy, row["exit_ratings"]),
        ratings=formatting.number(row["exit_ratings"]),
        target=formatting.wait_target(wait_target_min),
        long_wait=formatting.number(parts["after_long_wait"]),
        long_wait_share=_share(parts["after_long_wait"], unhappy),
        low_peak=formatting.number(parts["after_low_peak"]),
        low_peak_share=_share(parts["after_low_peak"], unhappy),
        both=formatting.number(parts["after_both"]),
        both_share=_share(parts["after_both"], unhappy),
        neither=formatting.number(parts["after_neither"]),
        neither_share=_share(parts["after_neither"], unhappy),
    )
    # Name the biggest driver: the wait (alone or with a low peak), the peak, or neither.
    waits = parts["after_long_wait"] + parts["after_both"]
    peaks = parts["after_low_peak"] + parts["after_both"]
    if parts["after_neither"] > max(waits, peaks):
        lead = "neither"
    elif waits > peaks:
        lead = "wait"
    elif peaks > waits:
        lead = "peak"
    else:
        lead = "tie"
    return text + " " + t(f"hall.drivers.lead.{lead}")


def comment_feed(comments: pd.DataFrame) -> pd.DataFrame:
    """The comment feed as shown: time, score, purpose (in the current language), comment."""
    purpose = comments["purpose_zh"] if get_language() == "zh" else comments["purpose_en"]
    feed = pd.DataFrame(
        {
            "commented_at": comments["commented_at"],
            "exit_score": comments["exit_score"],
            "purpose": purpose,
            "exit_comment": comments["exit_comment"],
        }
    )
    if "evidence" in comments:  # the clause a theme was read from (peakend.hall.themes.theme_examples)
        feed["evidence"] = comments["evidence"]
    return feed


# The five tiles the page opens on (two to a row on a phone); the other cards sit in
# "All numbers" below the worst hour. Queue, how the visit ended, and the peak-end index.
HEADLINE_TILES = shown_on("hall_headline")
MORE_TILES = shown_on("hall_more")
WORST_HOUR_COMMENTS = 5


def worst_hour(by_hour: pd.DataFrame, min_visits: int) -> tuple[pd.Series, bool] | None:
    """The hour of arrival with the longest median wait (rows of metrics_by_group grouped
    by hour; more visits break a tie), and whether it is thin: chosen among hours with at
    least min_visits visits when there are any, else among every hour, and then said to
    rest on few visits. None when no wait was measured."""
    rows = by_hour[by_hour["group_1"].notna() & by_hour["wait_median_min"].notna()]
    if rows.empty:
        return None
    enough = rows[rows["visits"] >= min_visits]
    thin = enough.empty
    rows = (rows if thin else enough).sort_values(
        ["wait_median_min", "visits", "group_1"], ascending=[False, False, True]
    )
    return rows.iloc[0], thin


def hour_span(hour) -> str:
    return f"{int(hour):02d}:00–{(int(hour) + 1) % 24:02d}:00"


def worst_hour_sentence(row: pd.Series, wait_target_min: float) -> str:
    """What the worst hour looked like, in one sentence a manager reads aloud."""
    exit_mean = row.get("exit_mean")
    return t(
        "hall.worst_hour.sentence",
        hour=hour_span(row["group_1"]),
        median=formatting.minutes(row["wait_median_min"]),
        target=formatting.wait_target(wait_target_min),
        visits=formatting.number(row["visits"]),
        abandonment=formatting.percent(row["abandonment_rate"]),
        exit=formatting.score(exit_mean) if exit_mean is not None and not pd.isna(exit_mean) else formatting.MISSING,
    )


def reports_sentence(reported: pd.DataFrame, hall_id: str | None) -> str | None:
    """Where a hall's hourly reports are (periods_halls), when it has any: the other kind of
    data, kept apart from its visits. For no hall, whether any hall in scope has reports."""
    if reported.empty:
        return None
    if hall_id is None:
        return t("hall.reports.any", halls=formatting.counted(len(reported), "hall"))
    row = reported[reported["hall_id"] == hall_id]
    if row.empty:
        return None
    periods = formatting.counted(int(row["report_rows"].iloc[0]), "period")
    if int(row["visits"].iloc[0]) == 0:
        return t("hall.reports.open", periods=periods)
    return t("hall.reports.this", periods=periods)


def reports_only(reported: pd.DataFrame, hall_id: str) -> bool:
    """Whether the hall has hourly reports and no visit at all (periods_halls)."""
    row = reported[reported["hall_id"] == hall_id]
    return bool(len(row)) and int(row["visits"].iloc[0]) == 0
