"""Staffing what-if (排班): for a hall and a weekday, per hour of arrival, the counters
Erlang C says are needed to reach the service-level target, against the counters that
were in use.

Inputs are named queries on the same filter (hall, period, weekday):
queries/hall_arrivals_by_hour.sql (arrivals and serving positions in use per open day: a
counter, or the staff member who served when the visit has no counter, as in a call
centre), metrics_by_group grouped by hour (service time and median wait) and
queries/hall_service_level_by_hour.sql (the observed service level at the what-if's wait
target). The what-if changes the targets and the service time; the arrivals stay as
observed.

No verdict contradicts what was observed: an hour with fewer in use than the model needs
that still met the service-level target is "met_under" (target met with fewer than the
model needs, said in plain words), never "under"; one with more in use than needed that
missed the target is "over_missed", never "over"; an hour whose visits name neither a
counter nor a staff member is "unknown" (nothing to count).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from peakend.insights.erlang import Queue, counters_needed

MIN_SERVED_FOR_HOUR = 10  # fewer served visits in an hour: use the weekday's service time
# An hour is understaffed when fewer counters served than needed by more than half a
# counter, overstaffed when a whole counter more served than needed. "In use" counts a
# counter that served anyone in the hour, so it leans high; hence the wider over-margin.
UNDER_MARGIN = 0.5
OVER_MARGIN = 1.0


@dataclass(frozen=True)
class WhatIf:
    service_level_target: float  # share, e.g. 0.8
    wait_target_min: float
    service_change: float = 0.0  # -0.2: service 20% faster than observed
    wait_seconds: float | None = None  # the target as entered in seconds (exact: 20, not 20.000000000000004)

    @property
    def wait_target_s(self) -> float:
        return float(self.wait_seconds) if self.wait_seconds is not None else self.wait_target_min * 60

    @classmethod
    def seconds(cls, service_level_target: float, wait_s: float, service_change: float = 0.0) -> WhatIf:
        return cls(service_level_target, wait_s / 60, service_change, float(wait_s))


def position_basis(arrivals: pd.DataFrame) -> str:
    """What "in use" counted: "counter" (counter_id), "staff" (staff_id: no counter_id was
    recorded), "mixed" (counters, and staff where a visit had no counter) or "none"."""
    if arrivals.empty or "counter_hours" not in arrivals:
        return "none"
    counters, staff = int(arrivals["counter_hours"].sum()), int(arrivals["staff_hours"].sum())
    if counters and staff:
        return "mixed"
    return "counter" if counters else "staff" if staff else "none"


def staffing_table(
    arrivals: pd.DataFrame,
    by_hour: pd.DataFrame,
    whole_day,
    what_if: WhatIf,
    hall_counters,
    observed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per hour: arrivals_per_day, service_min (observed) and its basis,
    handling_min (after the what-if), traffic (Erlangs), needed, in_use (positions that
    served anyone in the hour, per day), busy (their minutes serving in the hour / 60, per
    day), status (under | met_under | over | over_missed | ok | unknown | no_arrivals), beyond_hall (more
    needed than the hall has), expected_level (service level Erlang C expects with the
    counters needed), observed_service_level (at the what-if's wait target when `observed`,
    hall_service_level_by_hour, is given; else at the hall's own), wait_median_min, served,
    open_days."""
    metrics = by_hour.assign(hour=by_hour["group_1"].astype(int)).set_index("hour")
    at_target = (
        {int(h): _float(v) for h, v in zip(observed["hour"], observed["service_level"])}
        if observed is not None
        else None
    )
    target_s = what_if.wait_target_s
    day_service = _float(whole_day["service_mean_min"]) if whole_day is not None else None
    rows = []
    for r in arrivals.itertuples(index=False):
        hour = int(r.hour)
        m = metrics.loc[hour] if hour in metrics.index else None
        served = int(m["served_visits"]) if m is not None else 0
        hour_service = _float(m["service_mean_min"]) if m is not None else None
        service: float | None
        if hour_service is not None and served >= MIN_SERVED_FOR_HOUR:
            service, basis = hour_service, "hour"
        else:
            service, basis = day_service, "day"
        handling = service * (1 + what_if.service_change) if service is not None else None
        per_day = float(r.arrivals_per_day)
        if per_day > 0 and handling:
            needed = counters_needed(per_day, handling * 60, target_s, what_if.service_level_target)
            traffic = per_day * handling / 60
            expected = Queue(per_day, handling * 60, needed).service_level(target_s)
        else:
            needed, traffic, expected = 0, 0.0, None
        in_use = float(r.counters_in_use)
        level = at_target.get(hour) if at_target is not None else _float(m["service_level"]) if m is not None else None
        if per_day <= 0:
            status = "no_arrivals"
        elif in_use <= 0 and served > 0:
            status = "unknown"
        elif in_use < needed - UNDER_MARGIN:
            met = level is not None and level >= what_if.service_level_target - 1e-9
            status = "met_under" if met else "under"
        elif in_use >= needed + OVER_MARGIN:
            missed = level is not None and level < what_if.service_level_target - 1e-9
            status = "over_missed" if missed else "over"
        else:
            status = "ok"
        rows.append(
            {
                "hour": hour,
                "arrivals_per_day": per_day,
                "service_min": service,
                "service_basis": basis,
                "handling_min": handling,
                "traffic": traffic,
                "needed": needed,
                "in_use": in_use,
                "busy": float(getattr(r, "busy_in_use", 0.0) or 0.0),
                "status": status,
                "beyond_hall": bool(
                    hall_counters is not None and not pd.isna(hall_counters) and needed > int(hall_counters)
                ),
                "expected_level": expected,
                "observed_service_level": level,
                "wait_median_min": _float(m["wait_median_min"]) if m is not None else None,
                "served": served,
                "open_days": int(r.open_days),
            }
        )
    return pd.DataFrame(rows)


def _float(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def busiest_weekday(by_weekday: pd.DataFrame) -> int:
    """ISO weekday with the most visits (metrics_by_group grouped by weekday); Monday if none."""
    if by_weekday.empty:
        return 1
    return int(by_weekday.sort_values(["visits", "group_1"], ascending=[False, True])["group_1"].iloc[0])


def counter_hours(table: pd.DataFrame) -> tuple[int, float]:
    """Counter-hours the day needs and those it used (sums over the hours)."""
    return int(table["needed"].sum()), float(table["in_use"].sum())
