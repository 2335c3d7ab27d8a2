"""Each page's full set of named queries, taken from the page itself.

Rather than a hand-kept copy of what each page asks (which drifts as pages change), the
bench renders the page in AppTest as a signed-in user with an empty query cache and
records every call that reaches `Database.query`: the query name, the VisitFilter, the
scope and the parameters. That list *is* the page's query set for that state of its
controls; bench.worker replays it cold and warm, and bench.pandas_way answers it the
pandas way. A page run also gives the full render time, the re-render after a filter
change, and what the process holds in memory.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from peakend.warehouse.db import Database
from peakend.core.filters import VisitFilter
from peakend.core.scope import Scope

PAGE_APP = str(Path(__file__).resolve().parent / "page_app.py")
# Demo users (peakend.auth.demo), one per role; the bench uses head office (every hall,
# the heaviest scope) unless a page is for other roles only.
ROLE_USERS = {
    "head_office": "head.office",
    "regional_manager": "region.manager",
    "hall_manager": "hall.manager",
    "data_admin": "data.admin",
}
# The control each page's "filter change" turns: its period, to another preset.
PERIOD_KEYS = ("period", "xp_period")


@dataclass(frozen=True)
class Call:
    name: str
    filters: VisitFilter | None
    scope: Scope
    params: dict[str, Any]
    group: int | None = None  # the page's `fetch` that asked it (asked side by side), if any

    def run(self, db: Database):
        return db.query(self.name, self.filters, self.scope, **self.params)

    def label(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()) if k not in ("limit", "offset"))
        return f"{self.name}({extra})" if extra else self.name


@dataclass
class PageRender:
    page: str
    user: str
    calls: list[Call]
    render_s: float  # first render, the app's query cache empty
    rerun_s: float  # the same page again: every query a cache hit
    change: str | None = None  # what the filter change did
    change_calls: list[Call] = field(default_factory=list)
    change_s: float | None = None  # re-render after the filter change
    errors: list[str] = field(default_factory=list)


class _Recorder:
    def __init__(self):
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    @contextmanager
    def recording(self) -> Iterator[list[Call]]:
        original = Database.query
        recorder = self

        def query(db, name, filters=None, scope=None, **params):
            from peakend.core.scope import EVERYTHING

            from peakend.ui.answers import FETCH_GROUP

            with recorder._lock:
                recorder.calls.append(Call(name, filters, scope or EVERYTHING, dict(params), FETCH_GROUP.get()))
            return original(db, name, filters, scope or EVERYTHING, **params)

        Database.query = query
        try:
            yield self.calls
        finally:
            Database.query = original


def bench_user(page_key: str) -> str:
    from peakend.ui.navigation import PAGES

    spec = next(p for p in PAGES if p.key == page_key)
    if spec.roles is None or "head_office" in spec.roles:
        return ROLE_USERS["head_office"]
    return ROLE_USERS[spec.roles[0]]


def page_keys() -> list[str]:
    from peakend.ui.navigation import PAGES

    return [p.key for p in PAGES]


def _signed_in_app(page: str, user: str, lang: str, query: dict[str, str] | None):
    from streamlit.testing.v1 import AppTest

    from peakend.auth import Ticket
    from peakend.warehouse.accounts import utcnow
    from peakend.core.i18n import set_language
    from peakend.ui.auth import SESSION_KEY

    os.environ["BENCH_PAGE"] = page
    set_language(lang)  # AppTest formats widget values in this thread
    at = AppTest.from_file(PAGE_APP, default_timeout=900)
    now = utcnow()
    at.session_state[SESSION_KEY] = Ticket(user, "password", now, now)
    at.session_state["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def _errors(at) -> list[str]:
    return [f"{e.message} {' | '.join(e.stack_trace[-3:])}" for e in at.exception]


def _timed_run(at, recorder: _Recorder | None = None) -> tuple[float, list[Call]]:
    if recorder is None:
        started = time.perf_counter()
        at.run()
        return time.perf_counter() - started, []
    recorder.calls.clear()
    with recorder.recording():
        started = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - started
    return seconds, list(recorder.calls)


def render_page(page: str, lang: str = "en", query: dict[str, str] | None = None,
                user: str | None = None) -> PageRender:
    """Render one page as its bench user: first (empty query cache, calls recorded), again
    (cache hits), then after moving its period control to another preset."""
    import streamlit as st

    user = user or bench_user(page)
    st.cache_data.clear()  # the database (cache_resource) stays open, as in a server
    at = _signed_in_app(page, user, lang, query)
    recorder = _Recorder()
    render_s, calls = _timed_run(at, recorder)
    result = PageRender(page, user, calls, render_s, 0.0, errors=_errors(at))
    if result.errors:
        return result
    result.rerun_s, _ = _timed_run(at)
    box = next((b for b in at.selectbox if b.key in PERIOD_KEYS), None)
    if box is not None:
        before = box.value
        target = "last_30_days" if before != "last_30_days" else "last_7_days"
        box.select(target)
        result.change = f"{box.key}: {before} -> {target}"
        result.change_s, result.change_calls = _timed_run(at, recorder)
        result.errors += _errors(at)
    return result
