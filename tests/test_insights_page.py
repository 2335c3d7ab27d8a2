"""The insights page and the home page's "Needs attention" in AppTest, on the fixture
(hand-derived numbers in tests/test_insights_staffing.py and test_insights_attention.py)."""

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import run_signed_in
from fixture_db import build_fixture_db
from peakend.charts.theme import unwrap_title
from peakend.core.i18n import set_language

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    # A copy of our own: the browser tests' server holds a lock on the shared one.
    path = tmp_path_factory.mktemp("insights_page") / "fixture.duckdb"
    build_fixture_db(path).close()
    return path


def page_app():
    # What app.py does: the language, the signed-in user, every page registered and a role's
    # refusal. Tests open a page with AppTest.switch_page on its absolute path, which goes
    # through st.navigation (on app.py itself it would run pages/ files as legacy pages).
    import streamlit as st

    from peakend.ui.auth import refresh_session, run_page_if_allowed
    from peakend.ui.navigation import PAGES, ROOT
    from peakend.ui.session import init_language

    init_language()
    user = refresh_session()
    pages = [st.Page(str(ROOT / s.file), url_path=s.key, default=s.default) for s in PAGES]
    run_page_if_allowed(st.navigation(pages, position="hidden"), user)


@pytest.fixture()
def open_app(db_path, monkeypatch):
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    st.cache_data.clear()
    st.cache_resource.clear()

    def open_app(user="hq", lang="en", page="insights", opened=(), **query):
        # AppTest formats widget values in the test's thread: give it the page's language.
        set_language(lang)
        at = AppTest.from_function(page_app, default_timeout=90)
        if page:
            at.switch_page(str(ROOT / "pages" / f"{page}.py"))
        return run_signed_in(at, user, lang, opened, query)

    yield open_app
    set_language("zh")
    st.cache_data.clear()
    st.cache_resource.clear()


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def chart_titles(at):
    # titles are wrapped with <br> to fit a phone (peakend.charts.theme.wrap_title)
    return [unwrap_title(json.loads(c.proto.spec)["layout"]["title"]["text"]) for c in at.get("plotly_chart")]


def staffing_summary(at) -> str:
    return next(m.value for m in at.markdown if "Counter-hours" in m.value)


OPENED = ("insights_open_rule", "insights_open_tolerance")


def test_the_page_reads_top_to_bottom(open_app):
    at = open_app(opened=OPENED)
    assert [h.value for h in at.header] == [
        "What to fix first: the moments that matter",
        "Staffing (排班): how many counters each hour needs",
    ]
    # then two sections drawn when opened
    assert [e.label for e in at.expander if e.label != "How this is worked out"][-2:] == [
        "Does the peak-end rule hold here?",
        "Wait tolerance: when does the wait start to hurt the visit?",
    ]
    # head office lands on the first hall (North, Alpha Hall) and the last 30 days
    assert at.selectbox(key="hall").value == "H1"
    captions = "\n".join(c.value for c in at.caption)
    assert "Alpha Hall (North), Feb 7, 2026 to Mar 8, 2026." in captions
    # 13 visits can't carry the statistics, and the page says so instead of guessing
    assert "Too little data in this period to rank the moments" in at.info[0].value
    assert "**Too little data in Alpha Hall to say.** 5 served visits" in markdown(at)
    assert "too few ratings (2; at least 200 needed)" in markdown(at)
    assert "Alpha Hall, Mondays: counters needed and in use, by hour" in chart_titles(at)


def test_staffing_what_if_changes_the_need_at_once(open_app):
    at = open_app()
    # H1's busiest weekday is Monday: 2 counters needed at 09:00 and at 10:00
    assert at.selectbox(key="insights_weekday").value == 1
    assert "Counter-hours over the day to call 80% of visits within 10 min, by the Erlang C model: 4 needed; 3.0 were in use." in staffing_summary(at)
    assert "**Understaffed** hours: 10:00." in markdown(at)
    table = at.dataframe[1].value  # the to-do evidence first, then the staffing table
    assert table["needed"].tolist() == [2, 2] and table["in_use"].tolist() == [2.0, 1.0]
    # a 99% target needs three counters each hour
    at.slider(key="insights_level_target_H1").set_value(99).run()
    assert "to call 99% of visits within 10 min, by the Erlang C model: 6 needed" in staffing_summary(at)
    # and service 50% faster (with the target back at 80%) one counter each hour
    at.slider(key="insights_level_target_H1").set_value(80)
    at.select_slider(key="insights_service_change_H1").set_value(-50).run()
    assert "by the Erlang C model: 2 needed" in staffing_summary(at)
    # 09:00: 2 in use, 1 needed, but only 1/2 called within 10 min: not "overstaffed"
    assert "**the target was missed**, so they are not called overstaffed: 09:00." in markdown(at)
    assert "**Overstaffed**" not in markdown(at)
    assert at.query_params["weekday"] == "1"


def test_a_call_centre_target_of_80_percent_in_20_seconds(open_app):
    """Issue 14: "80% within 20 s" can be entered and is shown as such, and Erlang C uses 20 s."""
    from peakend.insights.erlang import Queue, counters_needed

    at = open_app()
    at.selectbox(key="insights_wait_unit_H1").set_value("s").run()
    assert at.number_input(key="insights_wait_target_s_H1").value == 600  # the hall's 10 min, in seconds
    at.number_input(key="insights_wait_target_s_H1").set_value(20).run()
    assert "to call 80% of visits within 20 s, by the Erlang C model" in staffing_summary(at)
    # Monday at H1: 2 arrivals an hour, 16 min service (960 s)
    needed = counters_needed(2, 960, 20, 0.8)
    table = at.dataframe[1].value
    assert table["needed"].tolist() == [needed, needed]
    assert table["expected_level"].tolist() == pytest.approx([Queue(2, 960, needed).service_level(20) * 100] * 2)
    # 2 counters: 1 - 0.1123 exp(-(2 - 0.5333) x 20 / 960) = 0.891 (at 20 min it would be 0.9999)
    assert needed == 2 and table["expected_level"].tolist() == pytest.approx([89.11] * 2, abs=0.01)
    # the observed service level is at 20 s too: nobody on Monday was called that fast
    assert table["observed_service_level"].tolist() == [0.0, 0.0]


def test_a_link_opens_a_hall_and_a_weekday(open_app):
    at = open_app(hall="H3", weekday="7")
    assert at.selectbox(key="hall").value == "H3"
    assert at.selectbox(key="insights_weekday").value == 7
    # H3 on Sunday: V13 arrived 12:00 and waited 30 min, service 20 min
    assert "Gamma Hall, Sundays in this period (days with visits: 1)" in staffing_summary(at)


def test_a_hall_manager_sees_only_their_hall(open_app):
    at = open_app(user="h1")
    assert at.selectbox(key="hall").options == ["Alpha Hall · North"]
    # their scope holds no other hall: the statistics can only be about this hall
    assert at.get("button_group")[0].options == ["This hall"]
    captions = "\n".join(c.value for c in at.caption)
    assert "Benchmark: Alpha Hall's own targets." in captions
    assert "slopes from Alpha Hall's own 5 served visits" in captions


def test_head_office_can_widen_the_statistics(open_app):
    at = open_app(level="all", opened=OPENED)
    # all 13 visits, 9 with the three scores: still too few, said for the whole area
    assert "**Too little data in all 3 halls in your view to say.** 9 served visits" in markdown(at)
    assert at.query_params["level"] == "all"


def test_chinese_labels(open_app):
    at = open_app(lang="zh")
    assert at.title[0].value == "洞察与排班"  # one line, on a phone too
    assert "全天需要 4 个柜台·小时；实际使用了 3.0 个柜台·小时" in staffing_summary_zh(at)


def staffing_summary_zh(at) -> str:
    return next(m.value for m in at.markdown if "柜台·小时" in m.value)


def test_a_data_admin_may_not_open_it(open_app):
    at = open_app(user="admin")
    # the refusal's wording is the sign-in page's; it names the roles that may open it
    [refusal] = [e.value for e in at.error]
    assert "Hall manager" in refusal and "Head office" in refusal and "Data admin" in refusal
    assert not at.header  # none of the page's sections ran


def test_home_lists_the_halls_that_need_attention(open_app):
    at = open_app(page=None)
    section = [m.value for m in at.markdown]
    # every fixture hall missed a queue target (tests/test_insights_attention.py) in the
    # overview's period: the session's one period, the last 30 days on a first visit
    assert any(v.startswith("**Alpha Hall** · North") and "Queue" in v for v in section)
    assert any(v.startswith("**Gamma Hall** · South") for v in section)
    assert any("Median wait 20.0 min against a target of 10.0 min (n = 2)" in v for v in section)
    subheaders = [s.value for s in at.subheader]
    assert "Needs attention: Feb 7, 2026 to Mar 8, 2026" in subheaders
    at.selectbox(key="period").select("last_7_days").run()
    assert "Needs attention: Mar 2, 2026 to Mar 8, 2026" in [s.value for s in at.subheader]
    # a hall manager's list holds their hall only
    mine = [m.value for m in open_app(user="h1", page=None).markdown]
    assert any(v.startswith("**Alpha Hall**") for v in mine)
    assert not any(v.startswith("**Gamma Hall**") or v.startswith("**Beta Hall**") for v in mine)


STATISTICS_WORDS = ("OLS", "least squares", "95% CI", "1 SD", "standard deviation", "broken-stick",
                    "regression", "confidence interval", "shrunken", "R²")


def _texts_outside_expanders(node) -> list[str]:
    out = []
    for child in getattr(node, "children", {}).values():
        if type(child).__name__ == "Expander":
            continue
        value = getattr(child, "value", None)
        if isinstance(value, str):
            out.append(value)
        out += _texts_outside_expanders(child)
    return out


@pytest.mark.parametrize("lang", ["en"])
def test_it_speaks_a_store_managers_words_with_the_method_one_click_away(open_app, lang):
    at = open_app(lang=lang, level="all", opened=OPENED)
    said = "\n".join(_texts_outside_expanders(at.main))
    assert said, "nothing read off the page"
    for word in STATISTICS_WORDS:
        assert word not in said, word
    headers = " ".join(json.dumps(json.loads(d.proto.columns)) for d in at.dataframe)
    for word in ("95% CI", "1 SD", "Knee"):
        assert word not in headers, word
    methods = [e for e in at.expander if e.label == "How this is worked out"]
    assert len(methods) == 2  # the peak-end check and the wait tolerance
    method_text = " ".join(c.value for e in at.expander for c in e.caption)
    assert "ordinary least squares" in method_text and "broken-stick" in method_text


def test_the_tolerance_reads_the_moment_chosen_and_a_link_keeps_it(open_app):
    at = open_app(opened=OPENED)
    picker = at.selectbox(key="insights_read")
    # the peak, each moment of the hall's journey from the queue on that a file rates, the exit
    assert picker.options == ["The peak moment (each purpose's own)", "Taking a ticket and waiting", "The exit"]
    assert "the peak score that people gave" in "\n".join(c.value for c in at.caption)
    picker.select("exit").run()
    assert at.query_params["read"] == "exit"
    captions = "\n".join(c.value for c in at.caption)
    assert "Per purpose: the exit score that people gave after each minute of waiting" in captions
    # served visits with an exit score and a wait in the last 30 days of H1, by purpose
    assert "**Bill payment**: too few ratings (2; at least 200 needed)" in markdown(at)
    again = open_app(opened=OPENED, read="exit")
    assert again.selectbox(key="insights_read").value == "exit"
