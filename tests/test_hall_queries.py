"""The hall page's queries on the hand-checked fixture (tests/fixture/visits.csv).

Hall H1 (Alpha Hall, 3 counters, network targets: wait 10 min, service level 0.8,
abandonment 0.1, peak 4.0, exit 4.0) has seven visits in the week 2026-03-02 (Mon) to
2026-03-08 (Sun):

  visit  day        arrived  purpose (peak moment)        wait  staff counter  service      peak exit comment
  V01    Mon 03-02  09:00    bill_payment (counter)        4    S1    C1       09:04-09:10  5    5    Fast and polite
  V02    Mon 03-02  09:10    plan_change (counter)        12    S2    C2       09:22-09:40  3    2    排队太久了
  V03    Mon 03-02  10:00    data_demo (data)              6    S1    C1       10:06-10:30  4    4
  V04    Mon 03-02  10:05    enquiry (other)     abandoned after 15 min
  V05    Tue 03-03  17:30    phone_purchase (phone)        2    S2    C2       17:32-18:02  5    4    Good deal on the phone
  V06    Sun 03-08  11:00    bill_payment (counter)       20    S1    C1       11:20-11:25  2    1    Waited forever, rude staff
  V07    Sun 03-08  11:05    bill_payment (counter) abandoned after 3 min

Every expected value below is derived from that table by hand.
"""

from datetime import date, datetime

import pytest

from fixture_db import build_fixture_db
from peakend.core.filters import VisitFilter
from peakend.hall.logic import DISTRIBUTION_BAND_MIN, DISTRIBUTION_CAP_MIN, WAIT_BAND_EDGES, hall_filter
from peakend.core.scope import Scope

WEEK = dict(date_from=date(2026, 3, 2), date_to=date(2026, 3, 8))
H1 = hall_filter("H1", **WEEK)
EDGES = list(WAIT_BAND_EDGES)  # bands: 1 = 0-5, 2 = 5-10, 3 = 10-15, 4 = 15-20, 5 = 20-30, 6 = 30+


@pytest.fixture(scope="module")
def fixture_db():
    """One copy of the fixture for this module: these tests only read."""
    db = build_fixture_db()
    yield db
    db.close()


def rows(frame):
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_headline_metrics_of_one_hall(fixture_db):
    row = fixture_db.query("metrics_by_group", H1, group_1=None, group_2=None).iloc[0]
    assert row["visits"] == 7
    # waits of the called visits: 2, 4, 6, 12, 20 -> median 6; P90 at position 0.9*4 = 3.6
    # between 12 and 20: 12 + 0.6 * 8 = 16.8
    assert row["wait_median_min"] == 6.0
    assert row["wait_p90_min"] == pytest.approx(16.8)
    # within 10 min: V01, V03, V05 = 3; of 5 called + V04 (gave up after 15 > 10) = 6
    assert row["service_level"] == pytest.approx(0.5)
    assert row["abandonment_rate"] == pytest.approx(2 / 7)
    # counter result: V01 5, V02 3, V06 2 -> 10/3; data: V03 4; phone: V05 5
    assert row["peak_counter_result_mean"] == pytest.approx(10 / 3)
    assert row["peak_counter_result_n"] == 3
    assert row["peak_data_experience_mean"] == 4.0
    assert row["peak_phone_purchase_mean"] == 5.0
    # exits 5, 2, 4, 4, 1 -> 16/5; peak-end per visit 5, 2.5, 4, 4.5, 1.5 -> 17.5/5
    assert row["exit_mean"] == pytest.approx(3.2)
    assert row["peak_end_index"] == pytest.approx(3.5)
    # overall 10, 4, 9, 9, 2: 3 promoters, 2 detractors of 5 -> +20
    assert row["nps"] == pytest.approx(20.0)


def test_comparison_period_is_the_one_before(fixture_db):
    # Thu 03-05 .. Sun 03-08 (4 days): V06, V07. The 4 days before (03-01 .. 03-04): V01-V05.
    current = hall_filter("H1", date(2026, 3, 5), date(2026, 3, 8))
    previous = current.previous_period()
    assert (previous.date_from, previous.date_to) == (date(2026, 3, 1), date(2026, 3, 4))
    now = fixture_db.query("metrics_by_group", current, group_1=None, group_2=None).iloc[0]
    before = fixture_db.query("metrics_by_group", previous, group_1=None, group_2=None).iloc[0]
    assert (now["visits"], now["wait_median_min"], now["abandonment_rate"]) == (2, 20.0, 0.5)
    # V01-V05: waits 4, 12, 6, 2 -> median 5
    assert (before["visits"], before["wait_median_min"]) == (5, 5.0)


def test_a_period_without_visits_gives_no_rows(fixture_db):
    empty = fixture_db.query("metrics_by_group", H1.previous_period(), group_1=None, group_2=None)
    assert empty.empty


def test_purpose_and_peak_moment_filters(fixture_db):
    bills = fixture_db.query("metrics_by_group", H1.replace(purposes=("bill_payment",)), group_1=None, group_2=None)
    # V01, V06, V07: waits 4 and 20 -> median 12
    assert (bills.iloc[0]["visits"], bills.iloc[0]["wait_median_min"]) == (3, 12.0)
    counter = fixture_db.query("metrics_by_group", H1.replace(peak_moments=("counter_result",)), group_1=None, group_2=None)
    assert counter.iloc[0]["visits"] == 4  # V01, V02, V06, V07


def test_scope_wins_over_the_hall_filter(fixture_db):
    other = fixture_db.query("hall_wait_heatmap", H1, scope=Scope.halls(["H2"]))
    assert other.empty


def test_wait_heatmap(fixture_db):
    got = fixture_db.query("hall_wait_heatmap", H1)
    # (weekday, hour, arrivals, called, median wait): Mon 9h V01 V02 (4, 12 -> 8);
    # Mon 10h V03 V04 (only V03 called: 6); Tue 17h V05 (2); Sun 11h V06 V07 (only V06: 20)
    assert rows(got) == [(1, 9, 2, 2, 8.0), (1, 10, 2, 1, 6.0), (2, 17, 1, 1, 2.0), (7, 11, 2, 1, 20.0)]


def test_wait_distribution(fixture_db):
    got = fixture_db.query(
        "hall_wait_distribution", H1, band_min=DISTRIBUTION_BAND_MIN, cap_min=DISTRIBUTION_CAP_MIN
    )
    # 2-minute bands of the waits 2, 4, 6, 12, 20
    assert rows(got) == [(2.0, 1), (4.0, 1), (6.0, 1), (12.0, 1), (20.0, 1)]
    # every wait of 10 minutes or more shares the last band when the cap is 10
    capped = fixture_db.query("hall_wait_distribution", H1, band_min=5, cap_min=10)
    assert rows(capped) == [(0.0, 2), (5.0, 1), (10.0, 2)]


def test_arrivals_and_counters_by_hour(fixture_db):
    got = fixture_db.query("hall_arrivals_by_hour", H1)
    # open days (a visit that day): 03-02, 03-03, 03-08 = 3.
    # arrivals: 9h 2, 10h 2, 11h 2, 17h 1, 18h 0.
    # counters in use (day, hour, counter): 03-02 9h C1 (V01) and C2 (V02); 03-02 10h C1 (V03);
    # 03-03 17h and 18h C2 (V05 17:32-18:02); 03-08 11h C1 (V06) -> 9h 2, 10h 1, 11h 1, 17h 1, 18h 1.
    assert list(got["hour"]) == [9, 10, 11, 17, 18]
    assert list(got["arrivals_per_day"]) == pytest.approx([2 / 3, 2 / 3, 2 / 3, 1 / 3, 0])
    assert list(got["counters_in_use"]) == pytest.approx([2 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3])
    assert list(got["wait_n"]) == [2, 1, 1, 1, 0]
    assert list(got["wait_median_min"][:4]) == [8.0, 6.0, 20.0, 2.0]
    assert got["wait_median_min"].isna().iloc[4]
    # service level (target 10 min): 9h V01 in, V02 out -> 1/2; 10h V03 in, V04 gave up after
    # 15 min -> 1/2; 11h V06 out, V07 gave up after 3 min (counts nowhere) -> 0/1; 17h V05 -> 1
    assert list(got["service_level"][:4]) == [0.5, 0.5, 0.0, 1.0]
    assert got["service_level"].isna().iloc[4]
    assert set(got["open_days"]) == {3}


def test_service_ending_on_the_hour_does_not_count_in_the_next(fixture_db):
    # V01 serves 09:04-09:10 on C1; nothing reaches 10h from it. On Sunday alone (1 open day):
    # arrivals 11h 2 (V06, V07), C1 in use at 11h by V06.
    got = fixture_db.query("hall_arrivals_by_hour", hall_filter("H1", date(2026, 3, 8), date(2026, 3, 8)))
    assert rows(got[["hour", "arrivals_per_day", "counters_in_use"]]) == [(11, 2.0, 1.0)]


def test_peak_distribution(fixture_db):
    got = fixture_db.query("hall_peak_distribution", H1)
    third = pytest.approx(1 / 3)
    assert rows(got) == [
        ("counter_result", 2, 1, third), ("counter_result", 3, 1, third), ("counter_result", 5, 1, third),
        ("data_experience", 4, 1, 1.0), ("phone_purchase", 5, 1, 1.0),
    ]


def test_peak_by_wait_band(fixture_db):
    got = fixture_db.query("hall_peak_by_wait_band", H1, wait_band_edges=EDGES)
    # counter: V01 wait 4 (band 1) 5, V02 12 (band 3) 3, V06 20 (band 5: 20 starts it) 2;
    # data: V03 6 (band 2) 4; phone: V05 2 (band 1) 5
    assert rows(got) == [
        ("counter_result", 1, 1, 5.0), ("counter_result", 3, 1, 3.0), ("counter_result", 5, 1, 2.0),
        ("data_experience", 2, 1, 4.0), ("phone_purchase", 1, 1, 5.0),
    ]


def test_staff_scores_by_peak_moment(fixture_db):
    from peakend.hall.logic import staff_peak_scores

    got = staff_peak_scores(
        fixture_db.query("metrics_by_group", H1, group_1="staff", group_2="peak_moment"),
        fixture_db.query("staff_labels", H1),
    )
    # S1: V01 counter 5, V06 counter 2 -> 3.5 (n 2); V03 data 4. S2: V02 counter 3; V05 phone 5.
    # Names from tests/fixture/staff.csv (S1 王芳, S2 李娜).
    assert rows(got) == [
        ("S1", "王芳 · S1", "counter_result", 2, 3.5), ("S1", "王芳 · S1", "data_experience", 1, 4.0),
        ("S2", "李娜 · S2", "counter_result", 1, 3.0), ("S2", "李娜 · S2", "phone_purchase", 1, 5.0),
    ]


# tests/fixture/staff.csv names S1, S2, S3 and S5; S4 (V10, hall H2) is not in it.
STAFF_LABEL_CASES = {
    "H1: both named": (("H1",), [("S1", "王芳", "王芳 · S1"), ("S2", "李娜", "李娜 · S2")]),
    "H2: one named, one only by id": (("H2",), [("S3", "张伟", "张伟 · S3"), ("S4", None, "S4")]),
    "H3": (("H3",), [("S5", "陈静", "陈静 · S5")]),
}


def test_staff_labels_name_each_member_with_the_id(fixture_db, subtests):
    for case, (halls, expected) in STAFF_LABEL_CASES.items():
        with subtests.test(case):
            got = fixture_db.query("staff_labels", VisitFilter(halls=halls))
            assert [(r.staff_id, None if r.staff_name is None or r.staff_name != r.staff_name else r.staff_name,
                     r.label) for r in got.itertuples()] == expected


HEATMAP_CASES = {
    "the roster names both": (None, ["王芳 · S1", "李娜 · S2"]),
    "the roster lacks S2": ("S2", ["王芳 · S1", "S2"]),
}


def test_staff_heatmap_rows_read_by_name(fixture_db, subtests):
    """The chart's rows are the names with the ids, in id order; an id the roster lacks
    stays an id."""
    from peakend.hall import charts
    from peakend.hall.logic import staff_peak_scores

    scores_by_staff = fixture_db.query("metrics_by_group", H1, group_1="staff", group_2="peak_moment")
    labels = fixture_db.query("staff_labels", H1)
    for case, (unnamed, expected) in HEATMAP_CASES.items():
        with subtests.test(case):
            known = labels[labels["staff_id"] != unnamed]
            fig = charts.staff_scores(staff_peak_scores(scores_by_staff, known), 1)
            assert list(fig.data[0].y) == expected


def test_exit_distribution(fixture_db):
    got = fixture_db.query("hall_exit_distribution", H1)
    # exits 5, 2, 4, 4, 1 (V01, V02, V03, V05, V06)
    assert rows(got) == [(1, 1, 0.2), (2, 1, 0.2), (4, 2, 0.4), (5, 1, 0.2)]


def test_exit_comments_latest_first_with_purpose_labels(fixture_db):
    got = fixture_db.query("hall_exit_comments", H1, limit=None)
    assert list(got["visit_id"]) == ["V06", "V05", "V02", "V01"]  # by time left, latest first
    assert got.iloc[0]["commented_at"] == datetime(2026, 3, 8, 11, 26)
    assert tuple(got.iloc[2][["exit_score", "purpose_zh", "purpose_en", "exit_comment"]]) == (
        2, "套餐变更", "SIM / plan change", "排队太久了",
    )
    assert list(fixture_db.query("hall_exit_comments", H1, limit=2)["visit_id"]) == ["V06", "V05"]


def test_exit_comment_search_is_in_sql_and_case_blind(fixture_db):
    got = fixture_db.query("hall_exit_comments", H1.replace(comment_contains="WAIT"), limit=None)
    assert list(got["visit_id"]) == ["V06"]
    got = fixture_db.query("hall_exit_comments", H1.replace(comment_contains="排队"), limit=None)
    assert list(got["visit_id"]) == ["V02"]


def test_journey_grid(fixture_db):
    got = fixture_db.query("hall_journey", H1, wait_band_edges=EDGES)
    # visits with wait, peak and exit: V01 (band 1, high, 5), V02 (3, middle, 2),
    # V03 (2, high, 4), V05 (1, high, 4), V06 (5, low, 1)
    assert rows(got) == [
        (1, "high", 2, 4.5, 0.0), (2, "high", 1, 4.0, 0.0), (3, "middle", 1, 2.0, 1.0), (5, "low", 1, 1.0, 1.0),
    ]


def test_unhappy_exit_drivers(fixture_db):
    got = fixture_db.query("hall_unhappy_exits", H1).iloc[0]
    # unhappy exits: V02 (wait 12 > 10, peak 3) -> long wait only; V06 (wait 20, peak 2) -> both
    assert tuple(got) == (5, 2, 1, 0, 1, 0)
    # H2's target is 5 min and it has no exit of 1-2; H3's V13 waited 30 min with a peak of 1
    h2 = fixture_db.query("hall_unhappy_exits", hall_filter("H2", **WEEK)).iloc[0]
    assert (h2["exit_ratings"], h2["unhappy_exits"]) == (3, 0)
    h3 = fixture_db.query("hall_unhappy_exits", hall_filter("H3", **WEEK)).iloc[0]
    assert tuple(h3) == (2, 1, 0, 0, 1, 0)


def test_purposes(fixture_db):
    got = fixture_db.query("purposes")
    assert set(got["purpose"]) == {"bill_payment", "plan_change", "data_demo", "phone_purchase", "enquiry"}


def test_every_hall_query_states_its_grain():
    from peakend.warehouse.named_queries import QUERY_DIR

    for path in QUERY_DIR.glob("hall_*.sql"):
        assert path.read_text(encoding="utf-8").startswith("-- one row"), path.name


def test_unfiltered_queries_still_need_the_scope(fixture_db):
    # Every hall query reads visits through filtered_visits: an empty scope sees nothing.
    nobody = Scope.halls(())
    for name, params in [
        ("hall_wait_heatmap", {}), ("hall_exit_comments", {"limit": None}),
        ("hall_journey", {"wait_band_edges": EDGES}), ("hall_peak_distribution", {}),
    ]:
        assert fixture_db.query(name, VisitFilter(), scope=nobody, **params).empty, name
