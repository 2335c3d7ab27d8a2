"""The app on a phone: 390 px wide, touch. Sign in, switch the language, open the hall page
from the menu and reach the comments of the worst hour; the menu closes after the page
change, charts have no toolbar and readable, uncut titles, and nothing comes from a CDN."""

import pytest

from conftest import ARTIFACTS, fixture_password, wait_for_app

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture()
def phone(browser):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN",
                                  device_scale_factor=1)
    pg = context.new_page()
    pg.outside = []  # requests to anywhere but the app
    yield pg
    context.close()


def tall_screenshot(pg, name: str) -> None:
    """The whole page: Streamlit scrolls inside the page, so grow the window to fit it."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = pg.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    pg.set_viewport_size({"width": PHONE["width"], "height": min(height + 40, 16000)})
    pg.wait_for_timeout(1200)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    pg.set_viewport_size(PHONE)
    pg.wait_for_timeout(500)


def in_view(pg, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1 \
        and 0 <= box["y"] < PHONE["height"]


def test_on_a_phone_sign_in_switch_language_and_reach_the_worst_hours_comments(phone, app_url):
    pg = phone
    pg.on("request", lambda r: None if r.url.startswith(app_url) or r.url.startswith("data:") else pg.outside.append(r.url))
    pg.goto(app_url + "/hall?hall=H1")
    wait_for_app(pg)
    # the language switch is on the sign-in page itself, on the screen (there is no sidebar)
    english = pg.locator("[data-testid='stMain'] button", has_text="English")
    assert in_view(pg, english)
    assert pg.evaluate("document.documentElement.lang") == "zh-CN"
    pg.wait_for_selector("button[aria-label='显示密码']", timeout=60_000)  # drawn a moment later on a busy machine
    assert pg.locator("button[aria-label='显示密码']").count() == 1  # not Streamlit's "Show password"
    english.tap()
    pg.wait_for_function("() => document.body.innerText.includes('Sign in to PeakEnd')", timeout=60_000)
    wait_for_app(pg)
    assert pg.evaluate("document.documentElement.lang") == "en"
    pg.wait_for_selector("button[aria-label='Show password']", timeout=60_000)
    assert pg.locator("button[aria-label='Show password']").count() == 1
    tall_screenshot(pg, "phone_signin_en")

    pg.locator("[data-testid='stForm'] input[type='text']").first.fill("h1")
    pg.locator("[data-testid='stForm'] input[type='password']").fill(fixture_password("h1"))
    pg.locator("[data-testid='stFormSubmitButton'] button").tap()
    pg.wait_for_selector(".st-key-_peakend_sign_out", state="attached", timeout=90_000)
    wait_for_app(pg)
    assert "/hall" in pg.url

    # to the home page and back to the hall page through the menu, as a phone user would
    for target, heading in (("home", "Network overview"), ("hall", "Hall view")):
        pg.locator("[data-testid='stExpandSidebarButton']").tap()
        pg.wait_for_selector("[data-testid='stSidebar'][data-collapsed='false']", timeout=10_000)
        link = pg.locator("[data-testid='stSidebarNav'] a").filter(has_text=heading.split()[0]) \
            if target == "home" else pg.locator("[data-testid='stSidebarNav'] a[href$='/hall']")
        link.first.tap()
        pg.wait_for_function(f"() => document.querySelector('h1')?.innerText.includes({heading!r})", timeout=90_000)
        wait_for_app(pg)
        # the menu closed itself after the page change: it covered 77% of the screen
        pg.wait_for_selector("[data-testid='stSidebar'][data-collapsed='true']", state="attached", timeout=10_000)

    # five tiles, two to a row
    tiles = pg.locator(".st-key-pe_tiles [data-testid='stMetric']")
    assert tiles.count() == 5
    boxes = [tiles.nth(i).bounding_box() for i in range(5)]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[2]["y"] > boxes[0]["y"] + 20
    assert all(b["width"] < PHONE["width"] / 2 for b in boxes)
    labels = [tiles.nth(i).locator("[data-testid='stMetricLabel']").inner_text() for i in range(5)]
    assert labels == ["Visits", "Median wait", "Abandonment", "Exit score", "Peak-end index"]

    # then the worst hour and its comments, comment column first
    worst = pg.locator("h3", has_text="The worst hour: 11:00–12:00")
    comments = pg.locator(".st-key-hall_worst_hour_comments")
    assert worst.count() == 1
    assert worst.bounding_box()["y"] > boxes[4]["y"]
    comments.scroll_into_view_if_needed()
    assert in_view(pg, comments)
    cells = comments.locator("table[role='grid'] tbody tr").first.locator("td").all_inner_texts()
    assert cells[0] == "Waited forever, rude staff", cells
    sections = pg.locator("[data-testid='stExpander'] summary")
    assert comments.bounding_box()["y"] < sections.filter(has_text="Queue").bounding_box()["y"]

    # the sections below the first screen are drawn when opened
    # (has_text is a substring: "The journey" is also in "Every key moment of the journey", drawn first)
    for label in ("Every key moment of the journey", "Queue", "Peak moments", "Exit moment", "The journey"):
        sections.filter(has_text=label).last.click()
        wait_for_app(pg)
    # charts: no toolbar, titles whole and at least 11 px, every text readable, a text alternative
    charts = pg.locator("[data-testid='stPlotlyChart']")
    charts.first.scroll_into_view_if_needed()
    pg.wait_for_selector("[data-testid='stPlotlyChart'] .main-svg", timeout=30_000)
    assert charts.count() >= 8
    # Plotly keeps an empty .modebar-container; the toolbar is its buttons
    assert pg.locator(".modebar-btn").count() == 0
    small = pg.evaluate("""() => [...document.querySelectorAll('[data-testid=stPlotlyChart] svg text')]
        .filter(e => e.textContent.trim() && parseFloat(getComputedStyle(e).fontSize) < 11)
        .map(e => e.textContent + ' ' + getComputedStyle(e).fontSize)""")
    assert small == []
    cut = pg.evaluate("""() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')].flatMap(chart => {
        const edge = chart.getBoundingClientRect().right + 1;
        return [...chart.querySelectorAll('.gtitle')].filter(t => t.getBoundingClientRect().right > edge)
            .map(t => t.textContent); })""")
    assert cut == []
    described = pg.evaluate("""() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
        .map(c => c.getAttribute('aria-label') || c.querySelector('[aria-label]')?.getAttribute('aria-label') || '')""")
    assert all(d.strip() for d in described), described
    assert any(d.startswith("Median wait by weekday and hour of arrival (min).") for d in described), described
    tall_screenshot(pg, "phone_hall_en")
    assert pg.outside == [], pg.outside  # favicon and fonts come from the app
