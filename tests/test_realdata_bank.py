"""The real Anonymous Bank call-centre log, loaded through the shipped `anonymous_bank`
preset, checked against numbers computed independently from the raw TSV with plain pandas
(not through the loader), following the rules in peakend/warehouse/ingest/presets/anonymous_bank.md.

Skipped when ../shared (the project's shared data folder) is not beside the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from peakend.warehouse.db import Database
from peakend.core.filters import VisitFilter
from peakend.warehouse.ingest import load_files, validate_file

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT.parent / "shared" / "realdata" / "anonymous_bank" / "anonymous_bank_1999_02.tsv"
PURPOSES = {"PS": "bank_regular", "PE": "bank_regular_en", "IN": "bank_internet",
            "NE": "bank_stocks", "NW": "bank_prospect", "TT": "bank_callback"}

pytestmark = pytest.mark.skipif(not RAW.exists(), reason=f"{RAW} is not here (no ../shared)")


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The calls that count as arrivals, by the preset's documented rules, from pandas."""
    df = pd.read_csv(RAW, sep="\t", dtype=str)
    assert len(df) == 33344
    phantom = df["outcome"] == "PHANTOM"
    menu_hangup = (df["outcome"] == "HANG") & (df["q_start"] == "0:00:00") & (df["q_exit"] == "0:00:00")
    calls = df[~phantom & ~menu_hangup].copy()
    for c in ("vru_time", "q_time", "ser_time"):
        calls[c] = calls[c].astype(int)
    # arrival: leaving the voice menu = entry clock + seconds in the menu
    entry = pd.to_datetime(calls["date"] + " " + calls["vru_entry"], format="%y%m%d %H:%M:%S")
    calls["arrived"] = entry + pd.to_timedelta(calls["vru_time"], unit="s")
    calls["purpose"] = calls["type"].map(PURPOSES)
    return calls


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bank")
    path = folder / RAW.name  # a copy: the loader writes any rejects file beside its input
    shutil.copy(RAW, path)
    db = Database(":memory:")
    [report] = load_files(db, [path], "tester", mapping="anonymous_bank")
    yield db, report
    db.close()


def test_every_row_is_loaded_or_skipped_by_a_stated_rule(loaded, raw):
    db, report = loaded
    assert report.status == "loaded", report.message
    assert report.rows_read == 33344
    assert report.rows_rejected == 0
    assert report.rows_loaded == len(raw) == 31125
    assert report.skipped_by_reason == {
        "PHANTOM: a system artefact, not a real call (the log's documentation says to ignore these)": 278,
        "hung up in the voice menu without asking for an agent: never joined the queue, so not an arrival": 1941,
    }
    assert report.rows_loaded + report.rows_skipped == report.rows_read
    assert report.created_halls == ["BANK-IL"]
    assert db.scalar("select hall_name from halls where hall_id = 'BANK-IL'") == "Anonymous Bank call centre"
    assert db.scalar("select label_zh from purposes where purpose = 'bank_internet'") == "网上银行支持"
    print(f"\nanonymous bank: {report.summary()}")


def test_headline_metrics_match_an_independent_computation(loaded, raw):
    db, _ = loaded
    row = db.query("metrics_by_group", VisitFilter(halls=("BANK-IL",)), group_1=None, group_2=None).iloc[0]
    served = raw[raw["outcome"] == "AGENT"]
    abandoned = raw[raw["outcome"] == "HANG"]
    assert row["visits"] == len(raw)
    assert row["served_visits"] == len(served) == 27162
    assert row["abandoned_visits"] == len(abandoned) == 3963
    assert row["abandonment_rate"] == pytest.approx(len(abandoned) / len(raw))
    # wait = q_time (calls that never queued wait 0), over served calls
    assert row["wait_n"] == len(served)
    assert row["wait_median_min"] == pytest.approx(served["q_time"].median() / 60)
    assert row["wait_p90_min"] == pytest.approx(served["q_time"].quantile(0.9) / 60)
    # service time = ser_time of served calls that have a service record
    with_service = served[served["ser_start"] != "0:00:00"]
    assert row["service_mean_min"] == pytest.approx(with_service["ser_time"].mean() / 60)
    print(
        f"\nserved {len(served)}, abandoned {len(abandoned)} ({len(abandoned) / len(raw):.2%}), "
        f"wait median {served['q_time'].median():.0f} s, P90 {served['q_time'].quantile(0.9):.0f} s"
    )


def test_service_time_by_purpose_matches(loaded, raw):
    db, _ = loaded
    got = db.query("metrics_by_group", VisitFilter(halls=("BANK-IL",)), group_1="purpose", group_2=None)
    got = got.set_index("group_1")
    served = raw[(raw["outcome"] == "AGENT") & (raw["ser_start"] != "0:00:00")]
    expected = served.groupby("purpose")["ser_time"].mean() / 60
    assert sorted(got.index) == sorted(expected.index)
    for purpose, minutes in expected.items():
        assert got.loc[purpose, "service_mean_min"] == pytest.approx(minutes), purpose
    counts = raw.groupby("purpose").size()
    for purpose, n in counts.items():
        assert got.loc[purpose, "visits"] == n, purpose


def test_calls_by_hour_match(loaded, raw):
    db, _ = loaded
    got = db.query("metrics_by_group", VisitFilter(halls=("BANK-IL",)), group_1="hour", group_2=None)
    got = dict(zip(got["group_1"], got["visits"]))
    expected = raw.groupby(raw["arrived"].dt.hour).size()
    assert got == {f"{h:02d}": n for h, n in expected.items()}
    assert got["10"] == expected[10] and sum(got.values()) == len(raw)


def test_the_dry_run_agrees_with_the_load(loaded, tmp_path):
    db, report = loaded
    fresh = Database(":memory:")
    try:
        dry = validate_file(fresh, RAW, mapping="anonymous_bank")
    finally:
        fresh.close()
    assert (dry.rows_ok, dry.rows_rejected, dry.rows_skipped) == (report.rows_loaded, 0, report.rows_skipped)


def agents_by_weekday_at(raw: pd.DataFrame, hour: int) -> dict[int, float]:
    """From the raw log: distinct agents with a service record overlapping hour..hour+1 on
    each day, averaged over the days of each ISO weekday that had arrivals."""
    served = raw[(raw["outcome"] == "AGENT") & (raw["ser_start"] != "0:00:00") & (raw["server"] != "NO_SERVER")]
    start = pd.to_datetime(served["date"] + " " + served["ser_start"], format="%y%m%d %H:%M:%S")
    end = start + pd.to_timedelta(served["ser_time"], unit="s")
    day = start.dt.normalize()
    h0, h1 = day + pd.Timedelta(hours=hour), day + pd.Timedelta(hours=hour + 1)
    # a service overlaps the hour when it starts before its end and ends after its start (one
    # ending on the hour does not reach into it; one of no length counts where it starts)
    overlaps = (start < h1) & ((end > h0) | (start >= h0))
    busy = pd.DataFrame({"day": day[overlaps], "agent": served.loc[overlaps, "server"]}).drop_duplicates()
    per_day = busy.groupby("day").size()
    days = raw["arrived"].dt.normalize().drop_duplicates()
    out = {}
    for weekday in range(1, 8):
        these = days[days.dt.isocalendar().day == weekday]
        if len(these):
            out[weekday] = float(per_day.reindex(these, fill_value=0).sum() / len(these))
    return out


def test_agents_in_use_at_10_match_the_raw_log(loaded, raw):
    """Issue 14: counters in use come from whoever served. The log has no counter, only the
    agent (staff_id): the staffing table at 10:00 counts the agents busy then, 8-9 on weekdays
    (Sunday to Thursday in Israel)."""
    from peakend.insights import staffing
    from peakend.core.halls import first_row

    db, _ = loaded
    expected = agents_by_weekday_at(raw, 10)
    shown = {}
    for weekday, agents in expected.items():
        day = VisitFilter(halls=("BANK-IL",), weekdays=(weekday,))
        arrivals = db.query("hall_arrivals_by_hour", day)
        assert staffing.position_basis(arrivals) == "staff"
        what_if = staffing.WhatIf.seconds(0.8, 20)
        table = staffing.staffing_table(
            arrivals,
            db.query("metrics_by_group", day, group_1="hour", group_2=None),
            first_row(db.query("metrics_by_group", day, group_1=None, group_2=None)),
            what_if, None,
            db.query("hall_service_level_by_hour", day, wait_target_s=what_if.wait_target_s),
        )
        if 10 not in set(table["hour"]):  # a weekday with no call and no service at 10:00
            assert agents == 0, weekday
            shown[weekday] = 0.0
            continue
        row = table.set_index("hour").loc[10]
        shown[weekday] = row["in_use"]
        assert row["in_use"] == pytest.approx(agents), weekday
        assert 0 < row["busy"] < row["in_use"]
        # no hour that met "80% within 20 s" is called understaffed
        met = table["observed_service_level"] >= 0.8
        assert not (met & (table["status"] == "under")).any(), weekday
        assert not (table["status"] == "unknown").any()
    for weekday in (7, 1, 2, 3, 4):  # Sunday to Thursday
        assert 8 <= expected[weekday] <= 9, (weekday, expected[weekday])
    print(f"\nagents busy at 10:00 by ISO weekday, raw log: { {k: round(v, 2) for k, v in expected.items()} }; "
          f"staffing table: { {k: round(v, 2) for k, v in shown.items()} }")


def test_the_insights_page_says_the_agents_at_10_and_takes_20_seconds(raw, tmp_path, monkeypatch):
    """The same through the page (AppTest): the bank log's Insights staffing on Mondays says
    it counted the agents, shows the raw log's agents at 10:00, takes "80% within 20 s" and
    calls no hour understaffed that met it."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from conftest import sign_in_apptest
    from fixture_db import build_fixture_db
    from peakend.core.i18n import set_language
    from test_insights_page import ROOT as APP_ROOT
    from test_insights_page import page_app

    db_path = tmp_path / "bank.duckdb"
    db = build_fixture_db(db_path)  # its users (hq sees every hall), then the bank log
    path = tmp_path / RAW.name
    shutil.copy(RAW, path)
    load_files(db, [path], "tester", mapping="anonymous_bank")
    db.close()
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    st.cache_data.clear()
    st.cache_resource.clear()
    set_language("en")
    try:
        at = AppTest.from_function(page_app, default_timeout=120)
        at.switch_page(str(APP_ROOT / "pages" / "insights.py"))
        sign_in_apptest(at, "hq")
        at.session_state["lang"] = "en"
        at.query_params["hall"] = "BANK-IL"
        at.query_params["weekday"] = "1"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        at.selectbox(key="insights_wait_unit_BANK-IL").set_value("s").run()
        at.number_input(key="insights_wait_target_s_BANK-IL").set_value(20).run()
        said = "\n".join(m.value for m in at.markdown)
        assert "within 20 s, by the Erlang C model" in said
        assert "this counts the staff who served (staff_id" in said
        [table] = [d.value for d in at.dataframe if "in_use" in d.value.columns]
        row = table.set_index("hour").loc["10:00"]
        assert row["in_use"] == pytest.approx(agents_by_weekday_at(raw, 10)[1])  # 8.75
        met = table["observed_service_level"] >= 80
        assert not (met & (table["status"] == "Understaffed")).any()
        print(f"\nInsights page, BANK-IL Mondays, 80% within 20 s: {row['in_use']:.2f} agents in use at 10:00, "
              f"{row['busy']:.2f} busy, {row['needed']} needed, observed {row['observed_service_level']:.0f}%")
    finally:
        set_language("zh")
        st.cache_data.clear()
        st.cache_resource.clear()
