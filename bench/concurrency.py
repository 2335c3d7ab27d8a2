"""Part 4: simultaneous sessions on the hall and regional pages while a load runs.

A real server (bench.server) on 127.0.0.1 and one headless Chromium with one browser
context per session, each signed in through the sign-in form. Every session goes round
the hall page and the regional page, moving the period each time so its queries really
run. Once every session has been round once, the server starts loading a CSV that
corrects the last three days' exit scores (replacing those visits) and adds a day of new
visits, through peakend.warehouse.ingest in the app's own database, as the data page would. The
sessions keep going until the load has committed and each has been round again, or the
time bound.

Checked: no session shows an error, no query fails (a lock or write conflict would), and
every answer any session got equals the same query's answer either before the load or
after it (bench.server compares them with a read transaction opened before the load).

Sessions sign in at a page's address (half /hall, half /regional), as managers' bookmarks
do after a restart. Each action waits for its own script run, counted from the websocket
(bench.browser.settled). Reported by phase (before, while and after the load ran): the
page runs as the browsers saw them, the script runs as the server timed them, the queries
that missed the cache, and the cores the server, the browsers and everyone else used.
The 20 browsers share the machine's cores with the server they measure (on a 2-core
machine they take most of them), so the server's own script-run times are the app's
cost, and the browsers' page-run times the bench's.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import statistics
import time
from pathlib import Path

import duckdb

from bench.browser import (CHROMIUM, CHROMIUM_ARGS, choose_other_period, errors_shown, install_run_counter,
                           open_page, sign_in, start_server, stop_server)
from peakend.warehouse import store as warehouse

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
    await install_run_counter(context)  # each action waits for its own script run
    pg = await context.new_page()
    try:
        async with gate:  # people sign in a few at a time, not all in the same second
            # at a page's address, as a manager's bookmark does: several first visits of page
            # addresses at once on a fresh server is where Streamlit's legacy pages/ menu
            # showed up (peakend/ui/legacy_pages.py)
            await sign_in(pg, f"{url}/{PAGES[i % len(PAGES)]}?lang=en")
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


def _cpu_seconds(server_pid: int) -> tuple[float, float, float, float]:
    """(now, CPU seconds of the server, of the bench's other processes (Chromium, Playwright,
    this driver), busy CPU seconds of the whole machine)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d.name)] = int(fields[1])
        # own time and that of children already reaped: an exited renderer still counts
        cpu[int(d.name)] = sum(int(x) for x in fields[11:15]) / tick

    def under(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parent.get(pid, 1)
        return False

    me = os.getpid()
    server = sum(c for pid, c in cpu.items() if under(pid, server_pid))
    bench = sum(c for pid, c in cpu.items() if under(pid, me) and not under(pid, server_pid))
    with open("/proc/stat") as f:
        jiffies = [int(x) for x in f.readline().split()[1:]]
    busy = (sum(jiffies) - jiffies[3] - jiffies[4]) / tick  # all but idle and iowait
    return time.time(), server, bench, busy


async def _sample_cpu(server_pid: int, samples: list, stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(_cpu_seconds(server_pid))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass
    samples.append(_cpu_seconds(server_pid))


def _cores_used(samples: list, start: float, end: float) -> dict | None:
    """Cores busy on average between start and end: the server, the bench's browser and
    driver, and everything else on the machine (other people's work included)."""
    inside = [s for s in samples if start <= s[0] <= end]
    if len(inside) < 2:
        return None
    (t0, s0, b0, m0), (t1, s1, b1, m1) = inside[0], inside[-1]
    wall = t1 - t0
    server, bench, machine = (s1 - s0) / wall, (b1 - b0) / wall, (m1 - m0) / wall
    return {"seconds": round(wall, 1), "server": round(server, 2), "browser_and_driver": round(bench, 2),
            "others": round(max(machine - server - bench, 0.0), 2), "machine": round(machine, 2)}


async def _drive(url: str, n: int, seconds: float, trigger: Path, server_pid: int) -> tuple[list, dict]:
    from playwright.async_api import async_playwright

    log: list = []
    state: dict = {"deadline": time.time() + SIGN_IN_SECONDS + seconds, "rounds": {}, "signed_in": 0,
                   "ended": 0, "go": asyncio.Event(), "cpu": []}
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_cpu(server_pid, state["cpu"], stop))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        gate = asyncio.Semaphore(4)
        tasks = [asyncio.create_task(_session(i, browser, url, state, log, gate)) for i in range(n)]
        sign_in_by = time.time() + SIGN_IN_SECONDS
        while state["signed_in"] + state["ended"] < n and time.time() < sign_in_by:
            await asyncio.sleep(0.5)
        state["deadline"] = time.time() + seconds
        state["go_at"] = time.time()
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
        state["ended_at"] = time.time()
        stop.set()
        await sampler
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
        log, state = asyncio.run(_drive(url, n, opts.session_seconds, trigger, proc.pid))
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
    query_times = check.pop("query_times", [])
    script_runs = check.pop("script_runs", [])
    # Where the time went, by phase: page runs that started before / while / after the load
    # ran, the queries the server answered in each, and the cores each side kept busy.
    t_go, t_end = state.get("go_at", 0), state.get("ended_at", time.time())
    t_load, t_done = load.get("started", t_end), load.get("finished", t_end)
    phases = {"before_load": (t_go, t_load), "during_load": (t_load, t_done), "after_load": (t_done, t_end)}
    by_phase = {}
    for phase, (a, b) in phases.items():
        runs = sorted(e["seconds"] for e in steps if a <= e["started"] < b)
        qsec = sorted(q[1] for q in query_times if a <= q[0] < b)
        server_runs = sorted(r[1] for r in script_runs if a <= r[0] < b)
        by_phase[phase] = {
            "wall_seconds": round(b - a, 1), "page_runs": len(runs), "page_run_seconds": _spread(runs),
            "server_script_runs": len(server_runs), "server_script_run_seconds": _spread(server_runs),
            "queries": len(qsec), "query_seconds": _spread(qsec), "query_seconds_total": round(sum(qsec), 1),
            "cores_used": _cores_used(state["cpu"], a, b),
        }
    slowest = sorted(steps, key=lambda e: -e["seconds"])[:8]
    result = {
        "sessions": n, "signed_in": state["signed_in"], "sign_in_seconds": round(state.get("signed_in_s", 0), 1),
        "page_runs": len(steps), "page_runs_during_load": len(during),
        "seconds_per_page_run": {"median": statistics.median([e["seconds"] for e in steps]) if steps else None,
                                 "max": max((e["seconds"] for e in steps), default=None),
                                 "median_during_load": statistics.median(during) if during else None},
        "phases": by_phase,
        "slowest_page_runs": [{"session": e["session"], "page": e["page"], "action": e["action"],
                               "seconds": round(e["seconds"], 2),
                               "started_after_load_start": round(e["started"] - t_load, 1)} for e in slowest],
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
    d = by_phase["during_load"]
    cores = d["cores_used"] or {}
    result["summary"] += (
        f"; during the load: server script runs median "
        f"{_f((d['server_script_run_seconds'] or {}).get('median'))} s, queries median "
        f"{_f((d['query_seconds'] or {}).get('median'))} s, cores used by the server {_f(cores.get('server'))}, "
        f"browsers {_f(cores.get('browser_and_driver'))}, others {_f(cores.get('others'))}"
    )
    print("  " + result["summary"], flush=True)
    return result


def _spread(xs: list[float]) -> dict | None:
    if not xs:
        return None
    xs = sorted(xs)
    p90 = xs[math.ceil(0.9 * len(xs)) - 1]  # nearest rank: with 2 runs, the slower one
    return {"median": round(statistics.median(xs), 2), "p90": round(p90, 2),
            "max": round(xs[-1], 2)}


def _f(x) -> str:
    return "–" if x is None else f"{x:.2f}"
