"""The named queries of `queries/`: a query's full SQL (the shared fragments it uses become
leading CTEs), the parameters it takes, and the values bound for exactly those.

No connection here: the database (db.py) and the rollup routing (rollups.py) both use this
module, so the dependencies go one way: db -> rollups -> named_queries.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from peakend.core.filters import VisitFilter
from peakend.core.scope import Scope

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


@functools.cache
def compile_query(name: str) -> str:
    """The full SQL of a named query: the shared fragments it uses become leading CTEs.

    Fragments are structure, not values; every value still reaches DuckDB as a bound
    parameter.
    """
    body = _query_text(name)
    frags = _fragments_used(body, [])
    if not frags:
        return body
    ctes = ",\n".join(f"{f} as (\n{_query_text('_' + f)}\n)" for f in frags)
    head = _LEADING_COMMENTS.match(body).end()
    rest = body[head:]
    if re.match(r"with\s", rest, re.IGNORECASE):
        return f"{body[:head]}with {ctes},\n{rest[4:].lstrip()}"
    return f"{body[:head]}with {ctes}\n{rest}"


def query_parameters(name: str) -> set[str]:
    return set(_PARAM.findall(compile_query(name)))


def bind_values(
    name: str, filters: VisitFilter | None, scope: Scope, params: dict[str, Any]
) -> dict[str, Any]:
    """The values for exactly the parameters the query uses. The scope always comes from
    the caller's `scope`, never from `params`, so no widget value can widen it."""
    if "scope_halls" in params:
        raise QueryError("the scope is bound by the query layer; pass scope=, not scope_halls=")
    available: dict[str, Any] = {}
    available.update((filters or VisitFilter()).as_params())
    available.update(params)
    available["scope_halls"] = scope.as_param()
    needed = query_parameters(name)
    missing = needed - available.keys()
    if missing:
        raise QueryError(f"query {name!r} needs parameters {sorted(missing)}")
    return {k: available[k] for k in needed}
