"""The today panel in Chromium (issue 18, point 5): at 390 and 1440 px, in Chinese and
English, on a server whose clock is Tuesday 2027-01-05 10:00 in Asia/Shanghai (the day of
tests/test_hall_today.py's visits); then a visit posted to the ingest API shows up on the
open page without a reload, within 35 s (the panel refreshes itself every 15 s)."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from conftest import screenshot, sign_in, start_server, stop_servers, wait_for_app
from peakend.warehouse import sources
from test_hall_today import build_today_db

pytestmark = pytest.mark.browser
CLOCK_AT = datetime(2027, 1, 5, 2, 0)  # UTC: 10:00 in Shanghai


@pytest.fixture(scope="module")
def today_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_today")
    db = build_today_db(folder)
    token = sources.add_source(db, "h1-queue", ["H1"], "test")
    db.close()
    clock_file = folder / "clock"
    clock_file.write_text(str((CLOCK_AT - datetime.now(UTC).replace(tzinfo=None)).total_seconds()))
    proc, url = start_server(folder / "fixture.duckdb", {"PEAKEND_CLOCK_FILE": str(clock_file)})
    _OFFSETS[url] = timedelta(seconds=float(clock_file.read_text()))
    yield url, token
    stop_servers([(proc, url)])


def _local_clock(url: str) -> datetime:
    """The server's clock in Shanghai: the real time plus the offset in its clock file. (A
    start time taken when this module was imported ran ahead of the server's clock by the
    minutes between collection and the fixture: a visit posted "now" then arrived after the
    server's now, and was not counted among today's arrivals.)"""
    return datetime.now(UTC).replace(tzinfo=None) + _OFFSETS[url] + timedelta(hours=8)


_OFFSETS: dict[str, timedelta] = {}


# each language at one width (the panel's words don't depend on the width, its layout does)
@pytest.mark.parametrize(("width", "lang"), [(390, "zh"), (1440, "en")])
def test_the_panel_on_a_phone_and_a_desk(browser, today_server, width, lang):
    url, _ = today_server
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    pg = context.new_page()
    try:
        sign_in(pg, f"{url}/hall?lang={lang}", "h1")
        pg.wait_for_selector(".st-key-hall_today [data-testid='stMetric']", timeout=60_000)
        wait_for_app(pg)
        panel = pg.locator(".st-key-hall_today")
        text = panel.inner_text()
        labels = {"en": ("Today at Alpha Hall", "Waiting now", "Counters serving now", "Latest exit comments"),
                  "zh": ("今日实况：Alpha Hall", "正在等候", "正在服务的柜台", "最新离店留言")}[lang]
        for label in labels:
            assert label in text, (label, text[:400])
        assert pg.locator("[data-testid='stException']").count() == 0
        # first on the page: the panel is above the hall picker
        panel_top = panel.bounding_box()["y"]
        picker_top = pg.locator("[data-testid='stSelectbox']").first.bounding_box()["y"]
        assert panel_top < picker_top
        if width == 390:  # the four tiles two to a row, nothing wider than the phone
            tiles = pg.locator(".st-key-hall_today [data-testid='stMetric']")
            boxes = [tiles.nth(i).bounding_box() for i in range(4)]
            assert boxes[0]["y"] == pytest.approx(boxes[1]["y"], abs=4) and boxes[2]["y"] > boxes[0]["y"] + 20
            assert pg.evaluate("document.documentElement.scrollWidth") <= width + 1
        screenshot(pg, f"today-{width}-{lang}")
    finally:
        context.close()


def test_a_posted_visit_shows_without_a_reload(browser, today_server):
    url, token = today_server
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-US")
    pg = context.new_page()
    try:
        sign_in(pg, f"{url}/hall?lang=en", "h1")
        pg.wait_for_selector(".st-key-hall_today [data-testid='stMetric']", timeout=60_000)
        panel = pg.locator(".st-key-hall_today")
        assert "Arrivals today\n\n4" in panel.inner_text() or "\n4\n" in panel.inner_text()
        left = _local_clock(url).replace(microsecond=0) - timedelta(seconds=5)
        body = json.dumps({"visit_id": "T9", "hall_id": "H1", "arrived_at": f"{left - timedelta(minutes=9)}",
                           "purpose": "enquiry", "called_at": f"{left - timedelta(minutes=6)}",
                           "service_started_at": f"{left - timedelta(minutes=6)}",
                           "service_ended_at": f"{left - timedelta(minutes=1)}", "left_at": f"{left}",
                           "counter_id": "C1", "exit_score": 5, "exit_comment": "posted now"}).encode() + b"\n"
        req = urllib.request.Request(f"{url}/api/v1/visits", data=body, method="POST")
        req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Content-Type", "application/x-ndjson")
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert json.loads(resp.read())["accepted"]["visit_ids"] == ["T9"]
        posted = time.monotonic()
        shows = f"Newest data: {left:%Y-%m-%d %H:%M:%S}"
        while shows not in panel.inner_text():
            assert time.monotonic() - posted < 35, panel.inner_text()[:300]
            pg.wait_for_timeout(250)
        # the rest of the same refresh (its elements arrive one after another)
        arrivals = pg.locator(".st-key-hall_today [data-testid='stMetric']").nth(3)
        while arrivals.inner_text().split()[-1] != "5":
            assert time.monotonic() - posted < 45, arrivals.inner_text()
            pg.wait_for_timeout(250)
        screenshot(pg, "today-390-en-after-post")
    finally:
        context.close()
