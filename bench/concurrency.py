"""Part 4: simultaneous sessions on the hall and regional pages while a load runs.

A real server (bench.server) on 127.0.0.1 and one headless Chromium with one browser
context per session, each signed in through the sign-in form. Every session goes round
the hall page and the regional page, moving the period each time so its queries really
run. Once every session has been round once, the server starts loading a CSV that
corrects the last three days' exit scores (replacing those visits) and adds a day of new
visits, through peakend.ingest in the app's own database, as the data page would. The
sessions keep going until the load has committed and each has been round again, or the
time bound.

Checked: no session shows an error, no query fails (a lock or write conflict would), and
every answer any session got equals the same query's answer either before the load or
after it (bench.server compares them with a read transaction opened before the load).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import time
from pathlib import Path

import duckdb

from bench.browser import (CHROMIUM, CHROMIUM_ARGS, choose_other_period, errors_shown, open_page, sign_in,
                           start_server, stop_server)
from peakend import warehouse

PAGES = ("hall", "regional")
SIGN_IN_SECONDS = 600  # bound on signing every session in


def changes_csv(db: Path, work: Path) -> tuple[Path, int]:
    """Corrections to the last 3 days' exit scores (same visit ids) and a day of new visits."""
    path = work / "corrections.csv"
    cols = warehouse.CONTRACT_VISIT_COLUMNS
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set enable_progress_bar = false")
        last = con.execute("select max(arrived_at)::date from visits").fetchone()[0]
        fixed = ", ".join("case when exit_score is null then null else 6 - exit_score end as exit_score"
                          if c == "exit_score" else c for c in cols)
        new = ", ".join("visit_id || '-B' as visit_id" if c == "visit_id" else c for c in cols)
        con.execute(
            f"""copy (
                    select {fixed} from visits where arrived_at >= ?::date - 2
                    union all
                    select {new} from visits where arrived_at >= ?::date
                ) to '{path}' (header, delimiter ',')""",
            [last, last],
        )
    finally:
        con.close()
    return path, sum(1 for _ in path.open("rb")) - 1


async def _session(i: int, browser, url: str, state: dict, log: list, gate: asyncio.Semaphore) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.set_default_timeout(180_000)  # 20 sessions on 2 shared cores: be patient, not flaky
    pg = await context.new_page()
    try:
        async with gate:  # people sign in a few at a time, not all in the same second
            # at the app's address: several first visits of a page address at once on a
            # fresh server can get Streamlit's legacy pages/ menu (peakend/ui/legacy_pages.py
            # switches it off only on the first run of the process)
            await sign_in(pg, url + "/?lang=en")
        state["signed_in"] += 1
        await state["go"].wait()  # then everyone works at once
        rounds = 0
        while time.time() < state["deadline"]:
            for page in PAGES:
                for action in ("open", "period"):
                    started = time.time()
                    entry = {"session": i, "page": page, "action": action, "started": started}
                    try:
                        if action == "open":
                            entry["seconds"] = await open_page(pg, page)
                        else:
                            entry["seconds"] = await choose_other_period(pg, "period")
                        entry["errors"] = await errors_shown(pg)
                    except Exception as e:
                        entry["exception"] = f"{type(e).__name__}: {e}"[:300]
                    log.append(entry)
            rounds += 1
            state["rounds"][i] = rounds
            load = state.get("load")
            if load and "finished" in load and started > load["finished"]:
                break  # a full round after the load committed
    except Exception as e:
        log.append({"session": i, "exception": f"{type(e).__name__}: {e}"[:300], "started": time.time()})
    finally:
        state["ended"] += 1
        await context.close()


async def _drive(url: str, n: int, seconds: float, trigger: Path) -> tuple[list, dict]:
    from playwright.async_api import async_playwright

    log: list = []
    state: dict = {"deadline": time.time() + SIGN_IN_SECONDS + seconds, "rounds": {}, "signed_in": 0,
                   "ended": 0, "go": asyncio.Event()}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        gate = asyncio.Semaphore(4)
        tasks = [asyncio.create_task(_session(i, browser, url, state, log, gate)) for i in range(n)]
        sign_in_by = time.time() + SIGN_IN_SECONDS
        while state["signed_in"] + state["ended"] < n and time.time() < sign_in_by:
            await asyncio.sleep(0.5)
        state["deadline"] = time.time() + seconds
        state["signed_in_s"] = time.time() - (sign_in_by - SIGN_IN_SECONDS)
        state["go"].set()
        # start the load once every live session has been round once
        while time.time() < state["deadline"] and not all(t.done() for t in tasks):
            if len(state["rounds"]) + sum(t.done() for t in tasks) >= n and "load_triggered" not in state:
                (trigger / "start-load").touch()
                state["load_triggered"] = time.time()
            load_file = trigger / "load.json"
            if load_file.exists() and "load" not in state:
                state["load"] = json.loads(load_file.read_text())
            await asyncio.sleep(0.5)
        if "load_triggered" not in state:  # out of time before every session went round
            (trigger / "start-load").touch()
            state["load_triggered"] = time.time()
        await asyncio.gather(*tasks)
        await browser.close()
    state.pop("go")
    return log, state


def run(db: Path, env: dict, opts, work: Path) -> dict:
    if not Path(CHROMIUM).exists():
        return {"summary": "not run: Debian's chromium is not installed"}
    n = opts.sessions
    trigger = work / "trigger"
    trigger.mkdir(parents=True, exist_ok=True)
    for f in trigger.glob("*"):
        f.unlink()
    # the load changes the data: work on a copy, so every measurement sees the same data
    copy = work / "concurrency.duckdb"
    shutil.copyfile(db, copy)
    db = copy
    csv, rows = changes_csv(db, work)
    print(f"  concurrency: {n} sessions on {', '.join(PAGES)} while {rows:,} rows load ...", flush=True)
    log_file = work / "server-concurrency.log"
    proc, url = start_server(db, env, ["--record", "--load", str(csv), "--trigger", str(trigger)], log=log_file)
    try:
        log, state = asyncio.run(_drive(url, n, opts.session_seconds, trigger))
        load_file = trigger / "load.json"
        deadline = time.time() + opts.timeout
        while not load_file.exists() and time.time() < deadline:
            time.sleep(0.5)
        load = json.loads(load_file.read_text())
        (trigger / "check").touch()
        check_file = trigger / "check.json"
        while not check_file.exists() and time.time() < deadline:
            time.sleep(0.5)
        check = json.loads(check_file.read_text())
    finally:
        stop_server(proc)
    csv.unlink(missing_ok=True)
    for f in (copy, Path(str(copy) + ".wal")):
        f.unlink(missing_ok=True)
    for f in work.glob("*.rejects.csv"):
        f.unlink()
    steps = [e for e in log if "seconds" in e and e["seconds"] is not None]
    during = [e["seconds"] for e in steps if load.get("started", 0) <= e["started"] <= load.get("finished", 0)]
    shown = [err for e in log for err in e.get("errors", [])]
    failed = [e["exception"] for e in log if "exception" in e]
    qs = check.pop("query_seconds", [])
    result = {
        "sessions": n, "signed_in": state["signed_in"], "page_runs": len(steps), "page_runs_during_load": len(during),
        "seconds_per_page_run": {"median": statistics.median([e["seconds"] for e in steps]) if steps else None,
                                 "max": max((e["seconds"] for e in steps), default=None),
                                 "median_during_load": statistics.median(during) if during else None},
        "errors_shown": shown[:20], "session_failures": failed[:20], "load": load, "check": check,
        "query_seconds": {"median": statistics.median(qs) if qs else None, "max": max(qs, default=None)},
    }
    ok = (not shown and not failed and not check["errors"] and not check["neither"]
          and load.get("status") == "loaded")
    result["ok"] = ok
    result["summary"] = (
        f"{'OK' if ok else 'FAILED'}: {n} sessions ({state['signed_in']} signed in), {len(steps)} page runs "
        f"({len(during)} while the load ran; median {_f(result['seconds_per_page_run']['median'])} s, "
        f"during the load {_f(result['seconds_per_page_run']['median_during_load'])} s, max "
        f"{_f(result['seconds_per_page_run']['max'])} s); load of {load.get('rows', 0):,} rows "
        f"({load.get('replaced', 0):,} replaced) {load.get('status')} in {_f(load.get('seconds'))} s; "
        f"{check['calls']} queries answered ({check['during_load']} during the load): "
        f"{check['same_as_before']} as before the load, {check['same_as_after']} as after, "
        f"{check['same_as_both']} unchanged by it, {len(check['neither'])} neither; "
        f"{len(check['errors'])} query errors, {len(shown)} errors shown, {len(failed)} session failures"
    )
    print("  " + result["summary"], flush=True)
    return result


def _f(x) -> str:
    return "–" if x is None else f"{x:.2f}"
