"""Upkeep of a DuckLake warehouse (issue 19): small files merged, old snapshots expired,
the files nobody reads any more deleted.

Every load commits at least one new Parquet file per table it writes (the visits, and the
rollups it merges into), and a feed's batch every few seconds makes thousands of them a day;
a visit sent again in pieces leaves a delete file beside the old one. A read then opens
every one of those files. `upkeep` puts them back together, in this order:

1. `ducklake_flush_inlined_data`: rows small inserts kept in the catalog go to Parquet, for
   each table that has data files too (its few inlined rows then go into its one merged
   file, as in a fresh load; and DuckLake 1.5.5's merge and rewrite fail to commit on a
   table still holding inlined rows: "Failed to read inlined-data aggregates ...
   isnan(VARCHAR)", after 620 loads of bench.lake upkeep), or whose catalog holds more live
   rows than one insert may keep there (DuckLake's `data_inlining_row_limit`, 10 by
   default), or more than DEAD_INLINED_ROWS deleted ones (they go only with a flush:
   snapshot expiry leaves them). A small table (the users, the purposes, the targets) stays
   in the catalog as a fresh load leaves it: flushed, it was one more Parquet file for
   every read to open (bench.lake upkeep: 20 files against a fresh lake's 14, the 6 more
   all such tables);
2. `ducklake_rewrite_data_files`: files with deleted rows (DELETE_THRESHOLD of them or more)
   written again without them (the feed's replaced pieces, the rollup rows every
   load replaces); a file with deletes is not merged;
3. `ducklake_merge_adjacent_files`: the small files of each table merged into big ones;
4. `ducklake_expire_snapshots`: snapshots older than `keep` forgotten (time travel to
   them goes; PeakEnd's undo works from its load records, never from snapshots);
5. `ducklake_cleanup_old_files`: the files only expired snapshots read, deleted once they
   have waited `grace` (a page that started on an older snapshot still finds its files);
6. `ducklake_delete_orphaned_files`: files no snapshot ever named (a write that died), once
   older than ORPHAN_AGE.

The pages read the current snapshot only, so steps 1-3 are what bring their times back;
4-6 give the disk back. Each step is a commit of its own and is tried again when another
writer's commit got in first (DuckLake's "Transaction conflict"). The bench that measured it
is `python -m bench.lake upkeep` (README, "The warehouse as a DuckLake").
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import duckdb

from peakend.warehouse import lake

DEFAULT_KEEP = timedelta(days=1)
DEFAULT_GRACE = timedelta(hours=1)
ORPHAN_AGE = timedelta(days=1)
CONFLICT_TRIES = 5
# a data file of which this share of rows is deleted is written again without them: any
# (bench.lake upkeep: at 0.1, 13 small files with a few deletes each were left unmerged and
# the pages stayed 1.1-2.1x a fresh lake's; at 0 they came back within 10%). A big file with
# one deleted row is written whole again, which a nightly run can afford.
DELETE_THRESHOLD = 0.0
# DuckLake's data_inlining_row_limit when the lake sets none: an insert of up to this many
# rows is kept in the catalog rather than written to a file
INLINING_ROW_LIMIT = 10
# deleted rows a table's catalog may hold before a flush takes them away (a row changed by
# every load, as meta's data version, leaves one a load): a read skips them for next to
# nothing, and each flush is one more small file to merge
DEAD_INLINED_ROWS = 100


@dataclass(frozen=True)
class Files:
    """What the lake's current snapshot reads, and what is on disk for older ones."""

    data_files: int  # Parquet data files the current snapshot reads
    data_bytes: int
    delete_files: int  # delete files the current snapshot applies
    snapshots: int
    waiting: int  # files no snapshot reads any more, not deleted yet

    def line(self) -> str:
        return (
            f"{self.data_files:,} data files ({self.data_bytes / 2**20:,.1f} MiB), "
            f"{self.delete_files:,} delete files, {self.snapshots:,} snapshots, "
            f"{self.waiting:,} files waiting for deletion"
        )


@dataclass
class UpkeepReport:
    before: Files
    after: Files
    seconds: dict[str, float] = field(default_factory=dict)  # step -> seconds
    rows: dict[str, int] = field(default_factory=dict)  # step -> the rows it returned
    retries: int = 0

    @property
    def total_s(self) -> float:
        return sum(self.seconds.values())


def catalog(con: duckdb.DuckDBPyConnection) -> str:
    """The name DuckDB gives the lake (the connection's default database)."""
    name = cast("tuple[Any, ...]", con.execute("select current_database()").fetchone())[0]
    kind = con.execute("select type from duckdb_databases() where database_name = ?", [name]).fetchone()
    if kind is None or kind[0] != "ducklake":
        raise ValueError(f"{name} is not a DuckLake (upkeep is for a lake; a DuckDB file needs none)")
    return str(name)


def files(con: duckdb.DuckDBPyConnection) -> Files:
    """Count the lake's files from its catalog tables (DuckLake's spec: a row's end_snapshot
    is set once a later snapshot no longer reads it)."""
    meta = lake.metadata(catalog(con))

    def one(sql: str) -> tuple[Any, ...]:
        return cast("tuple[Any, ...]", con.execute(sql).fetchone())

    data, size = one(
        f"select count(*), coalesce(sum(file_size_bytes), 0) from {meta}.ducklake_data_file where end_snapshot is null"
    )
    deletes = one(f"select count(*) from {meta}.ducklake_delete_file where end_snapshot is null")[0]
    snapshots = one(f"select count(*) from {meta}.ducklake_snapshot")[0]
    waiting = one(f"select count(*) from {meta}.ducklake_files_scheduled_for_deletion")[0]
    return Files(int(data), int(size), int(deletes), int(snapshots), int(waiting))


def inlining_row_limit(con: duckdb.DuckDBPyConnection) -> int:
    """The lake's own data_inlining_row_limit (its global setting), else DuckLake's default."""
    row = con.execute(
        "select value from ducklake_options(?) where option_name = 'data_inlining_row_limit' and scope = 'GLOBAL'",
        [catalog(con)],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else INLINING_ROW_LIMIT


def inlined_rows(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(schema, table) -> (live, deleted) rows the catalog holds for it, and the table's
    data files the current snapshot reads (DuckLake keeps a
    table's inlined rows in ducklake_inlined_data_<table id>_<schema version>; a deleted
    row stays there with its end_snapshot until a flush)."""
    meta = lake.metadata(catalog(con))
    # (DuckLake lists an inlined table there when it makes it)
    tables = con.execute(
        f"""select s.schema_name, t.table_name, i.table_name,
                (select count(*) from {meta}.ducklake_data_file f
                 where f.table_id = t.table_id and f.end_snapshot is null)
            from {meta}.ducklake_inlined_data_tables i
            join {meta}.ducklake_table t on t.table_id = i.table_id and t.end_snapshot is null
            join {meta}.ducklake_schema s on s.schema_id = t.schema_id and s.end_snapshot is null"""
    ).fetchall()
    out: dict[tuple[str, str], tuple[int, int, int]] = {}
    for schema, table, inlined, data_files in tables:
        # one query a table: DuckDB 1.5.5 answered a UNION ALL of these catalog scans with
        # the first one's counts for every table
        live, dead = cast(
            "tuple[int, int]",
            con.execute(
                f"select count(*) filter (where end_snapshot is null), count(end_snapshot) from {meta}.{lake.identifier(inlined)}"
            ).fetchone(),
        )
        was = out.get((schema, table), (0, 0, 0))
        out[(schema, table)] = (was[0] + int(live), was[1] + int(dead), int(data_files))
    return out


def flush_calls(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One ducklake_flush_inlined_data call for each table with inlined rows that has data
    files too, or whose catalog holds more live rows than the inlining limit lets one insert
    keep there, or more than DEAD_INLINED_ROWS deleted ones (the module's docstring, step 1)."""
    name = lake.quoted(catalog(con))
    limit = inlining_row_limit(con)
    return [
        f"call ducklake_flush_inlined_data({name}, schema_name => {lake.quoted(schema)}, "
        f"table_name => {lake.quoted(table)})"
        for (schema, table), (live, dead, data_files) in sorted(inlined_rows(con).items())
        if (data_files and live + dead) or live > limit or dead > DEAD_INLINED_ROWS
    ]


def _seconds(age: timedelta) -> int:
    return max(0, int(age.total_seconds()))


def _is_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "conflict" in text or "database is locked" in text


def upkeep(
    con: duckdb.DuckDBPyConnection,
    keep: timedelta = DEFAULT_KEEP,
    grace: timedelta = DEFAULT_GRACE,
    orphan_age: timedelta = ORPHAN_AGE,
    delete_threshold: float = DELETE_THRESHOLD,
    sleep: Callable[[float], None] = time.sleep,
    turn: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> UpkeepReport:
    """Merge, expire and clean the lake `con` is connected to (see the module's docstring).
    Each step runs in `turn()`: the warehouse's writer turn (write_turns), so loads wait for
    a step instead of a step and a load refusing each other's commits."""
    name = lake.quoted(catalog(con))
    report = UpkeepReport(files(con), files(con))
    # CALL, not SELECT ... FROM: a count(*) over these functions is answered without running them
    steps: dict[str, str | list[str]] = {
        "flush inlined data": flush_calls(con),
        "rewrite files with deletes": (
            f"call ducklake_rewrite_data_files({name}, delete_threshold => {float(delete_threshold)})"
        ),
        "merge adjacent files": f"call ducklake_merge_adjacent_files({name})",
        "expire snapshots": (
            f"call ducklake_expire_snapshots({name}, older_than => now() - to_seconds({_seconds(keep)}))"
        ),
        "clean up old files": (
            f"call ducklake_cleanup_old_files({name}, older_than => now() - to_seconds({_seconds(grace)}))"
        ),
        "delete orphaned files": (
            f"call ducklake_delete_orphaned_files({name}, older_than => now() - to_seconds({_seconds(orphan_age)}))"
        ),
    }
    for step, calls in steps.items():
        started = time.perf_counter()
        report.rows[step] = 0
        for sql in [calls] if isinstance(calls, str) else calls:
            report.rows[step] += _call(con, sql, report, sleep, turn)
        report.seconds[step] = time.perf_counter() - started
    report.after = files(con)
    return report


def _call(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    report: UpkeepReport,
    sleep: Callable[[float], None],
    turn: Callable[[], contextlib.AbstractContextManager[Any]],
) -> int:
    """Run one maintenance call in the writer turn, again when another writer's commit got in
    first; its rows are what it did (files merged, snapshots expired, files deleted), read as
    Arrow: their timestamps would need pytz as Python values."""
    for attempt in range(CONFLICT_TRIES):
        try:
            with turn():
                return con.execute(sql).to_arrow_table().num_rows
        except duckdb.Error as exc:
            if not _is_conflict(exc) or attempt == CONFLICT_TRIES - 1:
                raise
            report.retries += 1
            sleep(0.5 * 2**attempt)  # another writer committed first: its turn, then ours
    raise AssertionError("unreachable")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '2h', '7d' or a number of seconds ('0': nothing kept)."""
    m = _DURATION.fullmatch(text.strip().lower())
    if not m:
        raise ValueError(f"not a duration: {text!r} (say 30m, 2h, 7d or 0)")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
