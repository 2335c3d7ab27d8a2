"""The real California DMV posted-wait file (an hourly report: one row per office x hour),
loaded through the shipped `ca_dmv_wait_times` preset, against numbers computed from the raw
CSV with plain pandas (not through the loader), by the rules of
peakend/warehouse/ingest/presets/ca_dmv_wait_times.md; then the same through the Data page
and the Hourly reports page (AppTest).

Skipped when ../shared (the project's shared data folder) is not beside the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from peakend.core.filters import VisitFilter
from peakend.core.scope import EVERYTHING
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import load_files, undo, validate_file

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT.parent / "shared" / "realdata" / "ca_dmv_wait_times" / "wait_times_2024-09-30_to_2024-12-02.csv"
REGION = "California DMV"

pytestmark = pytest.mark.skipif(not RAW.exists(), reason=f"{RAW} is not here (no ../shared)")


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Every row of the file with a posted wait (the preset skips those with neither)."""
    df = pd.read_csv(RAW, parse_dates=["captured"])
    assert len(df) == 77080
    return df[df["appt_wait"].notna() | df["no_appt_wait"].notna()].copy()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dmv")
    path = folder / RAW.name  # a copy: the loader writes any rejects file beside its input
    shutil.copy(RAW, path)
    db = Database(":memory:")
    [report] = load_files(db, [path], "tester", mapping="ca_dmv_wait_times")
    yield db, report, path
    db.close()


def test_every_row_is_loaded_or_skipped_by_a_stated_rule(loaded, raw):
    db, report, _ = loaded
    assert report.status == "loaded", report.message
    assert (report.kind, report.rows_read, report.rows_rejected) == ("periods", 77080, 0)
    assert report.rows_loaded == len(raw) == 61873
    assert report.skipped_by_reason == {
        "both posted waits empty: the office was closed or its page could not be read": 15207
    }
    # the offices are halls the preset brings (one load of its own, undoable)
    assert len(report.created_halls) == 188
    assert db.scalar("select count(*) from halls where region = 'California DMV'") == 188
    assert db.scalar("select count(distinct time_zone) from halls") == 1
    assert db.scalar("select any_value(time_zone) from halls") == "America/Los_Angeles"
    assert db.scalar("select count(*) from visits") == 0  # an hourly report is not visits


def test_mean_walk_in_wait_by_hour_of_day_matches_pandas(loaded, raw):
    db, _, _ = loaded
    expected = raw.groupby(raw["captured"].dt.hour)["no_appt_wait"].mean()
    cells = db.query("periods_heatmap", VisitFilter(regions=(REGION,)), EVERYTHING)
    every_day = cells[cells["weekday"].isna()].set_index("period_hour")["posted_wait_walkin"]
    assert list(every_day.index) == list(expected.index)
    for hour, mean in expected.items():
        assert every_day[hour] == pytest.approx(mean, rel=1e-12), hour
    print("\nmean posted walk-in wait by hour (PT), raw file: "
          + ", ".join(f"{h:02d}:00 {m:.1f}" for h, m in expected.items()))


def test_the_weekday_by_hour_heatmap_matches_the_files_own_weekday_column(loaded, raw):
    db, _, _ = loaded
    # the file's `day` (1 = Monday) against the weekday of the stored period start
    expected = raw.groupby(["day", raw["captured"].dt.hour])["no_appt_wait"].agg(["mean", "count"])
    cells = db.query("periods_heatmap", VisitFilter(regions=(REGION,)), EVERYTHING)
    by_day = cells[cells["weekday"].notna()].astype({"weekday": int}).set_index(["weekday", "period_hour"])
    assert sorted(by_day.index) == sorted(expected.index)
    for key, row in expected.iterrows():
        assert by_day.loc[key, "posted_wait_walkin"] == pytest.approx(row["mean"], rel=1e-12), key
        assert by_day.loc[key, "n_posted_wait_walkin"] == row["count"], key


def test_the_three_offices_with_the_longest_mean_walk_in_wait_match_pandas(loaded, raw):
    db, _, _ = loaded
    expected = raw.groupby("location")["no_appt_wait"].mean().sort_values(ascending=False).head(3)
    league = db.query("periods_league", VisitFilter(regions=(REGION,)), EVERYTHING)
    top = league.sort_values("posted_wait_walkin", ascending=False).head(3)
    assert list(top["hall_id"]) == ["DMV-" + o for o in expected.index]
    assert list(top["posted_wait_walkin"]) == pytest.approx(list(expected), rel=1e-12)
    print("\nlongest mean posted walk-in wait: "
          + ", ".join(f"{o} {m:.1f} min" for o, m in expected.items()))


def test_the_network_mean_is_the_files(loaded, raw):
    db, _, _ = loaded
    [summary] = db.query("periods_summary", None, EVERYTHING).to_dict("records")
    assert summary["posted_wait_walkin"] == pytest.approx(raw["no_appt_wait"].mean(), rel=1e-12)  # 30.52 min
    assert summary["posted_wait_appointment"] == pytest.approx(raw["appt_wait"].mean(), rel=1e-12)
    assert summary["n_wait_mean"] == summary["n_arrivals"] == 0  # the file has neither


def test_the_dry_run_agrees_with_the_load_and_a_second_load_changes_nothing(loaded):
    db, report, path = loaded
    check = validate_file(db, path, mapping="ca_dmv_wait_times")
    assert (check.status, check.rows_ok, check.rows_existing, check.rows_rejected) == ("ok", 61873, 61873, 0)
    [again] = load_files(db, [path], "tester", mapping="ca_dmv_wait_times")
    assert (again.status, again.same_as_load) == ("unchanged", report.load_id)


def test_the_load_undoes_and_then_its_halls(tmp_path):
    path = tmp_path / RAW.name
    shutil.copy(RAW, path)
    db = Database(tmp_path / "dmv.duckdb")
    [report] = load_files(db, [path], "tester", mapping="ca_dmv_wait_times")
    halls_load = report.load_id - 1
    from peakend.warehouse.store import UndoError

    with pytest.raises(UndoError, match="the hourly reports of load"):
        undo(db, halls_load, "tester")  # its halls still have reports
    undo(db, report.load_id, "tester")
    assert db.scalar("select count(*) from hall_periods") == 0
    undo(db, halls_load, "tester")
    assert db.scalar("select count(*) from halls") == 0
    db.close()


def test_the_data_page_loads_it_with_its_preset_and_the_heatmap_matches_the_file(raw, tmp_path, monkeypatch):
    """Done when (issue 14): the DMV file loads through the Data page with its preset, and
    the hourly heatmap of mean walk-in wait on the Hourly reports page matches the file."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from conftest import sign_in_apptest
    from fixture_db import build_fixture_db
    from peakend.core.i18n import set_language
    from test_insights_page import ROOT as APP_ROOT
    from test_insights_page import page_app

    db_path = tmp_path / "dmv.duckdb"
    build_fixture_db(db_path).close()  # its users: admin loads, hq sees every hall
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    st.cache_data.clear()
    st.cache_resource.clear()
    set_language("en")
    try:
        at = AppTest.from_function(page_app, default_timeout=180)
        at.switch_page(str(APP_ROOT / "pages" / "data.py"))
        sign_in_apptest(at, "admin")
        at.session_state["lang"] = "en"
        at.run()
        at.file_uploader(key="dm_upload").set_value((RAW.name, RAW.read_bytes(), "text/csv"))
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key="dm_source").value == "ca_dmv_wait_times"  # the preset whose columns it has
        at.button(key="dm_check").click().run()
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Will load"] == "61,873" and metrics["Skipped by rule"] == "15,207"
        at.button(key="dm_load").click().run()
        assert not at.exception, [e.value for e in at.exception]
        said = [s.value for s in at.success]
        assert any("61,873 hourly reports loaded" in s for s in said), said
        [link] = at.get("page_link")
        assert link.proto.label == "Open them on the Hourly reports page: 61,873 rows of 187 halls, Sep 30, 2024 to Dec 2, 2024"
        assert (link.proto.page, link.proto.query_string) == ("reports", "from=2024-09-30&to=2024-12-02")

        at = AppTest.from_function(page_app, default_timeout=180)
        at.switch_page(str(APP_ROOT / "pages" / "reports.py"))
        sign_in_apptest(at, "hq")
        at.session_state["lang"] = "en"
        at.query_params["from"] = "2024-09-30"
        at.query_params["to"] = "2024-12-02"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key="reports_region").value == REGION
        assert "can't show percentiles of customers' waits" in at.info[0].value
        import json

        from peakend.charts.theme import unwrap_title

        figures = {unwrap_title(f["layout"]["title"]["text"]): f
                   for f in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))}
        assert list(figures) == ["Mean posted wait, walk-in by weekday and hour (hourly reports)",
                                 "Mean posted wait, walk-in by day (hourly reports)"]
        trace = figures["Mean posted wait, walk-in by weekday and hour (hourly reports)"]["data"][0]
        rows = dict(zip(trace["y"], trace["z"]))
        hours = [int(x[:2]) for x in trace["x"]]
        expected = raw.groupby(raw["captured"].dt.hour)["no_appt_wait"].mean()
        shown = dict(zip(hours, rows["All days"]))
        assert {h: v for h, v in shown.items() if v is not None} == pytest.approx(expected.to_dict(), rel=1e-9)
        monday = raw[raw["day"] == 1].groupby(raw["captured"].dt.hour)["no_appt_wait"].mean()
        assert {h: v for h, v in zip(hours, rows["Mon"]) if v is not None} == pytest.approx(monday.to_dict(), rel=1e-9)
    finally:
        set_language("zh")
        st.cache_data.clear()
        st.cache_resource.clear()
