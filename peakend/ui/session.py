"""Per-process and per-session state: the one database, the language, the user's scope."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from peakend.core import i18n
from peakend.warehouse import lake
from peakend.warehouse.db import Database, DatabaseBusy
from peakend.warehouse.schema import SchemaError


def database_path() -> str:
    """The warehouse the app serves: $PEAKEND_WAREHOUSE (a DuckDB file or a DuckLake), else
    $PEAKEND_DB, else the demo file (peakend/warehouse/lake.py)."""
    return lake.warehouse_target()


@st.cache_resource(show_spinner=False)
def _open_database(path: str) -> Database:
    return Database(path)


def process_database() -> Database:
    """The process's one database, outside a page run too (GET /healthz). Raises when the
    file is missing or isn't PeakEnd's; a page says so in plain words instead (database())."""
    path = database_path()
    if path != ":memory:" and not lake.is_lake(path) and not Path(path).exists():
        raise FileNotFoundError(i18n.t("app.no_database", path=path))
    return _open_database(path)


def database() -> Database:
    """The process's one database. Stops the page with a plain message if it can't open."""
    try:
        return process_database()
    except DatabaseBusy as busy:
        # a command-line load (or another app) has the file: say so, and try again on the
        # next run (a failed open is not cached)
        st.warning(i18n.t("app.database_busy", path=busy.path, pid=busy.pid or "?"))
        st.stop()
    except (FileNotFoundError, SchemaError) as exc:
        st.error(str(exc))
        st.stop()


def init_language() -> str:
    """Restore the session's language (or take ?lang= on a first visit) for this run."""
    if "lang" not in st.session_state:
        wanted = st.query_params.get("lang")
        st.session_state["lang"] = wanted if wanted in i18n.LANGUAGES else i18n.LANGUAGES[0]
    i18n.set_language(st.session_state["lang"])
    return st.session_state["lang"]


def _copy_language(key: str) -> None:
    if st.session_state.get(key) in i18n.LANGUAGES:
        st.session_state["lang"] = st.session_state[key]


def language_switch(key: str) -> None:
    """A language switch, where the caller puts it (the sidebar; above the sign-in form,
    which has no sidebar: on a phone it would be out of reach). The choice sticks for the
    session.

    The session's language is the plain session value "lang"; each switch is a widget of
    its own key that shows it and writes it. Streamlit forgets a widget's value in a run
    that doesn't draw the widget, so "lang" bound to the sidebar's switch was lost on the
    sign-in page."""
    st.session_state[key] = st.session_state["lang"]
    st.segmented_control(
        "Language / 语言",
        options=list(i18n.LANGUAGES),
        format_func=lambda code: i18n.LANGUAGE_NAMES[code],
        key=key,
        selection_mode="single",
        required=True,
        label_visibility="collapsed",
        on_change=_copy_language,
        args=(key,),
    )
