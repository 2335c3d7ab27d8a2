"""Named queries for pages: scoped to the signed-in user and cached until the next load."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from peakend.db import Database
from peakend.filters import VisitFilter
from peakend.scope import Scope
from peakend.ui.session import current_scope, database


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
    data_version: int,
    _db: Database,
    _filters: VisitFilter | None,
    _scope: Scope,
    _params: dict[str, Any],
) -> pd.DataFrame:
    # The key is everything the answer depends on: query, filter, parameters, the user's
    # scope and the data version (bumped by every load, undo and target change).
    return _db.query(name, _filters, _scope, **_params)


def run(name: str, filters: VisitFilter | None = None, **params: Any) -> pd.DataFrame:
    """Run queries/NAME.sql for the signed-in user."""
    db = database()
    scope = current_scope()
    filter_key = tuple(sorted((filters or VisitFilter()).as_params().items(), key=lambda kv: kv[0]))
    filter_key = tuple((k, _hashable(v)) for k, v in filter_key)
    param_key = tuple(sorted((k, _hashable(v)) for k, v in params.items()))
    return _cached_query(
        name, filter_key, param_key, scope.cache_key(), db.data_version(),
        _db=db, _filters=filters, _scope=scope, _params=params,
    )
