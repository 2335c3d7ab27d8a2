"""Needs attention: the halls in the user's scope that missed a target in the last 7 days
of data, with the kind of problem named — the queue, a peak moment, or the end.

A target counts as missed when metrics.target_status says 'red' (beyond the amber margin),
and a mean of ratings only when at least min_n ratings stand behind it. Each problem says
whether it is new (the 7 days before were judged and did not miss the target) and
carries its value, target and n, so every line can be traced to its numbers.

The end and the peak are read together, the way the peak-end rule reads a visit: an exit
score below target while every peak moment holds means the trouble is after the counter;
an exit below target with a peak moment below target too follows the peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from peakend.metrics import METRICS, PEAK_MOMENT_METRICS, target_status

QUEUE_METRICS = ("wait_median_min", "service_level", "abandonment_rate")
KINDS = ("queue", "peak", "end")
DAYS = 7


@dataclass(frozen=True)
class Problem:
    kind: str  # queue | peak | end
    metric: str  # a metrics_by_group column
    value: float
    target: float
    n: int
    previous: float | None  # the 7 days before (None: no data or too few ratings)
    new: bool  # the 7 days before were judged and did not miss it


@dataclass
class HallAttention:
    hall_id: str
    hall_name: str
    region: str
    problems: list[Problem] = field(default_factory=list)
    diagnosis: str | None = None  # after_counter | follows_peak
    peak_held: float | None = None  # the hall's peak score when the peak holds, and its n
    peak_held_n: int = 0

    @property
    def kinds(self) -> list[str]:
        return [k for k in KINDS if any(p.kind == k for p in self.problems)]


def _value(row, column):
    if row is None:
        return None
    value = row.get(column)
    return None if value is None or pd.isna(value) else float(value)


def _judged(metric_key: str, row, hall, min_n: int) -> tuple[float | None, str | None, int]:
    metric = METRICS[metric_key]
    value = _value(row, metric_key)
    n = _value(row, metric.n_column)
    n = int(n) if n is not None else 0
    if value is None or (metric.rating and n < min_n):
        return None, None, n
    return value, target_status(metric, value, _value(hall, metric.target)), n


def needs_attention(halls: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame,
                    min_n: int) -> list[HallAttention]:
    """halls: halls_in_scope; current / previous: metrics_by_group by hall for the last 7
    days and the 7 before. Halls with the most kinds of problem first, new problems before
    old ones, then by name."""
    now = {r["group_1"]: r for r in current.to_dict("records")}
    before = {r["group_1"]: r for r in previous.to_dict("records")}
    found = []
    for hall in halls.to_dict("records"):
        row, prev = now.get(hall["hall_id"]), before.get(hall["hall_id"])
        if row is None:
            continue
        item = HallAttention(hall["hall_id"], hall["hall_name"], hall["region"])
        checks = [("queue", m) for m in QUEUE_METRICS]
        checks += [("peak", m) for m in PEAK_MOMENT_METRICS.values()]
        checks += [("end", "exit_mean")]
        peaks_judged = []
        for kind, key in checks:
            value, status, n = _judged(key, row, hall, min_n)
            if kind == "peak" and status is not None:
                peaks_judged.append(status)
            if status != "red":
                continue
            before_value, before_status, _ = _judged(key, prev, hall, min_n)
            item.problems.append(Problem(kind, key, value, float(hall[METRICS[key].target]), n,
                                         before_value, before_status not in (None, "red")))
        if "end" in item.kinds:
            if "peak" in item.kinds:
                item.diagnosis = "follows_peak"
            elif peaks_judged:
                item.diagnosis = "after_counter"
                item.peak_held = _value(row, "peak_mean")
                item.peak_held_n = int(_value(row, "peak_n") or 0)
        if item.problems:
            found.append(item)
    found.sort(key=lambda h: (-len(h.kinds), -sum(p.new for p in h.problems), h.hall_name))
    return found
