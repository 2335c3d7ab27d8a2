"""How much the rollups save, case by case (bench/rollup_cases.py, the table the tests use):
each case's call answered from the visits (PEAKEND_ROLLUPS=0) and by its twin, timed warm
in the same run, alternating, and the two answers compared.

    python -m bench.rollup_sweep --visits 10000000      # builds /tmp/peakend-bench/sweep-10M.duckdb once
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench.compare import same_answer
from bench.rollup_cases import CASES, network_of, params_of
from peakend.demo import generate_demo
from peakend.warehouse.db import Database

WORK = Path("/tmp/peakend-bench")


def _label(visits: int) -> str:
    return f"{visits // 1_000_000}M" if visits % 1_000_000 == 0 else f"{visits // 1000}k"


def _database(visits: int) -> Path:
    path = WORK / f"sweep-{_label(visits)}.duckdb"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        db = Database(path)
        generate_demo(db, visits=visits, seed=7)
        db.close()
    return path


def _timed(db, case, net, rollups: str) -> tuple[float, object]:
    os.environ["PEAKEND_ROLLUPS"] = rollups
    started = time.perf_counter()
    answer = db.query(case.query, case.filters(net), case.scope(net), **params_of(case, net))
    return time.perf_counter() - started, answer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.rollup_sweep", description=__doc__.splitlines()[0])
    p.add_argument("--visits", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=5)
    opts = p.parse_args(argv)
    db = Database(_database(opts.visits), read_only=True)
    net = network_of(db)
    print(f"### rollup sweep, {opts.visits:,} visits ({len(CASES)} cases, warm, median of {opts.runs})\n")
    print("| case | answered by | raw ms | routed ms | raw / routed | same answer |")
    print("|---|---|---|---|---|---|")
    wrong = 0
    for case in CASES:
        twin = db.answering_query(case.query, case.filters(net), case.scope(net), params_of(case, net))
        _timed(db, case, net, "0"), _timed(db, case, net, "1")  # warm both
        raw, routed = [], []
        for _ in range(opts.runs):  # alternating, so a busy moment hits both alike
            seconds, raw_answer = _timed(db, case, net, "0")
            raw.append(seconds)
            seconds, routed_answer = _timed(db, case, net, "1")
            routed.append(seconds)
        same, why = same_answer(raw_answer, routed_answer)
        wrong += not same
        r, q = statistics.median(raw) * 1000, statistics.median(routed) * 1000
        print(f"| {case.label} | {twin} | {r:,.1f} | {q:,.1f} | {r / q:,.1f}x | {'yes' if same else 'NO: ' + why} |")
    db.close()
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
