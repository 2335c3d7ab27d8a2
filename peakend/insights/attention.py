"""Needs attention: the halls in the user's scope that missed a target in the last 7 days
of data, with the kind of problem named — the queue, a peak moment, or the end.

A target counts as missed when metrics.target_status says 'red' (beyond the amber margin),
and a mean of ratings only when at least min_n ratings stand behind it. Each problem says
whether it is new (the 7 days before were judged and did not miss the target) and
carries its value, target and n, so every line can be traced to its numbers.

Each hall gets one reason to start with, the one that fits its own numbers: the problem
furthest from its target, measured in the amber margins of metrics.target_status (a wait
25% over its target is one margin, a share 5 points off or a score 0.2 off one margin), so
a 26% abandonment against a 7% maximum (3.8 margins) comes before a peak score 0.3 under
its target (1.5). Then the end and the peak are read together, the way the peak-end rule
reads a visit: when the exit is what's furthest off while every peak moment holds, the
trouble is after the counter; when a peak moment misses too, the exit follows the peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from peakend.core.metrics import AMBER_MARGIN, METRICS, PEAK_MOMENT_METRICS, target_status

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

    @property
    def severity(self) -> float:
        """How far beyond its target, in amber margins (comparable across kinds)."""
        metric = METRICS[self.metric]
        margin = AMBER_MARGIN[metric.kind] * (self.target if metric.kind == "minutes" else 1)
        gap = self.target - self.value if metric.higher_is_better else self.value - self.target
        return gap / margin if margin else float("inf")


@dataclass
class HallAttention:
    hall_id: str
    hall_name: str
    region: str
    problems: list[Problem] = field(default_factory=list)
    diagnosis: str | None = None  # queue_first | peak_first | follows_peak | after_counter
    lead: Problem | None = None  # the problem furthest from its target: where to start
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


def needs_attention(
    halls: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame, min_n: int
) -> list[HallAttention]:
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
            if status != "red" or value is None:  # a red status always has a value
                continue
            before_value, before_status, _ = _judged(key, prev, hall, min_n)
            item.problems.append(
                Problem(
                    kind,
                    key,
                    value,
                    float(hall[METRICS[key].target]),
                    n,
                    before_value,
                    before_status not in (None, "red"),
                )
            )
        if item.problems:
            item.lead = max(item.problems, key=lambda p: p.severity)
            item.diagnosis = _diagnosis(item, peaks_judged)
            if item.diagnosis == "after_counter":
                item.peak_held = _value(row, "peak_mean")
                item.peak_held_n = int(_value(row, "peak_n") or 0)
            found.append(item)
    found.sort(key=lambda h: (-len(h.kinds), -sum(p.new for p in h.problems), h.hall_name))
    return found


def _diagnosis(item: HallAttention, peaks_judged: list[str]) -> str | None:
    """Where to start, from the problem furthest off target (item.lead)."""
    assert item.lead is not None  # set before the diagnosis is asked for
    lead = item.lead.kind
    if lead == "queue":
        return "queue_first"
    if lead == "peak":
        return "follows_peak" if "end" in item.kinds else "peak_first"
    if "peak" in item.kinds:  # the exit is furthest off, and a peak moment misses too
        return "follows_peak"
    return "after_counter" if peaks_judged else None  # no peak judged: nothing to read it by
