"""What the morning brief and the wall sheet say, gathered from the named queries.

The brief asks the same questions as the pages it sums up, with the same filters, so its
numbers are theirs: the hall page's headline (metrics_by_group for the hall and the day),
its worst hour and that hour's comments, the peers' ranks (peer_ranks, anonymised on the
server) and the Insights to-do list (insights_moments over the hall's region, todo_list).
Nothing here computes a metric; `query` is the caller's way of asking a named query for its
signed-in user (the page's `ui.answers.run`, the command line's `Database.query` with the
scope of the halls asked for), so the access scope is always the query layer's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from peakend.core import formatting
from peakend.core.filters import VisitFilter
from peakend.core.halls import first_row
from peakend.core.i18n import t
from peakend.core.metrics import METRICS, MIN_RATINGS_DEFAULT, target_status
from peakend.core.moments import PEAK_MOMENTS
from peakend.core.periods import as_date
from peakend.hall import logic as hall_logic
from peakend.hall import notes as hall_notes
from peakend.insights import moments as insight_moments
from peakend.insights import text as insight_text
from peakend.regional import peers as peer_logic

# query(name, filters, **params) -> the answer, for the signed-in user (or the CLI's scope)
Query = Callable[..., pd.DataFrame]

# The tiles: the five headline numbers that have a target, so each can be marked.
TILES = ("wait_median_min", "service_level", "abandonment_rate", "peak_mean", "exit_mean")
COMMENTS = hall_logic.WORST_HOUR_COMMENTS  # the worst hour's comments, as on the hall page
COMMENT_CHARS = 90  # a comment longer than this is cut (with …) so the page stays one page
TOP_FIXES = 3
# A day of one hall has too few ratings to rank (often under MIN_RATINGS_DEFAULT): a daily
# brief ranks the hall over the 7 days ending on its day; a weekly one over its week.
RANK_DAYS = 7
# The to-do list over the 30 days ending on the brief's day: the Insights page's default.
TODO_DAYS = 30
WALL_DAYS = 28  # the wall sheet: the last 4 weeks


@dataclass(frozen=True)
class BriefPeriod:
    kind: str  # day | week
    start: date
    end: date
    # the two comparisons: the day before and the same weekday a week earlier (day); the
    # week before and the same week four weeks earlier (week)
    previous: tuple[date, date]
    earlier: tuple[date, date]

    @property
    def ranks(self) -> tuple[date, date]:
        """The days the hall is ranked over: the 7 ending on the day, or the week."""
        if self.kind == "week":
            return (self.start, self.end)
        return (self.end - timedelta(days=RANK_DAYS - 1), self.end)

    @property
    def todo(self) -> tuple[date, date]:
        return (self.end - timedelta(days=TODO_DAYS - 1), self.end)


def brief_period(day: date, kind: str | None = None) -> BriefPeriod:
    """The brief for the data of `day`: that day, or, read on a Monday morning (the day is
    a Sunday) or asked for, the week (Monday to Sunday) that ends on it."""
    day = as_date(day)
    if kind is None:
        kind = "week" if day.isoweekday() == 7 else "day"
    if kind == "day":
        return BriefPeriod(
            "day",
            day,
            day,
            (day - timedelta(days=1),) * 2,
            (day - timedelta(days=7),) * 2,
        )
    if kind != "week":
        raise ValueError(f"a brief is for a day or a week, not {kind!r}")
    start = day - timedelta(days=day.isoweekday() - 1)
    end = start + timedelta(days=6)
    return BriefPeriod(
        "week",
        start,
        end,
        (start - timedelta(days=7), end - timedelta(days=7)),
        (start - timedelta(days=28), end - timedelta(days=28)),
    )


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: float | None
    shown: str
    target: float | None
    target_shown: str
    status: str | None  # green | amber | red | None (nothing to judge, or too few ratings)
    n: int | None
    thin: bool


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    now: str
    previous: str
    previous_change: str
    earlier: str
    earlier_change: str
    # better | worse | same | None, for the colour of each change
    previous_way: str | None
    earlier_way: str | None


@dataclass(frozen=True)
class WorstHour:
    hour: int
    span: str
    sentence: str
    thin: bool
    comments: list[tuple[str, str]]  # (exit score, comment)


@dataclass(frozen=True)
class Brief:
    hall_id: str
    hall_name: str
    region: str
    period: BriefPeriod
    visits: int
    tiles: list[Tile]
    changes: list[Change]
    worst_hour: WorstHour | None
    hours: pd.DataFrame  # metrics_by_group by hour: the chart of the worst hour
    wait_target: float
    peer_groups: list[peer_logic.PeerGroup]
    fixes: list[str]
    fixes_note: str | None  # when there is nothing (or less than three) to fix
    current: pd.Series | None = field(repr=False, default=None)  # the hall page's headline row
    open_tasks: list[str] = field(default_factory=list)  # the hall's open tasks, a line each
    notes: list[str] = field(default_factory=list)  # the period's day notes, a line each


def _value(row: pd.Series | None, column: str | None):
    if row is None or column is None or column not in row:
        return None
    value = row[column]
    return None if value is None or pd.isna(value) else value


def target_shown(key: str, target) -> str:
    metric = METRICS[key]
    if target is None:
        return formatting.MISSING
    return formatting.wait_target(target) if metric.target == "wait_target_min" else metric.format(target)


def tile(key: str, row: pd.Series | None, hall: pd.Series, min_n: int = MIN_RATINGS_DEFAULT) -> Tile:
    """One number against its target, judged as the hall page's cards judge it."""
    metric = METRICS[key]
    value = _value(row, key)
    n = _value(row, metric.n_column)
    thin = bool(metric.rating and n is not None and n < min_n)
    target = _value(hall, metric.target)
    return Tile(
        key,
        metric.label,
        value,
        metric.format(value) if value is not None else formatting.MISSING,
        target,
        target_shown(key, target),
        None if thin else target_status(metric, value, target),
        int(n) if n is not None else None,
        thin,
    )


def _change(key: str, now, before) -> tuple[str, str | None]:
    """A change as shown (points of share, minutes, score points) and which way it went."""
    metric = METRICS[key]
    if now is None or before is None:
        return formatting.MISSING, None
    change = now - before
    if metric.kind == "share":
        shown, decimals, unit = change * 100, 1, " " + t("unit.pp")
    else:
        shown, decimals, unit = change, {"count": 0, "score": 2}.get(metric.kind, 1), ""
    if round(shown, decimals) == 0:
        return formatting.points(0, decimals) + unit, "same"
    if metric.higher_is_better is None:
        way = None
    else:
        way = "better" if (change > 0) == metric.higher_is_better else "worse"
    return formatting.points(shown, decimals) + unit, way


def changes(current: pd.Series | None, previous: pd.Series | None, earlier: pd.Series | None) -> list[Change]:
    out = []
    for key in ("visits", *TILES):
        metric = METRICS[key]
        now, before, long_before = _value(current, key), _value(previous, key), _value(earlier, key)
        p_change, p_way = _change(key, now, before)
        e_change, e_way = _change(key, now, long_before)

        def shown(v, metric=metric):
            return metric.format(v) if v is not None else formatting.MISSING

        out.append(
            Change(key, metric.label, shown(now), shown(before), p_change, shown(long_before), e_change, p_way, e_way)
        )
    return out


def _cut(text: str, chars: int = COMMENT_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def fix_sentence(rank: int, line: insight_moments.Line) -> str:
    """One line of the Insights to-do list in one sentence: the moment, the hall's value
    against the benchmark, and what closing the gap is expected to add."""
    assert line.gain_index is not None
    return t(
        "brief.fix.wait" if line.moment == "wait" else "brief.fix.score",
        rank=rank,
        moment=insight_text.line_label(line),
        value=insight_text.moment_value(line.moment, line.value, None),
        benchmark=insight_text.benchmark_value(line.moment, line.benchmark),
        gain=insight_text.signed(line.gain_index[0]),
        n=formatting.number(line.n),
    )


def top_fixes(lines: list[insight_moments.Line], bench_kind: str) -> tuple[list[str], str | None]:
    gains = [line for line in lines if line.status == "gain"][:TOP_FIXES]
    sentences = [fix_sentence(rank, line) for rank, line in enumerate(gains, start=1)]
    if not gains:
        if any(line.status in ("at_benchmark", "uncertain") for line in lines):
            return sentences, t("brief.fix.none_targets" if bench_kind == "targets" else "brief.fix.none")
        return sentences, t("brief.fix.all_thin")
    if len(gains) < TOP_FIXES:
        return sentences, t("brief.fix.fewer", n=formatting.number(len(gains)))
    return sentences, None


MAX_LINES = 3  # open tasks, day notes: the page stays one A4 page


def hall_filter(hall_id: str, start: date, end: date) -> VisitFilter:
    """The hall page's filter for the period (every purpose and peak moment)."""
    return hall_logic.hall_filter(hall_id, start, end)


def gather(query: Query, hall: pd.Series, period: BriefPeriod, min_n: int = MIN_RATINGS_DEFAULT) -> Brief:
    """The brief of one hall (a row of halls_in_scope: the caller has checked it is in scope)."""
    hall_id = str(hall["hall_id"])

    def headline(span: tuple[date, date]) -> pd.Series | None:
        return first_row(query("metrics_by_group", hall_filter(hall_id, *span), group_1=None, group_2=None))

    this = hall_filter(hall_id, period.start, period.end)
    current = headline((period.start, period.end))
    previous, earlier = headline(period.previous), headline(period.earlier)
    by_hour = query("metrics_by_group", this, group_1="hour", group_2=None)

    wait_target = float(hall["wait_target_min"])
    worst = None
    found = hall_logic.worst_hour(by_hour, min_n)
    if found is not None:
        row, thin = found
        hour = int(row["group_1"])
        comments = query("hall_exit_comments", this.replace(hour_from=hour, hour_to=hour), limit=COMMENTS)
        worst = WorstHour(
            hour,
            hall_logic.hour_span(hour),
            hall_logic.worst_hour_sentence(row, wait_target),
            thin,
            [
                (formatting.number(s) if not pd.isna(s) else formatting.MISSING, _cut(c))
                for s, c in zip(comments["exit_score"], comments["exit_comment"])
            ],
        )

    ranks = query(
        "peer_ranks",
        VisitFilter(date_from=period.ranks[0], date_to=period.ranks[1])
        if period.kind == "day"
        else VisitFilter(date_from=period.start, date_to=period.end),
        min_group=peer_logic.MIN_GROUP,
        min_n=min_n,
    )
    groups = peer_logic.peer_groups(ranks, hall_id, min_n)

    todo_from, todo_to = period.todo
    region_rows = query(
        "insights_moments",
        VisitFilter(date_from=todo_from, date_to=todo_to, regions=(hall["region"],)),
        median_hall=hall_id,
    )
    journey = query("hall_journey_moments", None, hall_id=hall_id)
    lines, bench = insight_moments.todo_list(region_rows, hall_id, hall, min_n, journey=journey)
    fixes, note = top_fixes(lines, bench.kind)
    tasks = query("hall_tasks", VisitFilter(halls=(hall_id,)))
    open_tasks = [insight_text.task_line(task) for _, task in tasks[tasks["closed_at"].isna()].iterrows()]
    day_notes = query("hall_day_notes", VisitFilter(date_from=period.start, date_to=period.end, halls=(hall_id,)))

    return Brief(
        hall_id=hall_id,
        hall_name=str(hall["hall_name"]),
        region=str(hall["region"]),
        period=period,
        visits=int(_value(current, "visits") or 0),
        tiles=[tile(key, current, hall, min_n) for key in TILES],
        changes=changes(current, previous, earlier),
        worst_hour=worst,
        hours=by_hour,
        wait_target=wait_target,
        peer_groups=groups,
        fixes=fixes,
        fixes_note=note,
        current=current,
        open_tasks=open_tasks[:MAX_LINES],
        notes=[hall_notes.note_line(n) for _, n in day_notes.iterrows()][:MAX_LINES],
    )


# --- the wall sheet ---------------------------------------------------------------------------
# Every key moment of a visit, in the order a customer lives them (the field study's
# blueprint): finding the hall and entering it have no metric and no target, so the sheet
# shows their standard and action with their customers' ratings when a ratings file brought
# some (never judged), and says plainly when there are none; the others are judged against
# the hall's targets over the last 4 weeks.
WALL_MOMENTS = ("find", "enter", "wait", *PEAK_MOMENTS, "exit")
WALL_METRIC = {
    "wait": "wait_median_min",
    **{m: f"peak_{m}_mean" for m in PEAK_MOMENTS},
    "exit": "exit_mean",
}


@dataclass(frozen=True)
class WallMoment:
    moment: str
    name: str
    standard: str  # what good looks like (the target, in words)
    tile: Tile | None  # None: not measured
    detail: str  # a second line: the evidence (n), the wait's service level and abandonment
    action: str


@dataclass(frozen=True)
class WallSheet:
    hall_id: str
    hall_name: str
    start: date
    end: date
    moments: list[WallMoment]


_SEVERITY = {None: 0, "green": 1, "amber": 2, "red": 3}


def worst_status(*statuses: str | None) -> str | None:
    return max(statuses, key=lambda s: _SEVERITY[s])


def wall_period(last_day: date) -> tuple[date, date]:
    last_day = as_date(last_day)
    return last_day - timedelta(days=WALL_DAYS - 1), last_day


def _targets(hall: pd.Series) -> dict[str, Any]:
    return {
        "wait_target": formatting.wait_target(float(hall["wait_target_min"])),
        "peak_target": formatting.score(float(hall["peak_target"])),
        "exit_target": formatting.score(float(hall["exit_target"])),
        "service_level_target": formatting.percent(float(hall["service_level_target"]), 0),
        "max_abandonment": formatting.percent(float(hall["max_abandonment"]), 0),
    }


def _rated_tile(moment: str, rated: pd.DataFrame, min_n: int) -> Tile | None:
    """A moment with no metric of its own (finding the hall, entering it) as its ratings
    have it (queries/hall_key_moments.sql): their mean, n, never judged (it has no target)."""
    if moment not in rated.index or not rated.at[moment, "ratings"]:
        return None
    n, mean = int(rated.at[moment, "ratings"]), float(rated.at[moment, "mean_score"])
    return Tile(
        moment, t(f"wall.moment.{moment}"), mean, formatting.score(mean), None, formatting.MISSING, None, n, n < min_n
    )


def wall_sheet(query: Query, hall: pd.Series, last_day: date, min_n: int = MIN_RATINGS_DEFAULT) -> WallSheet:
    hall_id = str(hall["hall_id"])
    start, end = wall_period(last_day)
    row = first_row(query("metrics_by_group", hall_filter(hall_id, start, end), group_1=None, group_2=None))
    targets = _targets(hall)
    rated = query("hall_key_moments", hall_filter(hall_id, start, end), hall_id=hall_id).set_index("moment")
    out = []
    for moment in WALL_MOMENTS:
        key = WALL_METRIC.get(moment)
        card = tile(key, row, hall, min_n) if key else _rated_tile(moment, rated, min_n)
        if card is None:
            detail = t("wall.not_measured")
        elif key is None:  # a moment customers rate (a ratings file) that has no target
            detail = (
                t("wall.thin", n=formatting.number(card.n), min_n=formatting.number(min_n))
                if card.thin
                else t("wall.n_no_target", n=formatting.number(card.n or 0))
            )
        elif moment == "wait":
            sl, ab = tile("service_level", row, hall, min_n), tile("abandonment_rate", row, hall, min_n)
            # the queue is marked by the worst of its three numbers: a short median with many
            # giving up is not a green queue
            card = dataclasses.replace(card, status=worst_status(card.status, sl.status, ab.status))
            detail = t(
                "wall.wait_detail",
                service_level=sl.shown,
                service_level_target=sl.target_shown,
                abandonment=ab.shown,
                max_abandonment=ab.target_shown,
            )
        elif card.thin:
            detail = t("wall.thin", n=formatting.number(card.n), min_n=formatting.number(min_n))
        else:
            detail = t("wall.n", n=formatting.number(card.n or 0))
        out.append(
            WallMoment(
                moment,
                t(f"wall.moment.{moment}"),
                t(f"wall.standard.{moment}", **targets),
                card,
                detail,
                t(f"wall.action.{moment}", **targets),
            )
        )
    return WallSheet(hall_id, str(hall["hall_name"]), start, end, out)


# --- a region's cover ----------------------------------------------------------------------------
COVER_METRICS = ("visits", "wait_median_min", "abandonment_rate", "exit_mean", "peak_end_index")


@dataclass(frozen=True)
class RegionCover:
    region: str
    period: BriefPeriod
    rows: list[tuple[int, str, list[Tile]]]  # rank, hall name, its numbers
    hall_ids: list[str]  # in rank order


def region_cover(query: Query, halls: pd.DataFrame, region: str, period: BriefPeriod) -> RegionCover:
    """The region's halls in the caller's scope ranked by peak-end index over the days the
    briefs rank their halls (period.ranks: a day has too few ratings), halls under the
    minimum of ratings last, by name."""
    mine = halls[halls["region"] == region]
    by_hall = query(
        "metrics_by_group",
        VisitFilter(date_from=period.ranks[0], date_to=period.ranks[1], halls=tuple(mine["hall_id"])),
        group_1="hall",
        group_2=None,
    )
    ranked = []
    for _, hall in mine.iterrows():
        found = by_hall[by_hall["group_1"] == hall["hall_id"]]
        row = found.iloc[0] if len(found) else None
        tiles = [tile(key, row, hall) for key in COVER_METRICS]
        index = tiles[-1]
        ranked.append(
            (
                index.value is None or index.thin,
                -(index.value or 0),
                str(hall["hall_name"]),
                str(hall["hall_id"]),
                tiles,
            )
        )
    ranked.sort(key=lambda r: r[:3])
    return RegionCover(
        region,
        period,
        [(rank, name, tiles) for rank, (_, _, name, _, tiles) in enumerate(ranked, start=1)],
        [r[3] for r in ranked],
    )
