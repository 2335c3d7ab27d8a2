"""Loading: one transaction per file, idempotent re-loads, replace-on-resend, undo, a crash
mid-load, halls and purposes files, progress, history, and the command line."""

from __future__ import annotations

import pandas as pd
import pytest

from peakend.warehouse import store as warehouse
from peakend.cli import main as cli_main
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import UndoError, load_files, load_history, load_rejects, undo, validate_file
from peakend.warehouse.ingest import load as load_module
from test_ingest_files import FIXTURE, SAMPLES, VISITS, copy, snapshot, stored_visits

HEADER = VISITS.read_text(encoding="utf-8").splitlines()[0]


def _write(tmp_path, name, *rows) -> object:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _visit_row(visit_id, exit_score=4, arrived="2026-03-02 09:00:00", hall="H1", purpose="bill_payment"):
    return (f"{visit_id},{hall},{arrived},{purpose},2026-03-02 09:04:00,2026-03-02 09:04:00,"
            f"2026-03-02 09:10:00,2026-03-02 09:11:00,S1,C1,false,5,{exit_score},,10,consumer")


def test_loading_the_same_file_twice_changes_nothing(fixture_db, tmp_path):
    path = _write(tmp_path, "new.csv", _visit_row("V30"), _visit_row("V31", exit_score=2))
    [first] = load_files(fixture_db, [path], "tester")
    assert (first.status, first.rows_loaded, first.rows_replaced) == ("loaded", 2, 0)
    visible = stored_visits(fixture_db)
    before = snapshot(fixture_db)
    [second] = load_files(fixture_db, [path], "tester")
    assert second.status == "unchanged" and second.same_as_load == first.load_id
    assert "unchanged" in second.summary() and second.rows_loaded == 2
    assert snapshot(fixture_db) == before  # not even a load record
    pd.testing.assert_frame_equal(stored_visits(fixture_db), visible)


def test_the_fixture_file_is_already_loaded(fixture_db, tmp_path):
    # tests/fixture_db.py loads tests/fixture/visits.csv through load_files as load 2
    [report] = load_files(fixture_db, [copy(VISITS, tmp_path)], "tester")
    assert (report.status, report.same_as_load) == ("unchanged", 2)


def test_reloading_after_a_later_change_loads_again_with_the_same_rows(fixture_db, tmp_path):
    path = copy(VISITS, tmp_path)
    original = stored_visits(fixture_db)
    [change] = load_files(fixture_db, [_write(tmp_path, "fix.csv", _visit_row("V01", exit_score=1))], "tester")
    assert change.rows_replaced == 1
    [again] = load_files(fixture_db, [path], "tester")
    assert again.status == "loaded" and again.rows_replaced == 13  # V01 back as in the file
    pd.testing.assert_frame_equal(stored_visits(fixture_db), original)
    [third] = load_files(fixture_db, [path], "tester")
    assert (third.status, third.same_as_load) == ("unchanged", again.load_id)


def test_resent_visit_replaces_and_undo_restores_it(fixture_db, tmp_path):
    original = stored_visits(fixture_db)
    path = _write(tmp_path, "resend.csv", _visit_row("V01", exit_score=2, arrived="2026-03-02 09:01:00"), _visit_row("V99"))
    [report] = load_files(fixture_db, [path], "tester")
    assert (report.rows_loaded, report.rows_replaced) == (2, 1)
    assert fixture_db.scalar("select count(*) from visits") == 14
    assert fixture_db.scalar("select exit_score from visits where visit_id = 'V01'") == 2
    assert fixture_db.scalar("select wait_s from visits where visit_id = 'V01'") == 180.0
    undo(fixture_db, report.load_id, "tester")
    pd.testing.assert_frame_equal(stored_visits(fixture_db), original)
    history = load_history(fixture_db)
    row = history[history["load_id"] == report.load_id].iloc[0]
    assert (row["status"], row["undone_by"]) == ("undone", "tester")
    with pytest.raises(UndoError, match="already undone"):
        undo(fixture_db, report.load_id, "tester")


def test_a_crash_mid_load_leaves_the_database_as_it_was(fixture_db, tmp_path, monkeypatch):
    before = snapshot(fixture_db)
    version = fixture_db.data_version()

    def insert_then_die(cur, source, load_id, merge=False):
        warehouse_insert(cur, source, load_id, merge=merge)  # the rows are in, inside the transaction
        raise KeyboardInterrupt("killed mid-load")

    warehouse_insert = warehouse.insert_visits
    monkeypatch.setattr(load_module.warehouse, "insert_visits", insert_then_die)
    path = _write(tmp_path, "crash.csv", _visit_row("V01", exit_score=1), _visit_row("V98"))
    with pytest.raises(KeyboardInterrupt):
        load_files(fixture_db, [path], "tester")
    assert snapshot(fixture_db) == before
    assert fixture_db.data_version() == version
    assert not (tmp_path / "crash.csv.rejects.csv").exists()


def test_a_failing_write_is_reported_and_rolled_back(fixture_db, tmp_path, monkeypatch):
    before = snapshot(fixture_db)

    def broken(cur, *args):
        cur.execute("select * from no_such_table")

    monkeypatch.setattr(load_module.warehouse, "finish_load", broken)
    [report] = load_files(fixture_db, [_write(tmp_path, "x.csv", _visit_row("V97"))], "tester")
    assert report.status == "refused" and "nothing was written" in report.message
    assert snapshot(fixture_db) == before


def test_each_file_is_its_own_transaction(fixture_db, tmp_path):
    good = _write(tmp_path, "good.csv", _visit_row("V90"))
    bad = copy(SAMPLES / "bad_missing_columns.csv", tmp_path)
    reports = load_files(fixture_db, [good, bad, _write(tmp_path, "good2.csv", _visit_row("V91"))], "tester")
    assert [r.status for r in reports] == ["loaded", "refused", "loaded"]
    assert fixture_db.scalar("select count(*) from visits where visit_id in ('V90', 'V91')") == 2


def test_halls_file_first_then_visits_of_the_new_hall(fixture_db, tmp_path):
    halls = tmp_path / "halls.csv"
    halls.write_text(
        "hall_id,hall_name,region,city,counters,hall_type,latitude,longitude,opens_at,closes_at\n"
        "H4,Delta Hall,South,Shenzhen,2,standard,22.54,114.06,09:00,18:00\n"
        "H1,Alpha Hall (renamed),North,Harbin,4,flagship,45.80,126.53,08:30,21:00\n"
        "H5,Bad Hall,South,Xiamen,two,standard,95,114.06,9am,18:00\n",
        encoding="utf-8",
    )
    visits = _write(tmp_path, "v.csv", _visit_row("V80", hall="H4"))
    reports = load_files(fixture_db, [visits], "tester", halls_path=halls)
    assert [r.kind for r in reports] == ["halls", "visits"]
    assert (reports[0].rows_loaded, reports[0].rows_replaced, reports[0].rows_rejected) == (2, 1, 1)
    assert {(r.column, r.reason) for r in reports[0].rejects.itertuples()} == {
        ("counters", "is not a whole number from 0 to 10000"),
        ("latitude", "is not a number from -90 to 90"),
        ("opens_at", "is not a time of day like 09:00"),
    }
    assert reports[1].rows_loaded == 1
    cur = fixture_db.cursor()
    assert cur.execute("select hall_name, counters, opens_at::varchar from halls where hall_id = 'H1'").fetchall() == [
        ("Alpha Hall (renamed)", 4, "08:30:00")
    ]
    # the new hall's visits keep it from being undone; the visits first, then the halls
    with pytest.raises(UndoError, match=f"load {reports[1].load_id}"):
        undo(fixture_db, reports[0].load_id, "tester")
    undo(fixture_db, reports[1].load_id, "tester")
    undo(fixture_db, reports[0].load_id, "tester")
    assert cur.execute("select hall_name from halls where hall_id = 'H1'").fetchall() == [("Alpha Hall",)]
    assert fixture_db.scalar("select count(*) from halls") == 3


def test_purposes_file_and_unknown_purpose_codes(fixture_db, tmp_path):
    purposes = tmp_path / "purposes.csv"
    purposes.write_text(
        "purpose,label_en,label_zh,peak_moment\n"
        "bill_payment,Bill payment,缴费,counter_result\n"
        "trade_in,Phone trade-in,以旧换新,phone_purchase\n"
        "kiosk,Self-service kiosk,自助终端,\n"
        "typo,Typo,错字,phone\n",
        encoding="utf-8",
    )
    [report] = load_files(fixture_db, [purposes], "tester")
    assert (report.kind, report.rows_loaded, report.rows_replaced, report.rows_rejected) == ("purposes", 3, 1, 1)
    cur = fixture_db.cursor()
    assert cur.execute("select peak_moment from purposes where purpose = 'kiosk'").fetchall() == [("other",)]
    with pytest.raises(UndoError, match="not versioned"):
        undo(fixture_db, report.load_id, "tester")
    # a visit with a code nobody defined loads as `other`, labelled with the code
    [visits] = load_files(fixture_db, [_write(tmp_path, "v.csv", _visit_row("V70", purpose="sim_swap"))], "tester")
    assert visits.new_purposes == ["sim_swap"]
    assert cur.execute("select label_en, label_zh, peak_moment from purposes where purpose = 'sim_swap'").fetchall() == [
        ("sim_swap", "sim_swap", "other")
    ]


def test_rejects_are_kept_per_load_and_a_stale_rejects_file_is_removed(fixture_db, tmp_path):
    path = _write(tmp_path, "v.csv", _visit_row("V60"), _visit_row("V61", exit_score=9))
    [report] = load_files(fixture_db, [path], "tester")
    assert report.rejects_csv == tmp_path / "v.csv.rejects.csv" and report.rejects_csv.exists()
    stored = load_rejects(fixture_db, report.load_id)
    assert list(stored[["row", "column", "value"]].itertuples(index=False, name=None)) == [(3, "exit_score", "9")]
    path.write_text("\n".join([HEADER, _visit_row("V60"), _visit_row("V61")]) + "\n", encoding="utf-8")
    [fixed] = load_files(fixture_db, [path], "tester")
    assert fixed.rows_rejected == 0 and fixed.rejects_csv is None
    assert not (tmp_path / "v.csv.rejects.csv").exists()


def test_the_rejects_file_loads_again_once_fixed(fixture_db, tmp_path):
    [report] = load_files(fixture_db, [copy(SAMPLES / "bad_values.csv", tmp_path)], "tester")
    fixed = pd.read_csv(report.rejects_csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    fixed = fixed[fixed["visit_id"] == "N03"].copy()
    fixed["peak_score"] = "5"
    fixed.to_csv(tmp_path / "fixed.csv", index=False)
    [again] = load_files(fixture_db, [tmp_path / "fixed.csv"], "tester")
    assert (again.rows_loaded, again.rows_rejected) == (1, 0)
    assert set(again.ignored_columns) == {"reject_row", "reject_column", "reject_reason", "reject_value"}


def test_progress_is_reported_from_zero_to_one(fixture_db, tmp_path):
    seen = []
    load_files(fixture_db, [_write(tmp_path, "a.csv", _visit_row("V50")), _write(tmp_path, "b.csv", _visit_row("V51"))],
               "tester", progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("b.csv" in m for _, m in seen)


def test_dry_run_counts_rows_that_would_replace_stored_ones(fixture_db, tmp_path):
    report = validate_file(fixture_db, _write(tmp_path, "v.csv", _visit_row("V01"), _visit_row("V40")))
    assert (report.rows_ok, report.rows_existing, report.rows_rejected) == (2, 1, 0)


def test_cli_loads_checks_lists_and_undoes(tmp_path, capsys, monkeypatch):
    db_path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    visits = copy(VISITS, tmp_path)
    code = cli_main(["load", "--halls", str(FIXTURE / "halls.csv"), str(FIXTURE / "purposes.csv"), str(visits), "--user", "ops"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("halls.csv: load 1: 3 rows halls loaded")
    assert out[2].startswith("visits.csv: load 3: 13 rows visits loaded, 0 rejected")
    assert cli_main(["load", str(copy(SAMPLES / "bad_duplicates.csv", tmp_path))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  bad_duplicates.csv row 4, visit_id: repeats an id that an earlier row of this file has (value 'D01 (first at row 2)')"
    bad = copy(SAMPLES / "bad_missing_columns.csv", tmp_path)
    assert cli_main(["load", str(bad), "--dry-run"]) == 1
    assert "REFUSED bad_missing_columns.csv: required visits column" in capsys.readouterr().out
    assert cli_main(["load", str(copy(SAMPLES / "bad_values.csv", tmp_path)), "--dry-run"]) == 0
    assert "9 would be rejected" in capsys.readouterr().out
    assert cli_main(["load", "--history"]) == 0
    assert "visits.csv" in capsys.readouterr().out
    assert cli_main(["load", "--undo", "3", "--user", "ops"]) == 0
    assert cli_main(["load", "--undo", "3"]) == 1
    assert "already undone" in capsys.readouterr().err
    assert cli_main(["load", "--mappings"]) == 0
    assert "anonymous_bank (visits, shipped)" in capsys.readouterr().out
    assert cli_main(["load"]) == 2
    db = Database(db_path)
    try:
        assert db.scalar("select count(*) from visits") == 2  # the duplicates file's first D01 and D02
        assert db.scalar("select loaded_by from loads where load_id = 3") == "ops"
    finally:
        db.close()


def test_an_upload_is_saved_under_its_own_safe_name_and_loads(fixture_db, tmp_path):
    from peakend.warehouse.ingest import save_upload

    data = "\n".join([HEADER, _visit_row("V20")]).encode("utf-8")
    path = save_upload(data, "../../外呼 March (v2).csv", tmp_path / "session")
    assert path == tmp_path / "session" / "外呼 March (v2).csv"
    [report] = load_files(fixture_db, [path], "tester")
    assert report.rows_loaded == 1
    assert fixture_db.scalar("select file_name from loads where load_id = ?", [report.load_id]) == "外呼 March (v2).csv"
    assert save_upload(b"x", "..", tmp_path).name == "upload.csv"


def test_cli_takes_a_mapping_json_file_and_a_unit(tmp_path, capsys):
    """Issue 14: `load --mapping FILE.json` as well as a preset's name, and --unit COLUMN=UNIT."""
    import json

    from test_ingest_mapping import UNIT_FILE, _units_mapping

    db_path = tmp_path / "cli.duckdb"
    assert cli_main(["load", "--halls", str(FIXTURE / "halls.csv"), str(FIXTURE / "purposes.csv"),
                     "--db", str(db_path), "--user", "ops"]) == 0
    capsys.readouterr()
    data = tmp_path / "units.csv"
    data.write_text(UNIT_FILE, encoding="utf-8")
    mapping_file = tmp_path / "my_mapping.json"
    mapping_file.write_text(json.dumps(_units_mapping("by_hand", "Wait min", "seconds")), encoding="utf-8")
    # the minutes read as seconds: the dry run warns
    assert cli_main(["load", str(data), "--mapping", str(mapping_file), "--db", str(db_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 rows would load, 0 would be rejected" in out
    assert "WARNING: the median wait 0:00:12 is under 0:00:30" in out
    # --unit puts it right, and the load stores the waits in seconds
    assert cli_main(["load", str(data), "--mapping", str(mapping_file), "--unit", "Wait min=minutes",
                     "--db", str(db_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "median wait 0:12:30" in out and "WARNING" not in out
    assert cli_main(["load", str(data), "--mapping", str(mapping_file), "--unit", "Wait min=minutes",
                     "--db", str(db_path), "--user", "ops"]) == 0
    assert "3 rows visits loaded, 0 rejected" in capsys.readouterr().out
    db = Database(str(db_path))
    try:
        assert db.scalar("select median(epoch(called_at - arrived_at)) from visits where visit_id like 'by_hand-%'") == 750
        assert db.scalar("select mapping from loads order by load_id desc limit 1") == "by_hand"
    finally:
        db.close()
    # a file that isn't there, or isn't a mapping, is said in one line
    assert cli_main(["load", str(data), "--mapping", str(tmp_path / "none.json"), "--db", str(db_path)]) == 1
    assert "cannot read the mapping file" in capsys.readouterr().err
    assert cli_main(["load", str(data), "--mapping", str(mapping_file), "--unit", "Wait min=weeks",
                     "--db", str(db_path)]) == 1
    assert "the unit is one of seconds, minutes, hours, hh:mm:ss" in capsys.readouterr().err
