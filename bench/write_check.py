"""What the write path's self-check costs: the share of a load's (and an undo's) time spent
checking the rollup rows it touched against the visits (peakend/warehouse/rollup_check.py), then the
full audit (`python -m peakend check`) on the result.

    python -m bench.write_check --visits 1000000 [--visits 10000000]

For each size: the demo network of that size (built once into --data-dir) is written out as
a contract CSV with its halls and purposes, loaded into a fresh database through the
command-line loader; then a tenth of its visits is re-sent with other exit scores (each one
replaces a stored visit), and that load is undone. The check runs inside each of those
transactions, as always; its time is measured around it in the same process, so the ratio
holds on a noisy machine where the absolute times don't.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _demo(visits: int, data_dir: Path) -> Path:
    path = data_dir / f"demo-{visits}.duckdb"
    if not path.exists():
        print(f"  building a {visits:,}-visit demo network ...", flush=True)
        subprocess.run([sys.executable, "-m", "peakend", "demo", "--visits", str(visits), "--seed", "7",
                        "--out", str(path), "--force"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return path


def measure(visits: int, data_dir: Path) -> dict:
    import duckdb

    from peakend.warehouse import rollup_check
    from peakend.cli import main as cli
    from bench.loadcsv import export_csvs

    demo = _demo(visits, data_dir)
    work = data_dir / f"write-check-{visits}"
    work.mkdir(exist_ok=True)
    print("  exporting CSVs ...", flush=True)
    visits_csv, halls_csv, purposes_csv = export_csvs(demo, work)
    resent_csv = work / "resent.csv"
    con = duckdb.connect(str(demo), read_only=True)
    con.execute(f"copy (select * exclude (wait_s, queue_s, service_s, load_id) replace "
                f"(6 - coalesce(exit_score, 3) as exit_score) from visits using sample 10 percent "
                f"(reservoir, 7)) to '{resent_csv}' (header)")
    con.close()
    db = work / "loaded.duckdb"
    for leftover in (db, Path(f"{db}.wal")):
        leftover.unlink(missing_ok=True)

    checks: list[float] = []
    verify = rollup_check.verify_touched

    def timed(cur):
        started = time.perf_counter()
        try:
            return verify(cur)
        finally:
            checks.append(time.perf_counter() - started)

    rollup_check.verify_touched = timed
    steps = []
    try:
        for what, argv in (
            ("CLI load (halls, purposes, visits)", ["load", str(purposes_csv), str(visits_csv), "--halls", str(halls_csv)]),
            ("CLI load of re-sent visits", ["load", str(resent_csv)]),
            ("CLI undo of that load", ["load", "--undo", None]),
        ):
            if None in argv:
                con = duckdb.connect(str(db), read_only=True)
                argv[-1] = str(con.execute("select max(load_id) from loads").fetchone()[0])
                con.close()
            checks.clear()
            started = time.perf_counter()
            code = cli([*argv, "--db", str(db), "--user", "bench"])
            total = time.perf_counter() - started
            assert code == 0, (what, code)
            steps.append({"step": what, "total_s": total, "check_s": sum(checks), "transactions": len(checks)})
    finally:
        rollup_check.verify_touched = verify
    started = time.perf_counter()
    audit = subprocess.run([sys.executable, "-m", "peakend", "check", "--db", str(db)], cwd=ROOT,
                           capture_output=True, text=True)
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("select count(*) from visits").fetchone()[0]
    con.close()
    return {"visits": visits, "stored": stored, "steps": steps, "audit_s": time.perf_counter() - started,
            "audit_exit": audit.returncode, "audit_out": audit.stdout.strip()[:2000]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.write_check", description=__doc__.splitlines()[0])
    p.add_argument("--visits", type=int, action="append", help="network sizes (default 1,000,000)")
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/peakend-bench"))
    args = p.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    results = [measure(n, args.data_dir) for n in (args.visits or [1_000_000])]
    print("\n| visits | step | transactions | total s | check s | check share |")
    print("|---|---|---|---|---|---|")
    for r in results:
        for s in r["steps"]:
            print(f"| {r['visits']:,} | {s['step']} | {s['transactions']} | {s['total_s']:.1f} | "
                  f"{s['check_s']:.2f} | {100 * s['check_s'] / s['total_s']:.1f}% |")
    for r in results:
        print(f"\n{r['visits']:,}: {r['stored']:,} visits stored; `python -m peakend check` exit "
              f"{r['audit_exit']} in {r['audit_s']:.1f} s: {r['audit_out']}")
    out = ROOT / "bench" / "results" / f"{time.strftime('%Y%m%d-%H%M%S')}-write-check.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\n{out.relative_to(ROOT)}")
    return 0 if all(r["audit_exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
