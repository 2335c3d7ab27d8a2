"""The named queries of `queries/` and the metric queries written from peakend/core/metrics.py
(warehouse/metric_sql.py): a query's full SQL (the shared fragments it uses become leading
CTEs, and only the filter lines of the filters in use stay), the parameters it takes, and
the values bound for exactly those.

No connection here: the database (db.py) and the rollup routing (rollups.py) both use this
module, so the dependencies go one way: db -> rollups -> named_queries.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Any

from peakend.core.filters import VisitFilter
from peakend.core.scope import Scope
from peakend.warehouse import metric_sql

QUERY_DIR = Path(__file__).resolve().parent.parent.parent / "queries"
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_LEADING_COMMENTS = re.compile(r"^(\s*--[^\n]*\n|\s+)*")


class QueryError(RuntimeError):
    """A named query could not be prepared (unknown name, missing parameter)."""


@functools.cache
def _query_text(name: str) -> str:
    path = QUERY_DIR / f"{name}.sql"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or not path.is_file():
        raise QueryError(f"no named query {name!r} in {QUERY_DIR}")
    return path.read_text(encoding="utf-8")


# Rollup twins that are another query over other fragments: the twin's SQL is the query's,
# with each fragment named on the left read from the one on the right (same columns, same
# rows, from the rollups). peakend/warehouse/rollup_routes.py says when a twin answers.
OVER_OTHER_FRAGMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "peer_ranks_rollup": ("peer_ranks", {"peer_hall_numbers": "peer_hall_numbers_rollup"}),
    "insights_moments_rollup": (
        "insights_moments",
        {"moment_sums": "moment_sums_rollup", "moment_visits": "moment_waits"},
    ),
    "explore_filter_options_rollup": ("explore_filter_options", {"explore_values": "explore_values_rollup"}),
}


def named_queries() -> list[str]:
    """Every named query: the files of queries/, the metric queries written from the
    metric definitions (warehouse/metric_sql.py) and the twins over other fragments."""
    files = [p.stem for p in QUERY_DIR.glob("*.sql") if not p.stem.startswith("_")]
    return sorted(files + list(metric_sql.QUERIES) + list(OVER_OTHER_FRAGMENTS))


@functools.cache
def _fragment_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem[1:] for p in QUERY_DIR.glob("_*.sql")))


def _fragments_used(sql: str, seen: list[str]) -> list[str]:
    """Fragments (queries/_NAME.sql) the SQL refers to, dependencies first."""
    for frag in _fragment_names():
        if frag not in seen and re.search(rf"\b{frag}\b", sql):
            _fragments_used(_query_text(f"_{frag}"), seen)
            if frag not in seen:
                seen.append(frag)
    return seen


FILTER_FIELDS = frozenset(f.name for f in dataclasses.fields(VisitFilter))
# A filter line of a query: `and ($name is null or ...)`, one per line. It is left out of the
# SQL when the call doesn't set that filter, so DuckDB plans only the predicates in use.
_FILTER_LINE = re.compile(r"^\s*and \(\$([a-z_]+) is null or .*\)\s*(--.*)?$")
# metric('name') and part('name') in a named query: written from peakend/core/metrics.py
_METRIC_CALL = re.compile(
    r"\b(metric|part|summed|rolled_moment|period_metric|period_n|period_measures)\('([a-z0-9_]+)'\)"
)


def filters_in_use(filters: VisitFilter | None) -> frozenset[str]:
    if filters is None:
        return frozenset()
    return frozenset(f for f in FILTER_FIELDS if getattr(filters, f) is not None)


def _keep_filters(sql: str, used: frozenset[str] | None) -> str:
    if used is None:
        return sql
    lines = []
    for line in sql.splitlines():
        m = _FILTER_LINE.match(line)
        if m and m.group(1) in FILTER_FIELDS and m.group(1) not in used:
            continue
        lines.append(line)
    return "\n".join(lines)


def _metric_calls(sql: str) -> str:
    """metric('name') and part('name') in a named query: that metric or part over the
    query's visits, as peakend/core/metrics.py defines it once."""

    def write(m: re.Match) -> str:
        if m.group(1) == "metric":
            return metric_sql.metric_over_visits(m.group(2))
        if m.group(1) == "period_metric":  # a measure over hourly-report rows
            return metric_sql.period_metric(m.group(2))
        if m.group(1) == "period_n":  # the report rows behind it
            return metric_sql.period_n(m.group(2))
        if m.group(1) == "period_measures":  # every measure and its n ('all')
            return metric_sql.period_measures()
        if m.group(1) == "rolled_moment":  # a key moment's sums over rollup rows
            return metric_sql.moment_sums(m.group(2))
        if m.group(1) == "summed":  # from the summed parts of a subquery `s`
            return metric_sql.metric_from_sums(m.group(2), sums="s")
        return metric_sql.part_over_visits(metric_sql.PARTS[m.group(2)])

    return _METRIC_CALL.sub(write, sql)


def _body(name: str, groups: tuple[str | None, str | None]) -> str:
    if name in metric_sql.QUERIES:
        return metric_sql.compose(metric_sql.QUERIES[name], groups)
    if name in OVER_OTHER_FRAGMENTS:
        base, swaps = OVER_OTHER_FRAGMENTS[name]
        body = _query_text(base)
        for fragment, other in swaps.items():
            body = re.sub(rf"\b{fragment}\b", other, body)
        return _metric_calls(body)
    return _metric_calls(_query_text(name))


@functools.lru_cache(maxsize=4096)
def compile_query(
    name: str, used: frozenset[str] | None = None, groups: tuple[str | None, str | None] = (None, None)
) -> str:
    """The full SQL of a named query: the shared fragments it uses become leading CTEs, and
    of the filter lines only those of the filters in `used` stay (None: every one).

    Fragments are structure, not values; every value still reaches DuckDB as a bound
    parameter.
    """
    body = _body(name, groups)
    frags = _fragments_used(body, [])
    if not frags:
        return _keep_filters(body, used)
    ctes = ",\n".join(f"{f} as (\n{_metric_calls(_query_text('_' + f))}\n)" for f in frags)
    leading = _LEADING_COMMENTS.match(body)
    assert leading is not None  # the pattern matches the empty string
    head = leading.end()
    rest = body[head:]
    if re.match(r"with\s", rest, re.IGNORECASE):
        sql = f"{body[:head]}with {ctes},\n{rest[4:].lstrip()}"
    else:
        sql = f"{body[:head]}with {ctes}\n{rest}"
    return _keep_filters(sql, used)


def sql_parameters(
    name: str, used: frozenset[str] | None = None, groups: tuple[str | None, str | None] = (None, None)
) -> set[str]:
    """The $parameters the SQL binds."""
    return set(_PARAM.findall(compile_query(name, used, groups)))


def query_parameters(
    name: str, used: frozenset[str] | None = None, groups: tuple[str | None, str | None] = (None, None)
) -> set[str]:
    """The parameters a call of the named query takes: those its SQL binds, and for a
    metric query its grouping (written into the SQL, from a closed list)."""
    grouping = {"group_1", "group_2"} if name in metric_sql.QUERIES else set()
    return sql_parameters(name, used, groups) | grouping


def groups_of(name: str, params: dict[str, Any]) -> tuple[str | None, str | None]:
    """The grouping a metric query is written for (it is part of its SQL, not a value)."""
    if name not in metric_sql.QUERIES:
        return (None, None)
    missing = [k for k in ("group_1", "group_2") if k not in params]
    if missing:
        raise QueryError(f"query {name!r} needs parameters {missing} (a dimension, or None for all visits)")
    groups = (params["group_1"], params["group_2"])
    if not metric_sql.can_group(name, groups):
        raise QueryError(
            f"query {name!r} can't group by {groups}: a dimension of {metric_sql.dimensions(name)} or None"
        )
    return groups


def bind_values(
    name: str,
    filters: VisitFilter | None,
    scope: Scope,
    params: dict[str, Any],
    used: frozenset[str] | None = None,
    groups: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    """The values for exactly the parameters the query uses. The scope always comes from
    the caller's `scope`, never from `params`, so no widget value can widen it."""
    if "scope_halls" in params:
        raise QueryError("the scope is bound by the query layer; pass scope=, not scope_halls=")
    available: dict[str, Any] = {}
    available.update((filters or VisitFilter()).as_params())
    available.update(params)
    available["scope_halls"] = scope.as_param()
    missing = query_parameters(name, used, groups) - available.keys()
    if missing:
        raise QueryError(f"query {name!r} needs parameters {sorted(missing)}")
    return {k: available[k] for k in sql_parameters(name, used, groups)}
