"""Tasks given to people (issue 17, point 3): a key moment of a hall handed to a staff
member, and, once closed, whether the fix made a difference against the hall's peers.

The effect check is tried on a demo network, which plants one real improvement (the staff of
DLC01 see customers off properly from 4 weeks before the last day; its exit ratings rise by
the size the generator records in meta.demo_planted_effect) and nothing else.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import sign_in_apptest
from fixture_db import build_fixture_db
from peakend.core.i18n import set_language
from peakend.core.scope import Scope
from peakend.insights.effect import effect
from peakend.ui.navigation import ROOT
from peakend.warehouse.accounts import audit_entries, get_user
from peakend.warehouse.db import Database
from peakend.warehouse.tasks import TaskError, add_task, close_task


def _rows(hall: dict, peers: list[dict]) -> pd.DataFrame:
    """task_effect's rows from (phase -> (n, mean, sd)) of the hall and of each peer."""
    out = []
    for side, no, phases in [("hall", 0, hall)] + [("peer", i + 1, p) for i, p in enumerate(peers)]:
        for phase, (n, mean, sd) in phases.items():
            x = mean * n
            xx = sd**2 * (n - 1) + n * mean**2
            out.append({"hall_id": "H", "side": side, "peer_no": no, "phase": phase, "n": n, "x": x, "xx": xx,
                        "per": 1.0})
    return pd.DataFrame(out)


def test_the_difference_in_differences_by_hand(subtests):
    peers = [{"before": (100, 4.0, 1.0), "after": (100, 4.0 + d, 1.0)} for d in (-0.1, 0.0, 0.1)]
    cases = [
        # hall +0.5, peers +0.0: se = sqrt(0.01 + 0.01 + 0.01 / 3) = 0.15275
        ("a clear rise", "exit", {"before": (100, 4.0, 1.0), "after": (100, 4.5, 1.0)}, peers,
         (0.5, 0.5 - 1.959964 * 0.152753, 0.5 + 1.959964 * 0.152753, "better")),
        ("the same rise of a wait is worse", "wait", {"before": (100, 4.0, 1.0), "after": (100, 4.5, 1.0)}, peers,
         (0.5, None, None, "worse")),
        ("no change", "exit", {"before": (100, 4.0, 1.0), "after": (100, 4.05, 1.0)}, peers,
         (0.05, None, None, "no_difference")),
        ("too few ratings after", "exit", {"before": (100, 4.0, 1.0), "after": (29, 4.5, 1.0)}, peers,
         (None, None, None, "too_little")),
        ("two peers only", "exit", {"before": (100, 4.0, 1.0), "after": (100, 4.5, 1.0)}, peers[:2],
         (None, None, None, "too_little")),
    ]
    for label, moment, hall, peer_rows, (estimate, low, high, verdict) in cases:
        with subtests.test(label):
            e = effect(_rows(hall, peer_rows), moment)
            assert e.verdict == verdict
            if estimate is not None:
                assert e.estimate == pytest.approx(estimate, abs=1e-9)
            if low is not None:
                assert (e.low, e.high) == (pytest.approx(low, abs=1e-5), pytest.approx(high, abs=1e-5))


@pytest.fixture(scope="module")
def planted_demo(tmp_path_factory):
    from peakend.demo.generate import generate_demo

    path = tmp_path_factory.mktemp("planted") / "demo.duckdb"
    db = Database(path)
    generate_demo(db, visits=400_000, seed=7, end_date=date(2026, 12, 1))
    yield db
    db.close()


def test_the_check_finds_the_planted_farewell_and_nothing_else(planted_demo, subtests):
    planted = json.loads(planted_demo.scalar("select value from meta where key = 'demo_planted_effect'"))
    assert planted["hall"] == "DLC01" and planted["moment"] == "exit" and planted["from"] == "2026-11-03"
    starts = date.fromisoformat(planted["from"])
    mine = Scope.halls(["DLC01"])  # a hall manager's scope: the peers come back as sums only

    def check(hall, moment, day=starts):
        rows = planted_demo.query("task_effect", None, mine if hall == "DLC01" else Scope.halls([hall]),
                                  hall_id=hall, moment=moment, starts_on=day, weeks=4)
        assert set(rows["hall_id"]) == {hall}  # every row names the task's hall, no other
        return effect(rows, moment)

    with subtests.test("the farewell task at DLC01, dated the planted day"):
        e = check("DLC01", "exit")
        assert e.verdict == "better" and e.peers == 7
        assert e.low < planted["size"] < e.high, (e, planted)
    for hall, moment in (("DLC01", "counter_result"), ("DLC01", "data_experience"), ("DLC02", "exit")):
        with subtests.test(f"nothing planted: {hall} {moment}"):
            assert check(hall, moment).verdict == "no_difference"
    with subtests.test("a hall outside the scope gives nothing"):
        rows = planted_demo.query("task_effect", None, Scope.halls(["DLC02"]), hall_id="DLC01", moment="exit",
                                  starts_on=starts, weeks=4)
        assert rows.empty


def test_tasks_are_given_to_the_halls_staff_closed_and_audited(tmp_path):
    db = build_fixture_db(tmp_path / "fixture.duckdb")
    h1, north = get_user(db, "h1"), get_user(db, "north")
    task = add_task(db, h1, "H1", "exit", "S1", date(2026, 3, 2), date(2026, 3, 16), "see every customer off")
    refused = [
        (lambda: add_task(db, h1, "H1", "exit", "S3", date(2026, 3, 2), date(2026, 3, 9)), "S3 is not a staff member"),
        (lambda: add_task(db, h1, "H3", "exit", "S5", date(2026, 3, 2), date(2026, 3, 9)), "not in h1's halls"),
        (lambda: add_task(db, h1, "H1", "smile", "S1", date(2026, 3, 2), date(2026, 3, 9)), "moment 'smile'"),
        (lambda: add_task(db, h1, "H1", "exit", "S1", date(2026, 3, 9), date(2026, 3, 2)), "before the start"),
        (lambda: close_task(db, get_user(db, "h2h3"), task), "not in h2h3's halls"),
    ]
    for attempt, message in refused:
        with pytest.raises(TaskError, match=message):
            attempt()
    close_task(db, north, task)
    with pytest.raises(TaskError, match="closed already"):
        close_task(db, h1, task)
    row = db.query("hall_tasks", None).iloc[0]
    assert (row["owner_label"], row["closed_by"], row["note"]) == ("王芳 · S1", "north", "see every customer off")
    actions = [(u, a) for _, u, a, _ in audit_entries(db, limit=5) if a.startswith("task")]
    assert actions == [("north", "task_close"), ("h1", "task_add")]
    db.close()


def test_on_the_insights_page_a_line_becomes_a_task_and_is_closed(tmp_path, monkeypatch):
    from test_insights_page import page_app

    path = tmp_path / "fixture.duckdb"
    build_fixture_db(path).close()
    monkeypatch.setenv("PEAKEND_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()

    def open_page():
        set_language("en")
        at = AppTest.from_function(page_app, default_timeout=90)
        at.switch_page(str(ROOT / "pages" / "insights.py"))
        sign_in_apptest(at, "h1")
        at.session_state["lang"] = "en"
        at.query_params["hall"] = "H1"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    try:
        at = open_page()
        assert "No tasks for this hall yet." in [c.value.split(" Hand")[0] for c in at.caption]
        at.selectbox(key="task_moment").set_value("exit")
        at.selectbox(key="task_owner").set_value("S2")
        at.date_input(key="task_starts").set_value(date(2026, 3, 2))
        next(b for b in at.button if b.label == "Create the task").click().run()
        assert not at.exception, [e.value for e in at.exception]
        at = open_page()
        lines = [m.value for m in at.markdown if "→" in m.value]
        assert lines == ["- Open: Exit moment → 李娜 · S2, from Mar 2, 2026, due Mar 22, 2026"], lines  # due: the last day + 14
        at.button(key="task_close_go").click().run()
        at = open_page()
        done = [m.value for m in at.markdown if "→" in m.value][0]
        assert done.startswith("- Done (h1): Exit moment → 李娜 · S2") and "too little data" in done
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        set_language("zh")


def test_any_moment_of_the_halls_journey_can_be_a_task_and_its_effect_checked(tmp_path):
    """A moment a region added (迎宾, for North) is a task of a North hall, named by the
    catalogue, and its effect check reads the ratings; a South hall has no such moment."""
    from peakend.insights.text import task_line
    from peakend.warehouse import moments
    from peakend.warehouse.ingest import load_files

    db = build_fixture_db(tmp_path / "fixture.duckdb")
    h1, admin = get_user(db, "h1"), get_user(db, "h2h3")
    moments.add_moment(db, "admin", moments.NewMoment("greeting", "迎宾", "Greeting at the door", "before_queue",
                                                      region="North"))
    ratings = tmp_path / "ratings.csv"
    # H1 (North): V01 and V02 on 2 March before the task, V05 on the 3rd and V06 on the 8th after it
    ratings.write_text("visit_id,moment,score\nV01,greeting,2\nV02,greeting,3\nV05,greeting,5\nV06,greeting,4\n",
                       encoding="utf-8")
    [loaded] = load_files(db, [ratings], "tester")
    assert loaded.rows_loaded == 4
    task = add_task(db, h1, "H1", "greeting", "S1", date(2026, 3, 3), date(2026, 3, 10))
    with pytest.raises(TaskError, match="'greeting' is not a key moment of hall H3"):
        add_task(db, admin, "H3", "greeting", "S5", date(2026, 3, 3), date(2026, 3, 10))
    [row] = [r for _, r in db.query("hall_tasks", None).iterrows() if r["task_id"] == task]
    set_language("en")
    try:
        assert task_line(row) == "Greeting at the door → 王芳 · S1, from Mar 3, 2026, due Mar 10, 2026"
    finally:
        set_language("zh")
    rows = db.query("task_effect", hall_id="H1", moment="greeting", starts_on="2026-03-03", weeks=1)
    hall = rows[rows["side"] == "hall"].set_index("phase")
    assert hall.loc["before", ["n", "x", "xx"]].tolist() == [2, 5, 13]
    assert hall.loc["after", ["n", "x", "xx"]].tolist() == [2, 9, 41]
    db.close()
