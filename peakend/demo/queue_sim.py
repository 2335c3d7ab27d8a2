"""Each hall's multi-counter FIFO queue, simulated day by day.

Customers take a ticket and are called in ticket order by the first counter that is free
and staffed; the staff member's speed scales the service time. Nobody is called the moment
they take a ticket: the ticket reaches the queue system and an idle staff member notices it
and presses "next", so even an empty hall calls after some tens of seconds (the call
latency). A customer whose wait would pass their patience gives up and leaves at arrival +
patience, never holding a counter, so the calls of everyone behind them are exact. Counters
close for lunch and at the end of shifts (staff finish the customer they have); the
counters open at closing time serve the queue that is left. When the queue grows long, a
hall with someone to spare opens one more counter until it is short again.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from peakend.demo.arrivals import Arrivals, Calendar
from peakend.demo.network import PURPOSE_CODES, SEGMENTS, Network, Staff
from peakend.demo.staffing import SLOT_MIN, Staffing

# Median service minutes by purpose (lognormal, sigma SERVICE_SIGMA).
SERVICE_MEDIAN_MIN = {
    "bill_payment": 3.0,
    "sim_plan_change": 8.0,
    "repair": 12.0,
    "data_demo": 14.0,
    "phone_purchase": 16.0,
    "enquiry": 4.0,
    "broadband": 11.0,
    "number_porting": 12.0,
}
SERVICE_SIGMA = 0.45
# Median patience in minutes by purpose: people with a broken phone or a new one to buy wait
# longer than people with a quick question.
PATIENCE_MEDIAN_MIN = {
    "bill_payment": 28.0,
    "sim_plan_change": 36.0,
    "repair": 48.0,
    "data_demo": 34.0,
    "phone_purchase": 45.0,
    "enquiry": 24.0,
    "broadband": 40.0,
    "number_porting": 45.0,
}
PATIENCE_SIGMA = 0.5
SEGMENT_SERVICE = {"consumer": 1.0, "senior": 1.25, "student": 0.95, "business": 0.95}
SEGMENT_PATIENCE = {"consumer": 1.0, "senior": 1.3, "student": 0.9, "business": 0.75}
# Minutes between the end of service and walking out of the door, by purpose.
EXIT_DWELL_MIN = {"phone_purchase": 4.0, "data_demo": 2.0}
EXIT_DWELL_DEFAULT_MIN = 1.0

# Staff hurry when the queue is long: service shortens by this share per person waiting,
# down to the floor. Real halls show the same, and it keeps a bad day from running away.
HURRY_PER_WAITING = 0.02
HURRY_FLOOR = 0.7
# When the queue grows long the duty manager sends a back-office colleague to a spare
# counter: once this many tickets per open counter are waiting (as the queue display counts
# them, people who gave up included), never fewer than the minimum. Understaffed halls have
# nobody to spare, nor has a hall on a day someone is off.
SPARE_QUEUE_PER_COUNTER = 2.0
SPARE_QUEUE_MIN = 3
# From taking a ticket to the earliest possible call, even at an idle counter (lognormal):
# a median of 40 s, nine calls in ten between about 20 and 80 s, never under 10 s.
CALL_LATENCY_MEDIAN_S = 40.0
CALL_LATENCY_SIGMA = 0.4
CALL_LATENCY_MIN_S = 10.0

_INF = math.inf


@dataclass
class CustomerTimes:
    service_s: np.ndarray  # before the staff member's speed
    patience_s: np.ndarray
    latency_s: np.ndarray  # from the ticket to the earliest possible call
    walk_s: np.ndarray  # from being called to sitting down at the counter
    dwell_s: np.ndarray  # from the end of service to leaving
    wrapup_s: np.ndarray  # the staff member's notes after the customer left the counter


def draw_customer_times(rng: np.random.Generator, arr: Arrivals) -> CustomerTimes:
    n = len(arr.hall)
    svc_med = np.array([SERVICE_MEDIAN_MIN[p] for p in PURPOSE_CODES])[arr.purpose]
    svc_seg = np.array([SEGMENT_SERVICE[s] for s in SEGMENTS])[arr.segment]
    pat_med = np.array([PATIENCE_MEDIAN_MIN[p] for p in PURPOSE_CODES])[arr.purpose]
    pat_seg = np.array([SEGMENT_PATIENCE[s] for s in SEGMENTS])[arr.segment]
    dwell_med = np.array([EXIT_DWELL_MIN.get(p, EXIT_DWELL_DEFAULT_MIN) for p in PURPOSE_CODES])
    service = 60 * svc_med * svc_seg * rng.lognormal(0, SERVICE_SIGMA, n)
    patience = 60 * pat_med * pat_seg * rng.lognormal(0, PATIENCE_SIGMA, n)
    walk = rng.uniform(15, 75, n)
    dwell = 60 * dwell_med[arr.purpose] * rng.lognormal(0, 0.5, n)
    wrapup = rng.uniform(20, 90, n)
    latency = np.maximum(CALL_LATENCY_MEDIAN_S * rng.lognormal(0, CALL_LATENCY_SIGMA, n), CALL_LATENCY_MIN_S)
    return CustomerTimes(
        np.round(service), np.round(patience), np.round(latency), np.round(walk), np.round(dwell), np.round(wrapup)
    )


@dataclass
class QueueResult:
    called_s: np.ndarray  # seconds after midnight; NaN for those who gave up
    counter: np.ndarray  # counter number within the hall, 1-based; 0 when not served
    staff: np.ndarray  # index into Staff arrays; -1 when not served
    ended_s: np.ndarray  # end of service; NaN when not served


def _next_open(counts: np.ndarray, opens_s: float, closes_s: float) -> list[list[float]]:
    """Per counter and slot (plus one slot for after closing): when the counter is next
    staffed, as seconds after midnight (the slot's own start when staffed now)."""
    n_counters = int(counts.max())
    starts = opens_s + SLOT_MIN * 60 * np.arange(len(counts) + 1, dtype=float)
    starts[-1] = closes_s
    ext = np.append(counts, counts[-1])  # who is at a counter at closing keeps serving
    staffed = np.arange(n_counters)[:, None] < ext[None, :]
    times = np.where(staffed, starts[None, :], _INF)
    return np.minimum.accumulate(times[:, ::-1], axis=1)[:, ::-1].tolist()


def _spare_thresholds(counts: np.ndarray) -> list[int]:
    """Per slot (plus one for after closing): how many tickets must be waiting before the
    duty manager opens the spare counter."""
    ext = np.append(counts, counts[-1])
    return np.maximum(SPARE_QUEUE_MIN, np.ceil(SPARE_QUEUE_PER_COUNTER * ext)).astype(int).tolist()


def _simulate_day(
    a, latency, patience, service, walk, wrapup, opens_s, next_open, spare_at, speed, called, counter, ended
):
    """One hall-day; appends to called/counter/ended. Arrivals `a` are sorted.

    `speed` has one entry per rostered counter, plus one for the spare counter when
    `spare_at` (tickets waiting per slot that open it) is given.
    """
    m = len(a)
    n_counters = len(next_open)
    free = [0.0] * len(speed)
    last_call = 0.0
    last_slot = len(next_open[0]) - 1
    inv_slot = 1.0 / (SLOT_MIN * 60)
    counters = range(n_counters)
    for i in range(m):
        ai = a[i]
        ready = ai + latency[i]
        if ready < last_call:  # FIFO: not before the ticket ahead
            ready = last_call
        best = _INF
        best_free = _INF
        k_best = -1
        for k in counters:
            f = free[k]
            t = f if f > ready else ready
            s = int((t - opens_s) * inv_slot)
            o = next_open[k][s if s < last_slot else last_slot]
            if o > t:
                t = o
            # ties go to the counter that has been idle longest
            if t < best or (t == best and f < best_free):
                best, best_free, k_best = t, f, k
        if spare_at is not None:
            # the spare counter calls this ticket once enough people wait (this one
            # included), if that is sooner than a rostered counter
            f = free[n_counters]
            t = f if f > ready else ready
            s = int((t - opens_s) * inv_slot)
            j = i + spare_at[s if s < last_slot else last_slot] - 1
            if j < m:
                if a[j] > t:
                    t = a[j]
                if t < best:
                    best, k_best = t, n_counters
        if best - ai > patience[i]:
            called.append(math.nan)
            counter.append(-1)
            ended.append(math.nan)
        else:
            last_call = best
            waiting = bisect_right(a, best, i + 1) - i - 1
            hurry = 1.0 - HURRY_PER_WAITING * waiting
            if hurry < HURRY_FLOOR:
                hurry = HURRY_FLOOR
            end = best + walk[i] + round(service[i] * speed[k_best] * hurry)
            free[k_best] = end + wrapup[i]
            called.append(best)
            counter.append(k_best)
            ended.append(end)


def simulate(
    rng: np.random.Generator,
    net: Network,
    cal: Calendar,
    arr: Arrivals,
    times: CustomerTimes,
    staffing: Staffing,
    staff: Staff,
    progress: Callable[[float, str], None] | None = None,
) -> QueueResult:
    n = len(arr.hall)
    called_l: list[float] = []
    counter_l: list[int] = []
    ended_l: list[float] = []
    staff_idx = np.full(n, -1, dtype=np.int32)
    sec = arr.sec.tolist()
    latency = times.latency_s.tolist()
    patience = times.patience_s.tolist()
    service = times.service_s.tolist()
    walk = times.walk_s.tolist()
    wrapup = times.wrapup_s.tolist()
    n_halls, n_days = arr.day_counts.shape
    for h in range(n_halls):
        opens_s = float(net.halls.opens_min[h] * 60)
        closes_s = float(net.halls.closes_min[h] * 60)
        counters = int(net.halls.counters[h])
        cache: dict[tuple[bool, bool], tuple[list[list[float]], list[int] | None]] = {}
        # who sits at counter k on day d: a fresh shuffle of the roster each day
        rota = np.argsort(rng.random((n_days, staff.count[h])), axis=1) + staff.first[h]
        for d in range(n_days):
            m = int(arr.day_counts[h, d])
            if m == 0:
                continue
            key = (bool(cal.weekend_like[d]), bool(staffing.absent[h, d]))
            if key not in cache:
                counts = staffing.plan[h][int(key[0])]
                if key[1]:
                    # one person off sick; a hall of two borrows cover from a neighbour
                    counts = np.where(counts >= 3, counts - 1, counts)
                # a spare counter needs a free desk and someone not already covering for
                # an absent colleague
                spare = net.spare_counter[h] and not key[1] and counts.max() < counters
                cache[key] = (_next_open(counts, opens_s, closes_s), _spare_thresholds(counts) if spare else None)
            next_open, spare_at = cache[key]
            on_duty = rota[d, : len(next_open) + (spare_at is not None)]
            lo = int(arr.block_start[h * n_days + d])
            start = len(counter_l)
            _simulate_day(
                sec[lo : lo + m],
                latency[lo : lo + m],
                patience[lo : lo + m],
                service[lo : lo + m],
                walk[lo : lo + m],
                wrapup[lo : lo + m],
                opens_s,
                next_open,
                spare_at,
                staff.speed[on_duty].tolist(),
                called_l,
                counter_l,
                ended_l,
            )
            k = np.array(counter_l[start:], dtype=np.int64)
            staff_idx[lo : lo + m] = np.where(k >= 0, on_duty[np.maximum(k, 0)], -1)
        if progress is not None:
            progress((h + 1) / n_halls, f"hall {h + 1}/{n_halls}")
    counter = np.array(counter_l, dtype=np.int16) + 1
    return QueueResult(np.array(called_l), counter, staff_idx, np.array(ended_l))
