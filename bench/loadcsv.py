"""Load time of a 10M-row visits CSV through peakend.warehouse.ingest (the loader a data admin uses):
the 10M bench database's visits written out as a contract CSV, with its halls and purposes
files, loaded into a fresh database in a fresh process (as the command line loader runs,
with the bench's build memory limit). Rollups are maintained by the load (same
transaction), so their cost is part of the time."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_LOAD = r"""
import json, resource, sys, time
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import load_files
db_path, visits, halls, purposes, out = sys.argv[1:6]
started = time.perf_counter()
db = Database(db_path)
reports = load_files(db, [purposes, visits], "bench", halls_path=halls)
total = time.perf_counter() - started
rows = db.scalar("select count(*) from visits")
rollup_rows = db.scalar("select count(*) from visit_rollup")
db.close()
json.dump({
    "total_s": total,
    "files": [{"file": r.file.name, "status": r.status, "kind": r.kind, "rows_loaded": r.rows_loaded,
               "rows_rejected": r.rows_rejected, "seconds": r.seconds, "message": r.message} for r in reports],
    "visits_in_db": rows, "visit_rollup_rows": rollup_rows,
    "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}, open(out, "w"))
"""


def export_csvs(db: Path, work: Path) -> tuple[Path, Path, Path]:
    import duckdb

    from peakend.warehouse import store as warehouse

    visits, halls, purposes = work / "visits-10M.csv", work / "halls.csv", work / "purposes.csv"
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set enable_progress_bar = false")
        cols = ", ".join(warehouse.CONTRACT_VISIT_COLUMNS)
        # in arrival order, as a queue system exports a period
        con.execute(f"copy (select {cols} from visits order by arrived_at, visit_id) to '{visits}' (header, delimiter ',')")
        hall_cols = ", ".join(warehouse.CONTRACT_HALL_COLUMNS)
        con.execute(f"copy (select {hall_cols} from halls order by hall_id) to '{halls}' (header, delimiter ',')")
        con.execute(f"copy (select * from purposes order by purpose) to '{purposes}' (header, delimiter ',')")
    finally:
        con.close()
    return visits, halls, purposes


def run(db: Path, env: dict, opts, work: Path) -> dict:
    print("  exporting the visits as a CSV ...", flush=True)
    started = time.perf_counter()
    visits, halls, purposes = export_csvs(db, work)
    export_s = time.perf_counter() - started
    rows = sum(1 for _ in visits.open("rb")) - 1
    target = work / "loaded.duckdb"
    target.unlink(missing_ok=True)
    out = work / "load.json"
    print(f"  loading {rows:,} rows ({visits.stat().st_size / 2**30:.2f} GiB) through peakend.warehouse.ingest ...", flush=True)
    # as `python -m peakend load` runs it: a process of its own, here with the memory the
    # bench gives its builds (--build-memory-limit) rather than the app's
    env = {**env, "PEAKEND_DUCKDB_MEMORY_LIMIT": opts.build_memory_limit}
    proc = subprocess.run([sys.executable, "-c", _LOAD, str(target), str(visits), str(halls), str(purposes), str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=opts.timeout)
    if proc.returncode != 0:
        return {"error": proc.stderr[-3000:]}
    result = json.loads(out.read_text())
    result["csv_rows"] = rows
    result["csv_bytes"] = visits.stat().st_size
    result["export_s"] = export_s
    vis = next((f for f in result["files"] if f["kind"] == "visits"), {})
    result["visits_load_s"] = vis.get("seconds")
    result["summary"] = (
        f"{rows:,}-row CSV ({result['csv_bytes'] / 2**30:.2f} GiB): visits file loaded in "
        f"{vis.get('seconds', float('nan')):.1f} s ({vis.get('status')}, {vis.get('rows_loaded', 0):,} rows, "
        f"{vis.get('rows_rejected', 0):,} rejected), halls + purposes + visits {result['total_s']:.1f} s, "
        f"loader peak RSS {result['peak_rss'] / 2**30:.2f} GiB"
    )
    for p in (visits, halls, purposes, target, Path(str(target) + ".wal")):
        p.unlink(missing_ok=True)
    for p in work.glob("*.rejects.csv"):
        p.unlink()
    print("  " + result["summary"], flush=True)
    return result
