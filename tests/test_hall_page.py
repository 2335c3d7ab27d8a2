"""The hall page in AppTest: its controls, URL state and what each section says, on the
fixture (hand-derived values in tests/test_hall_queries.py)."""

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import sign_in_apptest
from fixture_db import build_fixture_db
from peakend.charts.theme import unwrap_title
from peakend.core.i18n import set_language
from peakend.core.metrics import METRICS, shown_on


def hall_app():
    # What app.py does for one page: the session's language, then the page run through
    # st.navigation. (AppTest.switch_page on app.py runs a pages/ file as a legacy page.)
    import streamlit as st

    from peakend.ui.navigation import ROOT
    from peakend.ui.session import init_language

    init_language()
    st.navigation([st.Page(str(ROOT / "pages" / "hall.py"), url_path="hall")], position="hidden").run()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    # A copy of our own: the browser tests' server holds a lock on the shared one.
    path = tmp_path_factory.mktemp("hall_page") / "fixture.duckdb"
    build_fixture_db(path).close()
    return path


@pytest.fixture(scope="module")
def fresh_caches():
    # Cached query results are keyed by data version, not by file: start and end clean.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture()
def open_page(db_path, fresh_caches, monkeypatch):
    monkeypatch.setenv("PEAKEND_DB", str(db_path))

    def open_page(user="hq", lang="en", opened=(), **query):
        # AppTest formats widget values in the test's thread with the page's format_func,
        # which reads the language: give this thread the page's language too.
        set_language(lang)
        at = AppTest.from_function(hall_app, default_timeout=90)
        sign_in_apptest(at, user)
        at.session_state["lang"] = lang
        for key in opened:  # a section below the first screen, opened (drawn only while open)
            at.session_state[key] = True
        for name, value in query.items():
            at.query_params[name] = value
        at.run()
        assert not at.exception, at.exception
        return at

    yield open_page
    set_language("zh")


def cards(at):
    return {m.label: (m.value, m.delta) for m in at.metric}


def chart_titles(at):
    # titles are wrapped with <br> to fit a phone (peakend.charts.theme.wrap_title)
    return [unwrap_title(json.loads(c.proto.spec)["layout"]["title"]["text"]) for c in at.get("plotly_chart")]


def texts(elements):
    return [e.value for e in elements]


def test_a_hall_manager_lands_on_their_hall(open_page):
    at = open_page(user="h1")  # hall manager of H1 only
    picker = at.selectbox(key="hall")
    assert (picker.value, picker.disabled, picker.options) == ("H1", True, ["Alpha Hall · North"])
    assert at.selectbox(key="period").value == "last_7_days"
    # 2026-03-02 .. 03-08 holds all of H1's visits; the 7 days before hold none.
    got = cards(at)
    assert got["Visits"] == ("7", "")
    assert got["Median wait"] == ("6.0 min", "")
    assert got["P90 wait"] == ("16.8 min", "")
    assert got["Service level"] == ("50.0%", "")
    assert got["Abandonment"] == ("28.6%", "")
    assert got["Peak · counter result"][0] == "3.33"
    assert got["Exit score"][0] == "3.20"
    assert got["Peak-end index"][0] == "3.50"
    assert got["NPS"][0] == "+20"
    assert any("The comparison period (Feb 23, 2026 to Mar 1, 2026) has no visits" in c
               for c in texts(at.caption))
    # thin data said plainly: 3 counter-result ratings is far below the minimum of 30
    assert any("Too few ratings (n = 3)" in m for m in texts(at.markdown))
    assert dict(at.query_params) == {"hall": "H1", "period": "last_7_days"}


def test_a_link_opens_the_same_hall_and_period_with_the_change(open_page):
    at = open_page(hall="H1", **{"from": "2026-03-05", "to": "2026-03-08"})
    assert at.selectbox(key="hall").value == "H1"
    assert at.selectbox(key="period").value == "custom"
    # now V06, V07; the 4 days before (03-01 .. 03-04) V01-V05 (waits 4, 12, 6, 2: median 5)
    got = cards(at)
    assert got["Visits"] == ("2", "-3")
    assert got["Median wait"] == ("20.0 min", "+15.0")
    assert got["Abandonment"] == ("50.0%", "+30.0 pp")  # 1/2 against 1/5
    assert any("Changes are against Mar 1, 2026 to Mar 4, 2026" in c for c in texts(at.caption))
    assert dict(at.query_params) == {"hall": "H1", "from": "2026-03-05", "to": "2026-03-08"}


def test_a_link_to_a_hall_outside_the_scope_is_dropped_and_said(open_page):
    at = open_page(user="h1", hall="H3")
    assert at.selectbox(key="hall").value == "H1"
    assert any("hall=H3" in w for w in texts(at.warning))
    assert at.query_params["hall"] == "H1"


def test_a_period_without_visits_is_said_plainly(open_page):
    at = open_page(hall="H1", **{"from": "2026-03-07", "to": "2026-03-07"})  # Sat: no visit at H1
    today, *rest = texts(at.info)  # the today panel first: no visit today (tests/test_hall_today.py)
    assert today.startswith("No visits yet today (") and "the newest data is from 2026-03-08 11:26:00" in today
    assert rest == [
        "Alpha Hall has no visits from Mar 7, 2026 to Mar 7, 2026 that match the filters. "
        "Pick another period or widen the filters."
    ]
    assert not at.metric and not at.get("plotly_chart")


def test_the_purpose_filter_narrows_every_number_and_goes_into_the_link(open_page):
    at = open_page(hall="H1")
    at.multiselect(key="hall_purposes").select("bill_payment").run()
    # V01, V06, V07: waits 4 and 20
    got = cards(at)
    assert (got["Visits"][0], got["Median wait"][0]) == ("3", "12.0 min")
    assert at.query_params["purpose"] == "bill_payment"


def test_the_peak_moment_filter_from_a_link(open_page):
    at = open_page(hall="H1", moment="phone_purchase")
    assert at.multiselect(key="hall_moments").value == ["phone_purchase"]
    got = cards(at)  # V05 only
    assert (got["Visits"][0], got["Median wait"][0], got["Peak · phone purchase"][0]) == ("1", "2.0 min", "5.00")
    assert got["Peak · counter result"][0] == "–"


def test_every_section_the_heatmap_toggle_and_the_comment_search(open_page):
    at = open_page(hall="H1")  # the sections below the first screen start closed and undrawn
    assert [e.label for e in at.expander][3:] == ["Every key moment of the journey", "Queue", "Peak moments", "Exit moment",
                                                  "The journey"]
    assert not at.get("plotly_chart") and len(at.dataframe) == 1  # the worst hour's comments only
    at = open_page(hall="H1", opened=SECTIONS)
    assert chart_titles(at) == [
        "Median wait by weekday and hour of arrival (min)",
        "Wait distribution (2-minute bars; red: over the target)",
        "Median and P90 wait over time (min)",
        "Arrivals and counters in use by hour of day",
        "Peak score distribution (1-5) by peak moment",
        "Mean peak score over time by peak moment",
        "Peak score by staff member (grey: fewer than 30 ratings)",
        "Wait tolerance: peak score by wait band",
        "Exit score distribution",
        "Mean exit score over time",
        "Complaints and praise per theme (from the text)",
        "Mean exit score by wait and peak score",
    ]
    journey = [m for m in texts(at.markdown) if m.startswith("Of the 5 exit ratings")]
    assert journey and "1 (50%) after both" in journey[0]

    # the heatmap's toggle: arrivals instead of the median wait
    at.segmented_control(key="hall_heatmap_measure").set_value("arrivals").run()
    heatmap = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert unwrap_title(heatmap["layout"]["title"]["text"]) == "Arrivals by weekday and hour (total in the period)"
    # cell labels, Monday first, from 9h: Mon 9h V01 V02, Mon 10h V03 V04; Sun 11h V06 V07
    cells = heatmap["data"][0]["text"]
    assert cells[0][:3] == ["2", "2", ""]
    assert cells[6][:3] == ["", "", "2"]

    # what the unhappy exits' comments complain about, read from their words
    assert ("Read from their words, of the 2 unhappy exits (1-2) with a comment this period: "
            "100% (2) complain about Waiting / speed; 50% (1) complain about Staff attitude.") in texts(at.markdown)

    # the comments behind the first bar (complaints about waiting), and the search of the feed
    _, examples, feed = at.dataframe  # the first: the worst hour's comments
    assert list(examples.value["exit_comment"]) == ["Waited forever, rude staff", "排队太久了"]
    assert list(examples.value["evidence"]) == ["Waited forever", "排队太久了"]
    assert len(feed.value) == 4
    at.text_input(key="hall_comment_search").input("WAIT").run()
    _, examples, feed = at.dataframe  # the first: the worst hour's comments
    assert list(feed.value["exit_comment"]) == ["Waited forever, rude staff"]
    assert "**Latest comments (1 shown, newest first)**" in texts(at.markdown)
    at.selectbox(key="hall_theme").select("price_deal:positive").run()
    _, examples, feed = at.dataframe  # the first: the worst hour's comments
    assert list(examples.value["exit_comment"]) == ["Good deal on the phone"]
    at.text_input(key="hall_comment_search").input("nothing like this").run()
    assert 'No comment contains "nothing like this".' in texts(at.info)


SECTIONS = ("hall_open_queue", "hall_open_peak", "hall_open_exit", "hall_open_journey")
ALL_NUMBERS = ["P90 wait", "Service level", "Peak · counter result", "Peak · data-service demo",
               "Peak · phone purchase", "NPS"]


def test_the_page_opens_on_five_tiles_then_the_worst_hour_and_its_comments(open_page):
    at = open_page(hall="H1")
    main = [e for e in at.main.children.values()]
    kinds = [type(e).__name__ for e in main]
    # title, controls, headline, caption, the five tiles, then the worst hour
    tiles = main[kinds.index("Block", kinds.index("Subheader"))]
    assert [m.label for m in tiles.metric] == ["Visits", "Median wait", "Abandonment", "Exit score", "Peak-end index"]
    # H1's hours: 9h V01 V02 (waits 4, 12), 10h V03 V04, 11h V06 V07 (waits 20 and abandoned)
    assert texts(at.subheader)[0] == "Today at Alpha Hall"  # the today panel first (tests/test_hall_today.py)
    assert texts(at.subheader)[2] == "The worst hour: 11:00–12:00"
    assert ("People who arrived in this hour waited 20.0 min (median; target 10 min): 2 visits, "
            "50.0% gave up, exit score 1.00.") in texts(at.markdown)
    assert "Every hour had fewer than 30 visits: this rests on a few visits, read it as a hint." in texts(at.caption)
    worst_comments = at.dataframe[0]
    assert list(worst_comments.value["exit_comment"]) == ["Waited forever, rude staff"]
    # the comment first: on a phone only the first columns are on the screen
    assert list(worst_comments.proto.column_order) == ["exit_comment", "exit_score", "commented_at", "purpose"]
    assert [e.label for e in at.expander][0] == "All numbers (service level, each peak moment, NPS …)"
    more = [m.label for m in at.expander[0].metric]
    assert more == [METRICS[key].label for key in shown_on("hall_more")]  # what metrics.py places there
    assert [label for label in more if label in ALL_NUMBERS] == ALL_NUMBERS
    # every comment table shows the comment first
    for frame in at.dataframe:
        assert list(frame.proto.column_order)[0] == "exit_comment"


def test_chinese_labels_same_numbers(open_page):
    at = open_page(lang="zh", hall="H1")
    got = cards(at)
    assert got["到访人次"][0] == "7"
    assert got["等候中位数"][0] == "6.0 分钟"
    assert got["服务水平"][0] == "50.0%"
    assert got["净推荐值 NPS"][0] == "+20"
    assert [e.label for e in at.expander][3:] == ["旅程中的每个关键时刻", "排队", "峰值时刻", "离店时刻", "完整旅程"]


def test_yesterday_is_the_halls_own_last_day_with_its_date_and_a_note(open_page):
    # H2's visits end on Tue 2026-03-03; the network's (H1, H3) on Sun 2026-03-08.
    at = open_page(hall="H2", period="yesterday")
    box = at.selectbox(key="period")
    assert box.value == "yesterday"
    assert box.format_func("yesterday").startswith("Yesterday · Tue 3 Mar")
    assert any("Beta Hall's data ends on Tue 3 Mar 2026" in c for c in texts(at.caption))
    # V10, V11 (Tue 3 Mar), against Mon 2 Mar (no Tuesday a week earlier): V08, V09
    got = cards(at)
    assert got["Visits"] == ("2", "0")
    assert at.selectbox(key="period_compare").value == "previous"
    # H1's data reaches the network's last day: no note, and Sun 8 Mar
    at = open_page(hall="H1", period="yesterday")
    assert at.selectbox(key="period").format_func("yesterday").startswith("Yesterday · Sun 8 Mar")
    assert not any("data ends on" in c for c in texts(at.caption))
    assert cards(at)["Visits"][0] == "2"  # V06, V07


STAFF_HEATMAP = {
    # language: (the chart's title, its y axis, its rows) — names from tests/fixture/staff.csv
    "en": ("Peak score by staff member (grey: fewer than 30 ratings)", "Staff member (name · ID)",
           ["王芳 · S1", "李娜 · S2"]),
    "zh": ("员工峰值评分（灰色：少于 30 条评价）", "员工（姓名 · 工号）", ["王芳 · S1", "李娜 · S2"]),
}


def test_the_staff_heatmap_shows_each_member_by_name_and_id(open_page, subtests):
    for lang, (title, axis, rows) in STAFF_HEATMAP.items():
        with subtests.test(lang):
            at = open_page(user="h1", lang=lang, hall="H1", opened=("hall_open_peak",))
            specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
            [staff] = [s for s in specs if unwrap_title(s["layout"]["title"]["text"]) == title]
            assert unwrap_title(staff["layout"]["yaxis"]["title"]["text"]) == axis
            assert staff["data"][0]["y"] == rows
