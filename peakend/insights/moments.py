"""Moments that matter: the store manager's ranked to-do list.

The model, in one sentence (the page says it too): the expected gain from a moment is how
far the hall is from the benchmark on it, times how much a visit's peak-end index (or its
NPS points) changes per point of that moment across the benchmark's visits, times the share
of the hall's visits that pass through it.

The benchmark is the top quartile of the halls of the hall's region the user may see (the
75th percentile of their means; the 25th for the wait, where lower is better). The access
scope is never widened for it: when fewer than MIN_BENCHMARK_HALLS halls of the region are
visible with enough ratings (a store manager sees only their own hall), the benchmark is
the hall's own targets, and the page says so.

It is an association across visits, not an experiment: moments that tend to go together
(a good peak and a good exit) share the credit. Good enough to rank; the evidence (n, the
slope and its interval) is shown next to every line.

The list covers the hall's whole journey (the catalogue, core/moments.py) when it is given:
the wait in minutes (its 1-5 rating would be a second, coarser line for the same moment),
the peak moments and the exit from the visit's own columns, and every other moment from
its ratings, on its own scale. A rated moment's share is its ratings against those of the
hall's most-rated such moment: of the visits asked about their journey, the share that
went through it. Without a benchmark of halls, its bar is the hall's peak target moved
onto the moment's scale.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from peakend.core.moments import KEY_MOMENTS, PEAK_MOMENTS, moment_label

LOWER_IS_BETTER = frozenset({"wait"})
TARGET_COLUMN = {
    "wait": "wait_target_min",
    "counter_result": "peak_target",
    "data_experience": "peak_target",
    "phone_purchase": "peak_target",
    "exit": "exit_target",
}
MIN_BENCHMARK_HALLS = 4
TOP_QUARTILE = 0.75
LEVEL = 0.95


@dataclass(frozen=True)
class Slope:
    """A simple regression slope with its confidence interval, from regr_* sums."""

    value: float
    low: float
    high: float
    n: int

    @property
    def measurable(self) -> bool:
        return self.low > 0 or self.high < 0


def slope_from_sums(n, sxx, sxy, syy, level: float = LEVEL) -> Slope | None:
    """OLS slope of y on x and its t interval; None without enough spread to estimate."""
    if n is None or pd.isna(n) or n < 3 or pd.isna(sxx) or sxx <= 1e-12:
        return None
    n = int(n)
    b = sxy / sxx
    rss = max(syy - b * sxy, 0.0)
    se = math.sqrt(rss / (n - 2) / sxx)
    q = stats.t.ppf(0.5 + level / 2, n - 2)
    return Slope(float(b), float(b - q * se), float(b + q * se), n)


@dataclass(frozen=True)
class JourneyMoment:
    """A moment of the hall's journey as the list reads it: its code, name (None: one of
    KEY_MOMENTS, named by the page's own words) and scale."""

    moment: str
    name: str | None = None
    scale: tuple[int, int] = (1, 5)

    @property
    def rated(self) -> bool:
        """Rated in a ratings file, not measured or rated in the visit's own columns."""
        return self.moment not in KEY_MOMENTS


def journey_moments(journey: pd.DataFrame | None) -> list[JourneyMoment]:
    """The list's moments in journey order: the catalogue's rows of the hall (those of
    queries/hall_journey_moments.sql), or KEY_MOMENTS alone without them."""
    if journey is None:
        return [JourneyMoment(m) for m in KEY_MOMENTS]
    return [
        JourneyMoment(row["moment"])
        if row["moment"] in KEY_MOMENTS
        else JourneyMoment(row["moment"], moment_label(row), (int(row["scale_min"]), int(row["scale_max"])))
        for _, row in journey.iterrows()
    ]


@dataclass(frozen=True)
class Line:
    """One line of the to-do list."""

    moment: str
    status: str  # gain | uncertain (its interval reaches 0) | at_benchmark | thin | no_evidence
    value: float | None  # the hall's mean (minutes for the wait, a 1-5 score otherwise)
    median: float | None  # the wait's median beside its mean (waits are skewed)
    n: int  # the hall's ratings (or waits) in the period
    benchmark: float | None
    share: float  # of the hall's visits that pass through the moment
    index_slope: Slope | None
    nps_slope: Slope | None
    gain_index: tuple[float, float, float] | None  # estimate, low, high
    gain_nps: tuple[float, float, float] | None
    name: str | None = None  # a catalogue moment's name (None: one of KEY_MOMENTS)
    scale: tuple[int, int] = (1, 5)


@dataclass(frozen=True)
class Benchmark:
    kind: str  # top_quartile | targets
    halls: int  # halls with enough data behind the quartiles (0 for targets)
    values: dict[str, float | None]
    visits: int = 0  # served visits behind the slopes
    slope_halls: int = 0  # halls behind the slopes
    targets_for: tuple[str, ...] = ()  # rated moments held to the hall's own bar instead


def benchmark(rows: pd.DataFrame, hall_targets, min_n: int, moments: list[JourneyMoment] | None = None) -> Benchmark:
    """The region's top quartile per moment, or the hall's targets when too few halls
    with at least min_n ratings are visible."""
    moments = moments or journey_moments(None)
    per_hall = rows[rows["hall_id"].notna()]
    values: dict[str, float | None] = {}
    counts = {}
    for m in moments:
        means = per_hall.loc[(per_hall["moment"] == m.moment) & (per_hall["n"] >= min_n), "value_mean"]
        counts[m.moment] = len(means)
        q = 1 - TOP_QUARTILE if m.moment in LOWER_IS_BETTER else TOP_QUARTILE
        values[m.moment] = float(np.quantile(means, q)) if len(means) else None
    # the wait and the exit exist in every hall: they decide whether a quartile means anything
    halls = min(counts["wait"], counts["exit"])
    if halls < MIN_BENCHMARK_HALLS:
        return Benchmark("targets", 0, {m.moment: _target(m, hall_targets) for m in moments})
    # a moment that too few of the halls rate (a hall's or a region's own) has no quartile:
    # the hall's own bar for it
    own = tuple(m.moment for m in moments if m.rated and counts[m.moment] < MIN_BENCHMARK_HALLS)
    values.update({m.moment: _target(m, hall_targets) for m in moments if m.moment in own})
    return Benchmark("top_quartile", halls, values, targets_for=own)


def _target(m: JourneyMoment, hall_targets) -> float | None:
    """The hall's own bar for a moment: its target, or for a rated moment the peak target
    (1-5) at the same place on the moment's scale."""
    if not m.rated:
        return _float(hall_targets[TARGET_COLUMN[m.moment]])
    peak = _float(hall_targets["peak_target"])
    low, high = m.scale
    return None if peak is None else low + (peak - 1) / 4 * (high - low)


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _row(rows: pd.DataFrame, hall_id: str | None, moment: str):
    sel = rows["moment"] == moment
    sel &= rows["hall_id"].isna() if hall_id is None else rows["hall_id"] == hall_id
    found = rows[sel]
    return None if found.empty else found.iloc[0]


def _gain(slope: Slope | None, gap: float, gap_se: float, share: float) -> tuple[float, float, float] | None:
    """slope x gap x share, with an interval that counts both the slope's uncertainty and
    that of the hall's own mean (delta method; the benchmark is a chosen bar, held fixed)."""
    if slope is None:
        return None
    q = stats.norm.ppf(0.5 + LEVEL / 2)
    slope_se = (slope.high - slope.low) / 2 / stats.t.ppf(0.5 + LEVEL / 2, slope.n - 2)
    estimate = slope.value * gap * share
    se = share * math.sqrt((gap * slope_se) ** 2 + (slope.value * gap_se) ** 2)
    return estimate, estimate - q * se, estimate + q * se


def todo_list(
    rows: pd.DataFrame,
    hall_id: str,
    hall_targets,
    min_n: int,
    slopes_from: pd.DataFrame | None = None,
    journey: pd.DataFrame | None = None,
) -> tuple[list[Line], Benchmark]:
    """The ranked lines for one hall.

    rows: insights_moments over the benchmark's halls (the hall among them). slopes_from:
    the rows whose all-halls line (hall_id null) gives the slopes; by default `rows`.
    journey: the hall's catalogue moments (queries/hall_journey_moments.sql); without it,
    KEY_MOMENTS alone. Lines with a gain come first, largest expected peak-end gain first;
    then the moments at the benchmark, then those without enough data or without a
    measurable link.
    """
    slopes_from = rows if slopes_from is None else slopes_from
    moments = journey_moments(journey)
    pooled_wait = _row(slopes_from, None, "wait")
    bench = dataclasses.replace(
        benchmark(rows, hall_targets, min_n, moments),
        visits=int(pooled_wait["visits"]) if pooled_wait is not None else 0,
        slope_halls=int(slopes_from["hall_id"].dropna().nunique()),
    )
    served = _row(rows, hall_id, "wait")
    served_visits = float(served["visits"]) if served is not None else 0.0
    mine_of = {m.moment: _row(rows, hall_id, m.moment) for m in moments}
    # the ratings of the hall's most-rated journey moment: the visits asked about their journey
    asked = max((float(r["n"]) for m in moments if m.rated and (r := mine_of[m.moment]) is not None), default=0.0)
    lines = []
    for jm in moments:
        moment = jm.moment
        mine = mine_of[moment]
        pooled = _row(slopes_from, None, moment)
        n = int(mine["n"]) if mine is not None else 0
        value = _float(mine["value_mean"]) if mine is not None else None
        median = _float(mine["value_median"]) if mine is not None and moment == "wait" else None
        if moment in PEAK_MOMENTS:
            share = float(mine["visits"]) / served_visits if mine is not None and served_visits else 0.0
        elif jm.rated:
            share = float(mine["n"]) / asked if mine is not None and asked else 0.0
        else:
            share = 1.0  # every visit waits (or not) and every visit ends
        index_slope = nps_slope = None
        if pooled is not None:
            index_slope = slope_from_sums(
                pooled["index_n"], pooled["index_sxx"], pooled["index_sxy"], pooled["index_syy"]
            )
            nps_slope = slope_from_sums(pooled["nps_n"], pooled["nps_sxx"], pooled["nps_sxy"], pooled["nps_syy"])
        target = bench.values.get(moment)
        common: dict[str, Any] = dict(
            moment=moment,
            value=value,
            median=median,
            n=n,
            benchmark=target,
            share=share,
            index_slope=index_slope,
            nps_slope=nps_slope,
            name=jm.name,
            scale=jm.scale,
        )
        if value is None or n < min_n or target is None:
            lines.append(Line(status="thin", gain_index=None, gain_nps=None, **common))
            continue
        if index_slope is None or not index_slope.measurable:
            lines.append(Line(status="no_evidence", gain_index=None, gain_nps=None, **common))
            continue
        worse = value > target if moment in LOWER_IS_BETTER else value < target
        if not worse:
            lines.append(Line(status="at_benchmark", gain_index=None, gain_nps=None, **common))
            continue
        gap = target - value  # in the moment's unit: points, or minutes (negative: shorter)
        sd = _float(mine["value_sd"]) if n > 1 else None
        gap_se = sd / math.sqrt(n) if sd else 0.0
        gain_index = _gain(index_slope, gap, gap_se, share)
        assert gain_index is not None  # index_slope is measurable here
        # a gain whose interval reaches zero is not a to-do: the hall may already be there
        status = "gain" if gain_index[1] > 0 else "uncertain"
        lines.append(
            Line(status=status, gain_index=gain_index, gain_nps=_gain(nps_slope, gap, gap_se, share), **common)
        )
    order = {"gain": 0, "uncertain": 1, "at_benchmark": 2, "no_evidence": 3, "thin": 4}
    lines.sort(key=lambda line: (order[line.status], -(line.gain_index[0] if line.gain_index else 0)))
    return lines, bench
