"""The morning brief and the wall sheet (peakend/brief) on the hand-checked fixture: the
periods, the numbers (the hall page's, from the same named queries), and the PDFs rendered,
read back as text (pdftotext) and looked at as images (pdftoppm).

H1 (Alpha Hall) on Mon 2026-03-02 (tests/test_hall_queries.py has the table): V01-V04;
waits 4, 12 and 6 min (V04 gave up after 15): median 6.0 min; 1 of 4 gave up (25.0%);
peak scores 5, 3, 4 (4.00); exit scores 5, 2, 4 (3.67). Its worst hour is 09:00 (V01, V02:
median wait 8.0 min), whose comments are "Fast and polite" and "排队太久了".
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from conftest import ARTIFACTS
from fixture_db import build_fixture_db
from peakend.brief import documents, logic, render
from peakend.brief.pdf import to_pdf
from peakend.cli import main
from peakend.core.halls import first_row, hall_row
from peakend.core.i18n import set_language
from peakend.core.metrics import METRICS
from peakend.core.scope import Scope
from peakend.hall.logic import hall_filter

MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)
OTHER_HALLS = ("Beta Hall", "Gamma Hall", "H2", "H3")


@pytest.fixture(scope="module")
def db():
    database = build_fixture_db()
    yield database
    database.close()


@pytest.fixture()
def lang():
    def use(language: str) -> str:
        set_language(language)
        return language

    yield use
    set_language("zh")


def as_manager_of(db, hall_id: str):
    """What the hall's own manager sees: the query layer's scope is the one hall."""
    scope = Scope.halls([hall_id])
    return functools.partial(db.query, scope=scope), db.query("halls_in_scope", scope=scope)


def pdf_text(pdf: bytes, tmp_path: Path, name: str) -> tuple[str, int, list[Path]]:
    """The PDF's text, its page count, and each page as a PNG at 80 dpi (kept as artifacts)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(path), str(tmp_path / name)], check=True)
    images = sorted(tmp_path.glob(f"{name}-*.png"))
    ARTIFACTS.mkdir(exist_ok=True)
    for image in images:
        shutil.copy(image, ARTIFACTS / f"pdf-{image.name}")
    return " ".join(text.split()), pages, images


def assert_a4_with_ink(image: Path) -> None:
    with Image.open(image) as im:
        # A4 at 80 dpi: 661 x 935 px
        assert abs(im.width - 661) <= 2 and abs(im.height - 935) <= 2
        grey = im.convert("L")
        # something is drawn in the top and the middle of the page, and nothing runs off the right edge
        for box in ((0, 0, im.width, im.height // 4), (0, im.height // 4, im.width, im.height // 2)):
            assert grey.crop(box).getextrema()[0] < 128
        assert grey.crop((im.width - 20, 0, im.width, im.height - 40)).getextrema()[0] > 200


def test_a_day_brief_compares_with_the_day_before_and_a_week_earlier():
    p = logic.brief_period(MONDAY)
    assert (p.kind, p.start, p.end) == ("day", MONDAY, MONDAY)
    assert p.previous == (date(2026, 3, 1), date(2026, 3, 1))
    assert p.earlier == (date(2026, 2, 23), date(2026, 2, 23))
    assert p.ranks == (date(2026, 2, 24), MONDAY)


def test_read_on_a_monday_the_brief_is_the_week_that_ended_on_sunday():
    p = logic.brief_period(SUNDAY)
    assert (p.kind, p.start, p.end) == ("week", MONDAY, SUNDAY)
    assert p.previous == (date(2026, 2, 23), date(2026, 3, 1))
    assert p.earlier == (date(2026, 2, 2), date(2026, 2, 8))
    assert logic.brief_period(date(2026, 3, 4), "week").start == MONDAY  # asked for: the week around it


def test_the_brief_numbers_are_the_hall_pages_for_the_same_day(db, lang):
    lang("en")
    query, halls = as_manager_of(db, "H1")
    brief = logic.gather(query, hall_row(halls, "H1"), logic.brief_period(MONDAY))
    # the hall page's own question for that day: metrics_by_group over hall_filter
    page = first_row(db.query("metrics_by_group", hall_filter("H1", MONDAY, MONDAY), Scope.halls(["H1"]),
                              group_1=None, group_2=None))
    tiles = {tile.key: tile for tile in brief.tiles}
    for key, tile in tiles.items():
        assert tile.shown == METRICS[key].format(page[key])
    assert {k: tiles[k].shown for k in ("wait_median_min", "abandonment_rate", "peak_mean", "exit_mean")} == {
        "wait_median_min": "6.0 min", "abandonment_rate": "25.0%", "peak_mean": "4.00", "exit_mean": "3.67",
    }
    assert brief.visits == 4
    assert tiles["abandonment_rate"].status == "red"  # 25% against a maximum of 10% (amber to 15%)
    assert tiles["exit_mean"].thin and tiles["exit_mean"].status is None  # 3 exit ratings, under 30
    assert brief.worst_hour is not None and brief.worst_hour.span == "09:00–10:00"
    assert sorted(c for _, c in brief.worst_hour.comments) == ["Fast and polite", "排队太久了"]
    # nothing the day before or a week earlier
    assert {c.key: c.previous for c in brief.changes}["visits"] == "–"


@pytest.mark.parametrize("language, words", [
    ("en", ("Morning brief", "Alpha Hall", "What changed", "The worst hour: 09:00–10:00", "Fast and polite",
            "Rank among peers (anonymised)", "The three things to fix first")),
    ("zh", ("晨会简报", "Alpha Hall", "变化", "最差时段：09:00–10:00", "排队太久了", "在同行中的排名（匿名）",
            "最该改进的三件事")),
])
def test_the_brief_is_one_a4_page_with_the_days_numbers(db, lang, tmp_path, language, words):
    lang(language)
    query, halls = as_manager_of(db, "H1")
    pdf = documents.brief_pdf(query, halls, "H1", MONDAY)
    text, pages, images = pdf_text(pdf, tmp_path, f"brief-H1-{language}")
    assert pages == 1 and len(images) == 1
    assert_a4_with_ink(images[0])
    for word in words:
        assert word in text
    # the tiles as the hall page formats them; the worst hour's median wait
    for shown in ("6.0", "25.0%", "4.00", "3.67", "8.0"):
        assert shown in text
    # no other hall is named: the peers are ranks only (and the fixture's groups are too small)
    for other in OTHER_HALLS:
        assert other not in text


def test_the_chart_is_vector(db, lang):
    lang("en")
    query, halls = as_manager_of(db, "H1")
    brief = logic.gather(query, hall_row(halls, "H1"), logic.brief_period(MONDAY))
    paper = render.brief_document([brief])
    assert "<svg" in paper and "<img" not in paper
    assert "data:image/svg+xml;base64," in render.brief_body(brief, screen=True)  # the page shows the same SVG
    assert b"/Subtype /Image" not in to_pdf(paper)  # drawn, not pasted as pixels


def test_a_weekly_brief_on_monday_covers_the_week(db, lang, tmp_path):
    lang("en")
    query, halls = as_manager_of(db, "H1")
    text, pages, _ = pdf_text(documents.brief_pdf(query, halls, "H1", SUNDAY), tmp_path, "brief-week")
    assert pages == 1
    assert "The week Mon 2 Mar 2026 to Sun 8 Mar 2026" in text and "7 visits" in text
    assert "vs the week before" in text


def test_the_wall_sheet_shows_every_key_moment_against_its_target(db, lang, tmp_path):
    lang("en")
    query, halls = as_manager_of(db, "H1")
    sheet = logic.wall_sheet(query, hall_row(halls, "H1"), SUNDAY)
    assert [m.moment for m in sheet.moments] == [
        "find", "enter", "wait", "counter_result", "data_experience", "phone_purchase", "exit"]
    assert (sheet.start, sheet.end) == (date(2026, 2, 9), SUNDAY)  # 4 weeks
    by = {m.moment: m for m in sheet.moments}
    assert by["find"].tile is None and by["enter"].tile is None  # no ratings of them, and said so
    # H1's 4 weeks are its 7 visits: waits 4, 12, 6, 2, 20 -> median 6.0 min (target 10: green),
    # but 2 of 7 gave up (28.6%, max 10%): the queue is marked by its worst number, red
    assert (by["wait"].tile.shown, by["wait"].tile.status) == ("6.0 min", "red")
    assert by["exit"].tile.thin  # 5 exit ratings
    text, pages, images = pdf_text(documents.wall_pdf(query, halls, "H1", SUNDAY), tmp_path, "wall-H1-en")
    assert pages == 1
    assert_a4_with_ink(images[0])
    for word in ("Service blueprint and baselines", "Finding the hall", "Entering", "Waiting",
                 "Peak: the result at the counter", "Peak: the data-service demo", "Peak: buying a phone",
                 "The exit", "Team action:", "no customer rating", "6.0 min"):
        assert word in text


def test_the_wall_sheet_shows_finding_and_entering_as_their_customers_rate_them(fixture_db, lang, tmp_path):
    from peakend.warehouse.ingest import load_files

    ratings = tmp_path / "ratings.csv"
    ratings.write_text("visit_id,moment,score\nV01,find,4\nV02,find,2\nV03,enter,5\n", encoding="utf-8")
    [loaded] = load_files(fixture_db, [ratings], "tester")  # a copy of its own: db is the module's
    assert loaded.rows_loaded == 3
    lang("en")
    query, halls = as_manager_of(fixture_db, "H1")
    by = {m.moment: m for m in logic.wall_sheet(query, hall_row(halls, "H1"), SUNDAY).moments}
    assert (by["find"].tile.shown, by["find"].tile.n, by["find"].tile.status) == ("3.00", 2, None)
    assert by["find"].detail == "only 2 ratings (under 30): not judged"
    assert (by["enter"].tile.shown, by["enter"].tile.n) == ("5.00", 1)


def test_the_command_line_writes_both_pdfs(tmp_path, lang):
    path = tmp_path / "fixture.duckdb"
    build_fixture_db(path).close()
    brief, wall = tmp_path / "brief.pdf", tmp_path / "wall.pdf"
    assert main(["brief", "H1", "--date", "2026-03-02", "--lang", "en", "--db", str(path), "--out", str(brief)]) == 0
    assert main(["wall-sheet", "H1", "--lang", "zh", "--db", str(path), "--out", str(wall)]) == 0
    lang("zh")
    text, pages, _ = pdf_text(wall.read_bytes(), tmp_path, "wall-cli")
    assert pages == 1 and "服务蓝图与基准值" in text
    a3 = tmp_path / "wall-a3.pdf"
    assert main(["wall-sheet", "H1", "--paper", "A3", "--db", str(path), "--out", str(a3)]) == 0
    _, pages, [image] = pdf_text(a3.read_bytes(), tmp_path, "wall-a3")
    with Image.open(image) as im:
        assert pages == 1 and (abs(im.width - 935) <= 2, abs(im.height - 1323) <= 2) == (True, True)  # A3 at 80 dpi
    text, pages, _ = pdf_text(brief.read_bytes(), tmp_path, "brief-cli")
    assert pages == 1 and "Morning brief" in text and "6.0 min" in text
    assert main(["brief", "NOPE", "--db", str(path), "--out", str(brief)]) == 2
    # as a named user: only within their scope (h1 manages H1 alone; north sees H1 and H2)
    assert main(["brief", "H2", "--user", "h1", "--db", str(path), "--out", str(brief)]) == 2
    assert main(["wall-sheet", "H3", "--user", "north", "--db", str(path), "--out", str(wall)]) == 2
    assert main(["brief", "--region", "North", "--user", "north", "--date", "2026-03-02", "--lang", "en",
                 "--db", str(path), "--out", str(brief)]) == 0
    text, pages, _ = pdf_text(brief.read_bytes(), tmp_path, "region-cli")
    assert pages == 3 and "Beta Hall" in text and "Gamma Hall" not in text


def test_a_regions_briefs_start_with_a_cover_that_ranks_its_halls(db, lang, tmp_path):
    lang("en")
    scope = Scope.halls(["H1", "H2"])  # North's manager
    query, halls = functools.partial(db.query, scope=scope), db.query("halls_in_scope", scope=scope)
    text, pages, _ = pdf_text(documents.region_pdf(query, halls, "North", MONDAY), tmp_path, "region-North")
    assert pages == 3  # the cover, then H1 and H2
    assert "Morning briefs · North" in text and "Gamma Hall" not in text


def test_a_hall_outside_the_scope_gets_no_brief(db):
    query, halls = as_manager_of(db, "H1")
    with pytest.raises(LookupError):
        documents.brief_pdf(query, halls, "H3", MONDAY)
    with pytest.raises(LookupError):
        documents.wall_pdf(query, halls, "H3", SUNDAY)


def line(moment, status, value, benchmark, gain, n=100):
    from peakend.insights.moments import Line

    return Line(moment=moment, status=status, value=value, median=None, n=n, benchmark=benchmark, share=1.0,
                index_slope=None, nps_slope=None, gain_index=(gain, gain / 2, gain * 2) if gain else None,
                gain_nps=None)


def test_the_three_to_fix_are_the_insights_lists_first_three_in_a_sentence_each(lang):
    lang("en")
    lines = [  # as todo_list orders them: gains first, largest first
        line("exit", "gain", 3.6, 4.1, 0.2), line("wait", "gain", 12.0, 8.0, 0.1),
        line("counter_result", "gain", 3.9, 4.2, 0.05), line("phone_purchase", "gain", 4.0, 4.1, 0.01),
        line("data_experience", "at_benchmark", 4.5, 4.2, None),
    ]
    fixes, note = logic.top_fixes(lines, "top_quartile")
    assert note is None and len(fixes) == 3
    assert fixes[0].startswith("Exit moment: 3.60 here against 4.10 at the benchmark")
    assert "+0.20 to the peak-end index" in fixes[0]
    assert fixes[1].startswith("Wait: mean wait 12.0 min here against 8.0 min at the benchmark")
    assert all(f.count(". ") == 0 and f.endswith(").") for f in fixes)  # one sentence each
    fixes, note = logic.top_fixes(lines[:1] + lines[4:], "top_quartile")
    assert len(fixes) == 1 and note == "Only 1 moment(s) have a measurable gain; the others are at the benchmark or have too little data."
    assert logic.top_fixes(lines[4:], "targets") == ([], logic.t("brief.fix.none_targets"))


def test_what_the_data_says_is_shown_as_text_never_as_markup(db, lang):
    """A hall name or comment with markup in it (the data is anyone's typing) stays text."""
    import dataclasses

    lang("en")
    query, halls = as_manager_of(db, "H1")
    brief = logic.gather(query, hall_row(halls, "H1"), logic.brief_period(MONDAY))
    assert brief.worst_hour is not None
    evil = dataclasses.replace(
        brief,
        hall_name="<script>alert(1)</script>",
        worst_hour=dataclasses.replace(brief.worst_hour, comments=[("1", '<img src=x onerror="alert(2)">')]),
    )
    for html in (render.brief_body(evil, screen=True), render.brief_document([evil])):
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_open_tasks_and_the_days_notes_are_in_the_brief(lang, tmp_path):
    import peakend.auth  # noqa: F401  (the sign-in package first: accounts' import order)
    from peakend.warehouse.accounts import get_user
    from peakend.warehouse.day_notes import add_note
    from peakend.warehouse.tasks import add_task, close_task

    database = build_fixture_db(tmp_path / "fixture.duckdb")
    h1 = get_user(database, "h1")
    add_task(database, h1, "H1", "exit", "S1", MONDAY, date(2026, 3, 16), "see every customer off")
    done = add_task(database, h1, "H1", "wait", "S2", MONDAY, date(2026, 3, 9), "a done one")
    close_task(database, h1, done)
    add_note(database, h1, "H1", MONDAY, "outage", "queue system down 10-11", hours=(10, 10))
    add_note(database, h1, "H1", date(2026, 3, 3), "other", "the next day's note")
    query, halls = as_manager_of(database, "H1")
    pdf = documents.brief_pdf(query, halls, "H1", MONDAY)
    text, pages, _ = pdf_text(pdf, tmp_path, "brief_tasks_notes")
    assert pages == 1
    assert "进行中的任务" in text and "see every customer off" in text and "a done one" not in text
    assert "日记事" in text and "queue system down 10-11" in text and "the next day's note" not in text
    database.close()
