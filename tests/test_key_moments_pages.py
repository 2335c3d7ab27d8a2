"""Pages that follow the catalogue of key moments (issue 21): the hall page's "every key
moment" section on the fixture with a region's own moment and a ratings file, in journey
order, in both languages, for a hall of that region and not for a hall of another."""

from __future__ import annotations

import json

import pytest

from streamlit.testing.v1 import AppTest

from conftest import run_signed_in, sign_in_apptest
from fixture_db import build_fixture_db
from peakend.charts.theme import unwrap_title
from peakend.core.i18n import set_language
from peakend.warehouse import moments
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import load_files
from test_hall_page import chart_titles, fresh_caches, open_page, texts  # noqa: F401 (fixtures)

# V01-V06 are H1's (North), V12-V13 H3's (South): greeting is North's own moment
RATINGS = [
    "V01,greeting,5",
    "V01,find,4",
    "V02,greeting,2",
    "V02,wait,1",
    "V03,wait,4",
    "V05,greeting,4",
    "V06,greeting,1",
    "V06,wait,2",
    "V12,find,5",
    "V13,wait,1",
]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("key_moments_pages")
    path = folder / "fixture.duckdb"
    build_fixture_db(path).close()
    db = Database(path)
    moments.add_moment(db, "admin", moments.NewMoment("greeting", "迎宾", "Greeting at the door", "before_queue",
                                                      region="North"))
    ratings = folder / "ratings.csv"
    ratings.write_text("visit_id,moment,score\n" + "\n".join(RATINGS) + "\n", encoding="utf-8")
    [loaded] = load_files(db, [ratings], "tester")
    assert (loaded.rows_loaded, loaded.rows_rejected) == (len(RATINGS), 0)
    db.close()
    return path


@pytest.fixture()
def open_moments(open_page):  # noqa: F811 (test_hall_page's, on this module's database)
    def open_moments(hall: str, lang: str = "en"):
        return open_page(lang=lang, opened=("hall_open_moments",), hall=hall)

    return open_moments


def _table(at):
    [frame] = [d.value for d in at.dataframe if "unhappy_lowest" in d.value.columns]
    return frame


def test_a_regions_moment_shows_beside_the_studys_in_journey_order(open_moments, monkeypatch):
    from peakend.hall import key_moments

    monkeypatch.setattr(key_moments, "MIN_UNHAPPY", 2)  # the fixture has two unhappy visits to read
    at = open_moments("H1")
    frame = _table(at)
    assert list(frame["moment"]) == [
        "Finding the hall",
        "Entering the hall",
        "Greeting at the door (added by North)",
        "Taking a ticket and waiting",
        "The result at the counter",
        "The data-service demo",
        "Buying a phone",
        "Leaving",
    ]
    assert list(frame["stage"][:4]) == ["Before the queue"] * 3 + ["The queue"]
    by_moment = frame.set_index("moment")
    # greeting: V01 5, V02 2, V05 4, V06 1; wait: V02 1, V03 4, V06 2 (H1's visits in the period)
    assert by_moment.loc["Greeting at the door (added by North)", "ratings"] == 4
    assert by_moment.loc["Greeting at the door (added by North)", "mean_score"] == pytest.approx(3.0)
    assert by_moment.loc["Greeting at the door (added by North)", "low_share"] == pytest.approx(50)
    assert by_moment.loc["Taking a ticket and waiting", "mean_score"] == pytest.approx(7 / 3)
    assert by_moment.loc["Entering the hall", "ratings"] == 0
    assert (
        "Alpha Hall's journey has 8 key moments, 7 of them the study's, which every hall has. Added for it (1): "
        "Greeting at the door (added by North)."
    ) in texts(at.markdown)
    # the unhappy visits (exit 1-2) of H1 with two moments or more before the exit: V02 (peak 3,
    # greeting 2, wait 1: wait lowest) and V06 (peak 2, greeting 1, wait 2: greeting lowest)
    assert (
        "Of 2 unhappy visits (an exit score of 1–2, at least two moments rated before the exit), the moment "
        "rated lowest before the exit was most often Greeting at the door (added by North) (50%). Next came "
        "Taking a ticket and waiting (50%)."
    ) in texts(at.markdown)
    assert "Mean score of each key moment (in journey order, on a 1–5 scale)" in chart_titles(at)
    assert by_moment.loc["Taking a ticket and waiting", "unhappy_lowest"] == pytest.approx(50)
    # staff x every moment of the journey rated, in journey order (S1, S2 serve H1's visits)
    [grid] = [json.loads(c.proto.spec) for c in at.get("plotly_chart")
              if "Staff x key moment" in unwrap_title(json.loads(c.proto.spec)["layout"]["title"]["text"])]
    assert [unwrap_title(y) for y in grid["data"][0]["y"]][:3] == [
        "Finding the hall", "Greeting at the door (added by North)", "Taking a ticket and waiting"]
    assert grid["data"][0]["x"] == ["王芳", "李娜"]  # the name; "王芳 · S1" on hover
    assert grid["data"][0]["customdata"][0][0].startswith("王芳 · S1 · ")
    # the numbers first: a phone shows only the first columns
    [table] = [d for d in at.dataframe if "unhappy_lowest" in d.value.columns]
    assert list(table.proto.column_order)[:3] == ["moment", "mean_score", "ratings"]


def test_too_few_unhappy_visits_say_so(open_moments):
    assert ("Only 2 unhappy visits (an exit score of 1–2) rated two moments or more before the exit, fewer than "
            "10: too few to say where the journey went wrong.") in texts(open_moments("H1").markdown)


def test_halls_of_other_regions_dont_show_it_and_chinese_reads_the_same(open_moments):
    south = _table(open_moments("H3"))
    assert "Greeting at the door (added by North)" not in list(south["moment"])
    assert len(south) == 7
    zh = _table(open_moments("H1", lang="zh"))
    assert list(zh["moment"])[:3] == ["寻找营业厅", "进厅", "迎宾（North增加）"]
    assert list(zh["stage"])[-1] == "离店"


def test_regional_compares_every_moment_and_labels_the_regions_own(db_path, fresh_caches, monkeypatch):  # noqa: F811
    from pathlib import Path

    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    set_language("zh")  # switch_page runs the page without app.py: its default language
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90)
    sign_in_apptest(at, "hq")
    at.query_params["min_n"] = "1"
    at.query_params["region"] = "North,South"
    at.session_state["regional_open_moments"] = True
    at.switch_page("pages/regional.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    [table] = [d.value for d in at.dataframe if "营业厅" in d.value.columns and "寻找营业厅" in d.value.columns]
    greeting = "迎宾 *"
    assert list(table.columns) == ["营业厅", "寻找营业厅", greeting, "取号等候", "柜台办理", "数据业务体验", "购机",
                                   "离开"]
    by_hall = table.set_index("营业厅")
    # greeting: H1's V01 5, V02 2, V05 4, V06 1; H2 has it in its journey but no rating; H3 doesn't have it
    assert by_hall[greeting].iloc[0] == pytest.approx(3.0)
    assert by_hall[greeting].isna().iloc[1:].all()
    # find: H1's V01 4; H3's V12 5 (South rates the study's moments too)
    assert by_hall["寻找营业厅"].dropna().tolist() == [4.0, 5.0]
    assert any(c.value == "标 * 的关键时刻只有部分营业厅有：迎宾（North增加）（3 个厅中 2 个有）。" for c in at.caption)
    assert any(c.value == "本时段没有评分的关键时刻（未列出）：进厅。" for c in at.caption)


@pytest.fixture()
def open_explore(db_path, monkeypatch):
    """Explore on this module's database, signed in as the head office, in `lang`."""
    from conftest import ROOT

    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    st_cache_clear()

    def open_explore(lang: str, opened=(), **query):
        set_language(lang)
        at = AppTest.from_file(str(ROOT / "pages" / "explore.py"), default_timeout=90)
        return run_signed_in(at, "hq", lang, opened, query)

    yield open_explore
    st_cache_clear()


def st_cache_clear() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def test_explore_compares_every_moment_by_its_grouping(open_explore):
    at = open_explore("zh", opened=("xp_open_moments",), period="all", by="hall", min_n="1")
    assert "各关键时刻（按营业厅）" in [e.label for e in at.expander]
    [table] = [d.value for d in at.dataframe if "迎宾（North增加）" in d.value.columns]
    by_hall = table.set_index("营业厅")
    assert by_hall["迎宾（North增加）"].dropna().tolist() == [3.0]  # H1's four ratings; H2 none; H3 not its own
    assert by_hall["取号等候"].dropna().tolist() == [pytest.approx(7 / 3), 1.0]  # H1: 1, 4, 2; H3: V13's 1


def test_one_visits_journey_lists_every_moment_it_rated(open_explore):
    at = open_explore("en", period="all", by="hall", visit="V01")
    [rated] = [d.value for d in at.dataframe if list(d.value.columns) == ["moment", "score", "comment"]]
    # V01 (bill payment, H1): find 4, greeting 5 from the file; its peak (the counter) and exit 5, 5
    assert rated.values.tolist()[:2] == [["Finding the hall", "4 / 5", None], ["Greeting at the door (added by North)",
                                                                                "5 / 5", None]]
    assert [r[0] for r in rated.values.tolist()[2:]] == ["The result at the counter", "Leaving"]
