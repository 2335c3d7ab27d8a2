"""insights_moments from the rollups (insights_moments_rollup): each hall's sums per key
moment added up from the moment parts of visit_rollup (peakend.core.metrics.MOMENT_SUMS),
only the asked hall's wait median from its visits. The same rows as the raw query over the
visits, on the hand-checked fixture and on a generated network, under every filter the
rollups keep; anything else (and every hall's median at once) reads the visits.

Sums over rollups are added in another order than over the visits, so floating point may
differ in the last digits: compared as tests/test_rollups.py compares (rtol 1e-9).
"""

from datetime import date, timedelta

import pandas as pd
import pytest

from peakend.core.filters import VisitFilter
from peakend.core.metrics import MOMENT_SUMS, PARTS
from peakend.core.scope import EVERYTHING, Scope
from peakend.demo import generate_demo
from peakend.warehouse import rollup_check
from peakend.warehouse.db import Database

TWIN = "insights_moments_rollup"


def both(db, monkeypatch, filters, scope, median_hall):
    """(the raw query's rows, the routed call's rows, the query that answered it)."""
    monkeypatch.setenv("PEAKEND_ROLLUPS", "0")
    raw = db.query("insights_moments", filters, scope, median_hall=median_hall)
    monkeypatch.setenv("PEAKEND_ROLLUPS", "1")
    answered = db.answering_query("insights_moments", filters, scope, {"median_hall": median_hall})
    return raw, db.query("insights_moments", filters, scope, median_hall=median_hall), answered


def assert_same(raw: pd.DataFrame, rolled: pd.DataFrame, what: str) -> None:
    assert list(raw.columns) == list(rolled.columns), what
    assert len(raw) == len(rolled), what
    pd.testing.assert_frame_equal(
        raw.reset_index(drop=True), rolled.reset_index(drop=True),
        check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-9, obj=what,
    )


# -- the fixture ------------------------------------------------------------------------------
FIXTURE_FILTERS = [
    None,
    VisitFilter(),
    VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 3)),  # a period
    VisitFilter(regions=("North",)),  # a region
    VisitFilter(cities=("Harbin", "Guangzhou")),
    VisitFilter(purposes=("bill_payment",)),  # a purpose
    VisitFilter(purposes=("data_demo", "enquiry")),
    VisitFilter(peak_moments=("counter_result",)),  # a peak moment
    VisitFilter(peak_moments=("other",)),  # no peak moment at all: wait and exit only
    VisitFilter(halls=("H1",)),  # a hall
    VisitFilter(weekdays=(1, 7)),
    VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 8), regions=("North",), purposes=("bill_payment", "plan_change")),
    VisitFilter(date_from=date(2027, 1, 1), date_to=date(2027, 1, 7)),  # no visits at all
]
FIXTURE_SCOPES = [EVERYTHING, Scope.halls(["H1"]), Scope.halls(["H1", "H2"]), Scope.halls(["H3"])]


@pytest.mark.parametrize("scope", FIXTURE_SCOPES, ids=["all", "H1", "H1+H2", "H3"])
@pytest.mark.parametrize("median_hall", ["H1", "H2", "H3"])
def test_the_twin_gives_the_raw_rows_on_the_fixture(fixture_db, monkeypatch, scope, median_hall):
    for f in FIXTURE_FILTERS:
        raw, rolled, answered = both(fixture_db, monkeypatch, f, scope, median_hall)
        assert answered == TWIN, f
        assert_same(raw, rolled, f"{f} {scope} {median_hall}")


def test_the_hand_derived_numbers_come_from_the_rollups(fixture_db):
    # tests/test_insights_moments.py derives these from the 13 fixture visits
    assert fixture_db.answering_query("insights_moments", None, EVERYTHING, {"median_hall": "H1"}) == TWIN
    rows = fixture_db.query("insights_moments", median_hall="H1")

    def row(hall, moment):
        sel = (rows["moment"] == moment) & (rows["hall_id"].isna() if hall is None else rows["hall_id"] == hall)
        [found] = rows[sel].to_dict("records")
        return found

    h1_wait = row("H1", "wait")
    assert (h1_wait["visits"], h1_wait["n"], h1_wait["value_median"]) == (5, 5, 6.0)
    assert h1_wait["value_mean"] == pytest.approx(8.8)
    assert row(None, "wait")["value_mean"] == pytest.approx(9.6)
    assert pd.isna(row(None, "wait")["value_median"])  # only H1's median was asked for
    h2_data = row("H2", "data_experience")
    assert (h2_data["visits"], h2_data["n"]) == (1, 0)
    h1_exit = row("H1", "exit")
    assert h1_exit["index_n"] == 5
    assert h1_exit["index_sxx"] == pytest.approx(10.8)
    assert h1_exit["index_sxy"] == pytest.approx(9.5)
    assert h1_exit["nps_sxy"] == pytest.approx(680)
    assert h1_exit["nps_slope"] == pytest.approx(680 / 10.8)
    assert (row(None, "exit")["visits"], row(None, "exit")["n"]) == (13, 10)


UNKEPT = [
    VisitFilter(hour_from=10),
    VisitFilter(staff=("S1",)),
    VisitFilter(segments=("consumer",)),
    VisitFilter(peak_min=3),
    VisitFilter(exit_max=4),
    VisitFilter(overall_min=7),
    VisitFilter(abandoned=False),
    VisitFilter(has_comment=True),
    VisitFilter(comment_contains="slow"),
    VisitFilter(regions=("North",), hour_to=12),
]


@pytest.mark.parametrize("filters", UNKEPT, ids=lambda f: ",".join(sorted(k for k, v in f.as_params().items() if v is not None)))
def test_filters_the_rollups_do_not_keep_read_the_visits(fixture_db, filters):
    assert fixture_db.answering_query("insights_moments", filters, EVERYTHING, {"median_hall": "H1"}) == "insights_moments"
    why = fixture_db.explain("insights_moments", filters, median_hall="H1")
    assert why.query == "insights_moments"
    assert "which visit_rollup doesn't keep" in why.why


def test_every_halls_median_reads_the_visits(fixture_db):
    assert fixture_db.answering_query("insights_moments", None, EVERYTHING, {"median_hall": None}) == "insights_moments"
    why = fixture_db.explain("insights_moments", VisitFilter(regions=("North",)), median_hall=None)
    assert why.query == "insights_moments" and "every hall's wait median" in why.why


def test_explain_says_the_twin_answers_and_why(fixture_db):
    why = fixture_db.explain("insights_moments", VisitFilter(regions=("North",)), median_hall="H1")
    assert why.query == TWIN
    assert "visit_rollup" in why.why and "wait median" in why.why
    assert "visits" in why.sql and "visit_rollup" in why.sql


def test_rollups_switched_off_or_behind_read_the_visits(fixture_db, monkeypatch):
    monkeypatch.setenv("PEAKEND_ROLLUPS", "0")
    assert fixture_db.answering_query("insights_moments", None, EVERYTHING, {"median_hall": "H1"}) == "insights_moments"


def test_the_moment_parts_are_rollup_parts_checked_like_any_other(fixture_db):
    # one definition: each key moment's sums are Parts, so visit_rollup keeps them as columns
    # and the audit recomputes them from the visits
    names = {p for m in MOMENT_SUMS.values() for p in (m.part(s) for s in ("visits", "n", "x", "xx", "i_xy", "p_yy"))}
    assert names <= set(PARTS)
    cur = fixture_db.cursor()
    try:
        assert all(report.ok for report in rollup_check.audit(cur).tables)
    finally:
        cur.close()


def test_the_pandas_twins_of_the_moment_parts_agree_with_the_rollup(fixture_db):
    cur = fixture_db.cursor()
    try:
        visits = cur.execute("select * from visits").df()
        stored = cur.execute("select * from visit_rollup").df()
    finally:
        cur.close()
    names = [p.name for m in MOMENT_SUMS.values() for p in m.parts()]
    for name in names:
        assert PARTS[name].per_visit(visits).astype(float).sum() == pytest.approx(float(stored[name].sum())), name


def test_a_load_and_its_undo_keep_the_twin_equal(fixture_db, monkeypatch):
    from test_rollups import _load_visits, _visit

    from peakend.warehouse import store

    # a phone purchase, a wait of a fraction of a second (140.7 s), an abandon, a re-sent visit
    load = _load_visits(fixture_db, [
        _visit("M1", "H1", "2026-03-03 10:00:00", 7.5, purpose="phone_purchase", peak=5, exit_=4),
        _visit("M2", "H3", "2026-03-08 11:00:00", 2.345, peak=1, exit_=None),
        _visit("M3", "H2", "2026-03-08 11:30:00", 30, abandoned=True),
        _visit("V02", "H3", "2026-03-09 10:00:00", 3.5, purpose="plan_change"),
    ])
    for hall in ("H1", "H2", "H3"):
        raw, rolled, answered = both(fixture_db, monkeypatch, None, EVERYTHING, hall)
        assert answered == TWIN
        assert_same(raw, rolled, f"after the load, {hall}")
    with fixture_db.transaction() as cur:
        store.undo_load(cur, load, "test")
    raw, rolled, _ = both(fixture_db, monkeypatch, None, EVERYTHING, "H1")
    assert_same(raw, rolled, "after the undo")


# -- a generated network ----------------------------------------------------------------------
END = date(2026, 3, 31)


@pytest.fixture(scope="module")
def network():
    db = Database(":memory:")
    generate_demo(db, visits=4_000, seed=11, end_date=END, months=2)
    yield db
    db.close()


def test_the_twin_gives_the_raw_rows_on_a_generated_network(network, monkeypatch):
    cur = network.cursor()
    try:
        halls = cur.execute("select hall_id, region, city from halls order by hall_id").fetchall()
        purposes = [r[0] for r in cur.execute("select purpose from purposes order by purpose").fetchall()]
    finally:
        cur.close()
    first, region, city = halls[0]
    other_region = next(h for h in halls if h[1] != region)
    filters = [
        VisitFilter(),
        VisitFilter(date_from=END - timedelta(days=27), date_to=END),  # the page's: the last 28 days
        VisitFilter(date_from=END - timedelta(days=27), date_to=END, regions=(region,)),  # and its region
        VisitFilter(regions=(other_region[1],)),
        VisitFilter(cities=(city,)),
        VisitFilter(purposes=(purposes[0],)),
        VisitFilter(peak_moments=("data_experience", "phone_purchase")),
        VisitFilter(halls=(first,)),
        VisitFilter(date_from=END - timedelta(days=6), date_to=END, weekdays=(6, 7)),
    ]
    scopes = [EVERYTHING, Scope.halls([first]), Scope.halls([h for h, r, _ in halls if r == region])]
    for f in filters:
        for scope in scopes:
            for median_hall in (first, other_region[0]):
                raw, rolled, answered = both(network, monkeypatch, f, scope, median_hall)
                assert answered == TWIN
                assert not raw.empty or scope != EVERYTHING
                assert_same(raw, rolled, f"{f} {scope} {median_hall}")
