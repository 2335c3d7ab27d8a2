"""The brief page in a real browser, on a phone (390 px, zh) and a desk (1440 px, en): the
brief fits the width (nothing cut off or scrolled sideways), its chart is drawn, and the
download button gives the one-page PDF. Screenshots go to test-artifacts/."""

import subprocess

import pytest

from conftest import ARTIFACTS, sign_in, wait_for_app

pytestmark = pytest.mark.browser


def tall_screenshot(pg, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    height = pg.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    pg.set_viewport_size({"width": width, "height": min(height + 40, 16000)})
    pg.wait_for_timeout(800)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width, lang, title", [(390, "zh", "晨会简报 · Alpha Hall"), (1440, "en", "Morning brief · Alpha Hall")])
def test_the_brief_fits_the_screen_and_downloads_as_one_page(browser, app_url, tmp_path, width, lang, title):
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1,
                                  is_mobile=width < 640, has_touch=width < 640)
    pg = context.new_page()
    try:
        sign_in(pg, f"{app_url}/brief?lang={lang}", "h1")
        wait_for_app(pg)
        doc = pg.locator(".pe-doc")
        doc.wait_for(timeout=60_000)
        assert title in doc.inner_text()
        # nothing wider than the screen: the brief and every table and chart inside it
        widest = pg.evaluate(
            "Math.max(...[...document.querySelectorAll('.pe-doc, .pe-doc *')].map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= width + 1, widest
        chart = pg.locator(".pe-chart img")
        assert chart.count() == 1 and chart.evaluate("img => img.complete && img.naturalWidth > 0")
        tall_screenshot(pg, f"brief_{width}_{lang}", width)
        pg.set_viewport_size({"width": width, "height": 900})
        with pg.expect_download(timeout=90_000) as download:
            pg.locator(".st-key-brief_download button").click()
        path = tmp_path / "brief.pdf"
        download.value.save_as(path)
        assert path.read_bytes()[:5] == b"%PDF-"
        assert download.value.suggested_filename == f"brief-week-H1-2026-03-08-{lang}.pdf"
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        assert "Pages:           1" in info
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "Alpha Hall" in text and "Beta Hall" not in text
    finally:
        context.close()
