"""The SQL of every headline metric, written from their one definition (peakend.core.metrics) at
each grain the warehouse keeps, so a metric is defined once and every route answers it the
same way.

A named query of the metric family is `metrics_by_group` or one of its rollup twins (the
route is chosen in peakend.warehouse.rollups, and `Database.explain` says which and why):

grain         query                      sums from       wait quantiles from
visits        metrics_by_group           filtered_visits the visits' waits (quantile_cont)
hall_days     metrics_by_group_sums      rollup_visits   the visits' waits, read alone
city_days     metrics_by_group_rollup    rollup_cities   rollup_waits, the exact histogram
network_days  metrics_by_group_network   rollup_cities   network_wait_rollup

Each is one `sums` step (every Part, Within and wait quantile per group) and one projection
(every Metric from those sums). The grouping dimensions come from a closed list
(filters.DIMENSIONS) and are written into the SQL; every value is still a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from peakend.core.metrics import (
    METRICS,
    MOMENT_Y_PER,
    PARTS,
    PERIOD_METRICS,
    ROLLED_MOMENTS,
    WITHIN,
    Part,
    Quantile,
    Ratio,
    Total,
    count_columns,
    parts_needed,
)

# The rollup columns the write path keeps: every part, as an exact integer.
PART_COLUMNS = tuple(PARTS)

# A dimension's value per grain: the visits carry everything; the rollups keep the day, the
# purpose (so the peak moment), the hall (visit_rollup) and the city and region.
_VISIT_DIMENSIONS = {
    "region": "region",
    "city": "city",
    "hall": "hall_id",
    "purpose": "purpose",
    "peak_moment": "peak_moment",
    "staff": "staff_id",
    "segment": "segment",
    "day": "strftime(arrived_at, '%Y-%m-%d')",
    "week": "strftime(date_trunc('week', arrived_at), '%Y-%m-%d')",
    "month": "strftime(arrived_at, '%Y-%m')",
    "weekday": "isodow(arrived_at)::varchar",
    "hour": "lpad(hour(arrived_at)::varchar, 2, '0')",
}
_DAY_DIMENSIONS = {
    "region": "region",
    "city": "city",
    "hall": "hall_id",
    "purpose": "purpose",
    "peak_moment": "peak_moment",
    "day": "strftime(day, '%Y-%m-%d')",
    "week": "strftime(date_trunc('week', day), '%Y-%m-%d')",
    "month": "strftime(day, '%Y-%m')",
    "weekday": "isodow(day)::varchar",
}
_NETWORK_WAIT_DIMENSIONS = {k: v for k, v in _DAY_DIMENSIONS.items() if k in ("day", "week", "month", "weekday")}


@dataclass(frozen=True)
class Grain:
    query: str
    sums_from: str  # the fragment the sums are added up over
    dimensions: dict[str, str]  # what it can be grouped by
    waits: str  # "visits" | "histogram"
    waits_from: str
    wait_dimensions: dict[str, str]
    network_only: bool = False  # nothing at all for a user who does not see every hall


GRAINS = {
    "visits": Grain(
        "metrics_by_group", "filtered_visits", _VISIT_DIMENSIONS, "visits", "filtered_visits", _VISIT_DIMENSIONS
    ),
    "hall_days": Grain(
        "metrics_by_group_sums", "rollup_visits", _DAY_DIMENSIONS, "visits", "filtered_visits", _VISIT_DIMENSIONS
    ),
    "city_days": Grain(
        "metrics_by_group_rollup",
        "rollup_cities",
        {k: v for k, v in _DAY_DIMENSIONS.items() if k != "hall"},
        "histogram",
        "rollup_waits",
        {k: v for k, v in _DAY_DIMENSIONS.items() if k != "hall"},
    ),
    "network_days": Grain(
        "metrics_by_group_network",
        "rollup_cities",
        _NETWORK_WAIT_DIMENSIONS,
        "histogram",
        "network_waits",
        _NETWORK_WAIT_DIMENSIONS,
        network_only=True,
    ),
}
QUERIES = {g.query: name for name, g in GRAINS.items()}

_QUANTILES = {key: m.value for key, m in METRICS.items() if isinstance(m.value, Quantile)}


class GroupingError(ValueError):
    """A grouping the grain can't answer (the router never sends one)."""


def can_group(query: str, groups: tuple[str | None, str | None]) -> bool:
    """Whether the metric query `query` can be grouped so (the router sends it only such)."""
    return all(d is None or d in dimensions(query) for d in groups)


def dimensions(query: str) -> tuple[str, ...]:
    return tuple(GRAINS[QUERIES[query]].dimensions)


# -- one part, at each grain ------------------------------------------------------------------
def part_over_visits(part: Part, peak_moment: str | None = None) -> str:
    """The aggregate giving `part` over visits (columns of filtered_visits), optionally over
    the visits of one peak moment only."""
    only = f"peak_moment = '{peak_moment}'" if peak_moment else None
    if part.count_where is not None:
        cond = part.count_where if only is None else f"({part.count_where}) and {only}"
        return "count(*)" if cond == "true" else f"count(*) filter (where {cond})"
    if part.count_of is not None:
        return f"count({part.count_of})" + (f" filter (where {only})" if only else "")
    return f"coalesce(sum({part.sum_of})" + (f" filter (where {only})" if only else "") + ", 0)"


def _part_over_rollup(name: str) -> str:
    if name in WITHIN:
        w = WITHIN[name]
        return f"coalesce(sum({w.part}) filter (where peak_moment = '{w.peak_moment}'), 0)"
    return f"sum({name})"


def _part_over_raw(name: str) -> str:
    if name in WITHIN:
        w = WITHIN[name]
        return part_over_visits(PARTS[w.part], w.peak_moment)
    return part_over_visits(PARTS[name])


def moment_sums(name: str) -> str:
    """The columns of queries/_moment_sums.sql (visits, n, x, xx, then i_* and p_*: the
    regressions on the peak-end index and the NPS points) for the key moment `name` of
    peakend.core.metrics.ROLLED_MOMENTS (visit_rollup's, or rating_rollup's "rating"), added
    up over rollup rows: counts as bigint, sums
    back in the moment's own units."""
    m = ROLLED_MOMENTS[name]
    cols = [f"sum({m.part('visits')})::bigint as visits", f"sum({m.part('n')})::bigint as n"]
    cols += [f"sum({m.part('x')}) / {_num(m.per)} as x", f"sum({m.part('xx')}) / {_num(m.per * m.per)} as xx"]
    for r, y_per in MOMENT_Y_PER.items():
        scales = {"x": m.per, "y": y_per, "xx": m.per * m.per, "xy": m.per * y_per, "yy": y_per * y_per}
        cols.append(f"sum({m.part(f'{r}_n')})::bigint as {r}_n")
        cols += [f"sum({m.part(f'{r}_{s}')}) / {_num(per)} as {r}_{s}" for s, per in scales.items()]
    return ",\n    ".join(cols)


# -- one metric, from the sums of its group ---------------------------------------------------
def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _scaled(sql: str, value: Ratio | Quantile) -> str:
    times = getattr(value, "times", 1)
    head = "" if times == 1 else f"{_num(times)} * "
    tail = "" if value.per == 1 else f" / {_num(value.per)}"
    return f"{head}{sql}{tail}"


def metric_from_sums(key: str, sums: str = "s", quantiles: str = "q") -> str:
    value = METRICS[key].value
    if isinstance(value, Total):
        return f"{sums}.{value.part}::bigint"
    if isinstance(value, Ratio):
        num = f"{sums}.{value.num}" if value.minus is None else f"({sums}.{value.num} - {sums}.{value.minus})"
        return _scaled(f"{num} / nullif({sums}.{value.den}, 0)::double", value)
    return f"{quantiles}.{key}"


def metric_over_visits(key: str) -> str:
    """One metric as a single aggregate over visits, for queries that need it beside their
    own columns (a named query writes metric('service_level'))."""
    value = METRICS[key].value
    if isinstance(value, Total):
        return _part_over_raw(value.part)
    if isinstance(value, Ratio):
        num = _part_over_raw(value.num)
        if value.minus is not None:
            num = f"({num} - {_part_over_raw(value.minus)})"
        return _scaled(f"{num} / nullif({_part_over_raw(value.den)}, 0)::double", value)
    return _scaled(f"quantile_cont(wait_s, {value.q!r})", value)


def _group_columns(grain: Grain, dims: dict[str, str], groups: tuple[str | None, str | None]) -> str:
    cols = []
    for i, dim in enumerate(groups, start=1):
        if dim is None:
            cols.append(f"null::varchar as group_{i}")
        elif dim not in dims:
            raise GroupingError(f"{grain.query} can't group by {dim!r}")
        else:
            cols.append(f"{dims[dim]} as group_{i}")
    return ",\n        ".join(cols)


def _wait_quantiles(grain: Grain, groups) -> str:
    group_cols = _group_columns(grain, grain.wait_dimensions, groups)
    if grain.waits == "visits":
        qs = ", ".join(repr(v.q) for v in _QUANTILES.values())
        picks = ",\n        ".join(
            f"{_scaled(f'wait_q[{i}]', v)} as {key}" for i, (key, v) in enumerate(_QUANTILES.items(), start=1)
        )
        return f"""quantiles as (
    select group_1, group_2,
        {picks},
    from (
        select
            {group_cols},
            quantile_cont(wait_s, [{qs}]) as wait_q,
        from {grain.waits_from}
        where wait_s is not null
        group by group_1, group_2
    )
)"""
    # quantile_cont(q) of the waits: the value at 0-based rank last_rank * q of the sorted
    # waits, between its two nearest ranks; the wait at rank k is the first with up_to > k
    quantile_picks = []
    for key, v in _QUANTILES.items():
        q = repr(v.q)
        lo = f"min(wait_s) filter (where up_to > floor(last_rank * {q}))"
        hi = f"min(wait_s) filter (where up_to > ceil(last_rank * {q}))"
        frac = f"any_value(last_rank * {q} - floor(last_rank * {q}))"
        quantile_picks.append(f"{_scaled(f'({lo} + {frac} * ({hi} - {lo}))', v)} as {key}")
    picks_sql = ",\n        ".join(quantile_picks)
    return f"""wait_counts as (
    select
        {group_cols},
        wait_s,
        sum(n)::bigint as n,
    from {grain.waits_from}
    group by group_1, group_2, wait_s
),
wait_ranks as (
    -- bigint and double, not DuckDB's int128 and decimal sums: several times faster here
    select
        *,
        (sum(n) over (partition by group_1, group_2 order by wait_s
                      rows between unbounded preceding and current row))::bigint as up_to,
        ((sum(n) over (partition by group_1, group_2)) - 1)::double as last_rank,
    from wait_counts
),
quantiles as (
    select
        group_1,
        group_2,
        {picks_sql},
    from wait_ranks
    group by group_1, group_2
)"""


def compose(grain_name: str, groups: tuple[str | None, str | None]) -> str:
    """The SQL of the grain's query grouped by `groups` (each a filters.DIMENSIONS name or
    None), over the fragments it names (prepended by peakend.warehouse.db)."""
    grain = GRAINS[grain_name]
    one_pass = grain.waits_from == grain.sums_from  # the visits: their waits are in the same rows
    over = _part_over_raw if grain.sums_from == "filtered_visits" else _part_over_rollup
    parts = [f"{over(p)} as {p}" for p in parts_needed()]
    if one_pass:
        parts.append(f"quantile_cont(wait_s, [{', '.join(repr(v.q) for v in _QUANTILES.values())}]) as wait_q")
    group_cols = _group_columns(grain, grain.dimensions, groups)
    columns = []
    for key in METRICS:
        if key in _QUANTILES and one_pass:
            v = _QUANTILES[key]
            i = list(_QUANTILES).index(key) + 1
            columns.append(f"{_scaled(f's.wait_q[{i}]', v)} as {key}")
        else:
            columns.append(f"{metric_from_sums(key)} as {key}")
    columns += [f"s.{c}::bigint as {c}" for c in count_columns()]
    sep = ",\n        "
    steps = [
        f"""sums as (
    select
        {group_cols},
        {sep.join(parts)},
    from {grain.sums_from}
    group by group_1, group_2
)"""
    ]
    joined = "from sums as s"
    if not one_pass:
        steps.append(_wait_quantiles(grain, groups))
        joined += """
left join quantiles as q
    on q.group_1 is not distinct from s.group_1
    and q.group_2 is not distinct from s.group_2"""
    if grain.network_only:
        joined += "\nwhere $scope_halls is null"
    projection = ",\n    ".join(columns)
    return f"""-- one row per group of visits ({groups[0] or "all"} x {groups[1] or "all"}) with every headline metric, at the {grain_name} grain (peakend/warehouse/metric_sql.py)
with
{("," + chr(10)).join(steps)}
select
    s.group_1,
    s.group_2,
    {projection},
{joined}
order by s.group_1 nulls first, s.group_2 nulls first
"""


def period_metric(key: str) -> str:
    """A measure over the hourly-report rows of a group (peakend.core.metrics.PERIOD_METRICS)."""
    return f"({PERIOD_METRICS[key].sql})"


def period_n(key: str) -> str:
    """The hourly-report rows of a group that report the measure `key`."""
    return f"count({PERIOD_METRICS[key].n_of})"


def period_measures() -> str:
    """Every hourly-report measure and the rows behind it, as columns `key` and `n_key`, in
    the order of PERIOD_METRICS: what period_measures('all') writes in a named query."""
    return ",\n    ".join(f"{period_metric(k)} as {k},\n    {period_n(k)} as n_{k}" for k in PERIOD_METRICS)
