"""The app in a real browser: a Streamlit server on 127.0.0.1 (bench.server) and headless
Chromium signed in as head office. For each page in the menu: the time from clicking its
menu entry until the script has finished, then from choosing another period until the
page has re-run; and the server's peak memory (VmHWM) once every page was shown."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import re
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
USER, PASSWORD = "head.office", "peakend-hq"  # the demo database's head-office user (README)
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PERIOD_KEYS = {"explore": "xp_period"}  # other pages use the shared control's key "period"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, env: dict, extra: list[str] = (), log: Path | None = None):
    port = free_port()
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "bench.server", "--db", str(db), "--port", str(port), *extra],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped (see {log})")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError("the server did not become healthy in 120 s")


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def peak_rss(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


# Counts the script runs the server reports finished, so an action waits for *its* run.
# On a busy server a run can take seconds to start, so the page still showing the previous
# run's "notRunning" is not finished; and a busy browser may never paint "running" at all
# for a quick run (its start and end arrive in one task), so the page's script-state
# attribute can't count runs either. The counter reads the websocket: every ForwardMsg the
# server sends is a protobuf whose top-level field 6 is script_finished (0: finished, 1:
# compile error; 2: stopped for a rerun and 3: a fragment run are not a page's end).
RUN_COUNTER_JS = """
(() => {
  window.__peakendFinished = 0;
  const SCRIPT_FINISHED = 6;
  function count(buf) {
    const b = new Uint8Array(buf);
    let i = 0;
    const varint = () => { let x = 0, m = 1, c; do { c = b[i++]; x += (c & 0x7f) * m; m *= 128; } while (c & 0x80 && i < b.length); return x; };
    while (i < b.length) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) { const v = varint(); if (field === SCRIPT_FINISHED && v <= 1) window.__peakendFinished += 1; }
      else if (wire === 2) { const n = varint(); i += n; }  // not i += varint(): i is read first
      else if (wire === 1) { i += 8; }
      else if (wire === 5) { i += 4; }
      else { return; }
    }
  }
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (e.data instanceof ArrayBuffer) count(e.data);
        else if (e.data instanceof Blob) e.data.arrayBuffer().then(count);
      });
    }
  };
})();
"""
_STATE_JS = """() => [window.__peakendFinished ?? null,
  document.querySelector("[data-testid='stApp']")?.getAttribute('data-test-script-state')]"""


async def install_run_counter(context) -> None:
    """Count finished script runs in every page of this browser context (before its first goto)."""
    await context.add_init_script(RUN_COUNTER_JS)


async def script_runs(pg) -> int | None:
    """Script runs the server has reported finished to this page (None: no counter)."""
    return (await pg.evaluate(_STATE_JS))[0]


async def settled(pg, timeout_s: float = 180, since: int | None = None) -> float:
    """Seconds until the script run the action started has finished: the server reported
    more than `since` runs finished (from script_runs) and the page is idle, and stays so
    for 0.3 s (the time returned is when it went idle). Without a run counter: it must have
    been seen running, or 1.5 s passed."""
    started = time.perf_counter()
    seen_running = False
    idle_at = None
    while time.perf_counter() - started < timeout_s:
        runs, state = await pg.evaluate(_STATE_JS)
        if since is not None and runs is not None:
            done = runs > since and state == "notRunning"
        else:
            seen_running = seen_running or state == "running"
            done = state == "notRunning" and (seen_running or time.perf_counter() - started > 1.5)
        now = time.perf_counter()
        if not done:
            idle_at = None
        elif idle_at is None:
            idle_at = (now, runs)
        elif now - idle_at[0] >= 0.3 and runs == idle_at[1]:
            return idle_at[0] - started
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the page did not finish within {timeout_s:.0f} s")


async def sign_in(pg, url: str) -> None:
    await pg.goto(url)
    await pg.wait_for_selector(IDLE, timeout=120_000)
    await pg.locator("[data-testid='stForm'] input[type='text']").first.fill(USER)
    await pg.locator("[data-testid='stForm'] input[type='password']").fill(PASSWORD)
    await pg.locator("[data-testid='stFormSubmitButton'] button").click()
    await pg.wait_for_selector(".st-key-_peakend_sign_out", timeout=120_000)
    await pg.wait_for_selector(IDLE, timeout=120_000)


def menu_label(key: str) -> str:
    from peakend.core.i18n import set_language, t

    set_language("en")
    return t(f"nav.{key}")


async def open_page(pg, key: str) -> float:
    since = await script_runs(pg)
    started = time.perf_counter()
    await pg.locator("[data-testid='stSidebarNav']").get_by_role("link", name=menu_label(key), exact=True).click()
    await settled(pg, since=since)
    return time.perf_counter() - started


async def choose_period(pg, key: str, label: str) -> float | None:
    box = pg.locator(f".st-key-{key} [role='combobox']")
    if not await box.count():
        return None
    await box.first.click()
    since = await script_runs(pg)
    started = time.perf_counter()
    # the shared period control names each preset's dates ("Last 7 days · 24–30 Nov")
    await pg.get_by_role("option", name=re.compile(rf"^{re.escape(label)}( · .*)?$")).first.click()
    await settled(pg, since=since)
    return time.perf_counter() - started


async def choose_other_period(pg, key: str) -> float | None:
    """Move the period to the other of the last 7 / last 30 days, whichever it isn't now."""
    box = pg.locator(f".st-key-{key} [role='combobox']")
    if not await box.count():
        return None
    now = await box.first.input_value()
    return await choose_period(pg, key, "Last 7 days" if now.startswith("Last 30 days") else "Last 30 days")


async def errors_shown(pg) -> list[str]:
    return [t.strip()[:300] for t in await pg.locator("[data-testid='stException']").all_inner_texts()]


async def _tour(url: str, pages: list[str]) -> dict:
    from playwright.async_api import async_playwright

    out: dict = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        await install_run_counter(context)
        pg = await context.new_page()
        await sign_in(pg, url + "/?lang=en")
        for key in pages:
            row: dict = {}
            try:
                row["open_s"] = await open_page(pg, key)
                period = PERIOD_KEYS.get(key, "period")
                # to the other preset and back (choosing the one shown starts no run)
                row["change_s"] = await choose_other_period(pg, period)
                if row["change_s"] is None:
                    row["note"] = "(no period control)"
                else:
                    row["change_back_s"] = await choose_other_period(pg, period)
                row["errors"] = await errors_shown(pg)
            except Exception as e:  # one page failing must not hide the others' numbers
                row["error"] = f"{type(e).__name__}: {e}"
            out[key] = row
        await browser.close()
    return out


def run(db: Path, env: dict, opts) -> dict:
    if not Path(CHROMIUM).exists():
        return {"error": "Debian's chromium is not installed (apt-get install chromium)"}
    from bench.pages import bench_user, page_keys

    pages = [p for p in (opts.pages.split(",") if opts.pages else page_keys()) if bench_user(p) == USER]
    # sign-in lands on the default page: visit it last, coming from another page
    pages = pages[1:] + pages[:1]
    log = Path(opts.data_dir) / "server-browser.log"
    print(f"  browser: real server + Chromium, pages {', '.join(pages)} ...", flush=True)
    proc, url = start_server(db, env, log=log)
    try:
        result = {"pages": asyncio.run(_tour(url, pages))}
        result["server_peak_rss"] = peak_rss(proc.pid)
    finally:
        stop_server(proc)
    for key, row in result["pages"].items():
        print(f"    {key}: open {row.get('open_s', float('nan')):.2f} s, filter change "
              f"{(row.get('change_s') or float('nan')):.2f} s {row.get('error', '')}", flush=True)
    return result
