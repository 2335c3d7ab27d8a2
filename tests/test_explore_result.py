"""The explore page's result: the table (labels, n, greyed thin cells), the chart that fits
the grouping, the visit list's paging and one visit's journey, on the fixture."""

from datetime import date

import pandas as pd
import pytest

from fixture_db import build_fixture_db
from peakend.explore.charts import group_chart, journey_chart
from peakend.explore.logic import (
    ExploreView, FilterOptions, chart_data, drill_total, journey_steps, page_count, page_window,
    result_table, visit_list,
)
from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language


@pytest.fixture(scope="module")
def db():
    database = build_fixture_db()
    yield database
    database.close()


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("zh")


@pytest.fixture(scope="module")
def options(db):
    return FilterOptions.from_frame(db.query("explore_filter_options", VisitFilter()))


def grouped(db, view):
    return db.query("metrics_by_group", VisitFilter(), group_1=view.group_1, group_2=view.group_2)


def test_table_by_hall_shows_names_visits_measures_and_their_n(db, options):
    view = ExploreView(group_1="hall", measures=("wait_median_min", "exit_mean"), min_n=3)
    result = result_table(grouped(db, view), view, options, "en")
    table = result.table
    assert list(table.columns) == ["Hall", "Visits", "Median wait", "Exit score", "n (waits)", "n (exit ratings)"]
    assert list(table["Hall"]) == ["Alpha Hall · Harbin", "Beta Hall · Shenyang", "Gamma Hall · Guangzhou"]
    assert list(table["Visits"]) == [7, 4, 2]
    # medians from the preamble of the fixture: H1 6.0, H2 3.0, H3 20.0 minutes
    assert list(table["Median wait"]) == pytest.approx([6.0, 3.0, 20.0])
    # exits: H1 5 2 4 4 1 -> 3.2 (5 ratings); H2 5 3 4 -> 4.0 (3); H3 4 2 -> 3.0 (2)
    assert list(table["Exit score"]) == pytest.approx([3.2, 4.0, 3.0])
    assert list(table["n (exit ratings)"]) == [5, 3, 2]
    # with at least 3 ratings wanted, only H3's exit score (2 ratings) is greyed
    assert list(result.thin["Exit score"]) == [False, False, True]
    assert not result.thin["Median wait"].any()  # waits are not ratings
    assert result.formats["Median wait"](6.0) == "6.0 min"


def test_labels_of_every_kind_of_group(db, options):
    for dim, expected in [
        ("weekday", ["Monday", "Tuesday", "Sunday"]),
        ("hour", ["09:00", "10:00", "11:00", "12:00", "14:00", "15:00", "17:00"]),
        ("purpose", ["Bill payment", "Data-service demo", "Enquiry", "Phone purchase", "SIM / plan change"]),
        ("peak_moment", ["Counter result", "Data-service demo", "Other", "Phone purchase"]),
        # by name and id (tests/fixture/staff.csv); S4 is not in the roster: its id alone
        ("staff", ["(not recorded)", "王芳 · S1", "李娜 · S2", "张伟 · S3", "S4", "陈静 · S5"]),
    ]:
        view = ExploreView(group_1=dim, measures=("visits",))
        table = result_table(grouped(db, view), view, options, "en").table
        assert list(table.iloc[:, 0]) == expected, dim
    view = ExploreView(group_1="purpose", measures=("visits",))
    assert list(result_table(grouped(db, view), view, options, "zh").table.iloc[:, 0]) == [
        "缴费", "数据业务体验", "咨询", "购机", "套餐变更"]


def test_chart_kind_fits_the_grouping(db, options):
    cases = [
        ((None, None), "single"),
        (("region", None), "bar"),
        (("hour", None), "column"),
        (("weekday", None), "column"),
        (("day", None), "line"),
        (("day", "region"), "lines"),
        (("region", "day"), "lines"),
        (("hall", "weekday"), "heatmap"),
        (("weekday", "hour"), "heatmap"),
    ]
    for (g1, g2), kind in cases:
        view = ExploreView(group_1=g1, group_2=g2, measures=("wait_median_min",))
        assert chart_data(grouped(db, view), view, options, "en").kind == kind, (g1, g2)


def test_bars_rank_best_first_and_lines_run_in_time_order(db, options):
    view = ExploreView(group_1="hall", measures=("wait_median_min",))
    data = chart_data(grouped(db, view), view, options, "en").data
    # a lower wait is better: H2 3.0, H1 6.0, H3 20.0 from the top
    assert list(data["x"]) == ["Beta Hall · Shenyang", "Alpha Hall · Harbin", "Gamma Hall · Guangzhou"]
    view = ExploreView(group_1="day", measures=("visits",))
    data = chart_data(grouped(db, view), view, options, "en").data
    assert list(data["x"]) == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 8)]
    assert list(data["value"]) == [7, 3, 3]


def test_heatmap_cells_are_placed_by_their_groups(db, options):
    view = ExploreView(group_1="hall", group_2="weekday", measures=("visits",))
    chart = chart_data(grouped(db, view), view, options, "en")
    fig = group_chart(chart, "visits", view.groups)
    heat = fig.data[0]
    assert list(heat.y) == ["Alpha Hall · Harbin", "Beta Hall · Shenyang", "Gamma Hall · Guangzhou"]
    assert list(heat.x) == ["Monday", "Tuesday", "Sunday"]
    assert [list(r) for r in heat.z] == [[4, 1, 2], [2, 2, None], [1, None, 1]]
    assert fig.layout.title.text == "Visits by Hall × Weekday"
    assert fig.layout.xaxis.title.text == "Weekday" and fig.layout.yaxis.title.text == "Hall"


def test_thin_groups_are_drawn_grey_and_many_groups_are_cut_with_a_note(db, options):
    from peakend.charts.theme import GREYED

    view = ExploreView(group_1="hall", measures=("exit_mean",), min_n=3)
    chart = chart_data(grouped(db, view), view, options, "en")
    fig = group_chart(chart, "exit_mean", view.groups)
    colors = dict(zip(fig.data[0].y, fig.data[0].marker.color))
    assert colors["Gamma Hall · Guangzhou"] == GREYED  # 2 exit ratings < 3
    assert colors["Beta Hall · Shenyang"] != GREYED
    assert fig.layout.xaxis.title.text == "Exit score (1-5)"
    # 45 made-up groups: the chart keeps the 40 with most visits and says so
    many = pd.DataFrame({"group_1": [f"S{i:02d}" for i in range(45)], "group_2": None,
                         "visits": range(45), "wait_median_min": 1.0, "wait_n": 10})
    cut = chart_data(many, ExploreView(group_1="staff", measures=("wait_median_min",)), options, "en")
    assert len(cut.data) == 40 and "S00" not in set(cut.data["x"])
    assert cut.note == "The chart shows the 40 groups with the most visits (of 45); the table below lists them all."


def test_share_axis_reads_in_percent(db, options):
    view = ExploreView(group_1="region", measures=("service_level",))
    fig = group_chart(chart_data(grouped(db, view), view, options, "en"), "service_level", view.groups)
    assert list(fig.data[0].x) == pytest.approx([50.0, 50.0])  # North 0.5, South 0.5
    assert fig.layout.xaxis.ticksuffix == "%"


def test_visit_paging():
    assert page_count(0) == 1 and page_count(50) == 1 and page_count(51) == 2
    assert page_window(1) == {"limit": 50, "offset": 0}
    assert page_window(3) == {"limit": 50, "offset": 100}


def test_drill_total_is_the_chosen_groups_visits(db):
    view = ExploreView(group_1="region", measures=("visits",))
    results = grouped(db, view)
    assert drill_total(results, view) == 13
    assert drill_total(results, ExploreView(group_1="region", drill=("South",))) == 2
    assert drill_total(results, ExploreView(group_1="region", drill=("Atlantis",))) is None


def test_visit_list_names_hall_and_purpose(db, options):
    params = {"drill_by_1": "hall", "drill_value_1": "H3", "drill_by_2": None, "drill_value_2": None,
              "limit": 50, "offset": 0}
    page = visit_list(db.query("explore_visits", VisitFilter(), **params), options, "zh")
    assert list(page["visit_id"]) == ["V13", "V12"]
    assert list(page["hall"]) == ["Gamma Hall · Guangzhou"] * 2
    assert list(page["purpose"]) == ["套餐变更", "缴费"]


def test_journey_of_a_served_and_of_an_abandoned_visit(db):
    served = db.query("explore_visit_journey", VisitFilter(), visit_id="V05").iloc[0]
    steps = journey_steps(served)
    # 17:30 arrived, 17:32 called and served at once (no walk), 18:02 done, 18:05 out
    assert list(steps["step"]) == ["waiting", "at_counter", "leaving"]
    assert list(steps["minutes"]) == pytest.approx([2.0, 30.0, 3.0])
    fig = journey_chart(steps, "V05")
    assert [bar.name for bar in fig.data] == ["Waiting", "At the counter", "Leaving"]
    gave_up = journey_steps(db.query("explore_visit_journey", VisitFilter(), visit_id="V04").iloc[0])
    assert list(gave_up["step"]) == ["waited_gave_up"] and list(gave_up["minutes"]) == [15.0]
