"""The rollup tables: pre-aggregated visits, kept exact, so that network-wide numbers
don't re-read every visit. Their columns and keys are declared here; rollups.py keeps them
current, rollup_routes.py chooses which one answers a query.

Seven tables, all derived from `visits` and written only by the warehouse write path in the
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
`rating_rollup`  one row per hall x day x purpose x key moment with ratings from a ratings
                 file (moment_ratings), of the visits they rate: the sums of
                 peakend.core.metrics.RATING_SUMS. Long, so a moment the catalogue gains
                 needs no new column; a visit that is replaced moves its ratings' sums with it.

Counts and sums are integers (service time in microseconds, peak + exit as a sum), so a
load adds its rows and an undo subtracts them without any rounding drift.
"""

from __future__ import annotations

import duckdb

from peakend.core.metrics import PARTS, RATING_SUMS

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
RATING_ROLLUP_COLUMNS = {
    "hall_id": "varchar not null",
    "day": "date not null",
    "purpose": "varchar not null",
    "moment": "varchar not null",
    **dict.fromkeys((p.name for p in RATING_SUMS.parts()), "bigint not null"),
}
RATING_KEY = ("hall_id", "day", "purpose", "moment")
NETWORK_WAIT_KEY = ("day", "wait_s")
NETWORK_WAIT_COLUMNS = {"day": "date not null", "wait_s": "double not null", "n": "bigint not null"}


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


def create_tables(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("visit_rollup", VISIT_ROLLUP_COLUMNS))
    cur.execute(_ddl("wait_rollup", WAIT_ROLLUP_COLUMNS))
    cur.execute(_ddl("value_rollup", VALUE_ROLLUP_COLUMNS))
    create_hall_rollup(cur)
    create_network_wait_rollup(cur)
    create_city_rollup(cur)


def create_city_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("city_rollup", CITY_ROLLUP_COLUMNS))


def create_rating_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("rating_rollup", RATING_ROLLUP_COLUMNS))


def create_hall_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("hall_rollup", HALL_ROLLUP_COLUMNS))


def create_network_wait_rollup(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_ddl("network_wait_rollup", NETWORK_WAIT_COLUMNS))


CITY_ROLLUP_COLUMNS = {
    "day": "date not null",
    "city": "varchar not null",
    "purpose": "varchar not null",
    **{c: t for c, t in VISIT_ROLLUP_COLUMNS.items() if c not in VISIT_KEY},
}


def _temp_ddl(name: str, columns: dict[str, str]) -> str:
    # Declared columns, never `create ... as select * from X limit 0`: DuckDB 2.0.0 silently
    # lost the rows inserted into such an empty CTAS table beyond one row group (issue 13).
    return _ddl(name, columns).replace("create table", "create temp table", 1)
