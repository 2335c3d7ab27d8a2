"""metrics_by_group on the hand-checked fixture (tests/fixture/visits.csv).

Derivations by hand, network (13 visits):
- abandoned: V04, V07, V11 -> 3; served 10; abandonment 3/13.
- waits of called visits (min): V10 1, V05 2, V08 3, V01 4, V03 6, V09 8, V12 10, V02 12,
  V06 20, V13 30 -> median (6+8)/2 = 7; P90 at position 0.9*9 = 8.1 -> 20 + 0.1*10 = 21.
- service level: targets H1 10, H2 5 (override), H3 10 min. Called within target: V01, V03,
  V05, V08, V10, V12 = 6. Denominator: 10 called + abandoned after target (V04 15>10,
  V11 10>5; V07 left after 3 min, before its target) = 12 -> 0.5.
- service minutes 6+18+24+30+5+5+32+20+5+20 = 165 over 10 -> 16.5.
- peak scores 5,3,4,5,2,4,3,4,1 -> 31/9; counter_result (bill_payment, plan_change):
  5,3,2,4,4,1 -> 19/6; data_experience: 4 (V10 has none) -> 4; phone_purchase 5,3 -> 4.
- exit scores 5,2,4,4,1,5,3,4,4,2 -> 34/10; satisfied (4-5) 6/10; unhappy (1-2) 3/10.
- peak-end per visit with both: 5, 2.5, 4, 4.5, 1.5, 4.5, 3, 4, 1.5 -> 30.5/9.
- overall 10,4,9,9,2,9,7,8,3: promoters 4, detractors (0-6) 3 -> NPS 100*(4-3)/9.
"""

from datetime import date

import pytest

from peakend.core.filters import VisitFilter
from peakend.core.scope import Scope


def _one(db, filters=None, scope=None, **kw):
    kw.setdefault("group_1", None)
    kw.setdefault("group_2", None)
    args = {"scope": scope} if scope is not None else {}
    return db.query("metrics_by_group", filters, **args, **kw)


def test_network_metrics_match_hand_derivation(fixture_db):
    row = _one(fixture_db).iloc[0]
    assert row["visits"] == 13
    assert row["served_visits"] == 10
    assert row["abandoned_visits"] == 3
    assert row["wait_n"] == 10
    assert row["wait_median_min"] == pytest.approx(7.0)
    assert row["wait_p90_min"] == pytest.approx(21.0)
    assert row["service_level"] == pytest.approx(0.5)
    assert row["abandonment_rate"] == pytest.approx(3 / 13)
    assert row["service_mean_min"] == pytest.approx(16.5)
    assert row["peak_n"] == 9 and row["peak_mean"] == pytest.approx(31 / 9)
    assert row["peak_counter_result_n"] == 6
    assert row["peak_counter_result_mean"] == pytest.approx(19 / 6)
    assert row["peak_data_experience_n"] == 1 and row["peak_data_experience_mean"] == 4
    assert row["peak_phone_purchase_n"] == 2 and row["peak_phone_purchase_mean"] == 4
    assert row["peak_satisfied_share"] == pytest.approx(5 / 9)
    assert row["peak_unhappy_share"] == pytest.approx(2 / 9)
    assert row["exit_n"] == 10 and row["exit_mean"] == pytest.approx(3.4)
    assert row["exit_satisfied_share"] == pytest.approx(0.6)
    assert row["exit_unhappy_share"] == pytest.approx(0.3)
    assert row["peak_end_n"] == 9 and row["peak_end_index"] == pytest.approx(30.5 / 9)
    assert row["overall_n"] == 9 and row["nps"] == pytest.approx(100 / 9)


def test_metrics_per_hall(fixture_db):
    # H1: waits 2,4,6,12,20 -> median 6, P90 at 3.6 -> 12 + 0.6*8 = 16.8; SL: within 10 min
    #   V01,V03,V05 = 3 of (5 called + V04 after target) = 3/6; abandonment 2/7;
    #   NPS: overall 10,4,9,9,2 -> (3-2)/5 = +20.
    # H2: waits 1,3,8 -> median 3, P90 at 1.8 -> 3 + 0.8*5 = 7; SL target 5 min: V08, V10
    #   of (3 called + V11 after 5 min) = 2/4; NPS overall 9,7 -> (1-0)/2 = +50.
    # H3: waits 10,30 -> median 20, P90 28; SL V12 of 2 = 0.5; NPS 8,3 -> (0-1)/2 = -50.
    rows = _one(fixture_db, group_1="hall").set_index("group_1")
    assert list(rows.index) == ["H1", "H2", "H3"]
    assert list(rows["visits"]) == [7, 4, 2]
    assert list(rows["wait_median_min"]) == pytest.approx([6.0, 3.0, 20.0])
    assert list(rows["wait_p90_min"]) == pytest.approx([16.8, 7.0, 28.0])
    assert list(rows["service_level"]) == pytest.approx([0.5, 0.5, 0.5])
    assert list(rows["abandonment_rate"]) == pytest.approx([2 / 7, 1 / 4, 0.0])
    assert list(rows["nps"]) == pytest.approx([20.0, 50.0, -50.0])


def test_two_dimensions(fixture_db):
    # region x weekday: North Monday (2026-03-02) = V01-V04, V08, V09 -> 6 visits.
    rows = _one(fixture_db, group_1="region", group_2="weekday")
    got = {(r.group_1, r.group_2): r.visits for r in rows.itertuples()}
    assert got == {("North", "1"): 6, ("North", "2"): 3, ("North", "7"): 2,
                   ("South", "1"): 1, ("South", "7"): 1}


@pytest.mark.parametrize(
    "filters, expected_visits",
    [
        (VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)), 7),  # V01-V04, V08, V09, V12
        (VisitFilter(date_from=date(2026, 3, 3), date_to=date(2026, 3, 8)), 6),
        (VisitFilter(regions=("South",)), 2),
        (VisitFilter(cities=("Shenyang",)), 4),
        (VisitFilter(halls=("H1", "H3")), 9),
        (VisitFilter(purposes=("bill_payment",)), 5),  # V01, V06, V07, V08, V12
        (VisitFilter(peak_moments=("counter_result",)), 7),  # bill_payment 5 + plan_change 2
        (VisitFilter(peak_moments=("other",)), 2),  # enquiry: V04, V11
        (VisitFilter(hour_from=14, hour_to=17), 4),  # V05 17:30, V09, V10, V11
        (VisitFilter(weekdays=(7,)), 3),  # Sunday 2026-03-08: V06, V07, V13
        (VisitFilter(staff=("S1",)), 3),
        (VisitFilter(segments=("business",)), 3),  # V03, V09, V13
        (VisitFilter(peak_min=4), 5),  # peak 4-5: V01, V03, V05, V08, V12
        (VisitFilter(exit_max=2), 3),  # V02, V06, V13
        (VisitFilter(overall_min=9), 4),
        (VisitFilter(abandoned=True), 3),
        (VisitFilter(has_comment=True), 6),
        (VisitFilter(comment_contains="QUEUE"), 1),  # case-insensitive: V13
        (VisitFilter(comment_contains="排队"), 1),
        (VisitFilter(comment_contains="'; drop table visits; --"), 0),
    ],
)
def test_every_filter_is_applied_in_sql(fixture_db, filters, expected_visits):
    rows = _one(fixture_db, filters)
    total = int(rows["visits"].sum()) if len(rows) else 0
    assert total == expected_visits
    assert fixture_db.scalar("select count(*) from visits") == 13


def test_scope_limits_every_metric(fixture_db):
    rows = _one(fixture_db, scope=Scope.halls(["H2"]), group_1="hall")
    assert list(rows["group_1"]) == ["H2"]
    # A filter naming an out-of-scope hall cannot widen the scope.
    none = _one(fixture_db, VisitFilter(halls=("H1",)), scope=Scope.halls(["H2"]))
    assert none["visits"].sum() == 0


def test_dataset_summary(fixture_db):
    row = fixture_db.query("dataset_summary").iloc[0]
    assert (row["halls"], row["regions"], row["cities"], row["visits"]) == (3, 2, 3, 13)
    assert row["first_day"].date() == date(2026, 3, 2)
    assert row["last_day"].date() == date(2026, 3, 8)
    scoped = fixture_db.query("dataset_summary", scope=Scope.halls(["H3"])).iloc[0]
    assert (scoped["halls"], scoped["visits"]) == (1, 2)


def test_halls_in_scope_resolves_targets(fixture_db):
    rows = fixture_db.query("halls_in_scope").set_index("hall_id")
    # H2 overrides only the wait target (5 min); the rest is the network default.
    assert rows.loc["H2", "wait_target_min"] == 5
    assert rows.loc["H1", "wait_target_min"] == 10
    assert rows.loc["H2", "peak_target"] == 4.0
