"""A mapping and the data contract turned into one SQL pass over the staged file.

For every contract column the pass computes its typed value (null when empty or wrong) and,
for every row, the list of problems found: which column, which value, and why, in plain
English. Everything is vectorised SQL (try_cast / try_strptime), no Python per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from peakend.core.moments import ALL_PEAK_MOMENTS
from peakend.warehouse.ingest.contract import FIELDS, Field
from peakend.warehouse.ingest.errors import FileRefused
from peakend.warehouse.ingest.mapping import (
    DURATION_UNITS,
    Mapping,
    duration,
    format_example,
    order_targets,
    resolve_column,
    target_refs,
    text_value,
)
from peakend.warehouse.ingest.readers import quote_ident
from peakend.warehouse.ingest.settings import SET_ON, Settings, time_zones

# Date-time layouts read without a mapping, besides ISO 8601 (which a cast reads).
TIMESTAMP_FORMATS = [
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    # a 12-hour clock (DuckDB's cast would read "09:01 PM" as 09:01 and "12:05 AM" as noon)
    "%Y-%m-%d %I:%M:%S %p",
    "%Y-%m-%d %I:%M %p",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %I:%M %p",
]
# a timestamp that ends in an offset or a zone: Z, +08:00, -0500, UTC, Asia/Tokyo. It must
# follow a time of day (":MM" or ":SS"), so a bare date's "-02" is not taken for an offset.
OFFSET_PATTERN = r":\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?|\s+(UTC|GMT|[A-Za-z]+/[A-Za-z_]+(/[A-Za-z_]+)?))$"
# what DuckDB's cast to timestamp is trusted with: ISO 8601 and nothing after it (the cast
# ignores trailing text: "09:01:00 PM" would read as 09:01, "09:01:00 CST" as 09:01)
ISO_TIMESTAMP = r"^\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
# a number where a date and time belongs: an Excel date serial (46083.375 is 2026-03-02 09:00)
EXCEL_SERIAL = r"^\d{5}(\.\d+)?$"
NOT_A_TIMESTAMP = "is not a date and time (expected e.g. 2026-03-02 09:15:00)"
EXCEL_SERIAL_REASON = (
    "is a number, not a date and time (an Excel date serial? Format the column as a date and "
    "time in Excel, or save the sheet as CSV, and load it again)"
)
# a new purpose code must be a plain identifier (it becomes a label and a URL value)
PLAIN_CODE = r"^[\p{L}\p{N}_][\p{L}\p{N}_.\-]*$"
# text columns that are ids or codes, held to the settings' length
ID_COLUMNS = ("visit_id", "hall_id", "purpose", "staff_id", "counter_id", "segment")
TRUE_WORDS = ["true", "t", "1", "yes", "y", "是"]
FALSE_WORDS = ["false", "f", "0", "no", "n", "否"]


class Params:
    """Values for the bound parameters ($m0, $m1, ...) of one generated statement."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"m{len(self.values)}"
        self.values[name] = value
        return f"${name}"


@dataclass
class Problem:
    cond: str  # SQL, true on a bad row
    column: str  # the column as the user knows it
    value: str  # SQL giving the offending value as text
    reason: str  # plain English, the same for every row it fits (so reports can group)


@dataclass
class Target:
    name: str
    sql: str  # the value: text (typed=False) or already the contract type
    typed: bool
    label: str
    problems: list[Problem] = field(default_factory=list)
    unit: str | None = None  # a duration column's unit (a "minutes" contract column)


@dataclass
class Compiled:
    """The SQL of one staging pass over `source` and what it needs."""

    select: str
    params: dict[str, Any]
    skip_reasons: list[str]
    labels: dict[str, str]  # contract column -> how the user knows it
    used_columns: list[str]  # file columns read
    ignored_columns: list[str]  # file columns no target reads
    offsets_sql: str = "0"  # per row: how many of its timestamps carried an offset or zone
    zone_sql: str = "null::varchar"  # per row: the time zone its offsets were converted to


class _Builder:
    def __init__(
        self,
        mapping: Mapping,
        file_columns: list[str],
        settings: Settings | None = None,
        hall_zones: dict[str, str] | None = None,
    ):
        self.settings = settings or Settings()
        self.offset_terms: list[str] = []
        # halls whose time zone is not the network's: hall_id -> zone
        self.hall_zones = {h: z for h, z in (hall_zones or {}).items() if z and z != self.settings.time_zone}
        self.by_hall = False  # whether the rows' hall_id is known (as __x_hall_id) to pick a zone by
        self._zone_sql: str | None = None
        self.m = mapping
        self.kind = mapping.kind
        self.fields = FIELDS[mapping.kind]
        self.file_columns = file_columns
        self.p = Params()
        self.missing: list[str] = []
        self.used: set[str] = set()
        self.labels: dict[str, str] = {}

    def zone_sql(self) -> str:
        """SQL: the time zone a timestamp of the row with an offset is converted to, its
        hall's, else the network's (parameters added on first use: each must be used)."""
        if self._zone_sql is None:
            network = self.p.add(self.settings.time_zone)
            self._zone_sql = network
            if self.by_hall and self.hall_zones:
                keys, values = self.p.add(list(self.hall_zones)), self.p.add(list(self.hall_zones.values()))
                found = f"list_extract({values}::varchar[], list_position({keys}::varchar[], __x_hall_id))"
                self._zone_sql = f"coalesce({found}, {network})"
        return self._zone_sql

    # -- file columns -------------------------------------------------------------------
    def col(self, name: str) -> str:
        """The trimmed text of a file column (null when empty)."""
        real = resolve_column(name, self.file_columns)
        if real is None:
            if name not in self.missing:
                self.missing.append(name)
            return "null::varchar"
        self.used.add(real)
        c = quote_ident(real)
        # trim() copies every string; only values with an outer space need it (most don't)
        return (
            f"(case when starts_with({c}, ' ') or ends_with({c}, ' ') "
            f"then nullif(trim({c}), '') else nullif({c}, '') end)"
        )

    def real_name(self, name: str) -> str:
        return resolve_column(name, self.file_columns) or name

    def cond(self, c: dict) -> str:
        if "all" in c:
            return "(" + " and ".join(self.cond(x) for x in c["all"]) + ")"
        if "any" in c:
            return "(" + " or ".join(self.cond(x) for x in c["any"]) + ")"
        if "not" in c:
            return f"(not {self.cond(c['not'])})"
        text = f"coalesce({self.col(c['column'])}, '')"
        if "equals" in c:
            return f"({text} = {self.p.add(text_value(c['equals']))})"
        if "in" in c:
            return f"list_contains({self.p.add([text_value(v) for v in c['in']])}::varchar[], {text})"
        if "not_in" in c:
            return f"(not list_contains({self.p.add([text_value(v) for v in c['not_in']])}::varchar[], {text}))"
        return f"({text} = '')" if c["is_empty"] else f"({text} <> '')"

    # -- specs --------------------------------------------------------------------------
    def spec(self, target: str, spec: Any) -> Target:
        if isinstance(spec, str):
            spec = {"column": spec}
        if "cases" in spec:
            return self._cases(target, spec["cases"])
        if "when" in spec:
            inner = self.spec(target, {k: v for k, v in spec.items() if k != "when"})
            cond = self.cond(spec["when"])
            for pr in inner.problems:
                pr.cond = f"({cond} and {pr.cond})"
            inner.sql = f"(case when {cond} then {inner.sql} end)"
            return inner
        if "column" in spec and "format" in spec:
            return self._datetime(target, spec)
        if "date" in spec or "time" in spec or "from" in spec:
            return self._datetime(target, spec)
        return self._text(target, spec)

    def _cases(self, target: str, cases: list[dict]) -> Target:
        whens, parts = [], []
        earlier: list[str] = []
        for case in cases:
            cond = self.cond(case["when"])
            part = self.spec(target, {k: v for k, v in case.items() if k != "when"})
            # a case's problems count only on rows where it is the case that applies
            applies = " and ".join([cond] + [f"not {c}" for c in earlier])
            for pr in part.problems:
                pr.cond = f"({applies} and {pr.cond})"
            whens.append(f"when {cond} then {part.sql}")
            parts.append(part)
            earlier.append(cond)
        if len({p.typed for p in parts}) > 1:
            raise FileRefused(f"mapping {self.m.name}: the cases of {target} mix text and date-time values")
        inner = []
        for p in parts:
            text = p.label[len(target) + 2 : -1] if p.label.startswith(f"{target} (") else p.label
            if text not in inner:
                inner.append(text)
        label = f"{target} ({' / '.join(inner)})"
        sql = f"(case {' '.join(whens)} end)"
        return Target(target, sql, parts[0].typed, label, [pr for p in parts for pr in p.problems])

    def _text(self, target: str, spec: dict) -> Target:
        problems: list[Problem] = []
        if "value" in spec:
            return Target(target, self.p.add(text_value(spec["value"])), False, f"{target} (set by the mapping)")
        if "concat" in spec:
            pieces = [self._nulled(c, spec) for c in spec["concat"]]
            sep = self.p.add(spec.get("sep", ""))
            sql = f" || {sep} || ".join(pieces)
            label = " + ".join(self.real_name(c) for c in spec["concat"])
        else:
            sql = self._nulled(spec["column"], spec)
            label = self.real_name(spec["column"])
        unit = spec.get("unit") if "plus" not in spec and "plus_seconds" not in spec else None
        if "map" in spec:
            keys = self.p.add([str(k) for k in spec["map"]])
            values = self.p.add([None if v is None else text_value(v) for v in spec["map"].values()])
            pos = f"list_position({keys}::varchar[], {sql})"
            how = spec.get("unmapped", "keep")
            mapped = f"list_extract(cast({values} as varchar[]), {pos})"
            if how == "keep":
                mapped = f"(case when {pos} is not null then {mapped} else {sql} end)"
            elif how == "reject":
                problems.append(
                    Problem(
                        f"({sql} is not null and {pos} is null)",
                        label,
                        sql,
                        "has a code that the mapping does not list",
                    )
                )
            sql = mapped
        if "prefix" in spec:
            sql = f"({self.p.add(spec['prefix'])} || {sql})"
        if "suffix" in spec:
            sql = f"({sql} || {self.p.add(spec['suffix'])})"
        return Target(target, sql, False, label, problems, unit)

    def _nulled(self, column: str, spec: dict) -> str:
        sql = self.col(column)
        if spec.get("null_values"):
            values = self.p.add([text_value(v) for v in spec["null_values"]])
            sql = f"(case when list_contains({values}::varchar[], {sql}) then null else {sql} end)"
        return sql

    def _datetime(self, target: str, spec: dict) -> Target:
        problems: list[Problem] = []
        sources: list[str] = []
        if "from" in spec:
            sql = f"__t_{spec['from']}"
            sources.append(spec["from"])
        elif "column" in spec:  # with "format"
            text = self._nulled(spec["column"], spec)
            fmt = spec["format"]
            sql = f"try_strptime({text}, {self.p.add(fmt)})"
            label = self.real_name(spec["column"])
            sources.append(label)
            problems.append(
                Problem(
                    f"({text} is not null and {sql} is null)",
                    label,
                    text,
                    f"is not a date and time like {format_example(fmt)} (format {fmt})",
                )
            )
        else:
            time_sql = None
            if "time" in spec:
                ttext = self._nulled(spec["time"], spec)
                tlabel = self.real_name(spec["time"])
                sources.append(tlabel)
                if "time_format" in spec:
                    time_sql = f"cast(try_strptime({ttext}, {self.p.add(spec['time_format'])}) as time)"
                    example = format_example(spec["time_format"])
                else:
                    time_sql = f"try_cast({ttext} as time)"
                    example = "09:05:00"
                problems.append(
                    Problem(
                        f"({ttext} is not null and {time_sql} is null)",
                        tlabel,
                        ttext,
                        f"is not a time of day like {example}",
                    )
                )
            if "date" in spec:
                dtext = self._nulled(spec["date"], spec)
                dlabel = self.real_name(spec["date"])
                sources.insert(0, dlabel)
                if "date_format" in spec:
                    date_sql = f"cast(try_strptime({dtext}, {self.p.add(spec['date_format'])}) as date)"
                    example = format_example(spec["date_format"])
                else:
                    date_sql = f"try_cast({dtext} as date)"
                    example = "2026-03-02"
                problems.insert(
                    0,
                    Problem(
                        f"({dtext} is not null and {date_sql} is null)",
                        dlabel,
                        dtext,
                        f"is not a date like {example}",
                    ),
                )
                sql = f"({date_sql} + {time_sql})" if time_sql else f"cast({date_sql} as timestamp)"
            else:
                ref = f"__t_{spec['near']}"
                base = f"(cast({ref} as date) + {time_sql})"
                # the clock time is on the reference's day, or the next/previous one when
                # that puts it closer (a call that runs over midnight)
                sql = (
                    f"(case when {base} < {ref} - interval 12 hour then {base} + interval 1 day "
                    f"when {base} > {ref} + interval 12 hour then {base} - interval 1 day "
                    f"else {base} end)"
                )
        plus = duration(spec)
        if plus is not None:
            dcol, unit = plus
            stext = self.col(dcol)
            slabel = self.real_name(dcol)
            sources.append(slabel)
            seconds = duration_seconds(stext, unit)
            what = (
                "is not a duration like 0:05:30 (hours:minutes:seconds)"
                if unit == "hh:mm:ss"
                else f"is not a number of {unit}"
            )
            problems.append(
                Problem(
                    f"({stext} is not null and ({seconds} is null or not isfinite({seconds})))",
                    slabel,
                    stext,
                    what,
                )
            )
            if not spec.get("allow_negative"):
                problems.append(
                    Problem(
                        f"({seconds} < 0)",
                        slabel,
                        stext,
                        "is a negative duration",
                    )
                )
            sql = f"({sql} + to_seconds(case when isfinite({seconds}) then {seconds} end))"
        if len(sources) == 1 and "from" not in spec:
            label = sources[0]  # one file column: name it as the file does
        elif "from" in spec and len(sources) == 1:
            label = f"{target} (from {sources[0]})"
        else:
            label = f"{target} ({' + '.join(sources)})"
        return Target(target, sql, True, label, problems)


def duration_seconds(text: str, unit: str) -> str:
    """SQL: the seconds a duration's text says in `unit` (mapping.DURATION_UNITS; null when
    it is not one)."""
    if unit == "hh:mm:ss":
        # [-]H:MM:SS[.fff]: hours, minutes and seconds
        parts = f"string_split(ltrim({text}, '-'), ':')"
        return (
            f"(case when regexp_full_match({text}, '-?[0-9]+:[0-5]?[0-9]:[0-5]?[0-9](\\.[0-9]+)?') then "
            f"(case when starts_with({text}, '-') then -1 else 1 end) * ("
            f"cast({parts}[1] as double) * 3600 + cast({parts}[2] as double) * 60 "
            f"+ cast({parts}[3] as double)) end)"
        )
    return f"(try_cast({text} as double) * {DURATION_UNITS[unit]})"


# -- contract parsing -------------------------------------------------------------------
def _parse(b: _Builder, f: Field, t: Target, x: str, name: str) -> tuple[str | None, str, list[Problem]]:
    """(pre-step SQL or None, typed SQL, problems) reading the text column `x` as contract
    field `f`. The pre-step, when there is one, is available as the column __p_NAME to the
    typed SQL and the problems; the typed value is the column __t_NAME to the problems."""
    label, p = t.label, b.p
    typed_col = f"__t_{name}"
    if f.type == "text":
        limit = b.settings.max_id_length
        if name in ID_COLUMNS:
            return (
                None,
                x,
                [
                    Problem(
                        f"(length({x}) > {int(limit)})",
                        label,
                        f"left({x}, 80) || (case when length({x}) > 80 then '…' else '' end)",
                        f"is longer than {int(limit)} characters (an id or code is at most {int(limit)}, {SET_ON})",
                    )
                ],
            )
        return None, x, []
    if f.type == "time_zone":
        zones = p.add(list(time_zones()))
        lowered = p.add([z.lower() for z in time_zones()])
        typed = f"list_extract({zones}::varchar[], list_position({lowered}::varchar[], lower({x})))"
        return (
            None,
            typed,
            [Problem(f"({x} is not null and {typed_col} is null)", label, x, UNKNOWN_ZONE)],
        )
    if f.type == "timestamp":
        # DuckDB's cast to timestamp drops an offset; read it as an instant and convert it
        # to the local time of the visit's hall (its own zone, else the network's; the
        # report counts them, by zone)
        offset = f"coalesce(regexp_matches({x}, {p.add(OFFSET_PATTERN)}), false)"
        b.offset_terms.append(f"cast({offset} and __p_{name} is not null as integer)")
        zoned = f"timezone({b.zone_sql()}, try_cast({x} as timestamptz))"
        iso = f"regexp_matches({x}, {p.add(ISO_TIMESTAMP)})"
        pre = (
            f"(case when {offset} then {zoned} when {iso} then try_cast({x} as timestamp) "
            f"else try_strptime({x}, {p.add(TIMESTAMP_FORMATS)}::varchar[]) end)"
        )
        # a bare date (2026-03-02, 10 characters at most) would read as midnight
        date_only = f"(length({x}) <= 10 and __p_{name} is not null)"
        serial = f"coalesce(regexp_matches({x}, {p.add(EXCEL_SERIAL)}), false)"
        return (
            pre,
            f"(case when length({x}) > 10 then __p_{name} end)",
            [
                Problem(date_only, label, x, "has a date but no time of day"),
                Problem(f"({x} is not null and {typed_col} is null and {serial})", label, x, EXCEL_SERIAL_REASON),
                Problem(
                    f"({x} is not null and {typed_col} is null and not {date_only} and not {serial})",
                    label,
                    x,
                    NOT_A_TIMESTAMP,
                ),
            ],
        )
    bad = f"({x} is not null and {typed_col} is null)"
    if f.type in ("score", "count"):
        d = f"try_cast({x} as double)"
        ok = f"({d} = floor({d}) and {d} between {f.low:g} and {f.high:g})"
        typed = f"(case when {ok} then cast({d} as {f.sql_type}) end)"
        whole = f"is not a whole number from {_bound(f.low)} to {_bound(f.high)}"
        return None, typed, [Problem(bad, label, x, whole)]
    if f.type == "float":
        d = f"try_cast({x} as double)"
        typed = f"(case when {d} between {f.low:g} and {f.high:g} then {d} end)"
        return None, typed, [Problem(bad, label, x, f"is not a number from {f.low:g} to {f.high:g}")]
    if f.type == "bool":
        low = f"lower({x})"
        typed = (
            f"(case when list_contains({p.add(TRUE_WORDS)}::varchar[], {low}) then true "
            f"when list_contains({p.add(FALSE_WORDS)}::varchar[], {low}) then false end)"
        )
        return None, typed, [Problem(bad, label, x, "is not true or false (write true/false, 1/0 or yes/no)")]
    if f.type == "minutes":
        # a duration of a report (a mean wait, a posted wait), stored in minutes; its file
        # column is in minutes unless the mapping gives another unit
        unit = t.unit or "minutes"
        hours = b.settings.max_duration_hours
        seconds = duration_seconds(x, unit)
        typed = f"(case when {seconds} between 0 and {float(hours) * 3600.0!r} then {seconds} / 60.0 end)"
        if unit == "hh:mm:ss":
            what = f"is not a duration like 0:05:30 (hours:minutes:seconds) from 0 to {hours:g} hours ({SET_ON})"
        else:
            what = f"is not a number of {unit} from 0 to {hours:g} hours ({SET_ON})"
        return None, typed, [Problem(bad, label, x, what)]
    if f.type == "time":
        return None, f"try_cast({x} as time)", [Problem(bad, label, x, "is not a time of day like 09:00")]
    if f.type == "peak_moment":
        moments = p.add(list(ALL_PEAK_MOMENTS))
        typed = f"(case when {x} is null then 'other' when list_contains({moments}::varchar[], lower({x})) then lower({x}) end)"
        return None, typed, [Problem(bad, label, x, f"is not a peak moment ({', '.join(ALL_PEAK_MOMENTS)})")]
    raise AssertionError(f.type)


def _bound(x: float | None) -> str:
    """A range's end as a message says it: 1000000, not 1e+06."""
    return str(int(x)) if x is not None and float(x).is_integer() else f"{x:g}"


def _stamp(sql: str) -> str:
    return f"strftime({sql}, '%Y-%m-%d %H:%M:%S')"


NO_MEASURE = "has none of the measures (arrivals, served, abandoned, a wait, a service time or a posted wait)"


def _period_checks(b: _Builder, present: set[str]) -> list[Problem]:
    """Checks across columns of one hourly-report row: it reports something, its wait
    statistics are in order, and it is not in the future. (Served may exceed arrivals in a
    period: customers who came in the period before are served in it.)"""
    from peakend.warehouse.ingest.contract import PERIOD_MEASURE_COLUMNS

    out = []
    measures = [c for c in PERIOD_MEASURE_COLUMNS if c in present]
    first = b.labels.get("period_start", "period_start")
    nothing = " and ".join(f"__t_{c} is null" for c in measures) or "true"
    # a measure that was there but unreadable has its own reason already
    out.append(Problem(f"({nothing} and __t_period_start is not null)", first, "''", NO_MEASURE))

    def order(small: str, large: str) -> None:
        if small in present and large in present:
            out.append(
                Problem(
                    f"(__t_{small} > __t_{large})",
                    b.labels[small],
                    f"cast(round(__t_{small}, 2) as varchar) || ' ({large} ' || cast(round(__t_{large}, 2) as varchar) || ')'",
                    f"is larger than {large} of the same row (minutes)",
                )
            )

    order("wait_median_min", "wait_p90_min")
    order("wait_median_min", "wait_max_min")
    order("wait_p90_min", "wait_max_min")
    order("wait_mean_min", "wait_max_min")
    if "period_start" in present:
        out.append(
            Problem(
                f"(__t_period_start > {b.p.add(_now(b.settings.time_zone))}::timestamp + to_days({int(b.settings.future_days)}))",
                first,
                _stamp("__t_period_start"),
                f"is in the future (more than {int(b.settings.future_days)} day after now, {SET_ON})",
            )
        )
    return out


def _row_checks(b: _Builder, present: set[str]) -> list[Problem]:
    """Checks across columns of one row (time order) for visits."""
    if b.kind == "periods":
        return _period_checks(b, present)
    if b.kind != "visits":
        return []
    out = []
    label = b.labels.__getitem__  # every column in present has a label

    def order(later: str, earlier: str, reason: str) -> None:
        if later in present and earlier in present:
            out.append(
                Problem(
                    f"(__t_{later} < __t_{earlier})",
                    label(later),
                    f"{_stamp('__t_' + later)} || ' ({earlier} ' || {_stamp('__t_' + earlier)} || ')'",
                    reason,
                )
            )

    order("called_at", "arrived_at", "was called before it arrived (called_at is earlier than arrived_at)")
    order(
        "service_ended_at",
        "service_started_at",
        "service ends before it starts (service_ended_at is earlier than service_started_at)",
    )
    order("left_at", "arrived_at", "left before it arrived (left_at is earlier than arrived_at)")
    order("left_at", "called_at", "left before being called (left_at is earlier than called_at)")
    hours = b.settings.max_duration_hours
    seconds = float(hours) * 3600.0  # a literal: a bound parameter must be used, and may not be

    def longest(later: str, earlier: str, what: str) -> None:
        if later in present and earlier in present:
            out.append(
                Problem(
                    f"(epoch(__t_{later} - __t_{earlier}) > {seconds!r})",
                    label(later),
                    f"{_stamp('__t_' + later)} || ' ({earlier} ' || {_stamp('__t_' + earlier)} || ')'",
                    f"makes a {what} longer than {hours:g} hours ({SET_ON})",
                )
            )

    longest("called_at", "arrived_at", "wait")
    longest("service_ended_at", "service_started_at", "service time")
    longest("left_at", "arrived_at", "visit")
    if "arrived_at" in present:
        out.append(
            Problem(
                f"(__t_arrived_at > {b.p.add(_now(b.settings.time_zone))}::timestamp + to_days({int(b.settings.future_days)}))",
                label("arrived_at"),
                _stamp("__t_arrived_at"),
                f"is in the future (more than {int(b.settings.future_days)} day after now, {SET_ON})",
            )
        )
    if "abandoned" in present and "called_at" in present:
        out.append(
            Problem(
                "(__t_abandoned and __t_called_at is not null)",
                label("abandoned"),
                "'true'",
                "is marked abandoned but has a called_at time (an abandoned visit was never called)",
            )
        )
    return out


UNKNOWN_HALL = "is not a known hall (add it with a halls file first)"
UNKNOWN_VISIT = "is not a known visit (load the visit first; a rating belongs to a visit)"
NOT_IN_JOURNEY = (
    "is not a key moment of the visit's hall (its journey follows the value; a data admin adds a "
    "moment for the network, the region or the hall first: python -m peakend moments add)"
)
WIDE_MOMENT = (
    "is rated in the visit's own columns (peak_score for its peak moment, exit_score for the exit): "
    "send it with the visit"
)
UNKNOWN_ZONE = "is not a time zone name (write an IANA name like Asia/Shanghai, or leave it empty for the network's)"


def _now(time_zone: str):
    """Now in the network's time zone, as the naive local time visits are stored in."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(time_zone)).replace(tzinfo=None)


def compile_mapping(
    mapping: Mapping,
    file_columns: list[str],
    source: str,
    file_name: str,
    extra_halls: list[str] | None = None,
    settings: Settings | None = None,
    hall_zones: dict[str, str] | None = None,
) -> Compiled:
    """The checking pass over `source` (the file's columns as text, and `__row`) for
    `mapping`: per row `__row`, `__skip` (the skip rule that applies), the contract columns
    typed, and `__problems`. Visits of a hall neither in the database nor in `extra_halls`
    are a problem. `hall_zones` (hall_id -> IANA name) are the halls' own time zones, for
    timestamps with an offset; other halls are in the settings' zone. Raises FileRefused
    when the file lacks a column the mapping reads or a
    required contract column."""
    b = _Builder(mapping, file_columns, settings, hall_zones)
    specs: dict[str, Any] = {}
    for name in b.fields:
        if name in mapping.columns:
            specs[name] = mapping.columns[name]
        elif resolve_column(name, file_columns) is not None:
            specs[name] = name  # same name in the file: taken as it is
    required = [f.name for f in b.fields.values() if f.required]
    absent = [r for r in required if r not in specs]
    targets: dict[str, Target] = {}
    for name in order_targets(specs):
        targets[name] = b.spec(name, specs[name])
    skip_cases = [f"when {b.cond(rule['when'])} then {i}" for i, rule in enumerate(mapping.skip)]
    if absent or b.missing:
        _refuse_missing(file_name, mapping, absent, b.missing, file_columns)
    b.labels = {name: t.label for name, t in targets.items()}
    b.by_hall = b.kind in ("visits", "periods") and "hall_id" in targets and not targets["hall_id"].typed

    # One pass, written as stacked projections so that each value is computed once and
    # referred to by name: the texts, then pre-steps, then typed values in dependency order
    # (a "from"/"near" needs its target first), then the problems of each row.
    texts, pres, problems = [], [], []
    depth: dict[str, int] = {}
    typed_by_depth: dict[int, list[str]] = {}
    for name, t in targets.items():
        f = b.fields[name]
        depth[name] = 1 + max((depth[r] for r in target_refs(specs[name])), default=-1)
        if t.typed:
            typed_sql = t.sql
            part_bad = " or ".join(pr.cond for pr in t.problems) or "false"
            if f.required:
                problems.append(
                    Problem(
                        f"(__t_{name} is null and not coalesce({part_bad}, false))",
                        t.label,
                        "null",
                        "is empty but required",
                    )
                )
        else:
            texts.append(f"{t.sql} as __x_{name}")
            pre, typed_sql, parse_problems = _parse(b, f, t, f"__x_{name}", name)
            if pre is not None:
                pres.append(f"{pre} as __p_{name}")
            t.problems.extend(parse_problems)
            if f.required:
                problems.append(Problem(f"(__x_{name} is null)", t.label, "null", "is empty but required"))
        typed_by_depth.setdefault(depth[name], []).append(f"{typed_sql} as __t_{name}")
        problems.extend(t.problems)
    problems.extend(_row_checks(b, set(targets)))
    hall_layer = None
    if b.kind in ("visits", "staff", "periods") and "hall_id" in targets:
        extra = b.p.add(list(extra_halls or []))
        hall_layer = (
            f"(__t_hall_id in (select hall_id from halls) "
            f"or list_contains({extra}::varchar[], __t_hall_id)) as __hall_known"
        )
        problems.append(
            Problem("(__t_hall_id is not null and not __hall_known)", b.labels["hall_id"], "__t_hall_id", UNKNOWN_HALL)
        )

    rating_layer = _rating_layer(b, problems) if b.kind == "ratings" else None

    skip_sql = f"(case {' '.join(skip_cases)} end)" if skip_cases else "null::integer"
    layers = [f"select *, {', '.join([f'{skip_sql} as __skip', *texts])} from {source}"]
    if pres:
        layers.append(f"select *, {', '.join(pres)} from ({layers[-1]})")
    for d in sorted(typed_by_depth):
        layers.append(f"select *, {', '.join(typed_by_depth[d])} from ({layers[-1]})")
    if hall_layer:
        layers.append(f"select *, {hall_layer} from ({layers[-1]})")
    if rating_layer:
        layers.append(rating_layer.format(previous=layers[-1]))
    structs = ", ".join(
        f"case when {pr.cond} then {{'column': {b.p.add(pr.column)}::varchar, "
        f"'value': cast({pr.value} as varchar), 'reason': {b.p.add(pr.reason)}::varchar}} end"
        for pr in problems
    )
    outputs = []
    for name, f in b.fields.items():
        if name in targets:
            outputs.append(f"__t_{name} as {name}")
        else:
            outputs.append(f"null::{f.sql_type} as {name}")
    # the list of problems is built only on rows where some check fails
    any_bad = " or ".join(pr.cond for pr in problems) or "false"
    select = (
        f"select __row, __skip, {', '.join(outputs)}, "
        f"case when __skip is null and ({any_bad}) "
        f"then list_filter([{structs}], lambda p: p is not null) "
        f"else [] end as __problems from ({layers[-1]})"
    )
    offsets = " + ".join(b.offset_terms) or "0"
    zone = b.zone_sql() if b.offset_terms else "null::varchar"
    select = select.replace(
        " as __problems from (", f" as __problems, {offsets} as __offsets, {zone} as __zone from (", 1
    )
    used = sorted(b.used, key=file_columns.index)
    return Compiled(
        select,
        b.p.values,
        [r["reason"] for r in mapping.skip],
        b.labels,
        used,
        [c for c in file_columns if c not in b.used],
        offsets,
        zone,
    )


def _rating_layer(b: _Builder, problems: list[Problem]) -> str:
    """For a ratings file: each row's visit (its hall) and the moment as that hall's journey
    has it (the catalogue: the network's, the hall's region's and its own moments, the
    study's among them), and the problems: a visit not known, a moment not in the hall's
    journey (naming the hall and its journey), one the visit's own columns rate, a score
    outside the moment's scale. `{previous}` is the layer before."""
    from peakend.core.moments import STAGES, WIDE_MOMENTS
    from peakend.warehouse.schema import JOURNEY_JOIN

    visit, moment, score = (b.labels[c] for c in ("visit_id", "moment", "score"))
    wide = b.p.add(list(WIDE_MOMENTS))
    problems.extend(
        [
            Problem("(__t_visit_id is not null and __r_hall is null)", visit, "__t_visit_id", UNKNOWN_VISIT),
            Problem(
                "(__r_hall is not null and __t_moment is not null and __r_low is null "
                f"and not list_contains({wide}::varchar[], __t_moment))",
                moment,
                "__t_moment || ' (hall ' || __r_hall || ': ' || __r_journey || ')'",
                NOT_IN_JOURNEY,
            ),
            Problem(f"(list_contains({wide}::varchar[], __t_moment))", moment, "__t_moment", WIDE_MOMENT),
            Problem(
                "(__t_score is not null and (__t_score < __r_low or __t_score > __r_high))",
                score,
                "cast(__t_score as varchar) || ' (scale ' || __r_low || '-' || __r_high || ')'",
                "is outside the moment's scale",
            ),
        ]
    )
    return (
        "select l.*, v.hall_id as __r_hall, m.scale_min as __r_low, m.scale_max as __r_high, j.journey as __r_journey "
        "from ({previous}) as l "
        "left join (select visit_id, hall_id from visits) as v on v.visit_id = l.__t_visit_id "
        f"left join (select h.hall_id, m.moment, m.scale_min, m.scale_max from halls as h join moments as m "
        f"  on {JOURNEY_JOIN}) as m "
        "  on m.hall_id = v.hall_id and m.moment = l.__t_moment "
        "left join (select h.hall_id, string_agg(m.moment, ', ' order by list_position("
        + b.p.add(list(STAGES))
        + "::varchar[], m.stage), m.position) as journey "
        "  from halls as h join moments as m "
        f"  on {JOURNEY_JOIN} "
        "  group by h.hall_id) as j on j.hall_id = v.hall_id"
    )


def _refuse_missing(file_name, mapping, absent, missing, file_columns) -> None:
    found = ", ".join(file_columns) if file_columns else "no columns"
    parts = []
    if missing:
        parts.append(
            f"the mapping {mapping.name!r} reads column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} that the file does not have"
        )
    if absent:
        parts.append(
            f"required {mapping.kind} column{'s' if len(absent) > 1 else ''} "
            f"{', '.join(absent)} {'are' if len(absent) > 1 else 'is'} missing"
        )
    raise FileRefused(f"{file_name}: {'; '.join(parts)}. Found: {found}.")
