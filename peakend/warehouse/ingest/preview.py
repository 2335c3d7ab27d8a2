"""A quick look at a file before loading it: its first rows, how it was read (format,
encoding, delimiter, header row) and what each column seems to hold. Reads only the
beginning of the file, in a scratch in-memory DuckDB, so it is fast on any size and
touches no database."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from peakend.warehouse.ingest import readers
from peakend.warehouse.ingest.contract import guess_kind, required_columns
from peakend.warehouse.ingest.mapping import Mapping, resolve_column
from peakend.warehouse.ingest.validate import expected_columns

TYPE_SAMPLE = 1000


@dataclass
class FilePreview:
    file: Path
    file_format: str
    columns: list[str]
    rows: pd.DataFrame  # the first rows as text, with their file row number in "row"
    types: dict[str, str]  # column -> empty | boolean | integer | number | date-time | date | time | text
    kind: str  # visits | halls | purposes: the mapping's, else guessed from the header
    missing_columns: list[str] = field(default_factory=list)  # needed but not in the file
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)  # every sheet of a workbook


def _infer(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    c = readers.quote_ident(column)
    x = f"nullif(trim({c}), '')"
    n, booleans, ints, nums, stamps, dates, times = con.execute(
        f"""select count({x}),
                   count(*) filter (where lower({x}) in ('true', 'false', 'yes', 'no')),
                   count(*) filter (where regexp_full_match({x}, '[+-]?[0-9]+')), count(try_cast({x} as double)),
                   count(*) filter (where length({x}) > 10 and try_cast({x} as timestamp) is not null),
                   count(try_cast({x} as date)), count(try_cast({x} as time))
            from (select * from {table} limit {TYPE_SAMPLE})"""
    ).fetchall()[0]
    if n == 0:
        return "empty"
    for name, count in (
        ("boolean", booleans),
        ("integer", ints),
        ("number", nums),
        ("date-time", stamps),
        ("date", dates),
        ("time", times),
    ):
        if count == n:
            return name
    return "text"


def preview_file(
    path: str | Path,
    rows: int = 20,
    mapping: Mapping | None = None,
    sheet: str | None = None,
    max_unpacked_bytes: int | None = None,
) -> FilePreview:
    """The first `rows` rows of `path` and how it reads. Raises FileRefused when the file
    can't be read at all (the message says why). A .gz or .zip is unpacked up to
    `max_unpacked_bytes` (the database's setting; its default when None)."""
    path = Path(path)
    con = duckdb.connect()
    try:
        with tempfile.TemporaryDirectory(prefix="peakend-preview-") as workdir:
            staged = readers.stage(
                con,
                path,
                Path(workdir),
                expected_columns(mapping),
                sheet=sheet or (mapping.sheet if mapping else None),
                limit=max(rows, TYPE_SAMPLE),
                max_unpacked_bytes=max_unpacked_bytes or readers.DEFAULT_MAX_UNPACKED,
            )
            shown = con.execute(
                f"select __row as row, * exclude (__row) from {staged.table} order by __row limit {int(rows)}"
            ).df()
            types = {c: _infer(con, staged.table, c) for c in staged.columns}
    finally:
        con.close()
    kind = mapping.kind if mapping else guess_kind(staged.columns)
    if mapping is not None:
        missing = sorted(c for c in mapping.source_columns() if resolve_column(c, staged.columns) is None)
        missing += [
            r for r in required_columns(kind) if r not in mapping.columns and resolve_column(r, staged.columns) is None
        ]
    else:
        missing = [r for r in required_columns(kind) if resolve_column(r, staged.columns) is None]
    return FilePreview(
        path,
        staged.format,
        staged.columns,
        shown,
        types,
        kind,
        missing,
        staged.encoding,
        staged.delimiter,
        staged.header_row,
        staged.sheet,
        staged.sheets,
    )
