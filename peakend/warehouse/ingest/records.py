"""Split a delimited text file into records, one bad record at a time.

DuckDB's CSV reader is fast but, given one broken line, it refuses the whole file (a quote
never closed, mixed line endings: "Error when sniffing file") or drops a line without a
word (a line over its size limit). So when a file is not perfectly regular, this pass
reads it record by record, keeps aside each record it cannot split (with its row, a cause
in plain words and its raw text) and writes the others to a clean copy that DuckDB reads
with nothing left to guess: one record a line, `\\n` after each, the record's row number as
its first field.

Row numbers count records as a spreadsheet shows them: the header's line is its row, every
record after it one row (a blank line too), a record whose quoted value holds line breaks
one row however many lines it spans; such records are listed in `spans`, so messages can
say which lines of the file the row covers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 16 * 1024 * 1024
MAX_RECORD = 2 * 1024 * 1024  # bytes: a longer record is a broken quote or a pasted file
MAX_SPAN_LINES = 5_000  # a quoted value may run over this many lines at most
RAW_KEEP = 2_000  # characters of a rejected record kept as its raw text

UNCLOSED = "a quoted value is not closed properly (check the quote marks)"
TOO_LONG = "the line is too long to be a row (over 2 MB)"
NUL = "the row contains a NUL byte (a binary zero), which is not text"
FEWER = "the row has fewer values than the header has columns"
MORE = "the row has more values than the header has columns"

_EOL = re.compile(rb"\r\n|\r|\n")


@dataclass
class Split:
    path: Path  # the clean copy: "row,<fields>" per line
    records: int  # data records written to it
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, column, raw, reason
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # row, first line, last line
    endings: dict[str, int] = field(default_factory=dict)  # LF / CRLF / CR: how many lines end so


def physical_lines(path: Path, skip_bom: bool = True) -> Iterator[tuple[bytes, bytes]]:
    """(content, terminator) for every line, whatever mix of LF, CRLF and CR ends them."""
    carry = b""
    first = True
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if first:
                if skip_bom and chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[len(codecs.BOM_UTF8) :]
                first = False
            if not chunk:
                break
            data = carry + chunk
            pos = 0
            for m in _EOL.finditer(data):
                if m.end() == len(data) and m.group() == b"\r":
                    break  # a CR at the end of the chunk may be half of a CRLF
                yield data[pos : m.start()], m.group()
                pos = m.end()
            carry = data[pos:]
    if carry.endswith(b"\r"):
        yield carry[:-1], b"\r"
    elif carry:
        yield carry, b""


def _fields(record: bytes, delimiter: str) -> int:
    d = delimiter.encode()
    if b'"' not in record:
        return record.count(d) + 1
    text = record.decode("utf-8", errors="replace")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"'))
    except csv.Error:
        return -1
    return len(rows[0]) if len(rows) == 1 else -1


def _raw(record: bytes) -> str:
    text = record.decode("utf-8", errors="replace").replace("\x00", "\\0")
    if len(text) > RAW_KEEP:
        return f"{text[:RAW_KEEP]}… ({len(text):,} characters in all)"
    return text


def split(
    path: Path,
    out_path: Path,
    delimiter: str,
    header_at: int,
    names: list[str],
    limit: int | None = None,
) -> Split:
    """Read the UTF-8 file `path` (the header on physical line `header_at`) into `out_path`
    record by record. `limit` stops after that many data records (previews)."""
    width = len(names)
    lines = physical_lines(path)
    pending: deque[tuple[int, bytes, bytes]] = deque()  # lines read ahead and given back
    line_no = 0
    endings = {"LF": 0, "CRLF": 0, "CR": 0}
    kinds = {b"\n": "LF", b"\r\n": "CRLF", b"\r": "CR"}

    def next_line() -> tuple[int, bytes, bytes] | None:
        nonlocal line_no
        if pending:
            return pending.popleft()
        try:
            content, end = next(lines)
        except StopIteration:
            return None
        line_no += 1
        if end:
            endings[kinds[end]] += 1
        return line_no, content, end

    # the title rows and the header: DuckDB is not given them
    while line_no < header_at:
        if next_line() is None:
            break
    result = Split(out_path, 0, endings=endings)
    row = header_at
    with out_path.open("wb") as out:
        while limit is None or result.records < limit:
            got = next_line()
            if got is None:
                break
            first_line, content, end = got
            row += 1
            if not content.strip():
                continue  # a blank line is a row of the sheet, but not a data row
            record, last_line = content, first_line
            if content.count(b'"') % 2:
                # a quoted value runs on: take lines until its quote closes, as long as
                # what comes out has the header's width; else only this line is bad
                taken: list[tuple[int, bytes, bytes]] = []
                parts, size, closed = [content, end], len(content), False
                while len(taken) < MAX_SPAN_LINES and size <= MAX_RECORD:
                    nxt = next_line()
                    if nxt is None:
                        break
                    taken.append(nxt)
                    parts += [nxt[1], nxt[2]]
                    size += len(nxt[1]) + len(nxt[2])
                    if nxt[1].count(b'"') % 2:
                        closed = True
                        break
                joined = b"".join(parts[:-1])
                if closed and size <= MAX_RECORD and b"\x00" not in joined and _fields(joined, delimiter) == width:
                    record, last_line = joined, taken[-1][0]
                    result.spans.append((row, first_line, last_line))
                else:
                    reason = TOO_LONG if len(content) > MAX_RECORD else UNCLOSED
                    result.rejects.append((row, "(whole row)", _raw(content), reason))
                    pending.extendleft(reversed(taken))
                    continue
            if b"\x00" in record:
                result.rejects.append((row, "(whole row)", _raw(record), NUL))
                continue
            if len(record) > MAX_RECORD:
                result.rejects.append((row, "(whole row)", _raw(record), TOO_LONG))
                continue
            n = _fields(record, delimiter)
            if n != width:
                if n == -1:
                    reason = UNCLOSED
                    column = "(whole row)"
                elif n < width:
                    reason, column = FEWER, names[n]
                else:
                    reason, column = MORE, "(whole row)"
                result.rejects.append((row, column, _raw(record), reason))
                continue
            out.write(b"%d%s%s\n" % (row, delimiter.encode(), record))
            result.records += 1
    return result
