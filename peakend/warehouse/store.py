"""The write path every load takes (files, uploads, the demo generator, test fixtures).

It also keeps the rollups (peakend/warehouse/rollups.py) current: every change to visits, halls or
targets updates them in the same transaction.

Callers hand over clean rows in the data-contract columns (a DataFrame, Arrow table or a
DuckDB relation registered under a name); this module derives the stored columns, keeps
`visit_id` unique by replacing re-sent visits, records the load, and can undo it. All of it
runs inside the caller's transaction (`Database.transaction()`), so a reader sees the data
before the load or after it, never half of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import duckdb

from peakend.warehouse import portable, rollups
from peakend.warehouse.schema import HALL_COLUMNS, PERIOD_COLUMNS, RATING_COLUMNS, STAFF_COLUMNS, VISIT_COLUMNS

CONTRACT_VISIT_COLUMNS = [c for c in VISIT_COLUMNS if c not in ("wait_s", "queue_s", "service_s", "load_id")]
CONTRACT_HALL_COLUMNS = [c for c in HALL_COLUMNS if c != "load_id"]
CONTRACT_STAFF_COLUMNS = [c for c in STAFF_COLUMNS if c != "load_id"]
CONTRACT_PERIOD_COLUMNS = [c for c in PERIOD_COLUMNS if c != "load_id"]
CONTRACT_RATING_COLUMNS = [c for c in RATING_COLUMNS if c != "load_id"]
# Hourly reports are written like visits, so a period filter skips row groups too.
PERIOD_STORAGE_ORDER = "cast(period_start as date), hall_id, period_start"

# Visits are written in this order (each load's rows sorted by it). DuckDB keeps min/max
# per column per row group, so a period filter skips every row group outside the period,
# and within a day a hall's rows sit together, so a one-hall filter skips the rest too.
# Loads mostly bring the newest days, so appending them in this order keeps it global.
STORAGE_ORDER = "cast(arrived_at as date), hall_id, arrived_at"


def start_load(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    loaded_by: str,
    file_name: str | None = None,
    mapping: str | None = None,
) -> int:
    """Record a new load and return its id (inside the caller's transaction)."""
    load_id = cast("tuple[Any, ...]", cur.execute("select coalesce(max(load_id), 0) + 1 from loads").fetchone())[0]
    cur.execute(
        "insert into loads (load_id, loaded_at, loaded_by, kind, file_name, mapping) values (?, ?, ?, ?, ?, ?)",
        [load_id, datetime.now().replace(microsecond=0), loaded_by, kind, file_name, mapping],
    )
    return load_id


def finish_load(cur: duckdb.DuckDBPyConnection, load_id: int, accepted: int, rejected: int, replaced: int) -> None:
    cur.execute(
        "update loads set rows_accepted = ?, rows_rejected = ?, rows_replaced = ? where load_id = ?",
        [accepted, rejected, replaced, load_id],
    )


# Columns a visit always carries in full (the loader requires them in every row); a later
# piece of a visit (merge=True) takes every other column from the stored row where it has none.
_ALWAYS_SENT = ("visit_id", "hall_id", "arrived_at", "purpose")


def _merged_rows(source: str) -> str:
    """The rows of `source`, each completed from the stored visit it replaces ($load's
    visits_replaced): a column the piece has no value for keeps the stored one, so a call
    or a rating sent later never blanks what the ticket said, and a ticket re-sent late
    never blanks the call. `abandoned` is true when the piece says so, or the stored visit
    was abandoned and no call is known now."""
    picked = []
    for c in CONTRACT_VISIT_COLUMNS:
        if c in _ALWAYS_SENT:
            picked.append(f"n.{c}")
        elif c == "abandoned":
            picked.append(
                "n.abandoned or coalesce(o.abandoned and coalesce(n.called_at, o.called_at) is null, false)"
                " as abandoned"
            )
        else:
            picked.append(f"coalesce(n.{c}, o.{c}) as {c}")
    return (
        f"select {', '.join(picked)} from {source} as n "
        "left join (select * from visits_replaced where replaced_by_load = $load) as o on n.visit_id = o.visit_id"
    )


def insert_visits(cur: duckdb.DuckDBPyConnection, source: str, load_id: int, merge: bool = False) -> tuple[int, int]:
    """Insert the visits of the registered relation `source` (contract columns, already
    validated, visit_id unique within it). A visit_id already stored is replaced, and the
    old row kept in visits_replaced so an undo can restore it. With `merge` (the ingest
    API: visits arrive in pieces) a replacing row keeps the stored value of every column
    it has no value for (_merged_rows).

    Returns (rows inserted, rows replaced).
    """
    cols = ", ".join(CONTRACT_VISIT_COLUMNS)
    rows = _merged_rows(source) if merge else f"select {cols} from {source}"
    replaced = cast(
        "tuple[Any, ...]",
        cur.execute(
            f"""insert into visits_replaced
            select ? as replaced_by_load, v.* from visits as v
            where v.visit_id in (select visit_id from {source})""",
            [load_id],
        ).fetchone(),
    )[0]
    if replaced:
        rollups.stage_visits(cur, _REPLACED_BY, -1, [load_id])
        cur.execute(f"delete from visits where visit_id in (select visit_id from {source})")
    inserted = cast(
        "tuple[Any, ...]",
        cur.execute(
            f"""insert into visits
            select {cols},
                epoch(called_at - arrived_at) as wait_s,
                coalesce(epoch(called_at - arrived_at),
                         case when abandoned then epoch(left_at - arrived_at) end) as queue_s,
                epoch(service_ended_at - service_started_at) as service_s,
                $load as load_id
            from ({rows})
            order by {STORAGE_ORDER}""",
            {"load": load_id},
        ).fetchone(),
    )[0]
    # read back what was written before anything is rolled up from it (DuckDB 2.0.0 and
    # 1.5.5 each had a pattern in which inserted rows read back empty)
    stored = _visits_read_back(cur, load_id)
    if stored != inserted:
        from peakend.warehouse.rollup_check import WriteCheckError

        raise WriteCheckError(
            f"visits: {inserted:,} rows were written but {stored:,} read back, so nothing was written"
        )
    rollups.stage_visits(cur, _OF_LOAD, +1, [load_id])
    rollups.apply_staged(cur)
    return inserted, replaced


def _visits_read_back(cur: duckdb.DuckDBPyConnection, load_id: int) -> int:
    return cast(
        "tuple[Any, ...]", cur.execute("select count(visit_id) from visits where load_id = ?", [load_id]).fetchone()
    )[0]


# A load's rows of a table, and the rows it replaced, as the rollups' staging reads them.
def _of_load(table: str) -> str:
    return f"(select * from {table} where load_id = ?)"


def _replaced_by(table: str) -> str:
    return f"(select * exclude (replaced_by_load) from {table}_replaced where replaced_by_load = ?)"


_OF_LOAD = _of_load("visits")
_REPLACED_BY = _replaced_by("visits")


def _remember_cities(cur: duckdb.DuckDBPyConnection, hall_ids_sql: str, params: list) -> None:
    """Note the city of each hall about to change (null: not there yet), for
    rollups.halls_changed afterwards."""
    cur.execute(
        f"""create or replace temp table halls_before_change as
            select c.hall_id, h.city
            from (select distinct hall_id from ({hall_ids_sql})) as c
            left join halls as h on h.hall_id = c.hall_id""",
        params,
    )


def _cities_changed(cur: duckdb.DuckDBPyConnection) -> None:
    rollups.halls_changed(cur, "halls_before_change")
    cur.execute("drop table halls_before_change")


def _replace_by_key(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    keys: tuple[str, ...],
    source: str,
    load_id: int,
    cols: str,
    values: str | None = None,
    order: str | None = None,
) -> tuple[int, int]:
    """Insert the rows of `source` into `table` (`values` as `cols`, written in `order`); a
    row whose `keys` are already stored replaces it, the old row kept in `table`_replaced for
    an undo. Returns (inserted, replaced)."""
    on = " and ".join(f"s.{k} = t.{k}" for k in keys)
    replaced = cast(
        "tuple[Any, ...]",
        cur.execute(
            f"insert into {table}_replaced select ? as replaced_by_load, t.* from {table} as t "
            f"semi join {source} as s on {on}",
            [load_id],
        ).fetchone(),
    )[0]
    if replaced:
        cur.execute(f"delete from {table} as t using {source} as s where {on}")
    inserted = cast(
        "tuple[Any, ...]",
        cur.execute(
            f"insert into {table} ({cols}, load_id) select {cols}, ? as load_id "
            f"from (select {values or cols} from {source}){f' order by {order}' if order else ''}",
            [load_id],
        ).fetchone(),
    )[0]
    return inserted, replaced


def insert_halls(cur: duckdb.DuckDBPyConnection, source: str, load_id: int) -> tuple[int, int]:
    """Insert or replace halls from the registered relation `source` (a contract column
    it lacks, such as time_zone from an older writer, is null)."""
    cols = ", ".join(CONTRACT_HALL_COLUMNS)
    have = {r[0] for r in cur.execute(f"select * from {source} limit 0").description}
    values = ", ".join(c if c in have else f"null as {c}" for c in CONTRACT_HALL_COLUMNS)
    _remember_cities(cur, f"select hall_id from {source}", [])
    inserted, replaced = _replace_by_key(cur, "halls", ("hall_id",), source, load_id, cols, values)
    _cities_changed(cur)
    return inserted, replaced


def insert_staff(cur: duckdb.DuckDBPyConnection, source: str, load_id: int) -> tuple[int, int]:
    """Insert or replace staff members (staff_id, staff_name, hall_id) from the registered
    relation `source`; a re-sent staff_id replaces the stored row (kept in staff_replaced
    so an undo can restore it). Returns (rows inserted, rows replaced)."""
    cols = ", ".join(CONTRACT_STAFF_COLUMNS)
    return _replace_by_key(cur, "staff", ("staff_id",), source, load_id, cols)


def insert_periods(cur: duckdb.DuckDBPyConnection, source: str, load_id: int) -> tuple[int, int]:
    """Insert the hourly-report rows of the registered relation `source` (contract columns,
    validated, (hall_id, period_start) unique within it). A period already stored for the
    hall is replaced, the old row kept in hall_periods_replaced so an undo can restore it.
    Reports have no rollups: the pages read hall_periods itself. Returns (inserted, replaced)."""
    cols = ", ".join(CONTRACT_PERIOD_COLUMNS)
    inserted, replaced = _replace_by_key(
        cur, "hall_periods", ("hall_id", "period_start"), source, load_id, cols, order=PERIOD_STORAGE_ORDER
    )
    stored = cast(
        "tuple[Any, ...]", cur.execute("select count(*) from hall_periods where load_id = ?", [load_id]).fetchone()
    )[0]
    if stored != inserted:
        from peakend.warehouse.rollup_check import WriteCheckError

        raise WriteCheckError(
            f"hall_periods: {inserted:,} rows were written but {stored:,} read back, so nothing was written"
        )
    return inserted, replaced


def insert_ratings(cur: duckdb.DuckDBPyConnection, source: str, load_id: int) -> tuple[int, int]:
    """Insert the key-moment ratings of the registered relation `source` (visit_id, moment,
    score, rated_at, comment; validated, (visit_id, moment) unique within it). A rating of
    the same visit and moment already stored is replaced, the old row kept in
    moment_ratings_replaced so an undo can restore it; rating_rollup follows. Returns
    (inserted, replaced)."""
    cols = ", ".join(CONTRACT_RATING_COLUMNS)
    inserted, replaced = _replace_by_key(
        cur, "moment_ratings", ("visit_id", "moment"), source, load_id, cols, order="visit_id"
    )
    _stage_load_ratings(cur, load_id, +1)
    rollups.apply_staged(cur)
    return inserted, replaced


_RATINGS_OF_LOAD = _of_load("moment_ratings")
_RATINGS_REPLACED_BY = _replaced_by("moment_ratings")


def _stage_load_ratings(cur: duckdb.DuckDBPyConnection, load_id: int, sign: int) -> None:
    """Stage a ratings load as made (+1: its ratings in, the ones it replaced out) or undone (-1)."""
    rollups.stage_ratings(cur, _RATINGS_OF_LOAD, sign, [load_id])
    rollups.stage_ratings(cur, _RATINGS_REPLACED_BY, -sign, [load_id])


class UndoError(RuntimeError):
    pass


def undo_load(cur: duckdb.DuckDBPyConnection, load_id: int, undone_by: str) -> None:
    """Take a load back out: its rows go, the rows it replaced come back.

    Loads are undone newest first: undoing a load whose rows a later, still active load
    replaced would resurrect stale rows, so that is refused with the load to undo first.
    """
    row = cur.execute("select kind, status from loads where load_id = ?", [load_id]).fetchone()
    if row is None:
        raise UndoError(f"there is no load {load_id}")
    kind, status = row
    if status == "undone":
        raise UndoError(f"load {load_id} was already undone")
    later = cast(
        "tuple[Any, ...]",
        cur.execute(
            """select min(r.replaced_by_load) from (
               select replaced_by_load from visits_replaced where load_id = $id
               union all
               select replaced_by_load from halls_replaced where load_id = $id
               union all
               select replaced_by_load from staff_replaced where load_id = $id
               union all
               select replaced_by_load from hall_periods_replaced where load_id = $id
               union all
               select replaced_by_load from moment_ratings_replaced where load_id = $id) as r
           join loads as l on l.load_id = r.replaced_by_load and l.status = 'loaded'""",
            {"id": load_id},
        ).fetchone(),
    )[0]
    if later is not None:
        raise UndoError(f"load {load_id} has rows that load {later} replaced; undo load {later} first")
    if kind in ("visits", "demo"):
        rollups.stage_visits(cur, _OF_LOAD, -1, [load_id])
        rollups.stage_visits(cur, _REPLACED_BY, +1, [load_id])
        cur.execute("delete from visits where load_id = ?", [load_id])
        cur.execute(
            "insert into visits select * exclude (replaced_by_load) from visits_replaced "
            f"where replaced_by_load = ? order by {STORAGE_ORDER}",
            [load_id],
        )
        cur.execute("delete from visits_replaced where replaced_by_load = ?", [load_id])
        rollups.apply_staged(cur)
    if kind in ("halls", "demo"):
        _remember_cities(
            cur,
            "select hall_id from halls where load_id = ? "
            "union all select hall_id from halls_replaced where replaced_by_load = ?",
            [load_id, load_id],
        )
        cur.execute("delete from halls where load_id = ?", [load_id])
        cur.execute(
            "insert into halls select * exclude (replaced_by_load) from halls_replaced where replaced_by_load = ?",
            [load_id],
        )
        cur.execute("delete from halls_replaced where replaced_by_load = ?", [load_id])
        _cities_changed(cur)
    if kind in ("staff", "demo"):
        cur.execute("delete from staff where load_id = ?", [load_id])
        cur.execute(
            "insert into staff select * exclude (replaced_by_load) from staff_replaced where replaced_by_load = ?",
            [load_id],
        )
        cur.execute("delete from staff_replaced where replaced_by_load = ?", [load_id])
    if kind == "periods":
        cur.execute("delete from hall_periods where load_id = ?", [load_id])
        cur.execute(
            "insert into hall_periods select * exclude (replaced_by_load) from hall_periods_replaced "
            f"where replaced_by_load = ? order by {PERIOD_STORAGE_ORDER}",
            [load_id],
        )
        cur.execute("delete from hall_periods_replaced where replaced_by_load = ?", [load_id])
    if kind in ("ratings", "demo"):
        _stage_load_ratings(cur, load_id, -1)
        cur.execute("delete from moment_ratings where load_id = ?", [load_id])
        cur.execute(
            "insert into moment_ratings select * exclude (replaced_by_load) from moment_ratings_replaced "
            "where replaced_by_load = ? order by visit_id",
            [load_id],
        )
        cur.execute("delete from moment_ratings_replaced where replaced_by_load = ?", [load_id])
        rollups.apply_staged(cur)
    cur.execute(
        "update loads set status = 'undone', undone_at = ?, undone_by = ? where load_id = ?",
        [datetime.now().replace(microsecond=0), undone_by, load_id],
    )


def upsert_purposes(cur: duckdb.DuckDBPyConnection, source: str) -> int:
    """Insert or update purposes (purpose, label_en, label_zh, peak_moment) from `source`;
    a peak moment outside the four known ones is stored as 'other'."""
    cur.execute(f"delete from purposes where purpose in (select purpose from {source})")  # replaced
    return cast(
        "tuple[Any, ...]",
        cur.execute(
            f"""insert into purposes
            select purpose, label_en, label_zh,
                case when peak_moment in ('counter_result', 'data_experience',
                                          'phone_purchase') then peak_moment
                     else 'other' end
            from {source}"""
        ).fetchone(),
    )[0]


def set_targets(cur: duckdb.DuckDBPyConnection, hall_id: str, values: dict) -> None:
    """Set the targets of one hall ('*' = the network default); a None value inherits.
    The rollups' service-level counts of every hall whose wait target changes are recounted."""
    from peakend.warehouse.schema import TARGET_COLUMNS

    wait_targets = f"select hall_id, wait_target_s from ({rollups.hall_targets_sql()})"
    cur.execute(f"create or replace temp table wait_targets_before as {wait_targets}")
    portable.replace_row(
        cur, "targets", ("hall_id",), {"hall_id": hall_id, **{c: values.get(c) for c in TARGET_COLUMNS}}
    )
    changed = [
        r[0]
        for r in cur.execute(
            f"""select a.hall_id from ({wait_targets}) as a
            left join wait_targets_before as b on b.hall_id = a.hall_id
            where a.wait_target_s is distinct from b.wait_target_s"""
        ).fetchall()
    ]
    cur.execute("drop table wait_targets_before")
    if changed:
        rollups.refresh_service_level(cur, changed)


def set_service_level_rule(cur: duckdb.DuckDBPyConnection, rule: str, short_abandon_s: float) -> None:
    """Choose which abandoned visits the service level counts (schema.SERVICE_LEVEL_RULES;
    short_abandon_s is the limit of "short_excluded"). The rollups' service-level counts of
    every hall are recounted in the same transaction, so no reader sees the new definition
    with the old counts."""
    from peakend.warehouse.schema import SERVICE_LEVEL_RULES

    if rule not in SERVICE_LEVEL_RULES:
        raise ValueError(f"unknown service-level definition {rule!r}")
    if not 0 <= float(short_abandon_s) <= 3600:
        raise ValueError("the short-abandon limit must be 0-3600 seconds")
    portable.replace_row(cur, "meta", ("key",), {"key": "service_level_rule", "value": rule})
    portable.replace_row(
        cur, "meta", ("key",), {"key": "service_level_short_abandon_s", "value": repr(float(short_abandon_s))}
    )
    rollups.refresh_service_level(cur, None)
