"""Live data under load (issue 18, point 5): the ingest API's throughput, and the time from
a POST to the hall page's today panel showing the visit, while the feed simulator plays
the day at --speed and browser sessions read the hall and regional pages; a command-line
load sent to the running app on the way. Prints a table (and --json FILE writes it).

    .venv/bin/python -m bench.live [--db data/demo.duckdb] [--readers 4] [--think 1] [--minutes 4]
                                   [--speed 60] [--port 8790]

It works on a copy of --db (the file itself is never written) and starts its own server.
A probe posts a finished visit to DLC01 every --probe-every seconds, leaving at the
clock's second; a signed-in hall manager's page, left open on /hall, is watched until the
panel's "newest data" names that second (the panel refreshes itself every 15 s: that is
most of the wait). The feed plays the day from 09:00 into two other halls (FEED_HALLS): at
speed 60 its day runs ahead of the clock, and DLC01's panel would follow it (the data
ahead of the clock) instead of naming the probe's second. Every one of its loads is still
a new data version for every reader's cache.
Errors are: a page that shows Streamlit's exception box, a page that doesn't finish within
90 s, an API answer other than 200 (the feed's 429s are waited out by design and counted
apart), and the rollup check failing afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PEAKEND_CHROMIUM", "/usr/bin/chromium")
FEED_HALLS = ("DLC02", "CAN01")  # not the probe's DLC01 (see above)
ZONE = ZoneInfo("Asia/Shanghai")  # the demo network's (its halls have no zone of their own)
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def local_now() -> datetime:
    return datetime.now(UTC).astimezone(ZONE).replace(tzinfo=None, microsecond=0)


def post(url: str, token: str, body: bytes, ctype: str = "application/x-ndjson") -> tuple[int, dict, float]:
    req = urllib.request.Request(f"{url}/api/v1/visits", data=body, method="POST")
    req.add_header("Content-Type", ctype)
    req.add_header("Authorization", f"Bearer {token}")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read()), time.perf_counter() - started
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), time.perf_counter() - started


def visits_body(prefix: str, hall: str, n: int, day_start: datetime) -> bytes:
    lines = []
    for i in range(n):
        arrived = day_start + timedelta(seconds=7 * i)
        called = arrived + timedelta(minutes=4)
        lines.append(json.dumps({
            "visit_id": f"{prefix}-{i:05d}", "hall_id": hall, "arrived_at": f"{arrived:%Y-%m-%d %H:%M:%S}",
            "purpose": "bill_payment", "called_at": f"{called:%Y-%m-%d %H:%M:%S}",
            "service_started_at": f"{called:%Y-%m-%d %H:%M:%S}",
            "service_ended_at": f"{called + timedelta(minutes=5):%Y-%m-%d %H:%M:%S}",
            "left_at": f"{called + timedelta(minutes=6):%Y-%m-%d %H:%M:%S}",
            "counter_id": "C1", "staff_id": f"{hall}-S01", "peak_score": 4, "exit_score": 5,
        }))
    return ("\n".join(lines) + "\n").encode()


def _prepare(db_path: Path) -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    import peakend.auth  # noqa: F401  (first: accounts and auth import each other)
    from peakend.warehouse import sources
    from peakend.warehouse.db import Database

    db = Database(db_path)
    try:
        stamp = datetime.now(UTC).strftime("%H%M%S")
        return {
            "feed": sources.add_source(db, f"bench-feed-{stamp}", list(FEED_HALLS), "bench"),
            "probe": sources.add_source(db, f"bench-probe-{stamp}", ["DLC01"], "bench"),
            "bulk": sources.add_source(db, f"bench-bulk-{stamp}", ["BJS01"], "bench"),
            "admin": sources.add_source(db, f"bench-nightly-{stamp}", [sources.ALL_HALLS], "bench"),
        }
    finally:
        db.close()


def _wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not become healthy")


def throughput(url: str, token: str) -> list[dict]:
    """Sequential POSTs of new visits (BJS01, today from 06:00 local), by batch size."""
    rows = []
    day = local_now().replace(hour=6, minute=0, second=0)
    for size, posts in ((1, 10), (100, 5), (1000, 3), (2000, 3)):
        times, accepted = [], 0
        for k in range(posts):
            status, answer, seconds = post(url, token, visits_body(f"BULK{size}-{k}", "BJS01", size, day))
            if status != 200:
                raise RuntimeError(f"bulk post answered {status}: {answer}")
            accepted += answer["accepted"]["count"]
            times.append(seconds)
        rows.append({"batch": size, "posts": posts, "accepted": accepted, "p50_s": statistics.median(times),
                     "visits_per_s": accepted / sum(times)})
    return rows


async def _sign_in(context, url: str, path: str, user: str, password: str, stats: dict):
    pg = await context.new_page()
    await pg.goto(f"{url}/{path}?lang=zh")
    await pg.wait_for_selector(READY, timeout=90_000)
    await pg.locator("[data-testid='stForm'] input[type='text']").first.fill(user)
    await pg.locator("[data-testid='stForm'] input[type='password']").fill(password)
    submitted = time.perf_counter()
    await pg.locator("[data-testid='stFormSubmitButton'] button").click()
    await pg.wait_for_selector(".st-key-_peakend_sign_out", state="attached", timeout=90_000)
    await pg.wait_for_selector(READY, timeout=90_000)
    # the session cookie comes a moment after the sign-in (the page's script swaps a nonce
    # for it): a reader that navigated away before it came was signed out on its next page
    # (measured: on a machine loaded past its cores it has taken over 30 s)
    for _ in range(480):
        if any(c["name"] == "peakend_session" for c in await context.cookies()):
            stats["cookie_s"].append(time.perf_counter() - submitted)
            break
        await pg.wait_for_timeout(250)
    else:
        raise RuntimeError(f"{user}: no session cookie 120 s after signing in")
    return pg


async def reader(browser, url: str, i: int, stop: asyncio.Event, stats: dict, think: float = 1.0) -> None:
    user, password, paths = (("hall.manager", "peakend-hall", ["hall", "hall"]) if i % 2 == 0
                             else ("head.office", "peakend-hq", ["regional", "hall"]))
    context = await browser.new_context(viewport={"width": 390 if i % 2 == 0 else 1440, "height": 900})
    try:
        pg = await _sign_in(context, url, paths[0], user, password, stats)
        k = 0
        while not stop.is_set():
            path = paths[k % len(paths)]
            k += 1
            started = time.perf_counter()
            try:
                await pg.goto(f"{url}/{path}")
                await pg.wait_for_selector(READY, timeout=90_000)
                await pg.wait_for_timeout(300)
                await pg.wait_for_selector(READY, timeout=90_000)
                if await pg.locator("[data-testid='stException']").count():
                    stats["errors"].append(f"reader {i}: exception on /{path}")
                if await pg.locator(".st-key-_peakend_sign_out").count() == 0:
                    shown = (await pg.locator("[data-testid='stMain']").inner_text())[:160].replace("\n", " ")
                    cookies = sorted(c["name"] for c in await context.cookies())
                    stats["errors"].append(f"reader {i}: signed out on /{path} at {time.strftime('%H:%M:%S')} "
                                           f"(cookies {cookies}; page: {shown})")
                stats["page_s"].append(time.perf_counter() - started)
            except Exception as e:  # a timeout is an error of the run, not of the bench
                stats["errors"].append(f"reader {i}: /{path}: {type(e).__name__}: {str(e)[:120]}")
            await asyncio.sleep(think)
    finally:
        await context.close()


async def probe(browser, url: str, token: str, stop: asyncio.Event, every: float, stats: dict) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 900})
    try:
        pg = await _sign_in(context, url, "hall", "hall.manager", "peakend-hall", stats)
        await pg.wait_for_selector(".st-key-hall_today", timeout=90_000)
        n = 0
        jitter = random.Random(18)
        while not stop.is_set():
            n += 1
            now = local_now()
            marker = f"probe-{n}-{now:%H%M%S}"
            body = json.dumps({
                "visit_id": f"PROBE-{now:%Y%m%d%H%M%S}-{n}", "hall_id": "DLC01",
                "arrived_at": f"{now - timedelta(minutes=12):%Y-%m-%d %H:%M:%S}", "purpose": "bill_payment",
                "called_at": f"{now - timedelta(minutes=8):%Y-%m-%d %H:%M:%S}",
                "service_started_at": f"{now - timedelta(minutes=8):%Y-%m-%d %H:%M:%S}",
                "service_ended_at": f"{now - timedelta(minutes=1):%Y-%m-%d %H:%M:%S}",
                "left_at": f"{now:%Y-%m-%d %H:%M:%S}", "exit_score": 5, "peak_score": 5, "exit_comment": marker,
            }, ensure_ascii=False).encode() + b"\n"
            posted = time.perf_counter()
            status, answer, seconds = await asyncio.to_thread(post, url, token, body)
            if status != 200:
                stats["errors"].append(f"probe post {status}: {answer.get('message')}")
                continue
            stats["probe_post_s"].append(seconds)
            # the panel's "newest data" names the probe's exit time (later than any of the
            # feed's, whose day runs behind the clock); the comment table is a canvas
            shows = f"{now:%Y-%m-%d %H:%M:%S}"
            seen = None
            while time.perf_counter() - posted < 90:
                text = await pg.locator(".st-key-hall_today").inner_text()
                if shows in text:
                    seen = time.perf_counter() - posted
                    break
                await asyncio.sleep(0.25)
            if seen is None:
                stats["errors"].append(f"{marker}: not on the today panel within 90 s")
            else:
                stats["post_to_panel_s"].append(seen)
            if await pg.locator("[data-testid='stException']").count():
                stats["errors"].append("probe page: exception")
            # the next post at a random point of the panel's 30 s cycle (posting right after a
            # refresh was seen would measure the worst case only)
            await asyncio.sleep(max(0.0, every - (time.perf_counter() - posted)) + jitter.uniform(0, 30))
    finally:
        await context.close()


async def live(url: str, tokens: dict, readers: int, think: float, minutes: float, every: float, nightly: Path,
               db_path: Path) -> dict:
    from playwright.async_api import async_playwright

    stats: dict = {"errors": [], "page_s": [], "probe_post_s": [], "post_to_panel_s": [], "cookie_s": [], "cli": None}
    stop = asyncio.Event()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        tasks = [asyncio.create_task(reader(browser, url, i, stop, stats, think)) for i in range(readers)]
        tasks.append(asyncio.create_task(probe(browser, url, tokens["probe"], stop, every, stats)))
        await asyncio.sleep(minutes * 60 / 2)
        # a nightly cron load, sent by the command line to the running app, while all of this runs
        started = time.perf_counter()
        cli = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "peakend", "load", str(nightly), "--db", str(db_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
            env={**os.environ, "PEAKEND_URL": url, "PEAKEND_TOKEN": tokens["admin"]},
        )
        stats["cli"] = {"rc": cli.returncode, "seconds": time.perf_counter() - started,
                        "out": (cli.stdout + cli.stderr).strip().splitlines()[-1:]}
        if cli.returncode:
            stats["errors"].append(f"cli load: {cli.stdout}{cli.stderr}")
        await asyncio.sleep(minutes * 60 / 2)
        stop.set()
        await asyncio.gather(*tasks)
        await browser.close()
    return stats


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "data" / "demo.duckdb"))
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a reader spends on a page before opening the next (1: hammering reloads)")
    parser.add_argument("--minutes", type=float, default=4)
    parser.add_argument("--speed", type=float, default=60)
    parser.add_argument("--probe-every", type=float, default=5, help="seconds between probes, plus 0-30 s at random")
    parser.add_argument("--json", default=None, help="write the numbers to this file too")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="peakend-live-"))
    db_path = work / "live.duckdb"
    shutil.copyfile(args.db, db_path)
    tokens = _prepare(db_path)
    url = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "PEAKEND_DB": str(db_path), "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    log = open(work / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "peakend", "serve", "--port", str(args.port)], cwd=ROOT,
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    feed = None
    try:
        _wait_healthy(url, server)
        bulk = throughput(url, tokens["bulk"])
        nightly = work / "nightly.csv"
        day = local_now().replace(hour=7, minute=0, second=0)
        nightly.write_text("visit_id,hall_id,arrived_at,purpose,exit_score\n" + "".join(
            f"NIGHTLY-{i:04d},BJS02,{day + timedelta(seconds=20 * i):%Y-%m-%d %H:%M:%S},bill_payment,{1 + i % 5}\n"
            for i in range(1000)))
        feed_log = open(work / "feed.log", "w")  # noqa: SIM115
        feed = subprocess.Popen(
            [sys.executable, "-m", "peakend", "feed", "--url", url, "--token", tokens["feed"], "--halls", ",".join(FEED_HALLS),
             "--speed", str(args.speed), "--start", "09:00", "--day", f"{local_now():%Y-%m-%d}"],
            cwd=ROOT, stdout=feed_log, stderr=subprocess.STDOUT,
        )
        stats = asyncio.run(live(url, tokens, args.readers, args.think, args.minutes, args.probe_every, nightly, db_path))
    finally:
        if feed is not None:
            feed.terminate()
            feed.wait(30)
        server.terminate()
        server.wait(60)
    feed_text = (work / "feed.log").read_text()
    feed_posts = sum(1 for line in feed_text.splitlines() if " event(s): load " in line)
    feed_429 = feed_text.count(" 429, waiting")
    feed_refused = sum(1 for line in feed_text.splitlines() if line[9:13].strip().isdigit() and " 429" not in line)
    check = subprocess.run([sys.executable, "-m", "peakend", "check", "--db", str(db_path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=900)
    if check.returncode:
        stats["errors"].append("rollup check: " + check.stdout[-400:])
    result = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "db": args.db, "readers": args.readers, "think_s": args.think,
        "minutes": args.minutes, "speed": args.speed, "throughput": bulk,
        "feed": {"posts": feed_posts, "waited_429": feed_429, "refused": feed_refused},
        "pages": {"loads": len(stats["page_s"]), "p50_s": statistics.median(stats["page_s"]) if stats["page_s"] else None,
                  "p95_s": _p95(stats["page_s"])},
        "probe": {"n": len(stats["post_to_panel_s"]),
                  "post_p50_s": statistics.median(stats["probe_post_s"]) if stats["probe_post_s"] else None,
                  "panel_p50_s": statistics.median(stats["post_to_panel_s"]) if stats["post_to_panel_s"] else None,
                  "panel_p95_s": _p95(stats["post_to_panel_s"]),
                  "panel_max_s": max(stats["post_to_panel_s"], default=None)},
        "sign_in": {"n": len(stats["cookie_s"]),
                    "cookie_p50_s": statistics.median(stats["cookie_s"]) if stats["cookie_s"] else None,
                    "cookie_max_s": max(stats["cookie_s"], default=None)},
        "cli": stats["cli"], "check": check.stdout.strip().splitlines()[-1:] if check.stdout else [],
        "errors": stats["errors"],
    }
    f = lambda v, d=2: "–" if v is None else f"{v:.{d}f}"  # noqa: E731
    print(f"\nbench.live  {result['when']}  db {args.db}  {args.readers} reader sessions "
          f"({args.think:g} s on each page), {args.minutes:g} min, "
          f"feed {'+'.join(FEED_HALLS)} at {args.speed:g}x")
    print("\n| API batch (visits) | posts | accepted | p50 POST (s) | visits/s accepted |")
    print("|---:|---:|---:|---:|---:|")
    for r in bulk:
        print(f"| {r['batch']:,} | {r['posts']} | {r['accepted']:,} | {f(r['p50_s'], 3)} | {r['visits_per_s']:,.0f} |")
    p, q = result["pages"], result["probe"]
    print("\n| while the feed runs | value |")
    print("|---|---:|")
    print(f"| feed batches loaded / 429s waited out / refused | {feed_posts} / {feed_429} / {feed_refused} |")
    c = result["sign_in"]
    print(f"| sign-ins: submit -> session cookie p50 / max (s) | {f(c['cookie_p50_s'], 1)} / {f(c['cookie_max_s'], 1)} "
          f"({c['n']}) |")
    print(f"| page loads by readers (hall, regional) | {p['loads']} |")
    print(f"| page load p50 / p95 (s) | {f(p['p50_s'])} / {f(p['p95_s'])} |")
    print(f"| probe visits posted and seen | {q['n']} |")
    print(f"| probe POST p50 (s) | {f(q['post_p50_s'], 3)} |")
    print(f"| POST -> today panel p50 / p95 / max (s) | {f(q['panel_p50_s'], 1)} / {f(q['panel_p95_s'], 1)} / "
          f"{f(q['panel_max_s'], 1)} |")
    cli = result["cli"] or {}
    print(f"| CLI load sent to the app (1,000 visits) | rc {cli.get('rc')}, {f(cli.get('seconds'), 1)} s |")
    print(f"| rollup check afterwards | {' '.join(result['check'])[:60]} |")
    print(f"| errors | {len(result['errors'])} |")
    for e in result["errors"][:20]:
        print(f"  - {e}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    if result["errors"]:
        print(f"(kept {work}: server.log, feed.log)")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
