"""The data page's logic (no Streamlit): a column mapping built from the page's choices,
the preset that fits a file, the order files load in, what a check or a load says in the
user's language, and the target and purpose tables a data admin edits.

Reading, checking and loading files is peakend.warehouse.ingest's work; this module only turns the
page's choices into its inputs and its reports into words.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from peakend.auth import audit
from peakend.core import formatting, safe_text
from peakend.core.i18n import t
from peakend.core.moments import ALL_PEAK_MOMENTS
from peakend.warehouse import store as warehouse
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import LoadReport, Mapping, MappingError, ValidationReport
from peakend.warehouse.ingest import settings as load_checks
from peakend.warehouse.ingest.contract import FIELDS, required_columns
from peakend.warehouse.ingest.mapping import NAME_PATTERN, resolve_column
from peakend.warehouse.schema import NETWORK, TARGET_COLUMNS

# -- building a mapping from the page's choices ----------------------------------------------
NONE, COLUMN, CONCAT, CONSTANT, DATE_TIME, CLOCK, AFTER = (
    "none",
    "column",
    "concat",
    "constant",
    "date_time",
    "clock",
    "after",
)
ARRIVAL = "arrived_at"  # the time every clock time without a date is placed near


def hows(kind: str, target: str) -> tuple[str, ...]:
    """How the page may fill a contract column: what its type allows."""
    kind_of = FIELDS[kind][target].type
    if kind_of == "timestamp":
        if target == ARRIVAL or ARRIVAL not in FIELDS[kind]:
            return (NONE, COLUMN, DATE_TIME)
        return (NONE, COLUMN, DATE_TIME, CLOCK, AFTER)
    if kind_of == "text":
        return (NONE, COLUMN, CONCAT, CONSTANT)
    return (NONE, COLUMN, CONSTANT)


def timestamp_targets(kind: str) -> list[str]:
    return [name for name, f in FIELDS[kind].items() if f.type == "timestamp"]


@dataclass
class Choice:
    """How one contract column is filled, as the page's widgets say it."""

    how: str = NONE
    column: str | None = None  # the column; the date column; the clock-time column
    columns: tuple[str, ...] = ()  # columns joined
    separator: str = "-"
    time_column: str | None = None  # with a date column
    fmt: str = ""  # format of the column, or of the date column
    time_fmt: str = ""  # format of the time column
    value: str = ""  # a constant
    value_map: str = ""  # "code=value; code=value"
    start: str | None = None  # AFTER: the contract column it starts from
    seconds: str | None = None  # AFTER: the duration column added (optional)
    unit: str = "seconds"  # AFTER: the duration column's unit (mapping.DURATION_UNITS)


@dataclass
class SkipRule:
    """Rows to leave out: a file column's text equals a value, is one of several, or is
    empty. Rules with the same reason must all hold (and); different reasons are separate
    rules (any)."""

    column: str | None
    test: str  # equals | in | is_empty
    values: str
    reason: str


SKIP_TESTS = ("equals", "in", "is_empty")


class BuildError(ValueError):
    """A choice on the page can't become a mapping; the message (in the user's language)
    names the column and what is missing."""


def default_choices(kind: str, file_columns: list[str]) -> dict[str, Choice]:
    """A contract column the file has under the same name (ignoring case and spacing) is
    taken from it; everything else starts empty."""
    out = {}
    for target in FIELDS[kind]:
        found = resolve_column(target, file_columns)
        out[target] = Choice(COLUMN, column=found) if found else Choice()
    return out


def parse_value_map(text: str, target: str) -> dict[str, str]:
    """'PS=bank_regular; PE=bank_regular_en' (or one pair a line) as {code: value}."""
    out: dict[str, str] = {}
    for part in re.split(r"[;\n]", text or ""):
        if not part.strip():
            continue
        if "=" not in part:
            raise BuildError(t("data.build.bad_map", target=target, part=part.strip()))
        code, value = part.split("=", 1)
        out[code.strip()] = value.strip()
    return out


def _spec(kind: str, target: str, c: Choice) -> object | None:
    need = lambda what: BuildError(t("data.build.needs", target=target, what=t(f"data.build.part.{what}")))  # noqa: E731
    if c.how == NONE:
        return None
    if c.how == CONSTANT:
        if not c.value.strip():
            raise need("value")
        return {"value": c.value.strip()}
    if c.how == COLUMN:
        if not c.column:
            raise need("column")
        spec: dict = {"column": c.column}
        if FIELDS[kind][target].type == "minutes" and c.unit != "minutes":
            spec["unit"] = c.unit  # a report's duration in another unit than minutes
        if c.fmt.strip():
            spec["format"] = c.fmt.strip()
        if c.value_map.strip():
            spec["map"] = parse_value_map(c.value_map, target)
        return spec if len(spec) > 1 else c.column
    if c.how == CONCAT:
        if len(c.columns) < 2:
            raise need("columns")
        spec = {"concat": list(c.columns), "sep": c.separator}
        if c.value_map.strip():
            spec["map"] = parse_value_map(c.value_map, target)
        return spec
    if c.how == DATE_TIME:
        if not c.column:
            raise need("date_column")
        spec = {"date": c.column}
        if c.fmt.strip():
            spec["date_format"] = c.fmt.strip()
        if c.time_column:
            spec["time"] = c.time_column
            if c.time_fmt.strip():
                spec["time_format"] = c.time_fmt.strip()
        return spec
    if c.how == CLOCK:
        if not c.column:
            raise need("time_column")
        spec = {"time": c.column, "near": ARRIVAL}
        if c.time_fmt.strip():
            spec["time_format"] = c.time_fmt.strip()
        return spec
    if c.how == AFTER:
        if not c.start or c.start == target:
            raise need("start")
        spec = {"from": c.start}
        if c.seconds:
            if c.unit == "seconds":
                spec["plus_seconds"] = c.seconds
            else:
                spec["plus"], spec["unit"] = c.seconds, c.unit
        return spec
    raise ValueError(c.how)


def _skip_cond(rule: SkipRule) -> dict:
    if rule.test == "is_empty":
        return {"column": rule.column, "is_empty": True}
    if rule.test == "in":
        return {"column": rule.column, "in": [v.strip() for v in rule.values.split(",") if v.strip()]}
    return {"column": rule.column, "equals": rule.values.strip()}


def build_mapping(
    name: str,
    kind: str,
    choices: dict[str, Choice],
    skip_rules: Sequence[SkipRule] = (),
    new_hall: dict | None = None,
    description: str = "",
) -> Mapping:
    """The mapping the page's choices describe. Raises BuildError (in the user's words)
    for a choice that is incomplete, MappingError for anything the mapping itself refuses."""
    name = name.strip()
    if not NAME_PATTERN.fullmatch(name):
        raise BuildError(t("data.build.bad_name", name=name))
    columns = {}
    for target, choice in choices.items():
        spec = _spec(kind, target, choice)
        if spec is not None:
            columns[target] = spec
    missing = [r for r in required_columns(kind) if r not in columns]
    if missing:
        raise BuildError(t("data.build.required", columns=", ".join(missing)))
    for target, spec in columns.items():
        if isinstance(spec, dict) and spec.get("from") and spec["from"] not in columns:
            raise BuildError(t("data.build.start_unset", target=target, start=spec["from"]))
    skip: list[dict] = []
    by_reason: dict[str, list[dict]] = {}
    for i, rule in enumerate(skip_rules, start=1):
        if not rule.column:
            raise BuildError(t("data.build.skip_column", n=i))
        if rule.test != "is_empty" and not rule.values.strip():
            raise BuildError(t("data.build.skip_values", n=i))
        if not rule.reason.strip():
            raise BuildError(t("data.build.skip_reason", n=i))
        by_reason.setdefault(rule.reason.strip(), []).append(_skip_cond(rule))
    for reason, conds in by_reason.items():
        skip.append({"when": conds[0] if len(conds) == 1 else {"all": conds}, "reason": reason})
    halls = []
    if new_hall:
        hall = {k: v for k, v in new_hall.items() if v not in (None, "")}
        for need in ("hall_name", "region", "city"):
            if not str(hall.get(need) or "").strip():
                raise BuildError(t("data.build.hall_needs", hall=hall.get("hall_id", ""), what=t(f"data.field.{need}")))
        halls.append(hall)
    return Mapping(name=name, kind=kind, columns=columns, skip=skip, halls=halls, description=description)


def suggested_name(file_name: str) -> str:
    """A preset name from a file name (letters, digits, '_', '-', '.'), e.g. export_0302."""
    stem = Path(file_name).stem
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]+", "_", stem).strip("_.-")[:64]
    return cleaned if cleaned and NAME_PATTERN.fullmatch(cleaned) else "my_mapping"


def constant_hall(choices: dict[str, Choice]) -> str | None:
    """The one hall a mapping puts every row in, when hall_id is a constant."""
    c = choices.get("hall_id")
    if c is not None and c.how == CONSTANT and c.value.strip():
        return c.value.strip()
    return None


def fits(mapping: Mapping, file_columns: list[str]) -> bool:
    """Whether a file has every column the mapping reads and every required one."""
    if any(resolve_column(c, file_columns) is None for c in mapping.source_columns()):
        return False
    return all(
        r in mapping.columns or resolve_column(r, file_columns) is not None for r in required_columns(mapping.kind)
    )


def suggest_preset(presets: list[Mapping], file_columns: list[str]) -> str | None:
    """The first preset whose columns the file has (presets that name columns first:
    a preset that reads nothing fits every file)."""
    for mapping in sorted(presets, key=lambda m: not m.source_columns()):
        if mapping.source_columns() and fits(mapping, file_columns):
            return mapping.name
    return None


LOAD_ORDER = {"halls": 0, "purposes": 1, "staff": 1, "visits": 2, "periods": 2, "ratings": 3}


def load_order(files: list[tuple[Path, str]]) -> list[Path]:
    """Files in contract columns, halls first, then visits, ratings last, so that visits
    find their halls and ratings their visits; the upload order otherwise."""
    return [p for p, _ in sorted(files, key=lambda pk: LOAD_ORDER.get(pk[1], 2))]


# -- reports in the user's words -------------------------------------------------------------
# The loader's reasons (peakend/warehouse/ingest: sqlgen.py, validate.py, readers.py) are fixed
# English sentences, some with an example in them; each pattern names its catalogue entry.
_REASONS: list[tuple[re.Pattern, str]] = [
    (re.compile(p), key)
    for p, key in [
        (r"^is empty but required$", "empty_required"),
        (r"^is not a date and time like (?P<example>.+) \(format (?P<format>.+)\)$", "not_datetime_like"),
        (r"^is not a date and time \(expected e\.g\. (?P<example>.+)\)$", "not_datetime"),
        (r"^has a date but no time of day$", "date_only"),
        (r"^is not a time of day like (?P<example>.+)$", "not_time"),
        (r"^is not a date like (?P<example>.+)$", "not_date"),
        (r"^is not a number of (?P<unit>seconds|minutes|hours) from 0 to (?P<hours>\S+) hours", "not_report_duration"),
        (r"^has none of the measures", "no_measure"),
        (r"^repeats a hall and period start", "duplicate_period"),
        (r"^repeats a visit and moment", "duplicate_rating"),
        (r"^is not a known visit", "unknown_visit"),
        (r"^is not a key moment of the visit's hall", "not_in_journey"),
        (r"^is rated in the visit's own columns", "wide_moment"),
        (r"^is outside the moment's scale$", "outside_scale"),
        (r"^is larger than (?P<other>\S+) of the same row", "stat_order"),
        (r"^is not a number of seconds$", "not_seconds"),
        (r"^is not a number of minutes$", "not_minutes"),
        (r"^is not a number of hours$", "not_hours"),
        (r"^is not a duration like 0:05:30", "not_clock_duration"),
        (r"^is a negative duration$", "negative_duration"),
        (r"^is not a whole number from (?P<low>\S+) to (?P<high>\S+)$", "not_whole"),
        (r"^is not a number from (?P<low>\S+) to (?P<high>\S+)$", "not_number"),
        (r"^is not true or false", "not_bool"),
        (r"^is not a peak moment \((?P<moments>.+)\)$", "not_moment"),
        (r"^has a code that the mapping does not list$", "unmapped_code"),
        (r"^was called before it arrived", "called_before_arrival"),
        (r"^service ends before it starts", "service_backwards"),
        (r"^left before it arrived", "left_before_arrival"),
        (r"^left before being called", "left_before_called"),
        (r"^is a number, not a date and time \(an Excel date serial", "excel_serial"),
        (r"^repeats the header row", "header_again"),
        (r"^is marked abandoned but has a called_at time", "abandoned_called"),
        (r"^is not a known hall", "unknown_hall"),
        (r"^repeats an id that an earlier row of this file has$", "duplicate"),
        (r"^the row has fewer values than the header", "missing_values"),
        (r"^the row has more values than the header", "extra_values"),
        (r"^a quoted value is not closed properly", "open_quote"),
        (r"^the line is too long", "line_too_long"),
        (r"^the line has bytes that are not valid text$", "bad_bytes"),
        (r"^the row contains a NUL byte", "nul_byte"),
        (r"^is longer than (?P<n>\d+) characters \(an id or code", "id_too_long"),
        (r"^makes a wait longer than (?P<hours>\S+) hours", "long_wait"),
        (r"^makes a service time longer than (?P<hours>\S+) hours", "long_service"),
        (r"^makes a visit longer than (?P<hours>\S+) hours", "long_visit"),
        (r"^is in the future \(more than (?P<days>\d+) day", "future"),
        (r"^is more than (?P<days>\d+) days before the hall's first day of data", "too_early"),
        (r"^is not a time zone name", "unknown_zone"),
        (r"^is a new purpose code that is not a plain identifier", "purpose_not_plain"),
    ]
]


def reason_text(reason: str) -> str:
    """A loader's reason in the current language (unknown ones as the loader wrote them)."""
    for pattern, key in _REASONS:
        m = pattern.match(reason or "")
        if m:
            return t(f"data.reason.{key}", **m.groupdict())
    return reason


def note_texts(report) -> list[str]:
    """What a check or a load says besides counts (reports.NOTES), in the current language:
    the same notes as the command line's."""
    from peakend.warehouse.ingest.reports import note_values

    return [
        t(f"data.note.{key}", **{k: safe_text.md(v) for k, v in values.items()}) for key, values in note_values(report)
    ]


def duration_texts(report: ValidationReport) -> tuple[list[str], list[str]]:
    """The dry run's median wait and service time, and its warnings about them (a median
    under 30 s, over 4 h or 10x away from the halls already loaded), in the current language."""
    said = [
        t(f"data.note.{key}", **{k: safe_text.md(v) for k, v in values.items()}) for key, values in report.durations
    ]
    warn = {k for k, _ in report.duration_warnings}
    keys = [k for k, _ in report.durations]
    return [s for s, k in zip(said, keys) if k not in warn], [s for s, k in zip(said, keys) if k in warn]


def _examples(examples) -> str:
    items = list(examples) if examples is not None else []
    return t("data.list_sep").join(
        t("data.check.example", row=formatting.number(e["row"]), value=e["value"] if e["value"] is not None else "–")
        for e in items
    )


def reasons_table(report: ValidationReport) -> pd.DataFrame:
    """Rejected rows grouped by reason and column, with a few examples, in the user's words."""
    frame = report.reasons
    return pd.DataFrame(
        {
            "reason": [reason_text(r) for r in frame["reason"]],
            "column": list(frame["column"]),
            "rows": [int(n) for n in frame["rows"]],
            "examples": [_examples(e) for e in frame["examples"]],
        }
    )


def skipped_table(skipped: dict[str, int]) -> pd.DataFrame:
    """Rows the mapping's rules left out on purpose, by the rule's own reason."""
    return pd.DataFrame({"reason": list(skipped), "rows": [int(n) for n in skipped.values()]})


def problems_table(problems: pd.DataFrame) -> pd.DataFrame:
    """One row per problem (file, row, column, value, reason), reasons in the user's words."""
    out = problems.copy()
    out["reason"] = [reason_text(r) for r in out["reason"]]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as CSV that spreadsheet programs open as UTF-8 (with a BOM)."""
    buffer = io.StringIO()
    safe_text.csv_safe(frame).to_csv(buffer, index=False)  # no cell acts as a formula
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def check_summary(report: ValidationReport) -> str:
    if not report.ok:
        return t("data.check.refused", message=safe_text.md(report.message))
    return t(
        "data.check.summary",
        file=safe_text.md(report.file.name),
        kind=t(f"data.kind.{report.kind}"),
        ok=formatting.number(report.rows_ok),
        rejected=formatting.number(report.rows_rejected),
        skipped=formatting.number(report.rows_skipped),
        read=formatting.number(report.rows_read),
    )


def load_summary(report: LoadReport) -> tuple[str, str]:
    """(level, text): success for a load, info for a file already loaded, error for a
    refused file."""
    name = safe_text.md(report.file.name)
    if report.status == "refused":
        return "error", t("data.load.refused", message=safe_text.md(report.message))
    if report.status == "unchanged":
        return "info", t(
            "data.load.unchanged", file=name, load=report.same_as_load, rows=formatting.number(report.rows_loaded)
        )
    text = t(
        "data.load.loaded",
        file=name,
        load=report.load_id,
        kind=t(f"data.kind.{report.kind}"),
        rows=formatting.number(report.rows_loaded),
        rejected=formatting.number(report.rows_rejected),
        skipped=formatting.number(report.rows_skipped),
    )
    if report.rows_replaced:
        text += " " + t("data.load.replaced", rows=formatting.number(report.rows_replaced))
    if report.created_halls:
        text += " " + t("data.load.created_halls", halls=safe_text.md(t("data.list_sep").join(report.created_halls)))
    if report.new_purposes:
        text += " " + t("data.load.new_purposes", purposes=safe_text.md(t("data.list_sep").join(report.new_purposes)))
    return ("warning" if report.rows_rejected else "success"), text


def load_audit_detail(report: LoadReport) -> dict:
    """What the audit log keeps of a load (the loads table keeps the rest)."""
    return {
        "file": report.file.name,
        "status": report.status,
        "load_id": report.load_id,
        "same_as_load": report.same_as_load,
        "mapping": report.mapping,
        "rows_loaded": report.rows_loaded,
        "rows_rejected": report.rows_rejected,
        "rows_skipped": report.rows_skipped,
        **({"message": report.message} if report.status == "refused" else {}),
    }


# -- the load history ------------------------------------------------------------------------
def history_label(row) -> str:
    """One load in the undo picker: '#7 · bank.tsv · 2026-03-09 10:15 · loaded'."""
    when = row["loaded_at"].strftime("%Y-%m-%d %H:%M") if row["loaded_at"] is not None else "–"
    return t(
        "data.history.option",
        load=int(row["load_id"]),
        file=row["file_name"] or "–",
        when=when,
        status=t(f"data.history.status.{row['status']}"),
    )


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """The load log for the screen: when, who, file, mapping, rows, status."""
    return pd.DataFrame(
        {
            "load_id": history["load_id"].astype(int),
            "loaded_at": history["loaded_at"],
            "loaded_by": history["loaded_by"],
            "kind": [t(f"data.kind.{k}") for k in history["kind"]],
            "file_name": history["file_name"].fillna("–"),
            "mapping": history["mapping"].fillna("–"),
            "rows_accepted": history["rows_accepted"].astype(int),
            "rows_rejected": history["rows_rejected"].astype(int),
            "rows_replaced": history["rows_replaced"].astype(int),
            "rows_skipped": history["rows_skipped"].astype(int),
            "status": [
                t(
                    "data.history.status.undone_by",
                    by=by or "–",
                    when=when.strftime("%Y-%m-%d %H:%M") if when is not None and not pd.isna(when) else "–",
                )
                if status == "undone"
                else t(f"data.history.status.{status}")
                for status, by, when in zip(history["status"], history["undone_by"], history["undone_at"])
            ],
        }
    )


# -- targets (基准值) --------------------------------------------------------------------------
# Service level and abandonment are stored as shares (0.8) and edited as percentages (80).
PERCENT_TARGETS = ("service_level_target", "max_abandonment")
TARGET_RANGES = {
    "wait_target_min": (0.1, 240.0),  # in minutes; WAIT_RANGES has both units
    "service_level_target": (0.0, 100.0),
    "max_abandonment": (0.0, 100.0),
    "peak_target": (1.0, 5.0),
    "exit_target": (1.0, 5.0),
}


# The wait target is stored in minutes and edited in seconds or minutes, as the data admin
# chooses (a call centre's "80% within 20 s"; a hall's "80% within 10 min").
WAIT_UNITS = ("s", "min")
WAIT_RANGES = {"s": (1.0, 14_400.0), "min": (0.1, 240.0)}


def default_wait_unit(rows: pd.DataFrame) -> str:
    """Seconds when some wait target is under two minutes (a call centre), else minutes."""
    waits = pd.to_numeric(rows["wait_target_min"], errors="coerce").dropna()
    return "s" if (waits < 2).any() else "min"


def targets_for_editing(rows: pd.DataFrame, wait_unit: str = "min") -> pd.DataFrame:
    """queries/data_targets.sql's rows as the editor shows them: one line per hall named
    in the user's words, percentages as percentages, the wait target in `wait_unit`."""
    out = pd.DataFrame(
        {
            "hall_id": rows["hall_id"],
            "hall": [
                t("data.targets.network") if h == NETWORK else f"{name} ({h})"
                for h, name in zip(rows["hall_id"], rows["hall_name"])
            ],
            "region": rows["region"].fillna(""),
        }
    )
    for column in TARGET_COLUMNS:
        values = pd.to_numeric(rows[column], errors="coerce").astype("float64")
        if column in PERCENT_TARGETS:
            values = (values * 100).round(6)
        elif column == "wait_target_min" and wait_unit == "s":
            values = (values * 60).round(6)
        out[column] = values
    return out


def _stored(column: str, shown, wait_unit: str = "min") -> float | None:
    if shown is None or pd.isna(shown):
        return None
    value = float(shown)
    if column in PERCENT_TARGETS:
        return round(value / 100, 8)
    if column == "wait_target_min" and wait_unit == "s":
        return round(value / 60, 10)
    return value


def target_changes(
    before: pd.DataFrame, after: pd.DataFrame, wait_unit: str = "min"
) -> tuple[dict[str, dict], list[str]]:
    """The rows an edit changed, as {hall_id: {target column: stored value or None}}, and
    the problems that stop it being saved (in the user's words). Both frames show the
    wait target in `wait_unit`."""
    changes, problems = {}, []
    old = before.set_index("hall_id")
    for _, row in after.iterrows():
        hall_id = row["hall_id"]
        values = {c: _stored(c, row[c], wait_unit) for c in TARGET_COLUMNS}
        for column, value in values.items():
            label = t(f"data.targets.column.{column}")
            if column == "wait_target_min":
                label = t(f"data.targets.column.wait_target_{wait_unit}")
            shown = row[column]
            if value is None:
                if hall_id == NETWORK:
                    problems.append(t("data.targets.network_needs", column=label))
                continue
            low, high = WAIT_RANGES[wait_unit] if column == "wait_target_min" else TARGET_RANGES[column]
            if not low <= float(shown) <= high or (column == "wait_target_min" and float(shown) <= 0):
                problems.append(
                    t(
                        "data.targets.out_of_range",
                        hall=row["hall"],
                        column=label,
                        low=formatting.number(low, 1 if low % 1 else 0),
                        high=formatting.number(high, 0),
                    )
                )
        previous = {c: _stored(c, old.loc[hall_id, c], wait_unit) for c in TARGET_COLUMNS}
        if values != previous:
            changes[hall_id] = values
    return changes, problems


def save_targets(db: Database, changes: dict[str, dict], user) -> None:
    """Write changed targets in one transaction (through warehouse.set_targets), with the
    audit entry in the same transaction; the data version moves on, so every page's
    cached numbers are judged against the new targets."""

    def _write(cur):
        for hall_id, values in changes.items():
            warehouse.set_targets(cur, hall_id, values)
        audit(cur, user, "targets_changed", changes)

    db.write(_write)


def save_service_level_rule(db: Database, rule: str, short_abandon_s: float, user) -> None:
    """Change the service-level definition (warehouse.set_service_level_rule recounts the
    rollups) with its audit entry, in one transaction."""

    def _write(cur):
        before = cur.execute("select key, value from meta where key like 'service_level_%' order by key").fetchall()
        warehouse.set_service_level_rule(cur, rule, short_abandon_s)
        audit(
            cur,
            user,
            "service_level_rule_changed",
            {"before": dict(before), "rule": rule, "short_abandon_s": float(short_abandon_s)},
        )

    db.write(_write)


# -- the loader's settings (the network's time zone, the limits of the checks) ------------------
LOAD_SETTINGS = ("time_zone", "max_duration_hours", "past_days", "future_days", "max_id_length", "max_unpacked_gb")


def load_settings(db: Database) -> load_checks.Settings:
    """The settings every check and load uses, as stored in the database."""
    cur = db.cursor()
    try:
        return load_checks.read(cur)
    finally:
        cur.close()


def save_load_settings(db: Database, values: dict, user) -> load_checks.Settings:
    """Change the loader's settings with their audit entry, in one transaction. Raises
    load_checks.SettingError (its message says which value and why) for a value that
    can't be used; nothing is changed then."""

    def _write(cur):
        before = load_checks.read(cur)
        after = load_checks.save(cur, values)
        changed = {k: getattr(after, k) for k in LOAD_SETTINGS if getattr(after, k) != getattr(before, k)}
        if changed:
            audit(
                cur,
                user,
                "load_settings_changed",
                {"before": {k: getattr(before, k) for k in changed}, "after": changed},
            )
        return after

    return db.write(_write)


# -- purposes ----------------------------------------------------------------------------------
PURPOSE_CODE = re.compile(r"[a-z0-9][a-z0-9_\-.]{0,63}")


def purpose_changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The purposes an edit changed or added (purpose, label_en, label_zh, peak_moment),
    and the problems that stop it being saved."""
    columns = ["purpose", "label_en", "label_zh", "peak_moment"]
    old = {r["purpose"]: r for _, r in before.iterrows()}
    changed, problems, seen = [], [], set()
    for i, row in enumerate(after.to_dict("records"), start=1):
        code = str(row.get("purpose") or "").strip()
        if not code and not any(str(row.get(c) or "").strip() for c in columns[1:]):
            continue  # an added row left empty
        entry = {
            "purpose": code,
            "label_en": str(row.get("label_en") or "").strip(),
            "label_zh": str(row.get("label_zh") or "").strip(),
            "peak_moment": row.get("peak_moment") or "other",
        }
        if not PURPOSE_CODE.fullmatch(code):
            problems.append(t("data.purposes.bad_code", row=i, code=code or "–"))
            continue
        if code in seen:
            problems.append(t("data.purposes.repeated", code=code))
        seen.add(code)
        for label in ("label_zh", "label_en"):
            if not entry[label]:
                problems.append(t("data.purposes.needs_label", code=code, column=t(f"data.purposes.column.{label}")))
        if entry["peak_moment"] not in ALL_PEAK_MOMENTS:
            problems.append(t("data.purposes.bad_moment", code=code))
        previous = old.get(code)
        if previous is None or any(entry[c] != previous[c] for c in columns[1:]):
            changed.append(entry)
    return pd.DataFrame(changed, columns=columns), problems


def save_purposes(db: Database, rows: pd.DataFrame, user) -> None:
    """Write changed or new purposes in one transaction (warehouse.upsert_purposes), with
    the audit entry in the same transaction."""

    def _write(cur):
        cur.register("__edited_purposes", rows)
        try:
            warehouse.upsert_purposes(cur, "__edited_purposes")
        finally:
            cur.unregister("__edited_purposes")
        audit(cur, user, "purposes_changed", rows.to_dict("records"))

    db.write(_write)


__all__ = [
    "AFTER",
    "CLOCK",
    "COLUMN",
    "CONCAT",
    "CONSTANT",
    "DATE_TIME",
    "NONE",
    "SKIP_TESTS",
    "BuildError",
    "Choice",
    "MappingError",
    "SkipRule",
    "build_mapping",
    "check_summary",
    "constant_hall",
    "csv_bytes",
    "default_choices",
    "fits",
    "history_label",
    "history_table",
    "hows",
    "load_audit_detail",
    "load_order",
    "load_settings",
    "load_summary",
    "parse_value_map",
    "problems_table",
    "purpose_changes",
    "reason_text",
    "reasons_table",
    "save_load_settings",
    "save_purposes",
    "save_service_level_rule",
    "save_targets",
    "skipped_table",
    "suggest_preset",
    "suggested_name",
    "target_changes",
    "targets_for_editing",
    "timestamp_targets",
]
