"""Does the peak-end rule hold here? The overall score (0-10) of a visit regressed on its
peak score, its exit score, its wait and its length; then the two moments alone against
rivals that can actually do better or worse than they do: the wait alone and the visit
length alone.

The fit works from the means and covariances of queries/insights_rating_covariance.sql,
so it costs the same for a hall or for a network of millions of visits. It is ordinary
least squares with an intercept, classical standard errors: tests/test_insights_peak_end.py
checks it against statsmodels on the raw rows.

Only two moments of a visit are rated (the peak and the exit), so "the mean of all its
ratings" would be the peak-end average itself, a rival that can't lose: it is not offered.
With a third rated moment, its ratings would be the rival to beat.

The verdict is one thing a store manager can act on (`Verdict.action`): the moments rather
than the minutes (which moment first is the to-do list's answer, from the hall's own gaps),
the one moment that counts, or, when the wait alone explains as much as the two moments,
the queue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

VARIABLES = ("overall", "peak", "exit", "wait", "visit")  # the columns' suffixes
FACTORS = ("peak", "exit", "wait", "visit")
MEAN_RATING = "mean_rating"  # (peak + exit) / 2, derived from the same covariances
# The per-unit effect is shown per point of a rating and per 10 minutes of time: a
# minute is too small a unit to read.
UNIT = {"peak": 1.0, "exit": 1.0, MEAN_RATING: 1.0, "wait": 10.0, "visit": 10.0}
MIN_VISITS = 100  # visits with all three scores; below this the page says "too little data"
LEVEL = 0.95


@dataclass(frozen=True)
class Summary:
    """n, means and the covariance matrix of VARIABLES (plus MEAN_RATING) for one area."""

    n: int
    names: tuple[str, ...]
    means: np.ndarray
    cov: np.ndarray

    @classmethod
    def from_row(cls, row) -> Summary:
        n = int(row["visits"])
        k = len(VARIABLES)
        means = np.array([_num(row[f"mean_{v}"]) for v in VARIABLES])
        cov = np.full((k, k), np.nan)
        for i, a in enumerate(VARIABLES):
            for j, b in enumerate(VARIABLES):
                name = f"cov_{a}_{b}" if i <= j else f"cov_{b}_{a}"
                cov[i, j] = _num(row[name])
        # The mean of the ratings is a linear combination: mean and covariances follow.
        mix = np.vstack([np.eye(k), [0, 0.5, 0.5, 0, 0]])
        return cls(n, VARIABLES + (MEAN_RATING,), mix @ means, mix @ cov @ mix.T)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def sd(self, name: str) -> float:
        i = self.index(name)
        return math.sqrt(max(self.cov[i, i], 0.0))


def _num(value) -> float:
    return float("nan") if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


@dataclass(frozen=True)
class Effect:
    factor: str
    coef: float  # overall-score points per unit of the factor (1 point, or 1 minute)
    se: float
    low: float
    high: float
    sd: float  # the factor's standard deviation: "a typical difference"
    p: float

    @property
    def per_unit(self) -> tuple[float, float, float]:
        u = UNIT[self.factor]
        return self.coef * u, self.low * u, self.high * u

    @property
    def typical(self) -> tuple[float, float, float]:
        """Effect of a typical difference (one standard deviation) of the factor."""
        return self.coef * self.sd, self.low * self.sd, self.high * self.sd

    @property
    def measurable(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Fit:
    factors: tuple[str, ...]
    n: int
    intercept: float
    intercept_se: float
    effects: dict[str, Effect]
    r2: float
    residual_sd: float
    df_resid: int
    cov_beta: np.ndarray = field(repr=False)


class CannotFit(ValueError):
    """Too few visits, or a factor that did not vary (its name in .factor)."""

    def __init__(self, reason: str, factor: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.factor = factor


def fit(summary: Summary, factors: tuple[str, ...], min_n: int = MIN_VISITS, level: float = LEVEL) -> Fit:
    """OLS of the overall score on `factors` (with an intercept) from the covariances."""
    p = len(factors)
    if summary.n < max(min_n, p + 2):
        raise CannotFit("thin")
    idx = [summary.index(f) for f in factors]
    y = summary.index("overall")
    sxx = summary.cov[np.ix_(idx, idx)]
    sxy = summary.cov[idx, y]
    syy = summary.cov[y, y]
    for f, i in zip(factors, idx):
        if not summary.cov[i, i] > 1e-12:
            raise CannotFit("no_variation", f)
    if not syy > 1e-12:
        raise CannotFit("no_variation", "overall")
    if np.linalg.cond(sxx) > 1e10:
        raise CannotFit("collinear")
    beta = np.linalg.solve(sxx, sxy)
    df = summary.n - p - 1
    rss = max((summary.n - 1) * (syy - beta @ sxy), 0.0)
    sigma2 = rss / df
    inv = np.linalg.inv(sxx) / (summary.n - 1)
    cov_beta = sigma2 * inv
    xbar = summary.means[idx]
    intercept = summary.means[y] - beta @ xbar
    intercept_se = math.sqrt(sigma2 * (1 / summary.n + xbar @ inv @ xbar))
    q = stats.t.ppf(0.5 + level / 2, df)
    effects = {}
    for k, f in enumerate(factors):
        se = math.sqrt(cov_beta[k, k])
        tval = beta[k] / se if se > 0 else math.inf
        effects[f] = Effect(
            f,
            float(beta[k]),
            se,
            float(beta[k] - q * se),
            float(beta[k] + q * se),
            summary.sd(f),
            float(2 * stats.t.sf(abs(tval), df)),
        )
    r2 = 1 - rss / ((summary.n - 1) * syy)
    return Fit(
        tuple(factors), summary.n, float(intercept), intercept_se, effects, float(r2), math.sqrt(sigma2), df, cov_beta
    )


@dataclass(frozen=True)
class Verdict:
    status: str  # holds | partly | not | thin | no_variation | collinear
    n: int
    full: Fit | None = None
    moments_model: Fit | None = None  # peak and exit alone
    wait_model: Fit | None = None  # the wait alone
    visit_model: Fit | None = None  # the visit length alone
    factor: str | None = None  # the factor that did not vary
    action: str | None = None  # queue | moments | peak | exit: what to act on
    # peak minus exit: difference, its CI and p (H0: the two moments weigh the same)
    difference: tuple[float, float, float, float] | None = None


def analyse(summary: Summary, min_n: int = MIN_VISITS) -> Verdict:
    """The models and the verdict:
    - holds: both moments count, each moves the overall score more than a typical
      difference in the wait or the visit length does, and the two moments explain more
      than the wait alone or the visit length alone;
    - queue: the wait alone explains as much as the two moments together;
    - partly: one moment counts, or the minutes weigh about as much;
    - not: neither moment counts."""
    try:
        full = fit(summary, FACTORS, min_n)
        moments_model = fit(summary, ("peak", "exit"), min_n)
        wait_model = fit(summary, ("wait",), min_n)
        visit_model = fit(summary, ("visit",), min_n)
    except CannotFit as exc:
        return Verdict(exc.reason, summary.n, factor=exc.factor)
    e = full.effects
    i, j = full.factors.index("peak"), full.factors.index("exit")
    diff = e["peak"].coef - e["exit"].coef
    se = math.sqrt(max(full.cov_beta[i, i] + full.cov_beta[j, j] - 2 * full.cov_beta[i, j], 0.0))
    q = stats.t.ppf(0.5 + LEVEL / 2, full.df_resid)
    p = float(2 * stats.t.sf(abs(diff / se), full.df_resid)) if se > 0 else 0.0
    low, high = diff - q * se, diff + q * se
    moments_count = [m for m in ("peak", "exit") if e[m].low > 0]
    strongest_time = max(abs(e["wait"].typical[0]), abs(e["visit"].typical[0]))
    wait_hurts = e["wait"].high < 0  # a longer wait goes with a lower overall score
    if wait_hurts and wait_model.r2 >= moments_model.r2:
        status = "queue"
    elif (
        len(moments_count) == 2
        and min(e["peak"].typical[0], e["exit"].typical[0]) > strongest_time
        and moments_model.r2 > max(wait_model.r2, visit_model.r2)
    ):
        status = "holds"
    elif moments_count:
        status = "partly"
    else:
        status = "not"
    return Verdict(
        status,
        summary.n,
        full,
        moments_model,
        wait_model,
        visit_model,
        difference=(diff, low, high, p),
        action=_action(status, e, moments_count, wait_hurts),
    )


def _action(status, e, moments_count, wait_hurts) -> str | None:
    """What the verdict asks of a store manager: the queue (the wait weighs as much as the
    moments), both moments (which one first is the to-do list's answer, from this hall's
    own gaps), the one moment that counts, or nothing."""
    strongest_moment = max([e[m].typical[0] for m in moments_count] or [0.0])
    if status == "queue" or (wait_hurts and abs(e["wait"].typical[0]) >= strongest_moment):
        return "queue"
    if len(moments_count) == 2:
        return "moments"
    return moments_count[0] if moments_count else None


def weight_ratio(a: Effect, b: Effect) -> float | None:
    """How many times a typical difference in `a` moves the overall score compared with
    one in `b`; None when `b` has no measurable effect (a ratio to noise means nothing)."""
    if not b.measurable or b.typical[0] == 0:
        return None
    return abs(a.typical[0]) / abs(b.typical[0])
