"""The regional comparison page in AppTest: its controls, their URL state and the user's
scope, on the hand-checked fixture (numbers derived in tests/test_regional_league.py).

AppTest's switch_page runs the page file without app.py, so the page speaks its default
language (zh) here; widgets are found by key, texts checked in Chinese.
"""

from pathlib import Path

import json
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import sign_in_apptest
from peakend.core.i18n import set_language

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture()
def open_page(monkeypatch, fixture_db_file):
    monkeypatch.setenv("PEAKEND_DB", str(fixture_db_file))
    # AppTest formats widget options in the test's own thread: keep it in the page's zh.
    set_language("zh")
    st.cache_data.clear()
    st.cache_resource.clear()

    def run(user: str = "hq", **query) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        sign_in_apptest(at, user)
        for name, value in query.items():
            at.query_params[name] = value
        at.switch_page("pages/regional.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run




def plain(ranks) -> list:
    return [None if pd.isna(r) else int(r) for r in ranks]


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def league_values(at):
    """The league table's data (a Styler on screen; its frame underneath)."""
    frame = at.dataframe[0].value
    return frame


def test_defaults_for_head_office(open_page):
    at = open_page("hq")
    regions = at.multiselect(key="regional_regions")
    assert regions.options == ["North", "South"]
    assert regions.value == ["North"]  # a first visit opens on the first region
    assert at.selectbox(key="period").value == "last_7_days"
    assert at.selectbox(key="period_compare").value == "previous"
    assert at.number_input(key="min_n").value == 30
    assert at.selectbox(key="regional_metric").value == "wait_median_min"
    assert at.get("button_group")[0].value == ["rank"]  # ranks beside the values at first
    # The fixture's last day is 2026-03-08: last 7 days against the 7 days before.
    assert "2026年3月2日 至 2026年3月8日，对比 2026年2月23日 至 2026年3月1日。" in captions(at)
    assert at.query_params["region"] == "North"
    assert at.query_params["period"] == "last_7_days"
    # Head office sees two regions, so region against region is offered (opened when wanted).
    assert "区域之间对比" in [e.label for e in at.expander]


def test_regional_manager_sees_only_their_region(open_page):
    at = open_page("north")
    regions = at.multiselect(key="regional_regions")
    assert regions.options == ["North"] and regions.disabled
    assert "区域之间对比" not in subheaders(at)
    halls = league_values(at).iloc[:, 0].tolist()
    assert halls == ["Alpha Hall", "Beta Hall"]  # H3 (South) is out of scope


def test_controls_read_from_the_url(open_page):
    at = open_page(
        "hq", region="North,South", min_n="2", compare="none", purpose="bill_payment,plan_change",
        moment="counter_result", metric="exit_mean", show="rank",
    )
    assert at.multiselect(key="regional_regions").value == ["North", "South"]
    assert at.number_input(key="min_n").value == 2
    assert at.selectbox(key="period_compare").value == "none"
    assert at.multiselect(key="regional_purposes").value == ["bill_payment", "plan_change"]
    assert at.multiselect(key="regional_moments").value == ["counter_result"]
    assert at.selectbox(key="regional_metric").value == "exit_mean"
    assert "2026年3月2日 至 2026年3月8日，不做对比。" in captions(at)
    frame = league_values(at)
    # Values and ranks only (show=rank): no Δ or n columns.
    subcolumns = {c[1] for c in frame.columns}
    assert "#" in subcolumns and "Δ" not in subcolumns and "n" not in subcolumns
    # Counter-result visits only (V01 V02 V06 | V08 | V12 V13): median waits H1 (4, 12, 20)
    # -> 12.0, H2 3.0, H3 (10, 30) -> 20.0; at min n 2, H1 (3 waits) and H3 (2) are ranked
    # but H2 (1 wait) is not.
    halls = frame[("", "营业厅")].tolist()
    wait = dict(zip(halls, frame[("等候中位数", "分钟")].tolist()))
    rank = dict(zip(halls, plain(frame[("等候中位数", "#")].tolist())))
    assert wait == {"Alpha Hall": 12.0, "Beta Hall": 3.0, "Gamma Hall": 20.0}
    assert rank == {"Alpha Hall": 1, "Beta Hall": None, "Gamma Hall": 2}
    # the table is sorted by rank on the metric chosen beside it (metric=exit_mean), 1st first
    exit_rank = plain(frame[("离店评分", "#")].tolist())
    assert exit_rank == sorted(exit_rank, key=lambda r: (r is None, r))
    assert "按“离店评分”的排名排序（第 1 名在上）；点击表头可按其他列排序。" in captions(at)


def test_changing_controls_updates_the_url_and_the_table(open_page):
    at = open_page("hq")
    at.number_input(key="min_n").set_value(3)
    at.multiselect(key="regional_regions").set_value(["North", "South"])
    at.selectbox(key="period_compare").set_value("none")
    at.run()
    assert not at.exception
    # min_n is bound to ?min_n= (bind="query-params"): the browser writes it, AppTest has none
    assert at.number_input(key="min_n").value == 3 and at.number_input(key="min_n").proto.query_param_key == "min_n"
    assert at.query_params["region"] == "North,South"
    assert at.query_params["compare"] == "none"
    assert "2026年3月2日 至 2026年3月8日，不做对比。" in captions(at)
    frame = league_values(at)
    # min n 3 (tests/test_regional_league.py): median wait ranks H1 2, H2 1, H3 greyed;
    # the table is sorted by that rank (the metric beside it: median wait by default).
    assert frame[("", "营业厅")].tolist() == ["Beta Hall", "Alpha Hall", "Gamma Hall"]
    ranks = frame[("等候中位数", "#")].tolist()
    assert plain(ranks) == [1, 2, None]


def test_a_bad_link_value_is_named_not_raised(open_page):
    at = open_page("hq", region="Atlantis", min_n="lots")
    assert at.multiselect(key="regional_regions").value == ["North"]
    warnings = " ".join(w.value for w in at.warning)
    assert "region=Atlantis" in warnings and "min_n=lots" in warnings


def test_rating_ranks_say_in_their_tooltip_that_they_use_a_shrunken_mean(open_page):
    import json

    at = open_page("hq", region="North,South", min_n="2")
    frame = league_values(at)
    config = json.loads(at.dataframe[0].proto.columns)
    # Columns with grouped headers are configured by position; the index is position 0.
    position = lambda col: f"_pos:{list(frame.columns).index(col) + 1}"  # noqa: E731
    exit_rank_help = config[position(("离店评分", "#"))]["help"]
    assert "收缩" in exit_rank_help and "(n × 本厅均值 + 30 × 区域均值) ÷ (n + 30)" in exit_rank_help
    wait_rank_help = config[position(("等候中位数", "#"))]["help"]
    assert "收缩" not in wait_rank_help and "少于 2" in wait_rank_help
    assert config[position(("", "营业厅"))]["pinned"] is True


def test_a_period_without_visits_says_so(open_page):
    # H3 (South) has visits on 03-02 and 03-08 only.
    at = open_page("hq", region="South", **{"from": "2026-03-04", "to": "2026-03-07"})
    assert [i.value for i in at.info] == ["所选区域在 2026年3月4日 至 2026年3月7日 没有符合条件的到访。"]
    assert not at.dataframe


def test_a_store_manager_sees_their_place_among_peers_not_a_league_of_one(open_page):
    at = open_page("h1")  # hall manager of H1: a league of one
    assert "本厅在同行中的位置" in subheaders(at) and "本厅的数值" in subheaders(at)
    assert "营业厅排名表" not in subheaders(at)
    # North has 2 halls and H1's type 1: no group of 5 to compare with anonymously
    assert [i.value for i in at.info] == ["没有至少 5 个营业厅的同行组（同一大区或同一类型），无法匿名比较。"]
    frame = league_values(at)
    assert "#" not in {c[1] for c in frame.columns}  # "1 of 1" says nothing
    assert "Beta Hall" not in frame.to_csv()


def test_the_halls_that_need_help_most_link_to_their_hall_page(open_page):
    at = open_page("hq", region="North,South", min_n="1")
    links = [json_of(e) for e in at.get("page_link")]
    # last place on the median wait, each peak moment and the exit, in the box above the
    # table; each name opens that hall's page for the same period
    assert [(x["page"], x["label"], x["queryString"]) for x in links] == [
        ("hall", "Gamma Hall", "hall=H3&period=last_7_days"),
        ("hall", "Gamma Hall", "hall=H3&period=last_7_days"),
        ("hall", "Beta Hall", "hall=H2&period=last_7_days"),
        ("hall", "Gamma Hall", "hall=H3&period=last_7_days"),
    ]


def json_of(element) -> dict:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(element.proto)
