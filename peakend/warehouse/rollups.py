"""Keeping the rollups (rollup_tables.py) exact: built from scratch, or changed by every
write in the same transaction (staged signed changes merged in), with the rows each write
touched marked for the check before it commits (rollup_check.py).

Counts and sums are integers (service time in microseconds, peak + exit as a sum), so a
load adds its rows and an undo subtracts them without any rounding drift.
"""

from __future__ import annotations

import weakref
from typing import Any

import duckdb

from peakend.core.metrics import PARTS, RATING_SUMS
from peakend.warehouse.metric_sql import part_over_visits
from peakend.warehouse.named_queries import compile_query
from peakend.warehouse.rollup_tables import (
    CITY_KEY,
    CITY_ROLLUP_COLUMNS,
    NETWORK_WAIT_COLUMNS,
    NETWORK_WAIT_KEY,
    RATING_KEY,
    RATING_ROLLUP_COLUMNS,
    VALUE_KEY,
    VALUE_ROLLUP_COLUMNS,
    VISIT_KEY,
    VISIT_ROLLUP_COLUMNS,
    WAIT_KEY,
    WAIT_ROLLUP_COLUMNS,
    _temp_ddl,
    columns_current,
    create_tables,
)


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


_RATING_PART_SUMS = ",\n            ".join(f"{part_over_visits(p)} as {p.name}" for p in RATING_SUMS.parts())


def rating_rows_sql(ratings: str, visits: str) -> str:
    """rating_rollup rows of the ratings in `ratings` (a table or subquery of moment_ratings)
    of the visits in `visits`; a rating whose visit is not there counts nowhere."""
    return f"""
        select
            v.hall_id,
            cast(v.arrived_at as date) as day,
            v.purpose,
            v.moment,
            {_RATING_PART_SUMS},
        from (
            select v.* exclude (load_id), r.moment, r.score
            from {ratings} as r
            join {visits} as v on v.visit_id = r.visit_id
        ) as v
        group by all"""


def rebuild_rating_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("delete from rating_rollup")
    cur.execute(
        f"insert into rating_rollup select * from ({rating_rows_sql('moment_ratings', 'visits')}) order by day, hall_id"
    )


def _has_rating_rollup(cur: duckdb.DuckDBPyConnection) -> bool:
    found = cur.execute(
        "select count(*) from duckdb_tables() where table_name = 'rating_rollup' and schema_name = 'main'"
    ).fetchone()
    return bool(found and found[0])


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
    if _has_rating_rollup(cur):  # a database from before the ratings gets it from its migration
        rebuild_rating_rollup(cur)


# -- incremental maintenance: stage signed changes, then merge them in ------------------------
_SUMS = [c for c in VISIT_ROLLUP_COLUMNS if c not in VISIT_KEY]


_DELTAS = {
    "visit_rollup_delta": VISIT_ROLLUP_COLUMNS,
    "wait_rollup_delta": WAIT_ROLLUP_COLUMNS,
    "value_rollup_delta": VALUE_ROLLUP_COLUMNS,
    "city_rollup_delta": CITY_ROLLUP_COLUMNS,
    "network_wait_rollup_delta": NETWORK_WAIT_COLUMNS,
    "rating_rollup_delta": RATING_ROLLUP_COLUMNS,
}
_RATING_SUMS = [c for c in RATING_ROLLUP_COLUMNS if c not in RATING_KEY]


def _ensure_stage(cur: duckdb.DuckDBPyConnection) -> None:
    for name, columns in _DELTAS.items():
        cur.execute(_temp_ddl(name, columns))


# -- what a write touched, for the check before it commits (peakend/warehouse/rollup_check.py) ----------
TOUCHED = {
    "rollup_touched_hall_days": {"hall_id": "varchar", "day": "date"},
    "rollup_touched_city_days": {"city": "varchar", "day": "date"},
}


# the cursors whose transaction notes what it touches; kept here, not asked of the catalog:
# duckdb_tables() lists every attached catalog, 36-110 ms a write on a DuckLake
_TRACKING: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


def track_touched(cur: duckdb.DuckDBPyConnection) -> None:
    """Start noting the rollup rows this transaction changes (Database.transaction does)."""
    for name, columns in TOUCHED.items():
        cur.execute(_temp_ddl(name, columns))
    _TRACKING.add(cur)


def stop_tracking(cur: duckdb.DuckDBPyConnection) -> None:
    """The transaction ended (its marks were dropped, or rolled back with it)."""
    _TRACKING.discard(cur)


def _tracking(cur: duckdb.DuckDBPyConnection) -> bool:
    return cur in _TRACKING


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
    """Stage the visits in `source` as added (sign +1) or taken away (-1), with their ratings
    (moment_ratings as it is now: a replaced visit takes its ratings' sums away, its new row
    brings them back under its new columns)."""
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
    _stage_rating_rows(cur, "moment_ratings", source, sign, params)


def stage_ratings(cur: duckdb.DuckDBPyConnection, ratings: str, sign: int, params: list | None = None) -> None:
    """Stage the ratings in `ratings` (a subquery of moment_ratings rows) as added (+1) or
    taken away (-1), under the visits they rate."""
    _ensure_stage(cur)
    _stage_rating_rows(cur, ratings, "visits", sign, params)


def _stage_rating_rows(cur, ratings: str, visits: str, sign: int, params: list | None) -> None:
    sums = ", ".join(f"{sign} * {c}" for c in _RATING_SUMS)
    cur.execute(
        f"insert into rating_rollup_delta select {', '.join(RATING_KEY)}, {sums} "
        f"from ({rating_rows_sql(ratings, visits)})",
        params or [],
    )


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
    # never an insert of no rows from a temporary table: DuckDB 1.5.5 then loses the next big
    # insert into the same table in the transaction (tests/test_duckdb_release.py)
    if cur.execute(f"select count(*) from {table}_merged").fetchone()[0]:
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
    mark_hall_days(
        cur, "select hall_id, day from visit_rollup_delta union all select hall_id, day from rating_rollup_delta"
    )
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
    _merge(cur, "rating_rollup", RATING_KEY, _RATING_SUMS, "day, hall_id", f"sum({RATING_SUMS.part('visits')}) <> 0")


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
