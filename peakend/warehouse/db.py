"""The DuckDB warehouse: one connection per process, a cursor per query, one transaction
per write, and the named queries of `queries/`.

No Streamlit here: the CLI, the loader, the benchmarks and the pages all use this module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from peakend.core.filters import VisitFilter
from peakend.core.scope import EVERYTHING, Scope
from peakend.warehouse import lake, metric_sql, rollup_check, rollup_routes, rollup_tables, rollups, write_turns
from peakend.warehouse.duckdb_settings import settings_from_env
from peakend.warehouse.named_queries import (
    QueryError,
    bind_values,
    compile_query,
    filters_in_use,
    groups_of,
)
from peakend.warehouse.schema import SchemaError, ensure_schema

# A live write (the ingest API: a feed posts every second or so) reaches the pages' cached
# answers within this many seconds, not with every batch: each new data version empties
# every page's cache, and a version a second had ten readers recomputing every page on
# every load (bench/live.py). The today panel asks with the exact version; a file load,
# an undo or a target change is shown at once.
LIVE_CACHE_S = float(os.environ.get("PEAKEND_LIVE_CACHE_S") or 30)
# A DuckLake is written by other processes too (other app processes, an ingest worker, a
# CLI load): each process reads its data version again after this many seconds, so it knows
# of a load committed anywhere within LAKE_POLL_S; its pages follow within LIVE_CACHE_S more
# (page_version moves at once only for this process's own writes).
LAKE_POLL_S = float(os.environ.get("PEAKEND_LAKE_POLL_S") or 2)
# a write DuckLake refused for a conflict runs again, this many times in all, after a short
# wait that grows (write_turns: PeakEnd's writers take turns, so only a writer that doesn't,
# such as someone's own SQL session, can cause one)
WRITE_ATTEMPTS = 8
T = TypeVar("T")

# Queries that read halls outside the user's scope, to rank the user's own halls among
# their peers (a store manager's hall in its region). Everything else reads the scope's
# halls only (queries/_scoped_halls.sql). An answer of these may hold only the columns
# named here and only halls of the scope: checked on the server for every answer, so an
# edit to the SQL that lets a peer's id, name or numbers through fails before a page sees
# it. Ranks and group sizes only; never another hall's value.
PEER_QUERIES: dict[str, frozenset[str]] = {
    "peer_ranks": frozenset(
        {
            "hall_id",
            "hall_name",
            "peer_group",
            "group_name",
            "group_halls",
            *(
                f"{metric}_{part}"
                for metric in ("wait_median_min", "abandonment_rate", "peak_end_index", "exit_mean")
                for part in ("rank", "ranked", "beats")
            ),
        }
    ),
}
PEER_QUERIES["peer_ranks_rollup"] = PEER_QUERIES["peer_ranks"]  # its twin over the rollups
# a task's hall against its region's other halls, each only as anonymous sums
PEER_QUERIES["task_effect"] = frozenset({"hall_id", "side", "peer_no", "phase", "n", "x", "xx", "per"})


def check_peer_answer(name: str, answer: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The answer of a PEER_QUERIES query, or QueryError if it holds anything else than
    its allowed columns for the scope's own halls."""
    extra = set(answer.columns) - PEER_QUERIES[name]
    if extra:
        raise QueryError(f"{name} would return {sorted(extra)} beside the peers' ranks")
    outside = [h for h in answer["hall_id"].unique() if not scope.allows(h)]
    if outside:
        raise QueryError(f"{name} would return {len(outside)} hall(s) outside the user's scope")
    return answer


@dataclasses.dataclass(frozen=True)
class Explanation:
    asked: str  # the named query the caller asked for
    query: str  # the one that answers
    why: str
    grain: str | None  # of a metric query (peakend/warehouse/metric_sql.py GRAINS)
    filters: tuple[str, ...]  # the filter lines its SQL keeps
    sql: str

    def __str__(self) -> str:
        shown = ", ".join(self.filters) or "none"
        grain = f" at the {self.grain} grain" if self.grain else ""
        return f"{self.asked} -> {self.query}{grain}: {self.why}; filters in the SQL: {shown}"


class DatabaseBusy(RuntimeError):
    """Another process has the database file open (DuckDB lets one process write a file,
    and while it does no other process may even read it). The message says so in plain
    words; `pid` is the other process when DuckDB names it."""

    def __init__(self, path: str, pid: int | None):
        self.path, self.pid = path, pid
        who = f" (process {pid})" if pid else ""
        super().__init__(
            f"{path} is open in another PeakEnd process{who}: the app, or a command-line load. "
            "One process at a time may use the file; wait for it to finish, or stop it."
        )


def lock_conflict(exc: Exception) -> int | bool | None:
    """False when `exc` isn't DuckDB's 'could not set lock'; else the other process's PID (or None)."""
    text = str(exc)
    if "Could not set lock" not in text and "Conflicting lock" not in text:
        return False
    m = re.search(r"PID (\d+)", text)
    return int(m.group(1)) if m else None


def open_read_only(path: str | Path) -> Database:
    """The database for a command that only reads (a brief, a wall sheet), or DatabaseBusy
    saying why not in words: DuckDB lets one process hold a file for writing, and then no
    other process may open it, not even to read."""
    try:
        return Database(path, read_only=True)
    except duckdb.Error as e:
        pid = lock_conflict(e)
        if pid is False:
            raise
        raise DatabaseBusy(str(path), pid or None) from e


class Database:
    """One DuckDB connection for the whole process; each query gets its own cursor."""

    def __init__(self, path: str | Path, read_only: bool = False):
        self.path = str(path)
        self.read_only = read_only
        self.is_lake = lake.is_lake(self.path)
        if self.path != ":memory:" and not self.is_lake:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            if self.is_lake:  # a DuckLake: its catalog and data files (peakend/warehouse/lake.py)
                self._con = lake.connect(self.path)
            else:
                self._con = duckdb.connect(self.path, read_only=read_only, config=settings_from_env())
        except duckdb.IOException as exc:
            if "newer version of DuckDB" in str(exc):
                raise SchemaError(
                    f"{self.path} was written by a newer DuckDB than this PeakEnd's {duckdb.__version__} "
                    '(README, "Which DuckDB"): build it again (make demo), or export it with that '
                    "DuckDB (EXPORT DATABASE) and IMPORT DATABASE it with this one"
                ) from None
            pid = lock_conflict(exc)
            if pid is False:
                raise
            raise DatabaseBusy(self.path, pid) from None
        self._write_lock = threading.Lock()
        self._turns = write_turns.Turns(self.path)  # across processes, on a lake
        self.write_attempts = 0  # writes run again after a conflict (Database.write)
        # which database an answer came from, for caches that outlive one: a file opened
        # again (or replaced at the same path) is a new database to them
        where = self.path if self.path == ":memory:" or self.is_lake else os.path.realpath(self.path)
        self.cache_key = f"{where}#{uuid.uuid4().hex}"
        self._rollups_behind: list | None = None  # rollup_routes.behind, until the next commit
        self._data_version: int | None = None  # meta.data_version, until the next commit
        self._data_version_at = 0.0  # when it was read (a lake's is read again after LAKE_POLL_S)
        self._commits = 0  # writes committed by this process (data_version keeps no older answer)
        self._version_lock = threading.Lock()
        self._page_version: tuple[int, float] | None = None  # (the version pages read, since when)
        self._page_commits = 0  # commits made when the pages' version was taken
        self._shown_at_once = 0  # the number of the last commit that was not live
        try:
            with self._turns.turn():  # two processes starting at once migrate one after the other
                ensure_schema(self._con, read_only=read_only)
            if not read_only:
                self._follow_parts()
        except Exception:
            self._con.close()
            raise

    def _follow_parts(self) -> None:
        """A metric part added since the file was written: its rollups, rebuilt once, as a
        write like any other (checked, committed whole, a new data version)."""
        cur = self.cursor()
        try:
            current = rollup_tables.columns_current(cur)
        finally:
            cur.close()
        if not current:
            self.write(rollups.follow_parts)

    def close(self) -> None:
        self._turns.close()
        self._con.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._con.cursor()

    # -- reading -------------------------------------------------------------------------
    def query(
        self,
        name: str,
        filters: VisitFilter | None = None,
        scope: Scope = EVERYTHING,
        **params: Any,
    ) -> pd.DataFrame:
        """Run queries/NAME.sql with the filter, the scope and extra parameters bound."""
        name, filters = self.answering(name, filters, scope, params)
        used, groups = filters_in_use(filters), groups_of(name, params)
        sql = compile_query(name, used, groups)
        values = bind_values(name, filters, scope, params, used, groups)
        cur = self.cursor()
        try:
            answer = cur.execute(sql, values).df()
        finally:
            cur.close()
        return check_peer_answer(name, answer, scope) if name in PEER_QUERIES else answer

    def answering(
        self, name: str, filters: VisitFilter | None, scope: Scope, params: dict[str, Any]
    ) -> tuple[str, VisitFilter | None]:
        """The named query that answers, with the filter it runs with: a rollup twin or a
        narrower period (peakend/warehouse/rollups.py) when that gives the same rows from less data,
        else `name` and `filters` themselves."""
        query, filters, _why = self.route(name, filters, scope, params)
        return query, filters

    def route(
        self, name: str, filters: VisitFilter | None, scope: Scope, params: dict[str, Any]
    ) -> tuple[str, VisitFilter | None, str]:
        """(the named query that answers, its filter, why that one)."""
        if name not in rollup_routes.ROUTES:
            return name, filters, "no rollup answers it: the visits"
        current = not self.rollups_behind()
        cur = self.cursor()
        try:
            return rollup_routes.plan(cur, name, filters, scope.as_param(), params, current)
        finally:
            cur.close()

    def explain(
        self, name: str, filters: VisitFilter | None = None, scope: Scope = EVERYTHING, **params: Any
    ) -> Explanation:
        """Which query answers this call and why, the filters its SQL carries and the SQL
        itself: what a page's debug expander shows."""
        query, routed, why = self.route(name, filters, scope, params)
        used, groups = filters_in_use(routed), groups_of(query, params)
        grain = metric_sql.QUERIES.get(query)
        return Explanation(name, query, why, grain, tuple(sorted(used)), compile_query(query, used, groups))

    def rollups_behind(self) -> list[tuple[str, str, int, int]]:
        """The rollups that don't add up to their source (peakend.warehouse.rollup_routes.behind), asked
        once and again after each commit (only this process writes the file while it has
        it open): while any does, every query reads the visits."""
        known = self._rollups_behind
        if known is None:
            commits = self._commits
            cur = self.cursor()
            try:
                known = rollup_routes.behind(cur)
            finally:
                cur.close()
            with self._version_lock:  # kept only if no commit came while we asked
                if commits == self._commits:
                    self._rollups_behind = known
        return known

    def answering_query(self, name: str, filters: VisitFilter | None, scope: Scope, params: dict[str, Any]) -> str:
        return self.answering(name, filters, scope, params)[0]

    def scalar(self, sql: str, params: list | dict | None = None) -> Any:
        cur = self.cursor()
        try:
            row = cur.execute(sql, params or []).fetchone()
            return row[0] if row else None
        finally:
            cur.close()

    def data_version(self) -> int:
        """Grows with every committed write; part of every cache key. Asked once and again
        after each commit: no other process can write the file while this one has it open
        (DuckDB's file lock), so a query per page query would only cost time. A DuckLake is
        written by other processes too: there the answer is kept LAKE_POLL_S seconds."""
        known = self._data_version
        if self.is_lake and time.monotonic() - self._data_version_at >= LAKE_POLL_S:
            known = None
        if known is None:
            commits = self._commits
            known = int(self.scalar("select value from meta where key = 'data_version'"))
            with self._version_lock:  # the check and the keeping as one step against a commit
                if commits == self._commits:  # no commit while we asked: the answer is current
                    self._data_version, self._data_version_at = known, time.monotonic()
        return known

    def page_version(self) -> int:
        """The data version the pages cache their answers under: data_version(), except
        that live writes (transaction(live=True)) move it at most every LIVE_CACHE_S
        seconds. Any other commit moves it at once."""
        commits = self._commits
        exact = self.data_version()
        now = time.monotonic()
        with self._version_lock:
            page = self._page_version
            if page is None or (
                exact != page[0] and (self._shown_at_once > self._page_commits or now - page[1] >= LIVE_CACHE_S)
            ):
                page = self._page_version = (exact, now)
                self._page_commits = commits
            return page[0]

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def transaction(self, live: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction: committed whole with a new data version, or
        rolled back whole. Writers take turns; readers keep seeing the last commit.
        `live`: a feed's batch, which pages may show up to LIVE_CACHE_S late (page_version)."""
        with self._turns.turn(), self._write_lock:  # the turn first, everywhere: no deadlock
            cur = self.cursor()
            cur.execute("begin transaction")
            try:
                rollups.track_touched(cur)
                yield cur
                # the rollup rows this write changed, against the visits, before anyone
                # can read them (raises RollupMismatch: the write is rolled back)
                rollup_check.verify_touched(cur)
                cur.execute("update meta set value = (value::bigint + 1)::varchar where key = 'data_version'")
                cur.execute("commit")
                with self._version_lock:
                    self._commits += 1  # first: an answer read before this commit is not kept
                    self._rollups_behind = self._data_version = None  # ask again after this write
                    if not live:
                        self._shown_at_once = self._commits
            except BaseException:
                # a failed commit ended the transaction already: the error raised says why
                with contextlib.suppress(duckdb.TransactionException):
                    cur.execute("rollback")
                raise
            finally:
                rollups.stop_tracking(cur)
                cur.close()

    def turn(self) -> contextlib.AbstractContextManager[None]:
        """This process's turn to write the warehouse (write_turns): for writes that don't go
        through transaction(), such as accounts and the lake's upkeep."""
        return self._turns.turn()

    def write(self, body: Callable[[duckdb.DuckDBPyConnection], T], live: bool = False) -> T:
        """`body(cur)` inside transaction(live), committed whole; run again from the start when
        DuckLake refuses the commit for a conflict (another writer changed the same rows
        first), so no update is lost. `body` must only write through `cur`: what it did
        before the refusal was rolled back with the transaction."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self.transaction(live=live) as cur:
                    return body(cur)
            except duckdb.TransactionException as exc:
                if not write_turns.is_conflict(exc) or attempt == WRITE_ATTEMPTS:
                    raise
                self.write_attempts += 1
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")
