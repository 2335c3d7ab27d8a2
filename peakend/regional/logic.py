"""Regional comparison: the league table of halls (or of regions) and what the charts need.

Pure pandas over the results of named queries (metrics_by_group, halls_in_scope,
regional_wait_distribution); no Streamlit, so every rule here is tested on the fixture.

Ranking rules (DESIGN.md: any ranking shows its n and greys out cells under a minimum
sample size):
- a cell whose sample (the metric's n) is under the minimum is "thin": greyed, not judged
  against its target and left out of the ranks;
- rank 1 is the best hall, ties share the better rank;
- ratings (peak and exit scores, peak-end index, NPS) are ranked on a shrunken mean (see
  `shrunken_mean`), so a hall with few ratings can't top or bottom the table by luck.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import pandas as pd

from peakend.core import safe_text
from peakend.core.filters import VisitFilter
from peakend.core.i18n import t
from peakend.core.metrics import METRICS, Metric, shown_on, target_status

# The league table's metrics, in the order of METRICS: queue, peaks, exit.
LEAGUE_METRICS = shown_on("league")

# Prior weight m of the shrunken mean, in ratings: a hall's own mean counts as much as its
# region's once it has m ratings. 30 is the house's minimum for a mean to be shown at all
# (metrics.MIN_RATINGS_DEFAULT); it is fixed, not tied to the minimum-n control, so moving
# that control greys cells but never silently changes how ranks are computed.
PRIOR_WEIGHT = 30

# Above this many days a daily trend is too dense to read; weeks instead. Ratings are
# sparser (only some visits rate): a day of a small hall rarely has the minimum n, so
# their trend goes weekly sooner.
MAX_DAILY_TREND_DAYS = 62
MAX_DAILY_RATING_TREND_DAYS = 14


def ranked(metric: Metric) -> bool:
    """Volumes (visits) are shown but not ranked: more visits is neither better nor worse."""
    return metric.higher_is_better is not None


def trend_grain(current: VisitFilter, metric_key: str) -> str:
    """'day' or 'week' (a metrics_by_group dimension): days for periods up to
    MAX_DAILY_TREND_DAYS (MAX_DAILY_RATING_TREND_DAYS for ratings), else weeks."""
    days = current.days
    limit = MAX_DAILY_RATING_TREND_DAYS if METRICS[metric_key].rating else MAX_DAILY_TREND_DAYS
    return "day" if days is None or days <= limit else "week"


# -- shrinkage and ranks -------------------------------------------------------------------
def shrunken_mean(mean, n, prior_mean, weight: float = PRIOR_WEIGHT):
    """The Bayesian (shrunken) mean of a hall's ratings, pulled toward its region's mean:

        shrunk = (n * hall_mean + m * region_mean) / (n + m)

    with n the hall's number of ratings and m = `weight` (PRIOR_WEIGHT). It is the
    posterior mean when the region's mean is a prior worth m ratings: with n = m the hall
    sits halfway between its own mean and the region's; with n = 9m it keeps 90% of its
    own. A hall with no ratings gets the region's mean. Works on scalars and on Series.

    NPS fits the same formula: it is the mean of a per-visit score of +100 (9-10),
    0 (7-8) or -100 (0-6), so its n is the number of overall scores.
    """
    if isinstance(n, pd.Series) or isinstance(mean, pd.Series):
        n = pd.Series(n, dtype="float64").fillna(0)
        mean = pd.Series(mean, dtype="float64")
        own = (n * mean).where(n > 0, 0.0)
        return (own + weight * prior_mean) / (n + weight)
    if n is None or _missing(n) or n == 0 or _missing(mean):
        return float(prior_mean)
    return (n * mean + weight * prior_mean) / (n + weight)


def rank_best_first(values: pd.Series, higher_is_better: bool, eligible: pd.Series) -> pd.Series:
    """Rank 1 = best among the eligible rows; ties share the better rank; others <NA>."""
    keep = eligible.fillna(False).astype(bool) & values.notna()
    ranks = values.where(keep).rank(method="min", ascending=not higher_is_better)
    return ranks.astype("Int64")


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


# -- the league table ----------------------------------------------------------------------
def regions_of(halls: pd.DataFrame) -> list[str]:
    """The regions the user's halls are in, sorted, those with visits first (a region of
    halls with hourly reports only comes after, so a first visit opens on visits)."""
    has_visits = halls["last_day"].notna() if "last_day" in halls else pd.Series(True, index=halls.index)
    with_visits = set(halls.loc[has_visits, "region"].dropna())
    return sorted(halls["region"].dropna().unique().tolist(), key=lambda r: (r not in with_visits, r))


def league_table(
    halls: pd.DataFrame,
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    region_metrics: pd.DataFrame,
    min_n: int,
    regions: list[str] | None = None,
) -> pd.DataFrame:
    """One row per hall of the chosen regions (all of them if `regions` is empty).

    `halls` is halls_in_scope (one row per hall with its targets); `current`/`previous`
    are metrics_by_group grouped by hall for the period and the comparison period;
    `region_metrics` is metrics_by_group grouped by region for the period (the prior of
    the shrunken means). Halls without a visit in the period are kept, with 0 visits.

    Columns: hall_id, hall_name, region, then for every metric KEY of LEAGUE_METRICS:
    KEY (the value), KEY_n, KEY_thin, KEY_rank, KEY_previous, KEY_change and, when the
    metric has a target, KEY_target and KEY_status; ratings also get KEY_shrunk.
    """
    chosen = halls if not regions else halls[halls["region"].isin(regions)]
    entities = chosen[["hall_id", "hall_name", "region"]].reset_index(drop=True)
    targets = chosen.set_index("hall_id")
    priors = region_metrics.set_index("group_1")
    return _league(entities, "hall_id", "region", current, previous, priors, min_n, targets=targets)


def region_table(
    current: pd.DataFrame, previous: pd.DataFrame | None, network: pd.DataFrame, min_n: int
) -> pd.DataFrame:
    """One row per region (metrics_by_group grouped by region), ranked like halls; the
    shrunken means of ratings pull toward the network's mean (`network`: ungrouped row).
    Regions have no targets of their own, so no status columns."""
    entities = pd.DataFrame({"region": current["group_1"].astype(str)})
    entities["prior"] = "*"
    priors = network.assign(group_1="*").set_index("group_1")
    out = _league(entities, "region", "prior", current, previous, priors, min_n, targets=None)
    return out.drop(columns=["prior"])


def _league(
    entities: pd.DataFrame,
    id_column: str,
    prior_column: str,
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    priors: pd.DataFrame,
    min_n: int,
    targets: pd.DataFrame | None,
) -> pd.DataFrame:
    out = entities.copy()
    ids = out[id_column]
    now = current.set_index("group_1")
    before = previous.set_index("group_1") if previous is not None else None
    for key in LEAGUE_METRICS:
        metric = METRICS[key]
        value = ids.map(now[key]) if key in now else pd.Series(float("nan"), index=ids.index)
        if key == "visits":
            value = value.fillna(0).astype("int64")
        out[key] = value
        n = ids.map(now[metric.n_column]).fillna(0).astype("int64") if metric.n_column else None
        out[f"{key}_n"] = n if n is not None else out[key]
        thin = (n < min_n) if n is not None else pd.Series(False, index=ids.index)
        out[f"{key}_thin"] = thin
        if before is not None:
            prev = ids.map(before[key]) if len(before) else pd.Series(float("nan"), index=ids.index)
            if key == "visits":
                prev = prev.fillna(0)
            out[f"{key}_previous"] = prev
            out[f"{key}_change"] = out[key] - prev
        if metric.target and targets is not None:
            target = ids.map(targets[metric.target])
            out[f"{key}_target"] = target
            out[f"{key}_status"] = [
                None if is_thin else target_status(metric, _none_if_missing(v), _none_if_missing(tg))
                for v, tg, is_thin in zip(out[key], target, thin)
            ]
        if not ranked(metric):
            continue
        basis = out[key].astype("float64")
        if metric.rating:
            prior = out[prior_column].map(priors[key]) if key in priors else float("nan")
            basis = shrunken_mean(out[key], n, prior)
            out[f"{key}_shrunk"] = basis
        out[f"{key}_rank"] = rank_best_first(basis, bool(metric.higher_is_better), ~thin)  # not None: ranked
    return out


def _none_if_missing(value):
    return None if _missing(value) else float(value)


# The queue, each peak moment and the exit: the "who needs help" line above the table.
WORST_OF = (
    "wait_median_min",
    "peak_counter_result_mean",
    "peak_data_experience_mean",
    "peak_phone_purchase_mean",
    "exit_mean",
)


@dataclass(frozen=True)
class Worst:
    key: str  # the metric
    label: str  # the hall (or region) in last place
    value: float
    rank: int
    ranked: int  # how many were ranked
    hall_id: str | None = None  # the hall's id (None for a region): its hall page link


def worst(league: pd.DataFrame, keys=WORST_OF, label_column: str = "hall_name") -> list[Worst]:
    """Per metric, the hall in last place among the ranked ones (ties: the first in table
    order). Left out when fewer than two halls are ranked: a last place needs a field."""
    out = []
    for key in keys:
        ranks = league[f"{key}_rank"]
        if ranks.notna().sum() < 2:
            continue
        last = int(ranks.max())
        row = league[ranks == last].iloc[0]
        out.append(
            Worst(
                key,
                str(row[label_column]),
                float(row[key]),
                last,
                int(ranks.notna().sum()),
                str(row["hall_id"]) if "hall_id" in row else None,
            )
        )
    return out


def sorted_by_rank(league: pd.DataFrame, key: str) -> pd.DataFrame:
    """The league best first on one metric's rank (unranked halls last, in table order);
    the table, its row picks and its drill-down all use this order."""
    rank = f"{key}_rank"
    if rank not in league:
        return league.reset_index(drop=True)
    return league.sort_values(rank, na_position="last", kind="stable").reset_index(drop=True)


# -- trends ---------------------------------------------------------------------------------
def trend_frame(
    grouped: pd.DataFrame, entities: pd.DataFrame, metric_key: str, min_n: int, id_column: str = "hall_id"
) -> pd.DataFrame:
    """Tidy trend of one metric: one row per hall (or region) x day (or week).

    `grouped` is metrics_by_group with group_1 = hall (or region) and group_2 = day/week.
    Points whose own n is under the minimum become NaN, so a line breaks instead of
    drawing a mean of two ratings. Columns: id, label, period (date), value, n.
    """
    metric = METRICS[metric_key]
    label_column = "hall_name" if id_column == "hall_id" else id_column
    labels = pd.Series(entities[label_column].to_numpy(), index=entities[id_column].to_numpy())
    rows = grouped[grouped["group_1"].isin(labels.index)]
    n = rows[metric.n_column] if metric.n_column else rows["visits"]
    value = rows[metric_key].astype("float64")
    if metric.rating or metric.n_column:
        value = value.where(n >= min_n)
    out = pd.DataFrame(
        {
            "id": rows["group_1"].astype(str),
            "label": rows["group_1"].map(labels),
            "period": pd.to_datetime(rows["group_2"]).dt.date,
            "value": value,
            "n": n.astype("int64"),
        }
    )
    return out.sort_values(["id", "period"]).reset_index(drop=True)


# Small multiples and box plots stay readable up to about this many halls; a region of 80
# halls (or a network of thousands) gets the halls most in need, and the league table keeps
# every hall's numbers and sparkline.
MAX_HALLS_DRAWN = 24


def trend_panel_halls(league: pd.DataFrame, metric_key: str, limit: int = MAX_HALLS_DRAWN) -> list[str]:
    """The halls that get a small-multiple panel, in table order when they all fit; else
    the `limit` ranked lowest on the metric, worst first (volumes: the busiest first).
    Unranked (thin) halls come after every ranked one."""
    if len(league) <= limit:
        return [str(h) for h in league["hall_id"]]
    rank = f"{metric_key}_rank"
    if rank in league:
        order = league.sort_values(rank, ascending=False, na_position="last", kind="stable")
    else:
        order = league.sort_values(metric_key, ascending=False, na_position="last", kind="stable")
    return [str(h) for h in order["hall_id"].head(limit)]


def sparklines(trend: pd.DataFrame, ids: pd.Series) -> list[list[float]]:
    """Per id (in the order of `ids`), the trend's values oldest first, missing points left
    out (a sparkline shows the shape, the small multiples show the dates)."""
    by_id = {k: g["value"].dropna().round(4).tolist() for k, g in trend.groupby("id")}
    return [by_id.get(str(i), []) for i in ids]


def hall_regions(league: pd.DataFrame) -> dict[str, str]:
    return dict(zip(league["hall_id"], league["region"]))


def hall_targets(league: pd.DataFrame, metric_key: str) -> dict[str, float]:
    """Each hall's target for the metric (empty when the metric has none)."""
    column = f"{metric_key}_target"
    if column not in league:
        return {}
    return {h: float(v) for h, v in zip(league["hall_id"], league[column]) if not _missing(v)}


# -- charts' inputs -------------------------------------------------------------------------
@dataclass(frozen=True)
class Quadrant:
    points: pd.DataFrame  # label, region, wait_median_min, peak_end_index, visits, thin
    wait_median: float | None  # the cross-hairs: medians over the points that are not thin
    peak_end_median: float | None


def quadrant(league: pd.DataFrame, label_column: str = "hall_name") -> Quadrant:
    """Median wait against peak-end index per hall; a hall is thin (greyed, left out of
    the cross-hairs) when either of its two numbers rests on fewer than the minimum n."""
    thin = league["wait_median_min_thin"] | league["peak_end_index_thin"]
    points = pd.DataFrame(
        {
            "label": league[label_column].astype(str),
            "region": league["region"].astype(str),
            "wait_median_min": league["wait_median_min"].astype("float64"),
            "peak_end_index": league["peak_end_index"].astype("float64"),
            "visits": league["visits"].astype("int64"),
            "thin": thin.astype(bool),
        }
    ).dropna(subset=["wait_median_min", "peak_end_index"])
    solid = points[~points["thin"]]
    return Quadrant(
        points=points.reset_index(drop=True),
        wait_median=float(solid["wait_median_min"].median()) if len(solid) else None,
        peak_end_median=float(solid["peak_end_index"].median()) if len(solid) else None,
    )


def wait_boxes(distribution: pd.DataFrame, league: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """regional_wait_distribution for the league's halls, with each hall's wait target and
    a thin flag, longest median wait first (the box plot reads top-down)."""
    rows = distribution[distribution["hall_id"].isin(league["hall_id"])].copy()
    rows["wait_target_min"] = rows["hall_id"].map(league.set_index("hall_id")["wait_median_min_target"])
    rows["thin"] = rows["wait_n"] < min_n
    return rows.sort_values("wait_median_min", ascending=False).reset_index(drop=True)


# -- export ---------------------------------------------------------------------------------
def _status_label(status) -> str:
    return t(f"status.{status}") if isinstance(status, str) else ""


def _value_header(metric: Metric) -> str:
    return metric.label if metric.kind == "count" else f"{metric.label} · {metric.unit}"


def export_frame(league: pd.DataFrame, id_column: str = "hall_id") -> pd.DataFrame:
    """The league table flattened for CSV/Excel, headers in the current language.

    Values stay numbers (shares as fractions, minutes, scores, NPS points) so a
    spreadsheet can sort and sum them; thin cells are kept and flagged by their n.
    `frame.attrs["columns"]` names each metric's value and change columns, so the Excel
    builder (run later, when the button is clicked, outside the page's language) finds
    them without translating anything again.
    """
    out: dict[str, pd.Series] = {}
    names: dict[str, dict[str, str]] = {}
    if id_column == "hall_id":
        out[t("regional.col.hall_id")] = league["hall_id"]
        out[t("regional.col.hall")] = league["hall_name"]
    out[t("regional.col.region")] = league["region"]
    for key in LEAGUE_METRICS:
        metric = METRICS[key]
        label = metric.label
        out[_value_header(metric)] = league[key]
        names[key] = {"value": _value_header(metric)}
        if f"{key}_rank" in league:
            out[t("regional.export.rank", metric=label)] = league[f"{key}_rank"]
        if f"{key}_change" in league:
            out[t("regional.export.change", metric=label)] = league[f"{key}_change"]
            names[key]["change"] = t("regional.export.change", metric=label)
        if f"{key}_status" in league:
            out[t("regional.export.status", metric=label)] = league[f"{key}_status"].map(_status_label)
        if metric.n_column:
            out[t("regional.export.n", metric=label)] = league[f"{key}_n"]
    frame = pd.DataFrame(out)
    frame.attrs["columns"] = names
    return frame


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese headers correctly; no cell (a hall
    name "=HYPERLINK(...)") acts as a formula."""
    return safe_text.csv_safe(frame).to_csv(index=False).encode("utf-8-sig")


def to_excel(frame: pd.DataFrame, league: pd.DataFrame, sheet: str) -> bytes:
    """One sheet, header frozen, number formats per metric kind, target status as the
    cell's fill and thin cells in grey (the same marks as the page).

    Nothing here is translated: Streamlit calls this when the button is clicked, in a
    thread without the page's language, so the headers come from export_frame."""
    from peakend.charts.theme import GREYED, STATUS_COLORS

    buffer = io.BytesIO()
    # text is written as text: a hall name "=HYPERLINK(...)" must not become a live formula
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False)
        book, ws = writer.book, writer.sheets[sheet]
        ws.freeze_panes(1, 2)
        header = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        for col, name in enumerate(frame.columns):
            ws.write(0, col, name, header)
        ws.set_row(0, 45)
        num = {
            "count": "#,##0",
            "minutes": "0.0",
            "share": "0.0%",
            "score": "0.00",
            "points": "+0;-0;0",
        }
        columns = list(frame.columns)
        names = frame.attrs["columns"]
        for key in LEAGUE_METRICS:
            metric = METRICS[key]
            col = columns.index(names[key]["value"])
            ws.set_column(col, col, 12, book.add_format({"num_format": num[metric.kind]}))
            change_name = names[key].get("change")
            if change_name is not None:
                change_fmt = (
                    "+0.0%;-0.0%;0.0%"
                    if metric.kind == "share"
                    else ("+0.00;-0.00;0.00" if metric.kind == "score" else "+0.0;-0.0;0.0")
                )
                c = columns.index(change_name)
                ws.set_column(c, c, 10, book.add_format({"num_format": change_fmt}))
            # Cell marks: target status as a fill, thin in grey, row by row.
            for row, (value, thin, status) in enumerate(
                zip(
                    league[key],
                    league[f"{key}_thin"],
                    league[f"{key}_status"] if f"{key}_status" in league else [None] * len(league),
                ),
                start=1,
            ):
                if _missing(value):
                    continue
                style = {"num_format": num[metric.kind]}
                if thin:
                    style["font_color"] = GREYED
                elif isinstance(status, str):
                    style["bg_color"] = _tint(STATUS_COLORS[status])
                if len(style) > 1:
                    ws.write_number(row, col, float(value), book.add_format(style))
        ws.set_column(0, 1, 16)
    return buffer.getvalue()


def _tint(hex_colour: str, alpha: float = 0.25) -> str:
    """The colour mixed with white (Excel fills have no transparency)."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    mix = lambda c: round(255 - (255 - c) * alpha)  # noqa: E731
    return f"#{mix(r):02x}{mix(g):02x}{mix(b):02x}"
