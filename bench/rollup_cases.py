"""The rollup sweep as one table of cases: every kind of call a rollup twin answers (and a
few it must not), on any generated network. Two users of the same table:
- tests/test_rollups.py: on a 30,000-visit network, each case's answer from its twin equals
  the answer from the visits, and the twin named here is the one that answered;
- `python -m bench.rollup_sweep --visits N`: the same cases at size, timed raw against
  routed, with the answers compared again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from peakend.core.filters import VisitFilter
from peakend.core.scope import EVERYTHING, Scope


@dataclass(frozen=True)
class Network:
    """What the cases need to know of a network to aim their filters."""

    last_day: date
    region: str
    city: str
    halls_of_region: tuple[str, ...]
    hall: str


def network_of(db) -> Network:
    cur = db.cursor()
    try:
        last_day = cur.execute("select max(arrived_at)::date from visits").fetchone()[0]
        region, city, hall = cur.execute("select region, city, hall_id from halls order by hall_id limit 1").fetchone()
        halls = tuple(r[0] for r in cur.execute("select hall_id from halls where region = ? order by 1", [region]).fetchall())
    finally:
        cur.close()
    return Network(last_day, region, city, halls, hall)


@dataclass(frozen=True)
class Case:
    label: str
    query: str
    filters: Callable[[Network], VisitFilter | None]
    twin: str  # the named query expected to answer (the query itself: the visits answer)
    params: dict[str, Any] = field(default_factory=dict)
    region_scope: bool = False  # a regional manager's scope instead of the whole network

    def scope(self, net: Network) -> Scope:
        return Scope.halls(list(net.halls_of_region)) if self.region_scope else EVERYTHING


def _days(n: int) -> Callable[[Network], VisitFilter]:
    return lambda net: VisitFilter(date_from=net.last_day - timedelta(days=n - 1), date_to=net.last_day)


def _by(g1: str | None, g2: str | None = None) -> dict[str, Any]:
    return {"group_1": g1, "group_2": g2}


WEEK, MONTH = _days(7), _days(30)
CASES = [
    # the network's headline and trends: network_wait_rollup and city_rollup
    Case("network, everything", "metrics_by_group", lambda net: VisitFilter(), "metrics_by_group_network", _by(None)),
    Case("network, last 7 days", "metrics_by_group", WEEK, "metrics_by_group_network", _by(None)),
    Case("network by day, 30 days", "metrics_by_group", MONTH, "metrics_by_group_network", _by("day")),
    Case("network by week and weekday", "metrics_by_group", MONTH, "metrics_by_group_network", _by("week", "weekday")),
    # whole cities: city_rollup and the wait histogram per city
    Case("by region, 30 days", "metrics_by_group", MONTH, "metrics_by_group_rollup", _by("region")),
    Case("by city and peak moment", "metrics_by_group", WEEK, "metrics_by_group_rollup", _by("city", "peak_moment")),
    Case(
        "a region's purposes, by region and day",
        "metrics_by_group",
        lambda net: WEEK(net).replace(regions=(net.region,), purposes=("bill_payment", "data_demo")),
        "metrics_by_group_rollup",
        _by("region", "day"),
    ),
    Case(
        "a city's phone purchases at weekends, by month",
        "metrics_by_group",
        lambda net: VisitFilter(cities=(net.city,), peak_moments=("phone_purchase",), weekdays=(6, 7)),
        "metrics_by_group_rollup",
        _by("month"),
    ),
    # per hall: sums from visit_rollup, wait percentiles from the visits
    Case("by hall, 7 days", "metrics_by_group", WEEK, "metrics_by_group_sums", _by("hall")),
    Case("a region's halls, 30 days", "metrics_by_group", MONTH, "metrics_by_group_sums", _by("hall"), True),
    Case("a region by week", "metrics_by_group", MONTH, "metrics_by_group_rollup", _by("week"), True),
    # the hall page: one hall chosen, its headline and its days
    Case("one hall, 30 days", "metrics_by_group", lambda net: MONTH(net).replace(halls=(net.hall,)),
         "metrics_by_group_sums", _by(None)),
    Case("two halls by day and purpose", "metrics_by_group",
         lambda net: WEEK(net).replace(halls=net.halls_of_region[:2], purposes=("bill_payment",)),
         "metrics_by_group_sums", _by("day", "purpose")),
    # what the rollups don't keep: the visits answer
    Case(
        "filtered by hour", "metrics_by_group", lambda net: WEEK(net).replace(hour_from=9, hour_to=12),
        "metrics_by_group", _by(None),
    ),
    Case("grouped by staff", "metrics_by_group", WEEK, "metrics_by_group", _by("staff")),
    # the other twins
    Case("dataset summary", "dataset_summary", lambda net: None, "dataset_summary_rollup"),
    Case("filter options", "explore_filter_options", lambda net: VisitFilter(), "explore_filter_options_rollup"),
    Case("purposes", "data_purposes", lambda net: VisitFilter(), "data_purposes_rollup"),
    Case("peer ranks, 30 days", "peer_ranks", MONTH, "peer_ranks_rollup", {"min_group": 5, "min_n": 30}),
    Case(
        "key moments of one hall, 30 days",
        "insights_moments",
        lambda net: MONTH(net).replace(regions=(net.region,)),
        "insights_moments_rollup",
        {"median_hall": "{hall}"},
    ),
    Case(
        "newest visits, first page", "explore_visits", WEEK, "explore_visits",
        {"drill_by_1": None, "drill_value_1": None, "drill_by_2": None, "drill_value_2": None, "limit": 50, "offset": 0},
    ),
]


def params_of(case: Case, net: Network) -> dict[str, Any]:
    """The case's parameters with the network's own values put in ({hall})."""
    return {k: (v.format(hall=net.hall) if isinstance(v, str) else v) for k, v in case.params.items()}
