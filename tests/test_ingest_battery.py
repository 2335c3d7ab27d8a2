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
        made.append(db)
        return db

    yield fresh
    for db in made:
        db.close()


# the cases in four shares, so that `make test` (pytest -n 2) runs them side by side
SHARES = 4


@pytest.mark.parametrize("share", range(SHARES))
def test_every_kind_of_bad_file(share, subtests, fresh_db, tmp_path, monkeypatch):
    for case in CASES[share::SHARES]:
        with subtests.test(case.name):
            with monkeypatch.context() as env:
                for var, value in case.env.items():
                    env.setenv(var, value)
                db = fresh_db()
                folder = tmp_path / case.file.replace(".", "_")
                folder.mkdir()
                path = case.write(folder)
                before = snapshot(db)
                dry = validate_file(db, path, **case.options)
                assert snapshot(db) == before  # a dry run writes nothing
                [report] = load_files(db, [path], "tester", **case.options)
            said = report.summary() + "\n" + "\n".join(report.problem_lines(50))
            assert report.status == case.status, said
            for text in case.message:
                assert text in said, said
            if case.status == "refused":
                assert dry.status == "refused" and dry.message == report.message
                assert snapshot(db) == before  # nothing written
                continue
            assert {(int(r.row), r.reason) for r in report.rejects.itertuples()} == case.rejected, said
            assert report.rows_rejected == len({row for row, _ in case.rejected})
            assert report.rows_loaded == len(case.visits)
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
