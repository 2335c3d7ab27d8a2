"""The brief page in AppTest on the fixture: a hall manager lands on their hall's last day,
sees the brief (the same HTML as the PDF) and the download buttons; a hall outside their
scope can't be asked for by a link."""

from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import sign_in_apptest
from fixture_db import build_fixture_db
from peakend.core.i18n import set_language


def brief_app():
    import streamlit as st

    from peakend.ui.navigation import ROOT
    from peakend.ui.session import init_language

    init_language()
    st.navigation([st.Page(str(ROOT / "pages" / "brief.py"), url_path="brief")], position="hidden").run()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("brief_page") / "fixture.duckdb"
    build_fixture_db(path).close()
    return path


@pytest.fixture()
def open_page(db_path, monkeypatch):
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    st.cache_data.clear()
    st.cache_resource.clear()

    def open_page(user="h1", lang="en", **query):
        set_language(lang)
        at = AppTest.from_function(brief_app, default_timeout=90)
        sign_in_apptest(at, user)
        at.session_state["lang"] = lang
        for name, value in query.items():
            at.query_params[name] = value
        at.run()
        assert not at.exception, at.exception
        return at

    yield open_page
    set_language("zh")
    st.cache_data.clear()
    st.cache_resource.clear()


def brief_html(at) -> str:
    return " ".join(str(e.proto.body) for e in at.get("html"))


def test_a_hall_manager_sees_the_brief_of_their_halls_last_day(open_page):
    at = open_page()
    assert at.selectbox(key="hall").value == "H1"
    assert str(at.date_input(key="brief_day").value) == "2026-03-08"  # H1's last day: a Sunday,
    html = brief_html(at)  # so the brief read on Monday is the week's
    assert "Morning brief · Alpha Hall" in html and "The week Mon 2 Mar 2026 to Sun 8 Mar 2026" in html
    assert "7 visits" in html and "Beta Hall" not in html and "Gamma Hall" not in html
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the brief (PDF, A4)", "Download the wall sheet (PDF, A4)"]  # one hall: no region file


def test_a_link_to_another_hall_is_dropped(open_page):
    at = open_page(hall="H3")
    assert at.selectbox(key="hall").value == "H1"
    assert "Gamma Hall" not in brief_html(at)


def test_a_regional_manager_can_download_the_regions_briefs(open_page):
    at = open_page(user="north", lang="zh", hall="H2")
    html = brief_html(at)
    assert "晨会简报 · Beta Hall" in html
    assert len(at.get("download_button")) == 3


def hall_app():
    import streamlit as st

    from peakend.ui.navigation import ROOT
    from peakend.ui.session import init_language

    init_language()
    st.navigation([st.Page(str(ROOT / "pages" / "hall.py"), url_path="hall")], position="hidden").run()


def test_the_briefs_tiles_read_as_the_hall_pages_cards_for_the_same_day(open_page, db_path):
    """The hall page opened on H1 and Mon 2 Mar (a link's from/to) shows the numbers the brief
    of that day shows (both ask metrics_by_group for the hall and the day)."""
    at = open_page(hall="H1")
    at.date_input(key="brief_day").set_value(date(2026, 3, 2)).run()
    html = brief_html(at)
    assert "Data of Mon 2 Mar 2026" in html
    hall = AppTest.from_function(hall_app, default_timeout=90)
    sign_in_apptest(hall, "h1")
    hall.session_state["lang"] = "en"
    hall.query_params["hall"] = "H1"
    hall.query_params["from"] = "2026-03-02"
    hall.query_params["to"] = "2026-03-02"
    hall.run()
    assert not hall.exception
    cards = {m.label: m.value for m in hall.metric}
    for label in ("Median wait", "Abandonment", "Exit score", "Service level"):
        assert f'<div class="pe-label">{label}</div><div class="pe-value">{cards[label]}</div>' in html, label
    assert cards["Visits"] == "4" and "4 visits" in html
