"""Where the data starts in a file: the delimiter of a text file, and which row is the
header when an export puts title rows above it."""

from __future__ import annotations

import csv
import io
import math

from peakend.warehouse.ingest.contract import normalise_name

DELIMITERS = (",", "\t", ";", "|")
HEADER_SEARCH_ROWS = 30
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "vertical bar"}


def _records(sample: str, delimiter: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar='"')
    out = []
    try:
        for row in reader:
            out.append(row)
            if len(out) >= limit:
                break
    except csv.Error:
        pass  # a broken quote late in the sample: judge on what parsed
    return out


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's lines into the same number (> 1) of fields
    most consistently; ties go to the wider split, then to the usual order."""
    best, best_score = ",", None
    for d in DELIMITERS:
        counts = [len(r) for r in _records(sample, d, HEADER_SEARCH_ROWS + 20) if any(c.strip() for c in r)]
        if not counts:
            continue
        modal = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (modal > 1, counts.count(modal) / len(counts), modal)
        if best_score is None or score > best_score:
            best, best_score = d, score
    return best


def find_header(rows: list[list[object]], expected: set[str] | None = None) -> int:
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
