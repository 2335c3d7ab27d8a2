"""Erlang C: the M/M/c queue (Poisson arrivals, exponential handling times, c counters,
nobody gives up), the standard model for "how many counters does this hour need".

Worked example (the one every call-centre text uses): 100 arrivals in 30 minutes, 180 s
average handling, 14 counters, 20 s target: traffic 10 Erlangs, probability of waiting
0.1741, service level 0.8884, average speed of answer 7.84 s (tests/test_insights_erlang.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_COUNTERS = 500  # a search bound, far above any hall


@dataclass(frozen=True)
class Queue:
    arrivals_per_hour: float
    handling_s: float  # average time a counter spends on one visit
    counters: int

    @property
    def traffic(self) -> float:
        """Offered load in Erlangs: counters kept busy on average."""
        return self.arrivals_per_hour * self.handling_s / 3600.0

    @property
    def stable(self) -> bool:
        return self.counters > self.traffic

    def p_wait(self) -> float:
        """Probability that an arrival has to wait (Erlang's C formula); 1 when overloaded."""
        return erlang_c(self.counters, self.traffic)

    def service_level(self, target_s: float) -> float:
        """Share of arrivals called within target_s seconds."""
        if not self.stable:
            return 0.0
        headroom = (self.counters - self.traffic) / self.handling_s
        return 1.0 - self.p_wait() * math.exp(-headroom * target_s)

    def average_wait_s(self) -> float:
        """Average wait over all arrivals (those not waiting count as 0)."""
        if not self.stable:
            return math.inf
        return self.p_wait() * self.handling_s / (self.counters - self.traffic)


def erlang_b(counters: int, traffic: float) -> float:
    """Blocking probability, by the recursion B(k) = A B(k-1) / (k + A B(k-1)), which stays
    accurate where the factorials of the textbook formula overflow."""
    b = 1.0
    for k in range(1, counters + 1):
        b = traffic * b / (k + traffic * b)
    return b


def erlang_c(counters: int, traffic: float) -> float:
    if traffic <= 0:
        return 0.0
    if counters <= traffic:
        return 1.0
    b = erlang_b(counters, traffic)
    return counters * b / (counters - traffic * (1.0 - b))


def counters_needed(arrivals_per_hour: float, handling_s: float, target_s: float, service_level_target: float) -> int:
    """The fewest counters whose service level reaches the target (0 with no arrivals)."""
    if arrivals_per_hour <= 0 or handling_s <= 0:
        return 0
    traffic = arrivals_per_hour * handling_s / 3600.0
    for c in range(max(1, math.floor(traffic) + 1), MAX_COUNTERS + 1):
        if Queue(arrivals_per_hour, handling_s, c).service_level(target_s) >= service_level_target:
            return c
    raise ValueError(f"more than {MAX_COUNTERS} counters needed: check the inputs")
