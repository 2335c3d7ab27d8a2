"""The hostile fixture of tests/test_text_is_text.py (every text field holds Markdown, HTML,
a link and a formula) in a real browser: no link to evil.example, no bold or tag from the
data, no script run, on every page, including a link whose values are hostile. At 1440 px
only: the server sends the same elements at every width (nothing in peakend/ asks for the
screen's size), so a phone's page holds the same text; test_browser_demo.py walks every
page at 390 px. Screenshots go to test-artifacts/hostile_*.png."""

from __future__ import annotations

import shutil

import pytest

from conftest import screenshot, sign_in, start_server, stop_servers, wait_for_app
from peakend.warehouse.db import Database
from test_text_is_text import URL_HOSTILE, _load_hostile

pytestmark = pytest.mark.browser

PAGES = [
    ("", "hq", ""),  # the network overview (home) is at /
    ("hall", "hq", "hall=H9&from=2026-03-02&to=2026-03-08"),
    ("regional", "hq", "from=2026-03-02&to=2026-03-08&min_n=1"),
    ("insights", "hq", "hall=H9&from=2026-03-02&to=2026-03-08"),
    ("explore", "hq", "hall=H9&from=2026-03-02&to=2026-03-08&by=hall&by2=staff"),
    ("explore", "hq", "from=2026-03-02&to=2026-03-08&by=hall"),
    ("explore", "hq", "hall=" + URL_HOSTILE.replace(" ", "%20") + "&visit=" + URL_HOSTILE.replace(" ", "%20")),
    ("data", "admin", ""),
]

# what the data would turn into if it acted: a link out, bold or a tag's element, Plotly's
# bold tspan; each returns the offending elements' text
ACTING = """() => {
  // the data's own <b>tag</b> and **bold** acting would leave an element holding just that
  // word (the app's own bold titles and labels may hold the hostile text, shown literally)
  const out = [];
  for (const a of document.querySelectorAll('a[href*="evil.example"]')) out.push('link: ' + a.outerHTML.slice(0, 120));
  for (const b of document.querySelectorAll('b, strong, em, i')) {
    if (/^(tag|bold)$/.test((b.textContent || '').trim())) out.push('bold: ' + b.outerHTML.slice(0, 120));
  }
  for (const s of document.querySelectorAll('svg tspan')) {
    const style = s.getAttribute('style') || '';
    if (/font-weight:\\s*bold/.test(style) && (s.textContent || '').trim() === 'tag') out.push('plotly bold: ' + s.textContent);
  }
  for (const s of document.querySelectorAll('script')) {
    if ((s.textContent || '').includes('alert(1)')) out.push('script: ' + s.textContent.slice(0, 80));
  }
  return out;
}"""


@pytest.fixture(scope="module")
def hostile_url(fixture_db_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_browser")
    path = folder / "hostile.duckdb"
    shutil.copyfile(fixture_db_file, path)
    db = Database(path)
    _load_hostile(db, folder)
    db.close()
    proc, url = start_server(path)
    yield url
    stop_servers([(proc, url)])


def test_the_hostile_fixture_reads_as_text_on_every_page(browser, hostile_url, subtests):
    dialogs: list[str] = []
    for width, height in ((1440, 1000),):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        pg = context.new_page()
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        signed_in_as = None
        try:
            for i, (page, user, query) in enumerate(PAGES):
                with subtests.test(page=page, width=width, query=query[:30]):
                    url = f"{hostile_url}/{page}?lang=en" + (f"&{query}" if query else "")
                    if user != signed_in_as:
                        sign_in(pg, url, user)
                        signed_in_as = user
                    else:
                        pg.goto(url)
                        wait_for_app(pg)
                    pg.wait_for_timeout(1200)  # charts draw a moment after the script ends
                    screenshot(pg, f"hostile_{page or 'home'}_{i}_{width}")
                    assert pg.evaluate(ACTING) == []
                    if page == "explore" and "by=hall" in query:
                        # a bar's or a heatmap cell's hover label names the hall: as text there too
                        bars = pg.locator(".js-plotly-plot .bars path")
                        if bars.count() == 0:
                            bars = pg.locator(".js-plotly-plot .nsewdrag")
                        assert bars.count() > 0
                        hovered = []
                        for k in range(min(bars.count(), 4)):
                            bars.nth(k).scroll_into_view_if_needed()
                            box = bars.nth(k).bounding_box()
                            if box and box["width"] > 2 and box["height"] > 2:
                                pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                                pg.wait_for_timeout(400)
                                hovered.append(pg.evaluate(
                                    "() => Array.from(document.querySelectorAll('.hoverlayer')).map(h => h.textContent).join(' ')"))
                                assert pg.evaluate(ACTING) == []
                        assert any("<b>tag</b>" in h for h in hovered), hovered  # the tag as text
                    if page == "data":  # each tab: the history (a hostile file's name), targets, purposes
                        for tab in ("Load history", "Targets", "Purposes"):
                            pg.get_by_role("tab", name=tab).click()  # the page reruns, drawing that tab
                            wait_for_app(pg)
                            pg.wait_for_timeout(300)
                            screenshot(pg, f"hostile_data_{tab.split()[-1].lower()}_{width}")
                            assert pg.evaluate(ACTING) == []
                    body = pg.evaluate("document.body.textContent")
                    if "hall=H9" in query:  # (the regional league table is drawn on a canvas)
                        assert "[Session expired - sign in again](https://evil.example/login)" in body  # as typed
                    if URL_HOSTILE.split(" ")[0] in query.replace("%20", " "):
                        assert "Session expired - sign in again" in body  # named in the "ignored" warning
                    assert dialogs == []
        finally:
            context.close()
