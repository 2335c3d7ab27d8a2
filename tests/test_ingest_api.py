"""POST /api/v1/visits (peakend/web/ingest_api.py) against the running server, over HTTP:
both formats, good and bad rows, the tokens, the limits, re-sends, partial visits, and the
batch as a load (history, undo, rollups exact) once the server has let go of the file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, start_server, stop_servers
from peakend.warehouse import rollup_check, sources
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import Mapping, load_history, save_mapping, undo, validate_file

LIMITS = {"PEAKEND_API_MAX_BODY_MB": "0.01", "PEAKEND_API_BURST": "30", "PEAKEND_API_RATE": "60"}
MAPPING = {
    "name": "hall_qms",
    "kind": "visits",
    "description": "a hall's queue system: Q- tickets",
    "columns": {
        "visit_id": {"column": "ticket", "prefix": "Q-"},
        "hall_id": "hall",
        "arrived_at": "arrived",
        "purpose": "reason",
    },
}


def _prepare(path: Path) -> dict[str, str]:
    """Sources (one revoked) and a saved mapping, written while no server holds the file."""
    db = Database(path)
    try:
        tokens = {
            "h1": sources.add_source(db, "h1-queue", ["H1"], "test"),
            "both": sources.add_source(db, "both-halls", ["H1", "H2"], "test"),
            "fast": sources.add_source(db, "fast-terminal", ["H1"], "test"),
            "old": sources.add_source(db, "old-queue", ["H1"], "test"),
        }
        sources.revoke_source(db, "old-queue", "test")
        save_mapping(db, Mapping.from_json(json.dumps(MAPPING)), "test")
    finally:
        db.close()
    return tokens


@pytest.fixture(scope="module")
def api(fixture_db_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("ingest_api") / "fixture.duckdb"
    shutil.copyfile(fixture_db_file, path)
    tokens = _prepare(path)
    proc, url = start_server(path, LIMITS)
    yield url, tokens
    stop_servers([(proc, url)])


def post(url: str, token: str | None, body: bytes | str, ctype: str = "application/x-ndjson", query: str = "",
         headers: dict | None = None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(f"{url}/api/v1/visits{query}", data=data, method="POST")
    req.add_header("Content-Type", ctype)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, json.loads(e.read())


def ndjson(*rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)


def visit(visit_id: str, hall: str = "H1", **extra) -> dict:
    return {"visit_id": visit_id, "hall_id": hall, "arrived_at": "2026-03-03 10:00:00", "purpose": "bill_payment",
            **extra}


def _rejects(answer: dict) -> set[tuple]:
    return {(r["row"], r["column"], r["reason"]) for r in answer["rejected"]["rows"]}


def test_good_batches_of_both_formats_load(api):
    url, tokens = api
    status, headers, answer = post(url, tokens["h1"], ndjson(visit("API-N1"), visit("API-N2", exit_score=5)))
    assert status == 200, answer
    assert answer["status"] == "loaded" and answer["format"] == "ndjson" and answer["source"] == "h1-queue"
    assert answer["accepted"] == {"count": 2, "visit_ids": ["API-N1", "API-N2"]}
    assert answer["replaced"]["count"] == 0 and answer["rejected"] == {"count": 0, "rows": []}
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"
    csv = "visit_id,hall_id,arrived_at,purpose,peak_score\nAPI-C1,H1,2026-03-03 11:00:00,plan_change,4\n"
    status, _, answer = post(url, tokens["h1"], csv, "text/csv; charset=utf-8")
    assert status == 200 and answer["format"] == "csv"
    assert answer["accepted"]["visit_ids"] == ["API-C1"] and answer["load_id"] > 0


def test_bad_rows_are_rejected_with_the_loaders_row_column_and_reason(api, fixture_db, tmp_path):
    url, tokens = api
    body = ndjson(
        visit("API-B1"),
        "this is not json",
        visit("API-B2", exit_score=9),
        {"visit_id": "API-B3", "hall_id": "H1", "purpose": "bill_payment"},  # no arrived_at
        "[1, 2]",
        visit("API-B4", exit_comment=["a", "list"]),
    )
    status, _, answer = post(url, tokens["h1"], body)
    assert status == 200 and answer["accepted"]["visit_ids"] == ["API-B1"]
    assert answer["rejected"]["count"] == 5
    got = _rejects(answer)
    assert (2, None, "the line is not valid JSON") in got
    assert (5, None, "the line is not a JSON object ({...}: one visit per line)") in got
    assert (6, "exit_comment", "is a list or an object, not a single value") in got
    # the same bytes checked by the loader a data admin uses: the same rows, columns, reasons
    local = tmp_path / "batch.ndjson"
    local.write_text(body, encoding="utf-8")
    report = validate_file(fixture_db, local, kind="visits")
    assert got == {(r.row, r.column or None, r.reason) for r in report.rejects.itertuples()}
    csv = (
        "visit_id,hall_id,arrived_at,purpose,exit_score\n"
        "API-B5,H1,2026-03-03 12:00:00,bill_payment,5\n"
        "API-B6,H1,not a time,bill_payment,4\n"
        'API-B7,H1,2026-03-03 12:10:00,"bill_payment,4\n'
    )
    status, _, answer = post(url, tokens["h1"], csv, "text/csv")
    assert status == 200 and answer["accepted"]["visit_ids"] == ["API-B5"]
    local = tmp_path / "batch.csv"
    local.write_text(csv, encoding="utf-8")
    report = validate_file(fixture_db, local, kind="visits")
    assert _rejects(answer) == {(r.row, r.column or None, r.reason) for r in report.rejects.itertuples()}
    assert {r["row"] for r in answer["rejected"]["rows"]} == {3, 4}


def test_a_batch_that_cant_load_is_refused_whole_with_the_loaders_reason(api):
    url, tokens = api
    status, _, answer = post(url, tokens["h1"], "ticket,when\n1,2\n", "text/csv")
    assert status == 422 and answer["status"] == "refused", answer
    assert "visit_id" in answer["reason"] and "nothing was written" in answer["message"]
    status, _, answer = post(url, tokens["h1"], "", "application/x-ndjson")
    assert status == 422 and "empty" in answer["reason"]


def test_a_saved_mapping_named_in_the_request(api):
    url, tokens = api
    csv = "ticket,hall,arrived,reason\n77,H1,2026-03-03 13:00:00,bill_payment\n"
    status, _, answer = post(url, tokens["h1"], csv, "text/csv", "?mapping=hall_qms")
    assert status == 200 and answer["mapping"] == "hall_qms" and answer["accepted"]["visit_ids"] == ["Q-77"]
    status, _, answer = post(url, tokens["h1"], csv, "text/csv", "?mapping=nope")
    assert status == 400 and "no mapping named 'nope'" in answer["message"]


def test_wrong_revoked_and_missing_tokens_are_401(api):
    url, tokens = api
    body = ndjson(visit("API-T1"))
    for token in [None, "pe_not-a-token", tokens["old"], "Basic x"]:
        status, headers, answer = post(url, token, body)
        assert status == 401, token
        assert headers["www-authenticate"].startswith("Bearer")
    status, _, answer = post(url, "pe_wrong", body, headers={"Accept-Language": "zh-CN"})
    assert status == 401 and answer["message"] == "令牌无效或已吊销"


def test_rows_of_another_hall_are_rejected_with_the_reason_and_the_rest_load(api):
    url, tokens = api
    body = ndjson(visit("API-S1"), visit("API-S2", hall="H2"), visit("API-S3", hall="H3"))
    status, _, answer = post(url, tokens["h1"], body)
    assert status == 200
    assert answer["accepted"]["visit_ids"] == ["API-S1"]
    assert _rejects(answer) >= {(2, "hall_id", "is a hall this source may not write (its token is for H1)")}
    assert {r["row"] for r in answer["rejected"]["rows"]} == {2, 3}
    status, _, answer = post(url, tokens["both"], ndjson(visit("API-S2", hall="H2")))
    assert status == 200 and answer["accepted"]["visit_ids"] == ["API-S2"]


def test_other_content_types_are_415_and_big_bodies_413(api):
    url, tokens = api
    status, _, answer = post(url, tokens["h1"], ndjson(visit("API-X1")), "application/json")
    assert status == 415 and "application/x-ndjson" in answer["message"]
    big = ndjson(*(visit(f"API-BIG{i}", exit_comment="x" * 200) for i in range(60)))  # ~20 KB, limit 10 KB
    status, _, answer = post(url, tokens["h1"], big)
    assert status == 413 and "0.01 MB" in answer["message"]
    # without a Content-Length (chunked): read up to the limit, then refused
    import http.client
    from urllib.parse import urlsplit

    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)
    conn.request("POST", "/api/v1/visits", body=iter([big.encode()[i:i + 4096] for i in range(0, len(big), 4096)]),
                 headers={"Authorization": f"Bearer {tokens['h1']}", "Content-Type": "application/x-ndjson"},
                 encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 413 and resp.getheader("content-length") is not None
    conn.close()


def test_a_source_sending_too_fast_gets_429_with_retry_after(api):
    url, tokens = api
    answers = [post(url, tokens["fast"], b"", "application/json")[0] for _ in range(31)]
    assert answers[:30] == [415] * 30  # counted before the body is looked at
    assert answers[30] == 429
    status, headers, answer = post(url, tokens["fast"], ndjson(visit("API-F1")))
    assert status == 429 and int(headers["retry-after"]) >= 1 and answer["error"] == "too_fast"
    # another source is not slowed down by it
    assert post(url, tokens["h1"], ndjson(visit("API-F2")))[0] == 200


def test_re_sending_is_safe(api):
    url, tokens = api
    body = ndjson(visit("API-R1"), visit("API-R2"))
    first = post(url, tokens["h1"], body)[2]
    status, _, again = post(url, tokens["h1"], body)
    assert status == 200 and again["status"] == "unchanged" and again["same_as_load"] == first["load_id"]
    status, _, changed = post(url, tokens["h1"], ndjson(visit("API-R1", exit_score=2), visit("API-R2")))
    assert changed["status"] == "loaded"
    assert changed["accepted"]["count"] == 0 and changed["replaced"]["visit_ids"] == ["API-R1", "API-R2"]


def test_a_visit_sent_in_pieces_is_completed_and_the_batch_is_a_load(fixture_db_file, tmp_path):
    """Its own server: afterwards the file is opened here to read the load history, undo
    the batch and audit every rollup."""
    path = tmp_path / "fixture.duckdb"
    shutil.copyfile(fixture_db_file, path)
    tokens = _prepare(path)
    db = Database(path)
    before = db.scalar("select count(*) from visits")
    v01 = db.scalar("select exit_score from visits where visit_id = 'V01'")
    db.close()
    proc, url = start_server(path, LIMITS)
    try:
        ticket = visit("API-P1", arrived_at="2026-03-03 10:00:00")
        assert post(url, tokens["h1"], ndjson(ticket))[2]["accepted"]["visit_ids"] == ["API-P1"]
        called = {**ticket, "called_at": "2026-03-03 10:07:00", "service_started_at": "2026-03-03 10:07:00"}
        assert post(url, tokens["h1"], ndjson(called))[2]["replaced"]["visit_ids"] == ["API-P1"]
        done = {**called, "service_ended_at": "2026-03-03 10:15:00", "left_at": "2026-03-03 10:16:00",
                "peak_score": 4, "exit_score": 5}
        # the completed visit, a fixture visit re-sent with another exit score, and a new one
        v01_new = visit("V01", arrived_at="2026-03-02 09:00:00", called_at="2026-03-02 09:04:00",
                        service_started_at="2026-03-02 09:04:00", service_ended_at="2026-03-02 09:10:00",
                        left_at="2026-03-02 09:11:00", exit_score=1)
        status, _, last = post(url, tokens["h1"], ndjson(done, v01_new, visit("API-P2")))
        assert status == 200 and last["replaced"]["visit_ids"] == ["API-P1", "V01"]
        assert last["accepted"]["visit_ids"] == ["API-P2"]
    finally:
        stop_servers([(proc, url)])
    db = Database(path)
    try:
        assert db.scalar("select count(*) from visits") == before + 2
        row = db.cursor().execute(
            "select wait_s, service_s, exit_score from visits where visit_id = 'API-P1'").fetchall()
        assert row == [(420.0, 480.0, 5)]
        history = load_history(db)
        ours = history[history["loaded_by"] == "source:h1-queue"]
        assert len(ours) == 3 and ours["file_name"].str.match(r"api-h1-queue-.*\.ndjson").all()
        assert ours.iloc[0]["load_id"] == last["load_id"] and ours.iloc[0]["rows_replaced"] == 2
        cur = db.cursor()
        assert rollup_check.audit(cur).ok
        cur.close()
        undo(db, last["load_id"], "test")
        assert db.scalar("select count(*) from visits") == before + 1
        assert db.scalar("select exit_score from visits where visit_id = 'V01'") == v01
        assert db.scalar("select service_s from visits where visit_id = 'API-P1'") is None
        cur = db.cursor()
        assert rollup_check.audit(cur).ok
        cur.close()
        assert [s.loads for s in sources.list_sources(db) if s.name == "h1-queue"] == [3]
    finally:
        db.close()
    check = subprocess.run([sys.executable, "-m", "peakend", "check", "--db", str(path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_later_piece_never_blanks_what_is_known(fixture_db_file, tmp_path):
    """Pieces that carry only the ticket's columns and what is new (the call alone, then
    the ratings alone, then the ticket again, late): each updates the visit and none blanks
    a field an earlier piece set; every write passes the rollup self-check, and the file
    audits clean afterwards."""
    path = tmp_path / "fixture.duckdb"
    shutil.copyfile(fixture_db_file, path)
    tokens = _prepare(path)
    proc, url = start_server(path, LIMITS)
    try:
        ticket = visit("API-M1", arrived_at="2026-03-03 10:00:00", segment="consumer")
        pieces = [
            ticket,
            visit("API-M1", called_at="2026-03-03 10:06:00", service_started_at="2026-03-03 10:06:30",
                  counter_id="C2", staff_id="S1"),
            visit("API-M1", service_ended_at="2026-03-03 10:14:30", left_at="2026-03-03 10:15:00",
                  peak_score=4, exit_score=2, exit_comment="太慢了"),
            ticket,  # the queue system re-sends the ticket after the ratings came in
        ]
        answers = [post(url, tokens["h1"], ndjson(p)) for p in pieces]
        assert [a[0] for a in answers] == [200] * 4, answers
        assert answers[0][2]["accepted"]["visit_ids"] == ["API-M1"]
        assert [a[2]["replaced"]["visit_ids"] for a in answers[1:]] == [["API-M1"]] * 3
        assert all(a[2]["rejected"]["count"] == 0 for a in answers)
        # a ticket, then its abandonment: abandoned stays until a call is known
        post(url, tokens["h1"], ndjson(visit("API-M2", arrived_at="2026-03-03 11:00:00")))
        post(url, tokens["h1"], ndjson(visit("API-M2", arrived_at="2026-03-03 11:00:00",
                                             left_at="2026-03-03 11:20:00")))
        post(url, tokens["h1"], ndjson(visit("API-M2", arrived_at="2026-03-03 11:00:00", exit_score=1)))
    finally:
        stop_servers([(proc, url)])
    db = Database(path)
    try:
        cur = db.cursor()
        got = cur.execute(
            """select called_at::varchar, service_started_at::varchar, service_ended_at::varchar,
                      left_at::varchar, counter_id, staff_id, peak_score, exit_score, exit_comment, segment,
                      abandoned, wait_s, service_s
               from visits where visit_id = 'API-M1'"""
        ).fetchall()
        assert got == [("2026-03-03 10:06:00", "2026-03-03 10:06:30", "2026-03-03 10:14:30", "2026-03-03 10:15:00",
                        "C2", "S1", 4, 2, "太慢了", "consumer", False, 360.0, 480.0)]
        m2 = cur.execute("select abandoned, left_at::varchar, exit_score, queue_s from visits "
                         "where visit_id = 'API-M2'").fetchall()
        assert m2 == [(True, "2026-03-03 11:20:00", 1, 1200.0)]
        assert rollup_check.audit(cur).ok
        cur.close()
    finally:
        db.close()
