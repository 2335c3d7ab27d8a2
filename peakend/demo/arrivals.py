"""Who comes to which hall, on which day, at what time, and why.

Footfall follows the week (busier weekends), the Chinese calendar (Spring Festival lull,
Golden Week, shopping festivals), the hour of the day (a rush at opening, lunch and
after-work peaks on weekdays, a broad afternoon hump at weekends) and a little weather:
day-to-day noise shared by a city's halls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from peakend.demo.network import PURPOSE_CODES, Network

WEEKDAY_FACTOR = np.array([0.93, 0.88, 0.88, 0.90, 1.0, 1.38, 1.22])  # Mon..Sun
# Spring Festival (lunar new year's day); the halls are quiet the week around it.
SPRING_FESTIVAL = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}
SLOT_S = 300  # arrival times are drawn per 5-minute slot, then uniformly inside it

# Segment shares by time of day, (weekday, weekend) x bucket; columns follow
# network.SEGMENTS.
# Seniors come in the morning, business customers on weekday middays, students after
# school and at weekends.
HOUR_BUCKETS = np.array([11 * 60, 14 * 60, 17 * 60])  # bucket edges in minutes
SEGMENT_SHARES = np.array(
    [
        [[0.52, 0.30, 0.06, 0.12], [0.60, 0.14, 0.08, 0.18], [0.56, 0.21, 0.10, 0.13], [0.70, 0.07, 0.15, 0.08]],
        [[0.62, 0.20, 0.12, 0.06], [0.66, 0.12, 0.17, 0.05], [0.66, 0.10, 0.19, 0.05], [0.70, 0.06, 0.20, 0.04]],
    ]
)
# Purpose shares by segment; columns follow PURPOSE_CODES:
# bill, sim/plan, repair, data demo, phone, enquiry, broadband, porting.
PURPOSE_SHARES = np.array(
    [
        [0.22, 0.20, 0.10, 0.10, 0.15, 0.13, 0.07, 0.03],  # consumer
        [0.45, 0.15, 0.08, 0.04, 0.05, 0.18, 0.04, 0.01],  # senior
        [0.10, 0.22, 0.12, 0.16, 0.25, 0.10, 0.02, 0.03],  # student
        [0.12, 0.30, 0.06, 0.08, 0.12, 0.08, 0.18, 0.06],  # business
    ]
)
_P = {code: i for i, code in enumerate(PURPOSE_CODES)}


@dataclass
class Calendar:
    days: np.ndarray  # datetime64[D]
    weekday: np.ndarray  # 0 = Monday
    factor: np.ndarray  # footfall multiplier of the day
    weekend_like: np.ndarray  # follows the weekend hour profile (weekends, public holidays)
    bill_mult: np.ndarray  # purpose-mix multipliers of the day
    phone_mult: np.ndarray
    demo_mult: np.ndarray


def month_start(end: date, months: int) -> date:
    """The day after `end` moved back by `months` calendar months (clamped to month end)."""
    y, m = divmod(end.year * 12 + end.month - 1 - months, 12)
    m += 1
    last_day = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
    return date(y, m, min(end.day, last_day)) + timedelta(days=1)


def build_calendar(end: date, months: int) -> Calendar:
    start = month_start(end, months)
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    py_days = days.astype(object)
    weekday = np.array([d.weekday() for d in py_days])
    dom = np.array([d.day for d in py_days])
    factor = WEEKDAY_FACTOR[weekday].copy()
    weekend_like = weekday >= 5
    bill = np.where(dom <= 5, 1.6, 1.0)  # bills fall due at the start of the month
    phone = np.where(weekday >= 5, 1.25, 1.0)
    demo = np.where(weekday >= 5, 1.3, 1.0)
    factor *= np.where(dom <= 5, 1.08, 1.0)
    for i, d in enumerate(py_days):
        sf = SPRING_FESTIVAL.get(d.year)
        if sf is not None and -1 <= (d - sf).days <= 6:
            offset = (d - sf).days
            factor[i] = {-1: 0.5, 0: 0.25, 1: 0.3, 2: 0.4}.get(offset, 0.75)
            weekend_like[i] = True
        if (d.month, d.day) >= (10, 1) and (d.month, d.day) <= (10, 7):  # Golden Week
            factor[i] = 1.3 if d.day > 1 else 0.9
            weekend_like[i] = True
            phone[i] = 1.6
        if d.month == 5 and d.day <= 5:  # Labour Day holiday
            factor[i] = 1.15
            weekend_like[i] = True
        if (d.month == 11 and 8 <= d.day <= 11) or (d.month == 6 and 15 <= d.day <= 18):
            phone[i] *= 1.4  # Double 11 and 618 phone deals
        if d.month == 9 and d.day >= 20:
            phone[i] *= 1.3  # new flagship phones launch
    return Calendar(days, weekday, factor, weekend_like, bill, phone, demo)


def hour_intensity(minutes: np.ndarray, weekend: bool) -> np.ndarray:
    """Relative arrival rate at minutes after midnight."""

    def bump(center, width, height):
        return height * np.exp(-0.5 * ((minutes - center) / width) ** 2)

    if weekend:
        rate = 0.45 + bump(14 * 60 + 30, 150, 0.9) + bump(11 * 60 + 15, 50, 0.25)
    else:
        rate = 0.5 + bump(10 * 60 + 15, 60, 0.4) + bump(12 * 60 + 20, 45, 0.75) + bump(18 * 60 + 10, 55, 0.95)
    # evenings thin out after eight
    return rate / (1 + np.exp((minutes - 20 * 60 - 15) / 25))


def day_profile(opens_min: int, closes_min: int, weekend: bool) -> np.ndarray:
    """Share of a day's arrivals per 5-minute slot from opening to closing."""
    mids = np.arange(opens_min, closes_min, SLOT_S // 60) + SLOT_S / 120
    rate = hour_intensity(mids, weekend)
    rate[:3] *= 1.5  # people waiting at the door when the hall opens
    rate[-2:] *= 0.5  # the ticket machine stops shortly before closing
    return rate / rate.sum()


@dataclass
class Arrivals:
    hall: np.ndarray  # int index into Network.halls
    day: np.ndarray  # int index into Calendar.days
    sec: np.ndarray  # float seconds after midnight (whole seconds)
    segment: np.ndarray  # index into SEGMENTS
    purpose: np.ndarray  # index into PURPOSE_CODES
    day_counts: np.ndarray  # visits per (hall, day), shape (halls, days)
    # first visit of each (hall, day) block in the arrays above, hall-major
    block_start: np.ndarray


def allocate(rng: np.random.Generator, net: Network, cal: Calendar, n_visits: int) -> np.ndarray:
    """Visits per (hall, day): the total is exactly n_visits."""
    n_halls, n_days = len(net.halls), len(cal.days)
    city_codes, city = np.unique(net.halls.city.to_numpy(), return_inverse=True)
    weather = rng.gamma(50, 1 / 50, (len(city_codes), n_days))[city]
    own = rng.gamma(40, 1 / 40, (n_halls, n_days))
    growth = net.trend[:, None] ** (np.arange(n_days)[None, :] / max(n_days - 1, 1))
    lam = net.demand_weight[:, None] * cal.factor[None, :] * growth * weather * own
    return rng.multinomial(n_visits, (lam / lam.sum()).ravel()).reshape(n_halls, n_days)


def draw_arrivals(rng: np.random.Generator, net: Network, cal: Calendar, n_visits: int) -> Arrivals:
    counts = allocate(rng, net, cal, n_visits)
    n_halls, n_days = counts.shape
    flat = counts.ravel()
    hall = np.repeat(np.repeat(np.arange(n_halls), n_days), flat)
    day = np.repeat(np.tile(np.arange(n_days), n_halls), flat)
    weekend = cal.weekend_like[day]
    sec = np.empty(len(hall))
    bounds = np.concatenate([[0], np.cumsum(counts.sum(axis=1))])
    u = rng.random(len(hall))
    within = rng.random(len(hall))
    for h in range(n_halls):
        lo, hi = bounds[h], bounds[h + 1]
        opens, closes = int(net.halls.opens_min[h]), int(net.halls.closes_min[h])
        for wk in (False, True):
            idx = np.flatnonzero(weekend[lo:hi] == wk) + lo
            cdf = np.cumsum(day_profile(opens, closes, wk))
            slot = np.minimum(np.searchsorted(cdf, u[idx] * cdf[-1], side="right"), len(cdf) - 1)
            sec[idx] = opens * 60 + (slot + within[idx]) * SLOT_S
    sec = np.floor(sec)
    order = np.lexsort((sec, day, hall))
    hall, day, sec, weekend = hall[order], day[order], sec[order], weekend[order]

    bucket = np.searchsorted(HOUR_BUCKETS, sec / 60, side="right")
    segment = _categorical(rng, SEGMENT_SHARES[weekend.astype(int), bucket])
    probs = PURPOSE_SHARES[segment].copy()
    probs[:, _P["bill_payment"]] *= cal.bill_mult[day]
    probs[:, _P["phone_purchase"]] *= cal.phone_mult[day]
    probs[:, _P["data_demo"]] *= cal.demo_mult[day]
    purpose = _categorical(rng, probs)
    block_start = np.concatenate([[0], np.cumsum(flat)[:-1]])
    return Arrivals(hall, day, sec, segment.astype(np.int8), purpose.astype(np.int8), counts, block_start)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of `probs` (rows need not sum to one)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cdf[:, -1]
    return (u[:, None] >= cdf).sum(axis=1)
