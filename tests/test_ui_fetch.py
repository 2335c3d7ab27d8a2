"""peakend.ui.answers.fetch: several named queries at once give exactly what `run` gives one
at a time, scoped to the signed-in user, and really run side by side."""

import pytest
from streamlit.testing.v1 import AppTest

from conftest import sign_in_apptest

SCRIPT = """
import threading
import streamlit as st
from peakend.warehouse.db import Database
from peakend.core.filters import VisitFilter
from peakend.ui.answers import ask, fetch, run

st.cache_data.clear()  # every query really runs, in this script run
threads = set()
asked = []
lock = threading.Lock()
now = {"running": 0, "most": 0, "met": False}
both_started = threading.Barrier(2, timeout=20)  # the first two queries wait for each other
original = Database.query
def recording(db, *args, **kwargs):
    with lock:
        threads.add(threading.current_thread().name)
        asked.append(args[0])
        now["running"] += 1
        now["most"] = max(now["most"], now["running"])
        first_two = len(asked) <= 2
    if first_two:
        try:
            both_started.wait()
            now["met"] = True
        except threading.BrokenBarrierError:  # one at a time: the second never came
            pass
    try:
        return original(db, *args, **kwargs)
    finally:
        with lock:
            now["running"] -= 1
Database.query = recording
try:
    f = VisitFilter()
    together = fetch(
        halls=ask("metrics_by_group", f, group_1="hall", group_2=None),
        network=ask("metrics_by_group", f, group_1=None, group_2=None),
        heatmap=ask("hall_wait_heatmap", f),
        heatmap_again=ask("hall_wait_heatmap", f),
        skipped=None,
    )
finally:
    Database.query = original
one_by_one = {
    "halls": run("metrics_by_group", f, group_1="hall", group_2=None),
    "network": run("metrics_by_group", f, group_1=None, group_2=None),
    "heatmap": run("hall_wait_heatmap", f),
}
st.session_state["same"] = {k: together[k].equals(v) for k, v in one_by_one.items()}
st.session_state["skipped"] = together["skipped"]
st.session_state["asked"] = sorted(asked)
st.session_state["again"] = together["heatmap_again"] is together["heatmap"]
st.session_state["halls"] = sorted(together["halls"]["group_1"])
st.session_state["median"] = float(together["network"]["wait_median_min"].iloc[0])
st.session_state["threads"] = sorted(threads)
st.session_state["most_at_once"] = now["most"]
st.session_state["met"] = now["met"]
"""


@pytest.fixture
def app(fixture_db_file, monkeypatch):
    monkeypatch.setenv("PEAKEND_DB", str(fixture_db_file))
    return AppTest.from_string(SCRIPT, default_timeout=60)


def test_fetch_answers_as_run_does_two_at_a_time(app):
    sign_in_apptest(app, "hq").run()
    assert not app.exception
    state = app.session_state
    assert state["same"] == {"halls": True, "network": True, "heatmap": True}
    assert state["skipped"] is None
    # the same query asked twice in one fetch runs once
    assert state["asked"] == ["hall_wait_heatmap", "metrics_by_group", "metrics_by_group"]
    assert state["again"]
    assert state["halls"] == ["H1", "H2", "H3"]
    assert state["median"] == 7.0  # the fixture's hand-derived network median wait
    # side by side in the query pool, never more than two at once
    assert all(n.startswith("peakend-query") for n in state["threads"])
    assert state["met"] and state["most_at_once"] == 2


def test_fetch_keeps_the_signed_in_users_scope(app):
    sign_in_apptest(app, "h2h3").run()  # a manager of H2 and H3 only
    assert not app.exception
    assert app.session_state["halls"] == ["H2", "H3"]


def test_the_cache_tells_two_databases_apart(fixture_db_file, tmp_path):
    """Two files at the same data version (one changed behind PeakEnd's back) never share
    cached answers, with no cache cleared by hand: the database is part of the key."""
    import shutil

    import duckdb

    from peakend.core.scope import EVERYTHING
    from peakend.ui.answers import Ask, _answer
    from peakend.warehouse.db import Database

    one, other = tmp_path / "one.duckdb", tmp_path / "other.duckdb"
    shutil.copyfile(fixture_db_file, one)  # (the app of the other tests holds the fixture open)
    shutil.copyfile(fixture_db_file, other)
    con = duckdb.connect(str(other))
    con.execute("delete from visits where hall_id = 'H3'")
    con.execute("delete from hall_rollup where hall_id = 'H3'")
    con.close()
    first, second = Database(one, read_only=True), Database(other, read_only=True)
    try:
        assert first.data_version() == second.data_version()
        ask = Ask("dataset_summary")
        a = _answer(first, EVERYTHING, first.data_version(), ask)
        b = _answer(second, EVERYTHING, second.data_version(), ask)
        assert int(a["visits"].iloc[0]) == 13 and int(b["visits"].iloc[0]) == 11
    finally:
        first.close()
        second.close()
