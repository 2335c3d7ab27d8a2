"""Reading files of every accepted shape, and refusing or rejecting bad ones with messages
that name the file, row and column, while nothing else in the database changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from peakend.warehouse.ingest import load_files, preview_file, validate_file

FIXTURE = Path(__file__).parent / "fixture"
SAMPLES = FIXTURE / "ingest"
VISITS = FIXTURE / "visits.csv"
STATE_TABLES = ("visits", "visits_replaced", "halls", "halls_replaced", "purposes", "targets",
                "loads", "rejects", "load_sources", "mapping_presets", "meta")


def snapshot(db) -> dict[str, list]:
    """Everything a load could change, as sorted rows per table."""
    cur = db.cursor()
    try:
        return {t: sorted(map(repr, cur.execute(f"select * from {t}").fetchall())) for t in STATE_TABLES}
    finally:
        cur.close()


def stored_visits(db) -> pd.DataFrame:
    """The visit columns a user sees, by visit_id (load ids aside)."""
    cur = db.cursor()
    try:
        return cur.execute("select * exclude (load_id) from visits order by visit_id").df()
    finally:
        cur.close()


def copy(src: Path, tmp_path: Path, name: str | None = None) -> Path:
    target = tmp_path / (name or src.name)
    shutil.copy(src, target)
    return target


def _new_visits(tmp_path: Path) -> pd.DataFrame:
    """The fixture visits with new ids, so a load adds 13 rows next to the fixture's."""
    frame = pd.read_csv(VISITS, dtype=str, keep_default_na=False)
    frame["visit_id"] = "W" + frame["visit_id"].str[1:]
    return frame


# -- good files ---------------------------------------------------------------------------
def _write_csv(frame: pd.DataFrame, path: Path, encoding="utf-8", sep=",", newline="\n") -> Path:
    path.write_bytes(frame.to_csv(index=False, sep=sep, lineterminator=newline).encode(encoding))
    return path


def _write_xlsx(frame: pd.DataFrame, path: Path, title_rows: list[list] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in title_rows or []:
        sheet.append(row)
    sheet.append(list(frame.columns))
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record):
            if value == "":
                cells.append(None)
            elif column.endswith("_at"):
                cells.append(pd.Timestamp(value).to_pydatetime())  # real Excel date cells
            elif column.endswith("_score"):
                cells.append(float(value))  # Excel stores numbers as floats: 5.0
            elif column == "abandoned":
                cells.append(value == "true")
            else:
                cells.append(value)
        sheet.append(cells)
    book.save(path)
    return path


GOOD_FILES = {
    "csv": lambda f, d: _write_csv(f, d / "visits.csv"),
    "csv_bom_crlf": lambda f, d: _write_csv(f, d / "visits.csv", "utf-8-sig", newline="\r\n"),
    "csv_gbk": lambda f, d: _write_csv(f, d / "visits.csv", "gbk"),
    "csv_gb18030_semicolon": lambda f, d: _write_csv(f, d / "visits.csv", "gb18030", sep=";"),
    "csv_utf16": lambda f, d: _write_csv(f, d / "visits.csv", "utf-16"),
    "tsv_crlf": lambda f, d: _write_csv(f, d / "visits.tsv", sep="\t", newline="\r\n"),
    "parquet": lambda f, d: _parquet(f, d / "visits.parquet"),
    "xlsx": lambda f, d: _write_xlsx(f, d / "visits.xlsx"),
    "xlsx_title_rows": lambda f, d: _write_xlsx(
        f, d / "visits.xlsx", [["Visit export 访客导出"], [None], ["Generated 2026-03-09", None, "by QMS"]]
    ),
}


def _parquet(frame: pd.DataFrame, path: Path) -> Path:
    typed = frame.replace("", None)
    for c in typed.columns:
        if c.endswith("_at"):
            typed[c] = pd.to_datetime(typed[c])
        elif c.endswith("_score"):
            typed[c] = pd.to_numeric(typed[c]).astype("Int64")
    typed["abandoned"] = typed["abandoned"] == "true"
    typed.to_parquet(path)
    return path


@pytest.mark.parametrize("shape", GOOD_FILES)
def test_good_file_of_every_shape_loads_the_same_rows(fixture_db, tmp_path, shape):
    frame = _new_visits(tmp_path)
    path = GOOD_FILES[shape](frame, tmp_path)
    [report] = load_files(fixture_db, [path], "tester")
    assert report.status == "loaded", report.message
    assert (report.rows_loaded, report.rows_rejected, report.rows_replaced) == (13, 0, 0)
    cur = fixture_db.cursor()
    fresh = cur.execute("select * exclude (visit_id, load_id) from visits where visit_id like 'W%' order by visit_id").df()
    fixture = cur.execute("select * exclude (visit_id, load_id) from visits where visit_id like 'V%' order by visit_id").df()
    pd.testing.assert_frame_equal(fresh, fixture)  # every value, comments in Chinese too
    assert fixture_db.scalar("select exit_comment from visits where visit_id = 'W02'") == "排队太久了"


def test_encodings_and_delimiters_are_detected(tmp_path):
    frame = _new_visits(tmp_path)
    cases = {
        "csv_bom_crlf": ("utf-8-sig", ","), "csv_gbk": ("gb18030", ","),
        "csv_gb18030_semicolon": ("gb18030", ";"), "tsv_crlf": ("utf-8", "\t"), "csv_utf16": ("utf-16", ","),
    }
    for shape, (encoding, delimiter) in cases.items():
        folder = tmp_path / shape
        folder.mkdir()
        preview = preview_file(GOOD_FILES[shape](frame, folder), rows=3)
        assert (preview.encoding, preview.delimiter) == (encoding, delimiter), shape
        assert list(preview.rows["visit_id"]) == ["W01", "W02", "W03"]


def test_chinese_gbk_text_after_the_first_64_kb_is_still_detected(fixture_db, tmp_path):
    header, *rows = VISITS.read_text(encoding="utf-8").splitlines()
    plain = [rows[0].replace("V01", f"G{i:05d}") for i in range(1500)]  # ASCII only, > 64 KB
    late = rows[1].replace("V02", "G99999")  # 排队太久了
    path = tmp_path / "late_gbk.csv"
    path.write_bytes("\n".join([header, *plain, late, ""]).encode("gbk"))
    [report] = load_files(fixture_db, [path], "tester")
    assert (report.status, report.encoding, report.rows_loaded) == ("loaded", "gb18030", 1501)
    assert fixture_db.scalar("select exit_comment from visits where visit_id = 'G99999'") == "排队太久了"


def test_preview_shows_first_rows_types_and_the_header_below_title_rows(tmp_path):
    path = _write_xlsx(_new_visits(tmp_path), tmp_path / "v.xlsx", [["Visit export"], [None]])
    preview = preview_file(path, rows=5)
    assert preview.file_format == "excel"
    assert preview.header_row == 3
    assert list(preview.rows["row"]) == [4, 5, 6, 7, 8]  # sheet rows, header = row 3
    assert preview.types["arrived_at"] == "date-time"
    assert preview.types["peak_score"] == "integer"
    assert preview.types["abandoned"] == "boolean"
    assert preview.types["exit_comment"] == "text"
    assert preview.kind == "visits" and preview.missing_columns == []


def test_csv_title_rows_are_skipped_and_rows_numbered_as_in_the_file(fixture_db, tmp_path):
    path = copy(SAMPLES / "good_title_rows.csv", tmp_path)
    report = validate_file(fixture_db, path)
    assert report.ok and report.header_row == 3 and report.rows_ok == 2
    [loaded] = load_files(fixture_db, [path], "tester")
    assert loaded.rows_loaded == 2
    assert fixture_db.scalar("select exit_comment from visits where visit_id = 'T01'") == "Quick, friendly"


def test_preview_of_a_halls_file_names_its_kind(tmp_path):
    preview = preview_file(FIXTURE / "halls.csv")
    assert preview.kind == "halls"
    assert preview.types["latitude"] == "number" and preview.types["opens_at"] == "time"


# -- bad files: refused whole -------------------------------------------------------------
def _refused(db, path: Path) -> str:
    before = snapshot(db)
    [report] = load_files(db, [path], "tester")
    assert report.status == "refused"
    assert snapshot(db) == before  # nothing else changed
    assert not (path.parent / (path.name + ".rejects.csv")).exists()
    dry = validate_file(db, path)
    assert dry.status == "refused" and dry.message == report.message
    assert path.name in report.message
    return report.message


def test_missing_required_columns_are_named_with_what_was_found(fixture_db, tmp_path):
    message = _refused(fixture_db, copy(SAMPLES / "bad_missing_columns.csv", tmp_path))
    assert "hall_id, arrived_at are missing" in message
    assert "Found: visit_id, hall, arrival, purpose, peak_score" in message


def test_zero_byte_file_is_refused(fixture_db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "empty (0 bytes)" in _refused(fixture_db, path)


def test_header_only_file_is_refused(fixture_db, tmp_path):
    assert "a header but no data rows" in _refused(fixture_db, copy(SAMPLES / "bad_header_only.csv", tmp_path))


def test_file_of_blank_lines_is_refused(fixture_db, tmp_path):
    assert "no text" in _refused(fixture_db, copy(SAMPLES / "bad_blank_lines_only.csv", tmp_path))


def test_undecodable_bytes_are_refused_naming_the_line(fixture_db, tmp_path):
    text = VISITS.read_text(encoding="utf-8").replace("Fast and polite", "Café très poli")
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    message = _refused(fixture_db, path)
    assert "line 2 has bytes that are neither UTF-8 nor GB18030" in message


def test_undecodable_bytes_late_in_a_large_file_are_found(fixture_db, tmp_path):
    header, *rows = VISITS.read_text(encoding="utf-8").splitlines()
    good = [rows[0].replace("V01", f"B{i:05d}") for i in range(3000)]  # past the 64 KB sample
    path = tmp_path / "late.csv"
    body = "\n".join([header, *good]).encode() + b"\nB99999,H1,2026-03-02 09:00:00,bill\xff\xfe,,,,,,,,,,,,\n"
    path.write_bytes(body)
    assert "line 3002" in _refused(fixture_db, path)


def test_binary_files_and_unknown_types_are_refused(fixture_db, tmp_path):
    xlsx_as_csv = _write_xlsx(_new_visits(tmp_path), tmp_path / "book.xlsx")
    assert ".xlsx" in _refused(fixture_db, copy(xlsx_as_csv, tmp_path, "book.csv"))
    json_file = tmp_path / "visits.json"
    json_file.write_text("[]")
    assert "unknown file type .json" in _refused(fixture_db, json_file)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert "not a readable .xlsx" in _refused(fixture_db, broken)
    broken_parquet = tmp_path / "broken.parquet"
    broken_parquet.write_bytes(b"PAR1 garbage")
    assert "not a readable Parquet" in _refused(fixture_db, broken_parquet)


def test_a_needed_column_named_twice_is_refused(fixture_db, tmp_path):
    assert "names hall_id more than once" in _refused(fixture_db, copy(SAMPLES / "bad_repeated_header.csv", tmp_path))


def test_a_missing_file_is_refused(fixture_db, tmp_path):
    assert "no such file" in _refused(fixture_db, tmp_path / "nowhere.csv")


# -- bad rows: rejected one by one, the good rows load ------------------------------------
def _problems(report) -> set[tuple[int, str, str]]:
    return {(r.row, r.column, r.reason) for r in report.rejects.itertuples()}


def test_bad_values_are_rejected_by_row_column_and_reason(fixture_db, tmp_path):
    path = copy(SAMPLES / "bad_values.csv", tmp_path)
    before = snapshot(fixture_db)
    [report] = load_files(fixture_db, [path], "tester")
    assert report.status == "loaded"
    problems = _problems(report)
    expected = {
        (3, "arrived_at", "is not a date and time (expected e.g. 2026-03-02 09:15:00)"),
        (4, "peak_score", "is not a whole number from 1 to 5"),
        (5, "peak_score", "is not a whole number from 1 to 5"),  # 7
        (5, "exit_score", "is not a whole number from 1 to 5"),  # 0
        (5, "overall_score", "is not a whole number from 0 to 10"),  # 11
        (6, "called_at", "was called before it arrived (called_at is earlier than arrived_at)"),
        (6, "service_ended_at", "service ends before it starts (service_ended_at is earlier than service_started_at)"),
        (6, "left_at", "left before it arrived (left_at is earlier than arrived_at)"),
        (7, "hall_id", "is not a known hall (add it with a halls file first)"),
        (8, "abandoned", "is not true or false (write true/false, 1/0 or yes/no)"),
        (8, "peak_score", "is not a whole number from 1 to 5"),  # 4.5
        (9, "arrived_at", "has a date but no time of day"),
        (10, "purpose", "is empty but required"),
        (10, "abandoned", "is marked abandoned but has a called_at time (an abandoned visit was never called)"),
        (11, "visit_id", "is empty but required"),
    }
    assert problems == expected
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (11, 2, 9)
    values = {(r.row, r.column): r.value for r in report.rejects.itertuples()}
    assert values[(3, "arrived_at")] == "yesterday"
    assert values[(7, "hall_id")] == "H9"
    assert values[(6, "called_at")] == "2026-03-09 09:50:00 (arrived_at 2026-03-09 10:00:00)"
    assert set(report.rejects["file"]) == {"bad_values.csv"}
    # the good rows went in, the bad ones did not
    cur = fixture_db.cursor()
    assert sorted(r[0] for r in cur.execute("select visit_id from visits where visit_id like 'N%'").fetchall()) == ["N01", "N10"]
    assert fixture_db.scalar("select abandoned from visits where visit_id = 'N10'") is True  # not called, left
    # the rejects are stored with the load and written beside the file
    stored = cur.execute(
        "select row_number, column_name, reason from rejects where load_id = ?", [report.load_id]
    ).fetchall()
    assert set(stored) == expected
    written = pd.read_csv(report.rejects_csv, dtype=str, encoding="utf-8-sig")
    assert list(written.columns[:4]) == ["reject_row", "reject_column", "reject_reason", "reject_value"]
    assert list(written["reject_row"]) == ["3", "4", "5", "6", "7", "8", "9", "10", "11"]
    assert written.loc[0, "arrived_at"] == "yesterday" and written.loc[0, "visit_id"] == "N02"
    assert written.loc[2, "reject_column"] == "exit_score; overall_score; peak_score"
    # nothing changed but the load itself
    after = snapshot(fixture_db)
    for table in ("halls", "purposes", "targets", "halls_replaced", "visits_replaced", "mapping_presets"):
        assert after[table] == before[table], table


def test_a_dry_run_groups_rejects_by_reason_and_writes_nothing(fixture_db, tmp_path):
    path = copy(SAMPLES / "bad_values.csv", tmp_path)
    before = snapshot(fixture_db)
    report = validate_file(fixture_db, path)
    assert snapshot(fixture_db) == before
    assert not (tmp_path / "bad_values.csv.rejects.csv").exists()
    assert (report.rows_ok, report.rows_rejected) == (2, 9)
    scores = report.reasons[(report.reasons["reason"] == "is not a whole number from 1 to 5") & (report.reasons["column"] == "peak_score")].iloc[0]
    assert scores["rows"] == 3
    assert [e["row"] for e in scores["examples"]] == [4, 5, 8]
    assert [e["value"] for e in scores["examples"]] == ["five", "7", "4.5"]
    assert "would be rejected" in report.summary()


def test_duplicate_ids_in_a_file_keep_the_first_and_reject_the_rest(fixture_db, tmp_path):
    [report] = load_files(fixture_db, [copy(SAMPLES / "bad_duplicates.csv", tmp_path)], "tester")
    assert _problems(report) == {
        (4, "visit_id", "repeats an id that an earlier row of this file has"),
        (5, "visit_id", "repeats an id that an earlier row of this file has"),
    }
    assert set(report.rejects["value"]) == {"D01 (first at row 2)"}
    assert fixture_db.scalar("select peak_score from visits where visit_id = 'D01'") == 5
    written = pd.read_csv(report.rejects_csv, dtype=str, encoding="utf-8-sig")
    assert list(written["reject_row"]) == ["4", "5"]
    assert list(written["hall_id"]) == ["H1", "H2"] and list(written["peak_score"]) == ["3", "2"]


def test_rows_that_cannot_be_split_are_rejected_and_rows_keep_their_line(fixture_db, tmp_path):
    [report] = load_files(fixture_db, [copy(SAMPLES / "bad_ragged.csv", tmp_path)], "tester")
    assert {(r.row, r.reason) for r in report.rejects.itertuples()} == {
        (4, "the row has fewer values than the header has columns"),
        (5, "the row has more values than the header has columns"),
    }
    assert report.rows_loaded == 2
    # R04 is on line 6 (line 3 is blank): a later bad value there is reported on line 6
    text = (tmp_path / "bad_ragged.csv").read_text().replace(",5,4,,9,consumer\n", ",9,4,,9,consumer\n")
    (tmp_path / "again.csv").write_text(text)
    dry = validate_file(fixture_db, tmp_path / "again.csv")
    assert {(r.row, r.column) for r in dry.rejects.itertuples()} >= {(2, "peak_score"), (6, "peak_score")}


def test_excel_rows_are_numbered_as_the_sheet_shows_them(fixture_db, tmp_path):
    frame = _new_visits(tmp_path)
    frame.loc[1, "peak_score"] = "9"
    path = _write_xlsx(frame, tmp_path / "v.xlsx", [["Visits, March"], [None]])
    [report] = load_files(fixture_db, [path], "tester")
    assert _problems(report) == {(5, "peak_score", "is not a whole number from 1 to 5")}
    assert report.rows_loaded == 12


def test_row_numbers_hold_in_a_file_read_in_parallel(fixture_db, tmp_path):
    """DuckDB reads a file over 32 MB in parallel pieces and a query with joins may put
    rows out of order, so a row's number must come from the file, not from where the row
    ends up. Long comments make the file large with few rows, to keep this quick."""
    import duckdb

    path = tmp_path / "big.csv"
    con = duckdb.connect()
    con.execute(
        f"""copy (select 'P' || i as visit_id, 'H' || (i % 3 + 1) as hall_id,
                   strftime(timestamp '2026-03-02 09:00:00' + to_seconds(i), '%Y-%m-%d %H:%M:%S') as arrived_at,
                   'bill_payment' as purpose, (i % 5 + 1)::varchar as peak_score,
                   repeat('long comment ', 40) as exit_comment
                 from range(160000) as t(i)) to '{path}' (header)"""
    )
    con.close()
    lines = path.read_text(encoding="utf-8").split("\n")
    assert path.stat().st_size > 80_000_000
    fields = lines[23455].split(",")  # line 23456
    fields[4] = "9"  # peak_score
    lines[23455] = ",".join(fields)
    lines[150000] = lines[150000].replace(",H", ",X", 1)  # line 150001: an unknown hall
    lines.insert(100000, "")  # line 100001 is blank: later rows move down one line
    path.write_text("\n".join(lines), encoding="utf-8")
    report = validate_file(fixture_db, path)
    assert {(r.row, r.column) for r in report.rejects.itertuples()} == {(23456, "peak_score"), (150002, "hall_id")}
    assert report.rows_ok == 159998
