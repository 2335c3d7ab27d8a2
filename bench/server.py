"""The app's real Streamlit server, started by the bench on 127.0.0.1, with two additions
for the concurrency part that stay in this process (DuckDB lets one process write):

--record    every named query a session runs is kept with its answer (or its error);
--load CSV  when the driver creates TRIGGER/start-load, a thread loads CSV through
            peakend.warehouse.ingest.load_files into the app's own database, as the data page does
            while other sessions read. Before it starts, a read transaction is opened and
            kept: it still sees the data as it was. When the driver creates TRIGGER/check,
            every recorded answer is compared with the same query answered before the
            load (in that transaction) and after it; the verdict goes to TRIGGER/check.json.

    python -m bench.server --db D --port P [--record --load CSV --trigger DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[dict] = []
        self.runs: list[tuple[float, float]] = []  # (started, seconds) of every script run

    def install(self) -> None:
        from peakend.warehouse.db import Database

        original = Database.query
        rec = self

        def query(db, name, filters=None, scope=None, **params):
            from peakend.core.scope import EVERYTHING

            scope = scope or EVERYTHING
            started = time.perf_counter()
            entry = {"name": name, "filters": filters, "scope": scope, "params": dict(params),
                     "thread": threading.current_thread().name, "started": time.time()}
            try:
                result = original(db, name, filters, scope, **params)
                entry["result"] = result
                return result
            except Exception as e:
                entry["error"] = f"{type(e).__name__}: {e}"
                raise
            finally:
                entry["seconds"] = time.perf_counter() - started
                with rec.lock:
                    rec.calls.append(entry)

        Database.query = query

        # and how long each script run takes on the server, from its start to its end,
        # whatever the browsers do with it
        from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

        original_run = ScriptRunner._run_script

        def _run_script(runner, rerun_data):
            started, t0 = time.time(), time.perf_counter()
            try:
                return original_run(runner, rerun_data)
            finally:
                with rec.lock:
                    rec.runs.append((started, time.perf_counter() - t0))

        ScriptRunner._run_script = _run_script


def _answer(db, cur, call) -> "object":
    from peakend.warehouse.named_queries import bind_values, compile_query

    name = db.answering_query(call["name"], call["filters"], call["scope"], call["params"])
    return cur.execute(compile_query(name), bind_values(name, call["filters"], call["scope"], call["params"])).df()


def _key(call) -> str:
    return repr((call["name"], call["filters"], call["scope"].cache_key(), sorted(call["params"].items())))


def loader(db_path: str, csv: str, trigger: Path, recorder: Recorder) -> None:
    while not (trigger / "start-load").exists():
        time.sleep(0.2)
    # Imported only now: importing peakend.ui before any session has run app.py would
    # defeat peakend/ui/legacy_pages.py, which must run inside the first page run.
    from bench.compare import same_answer
    from peakend.warehouse.ingest import load_files
    from peakend.ui.session import _open_database

    db = _open_database(db_path)  # the app's one database (st.cache_resource)
    before = db.cursor()
    before.execute("begin transaction")
    before.execute("select count(*) from visits").fetchone()  # the snapshot starts here
    result: dict = {"started": time.time()}
    try:
        t0 = time.perf_counter()
        [report] = load_files(db, [csv], "bench concurrency")
        result.update(seconds=time.perf_counter() - t0, status=report.status, rows=report.rows_loaded,
                      replaced=report.rows_replaced, message=report.message)
    except Exception:
        result["error"] = traceback.format_exc()
    result["finished"] = time.time()
    (trigger / "load.json").write_text(json.dumps(result))
    while not (trigger / "check").exists():
        time.sleep(0.2)
    verdict = {"calls": 0, "errors": [], "same_as_before": 0, "same_as_after": 0, "same_as_both": 0,
               "neither": [], "during_load": 0}
    after = db.cursor()
    cache: dict = {}
    with recorder.lock:
        calls = list(recorder.calls)
    for call in calls:
        verdict["calls"] += 1
        if "error" in call:
            verdict["errors"].append(call["error"])
            continue
        if result["started"] <= call["started"] <= result["finished"]:
            verdict["during_load"] += 1
        k = _key(call)
        if k not in cache:
            cache[k] = (_answer(db, before, call), _answer(db, after, call))
        was, now = cache[k]
        b, a = same_answer(call["result"], was)[0], same_answer(call["result"], now)[0]
        if b and a:
            verdict["same_as_both"] += 1
        elif b:
            verdict["same_as_before"] += 1
        elif a:
            verdict["same_as_after"] += 1
        else:
            verdict["neither"].append(call["name"])
    before.execute("rollback")
    before.close()
    after.close()
    verdict["distinct_calls"] = len(cache)
    verdict["query_seconds"] = sorted(c["seconds"] for c in calls)
    verdict["query_times"] = [(c["started"], c["seconds"], c["name"]) for c in calls]
    with recorder.lock:
        verdict["script_runs"] = list(recorder.runs)
    (trigger / "check.json").write_text(json.dumps(verdict))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.server")
    p.add_argument("--db", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--record", action="store_true")
    p.add_argument("--load")
    p.add_argument("--trigger")
    a = p.parse_args(argv)
    os.environ["PEAKEND_DB"] = a.db
    sys.path.insert(0, str(ROOT))
    recorder = Recorder()
    if a.record:
        recorder.install()
    if a.load:
        threading.Thread(target=loader, args=(a.db, a.load, Path(a.trigger), recorder),
                         name="bench-loader", daemon=True).start()
    import uvicorn

    # Served as make run serves it (peakend/web/asgi.py), with the recorder in this process.
    os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    uvicorn.run("peakend.web.asgi:app", host="127.0.0.1", port=a.port, access_log=False, log_level="warning")

if __name__ == "__main__":
    main()
