"""Streamlit's legacy `pages/` trap, several visitors at once: after a restart, everyone who
opens a page URL while the first visit is still running must get the sign-in form and the
app's navigation too, not the legacy file-name menu (see peakend/ui/legacy_pages.py).

tests/test_browser_navigation.py checks one first visitor per fresh server; this one lets
several arrive together, which is how the managers come back after a restart (and how the
bench's concurrency part lost 3 of its 20 sessions)."""

import shutil

import pytest

from conftest import wait_for_app

pytestmark = pytest.mark.browser

FORM = "[data-testid='stForm'] input[type='password']"
MENU = "[data-testid='stSidebarNav'] a"


def test_page_urls_opened_together_on_a_fresh_server_all_show_the_sign_in_form(browser, fixture_db_file, tmp_path):
    from conftest import start_server

    db = shutil.copy(fixture_db_file, tmp_path / "first-visits.duckdb")  # one process per DuckDB file
    proc, url = start_server(db)
    contexts = []
    try:
        pages = []
        for i, path in enumerate(["/hall", "/regional", "/hall", "/regional", "/insights", "/hall"]):
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
            context.set_default_timeout(180_000)
            contexts.append(context)
            pg = context.new_page()
            pg.goto(f"{url}{path}?lang=en", wait_until="commit")  # don't wait: all load together
            pages.append((path, pg))
        for path, pg in pages:
            pg.wait_for_selector(f"{FORM}, {MENU}")  # the sign-in form, or the legacy menu
            wait_for_app(pg, timeout=180_000)
            menu = [m.strip() for m in pg.locator(MENU).all_inner_texts()]
            assert menu == [], f"{path} opened with others on a fresh server showed the menu {menu}"
            pg.wait_for_selector(FORM)  # widgets load lazily in a busy browser
            assert pg.url.endswith(f"{path}?lang=en")
            assert "Traceback" not in pg.locator("[data-testid='stMain']").inner_text()
    finally:
        for context in contexts:
            context.close()
        proc.terminate()
        proc.wait(timeout=10)
