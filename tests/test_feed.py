"""python -m peakend feed (peakend/demo/feed.py): a demo day as the halls' systems would send
it, in time order, each visit growing under its visit_id; played on a simulated clock."""

import json
from datetime import date

import pytest

from peakend.demo import feed


def test_a_day_becomes_ticket_call_and_exit_sends_in_time_order():
    visits = feed.day_visits(date(2026, 3, 3), ["DLC01"])
    assert len(visits) > 20 and set(visits["hall_id"]) == {"DLC01"}
    evts = feed.events(visits)
    assert [e.at for e in evts] == sorted(e.at for e in evts)
    served = visits[visits["service_ended_at"].notna()].iloc[0]
    mine = [e.visit for e in evts if e.visit["visit_id"] == served["visit_id"]]
    assert [len(v) for v in mine] == sorted(len(v) for v in mine) and len(mine) == 3
    assert set(mine[0]) <= {"visit_id", "hall_id", "arrived_at", "purpose", "segment"}
    assert "called_at" in mine[1] and "service_ended_at" in mine[2]


def test_a_batch_sends_each_visit_once_as_last_known_and_429_is_waited_out():
    visits = feed.day_visits(date(2026, 3, 3), ["DLC01"])
    evts = feed.events(visits)
    now = [0.0]
    sent, answers = [], [(429, {"Retry-After": "3"}, {})]

    def send(body):
        if answers:
            return answers.pop()
        rows = [json.loads(line) for line in body.decode().splitlines()]
        sent.append(rows)
        ids = [r["visit_id"] for r in rows]
        assert len(ids) == len(set(ids))
        zero = {"count": 0, "visit_ids": []}
        return 200, {}, {"accepted": {**zero, "count": len(rows)}, "replaced": zero, "rejected": {"count": 0, "rows": []}}

    def sleep(s):
        now[0] += s

    totals = feed.play(evts, send, speed=600, tick=1.0, say=lambda _: None, clock=lambda: now[0], sleep=sleep)
    last = {}
    for rows in sent:
        for r in rows:
            last[r["visit_id"]] = r
    assert len(last) == len(visits) and totals["posts"] == len(sent) and totals["refused"] == 0
    done = visits[visits["left_at"].notna()]
    assert all("left_at" in last[v] for v in done["visit_id"])


def test_an_app_that_stops_answering_is_tried_again_and_a_wrong_url_fails_at_once():
    evts = feed.events(feed.day_visits(date(2026, 3, 3), ["DLC01"]))[:40]
    now = [0.0]
    zero = {"count": 0, "visit_ids": []}

    def sleep(s):
        now[0] += s

    sent = set()

    def answering(body):
        rows = body.decode().splitlines()
        sent.update(json.loads(r)["visit_id"] for r in rows)
        return 200, {}, {"accepted": {**zero, "count": len(rows)}, "replaced": zero, "rejected": {"count": 0, "rows": []}}

    calls = {"n": 0}

    def restarted(body):  # the second post finds the app down for three tries
        calls["n"] += 1
        if 2 <= calls["n"] <= 4:
            raise ConnectionRefusedError(111, "Connection refused")
        return answering(body)

    said = []
    totals = feed.play(evts, restarted, speed=6000, tick=1.0, say=said.append, clock=lambda: now[0], sleep=sleep)
    assert sent == {e.visit["visit_id"] for e in evts} and totals["refused"] == 0  # the batch was kept
    assert sum("did not answer" in line for line in said) == 3

    def down(body):
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(OSError):  # never reached: a wrong --url, no retrying
        feed.play(evts, down, speed=6000, say=lambda _: None, clock=lambda: now[0], sleep=sleep)
    calls["n"] = 0

    def gone(body):  # answered once, then never again: given up after GIVE_UP_S
        calls["n"] += 1
        if calls["n"] > 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return answering(body)

    started = now[0]
    with pytest.raises(OSError):
        feed.play(evts, gone, speed=6000, tick=1.0, say=lambda _: None, clock=lambda: now[0], sleep=sleep)
    assert feed.GIVE_UP_S <= now[0] - started <= feed.GIVE_UP_S + 2 * feed.RETRY_S + 60
