"""Page state in the URL query string, so every view is a link: the Streamlit side of
peakend.core.links (which writes and reads the values).

Widgets are seeded from the URL on a session's first run of a page, and the page writes
its state back after drawing its controls. Values that don't parse are dropped and named,
never raised: a stale or hand-edited link still opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from peakend.core import links

_DROPPED = "_url_dropped"

T = TypeVar("T")


def read(name: str, parse: Callable[[str], T], valid: Callable[[T], bool] = lambda v: True):
    """The parsed value of ?name=..., or None (a bad value is remembered as dropped)."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = parse(raw)
    except (ValueError, TypeError):
        value = None
    if value is None or not valid(value):
        st.session_state.setdefault(_DROPPED, {})[name] = raw
        return None
    return value


def read_list(name: str, valid_values) -> list[str] | None:
    """?name=a,b,c kept to the values in valid_values; unknown ones are dropped and named."""
    raw = st.query_params.get(name)
    if not raw:
        return None
    good, bad = links.decode_list([raw], valid_values)
    if bad:
        st.session_state.setdefault(_DROPPED, {})[name] = links.LIST_SEP.join(bad)
    return good or None


def seed(key: str, value) -> None:
    """Give widget `key` its first value (from the URL) unless the session already has one."""
    if key not in st.session_state and value is not None:
        st.session_state[key] = value


def write(**values) -> None:
    """Publish the page state; None or empty values are removed from the URL."""
    for name, value in values.items():
        text = links.encode(value)
        if text is None:
            if name in st.query_params:
                del st.query_params[name]
            continue
        if st.query_params.get(name) != text:
            st.query_params[name] = text


def note_dropped(name: str, raw: str) -> None:
    """Name a link's value as ignored though it parsed (e.g. dates beyond the data)."""
    st.session_state.setdefault(_DROPPED, {})[name] = raw


def dropped() -> dict[str, str]:
    """URL values dropped on this run (name -> raw value), then forgotten."""
    return st.session_state.pop(_DROPPED, {})


def name_if_invalid(name: str, valid: Callable[[str], bool]) -> bool:
    """For a widget bound to ?name= (bind="query-params"), which drops a value it can't take
    without a word: name the link's bad value as dropped (like read does) and take it out of
    the URL before the widget reads it, so the widget starts from its default. Call before
    drawing the widget. True if the value was bad."""
    raw = st.query_params.get(name)
    if raw is None or raw == "" or valid(raw):
        return False
    st.session_state.setdefault(_DROPPED, {})[name] = raw
    del st.query_params[name]
    return True
