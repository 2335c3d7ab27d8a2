"""A rollup that doesn't add up to the visits is noticed: queries read the visits instead,
and every page says so in plain words. Never a "–" for a metric that has data.

The damage is done the way a file damaged outside PeakEnd (or DuckDB 2.0.0) would leave it:
rows gone from a rollup, behind the write path's back."""

import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT, sign_in_apptest
from peakend.warehouse.db import Database
from peakend.core.scope import EVERYTHING

HEADLINE = {"group_1": None, "group_2": None}


@pytest.fixture()
def damaged(fixture_db_file, tmp_path):
    """The fixture with its wait histograms emptied and one hall's visits left out of hall_rollup."""
    path = tmp_path / "damaged.duckdb"
    shutil.copyfile(fixture_db_file, path)
    db = Database(path)
    cur = db.cursor()
    cur.execute("delete from wait_rollup")
    cur.execute("delete from network_wait_rollup")
    cur.execute("delete from hall_rollup where hall_id = 'H3'")
    cur.close()
    yield path, db
    db.close()


def test_current_rollups_are_used(fixture_db):
    assert fixture_db.rollups_behind() == []
    assert fixture_db.answering_query("metrics_by_group", None, EVERYTHING, HEADLINE) == "metrics_by_group_network"


def test_rollups_behind_the_visits_are_named_and_bypassed(damaged):
    _, db = damaged
    # the fixture's 13 visits, 10 of them called (tests/test_queries_metrics.py)
    assert sorted(db.rollups_behind()) == [
        ("hall_rollup", "visits", 13 - db.scalar("select count(*) from visits where hall_id = 'H3'"), 13),
        ("network_wait_rollup", "waits", 0, 10),
        ("wait_rollup", "waits", 0, 10),
    ]
    assert db.answering_query("metrics_by_group", None, EVERYTHING, HEADLINE) == "metrics_by_group"
    assert db.answering_query("dataset_summary", None, EVERYTHING, {}) == "dataset_summary"
    row = db.query("metrics_by_group", **HEADLINE).iloc[0]
    assert (row["visits"], row["wait_median_min"], row["wait_p90_min"]) == (13, pytest.approx(7.0), pytest.approx(21.0))


def test_every_page_says_so_and_shows_the_numbers(damaged, tmp_path, monkeypatch):
    path, db = damaged
    db.close()
    monkeypatch.setenv("PEAKEND_DB", str(path))
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(ROOT / "app.py", folder / "app.py")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        for lang, words, median in (("en", "don't match the visits", "7.0 min"), ("zh", "对不上", "7.0 分钟")):
            at = AppTest.from_file(str(folder / "app.py"), default_timeout=90)
            at.query_params["lang"] = lang
            sign_in_apptest(at, "hq")
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            [warning] = [w.value for w in at.warning if "wait_rollup" in w.value]
            assert words in warning and "python -m peakend check" in warning
            cards = {m.label: m.value for m in at.metric}
            assert median in cards.values(), cards
            assert "–" not in cards.values(), cards
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
