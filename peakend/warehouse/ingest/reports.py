"""What a load or a dry run tells the user: plain dataclasses a page or the CLI shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

REJECT_COLUMNS = ["file", "row", "column", "value", "reason", "lines"]


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})


def _problem_lines(rejects: pd.DataFrame, rows_rejected: int, limit: int) -> list[str]:
    lines = [
        f"{p.file} row {p.row}"
        + (f" (lines {p.lines} of the file)" if isinstance(getattr(p, "lines", None), str) else "")
        + f", {p.column}: {p.reason}"
        + ("" if p.value is None or pd.isna(p.value) else f" (value {_short(p.value)!r})")
        for p in rejects.head(limit).itertuples()
    ]
    if rows_rejected and len(rejects) > limit:
        lines.append(f"... {len(rejects) - limit:,} more problems in the rejects file")
    return lines


def _short(value: str, keep: int = 200) -> str:
    return value if len(value) <= keep else f"{value[:keep]}… ({len(value):,} characters)"


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


@dataclass
class LoadReport:
    """One file's load. status: "loaded", "unchanged" (the same content was already loaded
    and nothing it loaded has changed since, so nothing was written), or "refused" (the
    file could not be loaded at all; `message` says why; nothing was written)."""

    file: Path
    status: str
    message: str = ""
    kind: str | None = None
    mapping: str | None = None
    load_id: int | None = None
    same_as_load: int | None = None  # for "unchanged": the earlier load
    rows_read: int = 0
    rows_loaded: int = 0
    rows_replaced: int = 0  # of the loaded rows, how many replaced a stored row (same id)
    rows_rejected: int = 0
    rows_skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    new_purposes: list[str] = field(default_factory=list)  # unknown codes added as `other`
    created_halls: list[str] = field(default_factory=list)  # halls the mapping created
    ignored_columns: list[str] = field(default_factory=list)
    # file columns no target reads, with the contract column each probably meant
    unknown_columns: list[tuple[str, str | None]] = field(default_factory=list)
    offsets: int = 0  # timestamps with an offset or zone, converted to time_zone
    time_zone: str | None = None
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (key, values): reports.NOTES
    sheet: str | None = None
    # one row per problem (the first 100,000; every one is in rejects_csv and the database)
    rejects: pd.DataFrame = field(default_factory=_empty_rejects)
    rejects_csv: Path | None = None  # one row per rejected row, with its original values
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    file_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    def problem_lines(self, limit: int = 5) -> list[str]:
        """The first problems as "file row N, column: reason (value ...)" lines."""
        return _problem_lines(self.rejects, self.rows_rejected, limit)

    def summary(self) -> str:
        """One line for the CLI or a status message."""
        name = self.file.name
        if self.status == "refused":
            return f"REFUSED {self.message}"
        if self.status == "unchanged":
            return (
                f"{name}: unchanged — the same content was already loaded as load "
                f"{self.same_as_load} ({_rows(self.rows_loaded)}); nothing written"
            )
        what = {"periods": "hourly-report", "ratings": "key-moment rating"}.get(self.kind or "", self.kind or "")
        parts = [f"{name}: load {self.load_id}: {_rows(self.rows_loaded)} {what} loaded".replace("  ", " ")]
        if self.rows_replaced:
            parts.append(f"{self.rows_replaced:,} replaced earlier ones")
        parts.append(f"{self.rows_rejected:,} rejected")
        if self.rows_skipped:
            parts.append(f"{self.rows_skipped:,} skipped by the mapping's rules")
        if self.new_purposes:
            parts.append(f"new purpose codes as 'other': {', '.join(self.new_purposes)}")
        line = ", ".join(parts) + f" in {self.seconds:.1f} s"
        if self.rejects_csv is not None:
            line += f"; rejects in {self.rejects_csv.name}"
        for w in self.warnings:
            line += f"; {w}"
        for note in note_lines(self):
            line += f"\n  {note}"
        return line


@dataclass
class ValidationReport:
    """A dry run: what loading the file would do, with nothing written."""

    file: Path
    status: str  # "ok" | "refused"
    message: str = ""
    kind: str | None = None
    mapping: str | None = None
    rows_read: int = 0
    rows_ok: int = 0  # rows that would load
    rows_existing: int = 0  # of those, how many would replace a stored row (same id)
    rows_rejected: int = 0
    rows_skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    # rejects grouped: reason, column, rows, examples (list of {row, value})
    reasons: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["reason", "column", "rows", "examples"])
    )
    rejects: pd.DataFrame = field(default_factory=_empty_rejects)
    new_purposes: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unknown_columns: list[tuple[str, str | None]] = field(default_factory=list)
    offsets: int = 0
    time_zone: str | None = None
    notes: list[tuple[str, dict]] = field(default_factory=list)
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    file_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    seconds: float = 0.0
    # the median wait and service time the load would store, then a warning for each that is
    # implausible: (key, values) of NOTES; a key ending in a median_ is said, any other warns
    durations: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def duration_warnings(self) -> list[tuple[str, dict]]:
        return [(k, v) for k, v in self.durations if not k.startswith("median_")]

    def problem_lines(self, limit: int = 5) -> list[str]:
        return _problem_lines(self.rejects, self.rows_rejected, limit)

    def summary(self) -> str:
        name = self.file.name
        if self.status == "refused":
            return f"REFUSED {self.message}"
        line = (
            f"{name}: dry run: {_rows(self.rows_ok)} would load"
            + (f" ({self.rows_existing:,} replacing stored ones)" if self.rows_existing else "")
            + f", {self.rows_rejected:,} would be rejected"
        )
        if self.rows_skipped:
            line += f", {self.rows_skipped:,} skipped by the mapping's rules"
        for r in self.reasons.itertuples():
            line += f"\n  {r.rows:,} × {r.column} {r.reason}"
        for reason, n in self.skipped_by_reason.items():
            line += f"\n  {n:,} skipped: {reason}"
        for note in note_lines(self):
            line += f"\n  {note}"
        for key, values in self.durations:
            line += f"\n  {NOTES[key].format(**values)}"
        return line


def unknown_text(unknown: list[tuple[str, str | None]]) -> str:
    return ", ".join(f"{c} -> {s}?" if s else c for c, s in unknown)


# What a dry run and a load say besides counts: a key (peakend/locales/data.toml has
# data.note.KEY in both languages) and the values it names; English here for the CLI.
NOTES = {
    "packed": "{file} is {what}: read {inner} from it",
    "line_endings": "line endings are mixed ({mix}): each read as a line break",
    "spans": "rows are counted as a spreadsheet shows them: {n} row(s) hold a value over several lines (row {row} is lines {first}-{last} of the file)",
    "sheets": "the workbook has {n} sheets ({sheets}): read {sheet!r}; choose another with --sheet (or the sheet picker on the Data page)",
    "other_sheet": "sheet {sheet!r} also has the contract's columns and was not read: load it with --sheet {sheet!r} (or pick it on the Data page)",
    "formulas": "{n} formula cell(s) on sheet {sheet!r} have no saved value ({cells}), so they read as empty: open the workbook in Excel, save it, and load it again",
    "unknown": "{n} column(s) not in the contract, not loaded: {columns}",
    "offsets": "{n} timestamp(s) carried a UTC offset or zone: converted to {zone} (the local time of each visit's hall)",
    "median_wait": "median wait {median} (H:MM:SS, over {n} called visits)",
    "median_service": "median service time {median} (H:MM:SS, over {n} visits with a service)",
    "wait_too_short": "WARNING: the median wait {median} is under {limit}: implausible for a hall; is a duration in minutes read as seconds? Give the column its unit in the mapping",
    "wait_too_long": "WARNING: the median wait {median} is over {limit}: implausible for a hall; is a duration in seconds read as minutes or hours? Give the column its unit in the mapping",
    "service_too_short": "WARNING: the median service time {median} is under {limit}: implausible for a hall; is a duration in minutes read as seconds? Give the column its unit in the mapping",
    "service_too_long": "WARNING: the median service time {median} is over {limit}: implausible for a hall; is a duration in seconds read as minutes or hours? Give the column its unit in the mapping",
    "median_report": "median {what} {median} (H:MM:SS, over {n} report rows)",
    "report_too_short": "WARNING: the median {what} {median} is under {limit}: implausible for a hall; is a duration in minutes read as seconds? Give the column its unit in the mapping",
    "report_too_long": "WARNING: the median {what} {median} is over {limit}: implausible for a hall; is a duration in seconds read as minutes? Give the column its unit in the mapping",
    "wait_unlike_network": "WARNING: the median wait {median} is {times}x away from the halls already loaded ({network}): check the unit of the wait's duration column",
    "service_unlike_network": "WARNING: the median service time {median} is {times}x away from the halls already loaded ({network}): check the unit of the service's duration column",
}


def note_values(report) -> list[tuple[str, dict]]:
    """The notes of a report as (key, values), reader notes first."""
    out = list(report.notes)
    if report.unknown_columns:
        out.append(("unknown", {"n": len(report.unknown_columns), "columns": unknown_text(report.unknown_columns)}))
    if report.offsets:
        out.append(("offsets", {"n": report.offsets, "zone": report.time_zone}))
    return out


def note_lines(report) -> list[str]:
    """What the reader and the checks did besides loading rows, one plain line each: the
    same lines after a dry run and after a load."""
    return [NOTES[key].format(**values) for key, values in note_values(report)]
