"""Streamlit's legacy `pages/` trap: the first visitor of a fresh server who opens a page URL
directly must get the same navigation as everyone else (see peakend/ui/legacy_pages.py)."""

import shutil

import pytest

from conftest import sign_in, start_servers, stop_servers, wait_for_app
from peakend.ui.navigation import PAGES

pytestmark = pytest.mark.browser


def _menu_on_fresh_server(browser, url, path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        pg = context.new_page()
        pg.goto(url + path)
        wait_for_app(pg)
        # Signed out, every URL shows the sign-in form and no menu at all (not the legacy one).
        pg.wait_for_selector("[data-testid='stForm'] input[type='password']", timeout=180_000)
        wait_for_app(pg)
        assert pg.locator("[data-testid='stSidebarNav'] a").all_inner_texts() == [], f"{path} signed out"
        sign_in(pg, url + path, "hq")  # head office: every page is offered
        menu = pg.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
        main = pg.locator("[data-testid='stMain']").inner_text()
        return menu, main
    finally:
        context.close()


def test_every_page_url_opened_first_shows_the_app_navigation(browser, fixture_db_file, tmp_path):
    paths = ["/?lang=en"] + [f"/{spec.key}?lang=en" for spec in PAGES if not spec.default]
    # One fresh server per URL, started together (their start-ups overlap) and each opened
    # for the first time by its URL below. Each has its own copy of the fixture: DuckDB lets
    # one process open a file, and the shared test server may be holding the session's one.
    dbs = [shutil.copy(fixture_db_file, tmp_path / f"navigation_{i}.duckdb") for i in range(len(paths))]
    servers = start_servers(dbs)
    try:
        home_menu, _ = _menu_on_fresh_server(browser, servers[0][1], paths[0])
        stop_servers(servers[:1])
        legacy_names = {"app"} | {spec.file.split("/")[-1].removesuffix(".py") for spec in PAGES}
        for (proc, url), path in zip(servers[1:], paths[1:]):
            menu, main = _menu_on_fresh_server(browser, url, path)
            assert menu == home_menu, f"{path} opened first showed {menu}, not {home_menu}"
            assert "app" not in [m.strip() for m in menu]
            assert not (set(m.strip() for m in menu) & legacy_names - {t.strip() for t in home_menu})
            assert "Traceback" not in main
            # done with it: one server fewer competing for the machine
            stop_servers([(proc, url)])
    finally:
        stop_servers(servers)
