"""The command line while the app runs (issue 18, point 4): the app holds the database
file, so `load FILE` sends visit files to its ingest API with a data admin's token, and
lands while others read; what needs the file itself says so in plain words, never DuckDB's
lock error; and an app started while a command-line write holds the file says so too."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, start_server, stop_servers, wait_for_app
from peakend.warehouse import rollup_check, sources
from peakend.warehouse.db import Database

RAW_LOCK = ("Could not set lock", "IO Error", "Conflicting lock", "Traceback")


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "peakend", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})},
    )


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture()
def running(fixture_db_file, tmp_path):
    path = tmp_path / "fixture.duckdb"
    shutil.copyfile(fixture_db_file, path)
    db = Database(path)
    token = sources.add_source(db, "nightly", [sources.ALL_HALLS], "test")
    db.close()
    proc, url = start_server(path)
    assert _get(url + "/healthz")[0] == 200  # the app has opened the file
    yield path, url, token
    stop_servers([(proc, url)])


def test_a_load_sent_to_the_running_app_lands_while_others_read(running, tmp_path):
    path, url, token = running
    visits = tmp_path / "nightly.csv"
    rows = [f"NIGHT-{i:04d},{'H1' if i % 2 else 'H2'},2026-03-04 {9 + i % 8:02d}:{i % 60:02d}:00,bill_payment,"
            f"{1 + i % 5}" for i in range(500)]
    visits.write_text("visit_id,hall_id,arrived_at,purpose,exit_score\n" + "\n".join(rows)
                      + "\nNIGHT-BAD,NOWHERE,2026-03-04 10:00:00,bill_payment,5\n")
    reads, stop = [], threading.Event()

    def read(n: int) -> None:  # readers asking the database throughout the load
        while not stop.is_set():
            reads.append((n, *_get(url + "/healthz")))

    readers = [threading.Thread(target=read, args=(n,)) for n in range(3)]
    for r in readers:
        r.start()
    try:
        done = _cli("load", str(visits), "--db", str(path), env={"PEAKEND_URL": url, "PEAKEND_TOKEN": token})
    finally:
        stop.set()
        for r in readers:
            r.join()
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "the app has the database open; sending to it" in out
    assert "as load" in out and "500 new, 0 replaced, 1 rejected" in out and "row 502, hall_id" in out
    assert not any(s in out for s in RAW_LOCK)
    assert reads and all(status == 200 for _, status, _ in reads), reads[:3]
    for n in range(3):  # each reader's answers in the order it got them (3 readers interleave)
        versions = [answer["database"]["data_version"] for who, _, answer in reads if who == n]
        assert versions == sorted(versions)  # a reader never went back to an older version
    after = _get(url + "/healthz")[1]["database"]["data_version"]
    assert after > reads[0][2]["database"]["data_version"]  # the load's new version is seen, not a stale one
    # the same file again (a cron retry): it replaces its own visits, nothing is doubled
    again = _cli("load", str(visits), "--db", str(path), "--url", url, "--token", token)
    assert again.returncode == 0 and "0 new, 500 replaced, 1 rejected" in again.stdout


def test_what_needs_the_file_says_so_in_plain_words(running, tmp_path):
    path, url, token = running
    for args in (["load", "--history", "--db", str(path)], ["load", "--undo", "1", "--db", str(path)],
                 ["load", "--mappings", "--db", str(path)], ["sources", "list", "--db", str(path)],
                 ["users", "--db", str(path), "list"], ["check", "--db", str(path)]):
        done = _cli(*args)
        out = done.stdout + done.stderr
        assert done.returncode != 0, (args, out)
        assert "is open in another PeakEnd process" in out, (args, out)
        assert not any(s in out for s in RAW_LOCK), (args, out)
    visits = tmp_path / "v.csv"
    visits.write_text("visit_id,hall_id,arrived_at,purpose\nX1,H1,2026-03-04 10:00:00,bill_payment\n")
    no_token = _cli("load", str(visits), "--db", str(path), env={"PEAKEND_TOKEN": ""})
    assert no_token.returncode == 1 and "give a data admin's source token" in no_token.stderr
    dry = _cli("load", str(visits), "--dry-run", "--db", str(path), env={"PEAKEND_TOKEN": token})
    assert dry.returncode == 1 and "use the app's Data page (Check)" in dry.stderr


@pytest.mark.browser
def test_an_app_started_while_the_cli_writes_says_so(fixture_db_file, tmp_path, browser):
    path = tmp_path / "fixture.duckdb"
    shutil.copyfile(fixture_db_file, path)
    holder = Database(path)  # a command-line write holding the file
    proc, url = start_server(path)
    try:
        status, answer = _get(url + "/healthz")
        assert status == 503 and "is open in another PeakEnd process" in answer["error"]
        req = urllib.request.Request(f"{url}/api/v1/visits", data=b"{}\n", method="POST")
        req.add_header("Authorization", "Bearer pe_x")
        req.add_header("Content-Type", "application/x-ndjson")
        with pytest.raises(urllib.error.HTTPError) as got:
            urllib.request.urlopen(req, timeout=30)
        assert got.value.code == 503 and got.value.headers["retry-after"] == "30"
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
        pg = context.new_page()
        pg.goto(url + "/hall?lang=en")
        wait_for_app(pg)
        text = pg.locator("[data-testid='stMain']").inner_text()
        assert "in use by another PeakEnd process" in text
        assert pg.locator("[data-testid='stException']").count() == 0
        assert not any(s in text for s in RAW_LOCK)
        # the write ends: the next visit opens the file
        holder.close()
        holder = None
        pg.reload()
        wait_for_app(pg)
        assert pg.locator("[data-testid='stForm'] input[type='password']").count() == 1
        context.close()
    finally:
        if holder is not None:
            holder.close()
        stop_servers([(proc, url)])
