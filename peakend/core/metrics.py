"""The metrics of DESIGN.md as the UI knows them: label, format, which way is better,
the target each is held to and the count that says how much evidence stands behind it.

Column names are those of queries/metrics_by_group.sql. Every page, table and card reads
this one list, so a metric is named, formatted and judged the same way everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from peakend.core import formatting
from peakend.core.i18n import t


@dataclass(frozen=True)
class Metric:
    key: str  # column in metrics_by_group
    kind: str  # count | minutes | share | score | points
    higher_is_better: bool | None  # None: neither (a volume)
    n_column: str | None = None  # the sample size behind it
    target: str | None = None  # column of hall_targets it is judged against
    rating: bool = False  # a mean of ratings: needs a minimum sample size

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

METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric("visits", "count", None),
        Metric("served_visits", "count", None),
        Metric("abandoned_visits", "count", False),
        Metric("wait_median_min", "minutes", False, "wait_n", "wait_target_min"),
        # No target mark: the wait target is a median-like bar, and the tail is judged by
        # the service level (the share called within the target), not by P90 against it.
        Metric("wait_p90_min", "minutes", False, "wait_n"),
        Metric("service_level", "share", True, "visits", "service_level_target"),
        Metric("abandonment_rate", "share", False, "visits", "max_abandonment"),
        Metric("service_mean_min", "minutes", None, "served_visits"),
        Metric("peak_mean", "score", True, "peak_n", "peak_target", rating=True),
        Metric("peak_counter_result_mean", "score", True, "peak_counter_result_n", "peak_target", rating=True),
        Metric("peak_data_experience_mean", "score", True, "peak_data_experience_n", "peak_target", rating=True),
        Metric("peak_phone_purchase_mean", "score", True, "peak_phone_purchase_n", "peak_target", rating=True),
        Metric("exit_mean", "score", True, "exit_n", "exit_target", rating=True),
        Metric("exit_satisfied_share", "share", True, "exit_n", rating=True),
        Metric("exit_unhappy_share", "share", False, "exit_n", rating=True),
        Metric("peak_end_index", "score", True, "peak_end_n", rating=True),
        Metric("nps", "points", True, "overall_n", rating=True),
    ]
}

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
