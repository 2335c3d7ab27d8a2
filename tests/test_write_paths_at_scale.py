"""Every write path keeps the rollups exact at the size where DuckDB 2.0.0 lost rows.

A staged delta larger than one row group (122,880 rows) came out empty on DuckDB 2.0.0, and
the 13-visit fixture never reaches that (issue 13). So each write path here moves 300,000
visits or more: the demo, a load from the command line, the Data page's load, re-sent
visits, an undo, a halls load that moves every hall to another city, and a target change, each
on its own copy of one 300,000-visit network. After each, every rollup equals a
recomputation from the raw visits (`python -m peakend check`'s audit), exactly, and the
plain counts agree with the visits table.

The last tests prove the check is not a test that cannot fail: a rollup row changed by hand
makes `check` exit 1 naming it, and a write whose staged rows go missing is rolled back.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from peakend.data_admin import logic as data_admin
from peakend.warehouse import rollup_check
from peakend.warehouse import rollups
from peakend.warehouse import store as warehouse
from peakend.cli import main as cli_main
from peakend.warehouse.db import Database
from peakend.demo import generate_demo
from peakend.warehouse.ingest import load_files, undo
from networks import copy_of, shared_file

ROWS = 300_000  # > 2 row groups of 122,880
CONTRACT = "* exclude (wait_s, queue_s, service_s, load_id)"  # the contract columns


def _audit(db: Database) -> rollup_check.AuditReport:
    cur = db.cursor()
    try:
        return rollup_check.audit(cur)
    finally:
        cur.close()


def _counts(db: Database) -> tuple:
    """(visits, waits) as the visits table holds them, and as the rollups add them up."""
    return (
        db.scalar("select count(*) from visits"),
        db.scalar("select count(wait_s) from visits"),
        db.scalar("select sum(visits) from visit_rollup"),
        db.scalar("select sum(wait_n) from visit_rollup"),
        db.scalar("select sum(n) from wait_rollup"),
        db.scalar("select sum(n) from network_wait_rollup"),
        db.scalar("select sum(visits) from hall_rollup"),
    )


def assert_exact(db: Database, after: str) -> None:
    report = _audit(db)
    assert report.ok, f"after {after}: " + "; ".join(report.lines()[:10])
    visits, waits, *rolled = _counts(db)
    assert rolled == [visits, waits, waits, waits, visits], after


def _export(db: Database, path, shift_days: int, prefix: str, exit_score: str = "exit_score") -> None:
    """`ROWS` of the stored visits as a contract CSV: new ids, moved by `shift_days`."""
    times = ("arrived_at", "called_at", "service_started_at", "service_ended_at", "left_at")
    cols = []
    for c in warehouse.CONTRACT_VISIT_COLUMNS:
        if c == "visit_id":
            cols.append(f"'{prefix}' || visit_id as visit_id")
        elif c in times:
            cols.append(f"{c} + interval {shift_days} day as {c}")
        elif c == "exit_score":
            cols.append(f"{exit_score} as exit_score")
        else:
            cols.append(c)
    cur = db.cursor()
    try:
        cur.execute(f"copy (select {', '.join(cols)} from visits order by visit_id limit {ROWS}) "
                    f"to '{path}' (header, delimiter ',')")
    finally:
        cur.close()


@pytest.fixture(autouse=True)
def _duckdbs_own_threads(monkeypatch):
    """DuckDB's default threads here (tests/conftest.py gives the rest of the suite one):
    these are the writes at the size where DuckDB 2.0.0 lost rows."""
    monkeypatch.delenv("PEAKEND_DUCKDB_THREADS", raising=False)


def _network(path) -> None:
    db = Database(path)
    try:
        generate_demo(db, visits=ROWS, seed=3, end_date=date(2026, 3, 31), months=2)
    finally:
        db.close()


@pytest.fixture()
def big(tmp_path_factory, tmp_path):
    """A copy of the run's one 300,000-visit network (tests/networks.py): each write path
    starts from it, so the paths run side by side and each audit reads 600,000 visits at
    most, not the 1.8 million of all of them in a row."""
    path = copy_of(shared_file(tmp_path_factory, "write-paths-300k.duckdb", _network), tmp_path / "db")
    db = Database(path)
    db.cursor().execute("pragma disable_checkpoint_on_shutdown")  # the copy is thrown away
    yield path, db
    db.close()


def test_the_demo_and_the_check_command(big):
    path, db = big
    assert db.scalar("select count(*) from visits") == ROWS
    assert_exact(db, "the demo")
    db.close()
    assert cli_main(["check", "--db", str(path)]) == 0


def test_a_command_line_load(big, tmp_path):
    path, db = big
    cli_file = tmp_path / "cli.csv"
    _export(db, cli_file, 70, "C-")
    db.close()
    assert cli_main(["load", str(cli_file), "--db", str(path), "--user", "tester"]) == 0
    db = Database(path)
    try:
        assert db.scalar("select count(*) from visits") == 2 * ROWS
        assert_exact(db, "a command-line load")
    finally:
        db.close()


def test_a_data_page_load(big, tmp_path):
    _, db = big
    page_file = tmp_path / "page.csv"
    _export(db, page_file, 140, "P-")
    [report] = load_files(db, [page_file], "admin")  # what the Data page calls
    assert (report.status, report.rows_loaded) == ("loaded", ROWS)
    assert_exact(db, "the Data page's load")


def test_re_sent_visits_then_their_undo(big, tmp_path, subtests):
    _, db = big
    with subtests.test("re-sent visits"):
        resent = tmp_path / "resent.csv"
        cur = db.cursor()
        cur.execute(f"copy (select {CONTRACT} replace (6 - coalesce(exit_score, 3) as exit_score) "
                    f"from visits) to '{resent}' (header)")
        cur.close()
        before = db.scalar("select sum(exit_score) from visits")
        [report] = load_files(db, [resent], "admin")
        assert (report.rows_loaded, report.rows_replaced) == (ROWS, ROWS)
        assert db.scalar("select sum(exit_score) from visits") != before
        assert_exact(db, "re-sent visits")
    with subtests.test("undo"):
        undo(db, report.load_id, "admin")
        assert db.scalar("select sum(exit_score) from visits") == before
        assert_exact(db, "an undo")


def test_a_halls_load_moving_every_hall_then_visits_with_offsets(big, tmp_path, subtests):
    _, db = big
    with subtests.test("halls load moving every hall to another city"):
        # every hall's waits move (a delta of twice the wait histogram, several row groups);
        # every hall gets a time zone of its own (Urumqi, UTC+6 all year)
        waits = db.scalar("select count(wait_s) from visits semi join halls using (hall_id)")
        halls_file = tmp_path / "halls.csv"
        cur = db.cursor()
        cur.execute(f"copy (select * exclude (load_id) replace (city || ' (new)' as city, "
                    f"'Asia/Urumqi' as time_zone) from halls) to '{halls_file}' (header)")
        cur.close()
        [report] = load_files(db, [halls_file], "admin", kind="halls")
        assert report.status == "loaded", report.message
        assert db.scalar("select sum(n) from wait_rollup where city like '% (new)'") == waits
        assert db.scalar("select count(*) from wait_rollup where city not like '% (new)'") == 0
        assert_exact(db, "a halls load that moved every hall")
        assert db.scalar("select count(*) from halls where time_zone is distinct from 'Asia/Urumqi'") == 0

    with subtests.test("visits whose arrivals carry a UTC offset, converted to their halls' zone"):
        # arrivals written as the instant in UTC+6 (+06:00): converted to each hall's zone
        # (Asia/Urumqi, not the network's Asia/Shanghai) they are the stored local times again
        zoned = tmp_path / "zoned.csv"
        cur = db.cursor()
        cur.execute(f"""copy (select {CONTRACT} replace ('Z-' || visit_id as visit_id,
                            strftime(arrived_at, '%Y-%m-%dT%H:%M:%S') || '+06:00' as arrived_at)
                        from visits order by visit_id) to '{zoned}' (header)""")
        cur.close()
        [report] = load_files(db, [zoned], "admin")
        assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", ROWS, 0), report.summary()
        assert (report.offsets, report.time_zone) == (ROWS, "Asia/Urumqi")
        assert db.scalar("""select count(*) from visits as z join visits as c
                            on z.visit_id = 'Z-' || c.visit_id and z.arrived_at = c.arrived_at""") == ROWS
        assert_exact(db, "a load of visits with offsets")


def test_a_target_change(big):
    _, db = big
    before = db.scalar("select sum(sl_within) from visit_rollup")
    data_admin.save_targets(db, {"*": {"wait_target_min": 3.0}}, None)
    assert db.scalar("select sum(sl_within) from visit_rollup") != before
    assert_exact(db, "a target change")


def test_check_names_a_changed_rollup_row(fixture_db_file, tmp_path, capsys):
    import shutil

    path = tmp_path / "corrupt.duckdb"
    shutil.copyfile(fixture_db_file, path)
    assert cli_main(["check", "--db", str(path)]) == 0
    assert capsys.readouterr().out.startswith("OK")
    db = Database(path)
    cur = db.cursor()
    cur.execute("update visit_rollup set exit_sum = exit_sum + 3 "
                "where hall_id = 'H1' and day = '2026-03-02' and purpose = 'bill_payment'")
    cur.execute("delete from wait_rollup where city = 'Guangzhou'")
    cur.close()
    db.close()
    assert cli_main(["check", "--db", str(path)]) == 1
    out = capsys.readouterr().out
    assert "visit_rollup [hall_id=H1, day=2026-03-02, purpose=bill_payment] exit_sum: stored" in out
    assert "wait_rollup [day=" in out and "city=Guangzhou" in out and "row: stored missing" in out


def test_a_write_whose_staged_rows_go_missing_is_rolled_back(fixture_db, tmp_path, monkeypatch):
    """What DuckDB 2.0.0 did to a delta over one row group, done by hand: the load is
    refused, naming the rollup, the key and both numbers, and nothing of it is stored."""
    merge = rollups._merge

    def losing_merge(cur, table, *args):
        if table == "wait_rollup":
            cur.execute("delete from wait_rollup_delta")
        return merge(cur, table, *args)

    monkeypatch.setattr(rollups, "_merge", losing_merge)
    visits = fixture_db.scalar("select count(*) from visits")
    version = fixture_db.data_version()
    csv = tmp_path / "more.csv"
    cur = fixture_db.cursor()
    cur.execute(f"copy (select {CONTRACT} replace ('N' || visit_id as visit_id) from visits) to '{csv}' (header)")
    cur.close()
    [report] = load_files(fixture_db, [csv], "tester")
    assert report.status == "refused"
    assert re.search(r"wait_rollup \[day=2026-03-0\d, city=\w+, purpose=\w+\] waits: stored \d+, "
                     r"the visits give \d+", report.message), report.message
    assert "nothing was written" in report.message
    assert fixture_db.scalar("select count(*) from visits") == visits
    assert fixture_db.data_version() == version
    monkeypatch.undo()
    assert _audit(fixture_db).ok



def test_visits_that_read_back_fewer_than_were_written_are_refused(fixture_db, tmp_path, monkeypatch):
    """The rollups are checked against the visits, and the visits against what the insert
    said it wrote (a lost insert would otherwise give rollups that match it)."""
    monkeypatch.setattr(warehouse, "_visits_read_back", lambda cur, load_id: 1)
    csv = tmp_path / "more.csv"
    cur = fixture_db.cursor()
    cur.execute(f"copy (select {CONTRACT} replace ('N' || visit_id as visit_id) from visits) to '{csv}' (header)")
    cur.close()
    visits = fixture_db.scalar("select count(*) from visits")
    [report] = load_files(fixture_db, [csv], "tester")
    assert report.status == "refused"
    assert f"visits: {visits} rows were written but 1 read back, so nothing was written" in report.message
    assert fixture_db.scalar("select count(*) from visits") == visits
