"""Bench databases of 1M, 10M or 100M visits, made fast.

The demo generator simulates a real network (60 halls in 21 cities, a FIFO queue per
hall-day) at about 1M visits in 10-15 s; simulating 100M that way would take half an
hour. A large operator has more halls, not busier ones, so a bigger network is the
simulated one repeated: copy r of every hall is a new hall in the same city and region
(`HRB01-002`, "中央大街厅 Zhongyang St 2"), with its own staff and counters, and its
visits are whole simulated hall-days moved to other weeks of the same period (a rotation
by whole weeks, so weekdays, opening hours and each day's queue stay as simulated). Every
copy therefore has believable days, but not the same days as its original: its weekly and
daily numbers differ, while its six-month totals equal the original's.

Everything runs inside DuckDB (one INSERT ... SELECT per target week, rows written in
storage order), in one transaction per database, through the warehouse's load record, so
the result is an ordinary PeakEnd database: its load can be listed and undone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from peakend.warehouse import rollups as peakend_rollups
from peakend.warehouse import store as warehouse
from peakend.warehouse.db import Database
from peakend.demo import generate_demo

BASE_VISITS = 1_000_000
BASE_SEED = 7
LOADED_BY = "bench scale-up"

Progress = Callable[[str], None]


@dataclass
class ScaleSummary:
    path: Path
    visits: int
    halls: int
    copies: int
    seconds: float
    size_bytes: int


def _print(message: str) -> None:
    print(f"  {message}", flush=True)


def configure(db: Database, memory_limit: str, threads: int, temp_dir: str | None = None) -> None:
    """Bound DuckDB explicitly: the machine is shared."""
    cur = db.cursor()
    try:
        cur.execute(f"set memory_limit = '{_checked_size(memory_limit)}'")
        cur.execute(f"set threads = {int(threads)}")
        if temp_dir:
            cur.execute(f"set temp_directory = '{_checked_path(temp_dir)}'")
        cur.execute("set preserve_insertion_order = true")
    finally:
        cur.close()


def _checked_size(text: str) -> str:
    # SET does not take bound parameters; accept only a plain size such as 4GB or 512MB.
    import re

    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|GiB|MiB|KiB)", text.strip(), re.IGNORECASE):
        raise ValueError(f"not a memory size: {text!r}")
    return text.strip()


def _checked_path(text: str) -> str:
    if "'" in text:
        raise ValueError(f"unusable path: {text!r}")
    return text


def base_database(path: Path, end_date: date | None, progress: Progress = _print) -> Path:
    """The simulated 1M-visit network every size is built from (generated once, reused)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    progress(f"simulating the base network ({BASE_VISITS:,} visits) -> {path}")
    db = Database(tmp)
    try:
        generate_demo(db, visits=BASE_VISITS, seed=BASE_SEED, end_date=end_date)
    finally:
        db.close()
    tmp.rename(path)
    return path


def scaled_database(
    base: Path, out: Path, copies: int, memory_limit: str = "4GB", threads: int = 2,
    progress: Progress = _print, sorted_storage: bool = True, rollups: bool = True,
) -> ScaleSummary:
    """A database of `copies` x the base network at `out` (replaced if it exists). Built
    beside it and renamed when whole, so a build that fails leaves no file to be reused."""
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".partial")
    for p in (out, Path(str(out) + ".wal"), tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    db = Database(tmp)
    try:
        configure(db, memory_limit, threads, str(out.parent / "duckdb_tmp"))
        cur = db.cursor()
        cur.execute(f"attach '{_checked_path(str(base))}' as base (read_only)")
        cur.close()
        with db.transaction() as cur:
            _fill(cur, copies, progress, sorted_storage, rollups)
        cur = db.cursor()
        cur.execute("detach base")
        cur.execute("checkpoint")
        visits = cur.execute("select count(*) from visits").fetchone()[0]
        halls = cur.execute("select count(*) from halls").fetchone()[0]
        cur.close()
    finally:
        db.close()
    tmp.rename(out)
    return ScaleSummary(out, visits, halls, copies, time.perf_counter() - started, out.stat().st_size)


def _fill(cur, copies: int, progress: Progress, sorted_storage: bool, rollups: bool) -> None:
    first_day, last_day = cur.execute(
        "select min(arrived_at)::date, max(arrived_at)::date from base.visits"
    ).fetchone()
    span = (last_day - first_day).days + 1
    weeks = span // 7
    load_id = warehouse.start_load(
        cur, "demo", LOADED_BY,
        f"bench network: {copies} x the simulated {BASE_VISITS:,}-visit network, "
        f"{first_day.isoformat()}..{last_day.isoformat()}",
    )
    # Copy r of hall h: r = 0 is the simulated hall itself.
    cur.execute("create temp table copies as select range as r from range(?)", [copies])
    cur.execute(
        """create temp table hall_copies as
           select h.hall_id as source_hall,
                  case when c.r = 0 then h.hall_id
                       else h.hall_id || '-' || lpad((c.r + 1)::varchar, 3, '0') end as hall_id,
                  c.r,
                  h.*  exclude (hall_id, load_id),
           from base.halls as h cross join copies as c"""
    )
    cur.execute(
        # by name: the columns later migrations add (time_zone) come along as they are
        """insert into halls by name
           select * exclude (source_hall, r, hall_name, latitude, longitude),
                  case when r = 0 then hall_name else hall_name || ' ' || (r + 1)::varchar end as hall_name,
                  -- a few km from the original, so a map doesn't stack the copies
                  latitude + ((hash(hall_id) % 1000) / 1000.0 - 0.5) * 0.06 as latitude,
                  longitude + ((hash(hall_id || 'x') % 1000) / 1000.0 - 0.5) * 0.06 as longitude,
                  ? as load_id,
           from hall_copies""",
        [load_id],
    )
    cur.execute("insert into purposes select * from base.purposes")
    cur.execute("delete from targets")
    cur.execute("insert into targets select * from base.targets where hall_id = '*'")
    cur.execute(
        """insert into targets
           select c.hall_id, t.* exclude (hall_id)
           from base.targets as t join hall_copies as c on c.source_hall = t.hall_id"""
    )
    # Day d of copy r moves by s(r) whole weeks, wrapping inside the first `weeks` whole
    # weeks of the period; the days before them (span % 7 of them) stay where they are.
    lead = span - weeks * 7
    cur.execute(
        """create temp table day_moves as
           select c.r,
                  (?::date + d.range::integer) as source_day,
                  (?::date + (case when d.range < ? then d.range
                                   else ? + ((d.range - ? + 7 * ((c.r * 11) % ?)) % (? * 7))
                              end)::integer) as target_day,
           from copies as c cross join range(?) as d""",
        [first_day, first_day, lead, lead, lead, weeks, weeks, span],
    )
    for table in ("users", "user_scopes"):
        cur.execute(f"insert into {table} select * from base.{table}")
    cols = ", ".join(warehouse.CONTRACT_VISIT_COLUMNS)
    # one insert per target week, sorted the way the warehouse stores visits (unsorted:
    # hall after hall, as the simulation wrote them; kept to measure what the order buys)
    order = f"order by {warehouse.STORAGE_ORDER}" if sorted_storage else "order by hall_id, arrived_at"
    chunks = range(0, span, 7) if sorted_storage else [None]
    for week in chunks:
        lo, hi = (first_day.toordinal() + week, 7) if week is not None else (first_day.toordinal(), span)
        cur.execute(
            f"""insert into visits
                select {cols}, wait_s, queue_s, service_s, ? as load_id,
                from (
                    select
                        c.hall_id || '-' || strftime(m.target_day, '%Y%m%d') || '-'
                            || split_part(v.visit_id, '-', -1) as visit_id,
                        c.hall_id,
                        v.arrived_at + (m.target_day - m.source_day) * interval 1 day as arrived_at,
                        v.purpose,
                        v.called_at + (m.target_day - m.source_day) * interval 1 day as called_at,
                        v.service_started_at + (m.target_day - m.source_day) * interval 1 day
                            as service_started_at,
                        v.service_ended_at + (m.target_day - m.source_day) * interval 1 day
                            as service_ended_at,
                        v.left_at + (m.target_day - m.source_day) * interval 1 day as left_at,
                        c.hall_id || substr(v.staff_id, length(v.hall_id) + 1) as staff_id,
                        c.hall_id || substr(v.counter_id, length(v.hall_id) + 1) as counter_id,
                        v.abandoned, v.peak_score, v.exit_score, v.exit_comment,
                        v.overall_score, v.segment, v.wait_s, v.queue_s, v.service_s,
                    from base.visits as v
                    join day_moves as m on m.source_day = cast(v.arrived_at as date)
                    join hall_copies as c on c.source_hall = v.hall_id and c.r = m.r
                    where m.target_day >= ?::date and m.target_day < ?::date + ?
                )
                {order}""",
            [load_id, date.fromordinal(lo), date.fromordinal(lo), hi],
        )
        if week is not None:
            progress(f"week {week // 7 + 1} of {(span + 6) // 7} written")
    visits = cur.execute("select count(*) from visits").fetchone()[0]
    if rollups:
        peakend_rollups.rebuild(cur)
    warehouse.finish_load(cur, load_id, visits, 0, 0)
    for t in ("copies", "hall_copies", "day_moves"):
        cur.execute(f"drop table {t}")
