"""Wait tolerance: a moment's score against the wait, per purpose, and the wait at which
satisfaction falls off. The moment is the visit's peak (the default), its exit, or any moment
of the hall's journey from the queue on that a ratings file rates (its scores placed on 1-5;
ReadMoment).

The model is a segmented (broken-stick) regression: two straight lines that meet at a
knee, y = a + b1 * min(wait, k) + b2 * max(wait - k, 0), with the knee k searched on a
half-minute grid and its 95% interval read off the profile of the residual sum of squares
(the usual F-based interval for a breakpoint). It is fitted to the per-minute sums of
queries/insights_wait_tolerance.sql, which gives exactly the visit-level least-squares fit
with each wait taken at its minute's mean (tests/test_insights_tolerance.py checks this
against statsmodels on the rows, and finds a known knee on a synthetic curve).

What the fit says, in the words the page uses:
- falls_off: the score holds (or falls slowly) up to the knee, then falls faster: the knee
  is offered as a wait target;
- early: the score falls fastest in the first minutes and flattens after the knee (people
  mind the first minutes most): no tolerance to read a target from; the wait at which the
  fitted curve drops below the peak target is offered instead;
- steady / flat: no bend worth the name; a steady fall per 10 minutes, or no measurable
  effect of the wait at all;
- thin: too few ratings to say.
Because the knee is searched, the bend must beat a critical value made for a searched
break (BEND_F), not the plain F test's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from peakend.core.moments import WIDE_MOMENTS, moment_label

MAX_WAIT_MIN = 60  # waits from here on share one row and stay out of the fit
MIN_RATINGS = 200
MIN_MINUTES = 6  # distinct wait minutes with ratings
KNOT_STEP = 0.5
KNOT_FLOOR = 1.0
# The knee is searched, so an ordinary F test of the bend finds bends in straight lines far
# too often. The bend must beat Andrews' (1993) 1% critical value for a break in one
# coefficient found by search (15% trimming), which is conservative for a kink like this.
BEND_F = 12.35
LEVEL = 0.95


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    cov: np.ndarray
    rss: float
    df: int


@dataclass(frozen=True)
class ReadMoment:
    """The score read against the wait: "peak" (a visit's peak moment), "exit", or a moment of
    the journey rated in a ratings file (`name`: its catalogue name)."""

    code: str
    name: str | None = None
    scale: tuple[int, int] = (1, 5)

    @property
    def kind(self) -> str:  # peak | exit | rated
        return self.code if self.code in ("peak", "exit") else "rated"

    def target(self, hall) -> float:
        """The bar its fitted curve is held to: the exit target for the exit, the peak target
        (1-5, as the scores are placed) for every other."""
        return float(hall["exit_target" if self.code == "exit" else "peak_target"])


# a wait can only change what comes after it
AFTER_THE_WAIT = ("queue", "counter", "after_counter", "exit")


def read_moments(journey: pd.DataFrame) -> list[ReadMoment]:
    """The peak first, then the moments of the hall's journey (queries/hall_journey_moments.sql)
    from the queue on that a ratings file rates, in journey order, and the exit last."""
    rated = [
        ReadMoment(row["moment"], moment_label(row), (int(row["scale_min"]), int(row["scale_max"])))
        for _, row in journey.iterrows()
        if row["stage"] in AFTER_THE_WAIT and row["moment"] not in WIDE_MOMENTS
    ]
    return [ReadMoment("peak"), *rated, ReadMoment("exit")]


def _design(x: np.ndarray, knot: float | None) -> np.ndarray:
    if knot is None:
        return np.column_stack([np.ones_like(x), x])
    return np.column_stack([np.ones_like(x), np.minimum(x, knot), np.maximum(x - knot, 0.0)])


def _wls(x, n, ybar, within_ss, knot: float | None, df: int) -> _Fit:
    """Least squares on per-minute means weighted by their counts; the residual sum of
    squares adds the spread within each minute, so it is the visit-level one."""
    X = _design(x, knot)
    xtwx = X.T @ (X * n[:, None])
    beta = np.linalg.solve(xtwx, X.T @ (n * ybar))
    rss = within_ss + float(n @ (ybar - X @ beta) ** 2)
    return _Fit(beta, rss / df * np.linalg.inv(xtwx), rss, df)


@dataclass(frozen=True)
class Tolerance:
    purpose: str
    kind: str  # falls_off | early | steady | flat | thin
    ratings: int  # in the fit (waits under MAX_WAIT_MIN)
    ratings_beyond: int  # waits of MAX_WAIT_MIN minutes or more, left out
    bins: pd.DataFrame  # wait_mean_min, ratings, score_mean (for the chart)
    knee: float | None = None
    knee_low: float | None = None
    knee_high: float | None = None
    slope_before: tuple[float, float, float] | None = None  # per 10 min: estimate, low, high
    slope_after: tuple[float, float, float] | None = None
    slope_line: tuple[float, float, float] | None = None
    p_bend: float | None = None
    curve: pd.DataFrame | None = None  # wait_min, fitted, low, high
    crossing: float | None = None  # fitted curve drops below the peak target here
    crossing_kind: str | None = None  # crosses | below_from_start | holds
    suggested: float | None = None  # a wait target, minutes
    suggestion_basis: str | None = None  # knee | target


def _interval(fit: _Fit, c: np.ndarray, scale: float = 1.0) -> tuple[float, float, float]:
    est = float(c @ fit.beta)
    se = math.sqrt(max(float(c @ fit.cov @ c), 0.0))
    q = stats.t.ppf(0.5 + LEVEL / 2, fit.df)
    return est * scale, (est - q * se) * scale, (est + q * se) * scale


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    return float(x[order][np.searchsorted(cum, q)])


def wait_tolerance(bins: pd.DataFrame, purpose: str, peak_target: float) -> Tolerance:
    """Fit one purpose's rows of insights_wait_tolerance."""
    rows = bins[bins["purpose"] == purpose] if "purpose" in bins else bins
    beyond = int(rows.loc[rows["wait_minute"] >= MAX_WAIT_MIN, "ratings"].sum())
    rows = rows[rows["wait_minute"] < MAX_WAIT_MIN].sort_values("wait_minute")
    x = rows["wait_mean_min"].to_numpy(float)
    n = rows["ratings"].to_numpy(float)
    ybar = rows["score_mean"].to_numpy(float)
    within = float(rows["score_ss"].sum())
    total = int(n.sum())
    shown = rows[["wait_mean_min", "ratings", "score_mean"]].reset_index(drop=True)
    if total < MIN_RATINGS or len(rows) < MIN_MINUTES:
        return Tolerance(purpose, "thin", total, beyond, shown)

    line = _wls(x, n, ybar, within, None, total - 2)
    low_edge = max(KNOT_FLOOR, _weighted_quantile(x, n, 0.05))
    high_edge = _weighted_quantile(x, n, 0.90)
    candidates = np.arange(math.ceil(low_edge / KNOT_STEP) * KNOT_STEP, high_edge + 1e-9, KNOT_STEP)
    # two distinct minutes on each side, or a line is fitted through one point
    knots = [k for k in candidates if (x < k).sum() >= 2 and (x > k).sum() >= 2]
    slope_line = _interval(line, np.array([0.0, 1.0]), 10)
    if not knots:
        kind = "steady" if slope_line[2] < 0 else "flat"
        return _finish(
            Tolerance(purpose, kind, total, beyond, shown, slope_line=slope_line), line, None, x, peak_target
        )

    df = total - 4  # the knee is a parameter too
    fits = [_wls(x, n, ybar, within, k, df) for k in knots]
    rss = np.array([f.rss for f in fits])
    best = int(np.argmin(rss))
    knee, hinge = float(knots[best]), fits[best]
    # profile interval: knees whose fit is not worse than F(1, df) allows
    inside = rss <= rss[best] * (1 + stats.f.ppf(LEVEL, 1, df) / df)
    knee_low, knee_high = float(np.asarray(knots)[inside].min()), float(np.asarray(knots)[inside].max())
    f_bend = (line.rss - hinge.rss) / (hinge.rss / df)
    p_bend = float(stats.f.sf(f_bend, 1, df))
    before = _interval(hinge, np.array([0.0, 1.0, 0.0]), 10)
    after = _interval(hinge, np.array([0.0, 0.0, 1.0]), 10)
    change = _interval(hinge, np.array([0.0, -1.0, 1.0]), 10)
    result: dict[str, Any] = dict(
        knee=knee,
        knee_low=knee_low,
        knee_high=knee_high,
        slope_before=before,
        slope_after=after,
        slope_line=slope_line,
        p_bend=p_bend,
    )
    bent = f_bend > BEND_F
    if bent and change[2] < 0 and after[2] < 0:
        kind = "falls_off"
    elif bent and change[1] > 0 and before[2] < 0:
        kind = "early"
    else:
        kind = "steady" if slope_line[2] < 0 else "flat"
    if kind in ("steady", "flat"):
        return _finish(
            Tolerance(purpose, kind, total, beyond, shown, slope_line=slope_line, p_bend=p_bend),
            line,
            None,
            x,
            peak_target,
        )
    return _finish(Tolerance(purpose, kind, total, beyond, shown, **result), hinge, knee, x, peak_target)


def _finish(tol: Tolerance, fit: _Fit, knot: float | None, x: np.ndarray, peak_target: float) -> Tolerance:
    """Add the fitted curve with its confidence band, where it crosses the peak target, and
    the suggested wait target."""
    grid = np.round(np.arange(0.0, float(x.max()) + 0.05, 0.1), 1)
    X = _design(grid, knot)
    fitted = X @ fit.beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, fit.cov, X))
    q = stats.t.ppf(0.5 + LEVEL / 2, fit.df)
    curve = pd.DataFrame({"wait_min": grid, "fitted": fitted, "low": fitted - q * se, "high": fitted + q * se})
    below = np.nonzero(fitted < peak_target)[0]
    if len(below) == 0:
        crossing, crossing_kind = None, "holds"
    elif below[0] == 0:
        crossing, crossing_kind = None, "below_from_start"
    else:
        crossing, crossing_kind = float(grid[below[0]]), "crosses"
    suggested = basis = None
    if tol.kind == "falls_off":
        assert tol.knee is not None  # a knee is found for every bent fit
        suggested, basis = float(math.floor(tol.knee)), "knee"
    elif crossing is not None and crossing >= 1 and tol.kind != "flat":
        suggested, basis = float(math.floor(crossing)), "target"
    return Tolerance(
        **{
            **tol.__dict__,
            "curve": curve,
            "crossing": crossing,
            "crossing_kind": crossing_kind,
            "suggested": suggested,
            "suggestion_basis": basis,
        }
    )


def advice(tol: Tolerance, wait_target: float) -> str | None:
    """What the curve says about the hall's wait target: "tighten" to tol.suggested when
    that is shorter, "keep" when the curve's wait is at or beyond the target. It never
    argues for a longer target: the curve is read from the waits people were made to bear,
    and a hall that misses its target must not be told to move the target instead."""
    if tol.suggested is None:
        return None
    return "tighten" if tol.suggested < wait_target else "keep"


def fit_purposes(bins: pd.DataFrame, peak_target: float) -> list[Tolerance]:
    """Every purpose of insights_wait_tolerance, the most rated first."""
    order = bins.groupby("purpose")["ratings"].sum().sort_values(ascending=False, kind="stable")
    return [wait_tolerance(bins, purpose, peak_target) for purpose in order.index]
