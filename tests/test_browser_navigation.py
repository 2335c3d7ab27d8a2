"""Streamlit's legacy `pages/` trap: the first visitor of a fresh server who opens a page URL
directly must get the same navigation as everyone else (see peakend/ui/legacy_pages.py)."""

import shutil

import pytest

from conftest import start_servers, stop_servers, submit_sign_in, wait_for_app, wait_signed_in
from peakend.ui.navigation import PAGES

pytestmark = pytest.mark.browser

FORM = "[data-testid='stForm'] input[type='password']"
MENU = "[data-testid='stSidebarNav'] a"


def test_page_urls_opened_first_show_the_app_navigation(browser, fixture_db_file, tmp_path):
    # The trap is the same for every page (Streamlit's legacy scan of pages/ on a fresh
    # server's first run): the home page and two others, a feature page and the admin's.
    others = [spec.key for spec in PAGES if not spec.default]
    paths = ["/?lang=en"] + [f"/{key}?lang=en" for key in (others[0], "data")]
    # One fresh server per URL, started together (their start-ups overlap) and each opened
    # for the first time by its URL below. Each has its own copy of the fixture: DuckDB lets
    # one process open a file, and the shared test server may be holding the session's one.
    dbs = [shutil.copy(fixture_db_file, tmp_path / f"navigation_{i}.duckdb") for i in range(len(paths))]
    servers = start_servers(dbs)
    contexts = []
    try:
        # Each server has exactly one visitor, who opens its URL first; the visits to the
        # different servers run side by side (each step below is taken on every page before
        # the next, so one server's page runs while the others' do).
        pages = []
        for (_, url), path in zip(servers, paths):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(180_000)
            contexts.append(context)
            pg = context.new_page()
            pg.goto(url + path, wait_until="commit")
            pages.append((path, pg))
        for path, pg in pages:
            wait_for_app(pg, timeout=180_000)
            # Signed out, every URL shows the sign-in form and no menu at all (not the legacy one).
            pg.wait_for_selector(FORM, timeout=180_000)
            wait_for_app(pg, timeout=180_000)
            assert pg.locator(MENU).all_inner_texts() == [], f"{path} signed out"
            submit_sign_in(pg, "hq")  # head office: every page is offered
        shown = {}
        for path, pg in pages:
            wait_signed_in(pg)
            shown[path] = (pg.locator(MENU).all_inner_texts(), pg.locator("[data-testid='stMain']").inner_text())
    finally:
        for context in contexts:
            context.close()
        stop_servers(servers)
    home_menu, _ = shown[paths[0]]
    legacy_names = {"app"} | {spec.file.split("/")[-1].removesuffix(".py") for spec in PAGES}
    for path in paths[1:]:
        menu, main = shown[path]
        assert menu == home_menu, f"{path} opened first showed {menu}, not {home_menu}"
        assert "app" not in [m.strip() for m in menu]
        assert not (set(m.strip() for m in menu) & legacy_names - {t.strip() for t in home_menu})
        assert "Traceback" not in main
