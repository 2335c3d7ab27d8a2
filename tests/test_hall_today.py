"""The hall page's "today" panel (issue 18, point 5): its queries with exact rows on the
fixture, its logic (the hall's clock, the usual curve, the quiet feed), and the panel in
AppTest on a day with visits, without any, and with a feed gone quiet."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import sign_in_apptest
from fixture_db import build_fixture_db
from peakend.core import clock
from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language
from peakend.hall import today
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import load_files
from peakend.warehouse.ingest import settings as load_settings

H1_MONDAY = date(2026, 3, 2)  # V01-V04 at H1


def _one(db: Database, name: str, filters=None, **params) -> dict:
    frame = db.query(name, filters, **params)
    assert len(frame) == 1, frame
    return {k: (None if pd.isna(v) else v) for k, v in frame.iloc[0].to_dict().items()}


# -- queries on the fixture ------------------------------------------------------------------
def test_the_halls_clock_row(fixture_db):
    row = _one(fixture_db, "hall_today_clock", hall_id="H1")
    assert (row["hall_id"], row["time_zone"], str(row["opens_at"]), str(row["closes_at"])) == (
        "H1", "Asia/Shanghai", "09:00:00", "21:00:00")
    assert row["newest_event_at"] == pd.Timestamp("2026-03-08 11:26:00")  # V06 left
    assert fixture_db.query("hall_today_clock", hall_id="NOPE").empty


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 09:15: V01 served and gone; V02 (arrived 09:10, called 09:22) waiting 5 min
        ("09:15", {"waiting_now": 1, "longest_wait_s": 300.0, "serving_now": 0, "arrivals_so_far": 2}),
        # 10:10: V03 at C1 (10:06-10:30); V04 (10:05, abandoned at 10:20) still waiting
        ("10:10", {"waiting_now": 1, "longest_wait_s": 300.0, "serving_now": 1, "arrivals_so_far": 4}),
        # 10:25: V04 has waited 20 min; V03 still at C1
        ("10:25", {"waiting_now": 0, "longest_wait_s": None, "serving_now": 1, "arrivals_so_far": 4}),
        ("08:00", {"waiting_now": 0, "longest_wait_s": None, "serving_now": 0, "arrivals_so_far": 0}),
    ],
)
def test_the_queue_at_a_moment(fixture_db, now, expected):
    at = datetime.combine(H1_MONDAY, datetime.strptime(now, "%H:%M").time())
    row = _one(fixture_db, "hall_today_queue", today.today_filter("H1", H1_MONDAY), now=at)
    assert {k: row[k] for k in expected} == expected
    assert row["visits_today"] == 4


def test_the_queue_at_ten_past_ten_counts_the_abandon_until_it_left(fixture_db):
    at = datetime(2026, 3, 2, 10, 21)  # V04 left at 10:20
    row = _one(fixture_db, "hall_today_queue", today.today_filter("H1", H1_MONDAY), now=at)
    assert row["waiting_now"] == 0


def test_arrivals_against_the_same_weekday(fixture_db):
    # Monday 2026-03-09 at 10:30: no visit yet today; the usual Monday is 2026-03-02 (V01, V02 at 9h; V03, V04 at 10h)
    day = date(2026, 3, 9)
    got = fixture_db.query("hall_today_arrivals", today.usual_filter("H1", day), now=datetime(2026, 3, 9, 10, 30),
                           today=day)
    assert got[["hour", "today_arrivals", "today_cumulative", "usual_arrivals", "usual_cumulative",
                "usual_days"]].values.tolist() == [[9, 0, 0, 2.0, 2.0, 1], [10, 0, 0, 2.0, 4.0, 1]]
    # Monday 2026-03-02 itself at 09:30: V01 and V02 so far; no earlier Monday in the data
    got = fixture_db.query("hall_today_arrivals", today.usual_filter("H1", H1_MONDAY),
                           now=datetime(2026, 3, 2, 9, 30), today=H1_MONDAY)
    assert got[["hour", "today_cumulative", "usual_days"]].values.tolist() == [[9, 2, 0]]
    assert got["usual_cumulative"].isna().all()


# -- logic -----------------------------------------------------------------------------------
def test_now_is_the_apps_clock_in_the_halls_zone():
    utc = datetime(2026, 12, 1, 23, 30)
    assert today.local_now("Asia/Shanghai", utc) == datetime(2026, 12, 2, 7, 30)
    assert today.local_now("Asia/Urumqi", utc) == datetime(2026, 12, 2, 5, 30)
    assert today.local_now("Europe/London", utc) == datetime(2026, 12, 1, 23, 30)
    clock.set_clock(lambda: utc)
    try:
        assert today.local_now("Asia/Shanghai").date() == date(2026, 12, 2)
    finally:
        clock.set_clock(None)


def test_the_usual_by_now_and_the_quiet_feed():
    curve = pd.DataFrame({"hour": [9, 10], "usual_arrivals": [2.0, 4.0], "usual_days": [2, 2]})
    assert today.usual_by_now(curve, datetime(2026, 3, 9, 10, 30)) == 4.0  # 2 by 10:00, half of 10h's 4
    assert today.usual_by_now(curve.assign(usual_days=0), datetime(2026, 3, 9, 10, 30)) is None
    hall = {"opens_at": "09:00", "closes_at": "18:00"}
    now = datetime(2026, 3, 9, 11, 0)
    assert today.feed_quiet(hall, now, pd.Timestamp("2026-03-09 10:40"))
    assert not today.feed_quiet(hall, now, pd.Timestamp("2026-03-09 10:50"))
    assert not today.feed_quiet(hall, datetime(2026, 3, 9, 19, 0), pd.Timestamp("2026-03-09 10:00"))  # closed
    assert not today.feed_quiet(hall, now, None)  # no data at all: said otherwise
    set_language("en")
    assert [today.age_text(timedelta(seconds=s)) for s in (20, 300, 7500, 200_000)] == [
        "under a minute", "5 min", "2 h 5 min", "2 d 7 h"]
    assert [today.wait_text(s) for s in (45, 900, 4800)] == ["45 s", "15 min", "1 h 20 min"]


# -- the panel in AppTest --------------------------------------------------------------------
# Tuesday 2027-01-05 in Asia/Shanghai (H1 has no zone of its own: the network's). The
# clock is after the tests' sign-in tickets are made, as it is in life.
TODAY_CSV = """visit_id,hall_id,arrived_at,purpose,called_at,service_started_at,service_ended_at,left_at,counter_id,staff_id,peak_score,exit_score,exit_comment
T1,H1,2027-01-05 09:00:00,bill_payment,2027-01-05 09:05:00,2027-01-05 09:05:00,2027-01-05 09:12:00,2027-01-05 09:13:00,C1,S1,5,4,很快
T2,H1,2027-01-05 09:40:00,plan_change,2027-01-05 09:50:00,2027-01-05 09:50:00,,,C2,S2,,,
T3,H1,2027-01-05 09:45:00,enquiry,,,,,,,,,
T4,H1,2027-01-05 09:55:00,enquiry,,,,,,,,,
U1,H1,2026-12-29 09:10:00,enquiry,,,,2026-12-29 09:20:00,,,,,
U2,H1,2026-12-29 09:30:00,enquiry,,,,2026-12-29 09:40:00,,,,,
U3,H1,2026-12-29 10:10:00,enquiry,,,,2026-12-29 10:20:00,,,,,
U4,H1,2026-12-22 09:20:00,enquiry,,,,2026-12-22 09:30:00,,,,,
"""


def hall_app():
    import streamlit as st

    from peakend.ui.navigation import ROOT
    from peakend.ui.session import init_language

    init_language()
    st.navigation([st.Page(str(ROOT / "pages" / "hall.py"), url_path="hall")], position="hidden").run()


def build_today_db(folder) -> Database:
    """The fixture with TODAY_CSV loaded (open: the caller closes it)."""
    path = folder / "fixture.duckdb"
    db = build_fixture_db(path)
    with db.transaction() as cur:  # the visits are after the real now: allow it
        load_settings.save(cur, {"future_days": 3650})
    visits = folder / "today.csv"
    visits.write_text(TODAY_CSV, encoding="utf-8")
    [report] = load_files(db, [visits], "test")
    assert report.status == "loaded" and not report.rows_rejected, report.summary()
    return db


@pytest.fixture(scope="module")
def today_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hall_today")
    build_today_db(folder).close()
    return folder / "fixture.duckdb"


@pytest.fixture()
def open_panel(today_db, monkeypatch):
    monkeypatch.setenv("PEAKEND_DB", str(today_db))
    st.cache_data.clear()
    st.cache_resource.clear()

    def open_panel(local: str, lang: str = "en"):
        hh, mm = (int(x) for x in local.split(":"))
        clock.set_clock(lambda: datetime(2027, 1, 5, hh, mm) - timedelta(hours=8))
        set_language(lang)
        at = AppTest.from_function(hall_app, default_timeout=90)
        sign_in_apptest(at, "h1")
        at.session_state["lang"] = lang
        at.run()
        assert not at.exception, at.exception
        return at

    yield open_panel
    clock.set_clock(None)
    st.cache_data.clear()
    st.cache_resource.clear()
    set_language("en")


def test_the_panel_at_ten_oclock(open_panel):
    at = open_panel("10:00")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Waiting now"] == "2"  # T3 (since 09:45), T4 (since 09:55)
    assert metrics["Longest current wait"] == "15 min"
    assert metrics["Counters serving now"] == "1"  # C2 (T2)
    assert metrics["Arrivals today"] == "4"
    assert metrics["Peak score"] == "5.00" and metrics["Exit score"] == "4.00"  # T1 only: too few to judge
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Jan 5, 2027, 10:00 (Asia/Shanghai) · refreshes every 15 s · Newest data: "
                            "2027-01-05 09:55:00 (5 min old)") for c in captions), captions
    # by 10:00 the usual Tuesday (12-22: 1 at 9h; 12-29: 2 at 9h) had 1.5
    assert ("4 arrivals so far today; on the last 2 same weekdays there were 2 by this time on average "
            "(267% of usual).") in [m.value for m in at.markdown]
    assert not at.warning
    comments = [d.value for d in at.dataframe if "exit_comment" in d.value.columns][0]
    assert list(comments["exit_comment"]) == ["很快"]


def test_a_quiet_feed_is_warned_and_chinese_labels(open_panel):
    at = open_panel("10:30", lang="zh")
    assert [w.value for w in at.warning] == [
        "本厅营业中，但已有 35 分钟 没有收到新数据：排队系统的数据推送可能已中断，下面的数字可能不是现在的情况。"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["正在等候"] == "2" and metrics["当前最长等候"] == "45 分钟"


@pytest.fixture()
def at_the_clock(monkeypatch):
    """The panel at the clock even though today's visits run to 09:55 (the ahead rule,
    tested below, would move it there)."""
    monkeypatch.setattr(today, "panel_now", lambda clock_now, newest, loaded_ago=None: (clock_now, None))


def test_data_later_than_the_clock_moves_the_panel_to_it(open_panel):
    at = open_panel("08:00")  # the visits run to 09:55: the panel is as of then, and says so
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Jan 5, 2027, 09:55 (Asia/Shanghai)") for c in captions), captions
    assert ("The newest data is later than the clock (08:00): the numbers are as of the newest data. A hall "
            "system's clock may run fast, or the demo feed is playing the day faster than real time.") in captions
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Waiting now"], metrics["Arrivals today"]) == ("2", "4")  # T3, T4 at 09:55
    assert "The hall is closed now (open 09:00–21:00)." not in captions


def test_the_panel_is_as_of_the_clock_or_the_newest_data_of_today():
    clock_now = datetime(2027, 1, 5, 12, 0)
    just_now, long_ago = timedelta(seconds=20), timedelta(minutes=16)
    for newest, loaded_ago, expected in (
        (None, just_now, (clock_now, None)),
        (pd.NaT, None, (clock_now, None)),
        (pd.Timestamp("2027-01-05 11:50:00"), just_now, (clock_now, None)),  # fresh: the clock
        (pd.Timestamp("2027-01-05 11:44:00"), long_ago, (clock_now, None)),  # gone quiet: the clock
        (pd.Timestamp("2027-01-05 11:44:00"), None, (clock_now, None)),  # no load known: the clock
        # behind, but just sent: a replay, as of the newest data
        (pd.Timestamp("2027-01-05 09:25:07"), just_now, (datetime(2027, 1, 5, 9, 25, 7), "replay")),
        (pd.Timestamp("2027-01-05 13:55:00.4"), None, (datetime(2027, 1, 5, 13, 55), "ahead")),  # ahead today
        (pd.Timestamp("2027-01-06 00:10:00"), just_now, (clock_now, None)),  # tomorrow: never another day
        (pd.Timestamp("2027-01-04 17:00:00"), just_now, (clock_now, None)),  # yesterday's backlog: the clock
    ):
        assert today.panel_now(clock_now, newest, loaded_ago) == expected, (newest, loaded_ago)


def test_how_long_ago_a_load_was_written_reads_the_servers_local_time():
    written = datetime(2027, 1, 5, 12, 0, 0)  # as start_load keeps it: datetime.now(), naive local
    as_utc = written.astimezone(UTC).replace(tzinfo=None)
    assert today.loaded_ago(pd.Timestamp(written), as_utc + timedelta(seconds=42)) == timedelta(seconds=42)
    assert today.loaded_ago(None) is None and today.loaded_ago(pd.NaT) is None


def test_a_feed_sending_the_morning_now_moves_the_panel_to_it(open_panel, monkeypatch):
    """The fixture's loads are dated when it was built; here the newest one was written 20 s
    before the (simulated) clock's 12:00, while its events run to 09:55."""
    monkeypatch.setattr(today, "loaded_ago", lambda loaded_at, utc_now=None: timedelta(seconds=20))
    at = open_panel("12:00")
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Jan 5, 2027, 09:55 (Asia/Shanghai)") for c in captions), captions
    assert any(c.startswith("The newest data is earlier than the clock (12:00) but has just come in") for c in captions)
    assert not at.warning  # not "gone quiet": it is sending
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Waiting now"], metrics["Longest current wait"]) == ("2", "10 min")  # T3 since 09:45


def test_a_day_without_visits_says_so_plainly(open_panel, at_the_clock):
    at = open_panel("08:00")  # before the hall opens (09:00): no visit by now, and no warning
    assert any(i.value.startswith("No visits yet today (Jan 5, 2027)") for i in at.info)
    assert "The hall is closed now (open 09:00–21:00)." in [c.value for c in at.caption]
    assert not at.warning and "Waiting now" not in [m.label for m in at.metric]


def test_the_chart_has_a_point_at_now_and_no_today_after_it():
    curve = pd.DataFrame({"hour": [8, 9, 10, 11], "today_arrivals": [2, 3, 1, 0], "today_cumulative": [2, 5, 6, 6],
                          "usual_arrivals": [1.0, 2.0, 4.0, 2.0], "usual_cumulative": [1.0, 3.0, 7.0, 9.0],
                          "usual_days": [3] * 4})
    got = today.curve_frame(curve, datetime(2026, 1, 1, 10, 30))
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["08:00", 0.0, 0.0], ["09:00", 2.0, 1.0], ["10:00", 5.0, 3.0], ["10:30", 6.0, 5.0], ["11:00", None, 7.0],
        ["12:00", None, 9.0]]
    on_the_hour = today.curve_frame(curve, datetime(2026, 1, 1, 10, 0))
    assert list(on_the_hour["label"]) == ["08:00", "09:00", "10:00", "11:00", "12:00"]
    before_opening = today.curve_frame(curve, datetime(2026, 1, 1, 7, 0))
    assert list(before_opening["label"])[0] == "07:00"  # now, then the usual day


def test_a_hall_without_opening_hours_is_never_closed():
    import numpy as np

    now = datetime(2026, 3, 9, 11, 0)
    for missing in (None, pd.NaT, np.datetime64("NaT"), float("nan")):
        hall = {"opens_at": missing, "closes_at": missing}
        assert today.is_open(hall, now) is None
        assert today.feed_quiet(hall, now, pd.Timestamp("2026-03-09 10:00"))  # unknown hours: warn


def test_nobody_waiting_is_a_zero_wait_not_a_dash(open_panel, at_the_clock):
    at = open_panel("09:20")  # T1 served and gone (09:13); T2 not yet arrived
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Waiting now"], metrics["Longest current wait"], metrics["Arrivals today"]) == ("0", "0 min", "1")
