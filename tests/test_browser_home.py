"""The home page in a real browser shows the fixture's real numbers."""

import pytest

from conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_home_shows_loaded_data_and_headline(page, app_url):
    sign_in(page, app_url + "/?lang=en", "hq")  # head office sees every hall
    body = page.locator("[data-testid='stMain']").inner_text()
    # 3 halls, 2 regions, 3 cities, 13 visits (tests/fixture/visits.csv).
    assert "Loaded: 3 halls in 2 regions and 3 cities, 13 visits" in body
    # The last 30 days of the fixture hold all 13 visits: median wait 7.0 min, NPS +11.
    cards = page.locator("[data-testid='stMetric']")
    # the cards are drawn in turn (on a busy machine a moment after the run): the last one first
    cards.filter(has_text="NPS").first.wait_for(timeout=60_000)
    texts = [cards.nth(i).inner_text() for i in range(cards.count())]
    assert any("Median wait" in x and "7.0 min" in x for x in texts), texts
    assert any("P90 wait" in x and "21.0 min" in x for x in texts), texts
    assert any("Service level" in x and "50.0%" in x for x in texts), texts
    assert any("NPS" in x and "+11" in x for x in texts), texts
    screenshot(page, "home_en")


def test_language_switch_changes_labels_not_numbers(page, app_url):
    sign_in(page, app_url + "/?lang=zh", "hq")
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "网络概览" in body
    assert "13 人次" in body or "13" in body
    cards = page.locator("[data-testid='stMetric']")
    cards.first.wait_for(timeout=60_000)  # drawn a moment after the run on a busy machine
    texts = [cards.nth(i).inner_text() for i in range(cards.count())]
    assert any("等候中位数" in x and "7.0 分钟" in x for x in texts), texts
    screenshot(page, "home_zh")
