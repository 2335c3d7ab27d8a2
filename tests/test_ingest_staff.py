"""The staff roster (a "staff" file: staff_id, staff_name, optional hall_id): loading a good
one, the messages for bad ones, a re-sent roster replacing names, undo, the command line,
and a roster larger than one DuckDB row group counted exactly."""

from __future__ import annotations

import pytest

from peakend.cli import main as cli_main
from peakend.warehouse.ingest import load_files, undo, validate_file

HEADER = "staff_id,staff_name,hall_id"


def _roster(tmp_path, name, *rows, header=HEADER):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _names(db) -> list[tuple]:
    return db.cursor().execute("select staff_id, staff_name, hall_id from staff order by staff_id").fetchall()


# tests/fixture/staff.csv, loaded by tests/fixture_db.py as load 3
FIXTURE_ROSTER = [("S1", "王芳", "H1"), ("S2", "李娜", "H1"), ("S3", "张伟", "H2"), ("S5", "陈静", "H3")]


def test_the_fixture_roster_is_loaded(fixture_db):
    assert _names(fixture_db) == FIXTURE_ROSTER
    assert fixture_db.scalar("select kind from loads where load_id = 3") == "staff"


def test_a_good_roster_loads_and_is_read_from_its_header(fixture_db, tmp_path):
    path = _roster(tmp_path, "roster.csv", "S6,赵磊,H2", "S7,Li Wei,", " S8 , 孙丽 ,H3")
    [report] = load_files(fixture_db, [path], "tester")  # no --kind: staff_name says it
    assert (report.status, report.kind, report.rows_loaded, report.rows_rejected) == ("loaded", "staff", 3, 0)
    assert report.summary().startswith("roster.csv: load 4: 3 rows staff loaded, 0 rejected")
    assert _names(fixture_db) == [*FIXTURE_ROSTER, ("S6", "赵磊", "H2"), ("S7", "Li Wei", None), ("S8", "孙丽", "H3")]


# Each bad roster: its rows, what loads, and every problem line as the loader says it.
BAD_ROSTERS = {
    "duplicate id": (
        ["S6,赵磊,H2", "S7,钱敏,H1", "S6,赵磊磊,H2"],
        [("S6", "赵磊", "H2"), ("S7", "钱敏", "H1")],
        ["bad.csv row 4, staff_id: repeats an id that an earlier row of this file has (value 'S6 (first at row 2)')"],
    ),
    "missing name": (
        ["S6,,H2", "S7,钱敏,H1", "S8,   ,H1"],
        [("S7", "钱敏", "H1")],
        ["bad.csv row 2, staff_name: is empty but required", "bad.csv row 4, staff_name: is empty but required"],
    ),
    "unknown hall": (
        ["S6,赵磊,H9", "S7,钱敏,H1"],
        [("S7", "钱敏", "H1")],
        ["bad.csv row 2, hall_id: is not a known hall (add it with a halls file first) (value 'H9')"],
    ),
    "missing id": (
        [",赵磊,H2", "S7,钱敏,H1"],
        [("S7", "钱敏", "H1")],
        ["bad.csv row 2, staff_id: is empty but required"],
    ),
}


def test_bad_rosters_keep_the_good_rows_and_say_what_is_wrong(fixture_db_file, tmp_path, subtests):
    from peakend.warehouse.db import Database
    import shutil

    for i, (case, (rows, loaded, problems)) in enumerate(BAD_ROSTERS.items()):
        with subtests.test(case):
            db_path = tmp_path / f"db{i}.duckdb"
            shutil.copy(fixture_db_file, db_path)
            db = Database(db_path)
            try:
                folder = tmp_path / f"case{i}"
                folder.mkdir()
                path = _roster(folder, "bad.csv", *rows)
                check = validate_file(db, path)
                assert (check.status, check.kind, check.rows_rejected) == ("ok", "staff", len(rows) - len(loaded))
                [report] = load_files(db, [path], "tester")
                assert report.status == "loaded"
                assert report.problem_lines() == problems
                assert _names(db) == sorted([*FIXTURE_ROSTER, *loaded])
                # nothing lost: the rejected rows are in the database and beside the file
                assert db.scalar("select count(distinct row_number) from rejects where load_id = ?",
                                 [report.load_id]) == len(rows) - len(loaded)
                assert report.rejects_csv is not None and report.rejects_csv.exists()
            finally:
                db.close()


def test_a_roster_without_the_name_column_is_refused_whole(fixture_db, tmp_path):
    path = _roster(tmp_path, "ids.csv", "S6,H2", header="staff_id,hall_id")
    [report] = load_files(fixture_db, [path], "tester", kind="staff")
    assert report.status == "refused"
    assert report.message == "ids.csv: required staff column staff_name is missing. Found: staff_id, hall_id."
    assert _names(fixture_db) == FIXTURE_ROSTER


def test_a_resent_roster_replaces_names_by_id_and_undo_restores_them(fixture_db, tmp_path):
    path = _roster(tmp_path, "again.csv", "S1,王芳芳,H1", "S4,周杰,H2")
    before = fixture_db.data_version()
    [report] = load_files(fixture_db, [path], "tester")
    assert (report.rows_loaded, report.rows_replaced) == (2, 1)
    assert fixture_db.data_version() == before + 1  # one transaction, one new data version
    assert _names(fixture_db) == [("S1", "王芳芳", "H1"), ("S2", "李娜", "H1"), ("S3", "张伟", "H2"),
                                  ("S4", "周杰", "H2"), ("S5", "陈静", "H3")]
    assert fixture_db.scalar("select count(*) from staff where staff_id = 'S1'") == 1
    [again] = load_files(fixture_db, [path], "tester")
    assert (again.status, again.same_as_load) == ("unchanged", report.load_id)
    undo(fixture_db, report.load_id, "tester")
    assert _names(fixture_db) == FIXTURE_ROSTER


def test_the_command_line_loads_a_roster_by_kind(fixture_db_file, tmp_path, capsys, monkeypatch):
    import shutil

    db_path = tmp_path / "cli.duckdb"
    shutil.copy(fixture_db_file, db_path)
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    path = _roster(tmp_path, "team.csv", "S6,赵磊,H2")
    assert cli_main(["load", "--kind", "staff", str(path), "--user", "ops"]) == 0
    assert capsys.readouterr().out.startswith("team.csv: load 4: 1 row staff loaded, 0 rejected")


def test_a_roster_of_300000_rows_loads_and_counts_exactly(fixture_db, tmp_path):
    """More than two DuckDB row groups (122,880 rows each): every row, once."""
    n = 300_000
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        fh.writelines(f"B{i:06d},员工{i},H{1 + i % 3}\n" for i in range(n))
    [report] = load_files(fixture_db, [path], "tester")
    assert (report.status, report.rows_read, report.rows_loaded, report.rows_rejected) == ("loaded", n, n, 0)
    cur = fixture_db.cursor()
    total, distinct, per_hall = cur.execute(
        "select count(*), count(distinct staff_id), list(distinct hall_id order by hall_id) "
        "from staff where staff_id like 'B%'"
    ).fetchall()[0]
    assert (total, distinct, per_hall) == (n, n, ["H1", "H2", "H3"])
    assert cur.execute("select staff_name from staff where staff_id = 'B299999'").fetchall() == [("员工299999",)]
    assert fixture_db.scalar("select count(*) from staff") == n + len(FIXTURE_ROSTER)


@pytest.mark.parametrize("header", ["staff_id,staff_name", "Staff ID,Staff Name,Hall ID"])
def test_hall_is_optional_and_header_names_are_forgiving(fixture_db, tmp_path, header):
    path = _roster(tmp_path, "r.csv", "S6,赵磊" + (",H2" if header.count(",") == 2 else ""), header=header)
    [report] = load_files(fixture_db, [path], "tester")
    assert (report.kind, report.rows_loaded) == ("staff", 1)
