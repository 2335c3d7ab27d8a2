"""Column mappings: how another system's export becomes data-contract columns.

A mapping is plain JSON (so it can be saved in the database, shipped as a file and edited
on a page):

    {"name": "my_queue_system", "kind": "visits", "description": "...",
     "columns": {TARGET: SPEC, ...},          # TARGET: a contract column of `kind`
     "skip": [{"when": COND, "reason": "..."}],  # rows left out on purpose, counted by reason
     "halls": [{hall row}, ...],              # halls the file needs (created if missing)
     "purposes": [{purpose row}, ...],        # purpose codes with labels (added if missing)
     "sheet": "Sheet1"}                       # Excel only: which sheet

A contract column the mapping doesn't name is taken from a file column of the same name.

SPEC is a file column name, or an object:
    {"column": C}                       the text of column C, with optional
        "map": {"code": "value", ...}, "unmapped": "keep" | "null" | "reject",
        "null_values": ["NO_SERVER"],   values that mean "empty"
        "prefix": "...", "suffix": "..."
    {"concat": [C1, C2], "sep": "-"}    columns joined (empty when any part is empty)
    {"value": V}                        the same value on every row (e.g. one hall_id)
    {"column": C, "format": "%d.%m.%Y %H:%M"}        a date-time in a given format
    {"date": C1, "date_format": "%y%m%d", "time": C2, "time_format": "%H:%M:%S"}
                                        a date column plus a time column
    {"time": C, "near": TARGET}         a clock time without a date: on the day that puts
                                        it within 12 hours of TARGET (calls over midnight)
    {"from": TARGET}                    another target's value
  a date-time spec may add "plus": C with "unit": "seconds" | "minutes" | "hours" |
  "hh:mm:ss" (a duration column, e.g. start + duration instead of an end time; a wait in
  minutes is "unit": "minutes", never seconds; "plus_seconds": C is short for "plus": C,
  "unit": "seconds"; "allow_negative": true accepts durations below zero), and any
  spec may add "when": COND (empty unless COND holds) or be {"cases": [SPEC, ...]}, each
  with its own "when" (the first that holds applies).

COND compares a file column's text (trimmed; empty is ""):
    {"column": C, "equals": V} | {"column": C, "in": [...]} | {"column": C, "not_in": [...]}
    | {"column": C, "is_empty": true} | {"all": [COND...]} | {"any": [COND...]} | {"not": COND}

Every value from a mapping reaches DuckDB as a bound parameter; column names are quoted
identifiers; so a mapping can't inject SQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peakend.core.moments import ALL_PEAK_MOMENTS
from peakend.warehouse.ingest.contract import FIELDS, KINDS, normalise_name
from peakend.warehouse.ingest.errors import MappingError
from peakend.warehouse.ingest.settings import canonical_zone

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
_SPEC_KEYS = {
    "column",
    "map",
    "unmapped",
    "null_values",
    "prefix",
    "suffix",
    "concat",
    "sep",
    "value",
    "format",
    "date",
    "date_format",
    "time",
    "time_format",
    "near",
    "from",
    "plus_seconds",
    "plus",
    "unit",
    "allow_negative",
    "when",
    "cases",
}
# The units a duration column can be in: seconds per unit ("hh:mm:ss" is a clock-like text
# such as 0:05:30, read as hours, minutes and seconds).
DURATION_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "hh:mm:ss": None}
_HALL_KEYS = set(FIELDS["halls"])
_PURPOSE_KEYS = set(FIELDS["purposes"])


@dataclass
class Mapping:
    name: str
    kind: str = "visits"
    columns: dict[str, Any] = field(default_factory=dict)
    skip: list[dict] = field(default_factory=list)
    halls: list[dict] = field(default_factory=list)
    purposes: list[dict] = field(default_factory=list)
    description: str = ""
    sheet: str | None = None

    def __post_init__(self) -> None:
        self.check()

    # -- JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.description:
            out["description"] = self.description
        out["columns"] = self.columns
        for key in ("skip", "halls", "purposes"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.sheet:
            out["sheet"] = self.sheet
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        if not isinstance(data, dict):
            raise MappingError("a mapping is a JSON object")
        unknown = set(data) - {"name", "kind", "description", "columns", "skip", "halls", "purposes", "sheet"}
        if unknown:
            raise MappingError(f"unknown mapping keys: {', '.join(sorted(unknown))}")
        if "name" not in data:
            raise MappingError("a mapping needs a name")
        return cls(
            name=data["name"],
            kind=data.get("kind", "visits"),
            columns=dict(data.get("columns") or {}),
            skip=list(data.get("skip") or []),
            halls=list(data.get("halls") or []),
            purposes=list(data.get("purposes") or []),
            description=data.get("description", ""),
            sheet=data.get("sheet"),
        )

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise MappingError(f"not valid JSON: {e}") from None
        return cls.from_dict(data)

    def fingerprint(self) -> str:
        """Changes whenever what the mapping does changes (not its description)."""
        body = self.to_dict()
        body.pop("description", None)
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    # -- checking -----------------------------------------------------------------------
    def check(self) -> None:
        if not isinstance(self.name, str) or not NAME_PATTERN.fullmatch(self.name):
            raise MappingError(f"mapping name {self.name!r}: use letters, digits, '_', '-' or '.', up to 64")
        if self.kind not in KINDS:
            raise MappingError(f"kind {self.kind!r}: must be one of {', '.join(KINDS)}")
        if not isinstance(self.columns, dict):
            raise MappingError("columns: must be an object {contract column: spec}")
        fields = FIELDS[self.kind]
        for target, spec in self.columns.items():
            if target not in fields:
                raise MappingError(f"columns.{target}: not a {self.kind} column (known: {', '.join(fields)})")
            _check_spec(f"columns.{target}", spec, set(self.columns))
            if _column_unit(spec) is not None and fields[target].type != "minutes":
                raise MappingError(
                    f"columns.{target}.unit: only a duration column (one ending in _min) or a plus has a unit"
                )
        for i, rule in enumerate(self.skip):
            where = f"skip[{i}]"
            if not isinstance(rule, dict) or set(rule) != {"when", "reason"}:
                raise MappingError(f"{where}: needs exactly 'when' and 'reason'")
            if not isinstance(rule["reason"], str) or not rule["reason"].strip():
                raise MappingError(f"{where}.reason: say in words why these rows are left out")
            _check_cond(f"{where}.when", rule["when"])
        for i, hall in enumerate(self.halls):
            where = f"halls[{i}]"
            if not isinstance(hall, dict) or set(hall) - _HALL_KEYS:
                raise MappingError(f"{where}: hall rows use the columns {', '.join(FIELDS['halls'])}")
            for need in ("hall_id", "hall_name", "region", "city"):
                if not str(hall.get(need) or "").strip():
                    raise MappingError(f"{where}.{need}: required")
            if hall.get("time_zone") and canonical_zone(str(hall["time_zone"])) is None:
                raise MappingError(
                    f"{where}.time_zone: {hall['time_zone']!r} is not a time zone name (write it like Asia/Shanghai)"
                )
        for i, purpose in enumerate(self.purposes):
            where = f"purposes[{i}]"
            if not isinstance(purpose, dict) or set(purpose) - _PURPOSE_KEYS:
                raise MappingError(f"{where}: purpose rows use purpose, label_en, label_zh, peak_moment")
            for need in ("purpose", "label_en", "label_zh"):
                if not str(purpose.get(need) or "").strip():
                    raise MappingError(f"{where}.{need}: required")
            if purpose.get("peak_moment", "other") not in ALL_PEAK_MOMENTS:
                raise MappingError(f"{where}.peak_moment: must be one of {', '.join(ALL_PEAK_MOMENTS)}")
        order_targets(self.columns)  # refuses cycles among "from"/"near"

    def source_columns(self) -> set[str]:
        """Every file column the mapping reads."""
        found: set[str] = set()
        for spec in self.columns.values():
            _collect_sources(spec, found)
        for rule in self.skip:
            _collect_cond_sources(rule["when"], found)
        return found


def _is_column_name(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _check_cond(where: str, cond: Any) -> None:
    if not isinstance(cond, dict) or not cond:
        raise MappingError(f'{where}: a condition is an object such as {{"column": "x", "equals": "y"}}')
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        if set(cond) != {key} or not isinstance(cond[key], list) or not cond[key]:
            raise MappingError(f"{where}.{key}: a non-empty list of conditions, alone")
        for i, c in enumerate(cond[key]):
            _check_cond(f"{where}.{key}[{i}]", c)
        return
    if "not" in cond:
        if set(cond) != {"not"}:
            raise MappingError(f"{where}.not: alone in its object")
        _check_cond(f"{where}.not", cond["not"])
        return
    if not _is_column_name(cond.get("column")):
        raise MappingError(f"{where}: needs 'column'")
    tests = set(cond) - {"column"}
    if len(tests) != 1 or not tests <= {"equals", "in", "not_in", "is_empty"}:
        raise MappingError(f"{where}: one of equals, in, not_in, is_empty")
    test = tests.pop()
    if test in ("in", "not_in") and not isinstance(cond[test], list):
        raise MappingError(f"{where}.{test}: a list of values")
    if test == "is_empty" and not isinstance(cond[test], bool):
        raise MappingError(f"{where}.is_empty: true or false")


def _check_spec(where: str, spec: Any, targets: set[str]) -> None:
    if isinstance(spec, str):
        if not spec:
            raise MappingError(f"{where}: empty column name")
        return
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: a column name or an object")
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if "cases" in spec:
        if set(spec) != {"cases"} or not isinstance(spec["cases"], list) or not spec["cases"]:
            raise MappingError(f"{where}.cases: a non-empty list of specs, alone")
        for i, case in enumerate(spec["cases"]):
            if not isinstance(case, dict) or "when" not in case:
                raise MappingError(f"{where}.cases[{i}]: each case needs a 'when'")
            _check_spec(f"{where}.cases[{i}]", case, targets)
        return
    if "when" in spec:
        _check_cond(f"{where}.when", spec["when"])
    bases = [k for k in ("column", "concat", "value", "date", "time", "from") if k in spec]
    if "date" in spec and "time" in spec:
        bases.remove("time")
    if len(bases) != 1:
        raise MappingError(f"{where}: give exactly one of column, concat, value, date (+ time), time (+ near), from")
    base = bases[0]
    if base == "concat":
        if not isinstance(spec["concat"], list) or not spec["concat"] or not all(map(_is_column_name, spec["concat"])):
            raise MappingError(f"{where}.concat: a list of column names")
    if base in ("column", "date", "time") and not _is_column_name(spec[base]):
        raise MappingError(f"{where}.{base}: a column name")
    if base == "value" and not isinstance(spec["value"], (str, int, float, bool)):
        raise MappingError(f"{where}.value: a text, number or true/false")
    if base == "date" and "time" in spec and not _is_column_name(spec["time"]):
        raise MappingError(f"{where}.time: a column name")
    if base == "time" and "near" not in spec:
        raise MappingError(f"{where}: a time without a date needs 'near' (a date-time target)")
    for ref_key in ("near", "from"):
        if ref_key in spec and spec[ref_key] not in targets:
            raise MappingError(f"{where}.{ref_key}: {spec[ref_key]!r} is not a target of this mapping")
    if "map" in spec:
        if not isinstance(spec["map"], dict):
            raise MappingError(f"{where}.map: an object {{code: value}}")
        if base not in ("column", "concat"):
            raise MappingError(f"{where}.map: only for column or concat")
    if spec.get("unmapped", "keep") not in ("keep", "null", "reject"):
        raise MappingError(f"{where}.unmapped: keep, null or reject")
    if "null_values" in spec and not isinstance(spec["null_values"], list):
        raise MappingError(f"{where}.null_values: a list of values")
    typed = base in ("date", "time", "from") or "format" in spec
    if "plus_seconds" in spec and "plus" in spec:
        raise MappingError(f"{where}: give plus (with a unit) or plus_seconds, not both")
    for key in ("plus_seconds", "plus"):
        if key in spec:
            if not typed:
                raise MappingError(f"{where}.{key}: only on a date-time (date, time, from, format)")
            if not _is_column_name(spec[key]):
                raise MappingError(f"{where}.{key}: a column name")
    if "unit" in spec:
        if "plus" not in spec and "plus_seconds" not in spec and base != "column":
            raise MappingError(
                f"{where}.unit: only with plus (the duration column it is the unit of) or on the column of a duration"
            )
        if spec["unit"] not in DURATION_UNITS:
            raise MappingError(f"{where}.unit: one of {', '.join(DURATION_UNITS)}")
        if "plus_seconds" in spec and spec["unit"] != "seconds":
            raise MappingError(f"{where}.unit: plus_seconds is in seconds; write plus with unit {spec['unit']!r}")
    elif "plus" in spec:
        raise MappingError(f"{where}.plus: needs a unit ({', '.join(DURATION_UNITS)})")
    for key in ("format", "date_format", "time_format", "sep", "prefix", "suffix"):
        if key in spec and not isinstance(spec[key], str):
            raise MappingError(f"{where}.{key}: a text")
    if typed and any(k in spec for k in ("map", "prefix", "suffix", "concat")):
        raise MappingError(f"{where}: a date-time spec can't also map, prefix or concat")


def _column_unit(spec: Any) -> str | None:
    """The unit a column spec gives its own value (a duration target, e.g. a report's mean
    wait in seconds), not that of a plus."""
    if not isinstance(spec, dict) or "plus" in spec or "plus_seconds" in spec:
        return None
    return spec.get("unit")


def duration(spec: Any) -> tuple[str, str] | None:
    """(duration column, unit) of a date-time spec that adds one, else None."""
    if not isinstance(spec, dict):
        return None
    if "plus" in spec:
        return spec["plus"], spec["unit"]
    if "plus_seconds" in spec:
        return spec["plus_seconds"], "seconds"
    return None


def with_unit(mapping: Mapping, column: str, unit: str) -> Mapping:
    """The mapping with every duration read from file column `column` taken in `unit` (the
    command line's --unit COLUMN=UNIT). MappingError when no spec reads such a duration."""
    if unit not in DURATION_UNITS:
        raise MappingError(f"--unit {column}={unit}: the unit is one of {', '.join(DURATION_UNITS)}")
    found = False

    def change(spec: Any) -> Any:
        nonlocal found
        if not isinstance(spec, dict):
            return spec
        if "cases" in spec:
            return {**spec, "cases": [change(c) for c in spec["cases"]]}
        got = duration(spec)
        if got is None or got[0] != column:
            return spec
        found = True
        out = {k: v for k, v in spec.items() if k not in ("plus_seconds", "plus", "unit")}
        return {**out, "plus": column, "unit": unit}

    def change_column(target: str, spec: Any) -> Any:
        # a duration target read straight from the column (a report's wait in seconds)
        nonlocal found
        if FIELDS[mapping.kind][target].type != "minutes":
            return change(spec)
        source = spec if isinstance(spec, str) else spec.get("column") if isinstance(spec, dict) else None
        if source != column or (isinstance(spec, dict) and duration(spec) is not None):
            return change(spec)
        found = True
        return {**({"column": spec} if isinstance(spec, str) else spec), "unit": unit}

    columns = {target: change_column(target, spec) for target, spec in mapping.columns.items()}
    if not found:
        raise MappingError(f"--unit {column}={unit}: mapping {mapping.name!r} adds no duration from column {column!r}")
    data = mapping.to_dict()
    data["columns"] = columns
    return Mapping.from_dict(data)


def target_refs(spec: Any) -> set[str]:
    """The targets a spec reads ("from" and "near")."""
    if not isinstance(spec, dict):
        return set()
    if "cases" in spec:
        return set().union(*(target_refs(c) for c in spec["cases"]))
    return {spec[k] for k in ("near", "from") if k in spec}


def order_targets(columns: dict[str, Any]) -> list[str]:
    """Targets in an order where every "from"/"near" comes after what it refers to."""
    done: list[str] = []
    pending = dict(columns)
    while pending:
        ready = [t for t, s in pending.items() if target_refs(s) <= set(done)]
        if not ready:
            raise MappingError(f"columns {', '.join(sorted(pending))} refer to each other in a circle")
        for t in ready:
            done.append(t)
            del pending[t]
    return done


def _collect_sources(spec: Any, found: set[str]) -> None:
    if isinstance(spec, str):
        found.add(spec)
        return
    if "cases" in spec:
        for case in spec["cases"]:
            _collect_sources(case, found)
        return
    for key in ("column", "date", "time", "plus_seconds", "plus"):
        if key in spec:
            found.add(spec[key])
    found.update(spec.get("concat", []))
    if "when" in spec:
        _collect_cond_sources(spec["when"], found)


def _collect_cond_sources(cond: dict, found: set[str]) -> None:
    if "all" in cond or "any" in cond:
        for c in cond["all"] if "all" in cond else cond["any"]:
            _collect_cond_sources(c, found)
    elif "not" in cond:
        _collect_cond_sources(cond["not"], found)
    else:
        found.add(cond["column"])


def identity(kind: str) -> Mapping:
    """The mapping of a file already in contract columns."""
    return Mapping(name="contract", kind=kind)


def format_example(fmt: str) -> str:
    """What a value in `fmt` looks like, for messages ("like 990201")."""
    return datetime(2026, 3, 2, 9, 5, 0).strftime(fmt)


def text_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_column(name: str, file_columns: list[str]) -> str | None:
    """The file column a mapping (or the contract) means by `name`: the exact name, else
    the one name that matches ignoring case and spacing."""
    if name in file_columns:
        return name
    matches = [c for c in file_columns if normalise_name(c) == normalise_name(name)]
    return matches[0] if len(matches) == 1 else None
