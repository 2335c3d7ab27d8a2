"""Exports of the explore page: the grouped result and the visits behind it, as CSV, Excel
or Parquet.

The visits can be millions of rows, so they never pass through pandas: DuckDB writes CSV and
Parquet itself (COPY ... TO, streaming), and Excel is written row by row from Arrow record
batches with xlsxwriter's constant-memory mode. The visits are read through the same named
query as the on-screen list (queries/explore_visits.sql), so scope and filters are the
page's own. No Streamlit here: the page hands these functions to deferred download buttons.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from typing import BinaryIO

import pandas as pd
import xlsxwriter

from peakend.core import safe_text
from peakend.core.filters import VisitFilter
from peakend.core.scope import Scope
from peakend.warehouse.db import Database
from peakend.warehouse.named_queries import bind_values, compile_query

FORMATS = ("csv", "xlsx", "parquet")
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
EXCEL_MAX_ROWS = 1_048_575  # a worksheet's 1,048,576 rows, less the header
EXCEL_SLOW_ROWS = 100_000  # beyond this an Excel file takes minutes to write: say so
BATCH_ROWS = 20_000
UTF8_BOM = b"\xef\xbb\xbf"  # so that Excel opens a CSV with Chinese comments correctly
VISITS_QUERY = "explore_visits"


def _visit_values(filters: VisitFilter, scope: Scope, drill: dict) -> dict:
    return bind_values(VISITS_QUERY, filters, scope, {**drill, "limit": None, "offset": 0})


def write_visits(
    db: Database,
    filters: VisitFilter,
    scope: Scope,
    drill: dict,
    fmt: str,
    path: str,
    max_rows: int | None = None,
) -> int:
    """Write every visit that passes the filters (and lies in the drilled group) to `path`.

    Returns the number of visits written. Excel stops at its row limit (or `max_rows`).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    sql = compile_query(VISITS_QUERY)
    values = _visit_values(filters, scope, drill)
    cur = db.cursor()
    try:
        if fmt == "parquet":
            return _copy(cur, sql, values, path, "(format parquet, compression zstd)")
        if fmt == "csv":
            raw = path + ".part"
            try:
                rows = _copy(cur, _csv_safe_sql(cur, sql, values), values, raw, "(format csv, header true)")
                with open(path, "wb") as out, open(raw, "rb") as src:
                    out.write(UTF8_BOM)
                    shutil.copyfileobj(src, out, 1 << 20)
            finally:
                if os.path.exists(raw):
                    os.remove(raw)
            return rows
        reader = cur.sql(sql, params=values).to_arrow_reader(BATCH_ROWS)
        limit = EXCEL_MAX_ROWS if max_rows is None else min(max_rows, EXCEL_MAX_ROWS)
        return _write_excel(reader, path, limit)
    finally:
        cur.close()


def _csv_safe_sql(cur, sql: str, values: dict) -> str:
    """The query with every text column neutralised against CSV injection (safe_text)."""
    relation = cur.sql(sql, params=values)
    parts = []
    for name, kind in zip(relation.columns, relation.types):
        ident = '"' + name.replace('"', '""') + '"'
        parts.append(f"{safe_text.sql_cell(ident)} as {ident}" if str(kind) == "VARCHAR" else ident)
    return f"select {', '.join(parts)} from (\n{sql}\n)"


def _copy(cur, sql: str, values: dict, path: str, options: str) -> int:
    # `options` is one of two constants above; every value, the path too, is bound.
    row = cur.execute(f"copy ({sql}\n) to $export_path {options}", {**values, "export_path": path}).fetchone()
    return int(row[0]) if row else 0


def _write_excel(reader, path: str, limit: int) -> int:
    # strings_to_formulas off: a comment like "=HYPERLINK(...)" stays text. write_row lets
    # xlsxwriter pick each cell's type (a timestamp gets default_date_format), row by row.
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd hh:mm:ss",
        },
    )
    sheet = workbook.add_worksheet("visits")
    sheet.write_row(0, 0, list(reader.schema.names), workbook.add_format({"bold": True}))
    sheet.freeze_panes(1, 0)
    written = 0
    for batch in reader:
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for values in zip(*columns):
            if written >= limit:
                break
            written += 1
            sheet.write_row(written, 0, values)
        if written >= limit:
            break
    workbook.close()
    return written


def write_table(table: pd.DataFrame, fmt: str, path: str) -> int:
    """Write the (small) grouped result as shown on screen: labels and raw numbers."""
    if fmt == "csv":
        safe_text.csv_safe(table).to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        options = {"strings_to_formulas": False, "strings_to_urls": False}
        with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
            table.to_excel(writer, index=False, sheet_name="result")
    elif fmt == "parquet":
        table.to_parquet(path, index=False)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return len(table)


def as_download(write: Callable[[str], object], fmt: str) -> Callable[[], BinaryIO]:
    """A no-argument callable for a deferred download button: it writes the file to a
    temporary path when the user clicks and hands back an open handle (the path is unlinked
    at once, so the disk space goes with the handle)."""

    def produce() -> BinaryIO:
        fd, path = tempfile.mkstemp(prefix="peakend-export-", suffix="." + fmt)
        os.close(fd)
        try:
            write(path)
            handle = open(path, "rb")
        finally:
            os.remove(path)
        return handle

    return produce
