"""The app as `make run` serves it (peakend/web/asgi.py, uvicorn): its own routes beside the
pages, and the security headers on every answer, which the pages must live with."""

import json
import time
import urllib.request

import pytest

from conftest import submit_sign_in, wait_for_app, wait_signed_in

pytestmark = pytest.mark.browser


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()


def test_healthz_names_the_database_and_its_data_version(app_url):
    status, headers, body = _get(f"{app_url}/healthz")
    answer = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    assert answer["status"] == "ok"
    assert answer["database"]["path"].endswith("fixture.duckdb")
    assert isinstance(answer["database"]["data_version"], int) and answer["database"]["data_version"] >= 1


def test_every_answer_carries_the_security_headers(app_url, subtests):
    for path in ["/", "/hall?lang=zh", "/healthz", "/peakend/layout.js", "/_stcore/health"]:
        with subtests.test(path=path):
            status, headers, _ = _get(app_url + path)
            assert status == 200
            policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
            assert policy["default-src"] == "'self'"
            assert policy["frame-ancestors"] == "'self'"
            assert "'unsafe-inline'" not in policy["script-src"] and "*" not in policy["script-src"]
            assert "http" not in policy["connect-src"]  # no other origin, not even a CDN
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"


def test_the_pages_run_under_the_policy_with_nothing_blocked(browser, app_url):
    """Signed in, through three pages in Chinese: no script or style the policy refused,
    and the page script (served by the app, not inline) set <html lang>."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    refused = []
    pg.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        pg.goto(f"{app_url}/hall?lang=zh")
        wait_for_app(pg)
        submit_sign_in(pg, "hq")
        wait_signed_in(pg)
        for page in ["regional", "insights"]:
            pg.locator(f"[data-testid='stSidebarNav'] a[href$='/{page}']").first.dispatch_event("click")
            pg.wait_for_url(f"**/{page}**", timeout=90_000)  # a busy machine
            wait_for_app(pg, timeout=120_000)
        assert pg.evaluate("document.documentElement.lang") == "zh-CN"
        assert refused == []
    finally:
        context.close()


def test_an_error_no_page_caught_is_said_in_the_users_language(browser, tmp_path, subtests):
    """Streamlit's own error box is English; the app's handler says it in the UI language."""
    import os
    import subprocess
    import sys

    from conftest import ROOT, _free_port, _wait_healthy

    port = _free_port()
    log = open(tmp_path / "server.log", "w+b")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "raises_asgi:app", "--app-dir", str(ROOT / "tests" / "apps"),
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env={**os.environ, "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}, stdout=log, stderr=subprocess.STDOUT,
    )
    proc.log = log
    context = browser.new_context()
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}", time.time() + 60)
        for lang, said in [("zh", "这个页面出错了"), ("en", "Something went wrong on this page")]:
            with subtests.test(lang=lang):
                pg = context.new_page()
                pg.goto(f"http://127.0.0.1:{port}/?lang={lang}")
                pg.wait_for_selector("[data-testid='stAlert']")
                text = pg.locator("[data-testid='stMain']").inner_text()
                assert said in text
                assert "encountered an error" not in text and "Traceback" not in text and "RuntimeError" not in text
                pg.close()
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
