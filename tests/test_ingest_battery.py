"""Every kind of bad or awkward file of issue 22 (tests/bad_files.py), loaded into its own
copy of the fixture: the message, the counts, the rows rejected and the visits stored must
be exactly the case's. A dry run of the same file must say the same."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from bad_files import HEADER, cases, stored
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import load_files, validate_file
from peakend.warehouse.ingest import settings as load_checks
from peakend.warehouse.ingest.reports import note_lines
from test_ingest_files import snapshot

CASES = cases()
COLUMNS = ", ".join(HEADER)


def _stored_visits(db, load_id) -> list[tuple]:
    cur = db.cursor()
    try:
        return cur.execute(
            f"select {COLUMNS} from visits where load_id = ? order by visit_id", [load_id]
        ).fetchall()
    finally:
        cur.close()


@pytest.fixture()
def fresh_db(_fixture_db_template, tmp_path):
    made = []

    def fresh():
        path = tmp_path / f"db{len(made)}" / "fixture.duckdb"
        path.parent.mkdir()
        shutil.copyfile(_fixture_db_template, path)
        db = Database(path)
        # the copy is thrown away: closing it need not write a checkpoint (an fsync a
        # case, a third of the battery's time on a busy disk)
        db.cursor().execute("pragma disable_checkpoint_on_shutdown")
        made.append(db)
        return db

    yield fresh
    for db in made:
        db.close()


# the cases in four shares, so that `make test` (pytest -n 2) runs them side by side
SHARES = 4


def _prepare(db, case, folder):
    """The case's settings stored and its halls file loaded, as a data admin would first."""
    if case.settings:
        with db.transaction() as cur:
            load_checks.save(cur, case.settings)
    if case.halls is not None:
        halls = folder / "halls.csv"
        halls.write_bytes(case.halls)
        [loaded] = load_files(db, [halls], "tester")
        assert loaded.status == "loaded" and loaded.rows_rejected == 0, loaded.summary()


@pytest.mark.parametrize("share", range(SHARES))
def test_every_kind_of_bad_file(share, subtests, fresh_db, tmp_path):
    for case in CASES[share::SHARES]:
        with subtests.test(case.name):
            db = fresh_db()
            folder = tmp_path / case.file.replace(".", "_")
            folder.mkdir()
            _prepare(db, case, folder)
            path = case.write(folder)
            before = snapshot(db)
            dry = validate_file(db, path, **case.options)
            assert snapshot(db) == before  # a dry run writes nothing
            [report] = load_files(db, [path], "tester", **case.options)
            said = report.summary() + "\n" + "\n".join(report.problem_lines(50))
            assert report.status == case.status, said
            for text in case.message:
                assert text in said, said
            if case.status == "loaded":  # every case says its counts, and no note it shouldn't
                n = len(case.visits) if case.loaded is None else case.loaded
                counted = f"{n:,} row{'' if n == 1 else 's'} {report.kind} loaded, {len({r for r, _ in case.rejected}):,} rejected"
                assert counted in said, said
                if not case.message:
                    assert note_lines(report) == [], said
            for text in case.dry_message:
                assert text in dry.summary(), dry.summary()
            if case.status == "refused":
                assert dry.status == "refused" and dry.message == report.message
                assert snapshot(db) == before  # nothing written
                continue
            assert {(int(r.row), r.reason) for r in report.rejects.itertuples()} == case.rejected, said
            assert report.rows_rejected == len({row for row, _ in case.rejected})
            assert report.rows_loaded == (len(case.visits) if case.loaded is None else case.loaded)
            assert _stored_visits(db, report.load_id) == sorted(stored(v) for v in case.visits)
            # the dry run said the same: counts, rejects and every note
            assert (dry.rows_ok, dry.rows_rejected) == (report.rows_loaded, report.rows_rejected)
            pd.testing.assert_frame_equal(dry.rejects, report.rejects)
            assert note_lines(dry) == note_lines(report)
            if report.rows_rejected:
                written = pd.read_csv(report.rejects_csv, dtype=str, encoding="utf-8-sig", keep_default_na=False)
                assert sorted(set(written["reject_row"].astype(int))) == sorted({row for row, _ in case.rejected})
                structural = [r for r in report.rejects.itertuples() if r.column == "(whole row)"]
                for r in structural:  # the raw text of a line that could not be split
                    raw = written.loc[written["reject_row"] == str(r.row), "reject_value"].iloc[0]
                    assert raw and raw[:40] in r.value


def test_the_purpose_a_script_named_is_not_created(fresh_db, tmp_path):
    case = next(c for c in CASES if c.file == "implausible.csv")
    db = fresh_db()
    load_files(db, [case.write(tmp_path)], "tester")
    assert db.scalar("select count(*) from purposes where purpose like '%script%'") == 0


def test_the_cli_says_what_load_files_says(_fixture_db_template, tmp_path, capsys):
    from peakend.cli import main as cli_main

    case = next(c for c in CASES if c.file == "misspelt.csv")
    db_file = tmp_path / "fixture.duckdb"
    shutil.copyfile(_fixture_db_template, db_file)
    target = case.write(tmp_path)
    assert cli_main(["load", str(target), "--db", str(db_file), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 column(s) not in the contract, not loaded: exit_scores -> exit_score?, overal_score -> overall_score?, notes" in out
    assert cli_main(["load", str(target), "--db", str(db_file), "--dry-run", "--strict"]) == 1
    assert "REFUSED misspelt.csv: has columns that the load would not read" in capsys.readouterr().out


def test_a_halls_time_zone_is_stored_by_its_name_and_undone_with_its_load(fresh_db, tmp_path):
    case = next(c for c in CASES if c.file == "offsets_by_hall.csv")
    db = fresh_db()
    _prepare(db, case, tmp_path)
    zones = dict(db.cursor().execute("select hall_id, time_zone from halls where hall_id like 'H_'").fetchall())
    assert (zones["HT"], zones["HL"], zones["HN"]) == ("Asia/Tokyo", "Europe/London", None)


@pytest.mark.parametrize("file", ["bomb.zip", "zeros.csv.gz", "zeros.zip"])
def test_a_zip_bomb_is_refused_quickly(file, fresh_db, tmp_path):
    """Refused by what the archive says, or after unpacking just past the limit: never whole."""
    import time

    case = next(c for c in CASES if c.file == file)
    db = fresh_db()
    _prepare(db, case, tmp_path)
    started = time.perf_counter()
    report = validate_file(db, case.write(tmp_path))
    assert report.status == "refused" and "over the limit for a compressed file" in report.message
    assert time.perf_counter() - started < 3


def test_a_setting_changed_changes_what_is_rejected(fresh_db, tmp_path):
    """The same file: a 3-hour wait loads under the default 12 hours, is rejected at 2."""
    case = next(c for c in CASES if c.file == "limit_2h.csv")
    db = fresh_db()
    path = case.write(tmp_path)
    assert validate_file(db, path).rows_rejected == 0
    with db.transaction() as cur:
        assert load_checks.save(cur, {"max_duration_hours": 2}).max_duration_hours == 2
    assert validate_file(db, path).rows_rejected == 1
    with db.transaction() as cur, pytest.raises(load_checks.SettingError, match="not a time zone name"):
        load_checks.save(cur, {"time_zone": "Mars/Olympus"})
    assert load_checks.read(db.cursor()).time_zone == "Asia/Shanghai"
