"""The explore page in a real browser: build a view by hand, drill into a group and open a
visit, then open the page's link in a new browser context and see the same view."""

from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser


def wait_for_link(pg, fragment: str) -> None:
    """The page writes its state to the URL at the end of a run: wait for it, then settle."""
    try:
        pg.wait_for_function("f => decodeURIComponent(location.search).includes(f)", arg=fragment, timeout=60_000)
    except Exception:
        screenshot(pg, "explore_link_failed")
        raise
    wait_for_app(pg)


def choose(pg, key: str, option: str) -> None:
    box = pg.locator(f".st-key-{key} [role='combobox']")
    box.click()
    pg.get_by_role("option", name=option, exact=True).click()
    try:
        pg.wait_for_function("([el, v]) => el.value === v", arg=[box.element_handle(), option], timeout=5_000)
    except Exception:
        screenshot(pg, f"explore_choose_failed_{key}")
        raise


def click_first_row(pg, key_prefix: str) -> None:
    """Tick the selection box of a dataframe's first row (the grid is drawn on a canvas)."""
    grid = pg.locator(f"[class*='st-key-{key_prefix}'] [data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 16, box["y"] + 35 + 17)


def visible_view(pg) -> dict:
    """What the page shows: the result table's cells, the chart's texts, the captions, the
    journey and the controls."""
    wait_for_app(pg)
    # The grid's cells reach the accessibility tree a moment after the run ends.
    pg.wait_for_selector("[class*='st-key-xp_result_'] [role='gridcell']", state="attached", timeout=60_000)
    return {
        "result": pg.locator("[class*='st-key-xp_result_'] [role='gridcell']").all_text_contents(),
        "chart": pg.locator("[data-testid='stPlotlyChart'] text").all_text_contents(),
        "captions": pg.locator("[data-testid='stMain'] [data-testid='stCaptionContainer']").all_text_contents(),
        "markdown": pg.locator("[data-testid='stMain'] [data-testid='stMarkdownContainer']").all_text_contents(),
        "metrics": pg.locator("[data-testid='stMain'] [data-testid='stMetric']").all_text_contents(),
        "group_by": pg.locator(".st-key-xp_by input").input_value(),
        "weekday_mon": pg.locator(".st-key-xp_weekday button", has_text="Mon").get_attribute("kind"),
    }


def test_a_view_built_by_hand_opens_the_same_from_its_link(browser, page, app_url):
    sign_in(page, app_url + "/explore?lang=en", "hq")
    choose(page, "xp_by", "Hall")
    wait_for_link(page, "by=hall")
    page.locator(".st-key-xp_weekday button", has_text="Mon").click()
    wait_for_link(page, "weekday=1")
    choose(page, "xp_chart", "P90 wait")
    wait_for_link(page, "chart=wait_p90_min")
    # the chart's measure reruns only the chart's fragment, which rewrites the link to share too
    assert "chart=wait_p90_min" in page.locator("[data-testid='stCode']").first.text_content()
    click_first_row(page, "xp_result_")  # Alpha Hall: its Monday visits
    wait_for_link(page, "g1=H1")
    click_first_row(page, "xp_visits_")  # the newest of them: V04, who gave up at 10:20
    wait_for_link(page, "visit=V04")
    built = visible_view(page)
    screenshot(page, "explore_built_en")

    # the export of the matching visits holds the drilled group's 4 visits, nothing else
    with page.expect_download(timeout=60_000) as download:
        page.locator(".st-key-xp_export_visits_csv button").click()
    exported = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert exported[0].startswith("visit_id,arrived_at,hall_id")
    assert sorted(line.split(",")[0] for line in exported[1:]) == ["V01", "V02", "V03", "V04"]
    assert download.value.suggested_filename == "peakend-2026-02-07_2026-03-08-visits.csv"

    # Mondays by hall (fixture): H1 4 visits (V01-V04), H2 2 (V08, V09), H3 1 (V12);
    # P90 waits: H1 4 12 6 -> 10.8; H2 3 8 -> 7.5; H3 10 -> 10.0
    assert built["result"][:2] == ["Alpha Hall · Harbin", "4"]
    assert {"10.8 min", "7.5 min", "10.0 min"} <= set(built["chart"])
    assert "P90 wait by Hall" in built["chart"]
    assert any("The 4 visits of Alpha Hall · Harbin" in m for m in built["markdown"])
    assert any("V04" in m and "Enquiry" in m for m in built["markdown"])
    assert any("Gave up after" in m and "15.0 min" in m for m in built["metrics"])

    # the link a colleague gets: the code block holds the same view as the address bar
    shared = page.locator("[data-testid='stCode']").first.text_content().strip()
    address = page.url
    own = parse_qs(urlsplit(address).query)
    own.pop("lang", None)
    assert parse_qs(urlsplit(shared).query) == own

    colleague = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        other = colleague.new_page()
        sign_in(other, address, "hq")
        opened = visible_view(other)
        screenshot(other, "explore_link_reopened_en")
        assert opened == built
        assert parse_qs(urlsplit(other.url).query) == parse_qs(urlsplit(address).query)
    finally:
        colleague.close()
