"""The warehouse as a DuckLake beyond one machine (issue 19, the first "Done when"): the
catalog in a real Postgres, the data files in a bucket of a local S3 server, the demo loaded
into it, two app processes serving it while a command-line load and two ingest-API batches
(one through each app process) write the same hall-day at once, then an undo by a fourth
process, and both app processes showing the same numbers after each; then
`python -m peakend check --warehouse ...` says OK.

Postgres and S3 are real processes (tests/services.py): a temporary cluster of Debian's
postgresql and moto's S3 server, on loopback ports. Without them these tests skip, saying
why; under CI that fails the run (tests/conftest.py).

What "the same numbers" is read from: each app process's GET /healthz?counts=1, which
answers with its data version (the key of every page's cached answers), the version its
pages read (page_version), and what the pages' dataset summary counts (visits and halls
from hall_rollup, and the loads). The app processes run with PEAKEND_LIVE_CACHE_S=4 so
that the pages' caches follow within seconds rather than the default 30.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import start_servers, stop_servers
from services import BUCKET

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parent.parent
DEMO_VISITS = 20_000
END_DATE = "2026-03-31"
HALL = "BJS01"  # a hall of the demo network
BATCH = 12  # visits a writer sends
LAKE_POLL_S = 2.0  # the documented poll (peakend/warehouse/db.py), the app processes' default
LIVE_CACHE_S = 4.0  # the app processes' page caches (default 30), so the test needn't wait 30 s
SLACK_S = 2.0  # a busy 2-core machine: a /healthz answer itself takes a while


def _run(args: list[str], env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "peakend", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _post_visits(url: str, token: str, csv_text: str) -> dict:
    request = urllib.request.Request(
        url + "/api/v1/visits", data=csv_text.encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    try:
        with urllib.request.urlopen(request, timeout=180) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return {"status": f"HTTP {e.code}", "body": e.read().decode(errors="replace")}


def _visits_csv(prefix: str, day: str) -> str:
    """BATCH visits of HALL on `day` (a day the demo has visits of it: the same rollup rows)."""
    header = ("visit_id,hall_id,arrived_at,purpose,called_at,service_started_at,service_ended_at,left_at,"
              "staff_id,counter_id,abandoned,peak_score,exit_score,exit_comment,overall_score,segment")
    rows = []
    for i in range(BATCH):
        h, m = 10 + i // 6, (i % 6) * 10
        t = f"{day} {h:02d}:{m:02d}"
        rows.append(
            f"{prefix}-{i:03d},{HALL},{t}:00,bill_payment,{t}:30,{t}:40,{day} {h:02d}:{m + 5:02d}:00,"
            f"{day} {h:02d}:{m + 6:02d}:00,{HALL}-S01,{HALL}-C01,false,{1 + i % 5},{1 + (i + 2) % 5},,,consumer"
        )
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture(scope="module")
def lake(postgres, s3_server, tmp_path_factory):
    """The demo in a DuckLake on the services, served by two app processes: (target, env,
    the test's own Database on it, [(process, url)], timings)."""
    import os

    from peakend.warehouse import sources
    from peakend.warehouse.db import Database

    timings: dict[str, float] = {}
    started = time.perf_counter()
    target = f"ducklake:postgres:{postgres.create_database('peakend_served')}"
    env = {**s3_server.env(), "PEAKEND_WAREHOUSE_DATA": f"s3://{BUCKET}/lake", "PEAKEND_WAREHOUSE": target}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        child_env = {**os.environ, "PEAKEND_LIVE_CACHE_S": str(LIVE_CACHE_S), "PEAKEND_LAKE_POLL_S": str(LAKE_POLL_S)}
        # the lake and its schema first, so that the app processes (which open it as they
        # start) and the demo (which wants an empty lake) don't race to create it
        db = Database(target)
        timings["empty lake with its schema"] = time.perf_counter() - started
        demo = subprocess.Popen(
            [sys.executable, "-m", "peakend", "demo", "--visits", str(DEMO_VISITS), "--seed", "7",
             "--end-date", END_DATE, "--out", target],
            cwd=ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        servers: list[tuple] = []
        try:
            servers = start_servers([target, target], child_env)  # they start while the demo runs
            timings["two app processes up"] = time.perf_counter() - started
            said, _ = demo.communicate(timeout=240)
            assert demo.returncode == 0, said
            assert f"Wrote {DEMO_VISITS:,} visits" in said, said
            timings["demo written"] = time.perf_counter() - started
            token = sources.add_source(db, "lake-feed", [HALL], "tester")
            yield {"target": target, "env": child_env, "db": db, "servers": servers, "token": token,
                   "timings": timings, "s3": s3_server, "postgres": postgres}
        finally:
            if demo.poll() is None:
                demo.kill()
            stop_servers(servers)
            db.close()
            print("timings (s since the start):", {k: round(v, 1) for k, v in timings.items()})


def _truth(db) -> dict:
    """The warehouse's numbers as of now, read by this process (not through an app)."""
    from peakend.web.health import COUNTS_SQL

    cur = db.cursor()
    try:
        version = int(cur.execute("select value from meta where key = 'data_version'").fetchone()[0])
        visits, halls, loads = cur.execute(COUNTS_SQL).fetchone()
    finally:
        cur.close()
    return {"data_version": version, "counts": {"visits": int(visits), "halls": int(halls), "loads": int(loads)}}


def _both_show(servers: list[tuple], want: dict, committed: float) -> float:
    """Wait until every app process answers with `want`'s data version and counts, then until
    their pages read that version; assert it is within the documented times. Returns how
    long the slower one took to show the data version."""
    seen: dict[str, float] = {}
    page_seen: dict[str, float] = {}
    last: dict[str, dict] = {}
    while len(page_seen) < len(servers):
        for _, url in servers:
            if url in page_seen:
                continue
            state = _get(url + "/healthz?counts=1")["database"]
            last[url] = state
            now = time.monotonic() - committed
            if state["data_version"] == want["data_version"]:
                assert state["counts"] == want["counts"], (url, state, want)
                seen.setdefault(url, now)
                if state["page_version"] == want["data_version"]:
                    page_seen[url] = now
            assert state["data_version"] <= want["data_version"], (url, state, want)
        waited = time.monotonic() - committed
        if len(seen) < len(servers):
            assert waited < LAKE_POLL_S + SLACK_S, f"data version not shown within {LAKE_POLL_S} s: {last} {want}"
        assert waited < LAKE_POLL_S + LIVE_CACHE_S + SLACK_S, f"the pages' version lags: {last} {want}"
        time.sleep(0.1)
    return max(seen.values())


def test_the_demo_is_in_the_bucket_and_its_catalog_in_postgres(lake):
    data_files = [k for k in lake["s3"].keys("lake/") if k.endswith(".parquet")]
    assert data_files, "no data file in the bucket"
    pg = lake["postgres"]
    tables = pg.psql("select count(*) from information_schema.tables where table_name like 'ducklake_%'",
                     "peakend_served")
    assert int(tables) >= 10, tables
    # the catalog lists the bucket's files (DuckLake keeps paths relative to its data path)
    listed = int(pg.psql("select count(*) from ducklake_data_file", "peakend_served"))
    assert listed and listed <= len(data_files), (listed, len(data_files))
    assert pg.psql("select value from ducklake_metadata where key = 'data_path'", "peakend_served") == (
        f"s3://{BUCKET}/lake/"
    )
    # a cursor of the connection reads the data files through the S3 secret
    db = lake["db"]
    assert db.scalar("select count(*) from visits") == DEMO_VISITS
    assert db.scalar("select sum(wait_s) from visits") > 0


def test_two_app_processes_show_the_same_numbers_after_each_of_concurrent_loads(lake, tmp_path):
    db, servers, env, target = lake["db"], lake["servers"], lake["env"], lake["target"]
    day = str(db.scalar("select max(day) from visit_rollup where hall_id = ? and purpose = 'bill_payment'", [HALL]))
    before = _truth(db)
    _both_show(servers, before, time.monotonic())  # the demo, committed by another process, is shown

    # three writers at once on the same hall-day (the same visit, wait, hall and city rollup
    # rows): a command-line load and an ingest-API batch through each app process
    cli_file = tmp_path / "cli.csv"
    cli_file.write_text(_visits_csv("PG-CLI", day), encoding="utf-8")
    cli = subprocess.Popen(
        [sys.executable, "-m", "peakend", "load", str(cli_file), "--warehouse", target, "--user", "tester"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    answers: dict[str, dict] = {}

    def post(i: int, url: str) -> None:
        answers[url] = _post_visits(url, lake["token"], _visits_csv(f"PG-API{i}", day))

    threads = [threading.Thread(target=post, args=(i, url)) for i, (_, url) in enumerate(servers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    said, _ = cli.communicate(timeout=240)
    committed = time.monotonic()
    assert cli.returncode == 0, said
    for url, answer in answers.items():
        assert answer.get("status") == "loaded" and answer["accepted"]["count"] == BATCH, (url, answer)

    after = _truth(db)
    assert after["counts"]["visits"] == before["counts"]["visits"] + 3 * BATCH, (before, after)
    assert after["counts"]["loads"] == before["counts"]["loads"] + 3
    assert db.scalar("select count(*) from visits where hall_id = ? and visit_id like 'PG-%'", [HALL]) == 3 * BATCH
    shown_in = _both_show(servers, after, committed)

    # the command-line load taken back out by a fourth process (this one): both show it gone
    from peakend.warehouse.ingest import undo

    cli_load = db.scalar("select max(load_id) from loads where loaded_by = 'tester' and status = 'loaded'")
    undo(db, cli_load, "tester")
    committed = time.monotonic()
    last = _truth(db)
    assert last["counts"]["visits"] == after["counts"]["visits"] - BATCH
    shown_in = max(shown_in, _both_show(servers, last, committed))
    lake["timings"]["slowest app to show a load (s)"] = shown_in


def test_check_says_ok_on_the_lake_after_the_loads(lake):
    done = _run(["check", "--warehouse", lake["target"]], lake["env"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: ducklake:postgres:"), done.stdout
    assert f"{DEMO_VISITS + 2 * BATCH:,} visits" in done.stdout, done.stdout
