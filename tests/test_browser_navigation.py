"""Streamlit's legacy `pages/` trap: the first visitor of a fresh server who opens a page URL
directly must get the same navigation as everyone else (see peakend/ui/legacy_pages.py)."""

import pytest

from conftest import sign_in, start_server, wait_for_app
from peakend.ui.navigation import PAGES

pytestmark = pytest.mark.browser


def _menu_on_fresh_server(browser, db_file, path):
    proc, url = start_server(db_file)
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.goto(url + path)
        wait_for_app(pg)
        # Signed out, every URL shows the sign-in form and no menu at all (not the legacy one).
        pg.wait_for_selector("[data-testid='stForm'] input[type='password']", timeout=180_000)
        wait_for_app(pg)
        assert pg.locator("[data-testid='stSidebarNav'] a").all_inner_texts() == []
        sign_in(pg, url + path, "hq")  # head office: every page is offered
        menu = pg.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
        main = pg.locator("[data-testid='stMain']").inner_text()
        context.close()
        return menu, main
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_every_page_url_opened_first_shows_the_app_navigation(browser, fixture_db_file, tmp_path):
    # Its own copy: DuckDB lets one process open a file, and the shared test server may be
    # holding the session's fixture file.
    import shutil

    fixture_db_file = shutil.copy(fixture_db_file, tmp_path / "navigation.duckdb")
    home_menu, _ = _menu_on_fresh_server(browser, fixture_db_file, "/?lang=en")
    legacy_names = {"app"} | {spec.file.split("/")[-1].removesuffix(".py") for spec in PAGES}
    for spec in PAGES:
        if spec.default:
            continue
        menu, main = _menu_on_fresh_server(browser, fixture_db_file, f"/{spec.key}?lang=en")
        assert menu == home_menu, f"/{spec.key} opened first showed {menu}, not {home_menu}"
        assert "app" not in [m.strip() for m in menu]
        assert not (set(m.strip() for m in menu) & legacy_names - {t.strip() for t in home_menu})
        assert "Traceback" not in main
