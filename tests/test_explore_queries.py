"""The explore page's queries on the hand-checked fixture: every filter, every grouping, the
drill into one group, the visit list, the journey and the filter options.

The fixture (tests/fixture/visits.csv), with the facts the answers below are derived from:

    visit hall day         hour purpose         moment    staff seg  wait aband peak exit overall comment
    V01   H1   Mon 03-02   09   bill_payment    counter   S1    cons   4   -     5    5    10   Fast and polite
    V02   H1   Mon 03-02   09   plan_change     counter   S2    cons  12   -     3    2     4   排队太久了
    V03   H1   Mon 03-02   10   data_demo       data_exp  S1    bus    6   -     4    4     9
    V04   H1   Mon 03-02   10   enquiry         other     -     cons   -   yes (left after 15 min)
    V05   H1   Tue 03-03   17   phone_purchase  phone     S2    cons   2   -     5    4     9   Good deal on the phone
    V06   H1   Sun 03-08   11   bill_payment    counter   S1    cons  20   -     2    1     2   Waited forever, rude staff
    V07   H1   Sun 03-08   11   bill_payment    counter   -     cons   -   yes (left after 3 min)
    V08   H2   Mon 03-02   09   bill_payment    counter   S3    cons   3   -     4    5     9   服务很好
    V09   H2   Mon 03-02   14   phone_purchase  phone     S3    bus    8   -     3    3     7
    V10   H2   Tue 03-03   14   data_demo       data_exp  S4    cons   1   -     -    4     -
    V11   H2   Tue 03-03   15   enquiry         other     -     cons   -   yes (left after 10 min)
    V12   H3   Mon 03-02   12   bill_payment    counter   S5    cons  10   -     4    4     8
    V13   H3   Sun 03-08   12   plan_change     counter   S5    bus   30   -     1    2     3   Long queue, unresolved question

H1 (Alpha, Harbin) and H2 (Beta, Shenyang) are in North, H3 (Gamma, Guangzhou) in South.
Wait targets: 10 min (network), 5 min for H2.
"""

from datetime import date

import pytest

from peakend.warehouse.named_queries import QueryError

from fixture_db import build_fixture_db
from peakend.core.filters import VisitFilter
from peakend.core.scope import Scope



@pytest.fixture(scope="module")
def db():
    """One fixture database for the module: these tests only read (the injection tests
    check that it stays that way)."""
    database = build_fixture_db()
    yield database
    database.close()


ALL = {f"V{i:02d}" for i in range(1, 14)}
NO_DRILL = {"drill_by_1": None, "drill_value_1": None, "drill_by_2": None, "drill_value_2": None}


def visit_ids(db, filters=VisitFilter(), scope=Scope(None), **drill) -> set[str]:
    params = {**NO_DRILL, **drill, "limit": None, "offset": 0}
    return set(db.query("explore_visits", filters, scope, **params)["visit_id"])


FILTER_CASES = [
    # (filter, expected visits, why)
    (VisitFilter(date_from=date(2026, 3, 3), date_to=date(2026, 3, 3)), {"V05", "V10", "V11"}, "only 3 March"),
    (VisitFilter(date_from=date(2026, 3, 8)), {"V06", "V07", "V13"}, "from 8 March on"),
    (VisitFilter(date_to=date(2026, 3, 2)), {"V01", "V02", "V03", "V04", "V08", "V09", "V12"}, "up to 2 March"),
    (VisitFilter(regions=("South",)), {"V12", "V13"}, "South = H3"),
    (VisitFilter(cities=("Shenyang",)), {"V08", "V09", "V10", "V11"}, "Shenyang = H2"),
    (VisitFilter(halls=("H1", "H3")), ALL - {"V08", "V09", "V10", "V11"}, "all but H2"),
    (VisitFilter(purposes=("phone_purchase",)), {"V05", "V09"}, "phone purchases"),
    (VisitFilter(peak_moments=("counter_result",)), {"V01", "V02", "V06", "V07", "V08", "V12", "V13"},
     "bill payments and plan changes"),
    (VisitFilter(peak_moments=("other",)), {"V04", "V11"}, "enquiries"),
    (VisitFilter(hour_from=17), {"V05"}, "arrived 17:00 or later"),
    (VisitFilter(hour_to=9), {"V01", "V02", "V08"}, "arrived before 10:00"),
    (VisitFilter(hour_from=10, hour_to=11), {"V03", "V04", "V06", "V07"}, "10:00-11:59"),
    (VisitFilter(weekdays=(7,)), {"V06", "V07", "V13"}, "Sunday 8 March"),
    (VisitFilter(weekdays=(6, 7)), {"V06", "V07", "V13"}, "weekend: no Saturday visits"),
    (VisitFilter(weekdays=(2,)), {"V05", "V10", "V11"}, "Tuesday 3 March"),
    (VisitFilter(staff=("S1",)), {"V01", "V03", "V06"}, "served by S1"),
    (VisitFilter(segments=("business",)), {"V03", "V09", "V13"}, "business customers"),
    (VisitFilter(peak_min=4), {"V01", "V03", "V05", "V08", "V12"}, "peak score 4-5"),
    (VisitFilter(peak_max=2), {"V06", "V13"}, "peak score 1-2"),
    (VisitFilter(exit_min=5), {"V01", "V08"}, "exit score 5"),
    (VisitFilter(exit_max=1), {"V06"}, "exit score 1"),
    (VisitFilter(overall_min=9), {"V01", "V03", "V05", "V08"}, "promoters"),
    (VisitFilter(overall_max=6), {"V02", "V06", "V13"}, "detractors"),
    (VisitFilter(abandoned=True), {"V04", "V07", "V11"}, "gave up"),
    (VisitFilter(abandoned=False), ALL - {"V04", "V07", "V11"}, "stayed"),
    (VisitFilter(has_comment=True), {"V01", "V02", "V05", "V06", "V08", "V13"}, "left a comment"),
    (VisitFilter(has_comment=False), {"V03", "V04", "V07", "V09", "V10", "V11", "V12"}, "no comment"),
    (VisitFilter(comment_contains="queue"), {"V13"}, "Long queue, ..."),
    (VisitFilter(comment_contains="POLITE"), {"V01"}, "case-insensitive"),
    (VisitFilter(comment_contains="排队"), {"V02"}, "Chinese text"),
    (VisitFilter(regions=("North",), abandoned=True), {"V04", "V07", "V11"}, "North and gave up"),
    (VisitFilter(purposes=("phone_purchase",), weekdays=(2,), hour_from=17), {"V05"},
     "the issue's question, on a Tuesday"),
    (VisitFilter(purposes=("phone_purchase",), weekdays=(6, 7), hour_from=17), set(),
     "the issue's question: no weekend phone purchases after 17:00 in the fixture"),
]


def test_every_filter_selects_the_hand_derived_visits(db, subtests):
    for filters, expected, why in FILTER_CASES:
        with subtests.test(why):
            assert visit_ids(db, filters) == expected


GROUPING_CASES = [
    # (dimension, {group value: visits})
    ("region", {"North": 11, "South": 2}),
    ("city", {"Guangzhou": 2, "Harbin": 7, "Shenyang": 4}),
    ("hall", {"H1": 7, "H2": 4, "H3": 2}),
    ("purpose", {"bill_payment": 5, "data_demo": 2, "enquiry": 2, "phone_purchase": 2, "plan_change": 2}),
    ("peak_moment", {"counter_result": 7, "data_experience": 2, "other": 2, "phone_purchase": 2}),
    # V04, V07 and V11 gave up before anyone served them: no staff
    ("staff", {None: 3, "S1": 3, "S2": 2, "S3": 2, "S4": 1, "S5": 2}),
    ("segment", {"business": 3, "consumer": 10}),
    ("day", {"2026-03-02": 7, "2026-03-03": 3, "2026-03-08": 3}),
    ("week", {"2026-03-02": 13}),  # Monday 2 March to Sunday 8 March: one ISO week
    ("month", {"2026-03": 13}),
    ("weekday", {"1": 7, "2": 3, "7": 3}),
    ("hour", {"09": 3, "10": 2, "11": 2, "12": 2, "14": 2, "15": 1, "17": 1}),
]


def test_every_grouping_counts_the_hand_derived_visits(db, subtests):
    for dim, expected in GROUPING_CASES:
        with subtests.test(dim=dim):
            rows = db.query("metrics_by_group", VisitFilter(), group_1=dim, group_2=None)
            got = {(None if g is None or g != g else g): int(n) for g, n in zip(rows["group_1"], rows["visits"])}
            assert got == expected


def test_grouped_measures_by_region(db):
    rows = db.query("metrics_by_group", VisitFilter(), group_1="region", group_2=None).set_index("group_1")
    # North waits (H1, H2): 1 2 3 4 6 8 12 20 -> median (4+6)/2 = 5.0;
    # P90 = 12 + 0.3 * (20 - 12) = 14.4 (position 0.9 * 7 = 6.3).
    assert rows.loc["North", "wait_median_min"] == pytest.approx(5.0)
    assert rows.loc["North", "wait_p90_min"] == pytest.approx(14.4)
    # within target: V01 V03 V05 (H1, 10 min) and V08 V10 (H2, 5 min) = 5; counted: 8 called
    # + V04 (gave up after 15 > 10) + V11 (after 10 > 5) = 10; V07 gave up after 3: neither.
    assert rows.loc["North", "service_level"] == pytest.approx(0.5)
    assert rows.loc["North", "abandonment_rate"] == pytest.approx(3 / 11)
    # exits 5 2 4 4 1 5 3 4 -> 28 / 8
    assert rows.loc["North", "exit_mean"] == pytest.approx(3.5)
    # South: waits 10 and 30 -> median 20; V12 within 10, V13 not -> 0.5
    assert rows.loc["South", "wait_median_min"] == pytest.approx(20.0)
    assert rows.loc["South", "service_level"] == pytest.approx(0.5)


def test_two_groupings_and_a_drill_into_one_cell(db):
    rows = db.query("metrics_by_group", VisitFilter(), group_1="hall", group_2="weekday")
    cells = {(a, b): int(n) for a, b, n in zip(rows["group_1"], rows["group_2"], rows["visits"])}
    assert cells == {("H1", "1"): 4, ("H1", "2"): 1, ("H1", "7"): 2, ("H2", "1"): 2, ("H2", "2"): 2,
                     ("H3", "1"): 1, ("H3", "7"): 1}
    h1_monday = rows[(rows["group_1"] == "H1") & (rows["group_2"] == "1")].iloc[0]
    assert h1_monday["wait_median_min"] == pytest.approx(6.0)  # V01 4, V02 12, V03 6
    # the visits behind the cell H2 x Tuesday
    assert visit_ids(db, drill_by_1="hall", drill_value_1="H2",
                     drill_by_2="weekday", drill_value_2="2") == {"V10", "V11"}


def test_drill_into_the_group_of_visits_without_staff(db):
    assert visit_ids(db, drill_by_1="staff", drill_value_1=None) == {"V04", "V07", "V11"}


def test_drill_with_an_unknown_dimension_or_value_lists_nothing(db):
    assert visit_ids(db, drill_by_1="region'; drop table visits; --", drill_value_1="North") == set()
    assert visit_ids(db, drill_by_1="region", drill_value_1="North' or '1'='1") == set()
    assert db.scalar("select count(*) from visits") == 13


def test_visit_list_pages_newest_first(db):
    def page(limit, offset):
        params = {**NO_DRILL, "limit": limit, "offset": offset}
        return list(db.query("explore_visits", VisitFilter(), **params)["visit_id"])

    # newest first: V13 (03-08 12:00), V07 (11:05), V06 (11:00), V05 (03-03 17:30), V11 (15:00) ...
    assert page(3, 0) == ["V13", "V07", "V06"]
    assert page(3, 3) == ["V05", "V11", "V10"]
    # ... V09 V12 V04 V03 (03-02 14:00 back to 10:00), V02 (09:10), then V08 and V01 both at
    # 09:00: the higher visit_id first
    assert page(5, 10) == ["V02", "V08", "V01"]
    assert page(5, 20) == []


def test_visit_list_honours_the_scope(db):
    assert visit_ids(db, scope=Scope.halls(["H3"])) == {"V12", "V13"}
    assert visit_ids(db, VisitFilter(halls=("H1",)), scope=Scope.halls(["H3"])) == set()


def test_journey_of_one_visit(db):
    row = db.query("explore_visit_journey", VisitFilter(), visit_id="V05").iloc[0]
    assert row["hall_name"] == "Alpha Hall"
    assert row["peak_moment"] == "phone_purchase"
    assert row["wait_min"] == pytest.approx(2.0)  # 17:30 -> 17:32
    assert row["service_min"] == pytest.approx(30.0)  # 17:32 -> 18:02
    assert (row["peak_score"], row["exit_score"], row["overall_score"]) == (5, 4, 9)
    assert row["peak_end"] == pytest.approx(4.5)
    assert row["exit_comment"] == "Good deal on the phone"
    # the visit that gave up: queued 15 minutes, never called
    gave_up = db.query("explore_visit_journey", VisitFilter(), visit_id="V04").iloc[0]
    assert bool(gave_up["abandoned"]) and gave_up["queue_min"] == pytest.approx(15.0)


def test_journey_respects_scope_and_filters(db):
    assert db.query("explore_visit_journey", VisitFilter(), Scope.halls(["H2"]), visit_id="V05").empty
    assert db.query("explore_visit_journey", VisitFilter(regions=("South",)), visit_id="V05").empty


def test_filter_options_for_everyone_and_for_one_hall(db):
    rows = db.query("explore_filter_options", VisitFilter())
    by_field = rows.groupby("field")["value"].apply(set).to_dict()
    assert by_field == {
        "region": {"North", "South"},
        "city": {"Harbin", "Shenyang", "Guangzhou"},
        "hall": {"H1", "H2", "H3"},
        "purpose": {"bill_payment", "plan_change", "data_demo", "phone_purchase", "enquiry"},
        "staff": {"S1", "S2", "S3", "S4", "S5"},
        "segment": {"consumer", "business"},
    }
    hall_label = rows[(rows["field"] == "hall") & (rows["value"] == "H1")].iloc[0]
    assert hall_label["label_en"] == "Alpha Hall · Harbin"
    purpose = rows[(rows["field"] == "purpose") & (rows["value"] == "phone_purchase")].iloc[0]
    assert (purpose["label_en"], purpose["label_zh"]) == ("Phone purchase", "购机")
    # staff by name and id in both languages (tests/fixture/staff.csv); S4 is not in the roster
    staff = rows[rows["field"] == "staff"].sort_values("value")
    assert list(staff["label_en"]) == list(staff["label_zh"]) == ["王芳 · S1", "李娜 · S2", "张伟 · S3", "S4", "陈静 · S5"]
    # a manager of H1 sees only H1's values: its staff S1, S2; its segments
    mine = db.query("explore_filter_options", VisitFilter(), Scope.halls(["H1"]))
    mine = mine.groupby("field")["value"].apply(set).to_dict()
    assert mine["hall"] == {"H1"} and mine["region"] == {"North"} and mine["city"] == {"Harbin"}
    assert mine["staff"] == {"S1", "S2"}
    assert mine["segment"] == {"consumer", "business"}


INJECTIONS = [
    "' or 1=1 --",
    "'; drop table visits; --",
    "x' union select visit_id from visits --",
    "queue' /* comment */ --",
    "\"; select 1; --",
    "%",
    "_",
    "\\",
]


def test_comment_search_with_sql_in_it_finds_nothing_and_breaks_nothing(db, subtests):
    # no comment contains any of these strings; a bound parameter is matched literally
    for text in INJECTIONS:
        with subtests.test(text=text):
            assert visit_ids(db, VisitFilter(comment_contains=text)) == set()
            rows = db.query("metrics_by_group", VisitFilter(comment_contains=text), group_1=None, group_2=None)
            assert rows.empty or int(rows["visits"].sum()) == 0
            assert db.scalar("select count(*) from visits") == 13


def test_list_filters_with_sql_in_them_find_nothing(db, subtests):
    # the codec drops such values before a query; bound straight in, they match no row
    for field in ["regions", "cities", "halls", "purposes", "peak_moments", "staff", "segments"]:
        for text in INJECTIONS[:5]:
            with subtests.test(field=field, text=text):
                assert visit_ids(db, VisitFilter(**{field: (text,)})) == set()


def test_metrics_grouping_by_an_unknown_dimension_is_refused(db):
    # the grouping is a choice among fixed expressions (peakend/warehouse/metric_sql.py): junk is refused
    with pytest.raises(QueryError, match="can't group by"):
        db.query("metrics_by_group", VisitFilter(), group_1="hall_id; drop table visits", group_2=None)
    assert db.scalar("select count(*) from visits") == 13
