"""`python -m peakend feed`: play a day of the demo network into the ingest API, as the
halls' queue systems would (README, "The ingest API").

    python -m peakend feed --token TOKEN [--url http://127.0.0.1:8501] [--halls DLC01,...]
                           [--speed 60] [--day YYYY-MM-DD] [--start HH:MM] [--seed 7]

The day is simulated with the demo's own model (the same network and halls as `make demo`)
and dated `--day` (default today). Each visit is posted as it becomes known, in time
order, `--speed` times faster than real time: the ticket at its arrival (visit_id, hall,
arrival, purpose, segment), again when it is called (call and service start, counter,
staff), and whole when the customer leaves (service end, scores, comment). Every send is
the visit as known so far under the same visit_id, so each one replaces the last (the
loader's replace-on-resend). A batch is what became due since the last one (about every
`--tick` seconds); a 429 is waited out as its Retry-After says.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from peakend.core import clock as app_clock
from peakend.demo.cli import DEFAULT_SEED
from peakend.demo.generate import DEFAULT_MONTHS, DEFAULT_VISITS, simulate_demo

MAX_BATCH = 2000  # events per POST (well under the API's default 8 MB)
# An app that stops answering after the feed has reached it (restarted, say) is tried again
# every RETRY_S seconds for up to GIVE_UP_S, as a hall system would, the batch kept; one that
# never answered is a wrong --url and fails at once.
RETRY_S = 5.0
GIVE_UP_S = 300.0
_TICKET = ["visit_id", "hall_id", "arrived_at", "purpose", "segment"]
_CALLED = [*_TICKET, "called_at", "service_started_at", "staff_id", "counter_id"]


@dataclass(frozen=True)
class Event:
    at: datetime
    visit: dict  # the visit as known at `at`


def _clean(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def day_visits(day: date, halls: list[str] | None, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The demo's visits of `day` (the last day of a one-month simulation at the demo's
    density), for `halls` (None: every hall), with the demo's visit ids."""
    data = simulate_demo(visits=DEFAULT_VISITS // DEFAULT_MONTHS, seed=seed, end_date=day, months=1)
    v = data.visits.to_pandas()
    v = v[v["arrived_at"].dt.date == day]
    v = v.assign(**{c: v[c].astype(object) for c in v.columns if isinstance(v[c].dtype, pd.CategoricalDtype)})
    if halls:
        unknown = sorted(set(halls) - set(data.halls.column("hall_id").to_pylist()))
        if unknown:
            raise ValueError(f"no such demo hall(s): {', '.join(unknown)}")
        v = v[v["hall_id"].isin(halls)]
    v = v.assign(
        visit_id=v["hall_id"].astype(str)
        + "-"
        + v["arrived_at"].dt.strftime("%Y%m%d")
        + "-"
        + v["ticket"].astype(str).str.zfill(4)
    )
    return v.drop(columns=["ticket"]).sort_values("arrived_at").reset_index(drop=True)


def events(visits: pd.DataFrame) -> list[Event]:
    """Each visit's sends (ticket, call, exit) in time order."""
    out: list[Event] = []
    for row in visits.to_dict("records"):
        whole = {k: _clean(v) for k, v in row.items()}
        whole = {k: v for k, v in whole.items() if v is not None}
        out.append(Event(row["arrived_at"].to_pydatetime(), {k: whole[k] for k in _TICKET if k in whole}))
        if pd.notna(row["called_at"]):
            out.append(Event(row["called_at"].to_pydatetime(), {k: whole[k] for k in _CALLED if k in whole}))
        end = row["left_at"] if pd.notna(row["left_at"]) else row["service_ended_at"]
        if pd.notna(end):
            out.append(Event(end.to_pydatetime(), whole))
    out.sort(key=lambda e: e.at)
    return out


def batch_body(due: list[Event]) -> bytes:
    """JSON lines of the due events, the latest send of each visit only (a visit_id twice
    in one batch would be a rejected repeat)."""
    latest: dict[str, dict] = {}
    for e in due:
        latest.pop(e.visit["visit_id"], None)
        latest[e.visit["visit_id"]] = e.visit
    return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in latest.values()).encode()


def post(url: str, token: str, body: bytes) -> tuple[int, dict, dict]:
    req = urllib.request.Request(f"{url.rstrip('/')}/api/v1/visits", data=body, method="POST")
    req.add_header("Content-Type", "application/x-ndjson")
    req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as e:
        try:
            answer = json.loads(e.read())
        except ValueError:
            answer = {"message": e.reason}
        return e.code, dict(e.headers), answer


def play(
    evts: list[Event],
    send: Callable[[bytes], tuple[int, dict, dict]],
    speed: float,
    start: datetime | None = None,
    tick: float = 1.0,
    say: Callable[[str], None] = print,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Send the events in time order at `speed` times real time from `start` (default:
    the first event). Returns the totals of the answers."""
    totals = {"posts": 0, "accepted": 0, "replaced": 0, "rejected": 0, "refused": 0}
    if not evts:
        return totals
    begin = start or evts[0].at
    i = sum(1 for e in evts if e.at < begin)
    t0 = clock()
    while i < len(evts):
        sim_now = begin + timedelta(seconds=(clock() - t0) * speed)
        j = i
        while j < len(evts) and evts[j].at <= sim_now and j - i < MAX_BATCH:
            j += 1
        if j == i:
            wait = (evts[i].at - sim_now).total_seconds() / speed
            sleep(max(0.0, min(tick, wait)))
            continue
        body = batch_body(evts[i:j])
        down_since = None
        while True:
            try:
                status, headers, answer = send(body)
            except OSError as e:
                if totals["posts"] == 0:
                    raise
                down_since = down_since if down_since is not None else clock()
                if clock() - down_since >= GIVE_UP_S:
                    raise
                say(f"{sim_now:%H:%M:%S} the app did not answer ({e}); trying again in {RETRY_S:g} s")
                sleep(RETRY_S)
                continue
            if status != 429:
                break
            retry = float({k.lower(): v for k, v in headers.items()}.get("retry-after", "1"))
            say(f"{sim_now:%H:%M:%S} 429, waiting {retry:g} s")
            sleep(retry)
        totals["posts"] += 1
        if status == 200:
            for key in ("accepted", "replaced", "rejected"):
                totals[key] += answer[key]["count"]
            say(f"{sim_now:%H:%M:%S} {j - i} event(s): {answer.get('message', answer.get('status'))}")
            for r in answer["rejected"]["rows"][:3]:
                say(f"  row {r['row']}, {r['column']}: {r['reason']}")
        else:
            totals["refused"] += 1
            say(f"{sim_now:%H:%M:%S} {status}: {answer.get('message')}")
            if status in (401, 403):
                break
        i = j
        sleep(tick)
    return totals


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", default="http://127.0.0.1:8501", help="the running app (default http://127.0.0.1:8501)"
    )
    parser.add_argument("--token", default=None, help="a source's token (default: $PEAKEND_FEED_TOKEN)")
    parser.add_argument("--halls", default="", help="comma-separated hall ids (default: every hall of the demo)")
    parser.add_argument("--speed", type=float, default=60, help="times real time (default 60: a day in ~15 min)")
    parser.add_argument(
        "--day",
        type=date.fromisoformat,
        default=None,
        help="the day's date (default today in Asia/Shanghai, the demo's time zone)",
    )
    parser.add_argument("--start", default=None, help="start at this time of day, HH:MM (default: the first ticket)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"the simulation's seed (default {DEFAULT_SEED})"
    )
    parser.add_argument("--tick", type=float, default=1.0, help="seconds between posts (default 1)")


def run(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("PEAKEND_FEED_TOKEN")
    if not token:
        print(
            "feed: give a source's token (--token or $PEAKEND_FEED_TOKEN; python -m peakend sources add)",
            file=sys.stderr,
        )
        return 2
    if args.speed <= 0:
        print("feed: --speed must be above 0", file=sys.stderr)
        return 2
    # today in the demo network's time zone (its halls have none of their own), by the app's
    # clock: the day the hall page's today panel is showing
    day = args.day or app_clock.utcnow().replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    halls = [h.strip() for h in args.halls.split(",") if h.strip()] or None
    try:
        visits = day_visits(day, halls, args.seed)
    except ValueError as e:
        print(f"feed: {e}", file=sys.stderr)
        return 2
    start = None
    if args.start:
        hh, mm = (int(x) for x in args.start.split(":"))
        start = datetime.combine(day, datetime.min.time()).replace(hour=hh, minute=mm)
    evts = events(visits)
    print(f"feed: {len(visits):,} visits ({len(evts):,} sends) of {day} to {args.url} at {args.speed:g}x", flush=True)
    try:
        totals = play(evts, lambda body: post(args.url, token, body), args.speed, start, args.tick)
    except KeyboardInterrupt:
        print("feed: stopped")
        return 0
    except OSError as e:
        print(f"feed: the app at {args.url} did not answer ({e}); stopped", file=sys.stderr)
        return 1
    print("feed: done: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))
    return 1 if totals["refused"] else 0
