"""Named queries for pages: scoped to the signed-in user and cached until the next load.

`run` asks one query; `fetch` asks several that don't depend on each other at once. Most
of a small query's time is DuckDB parsing, binding and optimising it, which runs on one
core; two queries in two threads use both, so a page's independent queries come back in
about two-thirds of the time (README, Performance)."""

from __future__ import annotations

import functools
import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from peakend.core.filters import VisitFilter
from peakend.core.scope import Scope
from peakend.ui.auth import current_scope
from peakend.ui.session import database
from peakend.warehouse.db import Database

# Queries one page run asks at the same time; PEAKEND_QUERY_THREADS=1 runs them in turn.
QUERY_THREADS = max(1, int(os.environ.get("PEAKEND_QUERY_THREADS", "2")))

# One pool for the process: starting threads for every page run was slow when many
# sessions ran at once (a quarter of a script run's time under the concurrency bench).
# Each fetch keeps at most QUERY_THREADS of its queries in it at a time.
_POOL = ThreadPoolExecutor(max_workers=4 * QUERY_THREADS, thread_name_prefix="peakend-query")

# Which `fetch` a query belongs to (the bench replays a page's queries in the same groups).
FETCH_GROUP: ContextVar[int | None] = ContextVar("peakend_fetch_group", default=None)
_groups = itertools.count(1)  # next() on a count is atomic


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_hashable(v) for v in value)
    return value


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_query(
    name: str,
    filter_key: tuple,
    param_key: tuple,
    scope_key: str,
    db_key: str,
    data_version: int,
    _db: Database,
    _filters: VisitFilter | None,
    _scope: Scope,
    _params: dict[str, Any],
) -> pd.DataFrame:
    # The key is everything the answer depends on: query, filter, parameters, the user's
    # scope, the database (another file, or the same path opened again, is another key)
    # and its data version (bumped by every load, undo and target change).
    return _db.query(name, _filters, _scope, **_params)


@dataclass(frozen=True)
class Ask:
    """One named query with its filter and parameters, to `fetch` with others."""

    name: str
    filters: VisitFilter | None = None
    params: dict[str, Any] = field(default_factory=dict)


def ask(name: str, filters: VisitFilter | None = None, **params: Any) -> Ask:
    return Ask(name, filters, params)


def _key(a: Ask) -> tuple:
    filter_key = tuple(sorted((a.filters or VisitFilter()).as_params().items(), key=lambda kv: kv[0]))
    filter_key = tuple((k, _hashable(v)) for k, v in filter_key)
    param_key = tuple(sorted((k, _hashable(v)) for k, v in a.params.items()))
    return a.name, filter_key, param_key


def _answer(db: Database, scope: Scope, version: int, a: Ask) -> pd.DataFrame:
    name, filter_key, param_key = _key(a)
    return _cached_query(
        name,
        filter_key,
        param_key,
        scope.cache_key(),
        db.cache_key,
        version,
        _db=db,
        _filters=a.filters,
        _scope=scope,
        _params=a.params,
    )


# ?debug=routes: the page lists, under its content, which query answered each of its
# questions and why (Database.explain), for whoever wonders where a number came from.
DEBUG_PARAM, DEBUG_ROUTES = "debug", "routes"
_ASKED = "_peakend_asked_this_run"


def routes_wanted() -> bool:
    return st.query_params.get(DEBUG_PARAM) == DEBUG_ROUTES


def start_run() -> None:
    """Forget the questions of the last script run (app.py calls this first)."""
    st.session_state[_ASKED] = []


def _note(*asks: Ask) -> None:
    if routes_wanted():
        st.session_state.setdefault(_ASKED, []).extend(asks)


def asked_this_run() -> list[Ask]:
    return list(st.session_state.get(_ASKED, []))


def explain(a: Ask):
    """Which query answers `a` for the signed-in user, and why (Database.explain)."""
    return database().explain(a.name, a.filters, current_scope(), **a.params)


def run(name: str, filters: VisitFilter | None = None, **params: Any) -> pd.DataFrame:
    """Run queries/NAME.sql for the signed-in user (cached under the pages' data version:
    a feed's batches show within LIVE_CACHE_S, Database.page_version)."""
    db = database()
    return _run(db, db.page_version(), Ask(name, filters, params))


def run_live(name: str, filters: VisitFilter | None = None, **params: Any) -> pd.DataFrame:
    """`run` under the exact data version: every committed batch at once (the today panel)."""
    db = database()
    return _run(db, db.data_version(), Ask(name, filters, params))


def _run(db: Database, version: int, a: Ask) -> pd.DataFrame:
    _note(a)
    return _answer(db, current_scope(), version, a)


def scoped_query() -> Callable[..., pd.DataFrame]:
    """The signed-in user's named queries as a plain function `query(name, filters, **params)`,
    for work done outside the page run (a download's file, made when it is clicked, on
    another thread): the database and the user's scope are bound now, not read later."""
    return functools.partial(database().query, scope=current_scope())


def fetch(**asks: Ask | None) -> dict[str, pd.DataFrame | None]:
    """Several named queries for the signed-in user, QUERY_THREADS at a time; the answers
    by the names given (None for a None ask: a section that doesn't apply). Cached under
    the pages' data version, like `run`."""
    db = database()
    return _fetch(db, db.page_version(), asks)


def fetch_live(**asks: Ask | None) -> dict[str, pd.DataFrame | None]:
    """`fetch` under the exact data version (the today panel)."""
    db = database()
    return _fetch(db, db.data_version(), asks)


def _fetch(db: Database, version: int, asks: dict[str, Ask | None]) -> dict[str, pd.DataFrame | None]:
    scope = current_scope()
    group = next(_groups)
    ctx = get_script_run_ctx()

    def answer(a: Ask) -> pd.DataFrame:
        # the session's script context, so Streamlit's cache sees the query as this page's
        if ctx is not None:
            add_script_run_ctx(threading.current_thread(), ctx)
        token = FETCH_GROUP.set(group)
        try:
            return _answer(db, scope, version, a)
        finally:
            FETCH_GROUP.reset(token)

    # the same query asked twice (e.g. a region's numbers that are also the priors) runs
    # once: side by side, both would miss the cache
    wanted = {_key(a): a for a in asks.values() if a is not None}
    _note(*wanted.values())
    if QUERY_THREADS == 1 or len(wanted) < 2:
        answers = {k: answer(a) for k, a in wanted.items()}
    else:
        answers, waiting = {}, list(wanted.items())
        running: dict[Future[pd.DataFrame], tuple] = {}  # the query running -> its key
        while waiting or running:
            while waiting and len(running) < QUERY_THREADS:
                k, a = waiting.pop(0)
                running[_POOL.submit(answer, a)] = k
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                answers[running.pop(future)] = future.result()
    return {key: None if a is None else answers[_key(a)] for key, a in asks.items()}
