"""The comment tagger (peakend.hall.themes), the themes command and the Chinese comment
search, as tables of given comment -> expected mentions."""

from __future__ import annotations

import io
import json

import pytest

from peakend.hall import themes as hall_themes
from peakend.hall import themes_cli
from peakend.core.comment_search import search_patterns, search_terms
from peakend.core.filters import VisitFilter

W, S, E, V, P, D, R, N = ("waiting", "staff_attitude", "expertise", "environment", "price_deal",
                          "device_stock", "process", "network")
NEG, POS, NEU = "negative", "positive", "neutral"

# comment -> {theme: polarity} (the comment-level verdict per theme); {} means no theme
CASES = {
    "negation": [
        ("办理不慢，十分钟搞定", {W: POS, E: POS}),  # 搞定: it got done
        ("没等多久就叫到我了", {W: POS}),
        ("排队不是很久", {W: POS}),
        ("一点都不热情", {S: NEG}),
        ("价格不贵，挺实惠", {P: POS}),
        ("厕所没打扫干净", {V: NEG}),
        ("The wait wasn't too long", {W: POS}),
        ("Not the friendliest staff", {S: NEG}),
        ("问题到现在还没解决", {E: NEG}),
    ],
    "degree": [
        ("排队太久了", {W: NEG}),
        ("柜员非常耐心", {S: POS}),
        ("大厅很吵", {V: NEG}),
        ("套餐有点贵", {P: NEG}),
        ("服务员特别热情", {S: POS}),
        ("Way too expensive", {P: NEG}),
    ],
    "context": [
        ("快递很快", {}),
        ("生日快乐", {}),
        ("网速很慢", {N: NEG}),
        ("窗口外面风景不错", {}),
        ("半天房费要另算", {}),
        ("午休只开了两个窗口", {W: NEG}),
        ("The waiter was friendly", {S: POS}),
        ("等了快一个小时", {W: NEG}),
        ("好久没来了，环境还是那么干净", {V: POS}),
        ("牛肉烤太久了", {}),
        ("等级很高", {}),
        ("服务费太贵", {P: NEG}),
        ("My internet is slow", {N: NEU}),
    ],
    "polarity per mention": [
        ("排队两个半小时，但菜很好吃", {W: NEG}),
        ("虽然等了半小时，不过柜员服务很热情", {W: NEG, S: POS}),
        ("Long wait, but the staff made up for it", {W: NEG, S: POS}),
        ("工作人员态度很好，但是办事效率真的慢", {S: POS, W: NEG}),
        ("手机没货，白来", {D: NEG}),
        ("手续太复杂了，来回跑了三趟", {R: NEG}),
        ("服务一般", {S: NEU}),
    ],
    "english": [
        ("Waited 40 minutes, rude staff", {W: NEG, S: NEG}),
        ("In and out in ten minutes", {W: POS}),
        ("Great deal on the new plan", {P: POS}),
        ("The phone I wanted was out of stock", {D: NEG}),
        ("Too much paperwork", {R: NEG}),
        ("Clean, bright hall", {V: POS}),
        ("Nobody could answer my question", {E: NEG}),
    ],
    "traditional characters": [
        ("排隊排了好久", {W: NEG}),
        ("服務態度很差", {S: NEG}),
    ],
}


def test_the_tagger_reads_each_case(subtests):
    for group, cases in CASES.items():
        for comment, expected in cases:
            with subtests.test(group=group, comment=comment):
                got = hall_themes.theme_polarity(hall_themes.mentions_of(comment))
                assert got == expected


def test_each_mention_names_the_clause_it_was_read_from():
    mentions = hall_themes.mentions_of("排队两个半小时，但菜很好吃")
    assert [m.as_json() for m in mentions] == [{"theme": W, "polarity": NEG, "evidence": "排队两个半小时"}]
    (quick,) = [m for m in hall_themes.mentions_of("Rude staff but quick") if m.theme == W]
    assert quick.evidence == "quick"  # the contrast word is not part of the evidence


def test_normalising_keeps_offsets():
    text = "排隊ＡＢＣ，等了很久"
    assert len(hall_themes.normalise(text)) == len(text)
    assert hall_themes.normalise(text) == "排队abc,等了很久"


def test_themes_of_keeps_other_for_no_theme():
    assert hall_themes.themes_of("很满意！") == ("other",)
    assert hall_themes.themes_of("") == ("other",)


def test_the_themes_command_writes_one_json_line_per_comment():
    out = io.StringIO()
    code = themes_cli.run(None, stdin=io.StringIO("排队两个半小时，但菜很好吃\n\nRude staff\n"), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 0
    assert lines == [
        {"themes": [{"theme": W, "polarity": NEG, "evidence": "排队两个半小时"}]},
        {"themes": []},
        {"themes": [{"theme": S, "polarity": NEG, "evidence": "Rude staff"}]},
    ]


def test_the_themes_command_is_on_the_command_line():
    from peakend.cli import COMMANDS

    assert COMMANDS["themes"][0] == "peakend.hall.themes_cli"


@pytest.mark.parametrize(
    "query, terms",
    [("排队好久", ["排队", "好久"]), ("rude staff", ["rude", "staff"]), ("排隊", ["排队"]), ("!!", [])],
)
def test_search_terms(query, terms):
    assert search_terms(query) == terms


def test_search_patterns_match_both_scripts_and_any_case():
    import re

    (pattern,) = search_patterns("排队")
    assert re.search(pattern.removeprefix("(?i)"), "排隊排了好久") and re.search(pattern.removeprefix("(?i)"), "排队")
    assert search_patterns("  ") is None
    assert VisitFilter(comment_contains="排队好久").as_params()["comment_contains"] == search_patterns("排队好久")


def test_comment_search_in_sql_finds_words_apart_and_traditional_forms(fixture_db):
    # the fixture's V02 says 排队太久了
    def found(query):
        f = VisitFilter(halls=("H1",), comment_contains=query)
        return list(fixture_db.query("hall_exit_comments", f, limit=None)["visit_id"])

    assert found("排隊") == ["V02"]
    assert found("排队 太久") == ["V02"]
    assert found("排队太久") == ["V02"]
    assert found("排队 好慢") == []
