"""Where the data starts in a file: the delimiter of a text file, and which row is the
header when an export puts title rows above it."""

from __future__ import annotations

import csv
import io
import math
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb

from peakend.warehouse.ingest.contract import normalise_name

DELIMITERS = (",", "\t", ";", "|")
HEADER_SEARCH_ROWS = 30
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "vertical bar"}


_SNIFFER: list[duckdb.DuckDBPyConnection] = []
_SNIFFER_LOCK = threading.Lock()


def _sniffer() -> duckdb.DuckDBPyConnection:
    """An in-memory database that holds nothing, for DuckDB's CSV sniffer (each caller
    takes a cursor of it, so threads don't share one)."""
    with _SNIFFER_LOCK:
        if not _SNIFFER:
            _SNIFFER.append(duckdb.connect())
        return _SNIFFER[0]


def sniff_delimiter(sample: str) -> str:
    """The delimiter DuckDB's CSV sniffer finds in the sample (already decoded from its
    encoding, GBK included, so it is read as UTF-8 here), one of DELIMITERS; a comma when
    it finds none of them. Title rows above the header don't mislead it; where the header
    is stays this module's search (header_line), which knows the columns it expects."""
    with tempfile.TemporaryDirectory(prefix="peakend-sniff-") as folder:
        path = Path(folder) / "sample.csv"
        path.write_text(sample, encoding="utf-8")
        con = _sniffer().cursor()  # a cursor of one in-memory database: a new one costs ~20 ms
        try:
            found = con.execute(
                "select Delimiter from sniff_csv($path, sample_size = -1, ignore_errors = true)", {"path": str(path)}
            ).fetchone()
        except duckdb.Error:
            found = None  # nothing DuckDB can read as a table: the comma, and the reader says why
        finally:
            con.close()
    delimiter = found[0] if found else ","
    return delimiter if delimiter in DELIMITERS else ","


def find_header(rows: Sequence[Sequence[object]], expected: set[str] | None = None) -> int:
    """Index of the header among the first rows: the row naming the most expected columns
    (at least two) if any does; else the first row filled at least 60% as wide as the
    widest, since a title row above a table fills one or two cells."""
    rows = rows[:HEADER_SEARCH_ROWS]
    if expected:
        wanted = {normalise_name(e) for e in expected}
        scores = [sum(1 for c in row if isinstance(c, str) and normalise_name(c) in wanted) for row in rows]
        if scores and max(scores) >= min(2, len(wanted)):
            return scores.index(max(scores))
    filled = [sum(1 for c in row if c is not None and str(c).strip() != "") for row in rows]
    if not filled or max(filled) == 0:
        return 0
    need = max(2, math.ceil(0.6 * max(filled))) if max(filled) >= 2 else 1
    for i, n in enumerate(filled):
        if n >= need:
            return i
    return 0


def header_line(sample: str, delimiter: str, expected: set[str] | None) -> tuple[int, list[str]]:
    """(1-based line of the header in a text file, its column names)."""
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar='"')
    rows, ends = [], []
    try:
        for row in reader:
            rows.append(row)
            ends.append(reader.line_num)
            if len(rows) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass
    if not rows:
        return 1, []
    i = find_header(rows, expected)
    return ends[i], [c.strip() for c in rows[i]]
