"""Peak + end against the mean of all moments (issue 21): once a visit has more than two
ratings (the peak, the exit and any other key moment of its journey), the peak-end research
asks whether the overall judgement follows the peak and the end better than the mean of
every moment (Kahneman et al. 1993; Alaybek et al. 2022: r ≈ 0.58 for peak-end).

Both are correlations with the same overall score over the same visits, so they are
compared as two dependent correlations that share a variable: Williams' t (Steiger 1980,
eq. 7), with n - 3 degrees of freedom. queries/insights_all_moments.sql gives the three
correlations; tests/test_insights_journey_check.py checks the test against a direct
computation on raw rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

MIN_VISITS = 100  # visits with more than two ratings; below this, too little to say
ALPHA = 0.05


@dataclass(frozen=True)
class JourneyCheck:
    n: int
    mean_moments: float  # ratings per visit, peak and exit included
    r_peak_end: float
    r_all: float
    r_between: float
    t: float
    p: float

    @property
    def difference(self) -> float:
        return self.r_peak_end - self.r_all

    @property
    def winner(self) -> str:
        """ "peak_end", "all_moments" or "tie" (the difference is within chance)."""
        if self.p >= ALPHA:
            return "tie"
        return "peak_end" if self.difference > 0 else "all_moments"


def williams_t(r12: float, r13: float, r23: float, n: int) -> tuple[float, float]:
    """Williams' t for H0: r12 = r13 (variable 1 shared), and its two-sided p (df n - 3)."""
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    mean = (r12 + r13) / 2
    denominator = 2 * ((n - 1) / (n - 3)) * det + mean**2 * (1 - r23) ** 3
    if denominator <= 0:
        return math.nan, math.nan
    t = (r12 - r13) * math.sqrt((n - 1) * (1 + r23) / denominator)
    return t, float(2 * stats.t.sf(abs(t), n - 3))


def _num(value) -> float:
    """A query's number, NaN for a null."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def check(row) -> JourneyCheck | None:
    """The comparison from one row of insights_all_moments (None: too few visits, or
    correlations that can't be computed, e.g. every overall score the same)."""
    visits = _num(row["visits"])
    n = 0 if math.isnan(visits) else int(visits)
    r12, r13, r23 = (_num(row[c]) for c in ("r_peak_end", "r_all_moments", "r_between"))
    if n < MIN_VISITS or any(math.isnan(r) for r in (r12, r13, r23)):
        return None
    t, p = williams_t(r12, r13, r23, n)
    if math.isnan(t):
        return None
    return JourneyCheck(n, _num(row["mean_moments"]), r12, r13, r23, t, p)
