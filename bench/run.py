"""`python -m bench`: build the databases, run the parts asked for, print the table, write
bench/results/<timestamp>-<size>.json and a markdown table beside it."""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench import report, scale

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("queries", "pandas", "load", "concurrency", "browser")
DEFAULT_SIZES = "1M,10M,100M"
# A pandas frame is refused when it would need more than this share of the free memory.
PANDAS_MEMORY_SHARE = 0.5


def parse_size(text: str) -> int:
    """'10M' -> 10 (copies of the 1M-visit simulated network)."""
    t = text.strip().upper()
    if not t.endswith("M") or not t[:-1].isdigit() or int(t[:-1]) < 1:
        raise argparse.ArgumentTypeError(f"sizes are whole millions of visits such as 1M, 10M, 100M; not {text!r}")
    return int(t[:-1])


def machine() -> dict:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:
            return ""

    import duckdb

    return {
        "nproc": sh("nproc"),
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor(),
        "free_h": sh("free -h"),
        "mem_total_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "commit": sh(f"git -C {ROOT} rev-parse --short HEAD"),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def available_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def worker(args: list[str], env: dict, timeout: float, root: Path = ROOT) -> None:
    """Run bench.worker of the checkout at `root` (this one, or the baseline's)."""
    cmd = [sys.executable, "-m", "bench.worker", *args]
    env = {**env, "PYTHONPATH": str(root)}
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed:\n{proc.stderr[-4000:]}")


def database_for(opts, copies: int) -> Path:
    data = Path(opts.data_dir)
    suffix = "" if opts.storage == "sorted" else "-unsorted"
    path = data / f"visits-{copies}M{suffix}.duckdb"
    if path.exists() and not opts.rebuild:
        return path
    base = scale.base_database(data / "base-1M.duckdb", None)
    print(f"building {path.name} ({copies} x the simulated network) ...", flush=True)
    s = scale.scaled_database(base, path, copies, memory_limit=opts.build_memory_limit,
                              threads=opts.threads, sorted_storage=opts.storage == "sorted",
                              progress=lambda m: None)
    print(f"  {s.visits:,} visits, {s.halls:,} halls, {s.size_bytes / 2**30:.2f} GiB, {s.seconds:.0f} s", flush=True)
    return path


def upgrade(path: Path, env: dict) -> None:
    """Open once, so a schema upgrade (building rollups) never lands inside a measurement."""
    code = "import sys; from peakend.warehouse.db import Database; Database(sys.argv[1]).close()"
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, env=env, check=True, timeout=7200)


def baseline_checkout(opts, rev: str) -> Path:
    """The code of commit `rev` (git archive), beside the big databases: its pages and
    queries are measured on the same database in the same run, for old-against-new ratios
    that hold on a noisy machine."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    path = Path(opts.data_dir) / f"baseline-{sha}"
    if not (path / "bench" / "worker.py").exists():
        path.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(path)], input=archive, check=True)
    return path


def run_queries(opts, db: Path, env: dict, work: Path, root: Path = ROOT) -> dict:
    pages = opts.pages.split(",") if opts.pages else _page_keys()
    out: dict = {"pages": {}}
    render_json, calls = work / "render.json", work / "calls.pkl"
    print("  rendering pages (AppTest, signed in) ...", flush=True)
    worker(["render", "--db", str(db), "--pages", ",".join(pages), "--calls-out", str(calls),
            "--out", str(render_json)], env, opts.timeout, root)
    rendered = json.loads(render_json.read_text())
    out["render"] = rendered
    modes = {"on": ["1"], "off": ["0"], "both": ["1", "0"]}[opts.rollups]
    for page in pages:
        out["pages"][page] = {}
        for mode in modes:
            label = "rollups" if mode == "1" else "raw"
            q_json = work / f"q-{page}-{label}.json"
            worker(["queries", "--db", str(db), "--calls", str(calls), "--page", page,
                    "--runs", str(opts.runs), "--out", str(q_json),
                    "--answers-out", str(work / f"a-{page}-{label}.pkl")],
                   {**env, "PEAKEND_ROLLUPS": mode}, opts.timeout, root)
            out["pages"][page][label] = json.loads(q_json.read_text())
        print(f"  {page}: " + report.page_line(out["pages"][page], rendered["pages"][page]), flush=True)
    out["calls_file"] = str(calls)
    return out


def run_pandas(opts, db: Path, copies: int, env: dict, work: Path, measured: dict) -> dict:
    calls = work / "calls.pkl"
    if not calls.exists():
        return {"skipped": "the queries part was not run, so there is no query set to answer"}
    per_row = measured.get("bytes_per_visit") or _sample_bytes_per_visit(db)
    need = per_row * copies * 1_000_000
    free = available_bytes()
    if need > PANDAS_MEMORY_SHARE * free:
        return {"skipped": "does not fit in memory", "estimated_frame_bytes": need,
                "available_bytes": free, "bytes_per_visit": per_row}
    print(f"  the pandas way (needs ~{need / 2**30:.1f} GiB) ...", flush=True)
    p_json = work / "pandas.json"
    worker(["pandas", "--db", str(db), "--calls", str(calls), "--runs", str(opts.pandas_runs),
            "--out", str(p_json), "--answers-out", str(work / "pandas-answers.pkl")], env, opts.timeout)
    result = json.loads(p_json.read_text())
    result["bytes_per_visit"] = result["frame_bytes"] / (copies * 1_000_000)
    result["agreement"] = _agreement(work)
    return result


def _sample_bytes_per_visit(db: Path) -> float:
    """Frame bytes per visit, measured on the first 200,000 visits of this database."""
    code = (
        "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
        "con.execute('set enable_progress_bar = false'); "
        "df = con.execute('select * from visits limit 200000').df(); "
        "print(df.memory_usage(deep=True).sum() / len(df))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db)], cwd=ROOT, capture_output=True, text=True, check=True)
    # the pandas way also keeps joined hall columns and four derived ones (~1.3x)
    return float(out.stdout.strip().splitlines()[-1]) * 1.3


def _agreement(work: Path) -> dict:
    from bench.compare import same_answer

    pandas_answers = pickle.loads((work / "pandas-answers.pkl").read_bytes())
    out = {}
    for page, sets in pandas_answers.items():
        duck_file = work / f"a-{page}-rollups.pkl"
        if not duck_file.exists():
            duck_file = work / f"a-{page}-raw.pkl"
        duck = pickle.loads(duck_file.read_bytes())
        agree, differ, not_compared = 0, [], 0
        for which, answers in sets.items():
            for i, p in enumerate(answers):
                if p is None:
                    not_compared += 1
                    continue
                ok, why = same_answer(duck[which][i], p)
                if ok:
                    agree += 1
                else:
                    differ.append(f"{which} #{i}: {why}")
        out[page] = {"agree": agree, "differ": differ, "not_compared": not_compared}
    return out


def _page_keys() -> list[str]:
    from bench.pages import page_keys

    return page_keys()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated: 1M,10M,100M (default)")
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated of {','.join(PARTS)} (default: all)")
    p.add_argument("--pages", default=None, help="comma-separated page keys (default: every page in the menu)")
    p.add_argument("--runs", type=int, default=5, help="warm runs per page query set (median reported)")
    p.add_argument("--pandas-runs", type=int, default=3)
    p.add_argument("--rollups", choices=("on", "off", "both"), default="both",
                   help="replay each page's queries with rollups, without, or both (default)")
    p.add_argument("--storage", choices=("sorted", "unsorted"), default="sorted",
                   help="unsorted: visits hall after hall, to measure what the storage order buys")
    p.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit of the app-like processes")
    p.add_argument("--build-memory-limit", default="4GB", help="DuckDB memory_limit while building databases")
    p.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    p.add_argument("--data-dir", default="/tmp/peakend-bench", help="where the big databases go (never the repo)")
    p.add_argument("--rebuild", action="store_true", help="build the databases again even if present")
    p.add_argument("--sessions", type=int, default=20, help="concurrency part: simultaneous sessions")
    p.add_argument("--session-seconds", type=float, default=120, help="concurrency part: time bound")
    p.add_argument("--timeout", type=float, default=7200, help="seconds any one worker may take")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--baseline", default=None, metavar="REV",
                   help="also measure the pages of commit REV on the same databases, in the same run")
    opts = p.parse_args(argv)
    sizes = [parse_size(s) for s in opts.sizes.split(",")]
    parts = [x.strip() for x in opts.parts.split(",") if x.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        p.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = Path(opts.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PEAKEND_DUCKDB_MEMORY_LIMIT": opts.memory_limit,
           "PEAKEND_DUCKDB_THREADS": str(opts.threads), "PYTHONPATH": str(ROOT)}
    info = machine()
    print(f"PeakEnd bench {stamp}: {info['nproc']} cores ({info['cpu']}), {info['mem_total_gb']} GB, "
          f"DuckDB {info['duckdb']}, memory_limit {opts.memory_limit}, threads {opts.threads}", flush=True)
    results = []
    measured: dict = {}
    for copies in sizes:
        size = f"{copies}M"
        print(f"\n== {size} visits ==", flush=True)
        res = {"size": size, "visits": copies * 1_000_000, "stamp": stamp, "machine": info,
               "settings": {"memory_limit": opts.memory_limit, "threads": opts.threads,
                            "storage": opts.storage, "runs": opts.runs, "rollups": opts.rollups},
               "load_average_start": load_average()}
        db = database_for(opts, copies)
        upgrade(db, env)
        res["database"] = {"path": str(db), "bytes": db.stat().st_size}
        work = Path(opts.data_dir) / "work" / f"{stamp}-{size}"
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if "queries" in parts and opts.baseline:
            print(f"  baseline {opts.baseline}:", flush=True)
            base_work = work / "baseline"
            base_work.mkdir(exist_ok=True)
            res["baseline"] = {"rev": opts.baseline,
                               "queries": run_queries(opts, db, env, base_work, baseline_checkout(opts, opts.baseline))}
            print("  this checkout:", flush=True)
        if "queries" in parts:
            res["queries"] = run_queries(opts, db, env, work)
        if "pandas" in parts:
            res["pandas"] = run_pandas(opts, db, copies, env, work, measured)
            if "bytes_per_visit" in res["pandas"] and "frame_bytes" in res["pandas"]:
                measured["bytes_per_visit"] = res["pandas"]["bytes_per_visit"]
        if "browser" in parts:
            from bench import browser

            res["browser"] = browser.run(db, env, opts)
        if "concurrency" in parts:
            from bench import concurrency

            res["concurrency"] = concurrency.run(db, env, opts, work)
        if "load" in parts and copies == 10:
            from bench import loadcsv

            res["load"] = loadcsv.run(db, env, opts, work)
        res["seconds"] = time.perf_counter() - started
        res["load_average_end"] = load_average()
        path = out_dir / f"{stamp}-{size}.json"
        path.write_text(json.dumps(res, indent=1, default=str))
        results.append(res)
        print(f"  -> {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    if "load" in parts and 10 not in sizes:
        print("\n(the load part loads the 10M database's visits as a CSV: add 10M to --sizes)")
    table = report.markdown(results)
    print("\n" + table)
    md = out_dir / f"{stamp}.md"
    md.write_text(table + "\n")
    print(f"-> {md}")
    return 0
