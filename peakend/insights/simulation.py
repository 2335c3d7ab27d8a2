"""The M/M/c queue of peakend.insights.erlang simulated event by event with ciw, to check
the formula (and, for a doubting reader, to show it is not magic).

Replications are independent runs; their spread gives the sampling error, which is the
honest yardstick for "the simulation agrees with Erlang C".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ciw
import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    mean: float
    standard_error: float
    replications: int

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        half = stats.t.ppf(0.5 + level / 2, self.replications - 1) * self.standard_error
        return self.mean - half, self.mean + half


@dataclass(frozen=True)
class SimulatedQueue:
    p_wait: Estimate
    service_level: Estimate
    average_wait_s: Estimate
    customers: int  # served after the warm-up, all replications


def _estimate(values: list[float]) -> Estimate:
    arr = np.asarray(values, dtype=float)
    return Estimate(float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(len(arr))), len(arr))


def simulate_mmc(
    arrivals_per_hour: float,
    handling_s: float,
    counters: int,
    target_s: float,
    hours: float = 20.0,
    warmup_hours: float = 1.0,
    replications: int = 10,
    seed: int = 0,
) -> SimulatedQueue:
    """Run `replications` independent simulations of `hours` each (after `warmup_hours`
    that start from an empty hall and are not counted)."""
    if replications < 2:
        raise ValueError("at least two replications are needed for a sampling error")
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=arrivals_per_hour / 3600.0)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / handling_s)],
        number_of_servers=[counters],
    )
    start, end = warmup_hours * 3600.0, (warmup_hours + hours) * 3600.0
    p_wait, level, wait, customers = [], [], [], 0
    for r in range(replications):
        ciw.seed(seed + r)
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(end)
        waits = np.array([rec.waiting_time for rec in sim.get_all_records() if start <= rec.arrival_date < end])
        customers += len(waits)
        p_wait.append(float((waits > 0).mean()))
        level.append(float((waits <= target_s).mean()))
        wait.append(float(waits.mean()))
    return SimulatedQueue(_estimate(p_wait), _estimate(level), _estimate(wait), customers)
