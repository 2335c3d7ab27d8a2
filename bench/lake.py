"""The pages on a DuckLake against the same database in a DuckDB file (issue 19, point 3).

    python -m bench.lake pages  [--sizes 10M,100M] [--runs 5] [--rounds 2] [--sets default]
    python -m bench.lake upkeep [--loads 1000] [--every 50] [--minutes 40] [--via store|loader]
    python -m bench.lake upkeep --resume WORKDIR [--again --delete-threshold 0]
    python -m bench.lake report RESULTS.json ...   (one table of earlier runs)

`pages`: for each size, the bench's embedded database (bench.run, built once in --data-dir)
is copied table by table into a DuckLake on a SQLite catalog (rollups included, never
regenerated; then audited with peakend.warehouse.rollup_check). Each page's query set is
recorded once, on the file, by rendering the page in AppTest (bench.pages), and the same
calls are replayed on both, each replay in a fresh process (bench.worker queries): cold is
its first pass, warm the median of --runs passes, asked as the page asks them. The rounds
alternate file, lake, lake, file, ... so a busy spell of the shared machine falls on both.

`upkeep`: a 1M lake takes --loads small loads, a feed's day of the demo network (its
tickets, calls and exits in time order, as peakend.demo.feed sends them) cut into that many
batches, each one commit through the store API (_store_load; --via loader: the whole loader,
as the ingest API calls it, about 3x slower a load), until --minutes are up. Its files are
counted every --every loads; the pages are timed after the loads, after
`peakend.warehouse.lake_upkeep.upkeep`, and on a fresh lake holding the same rows copied in
at once. --resume goes on from a run's loads; --again upkeeps that lake once more.

Results: bench/results/<stamp>-lake.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import time
from datetime import date, datetime
from pathlib import Path

from bench import report, scale
from bench.run import ROOT, RESULTS, database_for, load_average, machine, parse_size, upgrade, worker

LAKE_PAGES_TARGET = 1.5  # issue 19: a lake's warm page within 1.5x of the file's
UPKEEP_TARGET = 1.10  # after upkeep, files and page times within 10% of a fresh load
FEED_DAY = date(2026, 12, 3)  # the day after the base network's last (bench.scale, seed 7)


def lake_paths(data_dir: Path, name: str) -> tuple[str, Path, Path]:
    """(target, catalog file, data folder) of the bench lake `name`."""
    folder = data_dir / f"lake-{name}"
    return f"ducklake:sqlite:{folder / 'catalog.sqlite'}", folder / "catalog.sqlite", folder / "data"


def _settings(memory_limit: str, threads: int, temp: Path | None = None) -> dict:
    # a lake's default temp_directory is "<target>.tmp", which is no folder: name one
    out = {"memory_limit": memory_limit, "threads": threads, "preserve_insertion_order": True}
    return {**out, "temp_directory": str(temp)} if temp else out


class _Copied(Exception):
    """The lake is there already: audit it only."""


def copy_into_lake(source: str, target: str, data: Path, memory_limit: str = "4GB", threads: int = 2,
                   reuse: bool = False) -> dict:
    """A new lake at `target` (data files in `data`) holding every table of `source` (a
    DuckDB file or another lake), row for row and in the same order. The schema comes from
    PeakEnd's migrations (Database opens the empty lake); the rows from one INSERT ... SELECT
    per table, in one transaction."""
    from peakend.warehouse import lake, rollup_check
    from peakend.warehouse.db import Database

    catalog_file = Path(target.removeprefix("ducklake:sqlite:"))
    if not reuse:
        shutil.rmtree(data, ignore_errors=True)
        for p in catalog_file.parent.glob(catalog_file.name + "*"):
            p.unlink()
    os.environ["PEAKEND_WAREHOUSE_DATA"] = str(data)
    started = time.perf_counter()
    if not reuse:
        Database(target).close()  # the migrations make the tables
    con = lake.connect(target, _settings(memory_limit, threads, catalog_file.parent / "tmp"))
    con.execute("set enable_progress_bar = false")
    try:
        if reuse:
            rows = {}
            copy_s = None
            raise _Copied
        options = "(read_only)"
        con.execute(f"attach '{scale._checked_path(source)}' as src {options}")
        src_tables = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'src' and schema_name = 'main'").fetchall()}
        name = con.execute("select current_database()").fetchone()[0]
        lake_tables = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = 'main'",
            [name]).fetchall()}
        if src_tables != lake_tables:
            raise RuntimeError(f"tables differ: only in the source {sorted(src_tables - lake_tables)}, "
                               f"only in the lake {sorted(lake_tables - src_tables)}")
        rows = {}
        con.execute("begin")
        for t in sorted(src_tables):
            con.execute(f'delete from "{t}"')
            con.execute(f'insert into "{t}" by name select * from src.main."{t}"')
            rows[t] = con.execute(f'select count(*) from "{t}"').fetchone()[0]
        con.execute("commit")
        con.execute("detach src")
        copy_s = time.perf_counter() - started
    except _Copied:
        pass
    try:
        t0 = time.perf_counter()
        audit = rollup_check.audit(con)
        audit_s = time.perf_counter() - t0
        from peakend.warehouse.lake_upkeep import files

        counted = files(con)
    finally:
        con.close()
    if not audit.ok:
        raise RuntimeError("the lake's rollups differ from its visits:\n" + "\n".join(audit.lines()[:20]))
    return {"copy_s": copy_s, "audit_s": audit_s, "audit": "OK", "rows": rows,
            "files": counted.__dict__, "parquet_on_disk": _on_disk(data),
            "catalog_bytes": catalog_file.stat().st_size}


def _on_disk(data: Path) -> dict:
    found = list(data.rglob("*.parquet"))
    return {"files": len(found), "bytes": sum(p.stat().st_size for p in found)}


def lake_files(target: str) -> dict:
    from peakend.warehouse import lake
    from peakend.warehouse.lake_upkeep import files

    con = lake.connect(target, {"threads": 2})
    try:
        return files(con).__dict__
    finally:
        con.close()


# -- pages ---------------------------------------------------------------------------------


def record_calls(db: str, pages: list[str], env: dict, work: Path, timeout: float) -> Path:
    calls = work / "calls.pkl"
    worker(["render", "--db", db, "--pages", ",".join(pages), "--calls-out", str(calls),
            "--out", str(work / "render.json")], env, timeout)
    rendered = json.loads((work / "render.json").read_text())
    errors = {p: r["errors"] for p, r in rendered["pages"].items() if r["errors"]}
    if errors:
        raise RuntimeError(f"pages failed to render: {errors}")
    return calls


def time_page(db: str, calls: Path, page: str, runs: int, env: dict, out: Path, timeout: float,
              sets: str = "default,change") -> dict:
    worker(["queries", "--db", db, "--calls", str(calls), "--page", page, "--runs", str(runs),
            "--out", str(out), "--answers-out", str(out.with_suffix(".pkl")), "--sets", sets], env, timeout)
    return json.loads(out.read_text())


def compare_pages(targets: dict[str, str], calls: Path, pages: list[str], opts, env: dict, work: Path) -> dict:
    """Every page's set on every target, `opts.rounds` times each, in alternating order."""
    names = list(targets)
    got: dict = {p: {n: [] for n in names} for p in pages}
    for page in pages:
        for r in range(opts.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for n in order:
                res = time_page(targets[n], calls, page, opts.runs, env, work / f"q-{page}-{n}-{r}.json", opts.timeout,
                                opts.sets)
                got[page][n].append(res)
        line = ", ".join(f"{n} warm {report.ms(_warm(got[page][n]))} cold {report.ms(_cold(got[page][n]))} ms"
                         for n in names)
        print(f"  {page}: {line}", flush=True)
    out = {}
    for page in pages:
        out[page] = {}
        for n in names:
            rs = got[page][n]
            out[page][n] = {"warm_s": _warm(rs), "cold_s": _cold(rs),
                            "open_s": statistics.median(x["open_s"] for x in rs),
                            "queries": len(rs[0]["default"]["calls"]),
                            "warm_cpu_s": statistics.median(x["default"]["warm_cpu_s"] for x in rs),
                            "calls": _call_medians(rs), "runs": rs}
        out[page]["same_answers"] = _same_answers(work, page, names)
    return out


def _warm(rs: list[dict]) -> float:
    return statistics.median(t for x in rs for t in x["default"]["warm_page_runs"])


def _cold(rs: list[dict]) -> float:
    return statistics.median(x["default"]["cold_s"] for x in rs)


def _call_medians(rs: list[dict]) -> list[dict]:
    first = rs[0]["default"]["calls"]
    return [{"query": c["query"], "warm_s": statistics.median(x["default"]["calls"][i]["warm_s"] for x in rs)}
            for i, c in enumerate(first)]


VOLATILE = {"loaded_at", "created_at", "undone_at", "saved_at", "last_load_at", "newest_load_at"}


def _same_answers(work: Path, page: str, names: list[str]) -> dict:
    from bench.compare import same_answer

    answers = {n: pickle.loads((work / f"q-{page}-{n}-0.pkl").read_bytes()) for n in names}
    base, others = names[0], names[1:]
    out = {}
    for n in others:
        agree, differ = 0, []
        for which, got in answers[base].items():
            for i, a in enumerate(got):
                b = answers[n][which][i]
                keep = [c for c in a.columns if c not in VOLATILE]
                ok, why = same_answer(a[keep], b[[c for c in keep if c in b.columns]])
                if ok:
                    agree += 1
                else:
                    differ.append(f"{which} #{i}: {why}")
        out[n] = {"agree": agree, "differ": differ}
    return out


def run_pages(opts, env: dict, stamp: str) -> list[dict]:
    from bench.pages import page_keys

    pages = opts.pages.split(",") if opts.pages else page_keys()
    results = []
    for copies in [parse_size(s) for s in opts.sizes.split(",")]:
        size = f"{copies}M"
        print(f"\n== {size} visits: embedded file against DuckLake ==", flush=True)
        res: dict = {"size": size, "visits": copies * 1_000_000, "load_average_start": load_average()}
        db = database_for(opts, copies)
        upgrade(db, env)
        target, catalog_file, data = lake_paths(Path(opts.data_dir), size)
        if opts.recopy or not catalog_file.exists() or not (catalog_file.parent / "copied.json").exists():
            reuse = opts.reuse and catalog_file.exists()
            print(f"  {'auditing' if reuse else 'copying'} {db.name} into {target} ...", flush=True)
            copied = copy_into_lake(str(db), target, data, opts.build_memory_limit, opts.threads, reuse)
            (catalog_file.parent / "copied.json").write_text(json.dumps(copied, indent=1))
        copied = json.loads((catalog_file.parent / "copied.json").read_text())
        print(f"  lake: copied in {copied['copy_s'] or 0:.0f} s, audit {copied['audit']} ({copied['audit_s']:.0f} s), "
              f"{copied['files']['data_files']} data files, {copied['parquet_on_disk']['bytes'] / 2**30:.2f} GiB "
              f"(file {db.stat().st_size / 2**30:.2f} GiB)", flush=True)
        res["file"] = {"path": str(db), "bytes": db.stat().st_size}
        res["lake"] = {"target": target, **copied}
        work = Path(opts.data_dir) / "work" / f"{stamp}-lake-{size}"
        work.mkdir(parents=True, exist_ok=True)
        calls = record_calls(str(db), pages, env, work, opts.timeout)
        res["pages"] = compare_pages({"file": str(db), "lake": target}, calls, pages, opts, env, work)
        res["load_average_end"] = load_average()
        results.append(res)
    return results


# -- upkeep --------------------------------------------------------------------------------


def feed_batches(loads: int, work: Path) -> list[Path]:
    """A feed's day of the demo network (peakend.demo.feed: every visit's ticket, call and
    exit, in time order, a visit's latest send per batch) cut into `loads` batches, each a
    JSON-lines file as the ingest API would write it."""
    from peakend.demo.feed import batch_body, day_visits, events

    evts = events(day_visits(FEED_DAY, None))
    per = -(-len(evts) // loads)
    folder = work / "batches"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    paths = []
    for i in range(loads):
        chunk = evts[i * per:(i + 1) * per]
        if not chunk:
            break
        p = folder / f"batch-{i:04d}.jsonl"
        p.write_bytes(batch_body(chunk))
        paths.append(p)
    return paths


def _store_load(con, path: Path, colspec: str) -> tuple[int, int]:
    """One batch as one commit, through the warehouse's store API: a load record, the
    visits replaced on resend (merge: a later piece keeps what an earlier one said), the
    rollups staged and merged, the data version moved. What the loader adds around it
    (the file's checks, the rollup self-check, load_sources) is left out: it writes no
    more files, and it took a 1M lake's load from ~1.8 s to ~6 s on the shared machine."""
    from peakend.warehouse import store

    con.execute("begin")
    try:
        con.execute(
            "create or replace temp table __batch as "
            "select * replace (coalesce(abandoned, false) as abandoned) "
            f"from read_json('{scale._checked_path(str(path))}', columns = {colspec}, format = 'newline_delimited')"
        )
        load_id = store.start_load(con, "visits", "bench feed", path.name)
        inserted, replaced = store.insert_visits(con, "__batch", load_id, merge=True)
        store.finish_load(con, load_id, inserted, 0, replaced)
        con.execute("update meta set value = (value::bigint + 1)::varchar where key = 'data_version'")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return inserted, replaced


def small_loads(target: str, batches: list[Path], every: int, settings: dict, log: Path,
                minutes: float | None = None, via: str = "store", upkeep_every: int = 0,
                upkeep_args: dict | None = None) -> dict:
    """Load each batch (via the store API, or the loader as the ingest API calls it); count
    the lake's files every `every` loads (and stop after `minutes`, if given, at a count);
    with `upkeep_every`, run the upkeep on that schedule between the loads, as a deployment
    would (README, the deployment guide's step 4), with `upkeep_args` (keep, grace, ...: the
    run's own, so --keep 0 expires the snapshots between the loads too)."""
    from peakend.warehouse import lake, store
    from peakend.warehouse.lake_upkeep import files, upkeep

    os.environ.update({"PEAKEND_DUCKDB_MEMORY_LIMIT": settings["memory_limit"],
                       "PEAKEND_DUCKDB_THREADS": str(settings["threads"])})
    if via == "loader":
        from peakend.warehouse.db import Database
        from peakend.warehouse.ingest import load_files

        db = Database(target)
        con = db.cursor()
    else:
        db, con = None, lake.connect(target, settings)
    con.execute("set enable_progress_bar = false")
    types = {r[0]: r[1] for r in con.execute("describe visits").fetchall()}
    colspec = "{" + ", ".join(f"'{c}': '{types[c]}'" for c in store.CONTRACT_VISIT_COLUMNS) + "}"
    counts, seconds, rows = [], [], {"inserted": 0, "replaced": 0}
    upkeeps: list[float] = []  # seconds of each scheduled upkeep
    started = time.perf_counter()
    try:
        with log.open("w") as f:
            for i, path in enumerate(batches, 1):
                t0 = time.perf_counter()
                if db is not None:
                    [rep] = load_files(db, [path], "bench feed", kind="visits", merge=True, live=True)
                    rows["inserted"] += rep.rows_loaded or 0
                    rows["replaced"] += rep.rows_replaced or 0
                else:
                    ins, rep_n = _store_load(con, path, colspec)
                    rows["inserted"] += ins
                    rows["replaced"] += rep_n
                seconds.append(time.perf_counter() - t0)
                if upkeep_every and i % upkeep_every == 0:
                    # (until 2026-12-04 this ran with upkeep()'s default keep of a day: it
                    # merged but expired nothing, and 1,040 snapshots piled up)
                    kept = upkeep(con, **(upkeep_args or {}))
                    upkeeps.append(kept.total_s)
                if i % every == 0 or i == len(batches):
                    c = {"loads": i, "seconds": time.perf_counter() - started, **files(con).__dict__}
                    counts.append(c)
                    f.write(json.dumps(c) + "\n")
                    f.flush()
                    print(f"    {i} loads: {c['data_files']} data files, {c['delete_files']} delete files, "
                          f"median load {statistics.median(seconds[-every:]):.2f} s", flush=True)
                    if minutes is not None and time.perf_counter() - started > minutes * 60:
                        print(f"    stopped after {i} loads: the {minutes:g} minutes are up", flush=True)
                        break
    finally:
        con.close()
        if db is not None:
            db.close()
    return {"via": via, "counts": counts, "load_s": seconds, "median_load_s": statistics.median(seconds),
            "upkeep_every": upkeep_every, "upkeep_s": upkeeps, **rows}


def _upkeep_args(opts) -> dict:
    from peakend.warehouse.lake_upkeep import parse_duration

    return {"keep": parse_duration(opts.keep), "grace": parse_duration(opts.grace),
            "orphan_age": parse_duration(opts.grace), "delete_threshold": opts.delete_threshold}


def run_upkeep(opts, env: dict, stamp: str) -> dict:
    from peakend.warehouse import lake, rollup_check
    from peakend.warehouse.lake_upkeep import upkeep

    from bench.pages import page_keys

    data_dir = Path(opts.data_dir)
    pages = opts.pages.split(",") if opts.pages else page_keys()
    work = data_dir / "work" / f"{stamp}-upkeep"
    work.mkdir(parents=True, exist_ok=True)
    base = scale.base_database(data_dir / "base-1M.duckdb", None)
    # (the base was made by this checkout: no upgrade to do, and the 100M build may hold it open)
    settings = _settings(opts.memory_limit, opts.threads)
    print("\n== upkeep: a 1M lake after small loads ==", flush=True)
    loaded, _, loaded_data = lake_paths(data_dir, "1M-loads")
    fresh, _, fresh_data = lake_paths(data_dir, "1M-fresh")
    if opts.resume:
        # a run whose loads and fresh copy finished: its loads.log and calls, the lakes as they are
        work = Path(opts.resume)
        counts = [json.loads(line) for line in (work / "loads.log").read_text().splitlines() if line.startswith("{")]
        res: dict = {"resumed": str(work), "loads": counts[-1]["loads"], "feed_day": FEED_DAY.isoformat(),
                     "small_loads": {"via": opts.via, "counts": counts}, "loads_done": counts[-1]["loads"],
                     "fresh_copy": {"files": lake_files(fresh), "audit": "OK (in the run resumed)"}}
        calls = work / "calls.pkl"
    else:
        start = copy_into_lake(str(base), loaded, loaded_data, opts.build_memory_limit, opts.threads)
        batches = feed_batches(opts.loads, work)
        rows = sum(len(p.read_text().splitlines()) for p in batches)
        print(f"  {len(batches)} batches of the feed's {FEED_DAY} ({rows:,} sends, about {rows // len(batches)} a batch)",
              flush=True)
        res = {"start": start, "loads": len(batches), "sends": rows, "feed_day": FEED_DAY.isoformat()}
        t0 = time.perf_counter()
        res["small_loads"] = small_loads(loaded, batches, opts.every, settings, work / "loads.log", opts.minutes,
                                         opts.via, opts.upkeep_every, _upkeep_args(opts))
        res["loads_done"] = res["small_loads"]["counts"][-1]["loads"]
        res["small_loads"]["seconds"] = time.perf_counter() - t0
        # the pages' calls, recorded on the loaded lake (its period includes the feed's day)
        calls = record_calls(loaded, pages, env, work, opts.timeout)
        print("  a fresh lake of the same rows (copied from the loaded lake at once) ...", flush=True)
        res["fresh_copy"] = copy_into_lake(loaded, fresh, fresh_data, opts.build_memory_limit, opts.threads)
    after_loads = lake_files(loaded)
    for sub in ("before", "after"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    if opts.again:  # upkeep once more on a lake already kept up: the timings before are the first run's
        work = work / f"again-{stamp}"
        for sub in ("before", "after"):
            (work / sub).mkdir(parents=True, exist_ok=True)
        res["pages_before"] = None
    else:
        print("  timing the pages: fresh lake against the lake after the loads ...", flush=True)
        res["pages_before"] = compare_pages({"fresh": fresh, "loaded": loaded}, calls, pages, opts, env,
                                            work / "before")
    print("  upkeep ...", flush=True)
    con = lake.connect(loaded, settings)
    try:
        rep = upkeep(con, **_upkeep_args(opts))
        ok = rollup_check.audit(con).ok
    finally:
        con.close()
    res["upkeep"] = {"before": rep.before.__dict__, "after": rep.after.__dict__, "seconds": rep.seconds,
                     "total_s": rep.total_s, "rows": rep.rows, "retries": rep.retries, "audit_after": "OK" if ok else "DIFFERS",
                     "keep": opts.keep, "grace": opts.grace,
                     "delete_threshold": opts.delete_threshold}
    print(f"  upkeep {rep.total_s:.1f} s: {rep.before.line()} -> {rep.after.line()}; audit {'OK' if ok else 'DIFFERS'}",
          flush=True)
    print("  timing the pages: fresh lake against the lake after upkeep ...", flush=True)
    res["pages_after"] = compare_pages({"fresh": fresh, "upkept": loaded}, calls, pages, opts, env, work / "after")
    res["files"] = {"fresh": lake_files(fresh), "after_loads": after_loads, "after_upkeep": lake_files(loaded),
                    "on_disk_fresh": _on_disk(fresh_data), "on_disk_after_upkeep": _on_disk(loaded_data)}
    return res


# -- report --------------------------------------------------------------------------------


def pages_table(results: list[dict]) -> str:
    lines = [
        "| page | size | queries | embedded warm ms | embedded cold ms | lake warm ms | lake cold ms "
        "| lake / embedded, warm | cold | CPU, warm | same answers |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        for page, r in res["pages"].items():
            f, k = r["file"], r["lake"]
            same = r["same_answers"]["lake"]
            lines.append(
                f"| {page} | {res['size']} | {f['queries']} | {report.ms(f['warm_s'])} | {report.ms(f['cold_s'])} "
                f"| {report.ms(k['warm_s'])} | {report.ms(k['cold_s'])} | {k['warm_s'] / f['warm_s']:.2f} "
                f"| {k['cold_s'] / f['cold_s']:.2f} | {k['warm_cpu_s'] / f['warm_cpu_s']:.2f} "
                f"| {same['agree']}/{same['agree'] + len(same['differ'])} |"
            )
    return "\n".join(lines)


def upkeep_table(res: dict) -> str:
    files = res["files"]
    after = res["pages_after"]
    fresh = before = res["pages_before"] or {p: {"fresh": a["fresh"], "loaded": {"warm_s": None, "cold_s": None}}
                                            for p, a in after.items()}
    lines = [
        "| | fresh load | after the small loads | after upkeep | after upkeep / fresh |",
        "|---|---|---|---|---|",
        f"| data files | {files['fresh']['data_files']:,} | {files['after_loads']['data_files']:,} "
        f"| {files['after_upkeep']['data_files']:,} "
        f"| {files['after_upkeep']['data_files'] / files['fresh']['data_files']:.2f} |",
        f"| delete files | {files['fresh']['delete_files']:,} | {files['after_loads']['delete_files']:,} "
        f"| {files['after_upkeep']['delete_files']:,} | – |",
        f"| snapshots | {files['fresh']['snapshots']:,} | {files['after_loads']['snapshots']:,} "
        f"| {files['after_upkeep']['snapshots']:,} | – |",
        f"| Parquet files on disk | {files['on_disk_fresh']['files']:,} | – "
        f"| {files['on_disk_after_upkeep']['files']:,} | – |",
    ]
    for page in fresh:
        # the fresh lake's time: the median of both comparisons it took part in
        f_warm = statistics.median([fresh[page]["fresh"]["warm_s"], after[page]["fresh"]["warm_s"]])
        f_cold = statistics.median([fresh[page]["fresh"]["cold_s"], after[page]["fresh"]["cold_s"]])
        b, a = before[page]["loaded"], after[page]["upkept"]
        lines.append(f"| {page} warm ms | {report.ms(f_warm)} | {report.ms(b['warm_s'])} | {report.ms(a['warm_s'])} "
                     f"| {a['warm_s'] / f_warm:.2f} |")
        lines.append(f"| {page} cold ms | {report.ms(f_cold)} | {report.ms(b['cold_s'])} | {report.ms(a['cold_s'])} "
                     f"| {a['cold_s'] / f_cold:.2f} |")
    return "\n".join(lines)


def growth_table(res: dict) -> str:
    lines = ["| loads | data files | delete files | snapshots | s a load (that stretch, mean) |", "|---|---|---|---|---|"]
    prev_loads, prev_s = 0, 0.0
    for c in res["small_loads"]["counts"]:
        mean = (c["seconds"] - prev_s) / max(1, c["loads"] - prev_loads)
        prev_loads, prev_s = c["loads"], c["seconds"]
        lines.append(f"| {c['loads']} | {c['data_files']:,} | {c['delete_files']:,} | {c['snapshots']:,} | {mean:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.lake", description=__doc__.splitlines()[0])
    p.add_argument("part", choices=("pages", "upkeep", "report"))
    p.add_argument("results", nargs="*", help="report: the JSON files of earlier runs, one table of them all")
    p.add_argument("--sizes", default="10M,100M")
    p.add_argument("--pages", default=None, help="comma-separated page keys (default: every page in the menu)")
    p.add_argument("--runs", type=int, default=5, help="warm passes per process (median reported)")
    p.add_argument("--rounds", type=int, default=2, help="fresh processes per page and warehouse")
    p.add_argument("--sets", default="default,change",
                   help="the page's sets to time: default (its first screen) and change (after its filter change); "
                        "default: both")
    p.add_argument("--loads", type=int, default=1000, help="upkeep: small loads")
    p.add_argument("--via", choices=("store", "loader"), default="store",
                   help="upkeep: each small load through the store API (default) or the whole loader")
    p.add_argument("--resume", default=None, metavar="WORKDIR",
                   help="upkeep: go on from the timings of a run whose loads and fresh copy finished")
    p.add_argument("--again", action="store_true", help="upkeep, with --resume: upkeep the lake once more, time after")
    p.add_argument("--delete-threshold", type=float, default=None,
                   help="upkeep: rewrite files with this share of rows deleted (default: lake_upkeep's)")
    p.add_argument("--minutes", type=float, default=None, help="upkeep: stop loading after this long")
    p.add_argument("--every", type=int, default=100, help="upkeep: count the files every this many loads")
    p.add_argument("--upkeep-every", type=int, default=0,
                   help="upkeep: run the upkeep every this many loads while loading (0: only after them)")
    p.add_argument("--keep", default="0", help="upkeep: snapshots kept (the bench: 0, nobody reads old ones)")
    p.add_argument("--grace", default="0", help="upkeep: how long unread files wait before deletion")
    p.add_argument("--memory-limit", default="1GB")
    p.add_argument("--build-memory-limit", default="4GB")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", default="/tmp/peakend-bench")
    p.add_argument("--storage", default="sorted")
    p.add_argument("--rebuild", action="store_true", help="build the embedded databases again")
    p.add_argument("--recopy", action="store_true", help="copy the lakes again")
    p.add_argument("--reuse", action="store_true",
                   help="a lake whose copy finished but whose audit did not: audit it, don't copy it again")
    p.add_argument("--timeout", type=float, default=7200)
    p.add_argument("--out", default=str(RESULTS))
    opts = p.parse_args(argv)
    if opts.delete_threshold is None:
        from peakend.warehouse.lake_upkeep import DELETE_THRESHOLD

        opts.delete_threshold = DELETE_THRESHOLD
    if opts.part == "report":
        runs = [json.loads(Path(f).read_text()) for f in opts.results]
        sizes = [size for r in runs for size in r.get("sizes", [])]
        parts = [pages_table(sizes)] if sizes else []
        parts += [upkeep_table(r["upkeep"]) + "\n\n" + growth_table(r["upkeep"]) for r in runs if "upkeep" in r]
        print("\n\n".join(parts))
        return 0
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    env = {**os.environ, "PEAKEND_DUCKDB_MEMORY_LIMIT": opts.memory_limit,
           "PEAKEND_DUCKDB_THREADS": str(opts.threads), "PYTHONPATH": str(ROOT), "PEAKEND_ROLLUPS": "1"}
    for k in ("PEAKEND_WAREHOUSE", "PEAKEND_DB"):
        env.pop(k, None)
    info = machine()
    print(f"PeakEnd lake bench {stamp}: {info['nproc']} cores, DuckDB {info['duckdb']}, "
          f"memory_limit {opts.memory_limit}, threads {opts.threads}", flush=True)
    out: dict = {"stamp": stamp, "machine": info, "load_average_start": load_average(),
                 "settings": {k: v for k, v in vars(opts).items() if k != "part"}}
    started = time.perf_counter()
    if opts.part == "pages":
        out["sizes"] = run_pages(opts, env, stamp)
        table = pages_table(out["sizes"])
    else:
        out["upkeep"] = run_upkeep(opts, env, stamp)
        table = upkeep_table(out["upkeep"]) + "\n\n" + growth_table(out["upkeep"])
    out["seconds"] = time.perf_counter() - started
    out["load_average_end"] = load_average()
    results = Path(opts.out)
    results.mkdir(parents=True, exist_ok=True)
    name = f"{stamp}-lake-{opts.part}"
    (results / f"{name}.json").write_text(json.dumps(out, indent=1, default=str))
    (results / f"{name}.md").write_text(table + "\n")
    print("\n" + table + f"\n-> {results / name}.md", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
