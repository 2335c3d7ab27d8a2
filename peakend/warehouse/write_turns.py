"""Writers to one DuckLake take turns, across processes and machines (issue 19).

DuckLake commits optimistically: two transactions that changed the same rows (every PeakEnd
write moves the `meta` data version, and most move rollup rows) can't both commit, and the
later one fails with a "Transaction conflict". Retrying it (`Database.write`) keeps every
update, but under a steady feed a long load would lose to the short batches again and again.
So a writer first takes the warehouse's turn, the way the threads of one process already take
`Database._write_lock`:

- on a Postgres catalog, a Postgres advisory lock held by a transaction of a connection of
  its own (released by ending that transaction, and by Postgres if the process dies);
- on a SQLite catalog (one machine), an exclusive `flock` on a file beside the catalog;
- on a DuckDB file, nothing: DuckDB's file lock makes its process the only writer.

Readers never wait: they read the last committed snapshot. A turn that isn't given within
TURN_WAIT_S raises `TurnTimeout`, naming the wait, instead of hanging a page or a load.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from peakend.warehouse import lake

TURN_WAIT_S = float(os.environ.get("PEAKEND_WRITE_TURN_WAIT_S") or 120)
# the advisory locks' keys, one per kind of turn and catalog database ("PEAK", "PEAL" in ASCII)
ADVISORY_KEYS = {"writer": 0x5045414B, "scheduler": 0x5045414C}
POSTGRES = f"{lake.PREFIX}postgres:"
SQLITE = f"{lake.PREFIX}sqlite:"


class TurnTimeout(RuntimeError):
    """Another writer held the warehouse longer than TURN_WAIT_S."""


class Turns:
    """The turn of one warehouse, for one process (threads inside it queue on their own lock)."""

    def __init__(self, target: str, kind: str = "writer"):
        self.target = target
        self.kind = kind  # "writer", or "scheduler": the one process that sends the briefs
        # one thread of the process at a time holds the turn, and may take it again inside
        # (an account write inside a load): only the outermost takes the warehouse's
        self._guard = threading.RLock()
        self._depth = 0
        self._pg: duckdb.DuckDBPyConnection | None = None

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        with self._guard:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with self._warehouse_turn():
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0

    @contextlib.contextmanager
    def turn_if_free(self) -> Iterator[bool]:
        """The turn if no other process holds it now (True), else False at once: for work
        that one process at a time does and any may do, such as a scheduler's tick."""
        with self._guard:
            if self.target.startswith(POSTGRES):
                with self._postgres_turn(wait=False) as got:
                    yield got
            elif self.target.startswith(SQLITE):
                with self._file_turn(Path(self.target.removeprefix(SQLITE)), wait=False) as got:
                    yield got
            else:
                yield True

    def _warehouse_turn(self) -> contextlib.AbstractContextManager[bool]:
        if self.target.startswith(POSTGRES):
            return self._postgres_turn()
        if self.target.startswith(SQLITE):
            return self._file_turn(Path(self.target.removeprefix(SQLITE)))
        return contextlib.nullcontext(True)

    def close(self) -> None:
        with self._guard:
            self._close()

    def _close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            self._pg = None

    @contextlib.contextmanager
    def _postgres_turn(self, wait: bool = True) -> Iterator[bool]:
        con = self._postgres()
        key = ADVISORY_KEYS[self.kind]
        con.execute("begin transaction")
        try:
            # inside this transaction, so the lock goes when it ends (or the connection dies)
            if not wait:
                [(got,)] = con.execute(
                    f"select * from postgres_query('peakend_turns', 'select pg_try_advisory_xact_lock({key})')"
                ).fetchall()
                yield bool(got)
                return
            try:
                con.execute(
                    "select * from postgres_query('peakend_turns', "
                    f"'select set_config(''lock_timeout'', ''{int(TURN_WAIT_S * 1000)}'', true), "
                    f"pg_advisory_xact_lock({key})::text')"
                ).fetchall()
            except duckdb.Error as exc:
                if "lock timeout" in str(exc).lower():
                    raise TurnTimeout(_waited(self.target)) from None
                raise
            yield True
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute("rollback")

    def _postgres(self) -> duckdb.DuckDBPyConnection:
        if self._pg is None:
            con = duckdb.connect(config=lake.config())
            dsn = self.target.removeprefix(POSTGRES)
            con.execute(f"attach {lake.quoted(dsn)} as peakend_turns (type postgres)")
            self._pg = con
        return self._pg

    @contextlib.contextmanager
    def _file_turn(self, catalog: Path, wait: bool = True) -> Iterator[bool]:
        catalog.parent.mkdir(parents=True, exist_ok=True)
        with open(catalog.with_name(f"{catalog.name}.{self.kind}-turn"), "a") as fh:
            deadline = time.monotonic() + TURN_WAIT_S
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait:
                        yield False
                        return
                    if time.monotonic() > deadline:
                        raise TurnTimeout(_waited(self.target)) from None
                    time.sleep(0.02)
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def is_conflict(exc: BaseException) -> bool:
    """A commit DuckLake refused because another transaction changed the same rows first:
    the write can run again against the new snapshot."""
    return isinstance(exc, duckdb.TransactionException) and "transaction conflict" in str(exc).lower()


def _waited(target: str) -> str:
    return (
        f"{target}: another process has been writing for over {TURN_WAIT_S:.0f} s "
        "(PEAKEND_WRITE_TURN_WAIT_S); nothing was written, try again"
    )
