"""A page's sections that run on their own: fragments (a control inside one reruns that
section, not the page) and lazy sections (drawn only while open), so a filter change
doesn't wait for charts nobody sees and a section's own control doesn't rerun the page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from peakend.ui.session import init_language

F = TypeVar("F", bound=Callable)


def fragment(func: F | None = None, *, run_every: float | None = None):
    """st.fragment for a page section. A fragment's rerun runs neither app.py nor the page
    script, so the session's language is set again before the section draws (otherwise its
    labels, and the keys of widgets whose identity includes them, would change).
    `@fragment(run_every=30)` reruns the section alone every 30 s (the today panel)."""

    def wrap(f: F) -> F:
        @functools.wraps(f)
        def section(*args, **kwargs):
            init_language()
            return f(*args, **kwargs)

        return st.fragment(section, run_every=run_every)  # type: ignore[return-value]

    return wrap(func) if func is not None else wrap


def lazy_section(label: str, key: str, **kwargs):
    """An expander whose content the page draws only while it is open: opening or closing it
    reruns the script (only the fragment, inside one), and `.open` says which it is. For
    sections below the first screen. AppTest opens one with at.session_state[key] = True."""
    return st.expander(label, key=key, on_change="rerun", **kwargs)
