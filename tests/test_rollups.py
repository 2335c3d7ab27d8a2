"""The rollups (peakend/warehouse/rollups.py) give the same answers as the visits, and stay current.

Every comparison runs the same call twice, once answered by the rollup twin and once by the
original query over the visits (PEAKEND_ROLLUPS=0), and asserts the same rows. Percentiles
come from an exact histogram of whole-second waits: equal when waits are whole seconds (the
fixture's and the demo's are), within half a second otherwise (checked below).
"""

import re
from datetime import date, timedelta

import pandas as pd
import pytest

from bench.rollup_cases import CASES, network_of, params_of
from peakend.core.filters import VisitFilter
from peakend.core.scope import EVERYTHING, Scope
from peakend.demo import generate_demo
from peakend.warehouse import rollup_tables, rollups
from peakend.warehouse import store as warehouse
from peakend.warehouse.db import Database
from peakend.warehouse.schema import VISIT_COLUMNS

DIMS = [None, "region", "city", "purpose", "peak_moment", "day", "week", "month", "weekday"]
FIXTURE_FILTERS = [
    VisitFilter(),
    VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 3)),
    VisitFilter(regions=("North",)),
    VisitFilter(cities=("Harbin", "Guangzhou"), purposes=("bill_payment", "plan_change")),
    VisitFilter(peak_moments=("counter_result",), weekdays=(1, 7)),
    VisitFilter(date_from=date(2026, 3, 8), date_to=date(2026, 3, 8), regions=("South",)),
    VisitFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 8), weekdays=(1, 7)),
    VisitFilter(date_from=date(2027, 1, 1), date_to=date(2027, 1, 7)),  # no visits at all
]
FIXTURE_SCOPES = [EVERYTHING, Scope.halls(["H1"]), Scope.halls(["H1", "H2"]), Scope.halls(["H3"])]


def expected_twin(filters, scope, g1, g2) -> str:
    """Which twin peakend.warehouse.rollups picks (every fixture scope is whole cities)."""
    used = set() if filters is None else {k for k, v in filters.as_params().items() if v is not None}
    period_dims = {None, "day", "week", "month", "weekday"}
    if scope.sees_everything and used <= {"date_from", "date_to", "weekdays"} and {g1, g2} <= period_dims:
        return "metrics_by_group_network"
    if "hall" in (g1, g2):
        return "metrics_by_group_sums"
    return "metrics_by_group_rollup"


def _both(db, monkeypatch, name, filters, scope, **params):
    """(answer from the visits, answer from the rollups, the query that answered)."""
    monkeypatch.setenv("PEAKEND_ROLLUPS", "0")
    raw = db.query(name, filters, scope, **params)
    monkeypatch.setenv("PEAKEND_ROLLUPS", "1")
    answered_by = db.answering_query(name, filters, scope, params)
    return raw, db.query(name, filters, scope, **params), answered_by


def assert_same(raw: pd.DataFrame, rolled: pd.DataFrame, what: str) -> None:
    assert list(raw.columns) == list(rolled.columns), what
    assert len(raw) == len(rolled), what
    pd.testing.assert_frame_equal(
        raw.reset_index(drop=True), rolled.reset_index(drop=True),
        check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-12, obj=what,
    )


def _snapshot(db) -> dict[str, pd.DataFrame]:
    orders = {"visit_rollup": rollup_tables.VISIT_KEY, "wait_rollup": rollup_tables.WAIT_KEY,
              "value_rollup": rollup_tables.VALUE_KEY, "hall_rollup": ("hall_id",),
              "network_wait_rollup": rollup_tables.NETWORK_WAIT_KEY, "city_rollup": rollup_tables.CITY_KEY}
    return {t: _frame(db, f"select * from {t} order by {', '.join(k)}") for t, k in orders.items()}


def _frame(db, sql):
    cur = db.cursor()
    try:
        return cur.execute(sql).df()
    finally:
        cur.close()


def assert_rollups_current(db) -> None:
    """What the write path kept up to date equals rollups rebuilt from the visits now."""
    kept = _snapshot(db)
    with db.transaction() as cur:
        rollups.rebuild(cur)
    rebuilt = _snapshot(db)
    for table in kept:
        pd.testing.assert_frame_equal(kept[table], rebuilt[table], check_dtype=False, obj=table)


# -- the fixture --------------------------------------------------------------------------
def _fixture_cases(scope):
    """Every filter with every grouping dimension (the second one rotating) for the whole
    network; for a narrower scope, every filter with two groupings."""
    if scope.sees_everything:
        seconds = (None, "region", "purpose", "day")
        return [(f, g1, seconds[(i + j) % 4]) for i, f in enumerate(FIXTURE_FILTERS) for j, g1 in enumerate(DIMS)]
    return [(f, g1, g2) for f in FIXTURE_FILTERS for g1, g2 in ((None, None), ("city", "weekday"))]


@pytest.mark.parametrize("scope", FIXTURE_SCOPES, ids=lambda s: s.cache_key())
def test_metrics_from_rollups_equal_metrics_from_visits_on_fixture(fixture_db, monkeypatch, scope):
    for f, g1, g2 in _fixture_cases(scope):
        raw, rolled, by = _both(fixture_db, monkeypatch, "metrics_by_group", f, scope, group_1=g1, group_2=g2)
        # each fixture hall is a city of its own, so every scope is whole cities
        assert by == expected_twin(f, scope, g1, g2)
        assert_same(raw, rolled, f"{f} {g1} {g2} {scope}")


def test_network_headline_from_rollups_is_the_hand_derived_one(fixture_db, monkeypatch):
    # tests/test_queries_metrics.py derives these by hand from the 13 fixture visits
    monkeypatch.setenv("PEAKEND_ROLLUPS", "1")
    assert fixture_db.answering_query("metrics_by_group", None, EVERYTHING,
                                      {"group_1": None, "group_2": None}) == "metrics_by_group_network"
    row = fixture_db.query("metrics_by_group", group_1=None, group_2=None).iloc[0]
    assert row["visits"] == 13 and row["wait_n"] == 10
    assert row["wait_median_min"] == pytest.approx(7.0)
    assert row["wait_p90_min"] == pytest.approx(21.0)
    assert row["service_level"] == pytest.approx(0.5)
    assert row["service_mean_min"] == pytest.approx(16.5)
    assert row["peak_end_index"] == pytest.approx(30.5 / 9)
    assert row["nps"] == pytest.approx(100 / 9)


@pytest.mark.parametrize("scope", FIXTURE_SCOPES, ids=lambda s: s.cache_key())
def test_summary_and_filter_options_from_rollups_on_fixture(fixture_db, monkeypatch, scope):
    raw, rolled, by = _both(fixture_db, monkeypatch, "dataset_summary", None, scope)
    assert by == "dataset_summary_rollup"
    assert_same(raw, rolled, "dataset_summary")
    raw, rolled, by = _both(fixture_db, monkeypatch, "explore_filter_options", VisitFilter(), scope)
    assert by == "explore_filter_options_rollup"
    assert_same(raw, rolled, "explore_filter_options")


@pytest.mark.parametrize(
    "filters, params",
    [
        (VisitFilter(hour_from=9), {"group_1": None, "group_2": None}),
        (VisitFilter(staff=("S1",)), {"group_1": None, "group_2": None}),
        (VisitFilter(segments=("business",)), {"group_1": None, "group_2": None}),
        (VisitFilter(peak_min=4), {"group_1": None, "group_2": None}),
        (VisitFilter(abandoned=True), {"group_1": None, "group_2": None}),
        (VisitFilter(comment_contains="queue"), {"group_1": None, "group_2": None}),
        (None, {"group_1": "region", "group_2": "staff"}),
        (None, {"group_1": "hour", "group_2": None}),
        (None, {"group_1": "segment", "group_2": None}),
    ],
)
def test_what_the_rollups_do_not_keep_reads_the_visits(fixture_db, filters, params):
    assert fixture_db.answering_query("metrics_by_group", filters, EVERYTHING, params) == "metrics_by_group"


@pytest.mark.parametrize("scope", FIXTURE_SCOPES, ids=lambda s: s.cache_key())
def test_metrics_per_hall_from_sums_and_waits_on_fixture(fixture_db, monkeypatch, scope):
    for f in FIXTURE_FILTERS:
        for g1, g2 in (("hall", None), ("hall", "day"), ("purpose", "hall")):
            raw, rolled, by = _both(fixture_db, monkeypatch, "metrics_by_group", f, scope, group_1=g1, group_2=g2)
            assert by == "metrics_by_group_sums"
            assert_same(raw, rolled, f"{f} {g1} {g2} {scope}")


HALL_FILTERS = [
    VisitFilter(halls=("H1",)),
    VisitFilter(halls=("H1", "H3"), date_from=date(2026, 3, 2), date_to=date(2026, 3, 3)),
    VisitFilter(halls=("H2",), purposes=("bill_payment",), weekdays=(1, 7)),
    VisitFilter(halls=("H9",)),  # no such hall: no visits
]


@pytest.mark.parametrize("scope", FIXTURE_SCOPES, ids=lambda s: s.cache_key())
def test_chosen_halls_from_sums_and_waits_on_fixture(fixture_db, monkeypatch, scope):
    """The hall page's calls (one hall chosen): visit_rollup's sums, the halls' own waits."""
    for f in HALL_FILTERS:
        for g1, g2 in ((None, None), ("day", None), ("purpose", "weekday"), ("region", None)):
            raw, rolled, by = _both(fixture_db, monkeypatch, "metrics_by_group", f, scope, group_1=g1, group_2=g2)
            assert by == "metrics_by_group_sums"
            assert_same(raw, rolled, f"{f} {g1} {g2} {scope}")


def test_data_purposes_from_rollups(fixture_db, monkeypatch):
    for scope in FIXTURE_SCOPES:
        raw, rolled, by = _both(fixture_db, monkeypatch, "data_purposes", VisitFilter(), scope)
        assert by == "data_purposes_rollup"
        assert_same(raw, rolled, f"data_purposes {scope}")
    f = VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2))
    assert fixture_db.answering_query("data_purposes", f, EVERYTHING, {}) == "data_purposes"


NO_DRILL = {"drill_by_1": None, "drill_value_1": None, "drill_by_2": None, "drill_value_2": None}


def test_newest_visits_read_only_the_days_they_need(fixture_db, monkeypatch):
    # fixture days: 03-02 (8 visits), 03-03 (4), 03-08 (3); 03-08 and 03-03 hold 7 visits
    plan = fixture_db.answering("explore_visits", VisitFilter(), EVERYTHING, {**NO_DRILL, "limit": 5, "offset": 0})
    assert plan == ("explore_visits", VisitFilter(date_from=date(2026, 3, 3)))
    plan = fixture_db.answering("explore_visits", VisitFilter(), EVERYTHING, {**NO_DRILL, "limit": 3, "offset": 0})
    assert plan[1].date_from == date(2026, 3, 8)
    # more than there are: the whole period; every visit (an export): the whole period
    assert fixture_db.answering("explore_visits", VisitFilter(), EVERYTHING,
                                {**NO_DRILL, "limit": 50, "offset": 0}) == ("explore_visits", VisitFilter())
    assert fixture_db.answering("explore_visits", VisitFilter(), EVERYTHING,
                                {**NO_DRILL, "limit": None, "offset": 0}) == ("explore_visits", VisitFilter())
    cases = [
        (VisitFilter(), NO_DRILL),
        (VisitFilter(regions=("North",)), {**NO_DRILL, "drill_by_1": "hall", "drill_value_1": "H1"}),
        (VisitFilter(purposes=("bill_payment",)), {**NO_DRILL, "drill_by_1": "day", "drill_value_1": "2026-03-08"}),
        (VisitFilter(), {**NO_DRILL, "drill_by_1": "region", "drill_value_1": "North",
                         "drill_by_2": "peak_moment", "drill_value_2": "counter_result"}),
    ]
    for scope in FIXTURE_SCOPES:
        for f, drill in cases:
            for limit, offset in ((2, 0), (2, 2), (3, 4), (50, 0)):
                raw, rolled, _ = _both(fixture_db, monkeypatch, "explore_visits", f, scope,
                                       **drill, limit=limit, offset=offset)
                assert_same(raw, rolled, f"{f} {drill} {limit} {offset} {scope}")


def test_filter_options_with_a_filter_read_the_visits(fixture_db):
    f = VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2))
    assert fixture_db.answering_query("explore_filter_options", f, EVERYTHING, {}) == "explore_filter_options"


def test_a_scope_that_splits_a_city_takes_its_waits_from_the_visits(fixture_db, monkeypatch):
    # Move H2 into H1's city: a scope of H1 alone is then half of Harbin, which the per-city
    # wait histogram cannot tell apart, so its waits come from the visits.
    with fixture_db.transaction() as cur:
        cur.execute("""create temp table moved as select * exclude (load_id) from halls where hall_id = 'H2'""")
        cur.execute("update moved set city = 'Harbin'")
        load_id = warehouse.start_load(cur, "halls", "test", "moved.csv")
        warehouse.insert_halls(cur, "moved", load_id)
    args = ("metrics_by_group", None, Scope.halls(["H1"]), {"group_1": None, "group_2": None})
    assert fixture_db.answering_query(*args) == "metrics_by_group_sums"
    raw, rolled, _ = _both(fixture_db, monkeypatch, "metrics_by_group", None, Scope.halls(["H1"]),
                           group_1="city", group_2=None)
    assert_same(raw, rolled, "half of Harbin")
    assert fixture_db.answering_query("metrics_by_group", None, Scope.halls(["H1", "H2"]),
                                      {"group_1": None, "group_2": None}) == "metrics_by_group_rollup"
    raw, rolled, _ = _both(fixture_db, monkeypatch, "metrics_by_group", None, Scope.halls(["H1", "H2"]),
                           group_1="city", group_2=None)
    assert_same(raw, rolled, "Harbin with H1 and H2")
    assert_rollups_current(fixture_db)


# -- the write path keeps them current ------------------------------------------------------
def _load_visits(db, rows: list[dict]) -> int:
    frame = pd.DataFrame(rows)
    with db.transaction() as cur:
        cur.register("incoming_df", frame)
        cur.execute(
            "create or replace temp table incoming as select "
            + ", ".join(f"cast({c} as {t.split(' not null')[0]}) as {c}"
                        for c, t in VISIT_COLUMNS.items()
                        if c in warehouse.CONTRACT_VISIT_COLUMNS)
            + " from incoming_df"
        )
        load_id = warehouse.start_load(cur, "visits", "test", "more.csv")
        inserted, replaced = warehouse.insert_visits(cur, "incoming", load_id)
        warehouse.finish_load(cur, load_id, inserted, 0, replaced)
        cur.unregister("incoming_df")
    return load_id


def _visit(visit_id, hall_id, arrived, wait_min, purpose="bill_payment", peak=4, exit_=3, abandoned=False):
    arrived = pd.Timestamp(arrived)
    called = None if abandoned else arrived + pd.Timedelta(minutes=wait_min)
    return {
        "visit_id": visit_id, "hall_id": hall_id, "arrived_at": arrived, "purpose": purpose,
        "called_at": called, "service_started_at": called,
        "service_ended_at": None if called is None else called + pd.Timedelta(minutes=7, microseconds=250),
        "left_at": (arrived + pd.Timedelta(minutes=wait_min + 8)), "staff_id": None if abandoned else "S9",
        "counter_id": None if abandoned else "C9", "abandoned": abandoned,
        "peak_score": None if abandoned else peak, "exit_score": exit_, "exit_comment": None,
        "overall_score": 9, "segment": "business",
    }


def _all_answers_agree(db, monkeypatch) -> None:
    for f in (VisitFilter(), VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 9))):
        for g1 in (None, "region", "city", "day", "purpose"):
            raw, rolled, by = _both(db, monkeypatch, "metrics_by_group", f, EVERYTHING, group_1=g1, group_2=None)
            assert by == expected_twin(f, EVERYTHING, g1, None)
            assert_same(raw, rolled, f"{f} {g1}")
    for name, f in (("dataset_summary", None), ("explore_filter_options", VisitFilter())):
        raw, rolled, _ = _both(db, monkeypatch, name, f, EVERYTHING)
        assert_same(raw, rolled, name)


def test_loads_and_undo_keep_rollups_current(fixture_db, monkeypatch):
    db = fixture_db
    assert_rollups_current(db)
    before = _frame(db, "select * from visit_rollup order by hall_id, day, purpose")
    # V02 re-sent with another wait, and in another hall and day; V20 is new, of an unknown
    # purpose code and an unknown hall; V21 abandons.
    load = _load_visits(db, [
        _visit("V02", "H3", "2026-03-09 10:00:00", 3.5, purpose="plan_change"),
        _visit("V20", "H9", "2026-03-09 11:00:00", 2),
        _visit("V21", "H2", "2026-03-09 11:30:00", 40, abandoned=True),
    ])
    assert_rollups_current(db)
    _all_answers_agree(db, monkeypatch)
    with db.transaction() as cur:
        warehouse.undo_load(cur, load, "test")
    assert_rollups_current(db)
    after_undo = _frame(db, "select * from visit_rollup order by hall_id, day, purpose")
    pd.testing.assert_frame_equal(before, after_undo, check_dtype=False)
    _all_answers_agree(db, monkeypatch)


def test_halls_and_targets_keep_rollups_current(fixture_db, monkeypatch):
    db = fixture_db
    _load_visits(db, [_visit("V30", "H9", "2026-03-02 12:00:00", 12)])  # H9 not a hall yet
    with db.transaction() as cur:
        # H9 becomes known (in Harbin) and H3 moves to Shenyang, in one halls load
        cur.execute(
            """create temp table new_halls as
               select 'H9' as hall_id, 'Delta Hall' as hall_name, 'North' as region, 'Harbin' as city,
                      2 as counters, 'standard' as hall_type, 45.7 as latitude, 126.6 as longitude,
                      time '09:00' as opens_at, time '18:00' as closes_at
               union all
               select hall_id, hall_name, 'North', 'Shenyang', counters, hall_type, latitude, longitude,
                      opens_at, closes_at
               from halls where hall_id = 'H3'"""
        )
        halls_load = warehouse.start_load(cur, "halls", "test", "halls2.csv")
        warehouse.insert_halls(cur, "new_halls", halls_load)
    assert_rollups_current(db)
    _all_answers_agree(db, monkeypatch)
    with db.transaction() as cur:
        warehouse.set_targets(cur, "*", {"wait_target_min": 5, "service_level_target": 0.8})
        warehouse.set_targets(cur, "H9", {"wait_target_min": 15})
    assert_rollups_current(db)
    _all_answers_agree(db, monkeypatch)
    with db.transaction() as cur:
        warehouse.undo_load(cur, halls_load, "test")
    assert_rollups_current(db)
    _all_answers_agree(db, monkeypatch)


def test_waits_with_fractions_of_a_second_are_within_half_a_second(fixture_db, monkeypatch):
    _load_visits(fixture_db, [
        _visit(f"F{i}", "H1", f"2026-03-10 09:{i:02d}:00", w)
        for i, w in enumerate([1.0071, 2.2429, 3.4913, 3.5088, 9.9917])
    ])
    f = VisitFilter(date_from=date(2026, 3, 10), date_to=date(2026, 3, 10))
    raw, rolled, by = _both(fixture_db, monkeypatch, "metrics_by_group", f, EVERYTHING, group_1=None, group_2=None)
    assert by == "metrics_by_group_network"
    for col in ("wait_median_min", "wait_p90_min"):
        assert abs(raw[col].iloc[0] - rolled[col].iloc[0]) * 60 <= 0.5
    assert raw["wait_median_min"].iloc[0] != rolled["wait_median_min"].iloc[0]  # not whole seconds
    assert_same(raw.drop(columns=["wait_median_min", "wait_p90_min"]),
                rolled.drop(columns=["wait_median_min", "wait_p90_min"]), "the rest is exact")


# -- a generated network ------------------------------------------------------------------
END = date(2026, 3, 31)


@pytest.fixture(scope="module")
def network():
    db = Database(":memory:")
    generate_demo(db, visits=30_000, seed=3, end_date=END, months=2)
    yield db
    db.close()


def test_rollups_equal_visits_on_a_generated_network(network, monkeypatch, subtests):
    """The sweep the bench runs at size (bench/rollup_cases.py): each case answered by the
    twin it names, with the visits' own answer."""
    assert_rollups_current(network)
    net = network_of(network)
    for case in CASES:
        with subtests.test(case=case.label):
            params = params_of(case, net)
            raw, rolled, by = _both(network, monkeypatch, case.query, case.filters(net), case.scope(net), **params)
            assert by == case.twin
            assert len(raw), "a case that answers nothing proves nothing"
            assert_same(raw, rolled, case.label)
    # the newest visits further down the list read fewer days too
    last_week = CASES[-1].filters(net)
    for offset in (150, 2000):
        raw, rolled, _ = _both(network, monkeypatch, "explore_visits", last_week, EVERYTHING,
                               **NO_DRILL, limit=50, offset=offset)
        assert_same(raw, rolled, f"newest visits from {offset}")


def test_generated_waits_are_whole_seconds(network):
    # what makes the rollup percentiles exact on the demo network
    cur = network.cursor()
    assert cur.execute("select count(*) from visits where wait_s <> round(wait_s)").fetchone()[0] == 0
    cur.close()


def test_storage_order_lets_a_period_skip_row_groups():
    db = Database(":memory:")
    try:
        with db.transaction() as cur:
            cur.execute(
                """create temp table many as
                   select 'V' || i as visit_id, 'H' || (i % 50) as hall_id,
                          timestamp '2026-01-01 09:00' + (i // 50) * interval 1 minute
                              + ((i * 7919) % 50) * interval 1 day as arrived_at,
                          'bill_payment' as purpose, null::timestamp as called_at,
                          null::timestamp as service_started_at, null::timestamp as service_ended_at,
                          null::timestamp as left_at, null as staff_id, null as counter_id,
                          true as abandoned, null::tinyint as peak_score, null::tinyint as exit_score,
                          null as exit_comment, null::tinyint as overall_score, null as segment,
                   from range(400000) as r(i)"""
            )
            load_id = warehouse.start_load(cur, "visits", "test", "many.csv")
            warehouse.insert_visits(cur, "many", load_id)
        # each row group's arrived_at range, from the zone maps a filter skips groups by
        cur = db.cursor()
        stats = cur.execute(
            "select row_group_id, stats from pragma_storage_info('visits') "
            "where column_name = 'arrived_at' and segment_type <> 'VALIDITY'"
        ).fetchall()
        cur.close()
        ranges: dict[int, tuple[str, str]] = {}
        for group, found in stats:  # a struct (DuckDB 2), or its text "[Min: ..., Max: ...]" (1.5)
            if isinstance(found, dict):
                low, high = str(found["min"]), str(found["max"])
            else:
                low, high = re.search(r"Min: ([^,]+), Max: ([^\]]+)\]", found).groups()
            old = ranges.get(group, (low, high))
            ranges[group] = (min(old[0], low), max(old[1], high))
        ordered = [ranges[g] for g in sorted(ranges)]
        assert len(ordered) >= 4  # rows were written in day order: the groups' days follow each other
        # (within a day rows go by hall, so a day may end one group and begin the next)
        assert all(a[1][:10] <= b[0][:10] for a, b in zip(ordered, ordered[1:])), ordered
        skipped = [r for r in ordered if r[1] < "2026-02-15"]
        assert 0 < len(skipped) < len(ordered)  # a period from Feb 15 reads only the groups after
    finally:
        db.close()
