"""The Hourly reports page in AppTest: nothing loaded says what reports are and where to
load them; loaded, it says where its numbers come from and what it can't show, in both
languages, labels the statistic as what it is, ranks the halls with n, and names a hall's
other kind of data. The hall page points to a hall's reports.

Runs on a copy of the fixture (halls H1, H2 in the North, H3 in the South; H1 and H2 have
visits) with a few report rows of tests/test_hourly_reports.py."""

from __future__ import annotations

import json
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import run_signed_in
from peakend.charts.theme import unwrap_title
from peakend.core.i18n import set_language
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import load_files
from test_hourly_reports import GOOD, HEAD, write
from test_insights_page import ROOT, page_app


@pytest.fixture()
def db_path(tmp_path, fixture_db_file):
    path = tmp_path / "fixture.duckdb"
    shutil.copy(fixture_db_file, path)
    return path


@pytest.fixture()
def with_reports(db_path, tmp_path):
    db = Database(db_path)
    # the GOOD rows, and H3 with posted waits only (a public office's feed)
    lines = [HEAD + ",posted_wait_walkin_min", *(r + "," for r in GOOD)]
    lines += [f"H3,2026-03-0{d} {h}:00,60,,,,,,,,,{p}" for d, h, p in ((2, 10, 30), (3, 10, 50))]
    [report] = load_files(db, [write(tmp_path, "report.csv", lines)], "tester")
    assert report.rows_loaded == 6, report.message
    db.close()
    return db_path


@pytest.fixture()
def open_page(monkeypatch):
    def open_page(db_path, page="reports", user="hq", lang="en", **params):
        monkeypatch.setenv("PEAKEND_DB", str(db_path))
        st.cache_data.clear()
        st.cache_resource.clear()
        set_language(lang)
        at = AppTest.from_function(page_app, default_timeout=90)
        at.switch_page(str(ROOT / "pages" / f"{page}.py"))
        return run_signed_in(at, user, lang, query=params)

    yield open_page
    set_language("en")
    st.cache_data.clear()
    st.cache_resource.clear()


def titles(at) -> list[str]:
    return [unwrap_title(json.loads(c.proto.spec)["layout"]["title"]["text"]) for c in at.get("plotly_chart")]


def test_nothing_loaded_says_what_reports_are_and_where_to_load_them(db_path, open_page):
    at = open_page(db_path)
    assert [i.value for i in at.info] == [
        "No hourly reports are loaded yet. An hourly report has one row per hall and period (an hour, say): "
        "arrivals, served, abandoned, the mean wait or the posted wait. A data admin loads them on the Data "
        "page (kind “hourly reports”, e.g. the preset ca_dmv_wait_times)."]
    assert not at.get("plotly_chart")


def test_a_region_with_reports_says_where_its_numbers_come_from(with_reports, open_page):
    at = open_page(with_reports, **{"from": "2026-03-02", "to": "2026-03-03"})
    assert at.selectbox(key="reports_region").value == "North"
    assert at.info[0].value.startswith("An hourly report has one row per hall and period, not one per visit")
    said = [m.value for m in at.markdown]
    assert ("Every number below comes from hourly reports, not from visit logs: 4 rows from 2 halls, "
            "60 minutes a row, Mar 2, 2026 to Mar 3, 2026.") in said
    # the measures these rows have, posted wait absent in the North: not offered
    cards = {m.label: m.value for m in at.metric}
    # service time weighted by the served: (7*30 + 6*50 + 8*10 + 5*10) / 100 = 6.4
    assert cards == {"Mean wait (reported)": "8.2 min", "Longest wait (reported)": "40.0 min",
                     "Arrivals (reported)": "130", "Abandonment (reported)": "12.3%",
                     "Mean service time (reported)": "6.4 min"}
    assert at.radio(key="reports_measure").options == [
        "Mean wait (reported)", "Longest wait (reported)", "Arrivals (reported)", "Abandonment (reported)",
        "Mean service time (reported)"]
    assert titles(at) == ["Mean wait (reported) by weekday and hour (hourly reports)",
                          "Mean wait (reported) by day (hourly reports)"]
    [league] = at.dataframe
    table = league.value.data if hasattr(league.value, "data") else league.value
    assert list(table["hall"]) == ["Alpha Hall", "Beta Hall"]  # the longer mean wait first
    assert list(table["n"]) == [3, 1]
    assert list(table["kinds"]) == ["hourly reports; also 7 visits logged", "hourly reports; also 4 visits logged"]
    assert "Grey: fewer than 24 periods, not ranked." in [c.value for c in at.caption]


def test_a_feed_of_posted_waits_is_labelled_as_posted_in_chinese(with_reports, open_page):
    at = open_page(with_reports, lang="zh", **{"from": "2026-03-02", "to": "2026-03-03"})
    at.selectbox(key="reports_region").set_value("South").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {"未预约平均公布等候": "40.0 分钟"}
    assert titles(at)[0] == "未预约平均公布等候：按星期和时段（时段报表）"
    assert at.info[0].value.startswith("时段报表每行是一个营业厅的一个时段，而不是一次到访")


def test_one_hall_with_visits_too_says_so(with_reports, open_page):
    at = open_page(with_reports, **{"from": "2026-03-02", "to": "2026-03-03"})
    at.selectbox(key="reports_hall").set_value("H1").run()
    said = " ".join(m.value for m in at.markdown)
    assert "This hall has visit logs too (7 visits): their numbers are on the Hall page" in said
    assert not at.dataframe  # no league for one hall


def test_the_hall_page_points_to_a_halls_reports(with_reports, open_page):
    at = open_page(with_reports, page="hall", hall="H1", **{"from": "2026-03-02", "to": "2026-03-08"})
    [link] = [p for p in at.get("page_link") if "hourly reports" in p.proto.label]
    assert link.proto.label.startswith("This hall has hourly reports (3 periods): they are on the Hourly reports page")


def test_the_hall_page_of_a_hall_with_reports_only_says_why_it_shows_nothing(with_reports, open_page, tmp_path):
    db = Database(with_reports)
    halls = write(tmp_path, "halls.csv", ["hall_id,hall_name,region,city", "H4,Delta Office,South,Guangzhou"])
    reports = write(tmp_path, "h4.csv", ["hall_id,period_start,period_minutes,posted_wait_walkin_min",
                                         "H4,2026-03-02 10:00,60,25"])
    assert [r.status for r in load_files(db, [halls, reports], "tester")] == ["loaded", "loaded"]
    db.close()
    at = open_page(with_reports, page="hall", hall="H4")
    assert [i.value for i in at.info] == [
        "Delta Office has no visit logs, only hourly reports: this page's wait spread, peak moments, exit scores "
        "and journeys need one record per visit, so they are not shown here."]
    [link] = at.get("page_link")
    assert link.proto.label == "Open its hourly reports (1 period)"
    assert (link.proto.page, link.proto.query_string) == ("reports", "hall=H4")
    at = open_page(with_reports, hall="H4", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert (at.selectbox(key="reports_region").value, at.selectbox(key="reports_hall").value) == ("South", "H4")
    assert {m.label: m.value for m in at.metric} == {"Mean posted wait, walk-in": "25.0 min"}


def test_pages_of_visit_numbers_open_on_visits_and_point_to_the_reports(with_reports, open_page, tmp_path):
    db = Database(with_reports)
    halls = write(tmp_path, "halls.csv", ["hall_id,hall_name,region,city", "N1,Carson Office,Nevada DMV,Carson City"])
    reports = write(tmp_path, "n1.csv", ["hall_id,period_start,period_minutes,posted_wait_walkin_min",
                                         "N1,2026-03-02 10:00,60,25"])
    assert [r.status for r in load_files(db, [halls, reports], "tester")] == ["loaded", "loaded"]
    db.close()
    elsewhere = ("Hourly reports are loaded for {halls} ({rows}): they are not visits, this page doesn't "
                 "count them; see the Hourly reports page.")
    home = open_page(with_reports, page="home")
    assert home.get("page_link")[0].proto.label == elsewhere.format(halls="4 halls", rows="7 rows")  # under "what is loaded"
    # "Nevada DMV" sorts before "North" but has no visits: the pickers open on visits
    regional = open_page(with_reports, page="regional")
    assert regional.multiselect(key="regional_regions").value == ["North"]
    hall = open_page(with_reports, page="hall")
    assert hall.selectbox(key="hall").value == "H1"
    regional = open_page(with_reports, page="regional", region="Nevada DMV")
    assert regional.info[0].value.startswith("The chosen regions have no matching visits")
    [link] = regional.get("page_link")
    assert link.proto.label == elsewhere.format(halls="1 hall", rows="1 row")
    assert (link.proto.page, link.proto.query_string) == ("reports", "region=Nevada+DMV")
    reports = open_page(with_reports, region="Nevada DMV")
    assert reports.selectbox(key="reports_region").value == "Nevada DMV"


def test_the_measure_is_in_the_link_and_a_count_says_it_is_a_total(with_reports, open_page):
    at = open_page(with_reports, measure="arrivals", **{"from": "2026-03-02", "to": "2026-03-03"})
    assert at.radio(key="reports_measure").value == "arrivals"
    assert titles(at)[0] == "Arrivals (reported) by weekday and hour, total in the period (hourly reports)"
    at.radio(key="reports_measure").set_value("wait_mean").run()
    assert at.query_params["measure"] == "wait_mean"
