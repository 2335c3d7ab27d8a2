"""Writers to one DuckLake, in several processes (issue 19): they take turns
(peakend/warehouse/write_turns.py), and a commit DuckLake refuses for a conflict is run again
(Database.write), so no update is lost.

On the one-machine form (a SQLite catalog); the Postgres catalog's turn is an advisory lock,
tried in tests/test_ducklake_postgres.py.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fixture_db import FIXTURE, build_fixture_db
from peakend.warehouse import rollup_check, write_turns
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import load_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """The fixture in a lake, shared by the tests here (each counts what it adds)."""
    folder = tmp_path_factory.mktemp("turns")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PEAKEND_WAREHOUSE_DATA", str(folder / "data"))
        target = f"ducklake:sqlite:{folder / 'catalog.sqlite'}"
        build_fixture_db(target).close()
        yield target


def _visits_file(path: Path, prefix: str) -> Path:
    """The fixture's visits under new ids: the same halls, days and purposes, so two such
    files add to the same rollup rows."""
    header, *rows = (FIXTURE / "visits.csv").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([header, *(prefix + r for r in rows)]) + "\n", encoding="utf-8")
    return path


def _audit_ok(db: Database) -> bool:
    cur = db.cursor()
    try:
        return rollup_check.audit(cur).ok
    finally:
        cur.close()


@pytest.mark.services
def test_a_write_refused_for_a_conflict_runs_again_and_keeps_both_updates(postgres, tmp_path, monkeypatch):
    """A writer that doesn't take turns (someone's own SQL session, say) commits while our
    write is open: DuckLake refuses ours ("Transaction conflict": both moved the data
    version's row), and Database.write runs it again on the new snapshot. On a Postgres
    catalog: on a SQLite one the open write would hold the other's commit off instead."""
    monkeypatch.setenv("PEAKEND_WAREHOUSE_DATA", str(tmp_path / "data"))
    lake = f"ducklake:postgres:{postgres.create_database('conflict_retry')}"
    build_fixture_db(lake).close()
    monkeypatch.setattr(write_turns.Turns, "_warehouse_turn", lambda self: contextlib.nullcontext())
    ours, theirs = Database(lake), Database(lake)
    try:
        before = ours.data_version()
        runs = []

        def body(cur):
            runs.append(cur.execute("select count(*) from day_notes").fetchone()[0])
            cur.execute(
                "insert into day_notes (note_id, hall_id, day, kind, note, leave_out, created_by, created_at) "
                "select coalesce(max(note_id), 0) + 1, 'H1', date '2026-03-02', 'other', 'ours', false, 't', "
                "now() from day_notes"
            )
            if len(runs) == 1:  # the other writer gets in first, once
                theirs.write(
                    lambda c: c.execute(
                        "insert into day_notes (note_id, hall_id, day, kind, note, leave_out, created_by, "
                        "created_at) select coalesce(max(note_id), 0) + 1, 'H1', date '2026-03-02', 'other', "
                        "'theirs', false, 't', now() from day_notes"
                    )
                )

        ours.write(body)
        assert ours.write_attempts == 1 and runs == [0, 1]  # run again, and saw their note
        notes = ours.scalar("select string_agg(note || ':' || note_id, ',' order by note_id) from day_notes")
        assert notes == "theirs:1,ours:2"  # numbered without a clash
        assert int(ours.scalar("select value from meta where key = 'data_version'")) == before + 2
    finally:
        ours.close()
        theirs.close()


def test_two_loads_into_the_same_rollup_rows_at_once_lose_no_update(lake, tmp_path):
    """Two writers (threads with a connection each, as two processes would have) load visits
    of the same halls and days at the same time: every visit lands, each load once, and
    every rollup row adds up to the visits."""
    first, second = _visits_file(tmp_path / "a.csv", "A"), _visits_file(tmp_path / "b.csv", "B")
    writers = [Database(lake), Database(lake)]
    reports, errors = {}, []

    def load(db, path):
        try:
            reports[path.name] = load_files(db, [path], "tester")[0]
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        before = writers[0].scalar("select count(*) from visits")
        threads = [threading.Thread(target=load, args=(db, p)) for db, p in zip(writers, (first, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        assert {r.status for r in reports.values()} == {"loaded"}, [r.message for r in reports.values()]
        rows = sum(r.rows_loaded for r in reports.values())
        assert writers[0].scalar("select count(*) from visits") == before + rows
        assert len({r.load_id for r in reports.values()}) == 2  # two loads, two numbers
        assert _audit_ok(writers[1])
    finally:
        for db in writers:
            db.close()


def test_writers_in_other_processes_wait_for_their_turn(lake, tmp_path):
    """A command-line load while this process holds the turn waits for it, then loads: no
    lock error, and nothing of it shows before its commit."""
    db = Database(lake)
    try:
        before = db.scalar("select count(*) from visits")
        with db.turn():
            loader = subprocess.Popen(
                [sys.executable, "-m", "peakend", "load", str(_visits_file(tmp_path / "c.csv", "C")),
                 "--warehouse", lake, "--user", "tester"],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            with pytest.raises(subprocess.TimeoutExpired):
                loader.wait(8)  # it can't write while we hold the turn
            assert db.scalar("select count(*) from visits") == before
        out, err = loader.communicate(timeout=120)
        assert loader.returncode == 0, err
        assert db.scalar("select count(*) from visits") > before
        assert _audit_ok(db)
    finally:
        db.close()


@pytest.mark.parametrize("catalog", ["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def test_one_writer_at_a_time_and_a_turn_not_given_in_time_says_so(catalog, tmp_path, monkeypatch, request):
    """Two holders of the turn (two processes, each with its own connection): the second
    waits for the first; one that waits too long is told so, and nothing hangs."""
    monkeypatch.setattr(write_turns, "TURN_WAIT_S", 0.5)
    if catalog == "postgres":  # the catalog database needn't be a lake yet: the lock is Postgres's
        lake = f"ducklake:postgres:{request.getfixturevalue('postgres').dsn()}"
    else:
        lake = f"ducklake:sqlite:{tmp_path / 'catalog.sqlite'}"
    holder, waiter = write_turns.Turns(lake), write_turns.Turns(lake)
    try:
        with holder.turn():
            with holder.turn():  # taken again inside (an account write inside a load)
                pass
            with pytest.raises(write_turns.TurnTimeout, match="another process has been writing"):
                with waiter.turn():
                    pass
        with waiter.turn():  # and is given once the other lets go
            pass
    finally:
        holder.close()
        waiter.close()


def test_one_scheduler_tick_at_a_time_across_processes(lake, monkeypatch):
    """Every app process on a lake runs the scheduler; a tick while another process's tick
    holds the scheduler turn does nothing (so a brief goes out once), and the next tick
    after it does the work."""
    from peakend.notify import scheduler

    ticks = []
    monkeypatch.setattr(scheduler, "_tick", lambda db, settings, now: ticks.append(now) or [("k", "to", None)])
    other_process = write_turns.Turns(lake, "scheduler")
    db = Database(lake)
    try:
        with other_process.turn():
            assert scheduler.run_once(db, None) == [] and ticks == []
            with db.turn():  # the writers' turn is another one: loads go on meanwhile
                pass
        assert scheduler.run_once(db, None) == [("k", "to", None)] and len(ticks) == 1
    finally:
        db.close()
        other_process.close()
