"""A generator of bad and awkward input files (issue 22), one `Case` per kind, each with
what loading it must do: the message, the counts, the rows rejected (row, reason) and the
visits stored afterwards, exactly.

The rows are the same small set every time: visits B0001..Bnnnn of hall H1 on 2026-03-02
(inside the fixture's data), so the visits a load must store are known row by row.
`tests/test_ingest_battery.py` runs every case; `python tests/bad_files.py DIR` writes
them out for trying by hand (the CLI, the Data page).
"""

from __future__ import annotations

import codecs
import gzip
import io
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too
from peakend.warehouse.ingest import records  # noqa: E402
from peakend.warehouse.ingest.sqlgen import EXCEL_SERIAL_REASON, NOT_A_TIMESTAMP  # noqa: E402
from peakend.warehouse.ingest.validate import HEADER_AGAIN  # noqa: E402
from peakend.warehouse.ingest.sqlgen import UNKNOWN_ZONE  # noqa: E402

HEADER = ["visit_id", "hall_id", "arrived_at", "purpose", "called_at", "left_at", "exit_score", "exit_comment"]
START = datetime(2026, 3, 2, 9, 0, 0)


def visit(i: int, **changes) -> dict:
    """Good visit number i: arrives i minutes after 09:00, waits 4 minutes, stays 10."""
    arrived = START + timedelta(minutes=i)
    row = {
        "visit_id": f"B{i:04d}", "hall_id": "H1", "arrived_at": f"{arrived:%Y-%m-%d %H:%M:%S}",
        "purpose": "bill_payment", "called_at": f"{arrived + timedelta(minutes=4):%Y-%m-%d %H:%M:%S}",
        "left_at": f"{arrived + timedelta(minutes=10):%Y-%m-%d %H:%M:%S}",
        "exit_score": str(i % 5 + 1), "exit_comment": f"comment {i}",
    }
    row.update(changes)
    return row


def line(row: dict, sep: str = ",") -> str:
    return sep.join(row.get(c, "") for c in HEADER)


def csv_text(rows: list[dict], sep: str = ",", eol: str = "\n", header: list[str] | None = None) -> str:
    return eol.join([sep.join(header or HEADER), *(line(r, sep) for r in rows)]) + eol


def stored(row: dict) -> tuple:
    """A visit as the load must store it (compared with the database's row)."""
    def stamp(text):
        if not text:
            return None
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S")
    score = int(row["exit_score"]) if row.get("exit_score") else None
    return (row["visit_id"], row["hall_id"], stamp(row["arrived_at"]), row["purpose"],
            stamp(row.get("called_at")), stamp(row.get("left_at")), score, row.get("exit_comment") or None)


@dataclass
class Case:
    name: str
    file: str  # the file's name
    data: bytes | None = None  # the file's bytes (or build() for a workbook)
    build: object = None  # callable(path) that writes the file, for workbooks
    status: str = "loaded"  # loaded | refused
    message: list[str] = field(default_factory=list)  # substrings of the report's text
    rejected: set[tuple[int, str]] = field(default_factory=set)  # (row, reason)
    visits: list[dict] = field(default_factory=list)  # the visits stored, as visit() dicts
    options: dict = field(default_factory=dict)  # sheet=, strict=
    settings: dict = field(default_factory=dict)  # load settings stored first (ingest.settings names)
    halls: bytes | None = None  # a halls CSV loaded first (e.g. halls with their own time zone)
    loaded: int | None = None  # rows loaded, when not visits (else len(visits))
    dry_message: list[str] = field(default_factory=list)  # substrings of the dry run's summary

    def write(self, folder: Path) -> Path:
        path = folder / self.file
        if self.build is not None:
            self.build(path)
        else:
            path.write_bytes(self.data)
        return path


def _book(sheets: dict[str, list[list]], path: Path) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for r in rows:
            ws.append(r)
    book.save(path)


def _sheet_rows(rows: list[dict]) -> list[list]:
    out = [list(HEADER)]
    for r in rows:
        out.append([
            r["visit_id"], r["hall_id"], datetime.strptime(r["arrived_at"], "%Y-%m-%d %H:%M:%S"), r["purpose"],
            datetime.strptime(r["called_at"], "%Y-%m-%d %H:%M:%S"), datetime.strptime(r["left_at"], "%Y-%m-%d %H:%M:%S"),
            float(r["exit_score"]), r["exit_comment"],
        ])
    return out


def _declared_huge(data: bytes) -> bytes:
    """A zip of one small CSV whose headers say it unpacks to 4 GB (as a zip bomb's do)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("visits.csv", data)
    raw = bytearray(buf.getvalue())
    huge = (0xFFFFFFF0).to_bytes(4, "little")
    local = raw.find(b"PK\x03\x04")
    raw[local + 22 : local + 26] = huge  # the local header's uncompressed size
    central = raw.find(b"PK\x01\x02")
    raw[central + 24 : central + 28] = huge  # the central directory's
    return bytes(raw)


def _zeros_gzip(mb: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as z:
        for _ in range(mb):
            z.write(bytes(1 << 20))
    return out.getvalue()


def cases() -> list[Case]:
    good = [visit(i) for i in range(1, 6)]
    out: list[Case] = []

    # -- one bad line never sinks a file --------------------------------------------------
    many = [visit(i) for i in range(1, 2001)]
    text = csv_text(many).splitlines()
    text[1501] = text[1501].replace("comment 1501", '"comment 1501 never closed')  # file row 1,502
    out.append(Case(
        "an unclosed quote on row 1,502 of 2,001", "unclosed.csv", ("\n".join(text) + "\n").encode(),
        message=["1,999 rows visits loaded, 1 rejected", "row 1502, (whole row): a quoted value is not closed"], rejected={(1502, records.UNCLOSED)},
        visits=[v for v in many if v["visit_id"] != "B1501"],
    ))
    long = [visit(i) for i in range(1, 31)]
    long[15]["exit_comment"] = "x" * (records.MAX_RECORD + 10)
    out.append(Case(
        "a 2 MB comment on row 17", "long_field.csv", csv_text(long).encode(),
        rejected={(17, records.TOO_LONG)}, visits=long[:15] + long[16:], message=["29 rows visits loaded, 1 rejected", "… (2,031 characters)"],
    ))
    nul = [visit(i) for i in range(1, 6)]
    nul[2]["exit_comment"] = "consu\x00mer"
    out.append(Case("a NUL byte in the first 64 KB", "nul_early.csv", csv_text(nul).encode(),
                    rejected={(4, records.NUL)}, visits=nul[:2] + nul[3:]))
    late = [visit(i, exit_comment=f"padding {'p' * 200} {i}") for i in range(1, 401)]
    late[380]["exit_comment"] = "consu\x00mer"
    out.append(Case("a NUL byte after 64 KB (was stored)", "nul_late.csv", csv_text(late).encode(),
                    rejected={(382, records.NUL)}, visits=late[:380] + late[381:]))
    ragged = csv_text(good).splitlines()
    ragged[2] = ragged[2] + ",extra"
    ragged[4] = ",".join(ragged[4].split(",")[:5])
    out.append(Case("a row with a value too many and one with too few", "ragged.csv",
                    ("\n".join(ragged) + "\n").encode(),
                    rejected={(3, records.MORE), (5, records.FEWER)}, visits=[good[0], good[2], good[4]]))
    mixed = csv_text([visit(i) for i in range(1, 10)]).splitlines()
    body = mixed[0] + "\r\n" + "".join(r + ("\n", "\r\n", "\r")[i % 3] for i, r in enumerate(mixed[1:]))
    out.append(Case("mixed CR, LF and CRLF line endings", "mixed_eol.csv", body.encode(),
                    visits=[visit(i) for i in range(1, 10)], message=["line endings are mixed"]))
    out.append(Case("CRLF line endings", "crlf.csv", csv_text(good, eol="\r\n").encode(), visits=good))

    # rows count as a spreadsheet shows them: a quoted value over lines (with a blank line
    # inside) is one row, and the bad value after it is on the row a spreadsheet shows
    spanning = [visit(1, exit_comment="first line\n\nthird line"), visit(2), visit(3, exit_score="9"), visit(4)]
    rows = csv_text(spanning).replace("first line\n\nthird line", '"first line\n\nthird line"')
    out.append(Case("a quoted value over three lines, a blank one inside", "multiline.csv", rows.encode(),
                    rejected={(4, "is not a whole number from 1 to 5")},
                    visits=[spanning[0], spanning[1], spanning[3]],
                    message=["row 2 is lines 2-4 of the file"]))
    blank = csv_text(good).replace(line(good[1]) + "\n", line(good[1]) + "\n\n")
    blank = blank.replace(line(good[3]), line(visit(4, exit_score="0")))
    out.append(Case("a blank line between rows", "blank_line.csv", blank.encode(),
                    rejected={(6, "is not a whole number from 1 to 5")}, visits=good[:3] + good[4:]))

    # -- compressed ---------------------------------------------------------------------
    plain = csv_text(good).encode()
    out.append(Case("a gzip file named .csv", "gzipped.csv", gzip.compress(plain), visits=good,
                    message=["gzipped.csv is gzip-compressed"]))
    out.append(Case("a .csv.gz", "visits.csv.gz", gzip.compress(plain), visits=good,
                    message=["read visits.csv from it"]))
    one = io.BytesIO()
    with zipfile.ZipFile(one, "w") as z:
        z.writestr("export/visits.csv", plain)
    out.append(Case("a .zip holding one CSV", "visits.zip", one.getvalue(), visits=good,
                    message=["visits.zip is a zip archive: read visits.csv from it"]))
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as z:
        z.writestr("a.csv", plain)
        z.writestr("b.csv", plain)
    out.append(Case("a .zip holding two CSVs", "two.zip", two.getvalue(), status="refused",
                    message=["two.zip: is a zip archive holding 2 CSV/TSV files (a.csv, b.csv)"]))
    out.append(Case("a damaged .gz", "cut.csv.gz", gzip.compress(plain * 50)[:60], status="refused",
                    message=["cut.csv.gz: is gzip-compressed but could not be unpacked"]))
    # zip bombs and archives in archives: refused before (or while) unpacking, never whole
    out.append(Case("a zip that says it unpacks to 4 GB", "bomb.zip", _declared_huge(plain), status="refused",
                    message=["bomb.zip: unpacks to more than 2 GB (it says 4 GB), over the limit for a compressed file set on the Data page"]))
    out.append(Case("a gzip of 64 MB of zeros over a 10 MB limit", "zeros.csv.gz", _zeros_gzip(64), status="refused",
                    settings={"max_unpacked_gb": 0.01},
                    message=["zeros.csv.gz: unpacks to more than 10.2 MB, over the limit for a compressed file set on the Data page"]))
    zeros_zip = io.BytesIO()
    with zipfile.ZipFile(zeros_zip, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("zeros.csv", "w") as member:
            for _ in range(64):
                member.write(bytes(1 << 20))
    out.append(Case("a zip of 64 MB of zeros over a 10 MB limit", "zeros.zip", zeros_zip.getvalue(), status="refused",
                    settings={"max_unpacked_gb": 0.01},
                    message=["zeros.zip: unpacks to more than 10.2 MB (it says 64 MB)"]))
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as z:
        z.writestr("visits.csv.gz", gzip.compress(plain))
    out.append(Case("a zip holding a .gz", "nested.zip", nested.getvalue(), status="refused",
                    message=["nested.zip: holds another archive (visits.csv.gz)"]))
    out.append(Case("a gzip of a gzip", "twice.csv.gz", gzip.compress(gzip.compress(plain)), status="refused",
                    message=["twice.csv.gz: holds another archive (twice.csv, itself compressed)"]))
    extra = io.BytesIO()
    with zipfile.ZipFile(extra, "w") as z:
        z.writestr("visits.csv", plain)
        z.writestr("logo.png", b"\x89PNG\r\n")
    out.append(Case("a zip holding a CSV and a picture", "extra.zip", extra.getvalue(), status="refused",
                    message=["extra.zip: is a zip archive holding 2 files (visits.csv, logo.png)"]))
    out.append(Case("one endless line", "one_line.csv", b"a," * (records.MAX_RECORD // 2 + 40_000),
                    status="refused", message=["hold no line break, so this is not a table of rows"]))

    # -- time zones ---------------------------------------------------------------------
    zoned = [visit(1, arrived_at="2026-03-02T01:00:00+00:00", called_at="2026-03-02 09:04:00", left_at="2026-03-02 09:10:00"),
             visit(2, arrived_at="2026-03-02 02:01:00Z", called_at="2026-03-02 10:05:00", left_at="2026-03-02 10:11:00"),
             visit(3)]
    out.append(Case(
        "arrivals with a UTC offset or zone", "offsets.csv", csv_text(zoned).encode(),
        visits=[dict(zoned[0], arrived_at="2026-03-02 09:00:00"), dict(zoned[1], arrived_at="2026-03-02 10:01:00"), zoned[2]],
        message=["2 timestamp(s) carried a UTC offset or zone: converted to Asia/Shanghai"],
    ))
    out.append(Case(
        "an offset converted to a network zone set by the setting", "offsets_tokyo.csv",
        csv_text([visit(1, arrived_at="2026-03-02 00:01:00+00:00")]).encode(),
        visits=[visit(1)], settings={"time_zone": "Asia/Tokyo"},
        message=["converted to Asia/Tokyo"], dry_message=["1 timestamp(s) carried a UTC offset or zone: converted to Asia/Tokyo"],
    ))
    # halls with a time zone of their own: an offset converts to the visit's hall's zone,
    # a naive time stays as it is (it is the hall's local time already)
    zoned_halls = (
        "hall_id,hall_name,region,city,time_zone\n"
        "HT,Tokyo Hall,East,Tokyo,Asia/Tokyo\n"
        "HL,London Hall,West,London,europe/london\n"
        "HN,Network Hall,East,Shanghai,\n"
    ).encode()
    by_hall = [visit(1, hall_id="HT", arrived_at="2026-03-02 00:01:00+00:00"),   # Tokyo +9: 09:01
               visit(2, hall_id="HL", arrived_at="2026-03-02T09:02:00Z"),        # London in March +0
               visit(3, hall_id="HN", arrived_at="2026-03-02 01:03:00+00:00"),   # the network's +8
               visit(4, hall_id="HT", arrived_at="2026-03-02 10:04:00+01:00",    # Tokyo: 18:04
                     called_at="2026-03-02 18:08:00", left_at="2026-03-02 18:14:00"),
               visit(5, hall_id="HT")]                                           # naive: kept
    out.append(Case(
        "offsets converted to each hall's own time zone", "offsets_by_hall.csv", csv_text(by_hall).encode(),
        halls=zoned_halls,
        visits=[dict(by_hall[0], arrived_at="2026-03-02 09:01:00"), dict(by_hall[1], arrived_at="2026-03-02 09:02:00"),
                dict(by_hall[2], arrived_at="2026-03-02 09:03:00"),
                dict(by_hall[3], arrived_at="2026-03-02 18:04:00"),
                by_hall[4]],
        message=["4 timestamp(s) carried a UTC offset or zone: converted to Asia/Tokyo 2, Asia/Shanghai 1, Europe/London 1"],
        dry_message=["4 timestamp(s) carried a UTC offset or zone: converted to Asia/Tokyo 2, Asia/Shanghai 1, Europe/London 1"],
    ))
    out.append(Case(
        "a halls file with an unknown time zone", "halls_zones.csv",
        b"hall_id,hall_name,region,city,time_zone\nHT,Tokyo Hall,East,Tokyo,Asia/Tokyo\nHM,Mars Hall,East,Tokyo,Mars/Olympus\n",
        loaded=1, rejected={(3, UNKNOWN_ZONE)},
        message=["halls_zones.csv row 3, time_zone: is not a time zone name (write an IANA name like Asia/Shanghai"],
    ))

    # -- plausibility -------------------------------------------------------------------
    odd = [visit(1), visit(2, arrived_at="1900-01-01 09:00:00", called_at="1900-01-01 09:04:00", left_at="1900-01-01 09:10:00"),
           visit(3, arrived_at="2099-01-01 09:00:00", called_at="2099-01-01 09:04:00", left_at="2099-01-01 09:10:00"),
           visit(4, called_at="2026-03-02 22:30:00", left_at="2026-03-02 22:31:00"),
           visit(5, visit_id="B" + "9" * 10_000),
           visit(6, purpose="<script>alert('p')</script>"), visit(7)]
    out.append(Case(
        "arrivals in 1900 and 2099, a 13-hour wait, a 10,001-character id, a script as purpose",
        "implausible.csv", csv_text(odd).encode(),
        rejected={(3, "is more than 366 days before the hall's first day of data (the limit set on the Data page)"),
                  (4, "is in the future (more than 1 day after now, the limit set on the Data page)"),
                  (5, "makes a wait longer than 12 hours (the limit set on the Data page)"),
                  (5, "makes a visit longer than 12 hours (the limit set on the Data page)"),
                  (6, "is longer than 64 characters (an id or code is at most 64, the limit set on the Data page)"),
                  (7, "is a new purpose code that is not a plain identifier (letters, digits, _ . - only)")},
        visits=[odd[0], odd[6]],
    ))
    out.append(Case(
        "a 13-hour wait with the limit set to 14 hours", "long_wait.csv",
        csv_text([visit(4, called_at="2026-03-02 22:30:00", left_at="2026-03-02 22:31:00")]).encode(),
        visits=[visit(4, called_at="2026-03-02 22:30:00", left_at="2026-03-02 22:31:00")],
        settings={"max_duration_hours": 14},
    ))
    out.append(Case(
        "a 3-hour wait with the limit set to 2 hours", "limit_2h.csv",
        csv_text([visit(1), visit(2, called_at="2026-03-02 12:02:00", left_at="2026-03-02 12:03:00")]).encode(),
        settings={"max_duration_hours": 2}, visits=[visit(1)],
        rejected={(3, "makes a wait longer than 2 hours (the limit set on the Data page)"),
                  (3, "makes a visit longer than 2 hours (the limit set on the Data page)")},
        message=["row 3, called_at: makes a wait longer than 2 hours (the limit set on the Data page)"],
    ))
    out.append(Case(
        "a 13-character visit_id with the id limit set to 12", "limit_id.csv",
        csv_text([visit(1), visit(2, visit_id="B000000000002")]).encode(),
        settings={"max_id_length": 12}, visits=[visit(1)],
        rejected={(3, "is longer than 12 characters (an id or code is at most 12, the limit set on the Data page)")},
    ))
    out.append(Case(
        "an arrival 40 days before the hall's first day with the limit set to 30 days", "limit_past.csv",
        csv_text([visit(1), visit(2, arrived_at="2026-01-21 09:02:00", called_at="2026-01-21 09:06:00",
                                   left_at="2026-01-21 09:12:00")]).encode(),
        settings={"past_days": 30}, visits=[visit(1)],
        rejected={(3, "is more than 30 days before the hall's first day of data (the limit set on the Data page)")},
    ))

    # -- nothing ignored without a word ---------------------------------------------------
    header = HEADER[:6] + ["exit_scores", "exit_comment", "overal_score", "notes"]
    rows = [",".join([line(v).rsplit(",", 2)[0], v["exit_score"], v["exit_comment"], "9", "x"]) for v in good]
    misspelt = ",".join(header) + "\n" + "\n".join(rows) + "\n"
    out.append(Case(
        "misspelt and extra columns", "misspelt.csv", misspelt.encode(),
        visits=[dict(v, exit_score="") for v in good],
        message=["3 column(s) not in the contract, not loaded: exit_scores -> exit_score?, overal_score -> overall_score?, notes"],
    ))
    out.append(Case(
        "misspelt columns with --strict", "misspelt_strict.csv", misspelt.encode(), status="refused",
        options={"strict": True},
        message=["misspelt_strict.csv: has columns that the load would not read: exit_scores -> exit_score?"],
    ))

    # -- workbooks ------------------------------------------------------------------------
    second = [visit(i) for i in range(11, 21)]
    out.append(Case(
        "a README sheet first, the data on the second", "readme_first.xlsx",
        build=lambda p: _book({"README": [["This export holds the visits of March"], ["see sheet 2"]],
                               "visits": _sheet_rows(good)}, p),
        visits=good, message=["the workbook has 2 sheets (README, visits): read 'visits'"],
    ))
    two_sheets = {"week 1": _sheet_rows(good), "week 2": _sheet_rows(second)}
    out.append(Case(
        "data on two sheets", "two_sheets.xlsx", build=lambda p: _book(two_sheets, p), visits=good,
        message=["sheet 'week 2' also has the contract's columns and was not read"],
    ))
    out.append(Case(
        "data on two sheets, the second picked", "two_sheets_pick.xlsx", build=lambda p: _book(two_sheets, p),
        visits=second, options={"sheet": "week 2"},
        message=["sheet 'week 1' also has the contract's columns and was not read"],
    ))

    def formula_book(path: Path) -> None:
        rows = _sheet_rows(good)
        rows[2][6] = "=2+2"  # openpyxl saves the formula without a value, as a script would
        _book({"visits": rows}, path)

    out.append(Case(
        "a formula cell without a saved value", "formula.xlsx", build=formula_book,
        visits=[dict(v, exit_score="") if v["visit_id"] == "B0002" else v for v in good],
        message=["1 formula cell(s) on sheet 'visits' have no saved value (G3)"],
    ))
    out.append(Case(
        "Excel title rows above the header", "titles.xlsx",
        build=lambda p: _book({"visits": [["Visits, March"], [None], *_sheet_rows(good)]}, p), visits=good,
    ))

    # -- what already worked --------------------------------------------------------------
    chinese = [visit(i, exit_comment="排队太久了") for i in range(1, 4)]
    out.append(Case("GBK without a declaration", "gbk.csv", csv_text(chinese).encode("gbk"), visits=chinese))
    out.append(Case("UTF-16 with a BOM", "utf16.csv", csv_text(good).encode("utf-16"), visits=good))
    out.append(Case("UTF-8 with a BOM", "bom.csv", codecs.BOM_UTF8 + csv_text(good).encode(), visits=good))
    out.append(Case("a TSV", "visits.tsv", csv_text(good, sep="\t").encode(), visits=good))
    out.append(Case("semicolons", "semicolon.csv", csv_text(good, sep=";").encode(), visits=good))
    spaced = ["Visit ID", " Hall_ID ", "ARRIVED AT", "Purpose", "called-at", "left_at", "Exit Score", "exit_comment"]
    out.append(Case("header case and spaces", "header_case.csv", csv_text(good, header=spaced).encode(), visits=good))
    emoji = [visit(1, exit_comment="👍 فرحان جدا"), visit(2, exit_comment="😡 שירות איטי")]
    out.append(Case("emoji and right-to-left text", "emoji_rtl.csv", csv_text(emoji).encode(), visits=emoji))
    dupes = [visit(1), visit(2), visit(1, exit_score="1")]
    out.append(Case("a repeated visit_id", "dupes.csv", csv_text(dupes).encode(),
                    rejected={(4, "repeats an id that an earlier row of this file has")}, visits=dupes[:2]))
    bad = [visit(1), visit(2, exit_score="7"), visit(3, hall_id="H9"), visit(4, arrived_at="yesterday")]
    out.append(Case("bad values", "bad_values.csv", csv_text(bad).encode(),
                    rejected={(3, "is not a whole number from 1 to 5"),
                              (4, "is not a known hall (add it with a halls file first)"),
                              (5, "is not a date and time (expected e.g. 2026-03-02 09:15:00)")},
                    visits=[bad[0]]))
    out.append(Case("an empty file", "empty.csv", b"", status="refused", message=["the file is empty (0 bytes)"]))
    out.append(Case("a header and no rows", "header_only.csv", (",".join(HEADER) + "\n").encode(),
                    status="refused", message=["the file has a header but no data rows"]))
    out.append(Case("a PDF named .csv", "report.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 100,
                    status="refused", message=["this is a PDF document"]))
    out.append(Case("UTF-16 without a byte-order mark", "utf16_nobom.csv", csv_text(good).encode("utf-16-le"),
                    status="refused", message=["contains NUL bytes, so it is binary or UTF-16 text without a byte-order mark"]))
    out.append(Case("a required column missing", "no_purpose.csv",
                    csv_text(good, header=["visit_id", "hall_id", "arrived_at", "purposes", "called_at", "left_at", "exit_score", "exit_comment"]).encode(),
                    status="refused", message=["required visits column purpose is missing"]))
    out.extend(more_cases(good))
    return out


def _quoted(rows: list[dict]) -> str:
    return (
        "\n".join([",".join(f'"{h}"' for h in HEADER), *(",".join(f'"{r[c]}"' for c in HEADER) for r in rows)]) + "\n"
    )


def more_cases(good: list[dict]) -> list[Case]:
    """Kinds a real export holds besides the issue's first 51: awkward layouts, dates and
    times in other shapes, other encodings, rows that are not visits."""
    out: list[Case] = []
    empty = "is empty but required"
    score = "is not a whole number from 1 to 5"

    # -- the issue's own words, once more ---------------------------------------------------
    named = [
        visit(1, arrived_at="2026-03-02 01:01:00 UTC"),
        visit(2, arrived_at="2026-03-02 10:02:00 Asia/Tokyo"),
        visit(3, arrived_at="2026-03-02 01:03:00 GMT"),
        visit(4),
    ]
    out.append(
        Case(
            "arrivals with a zone name (UTC, GMT, Asia/Tokyo)",
            "zone_names.csv",
            csv_text(named).encode(),
            visits=[visit(1), visit(2), visit(3), visit(4)],
            message=["3 timestamp(s) carried a UTC offset or zone: converted to Asia/Shanghai"],
        )
    )
    huge = [visit(i) for i in range(1, 21)]
    huge[14]["exit_comment"] = "y" * (3 * 1024 * 1024)
    out.append(
        Case(
            "a 3 MB comment on row 16",
            "comment_3mb.csv",
            csv_text(huge).encode(),
            rejected={(16, records.TOO_LONG)},
            visits=huge[:14] + huge[15:],
            message=["19 rows visits loaded, 1 rejected", "row 16, (whole row): the line is too long"],
        )
    )

    # -- layouts ------------------------------------------------------------------------------
    trailing = "".join(row + ",\n" for row in csv_text(good).splitlines())
    out.append(
        Case(
            "a delimiter at the end of every line, the header's too",
            "trailing_comma.csv",
            trailing.encode(),
            visits=good,
            message=["1 column(s) not in the contract, not loaded: column_9"],
        )
    )
    body_only = ",".join(HEADER) + "\n" + "".join(line(r) + ",\n" for r in good)
    out.append(
        Case(
            "a delimiter at the end of every data line only", "trailing_comma_body.csv", body_only.encode(), visits=good
        )
    )
    again = csv_text(good[:2]) + csv_text(good[2:])
    out.append(
        Case(
            "the header repeated mid-file (two exports joined)",
            "header_again.csv",
            again.encode(),
            rejected={(4, HEADER_AGAIN)},
            visits=good,
            message=["row 4, (whole row): repeats the header row (two exports joined into one file?)"],
        )
    )
    halls_again = (
        b"hall_id,hall_name,region,city\nH7,Seven,East,Dalian\nhall_id,hall_name,region,city\nH8,Eight,East,Dalian\n"
    )
    out.append(
        Case(
            "a halls file with its header repeated (was loaded as a hall named hall_name)",
            "halls_again.csv",
            halls_again,
            loaded=2,
            rejected={(3, HEADER_AGAIN)},
        )
    )
    total = csv_text(good) + "Total,,,,,,15,\n"
    out.append(
        Case(
            "a summary row at the end",
            "total_row.csv",
            total.encode(),
            rejected={(7, empty), (7, score)},
            visits=good,
            message=["row 7, hall_id: is empty but required"],
        )
    )
    out.append(
        Case(
            "a row of only delimiters at the end",
            "delimiters_only.csv",
            (csv_text(good) + ",,,,,,,\n").encode(),
            rejected={(7, empty)},
            visits=good,
        )
    )
    out.append(Case("every value quoted", "quoted.csv", _quoted(good).encode(), visits=good))
    out.append(
        Case(
            "a UTF-8 BOM and semicolons",
            "bom_semicolon.csv",
            codecs.BOM_UTF8 + csv_text(good, sep=";").encode(),
            visits=good,
        )
    )
    out.append(Case("pipes as the delimiter", "pipes.csv", csv_text(good, sep="|").encode(), visits=good))
    out.append(
        Case("Excel's sep=; first line", "sep_line.csv", b"sep=;\n" + csv_text(good, sep=";").encode(), visits=good)
    )
    out.append(
        Case(
            "comment lines above the header",
            "comment_lines.csv",
            b"# visits of hall H1\n# exported 2026-03-03\n" + csv_text(good).encode(),
            visits=good,
        )
    )
    padded = [{k: f"  {v} " for k, v in good[0].items()}, good[1]]
    out.append(Case("spaces around every value", "spaces.csv", csv_text(padded).encode(), visits=good[:2]))
    out.append(
        Case(
            "a file of only spaces and blank lines",
            "whitespace.csv",
            b"  \n\n \t \n",
            status="refused",
            message=["whitespace.csv: the file has no text (only blank lines); nothing to load."],
        )
    )
    out.append(
        Case(
            "the same column twice in the header",
            "two_scores.csv",
            csv_text(good, header=[*HEADER[:6], "exit_score", "exit_score"]).encode(),
            status="refused",
            message=["the header names exit_score more than once, so it is unclear which column to load"],
        )
    )
    out.append(
        Case(
            "a halls file where visits were expected",
            "halls_not_visits.csv",
            b"hall_id,hall_name,region,city\nH7,Seven,East,Dalian\n",
            loaded=1,
            message=["1 row halls loaded, 0 rejected"],
        )
    )

    # -- dates and times in other shapes --------------------------------------------------------
    out.append(
        Case(
            "times without seconds",
            "no_seconds.csv",
            csv_text([visit(1, arrived_at="2026-03-02 09:01", called_at="2026-03-02 09:05"), visit(2)]).encode(),
            visits=[visit(1), visit(2)],
        )
    )
    out.append(
        Case(
            "ISO 8601 with the T separator",
            "iso_t.csv",
            csv_text([visit(1, arrived_at="2026-03-02T09:01:00", left_at="2026-03-02T09:11:00"), visit(2)]).encode(),
            visits=[visit(1), visit(2)],
        )
    )
    out.append(
        Case(
            "milliseconds and microseconds",
            "fractions.csv",
            csv_text(
                [visit(1, arrived_at="2026-03-02 09:01:00.250", called_at="2026-03-02 09:05:00.999999"), visit(2)]
            ).encode(),
            visits=[visit(1, arrived_at="2026-03-02 09:01:00.250", called_at="2026-03-02 09:05:00.999999"), visit(2)],
        )
    )
    out.append(
        Case(
            "slashes and Chinese dates",
            "slashes.csv",
            csv_text(
                [
                    visit(1, arrived_at="2026/03/02 09:01:00", called_at="2026/03/02 09:05"),
                    visit(2, arrived_at="2026年3月2日 09:02:00", called_at="2026年03月02日 09:06"),
                    visit(3),
                ]
            ).encode(),
            visits=[visit(1), visit(2), visit(3)],
        )
    )
    # DuckDB's cast reads "09:01 PM" as 09:01 and "12:05 AM" as noon: both were stored so
    clock12 = [
        visit(1, arrived_at="2026-03-02 09:01:00 AM", called_at="2026-03-02 9:05 AM", left_at="2026-03-02 09:11 AM"),
        visit(
            2, arrived_at="2026-03-02 01:02:00 PM", called_at="2026-03-02 01:06:00 PM", left_at="2026-03-02 01:12 PM"
        ),
        visit(3, arrived_at="2026-03-02 12:03:00 PM", called_at="2026-03-02 12:07:00 PM", left_at=""),
        visit(4, arrived_at="2026-03-02 21:04:00 PM", called_at="", left_at=""),
    ]
    out.append(
        Case(
            "a 12-hour clock with AM and PM (PM was dropped)",
            "am_pm.csv",
            csv_text(clock12).encode(),
            visits=[
                visit(1),
                visit(
                    2, arrived_at="2026-03-02 13:02:00", called_at="2026-03-02 13:06:00", left_at="2026-03-02 13:12:00"
                ),
                visit(3, arrived_at="2026-03-02 12:03:00", called_at="2026-03-02 12:07:00", left_at=""),
            ],
            rejected={(5, NOT_A_TIMESTAMP)},
        )
    )
    out.append(
        Case(
            "a zone abbreviation the loader can't know (was dropped)",
            "cst.csv",
            csv_text([visit(1, arrived_at="2026-03-02 09:01:00 CST"), visit(2)]).encode(),
            rejected={(2, NOT_A_TIMESTAMP)},
            visits=[visit(2)],
            message=[
                "row 2, arrived_at: is not a date and time (expected e.g. 2026-03-02 09:15:00) (value '2026-03-02 09:01:00 CST')"
            ],
        )
    )
    dayfirst = [visit(1, arrived_at="02/03/2026 09:01:00", called_at="02/03/2026 09:05:00", left_at=""), visit(2)]
    out.append(
        Case(
            "day-first dates (02/03/2026)",
            "day_first.csv",
            csv_text(dayfirst).encode(),
            rejected={(2, NOT_A_TIMESTAMP)},
            visits=[visit(2)],
            message=[
                "row 2, arrived_at: is not a date and time (expected e.g. 2026-03-02 09:15:00) (value '02/03/2026 09:01:00')"
            ],
        )
    )
    bare = [visit(1, arrived_at="2026-03-02", called_at="", left_at=""), visit(2)]
    out.append(
        Case(
            "a date without a time (was also counted as carrying an offset)",
            "date_only.csv",
            csv_text(bare).encode(),
            rejected={(2, "has a date but no time of day")},
            visits=[visit(2)],
        )
    )
    serial = [visit(1, arrived_at="46083.37569", called_at="", left_at=""), visit(2)]
    out.append(
        Case(
            "an Excel date serial in a CSV",
            "serial.csv",
            csv_text(serial).encode(),
            rejected={(2, EXCEL_SERIAL_REASON)},
            visits=[visit(2)],
            message=["row 2, arrived_at: is a number, not a date and time (an Excel date serial?"],
        )
    )

    def serial_book(path: Path) -> None:
        rows = _sheet_rows(good)
        rows[1][2] = 46083.37569  # arrived_at typed as a number: a date cell whose format was lost
        rows[1][4] = rows[1][5] = None
        _book({"visits": rows}, path)

    out.append(
        Case(
            "a workbook whose arrival is a number cell (a date serial)",
            "serial.xlsx",
            build=serial_book,
            rejected={(2, EXCEL_SERIAL_REASON)},
            visits=good[1:],
        )
    )

    def text_dates_book(path: Path) -> None:
        rows = _sheet_rows(good)
        for r in rows[1:]:
            r[2], r[4], r[5] = (f"{v:%Y-%m-%d %H:%M:%S}" for v in (r[2], r[4], r[5]))
            r[6] = int(r[6])
        _book({"visits": rows}, path)

    out.append(
        Case(
            "a workbook with dates as text and scores as whole numbers",
            "text_dates.xlsx",
            build=text_dates_book,
            visits=good,
        )
    )

    # -- values out of order or range ----------------------------------------------------------
    order = [visit(1, called_at="2026-03-02 08:59:00"), visit(2, left_at="2026-03-02 09:03:00"), visit(3)]
    out.append(
        Case(
            "called before arriving, left before being called",
            "out_of_order.csv",
            csv_text(order).encode(),
            rejected={
                (2, "was called before it arrived (called_at is earlier than arrived_at)"),
                (3, "left before being called (left_at is earlier than called_at)"),
            },
            visits=[visit(3)],
            message=[
                "row 3, left_at: left before being called (left_at is earlier than called_at) "
                "(value '2026-03-02 09:03:00 (called_at 2026-03-02 09:06:00)')"
            ],
        )
    )
    scores = [
        visit(1, exit_score="0"),
        visit(2, exit_score="11"),
        visit(3, exit_score="-1"),
        visit(4),
        visit(5, exit_score="５"),
    ]
    out.append(
        Case(
            "exit scores 0, 11, -1 and a full-width 5",
            "scores.csv",
            csv_text(scores).encode(),
            rejected={(2, score), (3, score), (4, score), (6, score)},
            visits=[visit(4)],
            message=["row 3, exit_score: is not a whole number from 1 to 5 (value '11')"],
        )
    )
    decimals = [
        visit(1, exit_score="4.0"),
        visit(2, exit_score="4,0"),
        visit(3, exit_score="4.5"),
        visit(4, exit_score=" 3 "),
    ]
    out.append(
        Case(
            "scores written 4.0, 4,0 and 4.5",
            "decimals.csv",
            csv_text(decimals, sep=";").encode(),
            rejected={(3, score), (4, score)},
            visits=[visit(1, exit_score="4"), visit(4, exit_score="3")],
            message=["row 3, exit_score: is not a whole number from 1 to 5 (value '4,0')"],
        )
    )
    out.append(
        Case(
            "NULL, N/A and - where a score is missing",
            "nulls.csv",
            csv_text(
                [
                    visit(1, exit_score="NULL"),
                    visit(2, exit_score="N/A"),
                    visit(3, exit_score="-"),
                    visit(4, exit_score=""),
                ]
            ).encode(),
            rejected={(2, score), (3, score), (4, score)},
            visits=[visit(4, exit_score="")],
            message=["row 2, exit_score: is not a whole number from 1 to 5 (value 'NULL')"],
        )
    )
    abandoned = (
        ",".join([*HEADER, "abandoned"])
        + "\n"
        + line(visit(1))
        + ",true\n"
        + line(visit(2))
        + ",no\n"
        + line(visit(3))
        + ",maybe\n"
    )
    out.append(
        Case(
            "abandoned yet called, and abandoned 'maybe'",
            "abandoned.csv",
            abandoned.encode(),
            rejected={
                (2, "is marked abandoned but has a called_at time (an abandoned visit was never called)"),
                (4, "is not true or false (write true/false, 1/0 or yes/no)"),
            },
            visits=[visit(2)],
        )
    )

    # -- encodings and formats ----------------------------------------------------------------
    western = [visit(1, exit_comment="très bien"), visit(2, exit_comment="naïve, café")]
    out.append(
        Case(
            "Windows-1252 text",
            "cp1252.csv",
            csv_text(western).encode("cp1252"),
            status="refused",
            message=[
                "cp1252.csv: line 2 has bytes that are neither UTF-8 nor GB18030/GBK",
                "It looks like Windows-1252 (Western European) text",
            ],
        )
    )
    # "我們的服務" in Big5 decodes as GBK without an error (into "и狝叭"): it was stored so
    big5 = [visit(1, exit_comment="我們的服務"), visit(2, exit_comment="等候時間太長了")]
    out.append(
        Case(
            "Big5 text (was read as GBK into nonsense)",
            "big5.csv",
            csv_text(big5).encode("big5"),
            status="refused",
            message=["It looks like Big5 (traditional Chinese) text. Save the file as CSV in UTF-8"],
        )
    )
    out.append(
        Case(
            "an old .xls workbook",
            "visits.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024),
            status="refused",
            message=["visits.xls: old .xls workbooks can't be read; save it as .xlsx or CSV."],
        )
    )
    out.append(
        Case(
            "a workbook named .csv",
            "book.csv",
            build=lambda p: _book({"visits": _sheet_rows(good)}, p),
            status="refused",
            message=["book.csv: this is an .xlsx workbook, not a CSV/TSV text file"],
        )
    )
    out.append(
        Case(
            "a CSV named .xlsx",
            "text.xlsx",
            csv_text(good).encode(),
            status="refused",
            message=["text.xlsx: is text (a CSV file?), not an .xlsx workbook; give it the .csv extension"],
        )
    )
    return out




if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-files")
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases():
        print(case.write(folder), "—", case.name)
