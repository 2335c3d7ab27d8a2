"""Read a CSV/TSV, Parquet or Excel file into a temporary DuckDB table of text columns.

Every value arrives as text (or null when empty) so that one validation path, in SQL,
reads and checks every format the same way. Each row keeps `__row`, its row number as the
user counts it: for text files and workbooks the row of the sheet or file, header = row 1
(blank lines and lines that could not be split count, as in a spreadsheet); for Parquet,
which has no header row, the record number from 1.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import cast

import duckdb
import pyarrow as pa

from peakend.warehouse.ingest import layout, records, textfile
from peakend.warehouse.ingest.contract import normalise_name
from peakend.warehouse.ingest.errors import FileRefused

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
NDJSON_SUFFIXES = {".ndjson", ".jsonl"}  # JSON lines: one object per line (the ingest API's format)

# How DuckDB names a line it could not split, in the user's words.
_STRUCTURE_REASONS = {
    "MISSING COLUMNS": "the row has fewer values than the header has columns",
    "TOO MANY COLUMNS": "the row has more values than the header has columns",
    "UNQUOTED VALUE": "a quoted value is not closed properly (check the quote marks)",
    "LINE SIZE OVER MAXIMUM": "the line is too long to be a row (over 2 MB)",
    "INVALID ENCODING": "the line has bytes that are not valid text",
    "INVALID UNICODE": "the line has bytes that are not valid text",
}
BAD_TEXT = _STRUCTURE_REASONS["INVALID ENCODING"]


@dataclass
class Staged:
    """A file read into the view `table`: its columns as text, plus `__row`."""

    path: Path
    format: str  # csv | parquet | excel
    table: str
    columns: list[str]  # the file's column names in order
    rows: int  # data rows in the table
    sha256: str
    size: int
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1  # file row of the header; 0 for Parquet (none)
    sheet: str | None = None
    duplicate_columns: list[str] = field(default_factory=list)
    # rows the reader could not split: (row, column, value, reason)
    structural: list[tuple[int, str, str, str]] = field(default_factory=list)
    # rows whose record runs over several lines of the file: (row, first line, last line)
    spans: list[tuple[int, int, int]] = field(default_factory=list)
    line_endings: dict[str, int] = field(default_factory=dict)  # LF/CRLF/CR: lines ending so
    compression: str | None = None  # gzip | zip, when the file was unpacked first
    sheets: list[str] = field(default_factory=list)  # a workbook's sheets
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (key, values): reports.NOTES


def quote_ident(name: str) -> str:
    """A column name as a DuckDB identifier, whatever characters the file gave it."""
    return '"' + name.replace('"', '""') + '"'


COMPRESSED_SUFFIXES = {".gz", ".zip"}
# an archive inside an archive is refused (by its name, or its first bytes)
ARCHIVE_SUFFIXES = {".gz", ".zip", ".7z", ".rar", ".tar", ".tgz", ".bz2", ".xz", ".zst", ".lz4"}
ARCHIVE_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"7z\xbc\xaf", b"Rar!\x1a", b"\xfd7zXZ", b"\x28\xb5\x2f\xfd")
DEFAULT_MAX_UNPACKED = 2 * 1024**3  # the setting load_max_unpacked_gb's default
COPY_CHUNK = 4 * 1024 * 1024


def _size_text(n: float) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:,.3g} {unit}"
    return f"{int(n):,} bytes"


class _TooBig(Exception):
    pass


def _copy_capped(src, target: Path, cap: int) -> None:
    """Copy the stream `src` into `target`, stopping (and removing what was written) as
    soon as it passes `cap` bytes: an archive that unpacks to more is never unpacked whole."""
    written = 0
    try:
        with target.open("wb") as out:
            while True:
                chunk = src.read(COPY_CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                if written > cap:
                    raise _TooBig
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _too_big(path: Path, cap: int, declared: int | None = None) -> FileRefused:
    size = f" (it says {_size_text(declared)})" if declared else ""
    return FileRefused(
        f"{path.name}: unpacks to more than {_size_text(cap)}{size}, over the limit for a "
        "compressed file set on the Data page; it was not unpacked. Load the CSV itself, "
        "split it, or raise the limit."
    )


def _nested(path: Path, inner: str) -> FileRefused:
    return FileRefused(
        f"{path.name}: holds another archive ({inner}); PeakEnd reads a .gz or .zip that "
        "holds a CSV itself. Unpack the inner archive and load its CSV."
    )


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".gz" and Path(path.stem).suffix.lower() in TEXT_SUFFIXES | {""}:
        return "csv"
    if suffix == ".zip":
        return "csv"  # what it holds is decided when it is opened
    if suffix in TEXT_SUFFIXES:
        return "csv"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in NDJSON_SUFFIXES:
        return "ndjson"
    if suffix == ".xls":
        raise FileRefused(f"{path.name}: old .xls workbooks can't be read; save it as .xlsx or CSV.")
    raise FileRefused(
        f"{path.name}: unknown file type {suffix or '(no extension)'}; PeakEnd reads "
        ".csv, .tsv, .txt, .xlsx, .parquet and .ndjson (JSON lines) files (a .csv also as .csv.gz or in a .zip)."
    )


def check_readable(path: Path) -> None:
    if not path.exists():
        raise FileRefused(f"{path}: no such file.")
    if not path.is_file():
        raise FileRefused(f"{path}: is a folder, not a file.")
    if path.stat().st_size == 0:
        raise FileRefused(f"{path.name}: the file is empty (0 bytes); there is nothing to load.")


def _clean_names(names: Sequence[object]) -> tuple[list[str], list[str]]:
    """Header cells as column names: trimmed, empty ones named column_N, a repeated name
    made unique (and reported, so a needed column that is ambiguous can be refused)."""
    out, dupes, seen = [], [], set()
    for i, name in enumerate(names, start=1):
        text = "" if name is None else str(name).strip().lstrip("\ufeff")
        if not text:
            text = f"column_{i}"
        if text in seen:
            dupes.append(text)
            n = 2
            while f"{text}_{n}" in seen:
                n += 1
            text = f"{text}_{n}"
        seen.add(text)
        out.append(text)
    return out, dupes


def _safe_path(path: Path, workdir: Path) -> Path:
    """DuckDB reads a path as a glob pattern; give it a plain name when the real one has
    pattern characters."""
    if not any(ch in str(path) for ch in "*?[]{}"):
        return path
    link = workdir / f"input{path.suffix.lower()}"
    if not link.exists():
        os.symlink(path.resolve(), link)
    return link


def stage(
    cur: duckdb.DuckDBPyConnection,
    path: Path,
    workdir: Path,
    expected: set[str] | None = None,
    table: str = "__src",
    sheet: str | None = None,
    limit: int | None = None,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED,
) -> Staged:
    """Read `path` into the view `table` (file columns as text, plus `__row`). `expected`
    names the columns the caller looks for, to find the header below title rows. `limit`
    reads only the first rows (previews). A .gz or .zip that would unpack to more than
    `max_unpacked_bytes` is refused. Raises FileRefused for a file that can't be read at
    all."""
    path = Path(path)
    check_readable(path)
    kind = file_format(path)
    source, compression = (path, None)
    if kind == "csv":
        source, compression = _unpack(path, workdir, max_unpacked_bytes)
    if compression is not None:
        check_readable(source)
    if kind == "csv":
        staged = _stage_text(cur, source, workdir, expected, table, limit)
    elif kind == "parquet":
        staged = _stage_parquet(cur, path, workdir, table, limit)
    elif kind == "ndjson":
        staged = _stage_ndjson(cur, path, table, limit)
    else:
        staged = _stage_excel(cur, source, expected, table, sheet, limit)
    if compression is not None:
        staged.path, staged.size, staged.compression = path, path.stat().st_size, compression
        staged.sha256 = textfile.digest(path).sha256 if limit is None else ""
        what = "gzip-compressed" if compression == "gzip" else "a zip archive"
        staged.notes.insert(0, ("packed", {"file": path.name, "what": what, "inner": source.name}))
    _refuse_if_empty(staged)
    return staged


def _unpack(path: Path, workdir: Path, cap: int = DEFAULT_MAX_UNPACKED) -> tuple[Path, str | None]:
    """A gzip file (whatever its name) or a zip archive holding one CSV (or a workbook
    named .zip or .csv) unpacked into `workdir`: (the file to read, how it was packed).
    Unpacking stops, and the file is refused, past `cap` bytes; a zip whose member says it
    is larger is refused before unpacking anything, and so is an archive in an archive or
    a zip of several files."""
    with path.open("rb") as f:
        magic = f.read(4)
    folder = workdir / "unpacked"
    if magic[:2] == b"\x1f\x8b":
        import gzip
        import zlib

        inner = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
        if Path(inner).suffix.lower() not in TEXT_SUFFIXES:
            inner += ".csv"
        folder.mkdir(exist_ok=True)
        target = folder / inner
        try:
            with gzip.open(path, "rb") as src:
                if src.peek(8).startswith(ARCHIVE_MAGIC):
                    raise _nested(path, f"{inner}, itself compressed")
                _copy_capped(src, target, cap)
        except _TooBig:
            raise _too_big(path, cap) from None
        except (OSError, EOFError, zlib.error) as e:
            raise FileRefused(
                f"{path.name}: is gzip-compressed but could not be unpacked ({e}); the file "
                "is damaged or cut short. Compress it again, or load the CSV itself."
            ) from None
        return target, "gzip"
    if magic == b"PK\x03\x04":
        import zipfile

        try:
            with zipfile.ZipFile(path) as z:
                members = [i for i in z.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
                if any(i.filename == "xl/workbook.xml" for i in members):
                    raise FileRefused(
                        f"{path.name}: this is an .xlsx workbook, not a CSV/TSV text file; "
                        "give it the .xlsx extension and load it again."
                    )
                archives = [i for i in members if Path(i.filename).suffix.lower() in ARCHIVE_SUFFIXES]
                if archives:
                    raise _nested(path, archives[0].filename)
                texts = [i for i in members if Path(i.filename).suffix.lower() in TEXT_SUFFIXES]
                if len(members) > 1 and len(texts) == 1:
                    listed = ", ".join(i.filename for i in members[:10])
                    raise FileRefused(
                        f"{path.name}: is a zip archive holding {len(members)} files ({listed}); PeakEnd "
                        "reads a zip that holds exactly one CSV and nothing else. Unpack it and load the CSV."
                    )
                if len(texts) != 1:
                    listed = ", ".join(i.filename for i in members[:10]) or "nothing"
                    what = "no CSV/TSV file" if not texts else f"{len(texts)} CSV/TSV files"
                    raise FileRefused(
                        f"{path.name}: is a zip archive holding {what} ({listed}); PeakEnd "
                        "reads a zip that holds exactly one. Unpack it and load the files one by one."
                    )
                if texts[0].file_size > cap:
                    raise _too_big(path, cap, texts[0].file_size)
                folder.mkdir(exist_ok=True)
                target = folder / Path(texts[0].filename).name
                with z.open(texts[0]) as src:
                    if cast("zipfile.ZipExtFile", src).peek(8).startswith(ARCHIVE_MAGIC):
                        raise _nested(path, f"{texts[0].filename}, itself compressed")
                    _copy_capped(src, target, cap)  # the size it says may be a lie
                return target, "zip"
        except _TooBig:
            raise _too_big(path, cap) from None
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise FileRefused(f"{path.name}: is a zip archive that could not be opened ({e}).") from None
    if path.suffix.lower() in COMPRESSED_SUFFIXES:
        raise FileRefused(
            f"{path.name}: is named {path.suffix} but is not {'gzip' if path.suffix.lower() == '.gz' else 'zip'}"
            "-compressed; rename it to what it is (.csv, .xlsx ...)."
        )
    return path, None


def _refuse_if_empty(staged: Staged) -> None:
    if staged.rows == 0 and not staged.structural:
        where = "a header but no data rows" if staged.columns else "no header and no data"
        raise FileRefused(f"{staged.path.name}: the file has {where}; there is nothing to load.")


def _text_layout(path: Path, expected: set[str] | None) -> tuple[str, str, int, list[str], list[str], str]:
    """(encoding, delimiter, header line, column names, repeated names, decoded head)."""
    with path.open("rb") as f:
        head = f.read(textfile.SAMPLE)
        encoding = textfile.detect_encoding(path, head)
        if len(head) >= textfile.SAMPLE and b"\n" not in head and b"\r" not in head:
            # a very wide header (20,000 columns) is fine; a file of one endless line is not
            more = f.read(records.MAX_RECORD)
            cut = min((i for i in (more.find(b"\n"), more.find(b"\r")) if i >= 0), default=-1)
            if cut < 0:
                raise FileRefused(
                    f"{path.name}: the first {(len(head) + len(more)) // 1024 // 1024 or 1} MB hold "
                    f"no line break, so this is not a table of rows ({path.stat().st_size:,} bytes "
                    "without a line break so far). Check that it is the CSV export and not a "
                    "different kind of file."
                )
            head += more[: cut + 1]
    sample = textfile.head_text(head, encoding)
    if not sample.strip():
        raise FileRefused(f"{path.name}: the file has no text (only blank lines); nothing to load.")
    delimiter = layout.sniff_delimiter(sample)
    header_at, header = layout.header_line(sample, delimiter, expected)
    names, dupes = _clean_names(header)
    return encoding, delimiter, header_at, names, dupes, sample


def _stage_text(cur, path, workdir, expected, table, limit) -> Staged:
    """A text file copied into `{table}_raw`, numbered in the view `table`.

    A regular file (one kind of line ending, no NUL byte, every line a row DuckDB could
    split or a row it names) is read by DuckDB directly. Any other file, and any file
    DuckDB can't read whole, goes through the record pass (records.py) first: it keeps
    aside only the records it can't split and gives DuckDB a clean copy numbered by row."""
    encoding, delimiter, header_at, names, dupes, sample = _text_layout(path, expected)
    staged = Staged(path, "csv", table, names, 0, "", path.stat().st_size, encoding, delimiter, header_at, None, dupes)
    raw = f"{table}_raw"

    def by_records(source: Path, limit: int | None = None) -> None:
        result = records.split(source, workdir / "records.csv", delimiter, header_at, names, limit)
        late, staged.rows = _read_clean(cur, path, result.path, raw, delimiter, names)
        staged.structural = sorted(result.rejects + late)
        staged.spans = result.spans
        staged.line_endings = {k: v for k, v in result.endings.items() if v}
        cur.execute(f"create or replace temp view {table} as select * exclude (__row), __row from {raw}")

    if limit is not None:  # a preview: the first rows only, no whole-file pass
        source = workdir / "head.csv"
        source.write_text(sample, encoding="utf-8")
        by_records(source, limit)
        return staged
    if not encoding.startswith("utf-8"):
        scan = textfile.scan(path, workdir)
        staged.sha256 = scan.sha256
        by_records(scan.readable_path)
        return staged
    # DuckDB reads the file while a thread hashes it and counts its lines
    failed = False
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(textfile.digest, path)
        try:
            staged.structural, staged.rows = _read_csv(
                cur, path, _safe_path(path, workdir), raw, delimiter, header_at, names, None
            )
        except FileRefused:
            failed = True  # the record pass finds the line(s) DuckDB stopped at
        finally:
            digest = pending.result()
    staged.sha256 = digest.sha256
    if not failed and any(r[3] == BAD_TEXT for r in staged.structural):
        # bytes that are not UTF-8 past the sample: GB18030 text (read its UTF-8 copy)
        # or a broken file (refused, naming the line)
        scan = textfile.scan(path, workdir)
        staged.encoding = scan.encoding
        by_records(scan.readable_path)
    elif failed or staged.structural or not digest.regular or digest.lines != header_at + staged.rows:
        # blank lines, values over several lines, mixed line endings, a NUL, a line DuckDB
        # could not split or a line it dropped: read record by record
        by_records(path)
    else:
        _number_rows(cur, raw, table, header_at, [])
    return staged


def _read_clean(cur, path, clean, raw_table, delimiter, names) -> tuple[list, int]:
    """Read the record pass's copy (row number first, then the file's fields) into
    `raw_table`; return (records DuckDB still could not split, rows read)."""
    rejects_table, rejects_scan = f"{raw_table}_rejects", f"{raw_table}_rejects_scan"
    columns = {"__row": "BIGINT", **dict.fromkeys(names, "VARCHAR")}
    try:
        cur.execute(
            f"""create or replace temp table {raw_table} as select * from read_csv(
                    $src, delim = $delim, quote = '"', escape = '"', header = false,
                    auto_detect = false, columns = $columns, new_line = '\\n',
                    max_line_size = {2 * records.MAX_RECORD + 64}, store_rejects = true,
                    rejects_table = '{rejects_table}', rejects_scan = '{rejects_scan}')""",
            {"src": str(_safe_path(clean, clean.parent)), "delim": delimiter, "columns": columns},
        )
    except duckdb.Error as e:
        raise unreadable_text(path, e) from None
    late = []
    for line, column, text, error_type, message in cur.execute(
        f"""select line, any_value(column_name), any_value(csv_line), any_value(error_type),
                   any_value(error_message) from {rejects_table} group by line order by line"""
    ).fetchall():
        head, _, rest = (text or "").partition(delimiter)
        row = int(head) if head.isdigit() else int(line)
        reason = _STRUCTURE_REASONS.get(error_type, (message or error_type or "").strip())
        late.append((row, column if column and column != "__row" else "(whole row)", rest.strip("\r\n"), reason))
    cur.execute(f"drop table if exists {rejects_table}")
    cur.execute(f"drop table if exists {rejects_scan}")
    rows = cur.execute(f"select count(*) from {raw_table}").fetchall()[0][0]
    return late, rows


def _read_csv_call(rejects_table: str, rejects_scan: str) -> str:
    return (
        # nothing left to sniff, and lenient: inside a load's transaction a read that
        # throws aborts the transaction, so a file DuckDB can't take whole must come out
        # as rows (whose count the caller checks against the file's lines), not an error
        "read_csv($src_path, delim = $src_delim, quote = '\"', escape = '\"', header = true, "
        "skip = $src_skip, auto_detect = false, strict_mode = false, columns = $src_columns, "
        "store_rejects = true, "
        f"rejects_table = '{rejects_table}', rejects_scan = '{rejects_scan}')"
    )


def _skipped(header_at: int, blank: list[int], structural: list) -> list[int]:
    return sorted({line for line in blank if line > header_at} | {r[0] for r in structural})


def _read_csv(cur, path, source, raw_table, delimiter, header_at, names, limit) -> tuple[list, int]:
    """Read `source` into `raw_table`; return (lines it could not split, rows read)."""
    rejects_table, rejects_scan = f"{raw_table}_rejects", f"{raw_table}_rejects_scan"
    sql = (
        f"create or replace temp table {raw_table} as select * from "
        + _read_csv_call(rejects_table, rejects_scan)
        + (" limit $limit" if limit is not None else "")
    )
    params = {
        "src_path": str(source),
        "src_delim": delimiter,
        "src_skip": header_at - 1,
        "src_columns": dict.fromkeys(names, "VARCHAR"),
    }
    if limit is not None:
        params["limit"] = limit
    try:
        cur.execute(sql, params)
    except duckdb.Error as e:
        raise unreadable_text(path, e) from None
    structural = _structural_rejects(cur, rejects_table, header_at)
    cur.execute(f"drop table if exists {rejects_table}")
    cur.execute(f"drop table if exists {rejects_scan}")
    rows = cur.execute(f"select count(*) from {raw_table}").fetchall()[0][0]
    return structural, rows


def unreadable_text(path: Path, error: Exception) -> FileRefused:
    first = str(error).strip().splitlines()[0]
    return FileRefused(f"{path.name}: could not be read as delimited text ({first}).")


def _structural_rejects(cur, rejects_table: str, header_at: int) -> list[tuple[int, str, str, str]]:
    rows = cur.execute(
        f"""select line, any_value(column_name), any_value(csv_line), any_value(error_type),
                   any_value(error_message)
            from {rejects_table} where line > ? group by line order by line""",
        [header_at],
    ).fetchall()
    out = []
    for line, column, text, error_type, message in rows:
        reason = _STRUCTURE_REASONS.get(error_type, (message or error_type or "").strip())
        out.append((int(line), column or "(whole row)", (text or "").strip("\r\n"), reason))
    return out


def _number_rows(cur, table: str, view: str, header_at: int, skipped: list[int]) -> None:
    """The view `view`: the rows of `table` with `__row`. Row k (0-based, file order) sits
    on line header_at + 1 + k plus one for every blank or unsplittable line before it."""
    first = header_at + 1
    # rowids follow file order (DuckDB keeps insertion order) but, inside a transaction,
    # start at a large offset; count from the first one.
    low, high, n = cur.execute(f"select min(rowid), max(rowid), count(*) from {table}").fetchall()[0]
    if n == 0 or high - low + 1 == n:
        index = f"rowid - {int(low or 0)}"
    else:
        index = "row_number() over (order by rowid) - 1"
    if not skipped:
        cur.execute(f"create or replace temp view {view} as select *, {index} + {first} as __row from {table}")
        return
    # Skipped line s_j (j-th, 0-based) shifts every row with index >= s_j - first - j.
    shifts = {}
    for j, line in enumerate(skipped):
        shifts[line - first - j] = j + 1
    cur.execute(f"create or replace temp table {view}_shift (t bigint, n bigint)")
    cur.executemany(f"insert into {view}_shift values (?, ?)", list(shifts.items()))
    cur.execute(
        f"""create or replace temp view {view} as
            select r.* exclude (__rid), r.__rid + {first} + coalesce(s.n, 0) as __row
            from (select *, {index} as __rid from {table}) as r
            asof left join {view}_shift as s on r.__rid >= s.t"""
    )


def _stage_parquet(cur, path, workdir, table, limit) -> Staged:
    source = _safe_path(path, workdir)
    try:
        described = cur.execute("describe select * from read_parquet($p)", {"p": str(source)}).fetchall()
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        raise FileRefused(f"{path.name}: is not a readable Parquet file ({first}).") from None
    names = [r[0] for r in described]
    select = ", ".join(f"cast({quote_ident(n)} as varchar) as {quote_ident(n)}" for n in names)
    sql = (
        f"create or replace temp table {table}_raw as select {select}, "
        f"file_row_number + 1 as __row from read_parquet($p, file_row_number = true)"
        + (" limit $limit" if limit is not None else "")
    )
    params = {"p": str(source)}
    if limit is not None:
        params["limit"] = limit
    try:
        cur.execute(sql, params)
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        raise FileRefused(f"{path.name}: is not a readable Parquet file ({first}).") from None
    cur.execute(f"create or replace temp view {table} as select * from {table}_raw")
    rows = cur.execute(f"select count(*) from {table}_raw").fetchall()[0][0]
    sha256 = textfile.digest(path).sha256 if limit is None else ""
    return Staged(path, "parquet", table, names, rows, sha256, path.stat().st_size, header_row=0)


NOT_AN_OBJECT = "the line is not a JSON object ({...}: one visit per line)"
NOT_JSON = "the line is not valid JSON"
NESTED_VALUE = "is a list or an object, not a single value"


def _json_text(value: object) -> str | None:
    """A JSON value as the text a CSV cell of it would hold (true/false, numbers as written)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value != "" else None
    return str(value)


def _stage_ndjson(cur, path, table, limit) -> Staged:
    """JSON lines: one object per line, its keys the columns. Rows are numbered by line
    (the first line is row 1; there is no header). A line that is not a JSON object, or
    that holds a list or object as a value, is a rejected row like a CSV line that can't
    be split; a blank line is passed over."""
    import json

    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    names: dict[str, None] = {}
    kept: list[tuple[int, dict[str, str | None]]] = []
    structural: list[tuple[int, str, str, str]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if limit is not None and len(kept) >= limit:
            break
        line = raw.rstrip(b"\r")
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            structural.append((number, "", line[:200].decode("utf-8", "replace"), BAD_TEXT))
            continue
        try:
            obj = json.loads(text)
        except ValueError:
            structural.append((number, "", text[:200], NOT_JSON))
            continue
        if not isinstance(obj, dict):
            structural.append((number, "", text[:200], NOT_AN_OBJECT))
            continue
        nested = [k for k, v in obj.items() if isinstance(v, (list, dict))]
        if nested:
            structural.extend(
                (number, str(k), json.dumps(obj[k], ensure_ascii=False)[:200], NESTED_VALUE) for k in nested
            )
            continue
        row = {str(k).strip(): _json_text(v) for k, v in obj.items()}
        for k in row:
            names.setdefault(k, None)
        kept.append((number, row))
    columns = list(names)
    arrow = pa.table(
        {
            **{c: pa.array([r.get(c) for _, r in kept], type=pa.string()) for c in columns},
            "__row": pa.array([n for n, _ in kept], type=pa.int64()),
        }
    )
    cur.register(f"{table}_arrow", arrow)
    try:
        cur.execute(f"create or replace temp table {table}_raw as select * from {table}_arrow")
    finally:
        cur.unregister(f"{table}_arrow")
    cur.execute(f"create or replace temp view {table} as select * from {table}_raw")
    sha256 = textfile.digest(path).sha256 if limit is None else ""
    return Staged(
        path,
        "ndjson",
        table,
        columns,
        len(kept),
        sha256,
        path.stat().st_size,
        encoding="utf-8",
        header_row=0,
        structural=structural,
    )


def excel_text(value: object) -> str | None:
    """A cell as the text a CSV export of it would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds" if not value.microsecond else "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return text if text.strip() else None


def _stage_excel(cur, path, expected, table, sheet, limit) -> Staged:
    import openpyxl  # imported when needed: it is slow to import and most loads are CSV

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # a zip, XML or format error: whichever, it can't be read
        with path.open("rb") as f:
            first = f.read(4096)
        if not first.startswith(b"PK") and b"\x00" not in first and any(d in first for d in (b",", b";", b"\t")):
            raise FileRefused(
                f"{path.name}: is text (a CSV file?), not an .xlsx workbook; give it the .csv "
                "extension and load it again."
            ) from None
        raise FileRefused(f"{path.name}: is not a readable .xlsx workbook ({e}).") from None
    sheetnames = list(book.sheetnames)
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise FileRefused(f"{path.name}: has no sheet named {sheet!r} (sheets: {', '.join(book.sheetnames)}).")
            ws = book[sheet]
            # the other sheets holding the contract's columns are still named
            best, rest = _pick_sheet(book, expected)
            data_sheets = ([best.title] if rest or best.title != book.worksheets[0].title else []) + rest
            others = [o for o in data_sheets if o != ws.title]
        else:
            ws, others = _pick_sheet(book, expected)
        ws.reset_dimensions()  # some exporters write wrong dimensions; read every row
        rows_iter = ws.iter_rows(values_only=True)
        formulas = _formula_cells(path, ws.title)
        head: list[tuple] = []
        for row in rows_iter:
            head.append(row)
            if len(head) >= layout.HEADER_SEARCH_ROWS:
                break
        if not any(any(c is not None for c in r) for r in head):
            raise FileRefused(f"{path.name}: the sheet {ws.title!r} is empty; there is nothing to load.")
        h = layout.find_header([list(r) for r in head], expected)
        header = list(head[h])
        while header and (header[-1] is None or str(header[-1]).strip() == ""):
            header.pop()
        names, dupes = _clean_names(header)
        width = len(names)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        numbers: list[int] = []

        missing: list[str] = []  # formula cells without a cached value, as "M5"

        def take(row_number: int, row: tuple) -> None:
            cells = [excel_text(v) for v in row[:width]]
            if formulas:
                for i, c in enumerate(cells):
                    if c is None and (row_number, i + 1) in formulas:
                        missing.append(f"{_column_letter(i + 1)}{row_number}")
            if not any(c is not None for c in cells):
                return  # an empty sheet row is not a data row
            cells += [None] * (width - len(cells))
            for i, c in enumerate(cells):
                columns[i].append(c)
            numbers.append(row_number)

        for i, row in enumerate(head[h + 1 :], start=h + 2):
            take(i, row)
        row_number = len(head)
        for row in rows_iter:
            row_number += 1
            if limit is not None and len(numbers) >= limit:
                break
            take(row_number, row)
    except FileRefused:
        raise
    except Exception as e:  # a damaged sheet part of a workbook that opened
        raise FileRefused(f"{path.name}: is not a readable .xlsx workbook ({e}).") from None
    finally:
        book.close()
    arrays = {f"c{i}": pa.array(col, type=pa.string()) for i, col in enumerate(columns)}
    arrays["__row"] = pa.array(numbers, type=pa.int64())
    arrow = pa.table(arrays)
    view = f"{table}_arrow"
    cur.register(view, arrow)
    select = ", ".join(f"c{i} as {quote_ident(n)}" for i, n in enumerate(names))
    cur.execute(f"create or replace temp table {table}_raw as select {select}, __row from {view}")
    cur.unregister(view)
    cur.execute(f"create or replace temp view {table} as select * from {table}_raw")
    staged = Staged(
        path,
        "excel",
        table,
        names,
        len(numbers),
        textfile.digest(path).sha256,
        path.stat().st_size,
        header_row=h + 1,
        sheet=ws.title,
        duplicate_columns=dupes,
        sheets=sheetnames,
    )
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10:,} more" if len(missing) > 10 else "")
        staged.notes.append(("formulas", {"n": len(missing), "sheet": ws.title, "cells": shown}))
    for other in others:
        staged.notes.append(("other_sheet", {"sheet": other}))
    return staged


def _column_letter(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _pick_sheet(book, expected):
    """The sheet holding the contract's columns: the one whose header names the most
    expected columns (the first on a tie; the first sheet when none names any), and the
    other sheets that name as many as two, which the report lists."""
    scores = []
    for ws in book.worksheets:
        head = []
        for row in ws.iter_rows(values_only=True, max_row=layout.HEADER_SEARCH_ROWS):
            head.append(list(row))
        score = 0
        if expected and head:
            wanted = {normalise_name(e) for e in expected}
            score = max(sum(1 for c in row if isinstance(c, str) and normalise_name(c) in wanted) for row in head)
        scores.append(score)
    best = max(range(len(scores)), key=lambda i: (scores[i], -i)) if scores else 0
    if not scores or scores[best] == 0:
        return book.worksheets[0], []
    others = [book.worksheets[i].title for i, sc in enumerate(scores) if i != best and sc >= 2]
    return book.worksheets[best], others


def _formula_cells(path: Path, sheet: str) -> set[tuple[int, int]]:
    """(row, column) of the formula cells of a sheet: their cached value is what a
    data-only read gives, and a workbook saved by a program that does not compute has none."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception:
        return set()
    try:
        ws = book[sheet]
        ws.reset_dimensions()
        found = set()
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            for c, v in enumerate(row, start=1):
                if isinstance(v, str) and v.startswith("="):
                    found.add((r, c))
        return found
    finally:
        book.close()
