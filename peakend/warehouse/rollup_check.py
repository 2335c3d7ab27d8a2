"""The rollups checked against the visits they come from.

Two uses:
- `verify_touched(cur)`, called by `Database.transaction()` before every write commits: the
  rollup rows the write touched (peakend/warehouse/rollups.py marks them) are recomputed from the
  visits and compared. Any difference rolls the write back with an error naming the table,
  the key and both numbers. (DuckDB 2.0.0 silently emptied staged tables over one row group;
  nothing noticed until the network overview showed "–". This is what notices.)
- `audit(cur)`, behind `python -m peakend check`: every rollup recomputed from scratch and
  compared row by row, plus the schema version and that every visit's hall exists.

The rollups derived from other rollups (city_rollup, hall_rollup, network_wait_rollup) are
checked against their verified parent in the touched check, which keeps it cheap; the audit
checks every one against the visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import duckdb

from peakend.warehouse import rollup_tables, rollups

TOUCHED_HALL_DAYS, TOUCHED_CITY_DAYS = rollups.TOUCHED  # marked by peakend/warehouse/rollups.py
SHOWN_DIFFERENCES = 20  # per table; the count says how many there are in all


@dataclass(frozen=True)
class Difference:
    table: str
    key: dict[str, Any]
    column: str
    stored: Any
    expected: Any

    def __str__(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        return f"{self.table} [{key}] {self.column}: stored {self.stored}, the visits give {self.expected}"


@dataclass
class TableReport:
    table: str
    differences: list[Difference]
    total: int  # differing keys, of which `differences` shows the first few

    @property
    def ok(self) -> bool:
        return self.total == 0


class WriteCheckError(RuntimeError):
    """A write's own check failed; the write is rolled back."""


class RollupMismatch(WriteCheckError):
    """A write would have committed rollups that disagree with the visits."""

    def __init__(self, reports: list[TableReport]):
        self.reports = [r for r in reports if not r.ok]
        lines = [str(d) for r in self.reports for d in r.differences[:5]]
        more = sum(r.total for r in self.reports) - len(lines)
        super().__init__(
            "the rollups would not match the visits, so nothing was written: "
            + "; ".join(lines)
            + (f"; and {more} more" if more > 0 else "")
        )


# -- comparing ------------------------------------------------------------------------------
def compare(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    key: tuple[str, ...],
    values: list[str],
    stored_sql: str,
    expected_sql: str,
    params: Any = None,
) -> TableReport:
    """Rows of `stored_sql` against rows of `expected_sql`, matched on `key`: every key
    present in one and not the other, or with any of `values` different."""
    on = " and ".join(f"s.{k} is not distinct from e.{k}" for k in key)
    keys = ", ".join(f"coalesce(s.{k}, e.{k}) as {k}" for k in key)
    pairs = ", ".join(f"s.{c} as s_{c}, e.{c} as e_{c}" for c in values)
    differs = " or ".join(["s._row is null", "e._row is null"] + [f"s.{c} is distinct from e.{c}" for c in values])
    rows = cur.execute(
        f"""with s as (select *, true as _row from ({stored_sql})),
                 e as (select *, true as _row from ({expected_sql}))
            select {keys}, s._row is not null as s_present, e._row is not null as e_present,
                   {pairs}, count(*) over () as total
            from s full outer join e on {on}
            where {differs}
            order by all
            limit {SHOWN_DIFFERENCES}""",
        params or [],
    ).fetchall()
    differences = []
    for row in rows:
        k = dict(zip(key, row[: len(key)]))
        s_present, e_present = row[len(key)], row[len(key) + 1]
        rest = row[len(key) + 2 : -1]
        if not s_present:
            differences.append(Difference(table, k, "row", "missing", "a row"))
            continue
        if not e_present:
            differences.append(Difference(table, k, "row", "a row", "no visits"))
            continue
        for i, c in enumerate(values):
            if rest[2 * i] != rest[2 * i + 1]:
                differences.append(Difference(table, k, c, rest[2 * i], rest[2 * i + 1]))
    return TableReport(table, differences, rows[0][-1] if rows else 0)


_VISIT_SUMS = [c for c in rollup_tables.VISIT_ROLLUP_COLUMNS if c not in rollup_tables.VISIT_KEY]
_RATING_SUMS = [c for c in rollup_tables.RATING_ROLLUP_COLUMNS if c not in rollup_tables.RATING_KEY]


def _city_rows_sql(visit_rows: str) -> str:
    sums = ", ".join(f"sum(r.{c})::bigint as {c}" for c in _VISIT_SUMS)
    return f"""select r.day, h.city, r.purpose, {sums}
               from ({visit_rows}) as r join halls as h on h.hall_id = r.hall_id
               group by all"""


def _network_wait_rows_sql(wait_rows: str) -> str:
    return f"select day, wait_s, sum(n)::bigint as n from ({wait_rows}) group by all"


def _wait_totals_sql(wait_rows: str) -> str:
    return f"""select day, city, purpose, sum(n)::bigint as waits, sum(n * wait_s) as wait_seconds
               from ({wait_rows}) group by all"""


# -- before a write commits --------------------------------------------------------------------
def verify_touched(cur: duckdb.DuckDBPyConnection) -> list[TableReport]:
    """Check the rollup rows this transaction touched; raise RollupMismatch on any
    difference. Leaves no trace (the marks are dropped either way)."""
    if not rollups._tracking(cur):
        return []
    try:
        reports = _verify_touched(cur)
    finally:
        for table in rollups.TOUCHED:
            cur.execute(f"drop table if exists {table}")
        rollups.stop_tracking(cur)
    if not all(r.ok for r in reports):
        raise RollupMismatch(reports)
    return reports


def _verify_touched(cur: duckdb.DuckDBPyConnection) -> list[TableReport]:
    hd, cd = TOUCHED_HALL_DAYS, TOUCHED_CITY_DAYS
    # the cities of touched hall-days are touched too (their sums came from those rows)
    cur.execute(f"create temp table rollup_check_hd as select distinct hall_id, day from {hd}")
    cur.execute(
        f"""create temp table rollup_check_cd as
            select distinct city, day from (
                select city, day from {cd}
                union all
                select h.city, t.day from rollup_check_hd as t join halls as h on h.hall_id = t.hall_id)"""
    )
    cur.execute("create temp table rollup_check_halls as select distinct hall_id from rollup_check_hd")
    cur.execute("create temp table rollup_check_days as select distinct day from rollup_check_cd")
    span = cast(
        "tuple[Any, ...]",
        cur.execute(
            "select min(day), max(day) + 1 from (select day from rollup_check_hd union all select day from rollup_check_cd)"
        ).fetchone(),
    )
    try:
        if span[0] is None:
            return []
        # reading only the row groups of the touched days, then only the touched pairs
        in_days = "v.arrived_at >= $lo::date and v.arrived_at < $hi::date"
        touched_visits = f"""(select v.* from visits as v
                              semi join rollup_check_hd as t
                                on t.hall_id = v.hall_id and t.day = cast(v.arrived_at as date)
                              where {in_days})"""
        city_visits = f"""(select v.* from visits as v
                           semi join (select h.hall_id, c.day from rollup_check_cd as c
                                      join halls as h on h.city = c.city) as t
                             on t.hall_id = v.hall_id and t.day = cast(v.arrived_at as date)
                           where {in_days})"""
        p = {"lo": span[0], "hi": span[1]}
        of_hd = "semi join rollup_check_hd as t on t.hall_id = r.hall_id and t.day = r.day"
        of_cd = "semi join rollup_check_cd as t on t.city = r.city and t.day = r.day"
        visit_rows = rollups._visit_rows_sql(touched_visits)
        touched_city_sums = """select r.* from visit_rollup as r
                               semi join (select h.hall_id from halls as h
                                          semi join rollup_check_cd as c on c.city = h.city) as x
                                 on x.hall_id = r.hall_id
                               semi join rollup_check_days as d on d.day = r.day"""
        return [
            compare(
                cur,
                "visit_rollup",
                rollup_tables.VISIT_KEY,
                _VISIT_SUMS,
                f"select r.* from visit_rollup as r {of_hd}",
                visit_rows,
                p,
            ),
            compare(
                cur,
                "wait_rollup",
                rollup_tables.CITY_KEY,
                ["waits", "wait_seconds"],
                _wait_totals_sql(f"select r.* from wait_rollup as r {of_cd}"),
                _wait_totals_sql(rollups._wait_rows_sql(city_visits)),
                p,
            ),
            compare(
                cur,
                "rating_rollup",
                rollup_tables.RATING_KEY,
                _RATING_SUMS,
                f"select r.* from rating_rollup as r {of_hd}",
                rollups.rating_rows_sql("moment_ratings", touched_visits),
                p,
            ),
            # derived rollups against their parent, now checked
            compare(
                cur,
                "city_rollup",
                rollup_tables.CITY_KEY,
                _VISIT_SUMS,
                f"select r.* from city_rollup as r {of_cd}",
                f"select r.* from ({_city_rows_sql(touched_city_sums)}) as r {of_cd}",
            ),
            compare(
                cur,
                "network_wait_rollup",
                rollup_tables.NETWORK_WAIT_KEY,
                ["n"],
                "select r.* from network_wait_rollup as r semi join rollup_check_days as d on d.day = r.day",
                _network_wait_rows_sql(
                    "select r.* from wait_rollup as r semi join rollup_check_days as d on d.day = r.day"
                ),
            ),
            compare(
                cur,
                "hall_rollup",
                ("hall_id",),
                ["visits", "first_day", "last_day"],
                "select r.* from hall_rollup as r semi join rollup_check_halls as t on t.hall_id = r.hall_id",
                rollups._HALL_ROWS.format(where="where hall_id in (select hall_id from rollup_check_halls)"),
            ),
            compare(
                cur,
                "value_rollup",
                ("hall_id",),
                ["visits"],
                "select hall_id, sum(n)::bigint as visits from value_rollup "
                "where hall_id in (select hall_id from rollup_check_halls) group by all",
                "select hall_id, sum(visits)::bigint as visits from visit_rollup "
                "where hall_id in (select hall_id from rollup_check_halls) group by all",
            ),
        ]
    finally:
        for t in ("rollup_check_hd", "rollup_check_cd", "rollup_check_halls", "rollup_check_days"):
            cur.execute(f"drop table if exists {t}")


# -- the whole database (python -m peakend check) -----------------------------------------
@dataclass
class AuditReport:
    schema_problem: str | None
    orphan_visits: int
    orphan_examples: list[tuple[str, int]]  # (hall_id, visits) of halls that don't exist
    tables: list[TableReport]
    # hourly reports (hall_periods): rows of a hall not in halls, and (hall, period start)
    # keys stored more than once (the loader replaces a re-sent period)
    orphan_periods: int = 0
    repeated_periods: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.schema_problem is None
            and self.orphan_visits == 0
            and self.orphan_periods == 0
            and self.repeated_periods == 0
            and all(t.ok for t in self.tables)
        )

    def lines(self) -> list[str]:
        out = []
        if self.schema_problem:
            out.append(self.schema_problem)
        if self.orphan_visits:
            examples = ", ".join(f"{h} ({n:,})" for h, n in self.orphan_examples)
            out.append(f"visits: {self.orphan_visits:,} visits name a hall that is not in halls: {examples}")
        if self.orphan_periods:
            out.append(f"hall_periods: {self.orphan_periods:,} hourly-report rows name a hall that is not in halls")
        if self.repeated_periods:
            out.append(f"hall_periods: {self.repeated_periods:,} (hall, period start) keys are stored more than once")
        for t in self.tables:
            out.extend(str(d) for d in t.differences)
            if t.total > len({tuple(d.key.items()) for d in t.differences}):
                out.append(f"{t.table}: {t.total:,} keys differ in all (the first {SHOWN_DIFFERENCES} shown)")
        return out


def audit(cur: duckdb.DuckDBPyConnection) -> AuditReport:
    from peakend.warehouse.schema import SCHEMA_VERSION, stored_version

    version = stored_version(cur)
    schema_problem = None
    if version != SCHEMA_VERSION:
        schema_problem = f"schema: version {version} stored, this PeakEnd expects {SCHEMA_VERSION}"
    elif not rollup_tables.columns_current(cur):
        kept = set(rollup_tables.stored_columns(cur, "visit_rollup"))
        missing = [c for c in rollup_tables.VISIT_ROLLUP_COLUMNS if c not in kept]
        extra = sorted(kept - set(rollup_tables.VISIT_ROLLUP_COLUMNS))
        schema_problem = (
            "rollups: written before this PeakEnd's metric parts"
            + (f" (missing {', '.join(missing)})" if missing else "")
            + (f" (no longer used: {', '.join(extra)})" if extra else "")
            + "; the app answers from the visits until the file is opened for writing, which rebuilds them"
        )
    if schema_problem is not None:
        # the rollups' definitions (and the macros they count with) are this version's
        return AuditReport(
            schema_problem + "; open it once with the app or `python -m peakend load --history` "
            "to upgrade it, then check again",
            0,
            [],
            [],
        )
    orphans = cur.execute(
        """select hall_id, count(*) from visits as v anti join halls as h on h.hall_id = v.hall_id
           group by all order by 2 desc, 1"""
    ).fetchall()
    visit_rows = rollups._visit_rows_sql("visits")
    wait_rows = rollups._wait_rows_sql("visits")
    tables = [
        compare(cur, "visit_rollup", rollup_tables.VISIT_KEY, _VISIT_SUMS, "select * from visit_rollup", visit_rows),
        compare(cur, "wait_rollup", rollup_tables.WAIT_KEY, ["n"], "select * from wait_rollup", wait_rows),
        compare(
            cur,
            "value_rollup",
            rollup_tables.VALUE_KEY,
            ["n"],
            "select * from value_rollup",
            rollups._value_rows_sql("visits"),
        ),
        compare(
            cur,
            "city_rollup",
            rollup_tables.CITY_KEY,
            _VISIT_SUMS,
            "select * from city_rollup",
            _city_rows_sql(visit_rows),
        ),
        compare(
            cur,
            "network_wait_rollup",
            rollup_tables.NETWORK_WAIT_KEY,
            ["n"],
            "select * from network_wait_rollup",
            _network_wait_rows_sql(wait_rows),
        ),
        compare(
            cur,
            "rating_rollup",
            rollup_tables.RATING_KEY,
            _RATING_SUMS,
            "select * from rating_rollup",
            rollups.rating_rows_sql("moment_ratings", "visits"),
        ),
        compare(
            cur,
            "hall_rollup",
            ("hall_id",),
            ["visits", "first_day", "last_day"],
            "select * from hall_rollup",
            """select hall_id, count(*)::bigint as visits, min(cast(arrived_at as date)) as first_day,
                          max(cast(arrived_at as date)) as last_day
                   from visits group by hall_id""",
        ),
    ]
    orphan_periods, repeated_periods = cast(
        "tuple[Any, ...]",
        cur.execute(
            """select (select count(*) from hall_periods as p anti join halls as h on h.hall_id = p.hall_id),
                      (select count(*) from (select 1 from hall_periods group by hall_id, period_start
                                             having count(*) > 1))"""
        ).fetchone(),
    )
    return AuditReport(
        schema_problem, sum(n for _, n in orphans), orphans[:10], tables, int(orphan_periods), int(repeated_periods)
    )
