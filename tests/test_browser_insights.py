"""The staffing view and the needs-attention list in a real browser, on the fixture
(numbers derived in tests/test_insights_staffing.py and tests/test_insights_attention.py)."""

import pytest

from conftest import screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser


def main_text(pg) -> str:
    return pg.locator("[data-testid='stMain']").inner_text()


def test_staffing_view_recomputes_when_the_target_changes(page, app_url):
    sign_in(page, app_url + "/insights?lang=en&hall=H1&weekday=1", "h1")  # the manager of H1
    text = main_text(page)
    assert "Staffing (排班): how many counters each hour needs" in text
    assert ("Alpha Hall, Mondays in this period (days with visits: 1). Counter-hours over the day to call "
            "80% of visits within 10 min, by the Erlang C model: 4 needed; 3.0 were in use.") in text
    assert "Understaffed hours: 10:00." in text
    chart = page.locator("[data-testid='stPlotlyChart']").filter(has_text="counters needed and in use")
    # Plotly draws its SVG a moment after the script run ends.
    chart.first.wait_for(state="visible", timeout=60_000)
    assert chart.count() == 1 and chart.is_visible()
    assert "Needed (Erlang C)" in chart.inner_text() and "In use: Understaffed" in chart.inner_text()

    # The service-level target to its maximum (99%) with the keyboard: three counters an hour.
    thumb = page.get_by_role("slider", name="Service-level target")
    thumb.focus()
    thumb.press("End")
    wait_for_app(page)
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stMain']\").innerText.includes('to call 99% of visits')",
        timeout=30_000,
    )
    text = main_text(page)
    assert "to call 99% of visits within 10 min, by the Erlang C model: 6 needed" in text
    assert "Understaffed hours: 09:00, 10:00." in text
    assert "weekday=1" in page.url and "hall=H1" in page.url
    page.set_viewport_size({"width": 1400, "height": 3600})
    page.locator("[data-testid='stHeading']").filter(has_text="Staffing (").scroll_into_view_if_needed()
    screenshot(page, "insights_staffing_en")


def test_needs_attention_leads_to_what_to_fix_first(page, app_url):
    sign_in(page, app_url + "/?lang=en&period=last_7_days", "hq")  # a link's period counts
    text = main_text(page)
    assert "Needs attention: Mar 2, 2026 to Mar 8, 2026" in text
    assert "Median wait 20.0 min against a target of 10.0 min (n = 2)" in text  # Gamma Hall
    page.locator("a[href*='insights'][href*='hall=H3']").filter(has_text="What to fix first").click()
    wait_for_app(page)
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stMain']\").innerText.includes('Gamma Hall (South)')",
        timeout=30_000,
    )
    assert "hall=H3" in page.url
    page.set_viewport_size({"width": 1400, "height": 4200})
    screenshot(page, "insights_fixture_en")
