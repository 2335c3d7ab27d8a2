"""One measurement in a fresh process (so "cold" means cold and memory is the process's own).

    python -m bench.worker render  --db D --pages home,hall --calls-out C --out J
    python -m bench.worker queries --db D --calls C --page hall --runs 5 --out J [--answers-out A]
    python -m bench.worker pandas  --db D --calls C --runs 5 --out J [--answers-out A]

DuckDB's memory and threads come from PEAKEND_DUCKDB_MEMORY_LIMIT / PEAKEND_DUCKDB_THREADS,
set by the bench.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


# as the app asks a page's `fetch` calls (peakend.ui.answers.QUERY_THREADS)
QUERY_THREADS = max(1, int(os.environ.get("PEAKEND_QUERY_THREADS", "2")))


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _write(path: str, data) -> None:
    Path(path).write_text(json.dumps(data, indent=1, default=str))


def render(args) -> None:
    os.environ["PEAKEND_DB"] = args.db
    from bench.pages import render_page

    out, calls = {"pages": {}}, {}
    for page in args.pages.split(","):
        r = render_page(page, lang=args.lang)
        calls[page] = {"default": r.calls, "change": r.change_calls}
        out["pages"][page] = {
            "user": r.user, "render_s": r.render_s, "rerun_s": r.rerun_s, "change": r.change,
            "change_s": r.change_s, "errors": r.errors,
            "queries": [c.label() for c in r.calls], "change_queries": [c.label() for c in r.change_calls],
            "rss_after": rss_bytes(),
        }
    out["peak_rss"] = peak_rss_bytes()
    Path(args.calls_out).write_bytes(pickle.dumps(calls))
    _write(args.out, out)


def _time_pass(db, calls, cpu: list | None = None) -> tuple[list[float], list]:
    """Wall seconds per call, one call at a time (and, into `cpu`, the process's CPU
    seconds for the pass: on a busy shared machine that is what the same work costs,
    whoever else runs)."""
    times, answers = [], []
    cpu_started = time.process_time()
    for c in calls:
        started = time.perf_counter()
        answers.append(c.run(db))
        times.append(time.perf_counter() - started)
    if cpu is not None:
        cpu.append(time.process_time() - cpu_started)
    return times, answers


def _batches(calls) -> list[list]:
    """The calls as the page asks them: a page's `fetch` (peakend.ui.answers) asks its calls
    side by side, every other call on its own, in page order."""
    out: list[list] = []
    for c in calls:
        if c.group is not None and out and out[-1][0].group == c.group:
            out[-1].append(c)
        else:
            out.append([c])
    return out


def _page_pass(db, calls, pool) -> float:
    """Wall seconds for the page's calls asked as the page asks them."""
    started = time.perf_counter()
    for batch in _batches(calls):
        if len(batch) == 1:
            batch[0].run(db)
        else:
            list(pool.map(lambda c: c.run(db), batch))
    return time.perf_counter() - started


def queries(args) -> None:
    from peakend.warehouse.db import Database

    sets = pickle.loads(Path(args.calls).read_bytes())[args.page]
    started = time.perf_counter()
    db = Database(args.db)
    open_s = time.perf_counter() - started
    out = {"open_s": open_s, "query_threads": QUERY_THREADS}
    answers = {}
    pool = ThreadPoolExecutor(QUERY_THREADS)
    for which in args.sets.split(","):
        calls = sets[which]
        if not calls:
            continue
        warm_cpu = []
        if which == "default":
            # cold: the first set in this process, asked as the page asks them
            cpu_started = time.process_time()
            cold_page = _page_pass(db, calls, pool)
            cold_cpu = time.process_time() - cpu_started
        _, first = _time_pass(db, calls)
        warm_totals, page_totals, per_call = [], [], [[] for _ in calls]
        for _ in range(args.runs):
            times, _ = _time_pass(db, calls, warm_cpu)
            warm_totals.append(sum(times))
            for i, t in enumerate(times):
                per_call[i].append(t)
            page_totals.append(_page_pass(db, calls, pool))
        out[which] = {
            "cold_s": cold_page if which == "default" else None,
            "warm_s": statistics.median(page_totals),
            "warm_page_runs": page_totals,
            "warm_one_at_a_time_s": statistics.median(warm_totals),
            "warm_runs": warm_totals,
            "cold_cpu_s": cold_cpu if which == "default" else None,
            "warm_cpu_s": statistics.median(warm_cpu),
            "calls": [
                {"query": c.label(), "group": c.group,
                 "warm_s": statistics.median(ts), "rows": len(a)}
                for c, ts, a in zip(calls, per_call, first)
            ],
        }
        answers[which] = first
    out["peak_rss"] = peak_rss_bytes()
    db.close()
    if args.answers_out:
        Path(args.answers_out).write_bytes(pickle.dumps(answers))
    _write(args.out, out)


def pandas_way(args) -> None:
    from bench import pandas_way as pw

    all_sets = pickle.loads(Path(args.calls).read_bytes())
    before = rss_bytes()
    started = time.perf_counter()
    frames = pw.Frames(args.db)
    out = {"load_s": time.perf_counter() - started, "frame_bytes": frames.nbytes(),
           "rss_after_load": rss_bytes(), "rss_before_load": before, "pages": {}}
    answers = {}
    for page, sets in all_sets.items():
        out["pages"][page] = {}
        answers[page] = {}
        for which, calls in sets.items():
            if not calls:
                continue
            rows, got = [], []
            for c in calls:
                first = pw.answer(frames, c.name, c.filters, c.scope, c.params)
                if first is None:
                    rows.append({"query": c.label(), "warm_s": None})
                    got.append(None)
                    continue
                ts = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    pw.answer(frames, c.name, c.filters, c.scope, c.params)
                    ts.append(time.perf_counter() - t0)
                rows.append({"query": c.label(), "warm_s": statistics.median(ts)})
                got.append(first)
            out["pages"][page][which] = {"calls": rows}
            answers[page][which] = got
    out["peak_rss"] = peak_rss_bytes()
    if args.answers_out:
        Path(args.answers_out).write_bytes(pickle.dumps(answers))
    _write(args.out, out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.worker")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("--db", required=True)
    r.add_argument("--pages", required=True)
    r.add_argument("--lang", default="en")
    r.add_argument("--calls-out", required=True)
    r.add_argument("--out", required=True)
    for name in ("queries", "pandas"):
        q = sub.add_parser(name)
        q.add_argument("--db", required=True)
        q.add_argument("--calls", required=True)
        q.add_argument("--runs", type=int, default=5)
        q.add_argument("--out", required=True)
        q.add_argument("--answers-out")
        if name == "queries":
            q.add_argument("--page", required=True)
            q.add_argument("--sets", default="default,change",
                           help="which of the page's sets: default (its first screen), change (after the filter change)")
    args = p.parse_args(argv)
    {"render": render, "queries": queries, "pandas": pandas_way}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
