"""The demo network end to end: simulate it, then write it as one load in one transaction.

`simulate_demo` returns the tables (Arrow, in the data-contract columns) without touching
a database; `generate_demo` writes them through the warehouse's ordinary write path. The
result depends only on (visits, seed, end_date, months): every stage draws from its own
random stream spawned from the seed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from peakend.auth import create_demo_users
from peakend.demo import arrivals, comments, journey, names, network, queue_sim, ratings, staffing, targets
from peakend.demo.network import PURPOSE_CODES, SEGMENTS
from peakend.warehouse import moments as moment_catalogue
from peakend.warehouse import portable
from peakend.warehouse import store as warehouse
from peakend.warehouse.db import Database

Progress = Callable[[float, str], None]
DEFAULT_VISITS = 1_000_000
DEFAULT_MONTHS = 6
LOADED_BY = "demo generator"
# Appended streams leave the earlier ones as they were (SeedSequence.spawn is by position).
# Appended streams leave the earlier ones as they were (SeedSequence.spawn is by position).
_STREAMS = (
    "network",
    "arrivals",
    "customers",
    "staffing",
    "staff",
    "queue",
    "ratings",
    "comments",
    "names",
    "plant",
    "journey",
)
# A ticket id as a queue system prints it: hall, day, ticket number.
DEMO_VISIT_ID = "hall_id || '-' || strftime(arrived_at, '%Y%m%d') || '-' || lpad(ticket::varchar, 4, '0')"
# The one real improvement the demo plants, for the task effect check (issue 17): from
# PLANT_WEEKS_BEFORE_END weeks before the last day, PLANTED_HALL's staff see customers off
# properly, and its exit scores rise (peakend.demo.ratings.FAREWELL_LIFT_P); its peers' don't.
PLANTED_HALL = "DLC01"
PLANT_WEEKS_BEFORE_END = 4


@dataclass
class DemoData:
    halls: pa.Table  # contract hall columns
    visits: pa.Table  # contract visit columns, except visit_id: hall_id + day + ticket
    purposes: pd.DataFrame
    network_targets: dict
    hall_targets: dict[str, dict]
    first_day: date
    last_day: date
    staff: pa.Table  # the roster, contract staff columns: every staff id the visits use
    planted: dict | None = None  # the planted improvement: hall, moment, from (a date), size (its true effect)
    # the journey survey's ratings (hall_id, arrived_at, ticket, moment, score): peakend/demo/journey.py
    journey: pa.Table | None = None


def default_end_date() -> date:
    return date.today() - timedelta(days=1)


def _no_progress(fraction: float, message: str) -> None:
    pass


def simulate_demo(
    visits: int = DEFAULT_VISITS,
    seed: int = 0,
    end_date: date | None = None,
    months: int = DEFAULT_MONTHS,
    progress: Progress | None = None,
) -> DemoData:
    if visits < 1:
        raise ValueError("visits must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    progress = progress or _no_progress
    end_date = end_date or default_end_date()
    rngs = dict(zip(_STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STREAMS)))))

    progress(0.0, "building the network")
    net = network.build_network(rngs["network"])
    cal = arrivals.build_calendar(end_date, months)
    progress(0.03, "drawing arrivals")
    arr = arrivals.draw_arrivals(rngs["arrivals"], net, cal, visits)
    times = queue_sim.draw_customer_times(rngs["customers"], arr)
    progress(0.10, "rostering staff")
    # The manager plans with the operator's staffing standard (标准工时): the hall's usual
    # transaction time, the team about 5% slower than the purpose medians (trainees). The
    # standard leaves out the call, the walk to the counter and the notes afterwards, so a
    # roster planned to it is leaner than it looks: the counters are busier than planned.
    counter_time = times.service_s * 1.05
    per_hall = np.bincount(arr.hall, minlength=len(net.halls))
    mean_busy = np.bincount(arr.hall, counter_time, len(net.halls)) / np.maximum(per_hall, 1)
    plan = staffing.plan_staffing(rngs["staffing"], net, cal, arr, mean_busy)
    staff = network.build_staff(rngs["staff"], net, plan.roster_size)

    def sim_progress(fraction: float, message: str) -> None:
        progress(0.12 + 0.58 * fraction, f"simulating queues, {message}")

    res = queue_sim.simulate(rngs["queue"], net, cal, arr, times, plan, staff, sim_progress)

    progress(0.72, "rating visits")
    day_s = cal.days.astype("datetime64[s]").astype(np.int64)[arr.day]
    arrived = day_s + arr.sec.astype(np.int64)
    served = res.staff >= 0
    called = day_s + np.nan_to_num(res.called_s).astype(np.int64)
    started = called + times.walk_s.astype(np.int64)
    ended = day_s + np.nan_to_num(res.ended_s).astype(np.int64)
    left = np.where(served, ended + times.dwell_s.astype(np.int64), arrived + times.patience_s.astype(np.int64))
    wait_min = np.where(served, (called - arrived) / 60, np.nan)
    service_min = np.where(served, (ended - started) / 60, np.nan)
    visit_min = (left - arrived) / 60
    planted_hall = int(np.flatnonzero(net.halls.hall_id.to_numpy() == PLANTED_HALL)[0])
    plant_from = np.datetime64(end_date - timedelta(weeks=PLANT_WEEKS_BEFORE_END), "D")
    lifted = (arr.hall == planted_hall) & (cal.days[arr.day] >= plant_from)
    moments = ratings.rate_visits(
        rngs["ratings"],
        net,
        staff,
        arr.hall,
        arr.purpose,
        arr.segment,
        res.staff,
        wait_min,
        service_min,
        visit_min,
        times.patience_s / 60,
        lifted,
        rngs["plant"],
    )
    progress(0.78, "writing comments")
    comment = comments.pick_comments(rngs["comments"], moments, arr.purpose, net.english_share[arr.hall])

    progress(0.80, "assembling tables")
    hall_ids = net.halls.hall_id
    # ticket numbers restart every day in every hall
    ticket = np.arange(len(arr.hall)) - np.repeat(arr.block_start, arr.day_counts.ravel()) + 1
    counter_first = np.concatenate([[0], np.cumsum(net.halls.counters.to_numpy())[:-1]])
    counter_names = [f"{h}-C{k:02d}" for h, c in zip(hall_ids, net.halls.counters) for k in range(1, c + 1)]
    counter_idx = counter_first[arr.hall] + np.maximum(res.counter.astype(np.int64) - 1, 0)
    not_served = ~served

    def ts(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        return pa.array(seconds * 1_000_000, pa.timestamp("us"), mask=mask)

    def dictionary(indices: np.ndarray, values, mask: np.ndarray | None = None) -> pa.Array:
        return pa.DictionaryArray.from_arrays(
            pa.array(indices.astype(np.int32), mask=mask), pa.array(list(values), pa.string())
        )

    def score(values: np.ndarray, shown: np.ndarray) -> pa.Array:
        return pa.array(values.astype(np.int8), pa.int8(), mask=~shown)

    visits_table = pa.table(
        {
            "hall_id": dictionary(arr.hall, hall_ids),
            "ticket": pa.array(ticket.astype(np.int32)),
            "arrived_at": ts(arrived),
            "purpose": dictionary(arr.purpose, PURPOSE_CODES),
            "called_at": ts(called, not_served),
            "service_started_at": ts(started, not_served),
            "service_ended_at": ts(ended, not_served),
            "left_at": ts(left),
            "staff_id": dictionary(np.maximum(res.staff, 0), staff.staff_id, not_served),
            "counter_id": dictionary(counter_idx, counter_names, not_served),
            "abandoned": pa.array(not_served),
            "peak_score": score(moments.peak, moments.peak_shown),
            "exit_score": score(moments.exit, moments.exit_shown),
            "exit_comment": comment,
            "overall_score": score(moments.overall, moments.overall_shown),
            "segment": dictionary(arr.segment, SEGMENTS),
        }
    )

    def minutes(values) -> pa.Array:
        return pa.array((np.asarray(values) * 60).astype(np.int32), pa.time32("s"))

    halls = net.halls
    halls_table = pa.table(
        {
            "hall_id": pa.array(halls.hall_id.tolist(), pa.string()),
            "hall_name": pa.array(halls.hall_name.tolist(), pa.string()),
            "region": pa.array(halls.region.tolist(), pa.string()),
            "city": pa.array(halls.city.tolist(), pa.string()),
            "counters": pa.array(halls.counters.to_numpy(), pa.int32()),
            "hall_type": pa.array(halls.hall_type.tolist(), pa.string()),
            "latitude": pa.array(halls.latitude.to_numpy(), pa.float64()),
            "longitude": pa.array(halls.longitude.to_numpy(), pa.float64()),
            "opens_at": minutes(halls.opens_min),
            "closes_at": minutes(halls.closes_min),
            "time_zone": pa.nulls(len(halls), pa.string()),  # the network's
        }
    )

    progress(0.82, "setting targets")
    queue_min = np.where(served, wait_min, times.patience_s / 60)
    results = targets.hall_results(
        hall_ids,
        arr.hall,
        wait_min,
        queue_min,
        not_served,
        np.where(moments.peak_shown, moments.peak, np.nan),
        np.where(moments.exit_shown, moments.exit, np.nan),
    )
    network_targets, hall_targets = targets.choose_targets(
        results, pd.Series(halls.hall_type.to_numpy(), index=halls.hall_id)
    )
    # the planted lift's true size: the mean rise of the exit ratings it reached
    rated = lifted & moments.exit_shown & moments.served
    unlifted = moments.exit_unlifted if moments.exit_unlifted is not None else moments.exit
    rise = moments.exit[rated].astype(float) - unlifted[rated].astype(float)
    planted = {
        "hall": PLANTED_HALL,
        "moment": "exit",
        "from": str(plant_from),
        "size": round(float(rise.mean()), 4) if rated.any() else None,
        "ratings": int(rated.sum()),
    }
    return DemoData(
        halls_table,
        visits_table,
        network.purposes_frame(),
        network_targets,
        hall_targets,
        cal.days[0].astype(object),
        cal.days[-1].astype(object),
        pa.table(
            {
                "staff_id": pa.array(staff.staff_id.tolist(), pa.string()),
                "staff_name": pa.array(names.staff_names(rngs["names"], staff.hall), pa.string()),
                "hall_id": pa.array(np.asarray(hall_ids)[staff.hall].tolist(), pa.string()),
            }
        ),
        planted,
        journey.ratings_table(
            *journey.rate_journey(rngs["journey"], halls.region.to_numpy(), net.environment, arr.hall, moments),
            visits_table,
        ),
    )


@dataclass
class DemoSummary:
    load_id: int
    visits: int
    halls: int
    first_day: date
    last_day: date
    seconds: float


def write_demo(db: Database, data: DemoData, description: str, progress: Progress | None = None) -> DemoSummary:
    """Write the demo as one load in one transaction (readers see all of it or none)."""
    progress = progress or _no_progress
    started = time.perf_counter()

    def _write(cur):
        load_id = warehouse.start_load(cur, "demo", LOADED_BY, description)
        cur.register("demo_halls", data.halls)
        cur.register("demo_visits_raw", data.visits)
        cur.register("demo_purposes", data.purposes)
        cur.register("demo_staff", data.staff)
        progress(0.84, "writing halls")
        warehouse.insert_halls(cur, "demo_halls", load_id)
        warehouse.insert_staff(cur, "demo_staff", load_id)
        warehouse.upsert_purposes(cur, "demo_purposes")
        progress(0.86, "writing visits")
        cur.execute(
            f"create or replace temp view demo_visits as select {DEMO_VISIT_ID} as visit_id, * exclude (ticket) "
            "from demo_visits_raw"
        )
        inserted, replaced = warehouse.insert_visits(cur, "demo_visits", load_id)
        if data.journey is not None:  # the region's own moment first: the ratings of it need it
            own = journey.REGION_MOMENT
            if not cur.execute("select count(*) from moments where moment = ?", [own.moment]).fetchall()[0][0]:
                moment_catalogue.insert_moment(cur, LOADED_BY, own)
            cur.register("demo_journey", data.journey)
            cur.execute(
                f"""create or replace temp view demo_ratings as
                    select {DEMO_VISIT_ID} as visit_id, moment, score, null::timestamp as rated_at,
                           null::varchar as comment
                    from demo_journey"""
            )
            warehouse.insert_ratings(cur, "demo_ratings", load_id)
            cur.execute("drop view demo_ratings")
            cur.unregister("demo_journey")
        progress(0.98, "writing targets")
        warehouse.set_targets(cur, "*", data.network_targets)
        for hall_id, values in data.hall_targets.items():
            warehouse.set_targets(cur, hall_id, values)
        warehouse.finish_load(cur, load_id, inserted, 0, replaced)
        create_demo_users(cur)  # one sign-in per role (README), committed with the data
        if data.planted is not None:  # what the task effect check should find (issue 17)
            portable.replace_row(
                cur, "meta", ("key",), {"key": "demo_planted_effect", "value": json.dumps(data.planted)}
            )
        # On failure the rollback and the closing cursor take these with them.
        cur.execute("drop view demo_visits")
        for name in ("demo_halls", "demo_visits_raw", "demo_purposes", "demo_staff"):
            cur.unregister(name)
        return load_id, inserted

    load_id, inserted = db.write(_write)
    progress(1.0, "done")
    return DemoSummary(
        load_id, inserted, data.halls.num_rows, data.first_day, data.last_day, time.perf_counter() - started
    )


def generate_demo(
    db: Database,
    visits: int = DEFAULT_VISITS,
    seed: int = 0,
    end_date: date | None = None,
    months: int = DEFAULT_MONTHS,
    progress: Progress | None = None,
) -> DemoSummary:
    """Simulate the demo network and write it to `db` as one 'demo' load.

    `progress(fraction, message)` is called as the work advances (fraction 0..1).
    """
    started = time.perf_counter()
    end_date = end_date or default_end_date()
    data = simulate_demo(visits, seed, end_date, months, progress)
    description = (
        f"demo network: {visits} visits, seed {seed}, {data.first_day.isoformat()}..{data.last_day.isoformat()}"
    )
    summary = write_demo(db, data, description, progress)
    summary.seconds = time.perf_counter() - started
    return summary
