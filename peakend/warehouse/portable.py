"""SQL that runs the same on a DuckDB file and on a DuckLake (peakend/warehouse/lake.py).

A DuckLake has no primary keys, unique or check constraints, indexes or sequences. The schema's
tables are declared once, as a DuckDB file keeps them; on a lake `lake_ddl` leaves the
constraints out of the DDL (the loader and the write path keep keys unique themselves, as
they always have for `visits`, which never had a key). Rows are replaced by key with
`replace_row` (delete, then insert: what `insert or replace` does with a primary key), and a
new row is numbered in its insert by the largest number so far plus one, on both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import duckdb

_TABLE_KEY = re.compile(r",\s*(primary key|unique)\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+primary key\b", re.IGNORECASE)
_COLUMN_UNIQUE = re.compile(r"\s+unique\b(?!\s*\()", re.IGNORECASE)
_SEQUENCE_DEFAULT = re.compile(r"\s+default\s+nextval\('[^']*'\)", re.IGNORECASE)
_SKIPPED = re.compile(r"^\s*create\s+(sequence|(unique\s+)?index)\b", re.IGNORECASE)


def is_lake(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's default catalog is a DuckLake."""
    row = cur.execute("select type from duckdb_databases() where database_name = current_database()").fetchone()
    return row is not None and str(row[0]).lower() == "ducklake"


def _without_checks(sql: str) -> str:
    """`sql` with every `check (...)` clause left out (its parentheses balanced)."""
    out, i = [], 0
    for m in re.finditer(r"(,\s*)?\s+check\s*\(", sql, re.IGNORECASE):  # a table's check: its comma too
        if m.start() < i:
            continue
        depth, j = 1, m.end()
        while depth and j < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
        out.append(sql[i : m.start()])
        i = j
    return "".join(out) + sql[i:]


def lake_ddl(sql: str) -> str | None:
    """`sql` as a DuckLake takes it: keys, checks and sequence defaults left out (a key column
    stays not null); None for a statement a lake has no use for (a sequence, an index)."""
    if _SKIPPED.match(sql):
        return None
    if not re.match(r"^\s*(create|alter)\s+table\b", sql, re.IGNORECASE):
        return sql
    sql = _without_checks(_TABLE_KEY.sub("", sql))
    sql = _SEQUENCE_DEFAULT.sub("", sql)
    sql = _COLUMN_KEY.sub(" not null", sql)
    sql = _COLUMN_UNIQUE.sub("", sql)
    return re.sub(r"not null(\s+not null)+", "not null", sql, flags=re.IGNORECASE)


class LakeSchema:
    """A connection for the schema's migrations on a DuckLake: DDL goes through lake_ddl,
    everything else as it is."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def execute(self, sql: str, *args: Any, **kwargs: Any):
        portable = lake_ddl(sql)
        if portable is None:
            return self._con.execute("select 1 where false")
        return self._con.execute(portable, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def replace_row(cur: duckdb.DuckDBPyConnection, table: str, key: Sequence[str], row: dict[str, Any]) -> None:
    """Insert `row` (column -> value) into `table`, replacing the row with the same `key`."""
    where = " and ".join(f"{k} is not distinct from ?" for k in key)
    cur.execute(f"delete from {table} where {where}", [row[k] for k in key])
    cur.execute(
        f"insert into {table} ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
        list(row.values()),
    )
