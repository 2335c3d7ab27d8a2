"""Day notes (issue 17, point 5): written by whoever manages the hall, audited, listed for
the period, and their `leave_out` hours left out of the numbers when asked.

Hand-derived from tests/fixture/visits.csv: H1 has V01-V04 on 2 March (V03 and V04 at 10:xx),
V05 on 3 March and V06-V07 on 8 March; exit scores 5, 2, 4, -, 4, 1, -.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from peakend.core.filters import VisitFilter
from peakend.warehouse.accounts import audit_entries, get_user
from peakend.warehouse.day_notes import NoteError, add_note, remove_note

H1 = VisitFilter(halls=("H1",))


def _headline(db, f: VisitFilter):
    row = db.query("metrics_by_group", f, group_1=None, group_2=None).iloc[0]
    return int(row["visits"]), round(float(row["exit_mean"]), 4)


def test_leave_out_notes_take_their_hours_out_of_the_numbers(fixture_db, subtests):
    admin = get_user(fixture_db, "admin")
    assert _headline(fixture_db, H1) == (7, 3.2)
    add_note(fixture_db, admin, "H1", date(2026, 3, 3), "promotion", "new phone launch")  # kept in
    add_note(fixture_db, admin, "H2", date(2026, 3, 8), "outage", "H2's own day", leave_out=True)
    cases = [
        ("no note left out yet", None, (7, 3.2)),
        ("8 March left out: V06 and V07 go", ("H1", date(2026, 3, 8), None), (5, 3.75)),
        ("and 10:00-10:59 on 2 March: V03 and V04 go too", ("H1", date(2026, 3, 2), (10, 10)), (3, 3.6667)),
    ]
    for label, note, expected in cases:
        with subtests.test(label):
            if note is not None:
                add_note(fixture_db, admin, note[0], note[1], "outage", label, hours=note[2], leave_out=True)
            assert _headline(fixture_db, H1.replace(skip_noted=True)) == expected
            assert _headline(fixture_db, H1) == (7, 3.2)  # without the switch every visit counts
    assert VisitFilter(skip_noted=False) == VisitFilter()  # one cache key for "keep every visit"


def test_notes_are_listed_for_the_period_and_scope(fixture_db):
    admin = get_user(fixture_db, "admin")
    add_note(fixture_db, admin, "H1", date(2026, 3, 8), "outage", "queue system down", hours=(9, 11), leave_out=True)
    add_note(fixture_db, admin, "H1", date(2026, 3, 2), "staffing", "two new staff")
    add_note(fixture_db, admin, "H3", date(2026, 3, 2), "holiday", "H3's note")
    notes = fixture_db.query("hall_day_notes", VisitFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 8),
                                                           halls=("H1",)))
    hours = [None if pd.isna(h) else int(h) for h in notes["hour_from"]]
    assert list(zip(notes["day"].astype(str), notes["kind"], notes["note"], hours)) == [
        ("2026-03-02", "staffing", "two new staff", None), ("2026-03-08", "outage", "queue system down", 9),
    ]
    from peakend.core.scope import Scope

    mine = fixture_db.query("hall_day_notes", VisitFilter(), Scope.halls(["H1", "H2"]))
    assert sorted(mine["hall_id"]) == ["H1", "H1"]  # H3's note is outside the scope


def test_who_may_write_and_every_change_audited(fixture_db):
    h1, north, hq = (get_user(fixture_db, u) for u in ("h1", "north", "hq"))
    note_id = add_note(fixture_db, h1, "H1", date(2026, 3, 2), "other", "fire drill at 10", hours=(10, 10))
    add_note(fixture_db, north, "H2", date(2026, 3, 2), "staffing", "one counter closed")
    add_note(fixture_db, hq, "H3", date(2026, 3, 2), "holiday", "local holiday")
    refused = [
        (lambda: add_note(fixture_db, h1, "H3", date(2026, 3, 2), "other", "x"), "not in h1's halls"),
        (lambda: add_note(fixture_db, north, "H3", date(2026, 3, 2), "other", "x"), "not in north's halls"),
        (lambda: add_note(fixture_db, hq, "H1", date(2026, 3, 2), "party", "x"), "kind 'party'"),
        (lambda: add_note(fixture_db, hq, "H1", date(2026, 3, 2), "other", "  "), "1 to 500 characters"),
        (lambda: add_note(fixture_db, hq, "H1", date(2026, 3, 2), "other", "x" * 501), "1 to 500 characters"),
        (lambda: add_note(fixture_db, hq, "H1", date(2026, 3, 2), "other", "x", hours=(12, 9)), "hours 12-9"),
        (lambda: add_note(fixture_db, hq, "H9", date(2026, 3, 2), "other", "x"), "unknown hall H9"),
        (lambda: remove_note(fixture_db, get_user(fixture_db, "h2h3"), note_id), "not in h2h3's halls"),
        (lambda: remove_note(fixture_db, hq, 999), "no day note 999"),
    ]
    for attempt, message in refused:
        with pytest.raises(NoteError, match=message):
            attempt()
    remove_note(fixture_db, h1, note_id)
    assert sorted(fixture_db.query("hall_day_notes", VisitFilter())["hall_id"]) == ["H2", "H3"]
    actions = [(user, action) for _, user, action, _ in audit_entries(fixture_db, limit=10)
               if action.startswith("day_note")]
    assert actions == [("h1", "day_note_remove"), ("hq", "day_note_add"), ("north", "day_note_add"),
                       ("h1", "day_note_add")]


# -- on the hall page (AppTest) --------------------------------------------------------------
@pytest.fixture()
def hall_page(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from conftest import sign_in_apptest
    from fixture_db import build_fixture_db
    from peakend.core.i18n import set_language
    from test_hall_page import hall_app

    path = tmp_path / "fixture.duckdb"
    build_fixture_db(path).close()
    monkeypatch.setenv("PEAKEND_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()

    def open_page(user: str, lang: str = "en", **query):
        set_language(lang)
        at = AppTest.from_function(hall_app, default_timeout=90)
        sign_in_apptest(at, user)
        at.session_state["lang"] = lang
        for key in ("hall_open_queue", "hall_open_exit"):
            at.session_state[key] = True
        for name, value in query.items():
            at.query_params[name] = value
        at.run()
        assert not at.exception, at.exception
        return at

    yield open_page
    st.cache_data.clear()
    st.cache_resource.clear()
    set_language("zh")


def _visits(at) -> str:
    return next(m.value for m in at.metric if m.label == "Visits")


def _trace(at, title_start: str, name: str):
    import json

    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"]["title"]["text"].replace("<br>", "").startswith(title_start):
            return next((tr for tr in spec["data"] if tr.get("name") == name), None)
    raise AssertionError(f"no chart titled {title_start}")


def test_a_manager_notes_an_outage_sees_it_on_the_trends_and_leaves_it_out(hall_page):
    week = {"hall": "H1", "from": "2026-03-01", "to": "2026-03-08"}
    at = hall_page("h1", **week)
    assert _visits(at) == "7" and not at.toggle  # no note yet: no switch
    at.date_input(key="hall_note_day").set_value(date(2026, 3, 8))
    at.selectbox(key="hall_note_kind").set_value("outage")
    at.checkbox(key="hall_note_whole").uncheck()
    at.slider(key="hall_note_hours").set_value((11, 11))
    at.text_input(key="hall_note_text").input("queue system down <b>11-12</b> [x](https://evil.example)")
    at.checkbox(key="hall_note_leave_out").check()
    next(b for b in at.button if b.label == "Save the note").click().run()
    assert not at.exception, at.exception

    at = hall_page("h1", **week)
    labels = [e.label for e in at.expander]
    assert "Day notes (1 in this period)" in labels
    listed = [m.value for m in at.markdown if "queue system down" in m.value]
    # the note's text is data: shown as literal text, no bold and no link
    assert listed and "\\<b\\>" in listed[0] and "\\](https" in listed[0]  # escaped: no bold, no link
    mark = _trace(at, "Mean exit score over time", "Day note")
    assert mark["x"][0].startswith("2026-03-08") and "queue system down" in mark["text"][0]
    assert "&lt;b&gt;" in mark["text"][0] or "<b>" not in mark["text"][0]  # Plotly shows the tag as text
    assert _trace(at, "Median and P90 wait over time", "Day note") is not None
    heat = _trace(at, "Median wait by weekday and hour", None)
    sunday_11 = heat["text"][6][heat["x"].index("11:00")]  # 8 March 2026 is a Sunday
    assert sunday_11.endswith("*") and sum(cell.endswith("*") for row in heat["text"] for cell in row) == 1

    at.toggle(key="hall_skip_noted").set_value(True).run()
    assert _visits(at) == "5"  # V06 (11:00) and V07 (11:05) on 8 March left out

    hq = hall_page("hq", lang="zh", **week)
    assert any("日记事（本时段 1 条）" == e.label for e in hq.expander)
    assert not hall_page("h2h3", **{**week, "hall": "H3"}).toggle  # H1's note is H1's only
