"""Which named query answers a call: the visits, or a rollup twin that gives the same rows
from less data (the tables: rollup_tables.py), and whether the rollups add up at all.

`Database.query` asks `plan()` which named query answers, with which filter; each answer is
the one the original query gives:
- metrics_by_group for the whole network, by nothing or by a period dimension, filtered
  at most by period and weekday: metrics_by_group_network;
- metrics_by_group with filters and groupings the rollups keep (period, region, city,
  purpose, peak moment, weekday; group by region, city, purpose, peak moment, day, week,
  month or weekday) and a scope of whole cities (the wait histogram is per city):
  metrics_by_group_rollup; grouped by hall too, or another scope: metrics_by_group_sums
  (sums from visit_rollup, wait percentiles from the visits, reading only the waits);
- dataset_summary, data_purposes (no filter) and explore_filter_options (no filter):
  their _rollup twins;
- peer_ranks: its twin peer_ranks_rollup (every hall's sums from visit_rollup, only the
  median waits from the visits);
- insights_moments with one hall's wait median and filters visit_rollup keeps (those of
  the rollups, and halls): insights_moments_rollup (each hall's sums per key moment from
  the moment parts of visit_rollup, the median from that hall's waits);
- explore_visits, newest first, one page at a time: the same query with the period
  narrowed to the last days that hold the page (found in visit_rollup), so it reads those
  days instead of the whole period.
Everything else reads the visits, which the storage order (warehouse.STORAGE_ORDER) keeps
quick for one hall or a short period.
"""

from __future__ import annotations

import os
from typing import Any, cast

import duckdb

from peakend.core.filters import VisitFilter
from peakend.core.scope import Scope
from peakend.warehouse import metric_sql
from peakend.warehouse.named_queries import bind_values, compile_query, filters_in_use
from peakend.warehouse.rollup_tables import VISIT_ROLLUP_COLUMNS, columns_current, stored_columns

# The grouping dimensions each rollup grain of the metric queries can answer (what
# warehouse/metric_sql.py writes for it), and the VisitFilter fields the rollups keep.
ROLLUP_DIMENSIONS = {None, *metric_sql.dimensions("metrics_by_group_rollup")}
HALL_DIMENSIONS = {None, *metric_sql.dimensions("metrics_by_group_sums")}
PERIOD_DIMENSIONS = {None, *metric_sql.dimensions("metrics_by_group_network")}
ROLLUP_FILTERS = {"date_from", "date_to", "regions", "cities", "purposes", "peak_moments", "weekdays"}


# -- reading: which named query answers -------------------------------------------------------
def enabled() -> bool:
    """PEAKEND_ROLLUPS=0 makes every query read the visits (the bench measures both)."""
    return os.environ.get("PEAKEND_ROLLUPS", "1") != "0"


def _used(filters) -> frozenset[str]:
    # the fields set, without VisitFilter.as_params (which tokenises a comment search)
    return filters_in_use(filters)


def _groups_kept(params: dict[str, Any], dims: set) -> bool:
    return params.get("group_1") in dims and params.get("group_2") in dims


HALL_FILTERS = ROLLUP_FILTERS | {"halls"}
PERIOD_FILTERS = {"date_from", "date_to", "weekdays"}


def _metrics(cur, filters, scope_halls, params):
    used = _used(filters)
    kept = used - HALL_FILTERS
    if kept:
        return None, f"filtered by {', '.join(sorted(kept))}, which the rollups don't keep"
    if not _groups_kept(params, HALL_DIMENSIONS):
        return None, "grouped by a dimension the rollups don't keep"
    by_hall = "halls" in used  # only visit_rollup keeps halls apart
    if not by_hall and scope_halls is None and used <= PERIOD_FILTERS and _groups_kept(params, PERIOD_DIMENSIONS):
        return ("metrics_by_group_network", filters, "the whole network by period: network_wait_rollup and city_rollup")
    if not by_hall and _groups_kept(params, ROLLUP_DIMENSIONS) and scope_is_whole_cities(cur, scope_halls):
        return ("metrics_by_group_rollup", filters, "whole cities: city_rollup and the wait histogram per city")
    # per hall, chosen halls, or a scope that splits a city: the percentiles need those
    # halls' own waits, the sums still come rolled up
    return (
        "metrics_by_group_sums",
        filters,
        "per hall, chosen halls or part of a city: sums from visit_rollup, wait percentiles from the visits",
    )


def _unfiltered(twin_name):
    def plan_(cur, filters, scope_halls, params):
        if _used(filters):
            return None, "filtered: the rollup twin holds unfiltered totals only"
        return twin_name, filters, "unfiltered: its rollup twin"

    return plan_


def _explore_visits(cur, filters, scope_halls, params):
    """The newest visits one page at a time: only the last days that hold offset + limit
    visits (counted in visit_rollup under the same filter, drill and scope) can be on the
    page, so the period starts at the first of those days."""
    if params.get("limit") is None or not _used(filters) <= HALL_FILTERS:
        return None, "not one page, or filtered by what visit_rollup doesn't keep"
    for k in ("drill_by_1", "drill_by_2"):
        if params.get(k) is not None and params[k] not in HALL_DIMENSIONS:
            return None, "drilled by what visit_rollup doesn't keep"
    values = {k: params.get(k) for k in ("drill_by_1", "drill_value_1", "drill_by_2", "drill_value_2")}
    values["needed"] = int(params.get("offset") or 0) + int(params["limit"])
    scope = Scope(None if scope_halls is None else frozenset(scope_halls))
    name = "explore_visits_first_day"
    first = cur.execute(compile_query(name), bind_values(name, filters, scope, values)).fetchone()[0]
    if first is None:
        return None, "fewer visits than the page needs: the whole period"
    filters = filters or VisitFilter()
    if filters.date_from is not None and filters.date_from >= first:
        return None, "the period is already as short as the page needs"
    return "explore_visits", filters.replace(date_from=first), f"the page's visits lie on or after {first}"


def _moments(cur, filters, scope_halls, params):
    """insights_moments: every sum per hall and moment from visit_rollup's moment parts, only
    the wait median of the one hall asked for from its visits (the storage order keeps one
    hall quick to read); every hall's median would read every wait, so that asks the visits."""
    if params.get("median_hall") is None:
        return None, "every hall's wait median: only the visits give it"
    kept = _used(filters) - HALL_FILTERS
    if kept:
        return None, f"filtered by {', '.join(sorted(kept))}, which visit_rollup doesn't keep"
    return (
        "insights_moments_rollup",
        filters,
        "sums per hall and moment from visit_rollup, the one hall's wait median from its visits",
    )


# named query -> plan(cursor, filters, scope hall ids, params): (query, filters, why), or
# (None, why not) when the original query over the visits should answer
ROUTES = {
    "metrics_by_group": _metrics,
    "dataset_summary": lambda cur, filters, scope_halls, params: (
        "dataset_summary_rollup",
        filters,
        "hall_rollup holds every hall's visits and days",
    ),
    "data_purposes": _unfiltered("data_purposes_rollup"),
    "explore_filter_options": _unfiltered("explore_filter_options_rollup"),
    "explore_visits": _explore_visits,
    # every hall's sums from visit_rollup, only the medians from the waits; it reads the
    # period alone, whatever else the page filters
    "peer_ranks": lambda cur, filters, scope_halls, params: (
        "peer_ranks_rollup",
        filters,
        "every hall's sums from visit_rollup, the median waits from the visits",
    ),
    "insights_moments": _moments,
}


def plan(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    filters,
    scope_halls: list[str] | None,
    params: dict[str, Any],
    current: bool = True,
) -> tuple[str, Any, str]:
    """(the named query that answers this call exactly, the filter it runs with, why): a
    rollup twin, or `name` itself over the visits (always, when the rollups are not
    `current`: see `behind`)."""
    route = ROUTES.get(name)
    if route is None:
        return name, filters, "no rollup answers it: the visits"
    if not enabled():
        return name, filters, "rollups switched off (PEAKEND_ROLLUPS=0): the visits"
    if not current:
        return name, filters, "the rollups don't add up to the visits (python -m peakend check): the visits"
    answer = route(cur, filters, scope_halls, params)
    if answer[0] is None:
        return name, filters, f"{answer[1]}: the visits"
    return answer


# Each rollup's totals against what it is rolled up from: (rollup, what is counted, its
# total, the source's). Cheap at any size: the visits are counted once, everything else is
# a rollup a thousand times smaller.
_TOTALS = """
    with v as (select count(*) as visits, count(wait_s) as waits from visits),
         r as (select coalesce(sum(visits), 0) as visits, coalesce(sum(wait_n), 0) as waits from visit_rollup),
         known as (select coalesce(sum(r.visits), 0) as visits, coalesce(sum(r.wait_n), 0) as waits
                   from visit_rollup as r semi join halls as h on h.hall_id = r.hall_id),
         c as (select coalesce(sum(visits), 0) as visits, coalesce(sum(wait_n), 0) as waits from city_rollup)
    select 'visit_rollup', 'visits', r.visits, v.visits from v, r
    union all select 'visit_rollup', 'waits', r.waits, v.waits from v, r
    union all select 'hall_rollup', 'visits', (select coalesce(sum(visits), 0) from hall_rollup), v.visits from v
    union all select 'value_rollup', 'visits', (select coalesce(sum(n), 0) from value_rollup), v.visits from v
    union all select 'city_rollup', 'visits', c.visits, known.visits from c, known
    union all select 'wait_rollup', 'waits', (select coalesce(sum(n), 0) from wait_rollup), known.waits from known
    union all select 'network_wait_rollup', 'waits', (select coalesce(sum(n), 0) from network_wait_rollup),
                     known.waits from known
"""


def behind(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, int]]:
    """The rollups whose totals differ from their source's: (rollup, what, has, should
    have). Empty when every one is current. The write path checks every write before it
    commits (peakend/warehouse/rollup_check.py), so this finds only a file damaged or written by
    something else, or a bug; queries then read the visits instead."""
    if not columns_current(cur):
        # written before a part was added: read-only, so it can't be rebuilt here
        return [("visit_rollup", "parts", len(stored_columns(cur, "visit_rollup")), len(VISIT_ROLLUP_COLUMNS))]
    return [
        (t, what, int(has), int(should)) for t, what, has, should in cur.execute(_TOTALS).fetchall() if has != should
    ]


def scope_is_whole_cities(cur: duckdb.DuckDBPyConnection, scope_halls: list[str] | None) -> bool:
    """The wait histogram is per city: usable when the scope holds every hall of each city
    it touches, and each city lies in one region (so a region is a set of cities)."""
    row = cast(
        "tuple[Any, ...]",
        cur.execute(
            """select
               count(*) filter (where not seen and city in (
                   select city from halls where $scope is null or list_contains($scope, hall_id))),
               (select count(*) from (select city from halls group by city
                                      having count(distinct region) > 1)),
           from (select city, ($scope is null or list_contains($scope, hall_id)) as seen from halls)""",
            {"scope": scope_halls},
        ).fetchone(),
    )
    return row[0] == 0 and row[1] == 0
