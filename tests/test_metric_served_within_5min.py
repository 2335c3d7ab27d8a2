"""The proof of the metric layer: "share of visits served within 5 minutes", added in
peakend/core/metrics.py (a part and a metric) and the label catalogue, and nowhere else.

By hand from tests/fixture/visits.csv (wait = called_at - arrived_at):
H1: V01 4 min, V02 12, V03 6, V04 gave up, V05 2, V06 20, V07 gave up -> 2 of 7
H2: V08 3, V09 8, V10 1, V11 gave up                                   -> 2 of 4
H3: V12 10, V13 30                                                     -> 0 of 2
network: 4 of 13; H1 and H2: 4 of 11.
"""

import pytest
from streamlit.testing.v1 import AppTest

from conftest import sign_in_apptest
from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language
from peakend.core.metrics import METRICS, shown_on
from peakend.core.scope import EVERYTHING, Scope

KEY = "served_within_5min_share"
BY_HALL = {"H1": 2 / 7, "H2": 2 / 4, "H3": 0.0}


def test_hand_derived_on_every_route(fixture_db, monkeypatch, subtests):
    calls = [  # (filter, scope, group_1): network, whole cities, per hall, and the raw visits
        (None, EVERYTHING, None),
        (None, Scope.halls(["H1", "H2"]), None),
        (None, EVERYTHING, "hall"),
        (VisitFilter(staff=("S1", "S2", "S3", "S4", "S5")), EVERYTHING, None),
    ]
    for rollups in ("1", "0"):
        monkeypatch.setenv("PEAKEND_ROLLUPS", rollups)
        for filters, scope, group in calls:
            route = fixture_db.explain("metrics_by_group", filters, scope, group_1=group, group_2=None)
            with subtests.test(route=route.query, rollups=rollups, group=group):
                rows = fixture_db.query("metrics_by_group", filters, scope, group_1=group, group_2=None)
                if group == "hall":
                    assert dict(zip(rows["group_1"], rows[KEY])) == pytest.approx(BY_HALL)
                elif scope is EVERYTHING and filters is None:
                    assert rows[KEY].iloc[0] == pytest.approx(4 / 13)
                elif filters is None:
                    assert rows[KEY].iloc[0] == pytest.approx(4 / 11)
                else:  # the ten visits someone served (V04, V07, V11 gave up unserved)
                    assert rows[KEY].iloc[0] == pytest.approx(4 / 10)


def test_its_label_and_places():
    metric = METRICS[KEY]
    assert "hall_more" in metric.shown_on and KEY in shown_on("hall_more")
    assert KEY in shown_on("league")
    set_language("zh")
    assert metric.label == "5 分钟内叫号"
    set_language("en")
    assert metric.label == "Served within 5 min"
    assert metric.format(2 / 7) == "28.6%"


def _hall_app():
    import streamlit as st

    from peakend.ui.navigation import ROOT
    from peakend.ui.session import init_language

    init_language()
    st.navigation([st.Page(str(ROOT / "pages" / "hall.py"), url_path="hall")], position="hidden").run()


def test_the_hall_page_shows_its_card(fixture_db_file, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("PEAKEND_DB", str(fixture_db_file))
    st.cache_data.clear()
    st.cache_resource.clear()
    set_language("en")
    at = AppTest.from_function(_hall_app, default_timeout=90)
    sign_in_apptest(at, "hq")
    at.session_state["lang"] = "en"
    at.query_params["hall"] = "H1"
    at.query_params["from"] = "2026-03-02"
    at.query_params["to"] = "2026-03-08"
    at.run()
    assert not at.exception, at.exception
    cards = {m.label: m.value for m in at.expander[0].metric}
    assert cards["Served within 5 min"] == "28.6%"
    st.cache_data.clear()
    st.cache_resource.clear()


def _app(fixture_db_file, monkeypatch, page: str) -> AppTest:
    import streamlit as st

    from conftest import ROOT

    monkeypatch.setenv("PEAKEND_DB", str(fixture_db_file))
    st.cache_data.clear()
    st.cache_resource.clear()
    set_language("en")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["lang"] = "en"
    sign_in_apptest(at, "hq")
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_the_league_table_has_its_column(fixture_db_file, monkeypatch):
    at = _app(fixture_db_file, monkeypatch, "pages/regional.py")
    league = at.dataframe[0].value
    assert ("Served within 5 min", "%") in list(league.columns)
    # the region North is H1 and H2 (tests/fixture/halls.csv): 2 of 7 and 2 of 4 within 5 minutes
    column = league[("Served within 5 min", "%")].tolist()
    assert sorted(column) == pytest.approx([2 / 7, 2 / 4])


def test_explore_offers_it_as_a_measure(fixture_db_file, monkeypatch):
    at = _app(fixture_db_file, monkeypatch, "pages/explore.py")
    assert "Served within 5 min" in at.multiselect(key="xp_m").options
