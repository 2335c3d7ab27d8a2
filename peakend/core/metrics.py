"""The metrics of DESIGN.md, each defined once: what it is made of (additive parts of
visits, kept exact in the rollups), how it comes from them (a ratio, a quantile of the
waits, a total), its label, format, which way is better, the target it is judged against,
the count behind it, and where it is shown.

Everything else is written from this: the SQL of every grain (warehouse/metric_sql.py),
the rollup columns the write path keeps (warehouse/rollups.py), the pandas oracle of the
bench and tests (core/metric_frame.py), and every card, table and Explore measure. Adding
a metric is a part (if it needs a new count), a Metric, and its label in
locales/metrics.toml.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from peakend.core import formatting
from peakend.core.i18n import t

PEAK_MOMENTS = ("counter_result", "data_experience", "phone_purchase")  # and "other"


# -- what a metric is made of ----------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """An additive count or sum over visits, kept as a column of the rollups (a load adds
    it, an undo takes it away, exactly: integers only).

    Exactly one of `count_where` (a condition on a visit), `count_of` (a column: its non-null
    values are counted) or `sum_of` (an integer-valued expression) says what is added up.
    `per_visit` is the same thing for one visit in pandas: the oracle sums it per group.
    """

    name: str
    per_visit: Callable[[pd.DataFrame], pd.Series]
    count_where: str | None = None
    count_of: str | None = None
    sum_of: str | None = None


@dataclass(frozen=True)
class Within:
    """A part counted over the visits of one peak moment only (peak moment comes from the
    purpose, which the rollups keep, so this needs no column of its own)."""

    name: str
    part: str
    peak_moment: str


@dataclass(frozen=True)
class Ratio:
    """times * (num - minus) / den / per, over the parts of a group: a mean is its sum over
    its count, a share its count over the visits counted; `per` turns seconds into minutes."""

    num: str
    den: str
    times: float = 1.0
    minus: str | None = None
    per: float = 1.0

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p for p in (self.num, self.minus, self.den) if p)


@dataclass(frozen=True)
class Quantile:
    """The q-quantile of the waits (`quantile_cont`, between the two nearest ranks), from the
    visits' own waits or from the exact wait histogram of the rollups, divided by `per`."""

    q: float
    per: float = 1.0


@dataclass(frozen=True)
class Total:
    """A part shown as it is (a count of visits)."""

    part: str

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.part,)


@dataclass(frozen=True)
class Metric:
    key: str  # its column in every answer of metrics_by_group
    kind: str  # count | minutes | share | score | points
    higher_is_better: bool | None  # None: neither (a volume)
    value: Total | Ratio | Quantile
    n_column: str | None = None  # the sample size behind it (a part or a Within)
    target: str | None = None  # column of hall_targets it is judged against
    rating: bool = False  # a mean of ratings: needs a minimum sample size
    shown_on: tuple[str, ...] = ()  # SHOWN_ON places beside Explore, which offers every metric

    @property
    def label(self) -> str:
        return t(f"metric.{self.key}")

    @property
    def unit(self) -> str:
        return t(f"unit.{self.kind}")

    def format(self, value) -> str:
        return FORMATTERS[self.kind](value)


FORMATTERS = {
    "count": lambda v: formatting.number(v),
    "minutes": lambda v: formatting.minutes(v),
    "share": lambda v: formatting.percent(v),
    "score": lambda v: formatting.score(v),
    "points": lambda v: formatting.points(v),
}

# Where a metric appears, besides Explore (which offers them all): the hall page's headline
# cards, its "All numbers" cards, the home page's cards and the regional league table.
SHOWN_ON = ("hall_headline", "hall_more", "home", "league")


def _satisfied(score: pd.Series) -> pd.Series:
    return score >= 4


def _unhappy(score: pd.Series) -> pd.Series:
    return score <= 2


def _served(v: pd.DataFrame) -> pd.Series:
    return ~v["abandoned"] & v["called_at"].notna()


def _sl_met(v: pd.DataFrame) -> pd.Series:
    """The macro sl_met: called within the hall's wait target."""
    return ~v["abandoned"] & v["wait_s"].notna() & (v["wait_s"] <= v["wait_target_s"])


def _sl_counted(v: pd.DataFrame) -> pd.Series:
    """The macro sl_counted: the called visits, and the abandons the rule in force counts."""
    queued = v["queue_s"].fillna(0)
    rule = v["sl_rule"]
    abandon_counted = (
        (rule == "counted")
        | ((rule == "short_excluded") & (queued >= v["sl_short_abandon_s"]))
        | (~rule.isin(["counted", "excluded", "short_excluded"]) & (queued > v["wait_target_s"]))
    )
    return (~v["abandoned"] & v["wait_s"].notna()) | (v["abandoned"] & abandon_counted)


# The parts every metric is made of, in the columns order of visit_rollup. Conditions are
# SQL over one visit of queries/_filtered_visits.sql (sl_met and sl_counted are the
# service-level macros of peakend/schema.py, which apply the definition a data admin chose).
PARTS: dict[str, Part] = {
    p.name: p
    for p in [
        Part("visits", lambda v: pd.Series(1, index=v.index), count_where="true"),
        Part("served_visits", _served, count_where="not abandoned and called_at is not null"),
        Part("abandoned_visits", lambda v: v["abandoned"], count_where="abandoned"),
        Part("wait_n", lambda v: v["wait_s"].notna(), count_of="wait_s"),
        Part(
            "served_within_5min",
            lambda v: ~v["abandoned"] & (v["wait_s"] <= 300),
            count_where="not abandoned and wait_s <= 300",
        ),
        Part("sl_within", _sl_met, count_where="sl_met(wait_s, abandoned, wait_target_s)"),
        Part(
            "sl_counted",
            _sl_counted,
            count_where="sl_counted(wait_s, queue_s, abandoned, wait_target_s, sl_rule, sl_short_abandon_s)",
        ),
        Part("service_n", lambda v: v["service_s"].notna(), count_of="service_s"),
        # microseconds, so the sum stays an exact integer
        Part(
            "service_us",
            lambda v: (v["service_s"] * 1_000_000).round().fillna(0),
            sum_of="round(service_s * 1000000)::bigint",
        ),
        Part("peak_n", lambda v: v["peak_score"].notna(), count_of="peak_score"),
        Part("peak_sum", lambda v: v["peak_score"].fillna(0), sum_of="peak_score"),
        Part("peak_satisfied", lambda v: _satisfied(v["peak_score"]), count_where="peak_score >= 4"),
        Part("peak_unhappy", lambda v: _unhappy(v["peak_score"]), count_where="peak_score <= 2"),
        Part("exit_n", lambda v: v["exit_score"].notna(), count_of="exit_score"),
        Part("exit_sum", lambda v: v["exit_score"].fillna(0), sum_of="exit_score"),
        Part("exit_satisfied", lambda v: _satisfied(v["exit_score"]), count_where="exit_score >= 4"),
        Part("exit_unhappy", lambda v: _unhappy(v["exit_score"]), count_where="exit_score <= 2"),
        # a visit's peak-end index is the mean of its two scores: kept as their sum
        Part("peak_end_n", lambda v: (v["peak_score"] + v["exit_score"]).notna(), count_of="peak_score + exit_score"),
        Part(
            "peak_end_sum2", lambda v: (v["peak_score"] + v["exit_score"]).fillna(0), sum_of="peak_score + exit_score"
        ),
        Part("overall_n", lambda v: v["overall_score"].notna(), count_of="overall_score"),
        Part("promoters", lambda v: v["overall_score"] >= 9, count_where="overall_score >= 9"),
        Part("detractors", lambda v: v["overall_score"] <= 6, count_where="overall_score <= 6"),
    ]
}


# -- the sums behind the key moments of the Insights page ------------------------------------
@dataclass(frozen=True)
class MomentSums:
    """A key moment of queries/insights_moments.sql as additive parts: which visits pass
    through it, its value per visit as an integer (`per` of them make one unit of the value),
    and the sums of its mean, spread and simple regressions of the visit's peak-end index
    and NPS points on it, each regression counting a visit only where both are known.

    `parts()` are ordinary Parts (so visit_rollup keeps them, hall x day x purpose, and the
    write check verifies them); insights_moments_rollup adds them up (metric_sql.moment_sums)
    into the very columns the raw query sums over the visits. "peak" is the three peak
    moments at once: a visit's peak moment is a function of its purpose, which the rollups
    keep.
    """

    name: str
    through: str  # SQL over a visit: it passes through the moment
    value: str  # SQL: its value, an integer (null: not known)
    per: float  # value / per is the moment's value (milliseconds -> minutes: 60000)
    through_pd: Callable[[pd.DataFrame], pd.Series]
    value_pd: Callable[[pd.DataFrame], pd.Series]

    def part(self, stat: str) -> str:
        return f"m_{self.name}_{stat}"

    def parts(self) -> list[Part]:
        c, v = f"({self.through})", f"({self.value})"
        x_pd, through_pd = self.value_pd, self.through_pd

        def known(d: pd.DataFrame) -> pd.Series:
            return through_pd(d) & x_pd(d).notna()

        out = [
            Part(self.part("visits"), through_pd, count_where=self.through),
            Part(self.part("n"), known, count_where=f"{c} and {v} is not null"),
            Part(self.part("x"), _summed(x_pd, known), sum_of=f"case when {c} then {v} end"),
            Part(self.part("xx"), _summed(_square(x_pd), known), sum_of=f"case when {c} then {v} * {v} end"),
        ]
        for r, (y, y_pd) in MOMENT_REGRESSIONS.items():
            both = f"{c} and {v} is not null and ({y}) is not null"
            known_both = _both_known(known, y_pd)
            out += [
                Part(self.part(f"{r}_n"), known_both, count_where=both),
                Part(self.part(f"{r}_x"), _summed(x_pd, known_both), sum_of=f"case when {both} then {v} end"),
                Part(self.part(f"{r}_y"), _summed(y_pd, known_both), sum_of=f"case when {both} then {y} end"),
                Part(
                    self.part(f"{r}_xx"),
                    _summed(_square(x_pd), known_both),
                    sum_of=f"case when {both} then {v} * {v} end",
                ),
                Part(
                    self.part(f"{r}_xy"),
                    _summed(_product(x_pd, y_pd), known_both),
                    sum_of=f"case when {both} then {v} * ({y}) end",
                ),
                Part(
                    self.part(f"{r}_yy"),
                    _summed(_square(y_pd), known_both),
                    sum_of=f"case when {both} then ({y}) * ({y}) end",
                ),
            ]
        return out


PerVisit = Callable[[pd.DataFrame], pd.Series]


def _summed(f: PerVisit, known: PerVisit) -> PerVisit:
    return lambda d: f(d).astype(float).where(known(d), 0.0).fillna(0.0)


def _square(f: PerVisit) -> PerVisit:
    return lambda d: f(d).astype(float) ** 2


def _product(f: PerVisit, g: PerVisit) -> PerVisit:
    return lambda d: f(d).astype(float) * g(d).astype(float)


def _both_known(known: PerVisit, y: PerVisit) -> PerVisit:
    return lambda d: known(d) & y(d).notna()


def _nps_sign(v: pd.DataFrame) -> pd.Series:
    o = v["overall_score"].astype(float)
    return ((o >= 9).astype(float) - (o <= 6).astype(float)).where(o.notna())


# What each moment is regressed on, as an integer per visit, and how many of it make one:
# the peak-end index (peak + exit, halved) and the NPS points (+100 promoter, -100 detractor).
MOMENT_REGRESSIONS: dict[str, tuple[str, Callable[[pd.DataFrame], pd.Series]]] = {
    "i": ("peak_score::bigint + exit_score::bigint", lambda v: v["peak_score"] + v["exit_score"]),
    "p": (
        "case when overall_score >= 9 then 1 when overall_score <= 6 then -1 "
        "when overall_score is not null then 0 end::bigint",
        _nps_sign,
    ),
}
MOMENT_Y_PER = {"i": 2.0, "p": 0.01}


def _every_row_scored(name: str, column: str) -> MomentSums:
    """A moment every row passes through, its value the whole-point score in `column`."""
    return MomentSums(
        name,
        "true",
        f"{column}::bigint",
        1.0,
        lambda v: pd.Series(True, index=v.index),
        lambda v: v[column],
    )


MOMENT_SUMS: dict[str, MomentSums] = {
    m.name: m
    for m in [
        # served visits' waits, to the millisecond (waits are whole seconds as queue systems
        # record them; a finer wait is rounded to the millisecond)
        MomentSums(
            "wait",
            "not abandoned and called_at is not null",
            "round(wait_s * 1000)::bigint",
            60_000.0,
            _served,
            lambda v: (v["wait_s"] * 1000).round(),
        ),
        MomentSums(
            "peak", "not abandoned", "peak_score::bigint", 1.0, lambda v: ~v["abandoned"], lambda v: v["peak_score"]
        ),
        # every visit ends, served or not
        _every_row_scored("exit", "exit_score"),
    ]
}
PARTS.update((p.name, p) for m in MOMENT_SUMS.values() for p in m.parts())

# A rating of any other key moment of a visit's journey (a ratings file: core/moments.py), with
# its visit's columns: the same sums, kept per hall x day x purpose x moment in rating_rollup
# (warehouse/rollup_tables.py) rather than as columns of visit_rollup, so that a moment the
# catalogue gains needs no new column. Scores are whole points on the moment's own scale.
RATING_SUMS = _every_row_scored("rating", "score")
# Every moment metric_sql.moment_sums can add up from a rollup: visit_rollup's and rating_rollup's.
ROLLED_MOMENTS: dict[str, MomentSums] = {**MOMENT_SUMS, RATING_SUMS.name: RATING_SUMS}

WITHIN: dict[str, Within] = {
    w.name: w
    for moment in PEAK_MOMENTS
    for w in (Within(f"peak_{moment}_n", "peak_n", moment), Within(f"peak_{moment}_sum", "peak_sum", moment))
}


def _peak_moment_metric(moment: str) -> Metric:
    return Metric(
        f"peak_{moment}_mean",
        "score",
        True,
        Ratio(f"peak_{moment}_sum", f"peak_{moment}_n"),
        f"peak_{moment}_n",
        "peak_target",
        rating=True,
        shown_on=("hall_more", "home", "league"),
    )


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric("visits", "count", None, Total("visits"), shown_on=("hall_headline", "home", "league")),
        Metric("served_visits", "count", None, Total("served_visits")),
        Metric("abandoned_visits", "count", False, Total("abandoned_visits")),
        Metric(
            "wait_median_min",
            "minutes",
            False,
            Quantile(0.5, per=60),
            "wait_n",
            "wait_target_min",
            shown_on=("hall_headline", "home", "league"),
        ),
        # No target mark: the wait target is a median-like bar, and the tail is judged by
        # the service level (the share called within the target), not by P90 against it.
        Metric(
            "wait_p90_min", "minutes", False, Quantile(0.9, per=60), "wait_n", shown_on=("hall_more", "home", "league")
        ),
        Metric(
            "service_level",
            "share",
            True,
            Ratio("sl_within", "sl_counted"),
            "visits",
            "service_level_target",
            shown_on=("hall_more", "home", "league"),
        ),
        Metric(
            "served_within_5min_share",
            "share",
            True,
            Ratio("served_within_5min", "visits"),
            "visits",
            shown_on=("hall_more", "league"),
        ),
        Metric(
            "abandonment_rate",
            "share",
            False,
            Ratio("abandoned_visits", "visits"),
            "visits",
            "max_abandonment",
            shown_on=("hall_headline", "home", "league"),
        ),
        Metric(
            "service_mean_min", "minutes", None, Ratio("service_us", "service_n", per=1_000_000 * 60), "served_visits"
        ),
        Metric("peak_mean", "score", True, Ratio("peak_sum", "peak_n"), "peak_n", "peak_target", rating=True),
        *(_peak_moment_metric(moment) for moment in PEAK_MOMENTS),
        Metric("peak_satisfied_share", "share", True, Ratio("peak_satisfied", "peak_n"), "peak_n", rating=True),
        Metric("peak_unhappy_share", "share", False, Ratio("peak_unhappy", "peak_n"), "peak_n", rating=True),
        Metric(
            "exit_mean",
            "score",
            True,
            Ratio("exit_sum", "exit_n"),
            "exit_n",
            "exit_target",
            rating=True,
            shown_on=("hall_headline", "home", "league"),
        ),
        Metric("exit_satisfied_share", "share", True, Ratio("exit_satisfied", "exit_n"), "exit_n", rating=True),
        Metric("exit_unhappy_share", "share", False, Ratio("exit_unhappy", "exit_n"), "exit_n", rating=True),
        Metric(
            "peak_end_index",
            "score",
            True,
            Ratio("peak_end_sum2", "peak_end_n", per=2),
            "peak_end_n",
            rating=True,
            shown_on=("hall_headline", "home", "league"),
        ),
        Metric(
            "nps",
            "points",
            True,
            Ratio("promoters", "overall_n", 100.0, minus="detractors"),
            "overall_n",
            rating=True,
            shown_on=("hall_more", "home", "league"),
        ),
    ]
}


def shown_on(place: str) -> tuple[str, ...]:
    """The metrics a place shows (SHOWN_ON), in the order of METRICS."""
    if place not in SHOWN_ON:
        raise KeyError(place)
    return tuple(key for key, metric in METRICS.items() if place in metric.shown_on)


def parts_needed() -> tuple[str, ...]:
    """Every part and Within the metrics and their counts read, in a stable order."""
    needed: dict[str, None] = {}
    for m in METRICS.values():
        if isinstance(m.value, (Ratio, Total)):
            needed.update(dict.fromkeys(m.value.parts))
        if m.n_column:
            needed[m.n_column] = None
    return tuple(needed)


def count_columns() -> tuple[str, ...]:
    """The sample sizes every answer of metrics_by_group carries beside the metrics."""
    seen = dict.fromkeys(m.n_column for m in METRICS.values() if m.n_column)
    return tuple(c for c in seen if c not in METRICS)


PEAK_MOMENT_METRICS = {
    "counter_result": "peak_counter_result_mean",
    "data_experience": "peak_data_experience_mean",
    "phone_purchase": "peak_phone_purchase_mean",
}

# How far from the target still counts as amber, per kind of metric.
AMBER_MARGIN = {"minutes": 0.25, "share": 0.05, "score": 0.2}


def target_status(metric: Metric, value, target) -> str | None:
    """'green' when the target is met, 'amber' when within the margin, else 'red'.

    Minutes get a relative margin (25% over the wait target), shares and scores an
    absolute one (5 points of share, 0.2 of a score). None when there is nothing to judge.
    """
    if metric.target is None or metric.higher_is_better is None:
        return None
    if value is None or target is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(target, float) and math.isnan(target):
        return None
    margin = AMBER_MARGIN.get(metric.kind, 0)
    if metric.kind == "minutes":
        margin = target * margin
    if metric.higher_is_better:
        return "green" if value >= target else "amber" if value >= target - margin else "red"
    return "green" if value <= target else "amber" if value <= target + margin else "red"


def service_level_definition(rule: str, short_abandon_s: float) -> str:
    """The service-level definition in force, in words ("abandons within 30 s left out, the
    rest count as missed"): every service-level card says which one it shows."""
    return t(f"service_level_rule.{rule}", n=formatting.number(short_abandon_s))


MIN_RATINGS_DEFAULT = 30  # below this many ratings a mean is shown greyed and not ranked


# -- hourly reports (the second kind of data) ---------------------------------------------------
@dataclass(frozen=True)
class PeriodMetric:
    """A measure over hourly-report rows (hall_periods: one row per hall x period), defined
    once: its SQL over the rows of a group, the column whose reported rows are its n, its
    kind (count | minutes | share) and which way is better.

    What a report row can't give is not offered: a percentile of the visitors' waits needs
    the visits (a mean of hourly medians is not a median), and so do journeys, peak moments
    and exit scores. Posted waits are snapshots (the wait an office announced when it was
    read), so their mean is over the periods, each counting once."""

    key: str  # its column in the answers of the periods_* queries (and n_<key>)
    sql: str
    n_of: str  # the hall_periods column whose non-null rows count
    kind: str
    higher_is_better: bool | None = False

    @property
    def label(self) -> str:
        return t(f"metric.period.{self.key}")

    @property
    def help(self) -> str:
        return t(f"metric.period_help.{self.key}")

    def format(self, value) -> str:
        return FORMATTERS[self.kind](value)


PERIOD_METRICS: dict[str, PeriodMetric] = {
    m.key: m
    for m in (
        PeriodMetric("posted_wait_walkin", "avg(posted_wait_walkin_min)", "posted_wait_walkin_min", "minutes"),
        PeriodMetric(
            "posted_wait_appointment", "avg(posted_wait_appointment_min)", "posted_wait_appointment_min", "minutes"
        ),
        # the reported mean waits, each period weighted by the customers it served when the
        # report says how many (then it is the mean wait of those customers), else equally
        PeriodMetric(
            "wait_mean",
            "coalesce(sum(wait_mean_min * served) / nullif(sum(served) filter (where wait_mean_min is not null), 0),"
            " avg(wait_mean_min))",
            "wait_mean_min",
            "minutes",
        ),
        # the longest of the periods' longest waits is the longest wait (a maximum combines)
        PeriodMetric("wait_max", "max(wait_max_min)", "wait_max_min", "minutes"),
        PeriodMetric(
            "service_mean",
            "coalesce(sum(service_mean_min * served) / nullif(sum(served) filter (where service_mean_min is not null),"
            " 0), avg(service_mean_min))",
            "service_mean_min",
            "minutes",
            None,
        ),
        PeriodMetric("arrivals", "cast(sum(arrivals) as bigint)", "arrivals", "count", None),
        PeriodMetric(
            "abandonment",
            "sum(abandoned) filter (where arrivals is not null)"
            " / nullif(sum(arrivals) filter (where abandoned is not null), 0)",
            "abandoned",
            "share",
        ),
    )
}
