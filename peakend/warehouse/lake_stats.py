"""Table statistics for every table of a DuckLake, also the ones nothing has written yet.

DuckLake 1.5.5 caches a table's statistics per snapshot, but a table that has never held a
row has none, and that answer is never cached: every query that names the table asks the
catalog again, once per column it reads (duckdb/ducklake#1313, merged upstream after the
1.5.5 extension, the newest on PyPI). A fresh PeakEnd lake has about 17 such tables (tasks,
day notes, deliveries, hall periods, ...), and a page that reads one paid 50-300 ms to plan
each query, where a table with statistics plans in ~3 ms (measured on the 1M bench lake).

So when the schema is created or upgraded, each table without statistics gets them from one
row inserted and deleted in the same commit: the statistics say 0 rows, every query answers
as before, and the table plans like the others. Once a table has statistics it keeps them
(deleting its rows leaves them at 0), so a lake whose tables all have them is not written.
"""

from __future__ import annotations

import duckdb

from peakend.warehouse import lake

_NUMERIC = ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "HUGEINT", "BOOLEAN")


def tables_without_stats(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The lake's live tables that have no row in its ducklake_table_stats."""
    meta = lake.metadata(str(con.execute("select current_database()").fetchone()[0]))  # type: ignore[index]
    rows = con.execute(
        f"""select t.table_name from {meta}.ducklake_table as t
            where t.end_snapshot is null
              and not exists (select 1 from {meta}.ducklake_table_stats as s where s.table_id = t.table_id)
            order by t.table_name"""
    ).fetchall()
    return [str(name) for (name,) in rows]


def _placeholder(data_type: str) -> str:
    """A value of `data_type` for a NOT NULL column of the row that is deleted again."""
    if data_type.endswith("]"):
        return f"cast([] as {data_type})"
    if data_type == "INTERVAL":  # before the numeric types: it holds "INT"
        return "interval 0 second"
    if any(kind in data_type for kind in _NUMERIC):
        return f"cast(0 as {data_type})"
    if data_type.startswith("TIMESTAMP"):
        return f"cast(timestamp '2000-01-01' as {data_type})"
    if data_type == "DATE":
        return "date '2000-01-01'"
    return f"cast('' as {data_type})"


def _placeholder_row(con: duckdb.DuckDBPyConnection, table: str) -> str:
    columns = con.execute(
        """select data_type, is_nullable from duckdb_columns()
           where database_name = current_database() and table_name = ? order by column_index""",
        [table],
    ).fetchall()
    return ", ".join(f"cast(null as {kind})" if nullable else _placeholder(kind) for kind, nullable in columns)


def give_every_table_stats(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Insert and delete one row in each table without statistics, in one commit; return the
    tables it did (none: nothing is written)."""
    missing = tables_without_stats(con)
    if not missing:
        return []
    con.execute("begin transaction")
    try:
        for table in missing:
            name = lake.identifier(table)
            con.execute(f"insert into {name} select {_placeholder_row(con, table)}")
            con.execute(f"delete from {name}")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return missing
