"""Did the fix make a difference? A closed task's key moment at its hall over the weeks
before the fix started against the weeks after, next to the same change at the hall's
regional peers over the same weeks: a difference in differences (queries/task_effect.sql).

The hall's change is the difference of two means of its visits, each with its standard
error. The peers' change is the mean of each peer hall's own change, its standard error
from how much those changes vary from hall to hall (a peer hall is one observation: its
visits are not independent of each other). The interval is ±1.96 standard errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from peakend.insights.moments import LOWER_IS_BETTER

MIN_N = 30  # waits or ratings per hall and phase
MIN_PEERS = 3
Z95 = 1.959964


@dataclass(frozen=True)
class Effect:
    moment: str
    hall_before: float | None
    hall_after: float | None
    hall_n: tuple[int, int]
    peers_change: float | None
    peers: int  # peer halls with enough data in both phases
    estimate: float | None  # the hall's change minus the peers' change
    low: float | None
    high: float | None
    verdict: str  # "better", "worse", "no_difference", "too_little"

    @property
    def hall_change(self) -> float | None:
        if self.hall_before is None or self.hall_after is None:
            return None
        return self.hall_after - self.hall_before


def _mean_and_var(row) -> tuple[float, float] | None:
    n = int(row["n"])
    if n < MIN_N:
        return None
    per = float(row["per"])
    mean = float(row["x"]) / n / per
    spread = (float(row["xx"]) / per**2 - n * mean**2) / (n - 1)
    return mean, max(spread, 0.0) / n


def effect(rows: pd.DataFrame, moment: str) -> Effect:
    """The effect from task_effect's rows (side x peer x phase sums)."""
    hall = {r["phase"]: _mean_and_var(r) for _, r in rows[rows["side"] == "hall"].iterrows()}
    counts = {r["phase"]: int(r["n"]) for _, r in rows[rows["side"] == "hall"].iterrows()}
    before, after = hall.get("before"), hall.get("after")
    changes = []
    for _, peer in rows[rows["side"] == "peer"].groupby("peer_no"):
        phases = {r["phase"]: _mean_and_var(r) for _, r in peer.iterrows()}
        was, now = phases.get("before"), phases.get("after")
        if was is not None and now is not None:
            changes.append(now[0] - was[0])
    hall_n = (counts.get("before", 0), counts.get("after", 0))
    if before is None or after is None or len(changes) < MIN_PEERS:
        return Effect(
            moment,
            before and before[0],
            after and after[0],
            hall_n,
            sum(changes) / len(changes) if changes else None,
            len(changes),
            None,
            None,
            None,
            "too_little",
        )
    m = len(changes)
    peers_change = sum(changes) / m
    peers_var = sum((c - peers_change) ** 2 for c in changes) / (m - 1) / m
    estimate = (after[0] - before[0]) - peers_change
    se = math.sqrt(before[1] + after[1] + peers_var)
    low, high = estimate - Z95 * se, estimate + Z95 * se
    if low > 0 or high < 0:
        improved = (estimate < 0) if moment in LOWER_IS_BETTER else (estimate > 0)
        verdict = "better" if improved else "worse"
    else:
        verdict = "no_difference"
    return Effect(moment, before[0], after[0], hall_n, peers_change, m, estimate, low, high, verdict)
