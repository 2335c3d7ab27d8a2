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

from peakend.warehouse.ingest import readers
from peakend.warehouse.ingest import settings as ingest_settings
from peakend.warehouse.ingest.contract import FIELDS, KEY, KEY_SQL, guess_kind
from peakend.warehouse.ingest.errors import FileRefused
from peakend.warehouse.ingest.mapping import Mapping, identity, resolve_column
from peakend.warehouse.ingest.readers import Staged
from peakend.warehouse.ingest.settings import SET_ON
from peakend.warehouse.ingest.sqlgen import PLAIN_CODE, Compiled, compile_mapping

DUPLICATE = "repeats an id that an earlier row of this file has"
NOT_PLAIN = "is a new purpose code that is not a plain identifier (letters, digits, _ . - only)"
DUPLICATE_PERIOD = "repeats a hall and period start that an earlier row of this file has"
DUPLICATE_RATING = "repeats a visit and moment that an earlier row of this file has"
HEADER_AGAIN = "repeats the header row (two exports joined into one file?)"
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
    offsets: int = 0  # timestamps that carried an offset or zone, converted
    time_zone: str = ""
    unknown_columns: list[tuple[str, str | None]] | None = None  # (file column, contract column it probably meant)

    @property
    def kind(self) -> str:
        return self.mapping.kind


def expected_columns(mapping: Mapping | None) -> set[str]:
    names: set[str] = set()
    for kind_fields in FIELDS.values():
        names.update(kind_fields)
    if mapping is not None:
        names.update(mapping.source_columns())
    return names


def suggest(column: str, candidates: list[str]) -> str | None:
    """The contract column a file column probably meant ("exit_scores" -> "exit_score"):
    the closest by edit distance, when close enough to be a slip rather than another name."""
    import difflib

    from peakend.warehouse.ingest.contract import normalise_name

    name = normalise_name(column)
    best, best_ratio = None, 0.0
    for c in candidates:
        ratio = difflib.SequenceMatcher(None, name, c).ratio()
        if ratio > best_ratio:
            best, best_ratio = c, ratio
    return best if best_ratio >= 0.8 else None


def unknown_columns(mapping: Mapping, compiled: Compiled) -> list[tuple[str, str | None]]:
    """The file's columns no target reads, each with the contract column it probably
    meant among those the file does not fill (for a mapping, every column is named)."""
    filled = set(compiled.labels)
    free = [c for c in FIELDS[mapping.kind] if c not in filled]
    return [(c, suggest(c, free)) for c in compiled.ignored_columns]


def check_file(
    cur: duckdb.DuckDBPyConnection,
    path: Path,
    workdir: Path,
    mapping: Mapping | None = None,
    kind: str | None = None,
    extra_halls: list[str] | None = None,
    sheet: str | None = None,
    strict: bool = False,
    writable_halls: list[str] | None = None,
) -> Checked:
    """Stage and check `path`. `mapping` None means contract columns, with the kind from
    `kind` or else guessed from the header. `extra_halls` count as known halls (the ones a
    mapping will create). `sheet` names a workbook's sheet (else the mapping's, else the
    one with the contract's columns). `strict` refuses a file with columns the load would
    not read. `writable_halls` (an ingest API source's halls) rejects every row of another
    hall. Raises FileRefused for a file that can't be loaded at all."""
    config = ingest_settings.read(cur)
    staged = readers.stage(
        cur,
        path,
        workdir,
        expected_columns(mapping),
        sheet=sheet or (mapping.sheet if mapping else None),
        max_unpacked_bytes=config.max_unpacked_bytes,
    )
    if mapping is None:
        mapping = identity(kind or guess_kind(staged.columns))
    compiled = compile_mapping(
        mapping, staged.columns, staged.table, path.name, extra_halls, config, hall_zones(cur, mapping)
    )
    unknown = unknown_columns(mapping, compiled)
    if strict and unknown:
        from peakend.warehouse.ingest.reports import unknown_text

        raise FileRefused(
            f"{path.name}: has column{'s' if len(unknown) > 1 else ''} that the load would not "
            f"read: {unknown_text(unknown)}. Rename or remove {'them' if len(unknown) > 1 else 'it'} "
            "(strict mode refuses a file with unknown columns)."
        )
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
    _header_again(cur, compiled, key)
    if mapping.kind == "visits":
        _plausibility(cur, compiled, mapping, config)
    if writable_halls is not None and "hall_id" in compiled.labels:
        _writable_halls(cur, compiled, writable_halls)
    key_sql = KEY_SQL.get(mapping.kind, key)
    # Among rows otherwise good, the first of a repeated id loads and the later ones are
    # kept aside, each saying where the first one is.
    cur.execute(
        f"""insert into __problems
            with ok as (
                select __row, {key_sql} as k from __staged
                where __skip is null and ({key_sql}) is not null
                  and __row not in (select row from __problems)),
            repeated as (select k from ok group by k having count(*) > 1)
            select __row, $label, k || ' (first at row ' || first_row || ')', $reason
            from (select __row, k, min(__row) over (partition by k) as first_row,
                         row_number() over (partition by k order by __row) as n
                  from ok where k in (select k from repeated))
            where n > 1""",
        {
            "label": compiled.labels[key],
            "reason": {"periods": DUPLICATE_PERIOD, "ratings": DUPLICATE_RATING}.get(mapping.kind, DUPLICATE),
        },
    )
    columns = list(FIELDS[mapping.kind])
    if mapping.kind == "visits":
        # DESIGN.md: when `abandoned` is absent, a visit never called that left gave up
        columns[columns.index("abandoned")] = (
            "coalesce(abandoned, called_at is null and left_at is not null) as abandoned"
        )
    cur.execute(
        f"""create or replace temp view __clean as
            select {", ".join(columns)} from __staged
            where __skip is null and __row not in (select row from __problems)"""
    )
    staged_rows = cur.execute("select count(*) from __staged").fetchall()[0][0]
    rejected = cur.execute("select count(distinct row) from __problems").fetchall()[0][0]
    skipped_counts = cur.execute(
        "select __skip, count(*) from __staged where __skip is not null group by __skip order by __skip"
    ).fetchall()
    skipped = {compiled.skip_reasons[i]: n for i, n in skipped_counts}
    ok = cur.execute("select count(*) from __clean").fetchall()[0][0]
    by_zone = cur.execute(
        """select __zone, sum(__offsets) as n from __staged
           where __skip is null and __offsets > 0 group by __zone order by n desc, __zone"""
    ).fetchall()
    offsets = sum(int(n) for _, n in by_zone)
    if staged.spans:
        cur.execute("create or replace temp table __spans (row bigint, first_line bigint, last_line bigint)")
        cur.executemany("insert into __spans values (?, ?, ?)", [list(r) for r in staged.spans])
    else:
        cur.execute("create or replace temp table __spans (row bigint, first_line bigint, last_line bigint)")
    return Checked(
        staged,
        mapping,
        compiled,
        staged_rows + len(staged.structural),
        ok,
        rejected,
        skipped,
        int(offsets),
        zones_text(by_zone, config.time_zone),
        unknown,
    )


def hall_zones(cur: duckdb.DuckDBPyConnection, mapping: Mapping | None) -> dict[str, str]:
    """The halls with a time zone of their own: stored ones, and those a mapping brings."""
    zones = dict(cur.execute("select hall_id, time_zone from halls where time_zone is not null").fetchall())
    for hall in mapping.halls if mapping else []:
        zone = ingest_settings.canonical_zone(str(hall.get("time_zone") or ""))
        if zone and hall["hall_id"] not in zones:
            zones[hall["hall_id"]] = zone
    return zones


def zones_text(by_zone: list[tuple[str, int]], network: str) -> str:
    """Which zone(s) the offsets were converted to: "Asia/Tokyo", or with counts when
    several ("Asia/Tokyo 2, Asia/Shanghai 1")."""
    if not by_zone:
        return network
    if len(by_zone) == 1:
        return str(by_zone[0][0])
    return ", ".join(f"{zone} {int(n):,}" for zone, n in by_zone)


def reader_notes(staged: Staged) -> list[tuple[str, dict]]:
    """What reading the file did that the user should know: (key, values) of
    reports.NOTES."""
    notes = list(staged.notes)
    if len(staged.line_endings) > 1:
        mix = ", ".join(f"{k} {n:,}" for k, n in staged.line_endings.items())
        notes.append(("line_endings", {"mix": mix}))
    if staged.spans:
        row, first, last = staged.spans[0]
        notes.append(("spans", {"n": len(staged.spans), "row": row, "first": first, "last": last}))
    if len(staged.sheets) > 1:
        notes.append(("sheets", {"n": len(staged.sheets), "sheets": ", ".join(staged.sheets), "sheet": staged.sheet}))
    return notes


def _header_again(cur: duckdb.DuckDBPyConnection, compiled: Compiled, key: str) -> None:
    """A row whose id is the id column's own name is the header again (two exports pasted
    into one file): one reason for the whole row, not one per column it fails (a halls or
    staff file's header would otherwise load as a hall or a person)."""
    label = compiled.labels.get(key)
    if not label:
        return
    rows = [
        r
        for (r,) in cur.execute(
            f"select __row from __staged where __skip is null and lower(trim({key}::varchar)) = lower(trim($label))",
            {"label": label},
        ).fetchall()
    ]
    if not rows:
        return
    cur.execute("delete from __problems where list_contains($rows, row)", {"rows": rows})
    cur.executemany(
        "insert into __problems values (?, '(whole row)', ?, ?)",
        [[r, ",".join(compiled.used_columns), HEADER_AGAIN] for r in rows],
    )


def not_writable_reason(halls: list[str]) -> str:
    return f"is a hall this source may not write (its token is for {', '.join(sorted(halls)) or 'no hall'})"


def _writable_halls(cur, compiled: Compiled, halls: list[str]) -> None:
    """Rows of a hall outside an ingest source's halls are rejected like any bad row."""
    cur.execute(
        """insert into __problems
           select __row, $label, hall_id, $reason from __staged
           where __skip is null and hall_id is not null
             and not list_contains($halls::varchar[], hall_id)""",
        {"label": compiled.labels["hall_id"], "halls": list(halls), "reason": not_writable_reason(halls)},
    )


def _plausibility(cur, compiled: Compiled, mapping: Mapping, config) -> None:
    """Checks across rows and the database: an arrival long before the hall's first day
    of data (stored, or else this file's median day for the hall), and a new purpose code
    that isn't a plain identifier."""
    if "arrived_at" in compiled.labels and "hall_id" in compiled.labels:
        cur.execute(
            """insert into __problems
               with stored as (select hall_id, min(arrived_at) as first from visits group by hall_id),
               here as (select hall_id, quantile_disc(arrived_at, 0.5) as mid from __staged
                        where __skip is null and arrived_at is not null group by hall_id)
               select s.__row, $label,
                      strftime(s.arrived_at, '%Y-%m-%d %H:%M:%S') || ' (first day of data '
                          || strftime(coalesce(st.first, h.mid), '%Y-%m-%d') || ')', $reason
               from __staged as s
               left join stored as st using (hall_id) left join here as h using (hall_id)
               where s.__skip is null and len(s.__problems) = 0
                 and s.arrived_at < coalesce(st.first, h.mid) - to_days($days)""",
            {
                "label": compiled.labels["arrived_at"],
                "days": int(config.past_days),
                "reason": f"is more than {int(config.past_days)} days before the hall's first day of data ({SET_ON})",
            },
        )
    if "purpose" in compiled.labels:
        known = [p["purpose"] for p in mapping.purposes]
        cur.execute(
            """insert into __problems
               select __row, $label, left(purpose, 80), $reason from __staged
               where __skip is null and purpose is not null
                 and purpose not in (select purpose from purposes)
                 and not list_contains($known::varchar[], purpose)
                 and not regexp_matches(purpose, $plain)""",
            {"label": compiled.labels["purpose"], "known": known, "plain": PLAIN_CODE, "reason": NOT_PLAIN},
        )


# What a dry run and a load say about the durations they would store: the median wait and
# service time, with a warning when one is implausible (a duration in minutes read as
# seconds loads 60x too short, with no row rejected).
IMPLAUSIBLE_SHORT_S = 30
IMPLAUSIBLE_LONG_S = 4 * 3600
IMPLAUSIBLE_FACTOR = 10
_NETWORK_SAMPLE = 200_000  # stored visits the network's medians are taken over (a sample)


def clock(seconds: float) -> str:
    """A duration as H:MM:SS (the same in both languages): 0:00:08, 1:02:03."""
    total = round(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    return f"{sign}{total // 3600}:{total // 60 % 60:02d}:{total % 60:02d}"


def duration_notes(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, dict]]:
    """(key, values) of reports.NOTES for the rows of __clean (visits): their median wait
    and service time, and a warning for each that is under 30 s, over 4 h, or more than 10x
    away from the median of the halls already loaded (other halls than this file's)."""
    here = cur.execute(
        """select quantile_cont(epoch(called_at - arrived_at), 0.5) filter (where called_at is not null),
                  count(*) filter (where called_at is not null),
                  quantile_cont(epoch(service_ended_at - service_started_at), 0.5)
                      filter (where service_ended_at is not null and service_started_at is not null),
                  count(*) filter (where service_ended_at is not null and service_started_at is not null)
           from __clean"""
    ).fetchall()[0]
    network = cur.execute(
        f"""select quantile_cont(wait_s, 0.5), quantile_cont(service_s, 0.5)
            from (select epoch(called_at - arrived_at) as wait_s,
                         epoch(service_ended_at - service_started_at) as service_s
                  from visits
                  where hall_id not in (select distinct hall_id from __clean where hall_id is not null))
            using sample reservoir({_NETWORK_SAMPLE} rows) repeatable (7)"""
    ).fetchall()[0]
    notes: list[tuple[str, dict]] = []
    for what, median, n, stored in (("wait", here[0], here[1], network[0]), ("service", here[2], here[3], network[1])):
        if not n or median is None:
            continue
        notes.append((f"median_{what}", {"median": clock(median), "n": f"{int(n):,}"}))
        if median < IMPLAUSIBLE_SHORT_S:
            notes.append((f"{what}_too_short", {"median": clock(median), "limit": clock(IMPLAUSIBLE_SHORT_S)}))
        elif median > IMPLAUSIBLE_LONG_S:
            notes.append((f"{what}_too_long", {"median": clock(median), "limit": clock(IMPLAUSIBLE_LONG_S)}))
        if stored is not None and stored > 0 and median > 0:
            ratio = median / stored
            if ratio > IMPLAUSIBLE_FACTOR or ratio < 1 / IMPLAUSIBLE_FACTOR:
                notes.append(
                    (
                        f"{what}_unlike_network",
                        {
                            "median": clock(median),
                            "network": clock(stored),
                            "times": f"{max(ratio, 1 / ratio):.0f}",
                        },
                    )
                )
    return notes


def period_duration_notes(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, dict]]:
    """(key, values) of reports.NOTES for the rows of __clean (an hourly report): the median
    of each duration column it has, with a warning when one is over 4 h or above zero but
    under 30 s (a posted wait of 0, no queue, is plausible): the sign of a wrong unit."""
    columns = [name for name, f in FIELDS["periods"].items() if f.type == "minutes"]
    medians = cur.execute(
        "select " + ", ".join(f"quantile_cont({c}, 0.5) * 60, count({c})" for c in columns) + " from __clean"
    ).fetchall()[0]
    notes: list[tuple[str, dict]] = []
    for i, column in enumerate(columns):
        median, n = medians[2 * i], medians[2 * i + 1]
        if not n or median is None:
            continue
        notes.append(("median_report", {"what": column, "median": clock(median), "n": f"{int(n):,}"}))
        if 0 < median < IMPLAUSIBLE_SHORT_S:
            notes.append(
                ("report_too_short", {"what": column, "median": clock(median), "limit": clock(IMPLAUSIBLE_SHORT_S)})
            )
        elif median > IMPLAUSIBLE_LONG_S:
            notes.append(
                ("report_too_long", {"what": column, "median": clock(median), "limit": clock(IMPLAUSIBLE_LONG_S)})
            )
    return notes


# A report carries at most this many problems in memory; all of them are in the database
# and in the rejects file whatever their number.
REPORT_LIMIT = 100_000


def problems_frame(cur: duckdb.DuckDBPyConnection, file_name: str) -> pd.DataFrame:
    """The problems found, one row each (file, row, column, value, reason), in file order,
    the first REPORT_LIMIT of them."""
    return cur.execute(
        """select $file as file, p.row, p.column_name as column, p.value, p.reason,
                  case when s.row is not null then s.first_line || '-' || s.last_line end as lines
           from __problems as p left join __spans as s on s.row = p.row
           order by p.row, p.column_name, p.reason limit $limit""",
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
    text, in the file's column order) so it can be fixed and loaded again. An Arrow table.
    Text that a spreadsheet would run as a formula gets a leading ' (safe_text)."""
    from peakend.core.safe_text import sql_cell

    originals = ", ".join(
        f"{sql_cell('s.' + readers.quote_ident(c))} as {readers.quote_ident(c)}" for c in staged.columns
    )
    return cur.sql(
        f"""select p.row as reject_row, p.columns as reject_column, p.reasons as reject_reason,
                   {sql_cell("p.values_")} as reject_value, {originals}
            from (select row, string_agg(column_name, '; ' order by column_name) as columns,
                         string_agg(reason, '; ' order by column_name) as reasons,
                         string_agg(coalesce(value, ''), '; ' order by column_name) as values_
                  from __problems group by row) as p
            left join {staged.table} as s on s.__row = p.row
            order by p.row"""
    ).to_arrow_table()
