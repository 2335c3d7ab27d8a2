"""How many counters are open when, and how many people each hall employs.

A manager rosters from the traffic forecast and the operator's staffing standard, times the
hall's staffing ratio (below 1 in understaffed halls). A roster is made of whole shifts, so
the team at the counters follows the need averaged over the few hours around each quarter
hour, not each hour's peak: the lunch and after-work crowds outrun it, mid-morning and
mid-afternoon it has time to spare. Real rosters leave gaps too: fewer people in the first
half hour, staggered lunch breaks exactly when the lunch crowd comes, a thinner late shift,
weekends rostered a little below need, and someone off sick now and then. Queues come from
those gaps and from days busier than forecast, as they do in real halls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from peakend.demo.arrivals import Arrivals, Calendar, day_profile
from peakend.demo.network import Network

SLOT_MIN = 15  # the roster changes on the quarter hour
RHO_PLAN = 0.9  # utilisation the roster is planned for, at the standard time per customer
ROUNDING_SLACK = 0.2  # a need of 2.2 counters gets 2
OPENING_SHARE = 0.6  # share of the hour's team at the counters in the first half hour
LUNCH_AWAY = 0.3  # share of the team away at lunch, 11:30-13:30 (two waves)
LATE_SHARE = 0.8  # share of the team on the late shift (after 18:00, late-closing halls)
WEEKEND_ROSTER = 0.92  # weekends are rostered a little below need
SHIFT_SPAN_MIN = 180  # shifts follow the need averaged over the three hours around a slot


@dataclass
class Staffing:
    # open counters per 15-minute slot, per hall and day type (0 weekday, 1 weekend-like)
    plan: list[tuple[np.ndarray, np.ndarray]]
    absent: np.ndarray  # (halls, days) bool: one person short that day
    roster_size: np.ndarray  # staff employed per hall


def slot_counts(opens_min: int, closes_min: int, need: np.ndarray, counters: int) -> np.ndarray:
    """Open counters per slot from the forecast need (counters per slot, fractional)."""
    starts = opens_min + SLOT_MIN * np.arange(len(need))
    # whole shifts cannot follow an hour's peak: they follow the need averaged around it
    kernel = np.ones(max(1, SHIFT_SPAN_MIN // SLOT_MIN))
    smooth = np.convolve(need, kernel, "same") / np.convolve(np.ones(len(need)), kernel, "same")
    n = np.clip(np.ceil(smooth - ROUNDING_SLACK), 1, counters).astype(int)
    first = starts < opens_min + 30
    n[first] = np.maximum(1, np.ceil(n[first] * OPENING_SHARE)).astype(int)
    lunch = (starts >= 11 * 60 + 30) & (starts < 13 * 60 + 30)
    n[lunch] -= (n[lunch] * LUNCH_AWAY).astype(int)
    if closes_min >= 19 * 60 + 30:
        late = starts >= 18 * 60
        n[late] = np.maximum(1, np.ceil(n[late] * LATE_SHARE)).astype(int)
    return n


def plan_staffing(
    rng: np.random.Generator, net: Network, cal: Calendar, arr: Arrivals, mean_service_s: np.ndarray
) -> Staffing:
    """`mean_service_s`: the time per customer the staffing standard allows each hall."""
    plans, busiest = [], []
    for h in range(len(net.halls)):
        opens, closes = int(net.halls.opens_min[h]), int(net.halls.closes_min[h])
        counters = int(net.halls.counters[h])
        per_type = []
        for wk in (False, True):
            days = cal.weekend_like == wk
            daily = arr.day_counts[h, days].mean() if days.any() else 0.0
            # arrivals per quarter hour from the 5-minute profile
            share = day_profile(opens, closes, wk)
            share = np.add.reduceat(share, np.arange(0, len(share), SLOT_MIN // 5))
            need = daily * share * mean_service_s[h] / (SLOT_MIN * 60) / RHO_PLAN
            need *= net.staffing_ratio[h] * (WEEKEND_ROSTER if wk else 1.0)
            counts = slot_counts(opens, closes, need, counters)
            per_type.append(counts)
            busiest.append(int(counts.max()))
        plans.append((per_type[0], per_type[1]))
    busiest = np.array(busiest).reshape(-1, 2).max(axis=1)
    absent = rng.random((len(net.halls), len(cal.days))) < net.absence_rate[:, None]
    # five working days in seven, plus one spare
    roster_size = np.ceil(busiest * 7 / 5).astype(int) + 1
    return Staffing(plans, absent, roster_size)
