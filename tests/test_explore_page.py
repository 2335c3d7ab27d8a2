"""The explore page with AppTest on the fixture: links open the view they describe, bad or
hostile link values give a note (never a trace, never other rows), the scope holds, and
saved views reopen."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT, sign_in_apptest
from fixture_db import build_fixture_db
from peakend.core.safe_text import md
from peakend.core.i18n import set_language

PAGE = str(ROOT / "pages" / "explore.py")


@pytest.fixture(scope="module")
def explore_db(tmp_path_factory):
    """A database file of the page tests' own: they save views into it."""
    path = tmp_path_factory.mktemp("explore") / "fixture.duckdb"
    build_fixture_db(path).close()
    return path


@pytest.fixture()
def open_page(explore_db, monkeypatch):
    monkeypatch.setenv("PEAKEND_DB", str(explore_db))
    st.cache_data.clear()
    # AppTest formats widget values in this thread with the page's format_func, which reads
    # the language: give the thread the page's default (zh), whatever test ran before here.
    set_language("zh")

    def open_(query: dict | None = None, user: str = "hq") -> AppTest:
        at = AppTest.from_file(PAGE, default_timeout=60)
        sign_in_apptest(at, user)
        for name, value in (query or {}).items():
            at.query_params[name] = value
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_


def result(at):
    return at.dataframe[0].value


def link(at, name: str) -> list[str]:
    """Every value of one name in the page's URL (AppTest keeps a single one as a str)."""
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


def test_default_view_is_every_visit_of_the_last_30_days_by_region(open_page):
    at = open_page()
    table = result(at)
    assert list(table["大区"]) == ["North", "South"]
    assert list(table["到访人次"]) == [11, 2]
    assert list(table["等候中位数"]) == pytest.approx([5.0, 20.0])
    assert any("共 13 人次符合条件" in c.value for c in at.caption)
    # the page wrote its whole state into the link
    assert link(at, "period") == ["last_30_days"] and link(at, "by") == ["region"]


def test_the_issue_question_from_a_link(open_page):
    # phone purchases after 17:00, by region: only V05 (H1, North, Tuesday 17:30, wait 2 min)
    at = open_page({"period": "custom", "from": "2026-03-01", "to": "2026-03-08",
                    "purpose": "phone_purchase", "hour_from": "17", "by": "region",
                    "m": "wait_median_min"})
    table = result(at)
    assert list(table["大区"]) == ["North"] and list(table["到访人次"]) == [1]
    assert list(table["等候中位数"]) == pytest.approx([2.0])
    assert at.multiselect(key="xp_purpose").value == ["phone_purchase"]
    assert at.slider(key="xp_hours").value == (17, 23)
    # the same on weekends: no visit in the fixture
    at = open_page({"period": "all", "purpose": "phone_purchase", "hour_from": "17",
                    "weekday": ["6", "7"], "m": "wait_median_min"})
    assert any("没有符合这些条件的到访" in i.value for i in at.info)


def test_every_filter_control_is_seeded_from_the_link(open_page):
    at = open_page({"period": "all", "region": "North", "city": "Harbin", "hall": "H1", "purpose": "bill_payment",
                    "moment": "counter_result", "hour_from": "11", "weekday": "7", "staff": "S1",
                    "segment": "consumer", "peak_min": "1", "peak_max": "2", "exit_max": "1",
                    "overall_max": "6", "abandoned": "no", "comment": "yes", "q": "rude",
                    "by": "hall", "m": "exit_mean"})
    # only V06 passes all of them: H1, Sunday 11:00, S1, bill payment, exit 1 "Waited forever, rude staff"
    assert list(result(at)["到访人次"]) == [1]
    assert at.radio(key="xp_abandoned").value == "no" and at.radio(key="xp_comment").value == "yes"
    assert at.text_input(key="xp_q").value == "rude"
    assert at.slider(key="xp_peak").value == (1, 2) and at.slider(key="xp_overall").value == (0, 6)


def test_bad_link_values_are_named_and_the_rest_still_opens(open_page):
    at = open_page({"hall": ["H1", "H9"], "from": "2026-02-30", "to": "2026-03-08", "by": "colour",
                    "m": ["wait_median_min", "happiness"]})
    text = warnings(at)
    for dropped in ("hall=H9", "from=2026-02-30", "by=colour", "m=happiness"):
        assert dropped in text
    table = result(at)
    assert list(table["大区"]) == ["North"] and list(table["到访人次"]) == [7]  # H1 up to 8 March
    assert link(at, "hall") == ["H1"]  # the link is rewritten without the bad values


HOSTILE = "' or '1'='1'; drop table visits; -- union select * from visits /*"


CHECKED = ["region", "city", "hall", "purpose", "moment", "weekday", "staff", "segment", "period", "from",
           "to", "hour_from", "hour_to", "peak_min", "peak_max", "exit_min", "exit_max", "overall_min",
           "overall_max", "abandoned", "comment", "by", "by2", "m", "chart", "min_n", "page"]


def test_sql_in_every_checked_link_value_gives_a_note_and_the_default_view(open_page):
    at = open_page({param: HOSTILE for param in CHECKED})
    text = warnings(at)
    for param in CHECKED:
        assert f"{param}={md(HOSTILE)}" in text  # as text: Markdown marks escaped
    assert list(result(at)["到访人次"]) == [11, 2]  # every visit, as without those values
    assert not any(HOSTILE in " ".join(link(at, name)) for name in CHECKED)


def test_sql_in_the_comment_search_finds_nothing(open_page):
    at = open_page({"q": HOSTILE})
    assert any("没有符合这些条件的到访" in i.value for i in at.info)
    assert not at.warning


def test_sql_in_the_group_or_visit_of_a_link_gives_a_note(open_page):
    at = open_page({"g1": HOSTILE, "visit": HOSTILE})
    text = warnings(at)
    assert "不在当前结果中" in text  # the group
    assert "已忽略" in text  # the visit
    assert list(result(at)["到访人次"]) == [11, 2]
    assert "g1" not in at.query_params and "visit" not in at.query_params


def test_a_hall_outside_the_scope_is_dropped(open_page):
    at = open_page({"hall": "H2", "by": "hall"}, user="h1")
    assert "hall=H2" in warnings(at)
    table = result(at)
    assert list(table["营业厅"]) == ["Alpha Hall · Harbin"] and list(table["到访人次"]) == [7]
    # and a visit of another hall can't be opened
    at = open_page({"visit": "V08"}, user="h1")
    assert "V08" in warnings(at)


def test_a_drilled_group_and_an_open_visit_from_the_link(open_page):
    at = open_page({"by": "region", "g1": "South", "visit": "V13"})
    assert any("South" in m.value and "2" in m.value for m in at.markdown)
    visits = at.dataframe[1].value
    assert list(visits["visit_id"]) == ["V13", "V12"]
    assert any(t.value == "Long queue, unresolved question" for t in at.text)
    assert link(at, "g1") == ["South"] and link(at, "visit") == ["V13"]
    at.number_input(key="xp_min_n").set_value(1).run()  # another change keeps group and visit
    assert link(at, "g1") == ["South"] and link(at, "visit") == ["V13"]


def test_save_a_view_and_open_it_later(open_page):
    at = open_page({"by": "hall", "weekday": "7", "m": "exit_mean"})
    at.text_input(key="xp_view_name").input("Sundays by hall")
    at.button(key="xp_save").click().run()
    assert any("Sundays by hall" in s.value for s in at.success)
    # change the view completely, then reopen the saved one
    at.selectbox(key="xp_by").select("city").run()
    assert link(at, "by") == ["city"]
    at.selectbox(key="xp_saved_pick").select("Sundays by hall").run()
    at.button(key="xp_open").click().run()
    assert not at.exception
    assert link(at, "by") == ["hall"] and link(at, "weekday") == ["7"]
    # Sunday: H1 V06 V07, H3 V13
    assert list(result(at)["到访人次"]) == [2, 1]


def test_a_result_too_long_to_style_still_shows_formatted(open_page, monkeypatch):
    # pandas' Styler refuses very big tables (e.g. staff x day on a real network): past
    # STYLE_MAX_ROWS the table is drawn with column formats instead of cell styles
    monkeypatch.setattr("peakend.explore.logic.STYLE_MAX_ROWS", 1)
    at = open_page({"by": "region"})
    assert list(result(at)["到访人次"]) == [11, 2]
    assert any("共 2 行" in c.value for c in at.caption)


def test_no_grouping_shows_the_measures_as_cards(open_page):
    # every visit: network median wait 7.0 min, NPS 11.1 -> +11 (tests/fixture, hand-derived)
    at = open_page({"by": "none", "m": ["wait_median_min", "nps"]})
    assert [m.value for m in at.metric] == ["7.0 分钟", "+11"]
    assert list(result(at)["到访人次"]) == [13]


EXPLORE_STAFF = {
    # user: the staff filter's options as shown, and the first column of the table by staff
    # (names from tests/fixture/staff.csv; S4 is not in the roster; （未记录）: no staff, first)
    "hq": (["王芳 · S1", "李娜 · S2", "张伟 · S3", "S4", "陈静 · S5"],
           ["（未记录）", "王芳 · S1", "李娜 · S2", "张伟 · S3", "S4", "陈静 · S5"]),
    "h1": (["王芳 · S1", "李娜 · S2"], ["（未记录）", "王芳 · S1", "李娜 · S2"]),  # only H1's staff
}


def test_staff_are_filtered_and_grouped_by_name_within_the_scope(open_page, subtests):
    for user, (options, groups) in EXPLORE_STAFF.items():
        with subtests.test(user):
            at = open_page({"period": "all", "by": "staff"}, user=user)
            assert at.multiselect(key="xp_staff").options == options
            assert list(result(at).iloc[:, 0]) == groups
