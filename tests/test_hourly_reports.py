"""Hourly reports, the second kind of data (one row per hall x period): the contract's
checks with their messages (file, row, column, what was expected), a re-sent period
replacing the stored one and undo restoring it, durations in another unit, the named
queries on a few readable rows, the scope, and the write path at 300,000 rows (more than
two DuckDB row groups) through the command line, with `python -m peakend check` after
each step.

Runs on copies of the fixture (tests/fixture: halls H1, H2 in the North, H3 in the South)."""

from __future__ import annotations

import pandas as pd
import pytest

from peakend.cli import main as cli_main
from peakend.core.filters import VisitFilter
from peakend.core.scope import EVERYTHING, Scope
from peakend.warehouse import rollup_check
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import Mapping, load_files, undo, validate_file

HEAD = "hall_id,period_start,period_minutes,arrivals,served,abandoned,wait_mean_min,wait_median_min,wait_p90_min,wait_max_min,service_mean_min"
# H1 on Monday 2026-03-02 and Tuesday 03-03, H2 on the Monday; every number readable
GOOD = [
    "H1,2026-03-02 09:00,60,40,30,4,6,5,12,20,7",
    "H1,2026-03-02 10:00,60,60,50,10,12,10,25,40,6",
    "H1,2026-03-03 09:00,60,20,10,2,3,2,6,10,8",
    "H2,2026-03-02 09:00,60,10,10,0,1,1,2,3,5",
]


def write(tmp_path, name: str, lines: list[str]):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def audit_ok(db: Database) -> None:
    cur = db.cursor()
    try:
        report = rollup_check.audit(cur)
    finally:
        cur.close()
    assert report.ok, report.lines()


def test_bad_rows_are_rejected_with_file_row_column_and_reason(fixture_db, tmp_path):
    path = write(tmp_path, "report.csv", [HEAD, *GOOD[:2],
        "H1,2026-03-02 10:00,60,5,5,0,1,1,1,1,1",          # row 4: the same hall and hour as row 3
        "H9,2026-03-02 09:00,60,1,1,0,1,1,1,1,1",          # row 5: a hall not loaded
        "H1,2026-03-02 11:00,60,,,,,,,,",                  # row 6: no measure at all
        "H1,2026-03-02 12:00,0,-3,1,0,abc,30,20,25,1",     # row 7: four problems
        "H1,2026-03-02,60,1,1,0,1,1,1,1,1",                # row 8: a day without an hour
    ])
    report = validate_file(fixture_db, path)
    assert (report.status, report.kind, report.rows_read, report.rows_ok, report.rows_rejected) == (
        "ok", "periods", 7, 2, 5)
    got = [(r.file, r.row, r.column, r.value, r.reason) for r in report.rejects.itertuples()]
    assert got == [
        ("report.csv", 4, "period_start", "H1 2026-03-02 10:00 (first at row 3)",
         "repeats a hall and period start that an earlier row of this file has"),
        ("report.csv", 5, "hall_id", "H9", "is not a known hall (add it with a halls file first)"),
        ("report.csv", 6, "period_start", "",
         "has none of the measures (arrivals, served, abandoned, a wait, a service time or a posted wait)"),
        ("report.csv", 7, "arrivals", "-3", "is not a whole number from 0 to 1000000"),
        ("report.csv", 7, "period_minutes", "0", "is not a whole number from 1 to 1440"),
        ("report.csv", 7, "wait_mean_min", "abc",
         "is not a number of minutes from 0 to 12 hours (the limit set on the Data page)"),
        ("report.csv", 7, "wait_median_min", "30.0 (wait_max_min 25.0)",
         "is larger than wait_max_min of the same row (minutes)"),
        ("report.csv", 7, "wait_median_min", "30.0 (wait_p90_min 20.0)",
         "is larger than wait_p90_min of the same row (minutes)"),
        ("report.csv", 8, "period_start", "2026-03-02", "has a date but no time of day"),
    ]
    # the same reasons in Chinese on the Data page
    from peakend.core.i18n import set_language
    from peakend.data_admin.logic import reason_text

    set_language("zh")
    try:
        assert reason_text(got[2][4]).startswith("没有任何指标")
        assert reason_text(got[5][4]) == "不是 0 到 12 小时之间的时长（单位：minutes；上限在数据管理页设置）"
        assert reason_text(got[0][4]) == "与本文件前面某行的营业厅和时段开始相同"
    finally:
        set_language("en")
    [loaded] = load_files(fixture_db, [path], "tester")
    assert (loaded.status, loaded.rows_loaded, loaded.rows_rejected) == ("loaded", 2, 5)
    assert loaded.summary().startswith("report.csv: load 4: 2 rows hourly-report loaded, 5 rejected")
    assert fixture_db.scalar("select count(*) from rejects where load_id = 4") == 9


def test_a_resent_period_replaces_the_stored_one_and_undo_brings_it_back(fixture_db, tmp_path):
    [first] = load_files(fixture_db, [write(tmp_path, "monday.csv", [HEAD, *GOOD])], "tester")
    assert (first.status, first.rows_loaded) == ("loaded", 4)
    fixed = write(tmp_path, "monday_fixed.csv", [HEAD, "H1,2026-03-02 10:00,60,61,51,10,11,10,25,40,6"])
    check = validate_file(fixture_db, fixed)
    assert (check.rows_ok, check.rows_existing) == (1, 1)
    [second] = load_files(fixture_db, [fixed], "tester")
    assert (second.rows_loaded, second.rows_replaced) == (1, 1)
    rows = lambda: fixture_db.cursor().execute(  # noqa: E731
        "select hall_id, strftime(period_start, '%d %H'), arrivals, load_id from hall_periods order by all").fetchall()
    assert rows() == [("H1", "02 09", 40, first.load_id), ("H1", "02 10", 61, second.load_id),
                      ("H1", "03 09", 20, first.load_id), ("H2", "02 09", 10, first.load_id)]
    from peakend.warehouse.store import UndoError

    with pytest.raises(UndoError, match=f"load {second.load_id} replaced; undo load {second.load_id} first"):
        undo(fixture_db, first.load_id, "tester")
    undo(fixture_db, second.load_id, "tester")
    assert [r[2] for r in rows()] == [40, 60, 20, 10]
    undo(fixture_db, first.load_id, "tester")
    assert rows() == [] and fixture_db.scalar("select count(*) from hall_periods_replaced") == 0
    audit_ok(fixture_db)


def test_a_report_in_seconds_through_a_mapping_equals_one_in_minutes(fixture_db, tmp_path):
    path = write(tmp_path, "export.csv", [
        "branch,hour_start,tickets,avg_wait_s,longest",
        "H1,2026-03-02 09:00:00,40,360,0:20:00",
        "H1,2026-03-02 10:00:00,60,720,0:40:00",
    ])
    mapping = Mapping.from_dict({
        "name": "queue_bi", "kind": "periods",
        "columns": {"hall_id": "branch", "period_start": "hour_start", "period_minutes": {"value": 60},
                    "arrivals": "tickets", "wait_mean_min": {"column": "avg_wait_s", "unit": "seconds"},
                    "wait_max_min": {"column": "longest", "unit": "hh:mm:ss"}},
    })
    [report] = load_files(fixture_db, [path], "tester", mapping=mapping)
    assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 2, 0), report.message
    stored = fixture_db.cursor().execute(
        "select arrivals, wait_mean_min, wait_max_min from hall_periods order by period_start").fetchall()
    assert stored == [(40, 6.0, 20.0), (60, 12.0, 40.0)]
    from peakend.warehouse.ingest.errors import MappingError

    with pytest.raises(MappingError, match="only a duration column"):
        Mapping.from_dict({"name": "x", "kind": "periods", "columns": {"arrivals": {"column": "t", "unit": "seconds"}}})


def test_the_queries_answer_exactly_what_the_rows_say(fixture_db, tmp_path):
    load_files(fixture_db, [write(tmp_path, "report.csv", [HEAD, *GOOD])], "tester")
    north = VisitFilter(regions=("North",))
    [summary] = fixture_db.query("periods_summary", north, EVERYTHING).to_dict("records")
    # mean wait weighted by the served: (6*30 + 12*50 + 3*10 + 1*10) / 100 = 8.2
    assert summary["wait_mean"] == pytest.approx(8.2)
    assert (summary["report_rows"], summary["halls"], summary["arrivals"], summary["n_wait_mean"]) == (4, 2, 130, 4)
    assert summary["abandonment"] == pytest.approx(16 / 130)
    assert (summary["wait_max"], summary["service_mean"]) == (40.0, pytest.approx(6.4))  # (7*30+6*50+8*10+5*10)/100
    assert summary["n_posted_wait_walkin"] == 0 and summary["posted_wait_walkin"] != summary["posted_wait_walkin"]
    cells = fixture_db.query("periods_heatmap", north, EVERYTHING)
    got = [(None if pd.isna(w) else int(w), h, a, round(m, 4)) for w, h, a, m in
           cells[["weekday", "period_hour", "arrivals", "wait_mean"]].itertuples(index=False)]
    # every weekday's 09:00 (rows 1, 3, 4), 10:00; then Monday 09:00 (rows 1, 4), 10:00; Tuesday 09:00
    assert got == [(None, 9, 70, round((180 + 30 + 10) / 50, 4)), (None, 10, 60, 12.0),
                   (1, 9, 50, round((180 + 10) / 40, 4)), (1, 10, 60, 12.0), (2, 9, 20, 3.0)]
    league = fixture_db.query("periods_league", north, EVERYTHING)
    assert list(zip(league["hall_id"], league["report_rows"], league["arrivals"], league["visits"])) == [
        ("H1", 3, 120, 7), ("H2", 1, 10, 4)]  # the visits: the fixture's, of the other kind
    trend = fixture_db.query("periods_trend", VisitFilter(halls=("H1",)), EVERYTHING)
    assert [str(d)[:10] for d in trend["period_date"]] == ["2026-03-02", "2026-03-03"]
    assert list(trend["arrivals"]) == [100, 20]


def test_a_hall_manager_sees_only_their_halls_reports(fixture_db, tmp_path):
    load_files(fixture_db, [write(tmp_path, "report.csv", [HEAD, *GOOD])], "tester")
    for name in ("periods_halls", "periods_league", "periods_summary", "periods_heatmap", "periods_trend"):
        mine = fixture_db.query(name, VisitFilter(halls=("H1", "H2")), Scope.halls({"H2"}))
        if "hall_id" in mine:
            assert set(mine["hall_id"]) == {"H2"}, name
    [summary] = fixture_db.query("periods_summary", None, Scope.halls({"H2"})).to_dict("records")
    assert (summary["report_rows"], summary["arrivals"]) == (1, 10)
    assert fixture_db.query("periods_halls", None, Scope.halls(set())).empty


ROWS = 300_000  # > 2 row groups of 122,880


def _big_report(db: Database, path, start: str, rows: int, arrivals: int) -> None:
    """`rows` quarter-hour periods over the fixture's three halls as a contract CSV."""
    cur = db.cursor()
    try:
        cur.execute(f"""copy (
            select ['H1', 'H2', 'H3'][i % 3 + 1] as hall_id,
                   timestamp '{start}' + to_minutes(15 * (i // 3)) as period_start,
                   15 as period_minutes, {arrivals} + i % 7 as arrivals, 10 + i % 5 as served,
                   i % 2 as abandoned, 1 + (i % 60) / 4 as wait_mean_min,
                   (i % 40) / 2 as posted_wait_walkin_min
            from range({rows}) as t(i)) to '{path}' (header, delimiter ',')""")
    finally:
        cur.close()


def test_a_report_of_300k_rows_loads_resends_undoes_and_check_stays_ok(fixture_db_file, tmp_path, capsys):
    import shutil

    path = tmp_path / "big.duckdb"
    shutil.copyfile(fixture_db_file, path)
    db = Database(path)
    big, resent = tmp_path / "periods.csv", tmp_path / "periods_again.csv"
    _big_report(db, big, "2023-01-01 00:00", ROWS, 20)
    _big_report(db, resent, "2024-01-01 00:00", ROWS // 2, 40)  # half of its periods again, other numbers
    db.close()

    assert cli_main(["load", str(big), "--db", str(path), "--user", "tester"]) == 0
    assert "300,000 rows hourly-report loaded, 0 rejected" in capsys.readouterr().out
    assert cli_main(["check", "--db", str(path)]) == 0
    assert "300,000 hourly-report rows" in capsys.readouterr().out

    db = Database(path)
    [again] = load_files(db, [resent], "tester")
    assert (again.status, again.rows_loaded, again.rows_replaced) == ("loaded", ROWS // 2, ROWS // 2)
    assert db.scalar("select count(*) from hall_periods") == ROWS
    assert db.scalar("select count(*) from hall_periods_replaced") == ROWS // 2
    assert db.scalar("select count(*) from hall_periods where arrivals >= 40") == ROWS // 2
    first_sum = db.scalar("select sum(20 + i % 7) from range(300000) as t(i)")
    undo(db, again.load_id, "tester")
    assert db.scalar("select count(*) from hall_periods") == ROWS
    assert db.scalar("select sum(arrivals) from hall_periods") == first_sum
    audit_ok(db)
    db.close()
    assert cli_main(["check", "--db", str(path)]) == 0
    capsys.readouterr()

    assert cli_main(["load", "--undo", str(again.load_id - 1), "--db", str(path), "--user", "tester"]) == 0
    db = Database(path)
    assert db.scalar("select count(*) from hall_periods") == 0
    assert db.scalar("select count(*) from visits") == 13  # the fixture's visits are untouched
    db.close()
    assert cli_main(["check", "--db", str(path)]) == 0


def test_the_command_lines_unit_reaches_a_reports_duration_column():
    from peakend.warehouse.ingest.mapping import with_unit

    mapping = Mapping.from_dict({"name": "bi", "kind": "periods",
                                 "columns": {"hall_id": "branch", "wait_mean_min": "avg_wait"}})
    assert with_unit(mapping, "avg_wait", "seconds").columns["wait_mean_min"] == {"column": "avg_wait", "unit": "seconds"}


def test_the_check_says_each_durations_median_and_warns_of_a_wrong_unit(fixture_db, tmp_path):
    # waits in seconds, written in columns the contract reads as minutes (all under 12 hours)
    path = write(tmp_path, "report.csv", [HEAD.split(",service")[0],
                                          "H1,2026-03-02 09:00,60,40,30,4,360,300,600,700",
                                          "H1,2026-03-02 10:00,60,60,50,10,600,500,650,710"])
    report = validate_file(fixture_db, path)
    assert report.rows_rejected == 0
    warning = ("  WARNING: the median {c} {m} is over 4:00:00: implausible for a hall; is a duration in seconds "
               "read as minutes? Give the column its unit in the mapping")
    assert report.summary().splitlines()[1:] == [
        line
        for c, m in (("wait_mean_min", "8:00:00"), ("wait_median_min", "6:40:00"), ("wait_p90_min", "10:25:00"),
                     ("wait_max_min", "11:45:00"))
        for line in (f"  median {c} {m} (H:MM:SS, over 2 report rows)", warning.format(c=c, m=m))
    ]
    # the DMV file's posted waits look like minutes: said, not warned about
    from peakend.core import i18n
    from peakend.data_admin.logic import duration_texts

    fine = write(tmp_path, "posted.csv", ["hall_id,period_start,period_minutes,posted_wait_walkin_min",
                                          "H1,2026-03-02 09:00,60,22", "H1,2026-03-02 10:00,60,0"])
    before = i18n.get_language()
    i18n.set_language("en")  # the page's words, in the language asked (another test may have left zh)
    try:
        said, warned = duration_texts(validate_file(fixture_db, fine))
    finally:
        i18n.set_language(before)
    assert (said, warned) == (["median posted_wait_walkin_min 0:11:00 (H:MM:SS, over 2 report rows)"], [])
