"""Pre-aggregated visits, kept exact, so that network-wide numbers don't re-read every visit.

Two tables, both derived from `visits` and written only by the warehouse write path in the
same transaction as the change that affects them (a load, an undo, a halls load, a target
change), so a reader sees rollups and visits from the same commit:

`visit_rollup`   one row per hall x day x purpose with visits: counts and integer sums of
                 every additive headline metric, and the service-level counts under the
                 hall's wait target as it is when written (a target change recomputes them).
`wait_rollup`    one row per day x city x purpose x wait (whole seconds) with the number of
                 called visits that waited that long: an exact histogram, from which
                 medians and the 90th percentile come out as `quantile_cont` gives them on
                 the raw waits (identical when waits are whole seconds, as queue systems
                 record them; within half a second otherwise). Keyed by city rather than
                 hall because a city-day holds thousands of waits but only a few hundred
                 distinct values, so the histogram is far smaller than the visits it counts.

`value_rollup`   one row per hall x purpose x staff member x segment with visits: the
                 values the explore page's filters offer, without reading every visit.

Counts and sums are integers (service time in microseconds, peak + exit as a sum), so a
load adds its rows and an undo subtracts them without any rounding drift.

`Database.query` asks `twin()` which named query answers: queries/NAME_rollup.sql when
the rollups give the same rows as queries/NAME.sql. For metrics_by_group that needs
filters and groupings the rollups keep (period, region, city, purpose, peak moment,
weekday; group by region, city, purpose, peak moment, day, week, month or weekday) and a
scope made of whole cities (the wait histogram is per city); dataset_summary always; the
explore page's filter options when no filter is set. Everything else reads the visits,
which the storage order (warehouse.STORAGE_ORDER) keeps quick for one hall or a short
period.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb

VISIT_ROLLUP_COLUMNS = {
    "hall_id": "varchar not null",
    "day": "date not null",
    "purpose": "varchar not null",
    "visits": "bigint not null",
    "served_visits": "bigint not null",
    "abandoned_visits": "bigint not null",
    "wait_n": "bigint not null",
    "sl_within": "bigint not null",  # called within the hall's wait target
    "sl_counted": "bigint not null",  # called, or gave up after the target
    "service_n": "bigint not null",
    "service_us": "bigint not null",  # sum of service times, microseconds
    "peak_n": "bigint not null",
    "peak_sum": "bigint not null",
    "peak_satisfied": "bigint not null",
    "peak_unhappy": "bigint not null",
    "exit_n": "bigint not null",
    "exit_sum": "bigint not null",
    "exit_satisfied": "bigint not null",
    "exit_unhappy": "bigint not null",
    "peak_end_n": "bigint not null",
    "peak_end_sum2": "bigint not null",  # sum of (peak + exit): the index is this / 2n
    "overall_n": "bigint not null",
    "promoters": "bigint not null",
    "detractors": "bigint not null",
}
VISIT_KEY = ("hall_id", "day", "purpose")
VALUE_ROLLUP_COLUMNS = {
    "hall_id": "varchar not null",
    "purpose": "varchar not null",
    "staff_id": "varchar",
    "segment": "varchar",
    "n": "bigint not null",
}
VALUE_KEY = ("hall_id", "purpose", "staff_id", "segment")
WAIT_ROLLUP_COLUMNS = {
    "day": "date not null",
    "city": "varchar not null",
    "purpose": "varchar not null",
    "wait_s": "double not null",  # whole seconds
    "n": "bigint not null",
}
WAIT_KEY = ("day", "city", "purpose", "wait_s")

# The grouping dimensions and VisitFilter fields the rollups keep.
ROLLUP_DIMENSIONS = {None, "region", "city", "purpose", "peak_moment", "day", "week", "month", "weekday"}
ROLLUP_FILTERS = {"date_from", "date_to", "regions", "cities", "purposes", "peak_moments", "weekdays"}


def _ddl(name: str, columns: dict[str, str]) -> str:
    cols = ",\n  ".join(f"{c} {t}" for c, t in columns.items())
    return f"create table if not exists {name} (\n  {cols})"


def create_tables(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("visit_rollup", VISIT_ROLLUP_COLUMNS))
    cur.execute(_ddl("wait_rollup", WAIT_ROLLUP_COLUMNS))
    cur.execute(_ddl("value_rollup", VALUE_ROLLUP_COLUMNS))


def hall_targets_sql() -> str:
    from peakend.db import _query_text

    return _query_text("_hall_targets")


def _visit_rows_sql(source: str) -> str:
    """visit_rollup rows of the visits in `source` (a table or subquery with visit columns)."""
    return f"""
        select
            v.hall_id,
            cast(v.arrived_at as date) as day,
            v.purpose,
            count(*) as visits,
            count(*) filter (where not v.abandoned and v.called_at is not null) as served_visits,
            count(*) filter (where v.abandoned) as abandoned_visits,
            count(v.wait_s) as wait_n,
            count(*) filter (where not v.abandoned and v.wait_s is not null
                             and v.wait_s <= t.wait_target_s) as sl_within,
            count(*) filter (where (not v.abandoned and v.wait_s is not null)
                             or (v.abandoned and v.queue_s > t.wait_target_s)) as sl_counted,
            count(v.service_s) as service_n,
            coalesce(sum(round(v.service_s * 1000000)::bigint), 0) as service_us,
            count(v.peak_score) as peak_n,
            coalesce(sum(v.peak_score), 0) as peak_sum,
            count(*) filter (where v.peak_score >= 4) as peak_satisfied,
            count(*) filter (where v.peak_score <= 2) as peak_unhappy,
            count(v.exit_score) as exit_n,
            coalesce(sum(v.exit_score), 0) as exit_sum,
            count(*) filter (where v.exit_score >= 4) as exit_satisfied,
            count(*) filter (where v.exit_score <= 2) as exit_unhappy,
            count(v.peak_score + v.exit_score) as peak_end_n,
            coalesce(sum(v.peak_score + v.exit_score), 0) as peak_end_sum2,
            count(v.overall_score) as overall_n,
            count(*) filter (where v.overall_score >= 9) as promoters,
            count(*) filter (where v.overall_score <= 6) as detractors,
        from {source} as v
        left join (
            {hall_targets_sql()}
        ) as t on t.hall_id = v.hall_id
        group by all"""


def _wait_rows_sql(source: str, halls: str = "halls") -> str:
    """wait_rollup rows of the called visits in `source`, placed in their hall's city as
    `halls` (a table or subquery with hall_id, city) says; visits of unknown halls count
    nowhere, as in every query."""
    return f"""
        select
            cast(v.arrived_at as date) as day,
            h.city,
            v.purpose,
            round(v.wait_s) as wait_s,
            count(*) as n,
        from {source} as v
        join {halls} as h on h.hall_id = v.hall_id
        where v.wait_s is not null
        group by all"""


def _value_rows_sql(source: str) -> str:
    return f"""
        select hall_id, purpose, staff_id, segment, count(*) as n,
        from {source}
        group by all"""


def rebuild(cur: duckdb.DuckDBPyConnection) -> None:
    """Every rollup from scratch (a new database, a schema upgrade, the bench's bulk path)."""
    for table in ("visit_rollup", "wait_rollup", "value_rollup"):
        cur.execute(f"delete from {table}")
    cur.execute(f"insert into visit_rollup select * from ({_visit_rows_sql('visits')}) order by day, hall_id")
    cur.execute(f"insert into wait_rollup select * from ({_wait_rows_sql('visits')}) order by day, city")
    cur.execute(f"insert into value_rollup select * from ({_value_rows_sql('visits')}) order by hall_id")


# -- incremental maintenance: stage signed changes, then merge them in ------------------------
_SUMS = [c for c in VISIT_ROLLUP_COLUMNS if c not in VISIT_KEY]


def _ensure_stage(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(
        "create temp table if not exists visit_rollup_delta as select * from visit_rollup limit 0"
    )
    cur.execute("create temp table if not exists wait_rollup_delta as select * from wait_rollup limit 0")
    cur.execute("create temp table if not exists value_rollup_delta as select * from value_rollup limit 0")


def stage_visits(cur: duckdb.DuckDBPyConnection, source: str, sign: int, params: list | None = None,
                 halls: str = "halls") -> None:
    """Stage the visits in `source` as added (sign +1) or taken away (-1)."""
    _ensure_stage(cur)
    sums = ", ".join(f"{sign} * {c}" for c in _SUMS)
    cur.execute(
        f"insert into visit_rollup_delta select {', '.join(VISIT_KEY)}, {sums} "
        f"from ({_visit_rows_sql(source)})",
        params or [],
    )
    cur.execute(
        f"insert into value_rollup_delta select {', '.join(VALUE_KEY)}, {sign} * n "
        f"from ({_value_rows_sql(source)})",
        params or [],
    )
    stage_waits(cur, source, sign, params, halls)


def stage_waits(cur: duckdb.DuckDBPyConnection, source: str, sign: int, params: list | None = None,
                halls: str = "halls") -> None:
    _ensure_stage(cur)
    cur.execute(
        f"insert into wait_rollup_delta select day, city, purpose, wait_s, {sign} * n "
        f"from ({_wait_rows_sql(source, halls)})",
        params or [],
    )


def _merge(cur, table: str, key: tuple[str, ...], sums: list[str], order: str, keep: str) -> None:
    delta = f"{table}_delta"
    on = " and ".join(f"r.{k} is not distinct from d.{k}" for k in key)
    cur.execute(f"create temp table {table}_keys as select distinct {', '.join(key)} from {delta}")
    cur.execute(
        f"""create temp table {table}_merged as
            select {', '.join(key)}, {', '.join(f'sum({c})::bigint as {c}' for c in sums)}
            from (
                select r.* from {table} as r
                semi join {table}_keys as d on {on}
                union all
                select * from {delta}
            )
            group by all
            having {keep}"""
    )
    cur.execute(f"delete from {table} as r using {table}_keys as d where {on}")
    cur.execute(f"insert into {table} select * from {table}_merged order by {order}")
    for t in (f"{table}_keys", f"{table}_merged"):
        cur.execute(f"drop table {t}")
    cur.execute(f"delete from {delta}")


def apply_staged(cur: duckdb.DuckDBPyConnection) -> None:
    """Merge the staged changes into the rollups (rows whose counts reach zero go)."""
    _ensure_stage(cur)
    _merge(cur, "visit_rollup", VISIT_KEY, _SUMS, "day, hall_id", "sum(visits) <> 0")
    _merge(cur, "wait_rollup", WAIT_KEY, ["n"], "day, city", "sum(n) <> 0")
    _merge(cur, "value_rollup", VALUE_KEY, ["n"], "hall_id", "sum(n) <> 0")


def refresh_service_level(cur: duckdb.DuckDBPyConnection, hall_ids: list[str] | None) -> None:
    """Recount the service-level columns under the current targets (None: every hall)."""
    where = "" if hall_ids is None else "where v.hall_id in (select unnest($halls))"
    params = {} if hall_ids is None else {"halls": list(hall_ids)}
    cur.execute(
        f"""update visit_rollup as r set sl_within = s.sl_within, sl_counted = s.sl_counted
            from (
                select v.hall_id, cast(v.arrived_at as date) as day, v.purpose,
                    count(*) filter (where not v.abandoned and v.wait_s is not null
                                     and v.wait_s <= t.wait_target_s) as sl_within,
                    count(*) filter (where (not v.abandoned and v.wait_s is not null)
                                     or (v.abandoned and v.queue_s > t.wait_target_s)) as sl_counted,
                from visits as v
                left join ({hall_targets_sql()}) as t on t.hall_id = v.hall_id
                {where}
                group by all
            ) as s
            where r.hall_id = s.hall_id and r.day = s.day and r.purpose = s.purpose""",
        params,
    )


def halls_changed(cur: duckdb.DuckDBPyConnection, before: str) -> None:
    """After halls were added, replaced or taken away. `before` (a table of hall_id, city)
    has the city of each of those halls before the change (null: it wasn't there). The
    waits of a hall now in another city, or now known or gone, move with it; its
    service-level counts follow the targets that apply to it now."""
    moved = f"""(select b.hall_id, b.city from {before} as b
                 left join halls as h on h.hall_id = b.hall_id
                 where b.city is distinct from h.city)"""
    ids = [r[0] for r in cur.execute(f"select hall_id from {moved}").fetchall()]
    if not ids:
        return
    source = "(select * from visits where hall_id in (select unnest(?::varchar[])))"
    stage_waits(cur, source, -1, [ids], halls=f"(select * from {before} where city is not null)")
    stage_waits(cur, source, +1, [ids], halls="halls")
    apply_staged(cur)
    refresh_service_level(cur, ids)


# -- reading: which named query answers -------------------------------------------------------
def enabled() -> bool:
    """PEAKEND_ROLLUPS=0 makes every query read the visits (the bench measures both)."""
    return os.environ.get("PEAKEND_ROLLUPS", "1") != "0"


def _metrics_answerable(filters, params: dict[str, Any]) -> bool:
    if params.get("group_1") not in ROLLUP_DIMENSIONS or params.get("group_2") not in ROLLUP_DIMENSIONS:
        return False
    return filters is None or _used(filters) <= ROLLUP_FILTERS


def _used(filters) -> set[str]:
    return {k for k, v in filters.as_params().items() if v is not None}


# named query -> (its rollup twin, can the twin answer this filter and these parameters?,
# does the twin need a scope of whole cities?)
ROUTES = {
    "metrics_by_group": ("metrics_by_group_rollup", _metrics_answerable, True),
    "dataset_summary": ("dataset_summary_rollup", lambda filters, params: True, False),
    "explore_filter_options": (
        "explore_filter_options_rollup", lambda filters, params: filters is None or not _used(filters), False,
    ),
}


def twin(cur: duckdb.DuckDBPyConnection, name: str, filters, scope_halls: list[str] | None,
         params: dict[str, Any]) -> str | None:
    """The rollup twin that answers this call exactly, or None."""
    route = ROUTES.get(name)
    if route is None or not enabled():
        return None
    other, answerable, whole_cities = route
    if not answerable(filters, params):
        return None
    if whole_cities and not scope_is_whole_cities(cur, scope_halls):
        return None
    return other


def scope_is_whole_cities(cur: duckdb.DuckDBPyConnection, scope_halls: list[str] | None) -> bool:
    """The wait histogram is per city: usable when the scope holds every hall of each city
    it touches, and each city lies in one region (so a region is a set of cities)."""
    row = cur.execute(
        """select
               count(*) filter (where not seen and city in (
                   select city from halls where $scope is null or list_contains($scope, hall_id))),
               (select count(*) from (select city from halls group by city
                                      having count(distinct region) > 1)),
           from (select city, ($scope is null or list_contains($scope, hall_id)) as seen from halls)""",
        {"scope": scope_halls},
    ).fetchone()
    return row[0] == 0 and row[1] == 0
