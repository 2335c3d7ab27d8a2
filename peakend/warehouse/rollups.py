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
`city_rollup`    visit_rollup summed per day x city x purpose (tens of thousands of rows,
                 whatever the number of halls), for numbers of whole cities, regions and
                 the network.
`network_wait_rollup`  wait_rollup summed over cities and purposes: one row per day x
                 wait, for the network's own numbers (a few hundred thousand rows at 100M
                 visits, against eleven million in wait_rollup).
`hall_rollup`    one row per hall with visits: how many, the first and the last day (what
                 every page's dataset summary says).

Counts and sums are integers (service time in microseconds, peak + exit as a sum), so a
load adds its rows and an undo subtracts them without any rounding drift.

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
from peakend.core.metrics import PARTS
from peakend.core.scope import Scope
from peakend.warehouse.metric_sql import part_over_visits
from peakend.warehouse.named_queries import bind_values, compile_query

# visit_rollup: the key, then every part of peakend/core/metrics.py as an exact integer (a
# new part is a new column: Database rebuilds the rollups when the columns differ).
VISIT_ROLLUP_COLUMNS = {
    "hall_id": "varchar not null",
    "day": "date not null",
    "purpose": "varchar not null",
    **dict.fromkeys(PARTS, "bigint not null"),
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
HALL_ROLLUP_COLUMNS = {
    "hall_id": "varchar not null",
    "visits": "bigint not null",
    "first_day": "date not null",
    "last_day": "date not null",
}
WAIT_ROLLUP_COLUMNS = {
    "day": "date not null",
    "city": "varchar not null",
    "purpose": "varchar not null",
    "wait_s": "double not null",  # whole seconds
    "n": "bigint not null",
}
WAIT_KEY = ("day", "city", "purpose", "wait_s")
CITY_KEY = ("day", "city", "purpose")
NETWORK_WAIT_KEY = ("day", "wait_s")
NETWORK_WAIT_COLUMNS = {"day": "date not null", "wait_s": "double not null", "n": "bigint not null"}

# The grouping dimensions and VisitFilter fields the rollups keep.
ROLLUP_DIMENSIONS = {None, "region", "city", "purpose", "peak_moment", "day", "week", "month", "weekday"}
ROLLUP_FILTERS = {"date_from", "date_to", "regions", "cities", "purposes", "peak_moments", "weekdays"}


def _ddl(name: str, columns: dict[str, str]) -> str:
    cols = ",\n  ".join(f"{c} {t}" for c, t in columns.items())
    return f"create table if not exists {name} (\n  {cols})"


def stored_columns(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        r[0]
        for r in cur.execute(
            "select column_name from duckdb_columns() where table_name = ? and schema_name = 'main' "
            "and not internal order by column_index",
            [table],
        ).fetchall()
    ]


def columns_current(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether visit_rollup and city_rollup keep exactly the parts peakend/core/metrics.py
    defines (a part added or taken away since the file was written: they don't)."""
    return stored_columns(cur, "visit_rollup") == list(VISIT_ROLLUP_COLUMNS) and stored_columns(
        cur, "city_rollup"
    ) == list(CITY_ROLLUP_COLUMNS)


def follow_parts(cur: duckdb.DuckDBPyConnection) -> bool:
    """Make the rollups keep the parts defined now, rebuilding them from the visits when a
    part was added or taken away. True when they were rebuilt."""
    if columns_current(cur):
        return False
    for table in ("visit_rollup", "city_rollup"):
        cur.execute(f"drop table if exists {table}")
    create_tables(cur)
    rebuild(cur)
    return True


def create_tables(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("visit_rollup", VISIT_ROLLUP_COLUMNS))
    cur.execute(_ddl("wait_rollup", WAIT_ROLLUP_COLUMNS))
    cur.execute(_ddl("value_rollup", VALUE_ROLLUP_COLUMNS))
    create_hall_rollup(cur)
    create_network_wait_rollup(cur)
    create_city_rollup(cur)


def create_city_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("city_rollup", CITY_ROLLUP_COLUMNS))


def refresh_city_rollup(cur: duckdb.DuckDBPyConnection, cities: list[str] | None = None) -> None:
    """city_rollup again from visit_rollup, for these cities (None: every city)."""
    where = "" if cities is None else "where h.city in (select unnest($cities::varchar[]))"
    params = {} if cities is None else {"cities": list(cities)}
    of_cities = f"select city, day from city_rollup {'' if cities is None else where.replace('h.city', 'city')}"
    mark_city_days(cur, of_cities, params)  # the days they had
    cur.execute(f"delete from city_rollup {'' if cities is None else where.replace('h.city', 'city')}", params)
    sums = ", ".join(f"sum(r.{c})::bigint as {c}" for c in _SUMS)
    cur.execute(
        f"""insert into city_rollup
            select r.day, h.city, r.purpose, {sums}
            from visit_rollup as r join halls as h on h.hall_id = r.hall_id
            {where}
            group by all
            order by r.day, h.city""",
        params,
    )
    mark_city_days(cur, of_cities, params)  # and the days they have now


def create_hall_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("hall_rollup", HALL_ROLLUP_COLUMNS))


def create_network_wait_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("network_wait_rollup", NETWORK_WAIT_COLUMNS))


def rebuild_network_wait_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("delete from network_wait_rollup")
    cur.execute(
        "insert into network_wait_rollup select day, wait_s, sum(n)::bigint as n from wait_rollup "
        "group by all order by day, wait_s"
    )


_HALL_ROWS = """select hall_id, sum(visits)::bigint as visits, min(day) as first_day, max(day) as last_day,
                from visit_rollup {where} group by hall_id"""


def rebuild_hall_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("delete from hall_rollup")
    cur.execute(f"insert into hall_rollup {_HALL_ROWS.format(where='')} order by hall_id")


def hall_targets_sql() -> str:
    """queries/_hall_targets.sql with the fragment it uses (the service-level definition)."""
    return compile_query("_hall_targets")


# every part over one hall-day-purpose of visits, with the hall's targets (the service level)
_PART_SUMS = ",\n            ".join(f"{part_over_visits(p)} as {name}" for name, p in PARTS.items())


def _visit_rows_sql(source: str) -> str:
    """visit_rollup rows of the visits in `source` (a table or subquery with visit columns)."""
    return f"""
        select
            v.hall_id,
            cast(v.arrived_at as date) as day,
            v.purpose,
            {_PART_SUMS},
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
    rebuild_hall_rollup(cur)
    rebuild_network_wait_rollup(cur)
    refresh_city_rollup(cur)


# -- incremental maintenance: stage signed changes, then merge them in ------------------------
_SUMS = [c for c in VISIT_ROLLUP_COLUMNS if c not in VISIT_KEY]


def _temp_ddl(name: str, columns: dict[str, str]) -> str:
    # Declared columns, never `create ... as select * from X limit 0`: DuckDB 2.0.0 silently
    # lost the rows inserted into such an empty CTAS table beyond one row group (issue 13).
    return _ddl(name, columns).replace("create table", "create temp table", 1)


CITY_ROLLUP_COLUMNS = {
    "day": "date not null",
    "city": "varchar not null",
    "purpose": "varchar not null",
    **{c: t for c, t in VISIT_ROLLUP_COLUMNS.items() if c not in VISIT_KEY},
}
_DELTAS = {
    "visit_rollup_delta": VISIT_ROLLUP_COLUMNS,
    "wait_rollup_delta": WAIT_ROLLUP_COLUMNS,
    "value_rollup_delta": VALUE_ROLLUP_COLUMNS,
    "city_rollup_delta": CITY_ROLLUP_COLUMNS,
    "network_wait_rollup_delta": NETWORK_WAIT_COLUMNS,
}


def _ensure_stage(cur: duckdb.DuckDBPyConnection) -> None:
    for name, columns in _DELTAS.items():
        cur.execute(_temp_ddl(name, columns))


# -- what a write touched, for the check before it commits (peakend/warehouse/rollup_check.py) ----------
TOUCHED = {
    "rollup_touched_hall_days": {"hall_id": "varchar", "day": "date"},
    "rollup_touched_city_days": {"city": "varchar", "day": "date"},
}


def track_touched(cur: duckdb.DuckDBPyConnection) -> None:
    """Start noting the rollup rows this transaction changes (Database.transaction does)."""
    for name, columns in TOUCHED.items():
        cur.execute(_temp_ddl(name, columns))


def _tracking(cur: duckdb.DuckDBPyConnection) -> bool:
    return (
        cast(
            "tuple[Any, ...]",
            cur.execute(
                "select count(*) from duckdb_tables() where temporary and table_name = 'rollup_touched_hall_days'"
            ).fetchone(),
        )[0]
        > 0
    )


def _mark(cur: duckdb.DuckDBPyConnection, table: str, rows_sql: str, params: Any = None) -> None:
    if _tracking(cur):
        cols = ", ".join(TOUCHED[table])
        cur.execute(f"insert into {table} select distinct {cols} from ({rows_sql})", params or [])


def mark_hall_days(cur: duckdb.DuckDBPyConnection, rows_sql: str, params: Any = None) -> None:
    """Note the (hall_id, day) pairs of visit_rollup that `rows_sql` gives as changed."""
    _mark(cur, "rollup_touched_hall_days", rows_sql, params)


def mark_city_days(cur: duckdb.DuckDBPyConnection, rows_sql: str, params: Any = None) -> None:
    """Note the (city, day) pairs of the per-city rollups that `rows_sql` gives as changed."""
    _mark(cur, "rollup_touched_city_days", rows_sql, params)


def stage_visits(
    cur: duckdb.DuckDBPyConnection, source: str, sign: int, params: list | None = None, halls: str = "halls"
) -> None:
    """Stage the visits in `source` as added (sign +1) or taken away (-1)."""
    _ensure_stage(cur)
    sums = ", ".join(f"{sign} * {c}" for c in _SUMS)
    cur.execute(
        f"insert into visit_rollup_delta select {', '.join(VISIT_KEY)}, {sums} from ({_visit_rows_sql(source)})",
        params or [],
    )
    cur.execute(
        f"insert into value_rollup_delta select {', '.join(VALUE_KEY)}, {sign} * n from ({_value_rows_sql(source)})",
        params or [],
    )
    stage_waits(cur, source, sign, params, halls)


def stage_waits(
    cur: duckdb.DuckDBPyConnection, source: str, sign: int, params: list | None = None, halls: str = "halls"
) -> None:
    _ensure_stage(cur)
    cur.execute(
        f"insert into wait_rollup_delta select day, city, purpose, wait_s, {sign} * n "
        f"from ({_wait_rows_sql(source, halls)})",
        params or [],
    )


def _merge(cur, table: str, key: tuple[str, ...], sums: list[str], order: str, keep: str) -> None:
    delta = f"{table}_delta"
    if not cur.execute(f"select count(*) from {delta}").fetchone()[0]:
        return  # nothing staged (and an empty insert let DuckDB 1.5.5 lose the next big one)
    on = " and ".join(f"r.{k} is not distinct from d.{k}" for k in key)
    cur.execute(f"create temp table {table}_keys as select distinct {', '.join(key)} from {delta}")
    cur.execute(
        f"""create temp table {table}_merged as
            select {", ".join(key)}, {", ".join(f"sum({c})::bigint as {c}" for c in sums)}
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
    cur.execute("create or replace temp table halls_touched as select distinct hall_id from visit_rollup_delta")
    sums = ", ".join(f"sum(d.{c})" for c in _SUMS)
    cur.execute(
        f"""insert into city_rollup_delta
            select d.day, h.city, d.purpose, {sums}
            from visit_rollup_delta as d join halls as h on h.hall_id = d.hall_id
            group by all"""
    )
    mark_hall_days(cur, "select hall_id, day from visit_rollup_delta")
    mark_city_days(cur, "select city, day from city_rollup_delta union all select city, day from wait_rollup_delta")
    _merge(cur, "city_rollup", CITY_KEY, _SUMS, "day, city", "sum(visits) <> 0")
    _merge(cur, "visit_rollup", VISIT_KEY, _SUMS, "day, hall_id", "sum(visits) <> 0")
    cur.execute("delete from hall_rollup where hall_id in (select hall_id from halls_touched)")
    where = "where hall_id in (select hall_id from halls_touched)"
    cur.execute(f"insert into hall_rollup {_HALL_ROWS.format(where=where)}")
    cur.execute("drop table halls_touched")
    cur.execute("insert into network_wait_rollup_delta select day, wait_s, sum(n) from wait_rollup_delta group by all")
    _merge(cur, "network_wait_rollup", NETWORK_WAIT_KEY, ["n"], "day, wait_s", "sum(n) <> 0")
    _merge(cur, "wait_rollup", WAIT_KEY, ["n"], "day, city", "sum(n) <> 0")
    _merge(cur, "value_rollup", VALUE_KEY, ["n"], "hall_id", "sum(n) <> 0")


def refresh_service_level(cur: duckdb.DuckDBPyConnection, hall_ids: list[str] | None) -> None:
    """Recount the service-level columns under the current targets (None: every hall)."""
    where = "" if hall_ids is None else "where v.hall_id in (select unnest($halls))"
    params = {} if hall_ids is None else {"halls": list(hall_ids)}
    mark_hall_days(cur, f"select hall_id, day from visit_rollup as v {where}", params)
    cur.execute(
        f"""update visit_rollup as r set sl_within = s.sl_within, sl_counted = s.sl_counted
            from (
                select v.hall_id, cast(v.arrived_at as date) as day, v.purpose,
                    {part_over_visits(PARTS["sl_within"])} as sl_within,
                    {part_over_visits(PARTS["sl_counted"])} as sl_counted,
                from visits as v
                left join ({hall_targets_sql()}) as t on t.hall_id = v.hall_id
                {where}
                group by all
            ) as s
            where r.hall_id = s.hall_id and r.day = s.day and r.purpose = s.purpose""",
        params,
    )
    cities = (
        None
        if hall_ids is None
        else [
            r[0]
            for r in cur.execute(
                "select distinct city from halls where hall_id in (select unnest($halls::varchar[]))",
                {"halls": list(hall_ids)},
            ).fetchall()
        ]
    )
    if cities is None or cities:
        refresh_city_rollup(cur, cities)


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
    refresh_service_level(cur, ids)  # and their cities' sums, where they are now
    left = [r[0] for r in cur.execute(f"select distinct city from {moved} where city is not null").fetchall()]
    if left:
        refresh_city_rollup(cur, left)  # the cities they left


# -- reading: which named query answers -------------------------------------------------------
def enabled() -> bool:
    """PEAKEND_ROLLUPS=0 makes every query read the visits (the bench measures both)."""
    return os.environ.get("PEAKEND_ROLLUPS", "1") != "0"


def _used(filters) -> set[str]:
    return set() if filters is None else {k for k, v in filters.as_params().items() if v is not None}


def _groups_kept(params: dict[str, Any], dims: set) -> bool:
    return params.get("group_1") in dims and params.get("group_2") in dims


HALL_DIMENSIONS = ROLLUP_DIMENSIONS | {"hall"}
HALL_FILTERS = ROLLUP_FILTERS | {"halls"}


PERIOD_DIMENSIONS = {None, "day", "week", "month", "weekday"}
PERIOD_FILTERS = {"date_from", "date_to", "weekdays"}


def _metrics(cur, filters, scope_halls, params):
    kept = _used(filters) - ROLLUP_FILTERS
    if kept:
        return None, f"filtered by {', '.join(sorted(kept))}, which the rollups don't keep"
    if not _groups_kept(params, HALL_DIMENSIONS):
        return None, "grouped by a dimension the rollups don't keep"
    if scope_halls is None and _used(filters) <= PERIOD_FILTERS and _groups_kept(params, PERIOD_DIMENSIONS):
        return ("metrics_by_group_network", filters, "the whole network by period: network_wait_rollup and city_rollup")
    if _groups_kept(params, ROLLUP_DIMENSIONS) and scope_is_whole_cities(cur, scope_halls):
        return ("metrics_by_group_rollup", filters, "whole cities: city_rollup and the wait histogram per city")
    # per hall, or a scope that splits a city: the percentiles need those halls' own waits,
    # the sums still come rolled up
    return (
        "metrics_by_group_sums",
        filters,
        "per hall or part of a city: sums from visit_rollup, wait percentiles from the visits",
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
