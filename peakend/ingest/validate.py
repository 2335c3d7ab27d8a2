"""Check one file inside a DuckDB cursor: stage it, read every column as the contract says,
and split its rows into good ones (the view `__clean`), rows left out on purpose by the
mapping's skip rules, and bad ones (the table `__problems`: row, column, value, reason).

Nothing here writes to the database's own tables; it only makes temporary ones in the
cursor it is given, so a dry run and a load share every check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from peakend.ingest import readers
from peakend.ingest.contract import FIELDS, KEY, guess_kind
from peakend.ingest.errors import FileRefused
from peakend.ingest.mapping import Mapping, identity, resolve_column
from peakend.ingest.readers import Staged
from peakend.ingest.sqlgen import Compiled, compile_mapping

DUPLICATE = "repeats an id that an earlier row of this file has"
EXAMPLES = 5


@dataclass
class Checked:
    staged: Staged
    mapping: Mapping
    compiled: Compiled
    rows_read: int
    rows_ok: int
    rows_rejected: int
    skipped: dict[str, int]

    @property
    def kind(self) -> str:
        return self.mapping.kind


def expected_columns(mapping: Mapping | None) -> set[str]:
    names = set()
    for kind_fields in FIELDS.values():
        names.update(kind_fields)
    if mapping is not None:
        names.update(mapping.source_columns())
    return names


def check_file(
    cur: duckdb.DuckDBPyConnection,
    path: Path,
    workdir: Path,
    mapping: Mapping | None = None,
    kind: str | None = None,
    extra_halls: list[str] | None = None,
) -> Checked:
    """Stage and check `path`. `mapping` None means contract columns, with the kind from
    `kind` or else guessed from the header. `extra_halls` count as known halls (the ones a
    mapping will create). Raises FileRefused for a file that can't be loaded at all."""
    staged = readers.stage(
        cur, path, workdir, expected_columns(mapping), sheet=mapping.sheet if mapping else None
    )
    if mapping is None:
        mapping = identity(kind or guess_kind(staged.columns))
    compiled = compile_mapping(mapping, staged.columns, staged.table, path.name, extra_halls)
    ambiguous = [c for c in staged.duplicate_columns if resolve_column(c, compiled.used_columns)]
    if ambiguous:
        raise FileRefused(
            f"{path.name}: the header names {', '.join(ambiguous)} more than once, so it is "
            "unclear which column to load. Rename or remove the repeated column."
        )
    cur.execute(f"create or replace temp table __staged as {compiled.select}", compiled.params)
    cur.execute(
        "create or replace temp table __problems (row bigint, column_name varchar, value varchar, reason varchar)"
    )
    if staged.structural:
        cur.executemany("insert into __problems values (?, ?, ?, ?)", [list(r) for r in staged.structural])
    cur.execute(
        """insert into __problems
           select __row, p.column, p.value, p.reason
           from (select __row, unnest(__problems) as p from __staged where len(__problems) > 0)"""
    )
    key = KEY[mapping.kind]
    # Among rows otherwise good, the first of a repeated id loads and the later ones are
    # kept aside, each saying where the first one is.
    cur.execute(
        f"""insert into __problems
            with ok as (
                select __row, {key} as k from __staged
                where __skip is null and {key} is not null
                  and __row not in (select row from __problems)),
            repeated as (select k from ok group by k having count(*) > 1)
            select __row, $label, k || ' (first at row ' || first_row || ')', $reason
            from (select __row, k, min(__row) over (partition by k) as first_row,
                         row_number() over (partition by k order by __row) as n
                  from ok where k in (select k from repeated))
            where n > 1""",
        {"label": compiled.labels[key], "reason": DUPLICATE},
    )
    columns = list(FIELDS[mapping.kind])
    if mapping.kind == "visits":
        # DESIGN.md: when `abandoned` is absent, a visit never called that left gave up
        columns[columns.index("abandoned")] = (
            "coalesce(abandoned, called_at is null and left_at is not null) as abandoned"
        )
    cur.execute(
        f"""create or replace temp view __clean as
            select {', '.join(columns)} from __staged
            where __skip is null and __row not in (select row from __problems)"""
    )
    staged_rows = cur.execute("select count(*) from __staged").fetchall()[0][0]
    rejected = cur.execute("select count(distinct row) from __problems").fetchall()[0][0]
    skipped_counts = cur.execute(
        "select __skip, count(*) from __staged where __skip is not null group by __skip order by __skip"
    ).fetchall()
    skipped = {compiled.skip_reasons[i]: n for i, n in skipped_counts}
    ok = cur.execute("select count(*) from __clean").fetchall()[0][0]
    return Checked(
        staged, mapping, compiled, staged_rows + len(staged.structural), ok, rejected, skipped
    )


# A report carries at most this many problems in memory; all of them are in the database
# and in the rejects file whatever their number.
REPORT_LIMIT = 100_000


def problems_frame(cur: duckdb.DuckDBPyConnection, file_name: str) -> pd.DataFrame:
    """The problems found, one row each (file, row, column, value, reason), in file order,
    the first REPORT_LIMIT of them."""
    return cur.execute(
        """select $file as file, row, column_name as column, value, reason
           from __problems order by row, column_name limit $limit""",
        {"file": file_name, "limit": REPORT_LIMIT},
    ).df()


def reasons_frame(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Problems grouped by reason and column, with how many rows and a few examples."""
    return cur.execute(
        f"""select reason, column_name as column, count(distinct row) as rows,
                   list({{'row': row, 'value': value}} order by row)[1:{EXAMPLES}] as examples
            from __problems group by reason, column_name order by rows desc, reason"""
    ).df()


def rejected_rows(cur: duckdb.DuckDBPyConnection, staged: Staged):
    """One row per rejected file row: where and why, then the row's original values (as
    text, in the file's column order) so it can be fixed and loaded again. An Arrow table."""
    originals = ", ".join(f"s.{readers.quote_ident(c)}" for c in staged.columns)
    return cur.sql(
        f"""select p.row as reject_row, p.columns as reject_column, p.reasons as reject_reason,
                   p.values_ as reject_value, {originals}
            from (select row, string_agg(column_name, '; ' order by column_name) as columns,
                         string_agg(reason, '; ' order by column_name) as reasons,
                         string_agg(coalesce(value, ''), '; ' order by column_name) as values_
                  from __problems group by row) as p
            left join {staged.table} as s on s.__row = p.row
            order by p.row"""
    ).to_arrow_table()
