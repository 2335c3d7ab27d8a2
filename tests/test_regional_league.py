"""The regional league table on the hand-checked fixture: values, n, greyed cells, ranks,
target status and changes, derived by hand from tests/fixture/*.csv.

Per hall over the whole fixture (2026-03-02 .. 03-08, all 13 visits):

hall  visits  waits (min, called visits)   median  P90    service level      abandoned
H1    7       4, 12, 6, 2, 20   (n = 5)     6.0     16.8   3 / 6 = 0.5 (*)    2/7
H2    4       3, 8, 1           (n = 3)     3.0     7.0    2 / 4 = 0.5 (**)   1/4
H3    2       10, 30            (n = 2)     20.0    28.0   1 / 2 = 0.5        0/2

(*) target 10 min: 4, 6, 2 within; denominator 5 called + V04 (abandoned after 15 min > 10).
(**) H2's own target is 5 min: 3, 1 within; 3 called + V11 (abandoned after 10 min > 5).
P90 = quantile_cont: H1 position 0.9 * 4 = 3.6 -> 12 + 0.6 * (20 - 12) = 16.8;
H2 position 1.8 -> 3 + 0.8 * 5 = 7.0; H3 position 0.9 -> 10 + 0.9 * 20 = 28.0.

Exit scores: H1 5, 2, 4, 4, 1 -> 3.2 (n 5); H2 5, 3, 4 -> 4.0 (n 3); H3 4, 2 -> 3.0 (n 2).
Region North (H1 + H2) exit mean = 28 / 8 = 3.5; South = 3.0.
Counter-result peak (bill payment, plan change): H1 5, 3, 2 -> 10/3 (n 3); H2 4 (n 1);
H3 4, 1 -> 2.5 (n 2). Peak-end index: H1 (5 + 2.5 + 4 + 4.5 + 1.5) / 5 = 3.5 (n 5);
H2 (4.5 + 3) / 2 = 3.75 (n 2); H3 (4 + 1.5) / 2 = 2.75 (n 2).
"""

from datetime import date

import pandas as pd
import pytest

from peakend.regional import logic as regional
from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language
from peakend.core.scope import Scope

WEEK = VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 8))


def league(db, current=WEEK, min_n=3, comparison="none", regions=None):
    previous = current.previous_period() if comparison == "previous" else None
    table = regional.league_table(
        db.query("halls_in_scope"),
        db.query("metrics_by_group", current, group_1="hall", group_2=None),
        db.query("metrics_by_group", previous, group_1="hall", group_2=None) if previous else None,
        db.query("metrics_by_group", current, group_1="region", group_2=None),
        min_n,
        regions,
    )
    return table.set_index("hall_id")


def ranks(table, key):
    return {h: (None if pd.isna(r) else int(r)) for h, r in table[f"{key}_rank"].items()}


def test_values_and_n_per_hall(fixture_db):
    table = league(fixture_db)
    assert list(table.index) == ["H1", "H2", "H3"]
    assert table["visits"].to_dict() == {"H1": 7, "H2": 4, "H3": 2}
    assert table["wait_median_min"].to_dict() == {"H1": 6.0, "H2": 3.0, "H3": 20.0}
    assert table["wait_p90_min"].round(6).to_dict() == {"H1": 16.8, "H2": 7.0, "H3": 28.0}
    assert table["wait_median_min_n"].to_dict() == {"H1": 5, "H2": 3, "H3": 2}
    assert table["service_level"].to_dict() == {"H1": 0.5, "H2": 0.5, "H3": 0.5}
    assert table["exit_mean"].to_dict() == {"H1": 3.2, "H2": 4.0, "H3": 3.0}
    assert table["exit_mean_n"].to_dict() == {"H1": 5, "H2": 3, "H3": 2}


def test_ranks_leave_out_a_hall_under_the_minimum_n(fixture_db):
    # min n = 3: H3 has 2 called visits, 2 visits, 2 exit scores -> greyed and unranked
    # everywhere, even where its value would be the best (no abandonment at all).
    table = league(fixture_db, min_n=3)
    assert table["wait_median_min_thin"].to_dict() == {"H1": False, "H2": False, "H3": True}
    assert ranks(table, "wait_median_min") == {"H1": 2, "H2": 1, "H3": None}  # 6.0 vs 3.0
    assert ranks(table, "wait_p90_min") == {"H1": 2, "H2": 1, "H3": None}  # 16.8 vs 7.0
    assert ranks(table, "abandonment_rate") == {"H1": 2, "H2": 1, "H3": None}  # 2/7 vs 1/4
    assert ranks(table, "service_level") == {"H1": 1, "H2": 1, "H3": None}  # a tie shares 1
    # Counter-result peak: only H1 has 3 ratings (H2 1, H3 2).
    assert ranks(table, "peak_counter_result_mean") == {"H1": 1, "H2": None, "H3": None}
    # Visits are a volume: shown, never ranked.
    assert "visits_rank" not in table


def test_with_a_lower_minimum_the_small_hall_is_ranked(fixture_db):
    table = league(fixture_db, min_n=2)
    assert ranks(table, "wait_median_min") == {"H1": 2, "H2": 1, "H3": 3}
    assert ranks(table, "abandonment_rate") == {"H1": 3, "H2": 2, "H3": 1}  # 0/2 is best


def test_exit_rank_uses_the_shrunken_mean(fixture_db):
    # m = 30 ratings at the region's mean (North 3.5, South 3.0):
    # H1 (5 * 3.2 + 30 * 3.5) / 35 = 121 / 35; H2 (3 * 4.0 + 30 * 3.5) / 33 = 117 / 33;
    # H3 (2 * 3.0 + 30 * 3.0) / 32 = 3.0 (greyed at min n 3).
    table = league(fixture_db, min_n=3)
    assert table.loc["H1", "exit_mean_shrunk"] == pytest.approx(121 / 35)
    assert table.loc["H2", "exit_mean_shrunk"] == pytest.approx(117 / 33)
    assert table.loc["H3", "exit_mean_shrunk"] == pytest.approx(3.0)
    assert ranks(table, "exit_mean") == {"H1": 2, "H2": 1, "H3": None}


def test_target_status_against_each_halls_own_target(fixture_db):
    table = league(fixture_db, min_n=3)
    status = lambda key: {h: (s if isinstance(s, str) else None) for h, s in table[f"{key}_status"].items()}  # noqa: E731
    # Median wait: H1 6.0 <= 10; H2 3.0 <= its own 5; H3 greyed, not judged.
    assert status("wait_median_min") == {"H1": "green", "H2": "green", "H3": None}
    # P90 has no target of its own (the tail is judged by the service level), so no mark.
    assert "wait_p90_min_status" not in table
    # Exit score against 4.0: 3.2 < 3.8 red; 4.0 green.
    assert status("exit_mean") == {"H1": "red", "H2": "green", "H3": None}
    assert table.loc["H2", "wait_median_min_target"] == 5.0


def test_change_against_the_period_before(fixture_db):
    # 03-05..03-08 against 03-01..03-04.
    # Now: H1 V06 (wait 20, exit 1) + V07 (abandoned); H2 nothing; H3 V13 (wait 30, exit 2).
    # Before: H1 V01-V05 (waits 4, 12, 6, 2 -> median 5.0; exits 5, 2, 4, 4 -> 3.75);
    # H2 V08-V11 (4 visits, median 3.0); H3 V12 (wait 10, exit 4).
    current = VisitFilter(date_from=date(2026, 3, 5), date_to=date(2026, 3, 8))
    table = league(fixture_db, current=current, min_n=1, comparison="previous")
    assert table["visits"].to_dict() == {"H1": 2, "H2": 0, "H3": 1}  # H2 kept, 0 visits
    assert table["visits_change"].to_dict() == {"H1": -3, "H2": -4, "H3": 0}
    assert table.loc["H1", "wait_median_min_change"] == 15.0
    assert pd.isna(table.loc["H2", "wait_median_min_change"])
    assert table.loc["H3", "wait_median_min_change"] == 20.0
    assert table.loc["H1", "exit_mean_change"] == pytest.approx(1 - 3.75)
    assert table.loc["H3", "exit_mean_change"] == pytest.approx(2 - 4)
    assert bool(table.loc["H2", "wait_median_min_thin"])  # no called visit at all


def test_only_the_chosen_regions_and_the_region_filter_is_in_sql(fixture_db):
    south = WEEK.replace(regions=("South",))
    rows = fixture_db.query("metrics_by_group", south, group_1="hall", group_2=None)
    assert list(rows["group_1"]) == ["H3"]
    table = league(fixture_db, current=south, regions=["South"])
    assert list(table.index) == ["H3"]


def test_scope_keeps_other_regions_out(fixture_db):
    north_manager = Scope.halls({"H1", "H2"})
    halls = fixture_db.query("halls_in_scope", scope=north_manager)
    assert regional.regions_of(halls) == ["North"]
    rows = fixture_db.query("metrics_by_group", WEEK, north_manager, group_1="region", group_2=None)
    assert list(rows["group_1"]) == ["North"]


def test_region_against_region(fixture_db):
    # North: waits 4, 12, 6, 2, 20, 3, 8, 1 -> sorted 1 2 3 4 6 8 12 20 -> median 5.0 (n 8);
    # South 20.0 (n 2, greyed at min n 3). Exit: network mean 34 / 10 = 3.4;
    # North (8 * 3.5 + 30 * 3.4) / 38 = 130 / 38.
    current = fixture_db.query("metrics_by_group", WEEK, group_1="region", group_2=None)
    network = fixture_db.query("metrics_by_group", WEEK, group_1=None, group_2=None)
    table = regional.region_table(current, None, network, 3).set_index("region")
    assert table["wait_median_min"].to_dict() == {"North": 5.0, "South": 20.0}
    assert ranks(table, "wait_median_min") == {"North": 1, "South": None}
    assert table.loc["North", "exit_mean_shrunk"] == pytest.approx(130 / 38)
    assert "wait_median_min_status" not in table  # regions have no targets of their own


def test_wait_distribution_per_hall(fixture_db):
    # H1 waits 2 4 6 12 20: P10 at position 0.4 -> 2 + 0.4 * 2 = 2.8; Q1 4; Q3 12.
    # H2 waits 1 3 8: P10 position 0.2 -> 1.4; Q1 position 0.5 -> 2.0; Q3 1.5 -> 5.5.
    rows = fixture_db.query("regional_wait_distribution", WEEK).set_index("hall_id")
    assert rows.loc["H1"][
        ["wait_n", "wait_p10_min", "wait_q1_min", "wait_median_min", "wait_q3_min", "wait_p90_min"]
    ].round(6).tolist() == [5, 2.8, 4.0, 6.0, 12.0, 16.8]
    assert rows.loc["H2"][["wait_p10_min", "wait_q1_min", "wait_q3_min"]].round(6).tolist() == [1.4, 2.0, 5.5]
    assert rows.loc["H3", "wait_median_min"] == 20.0


def test_wait_boxes_longest_median_first_with_targets(fixture_db):
    table = league(fixture_db, min_n=3).reset_index()
    boxes = regional.wait_boxes(fixture_db.query("regional_wait_distribution", WEEK), table, 3)
    assert list(boxes["hall_id"]) == ["H3", "H1", "H2"]
    assert list(boxes["wait_target_min"]) == [10.0, 10.0, 5.0]
    assert list(boxes["thin"]) == [True, False, False]


def test_purposes_list(fixture_db):
    rows = fixture_db.query("purposes")
    assert list(rows["purpose"]) == ["bill_payment", "plan_change", "data_demo", "enquiry", "phone_purchase"]
    assert rows.set_index("purpose").loc["data_demo", "peak_moment"] == "data_experience"


def test_daily_trend_and_sparklines(fixture_db):
    # Median wait per hall and day: H1 03-02 (4, 12, 6) -> 6.0 n 3; 03-03 2.0 n 1;
    # 03-08 20.0 n 1. H2 03-02 (3, 8) -> 5.5 n 2; 03-03 1.0 n 1. H3 10.0 and 30.0, n 1 each.
    table = league(fixture_db, min_n=2).reset_index()
    by_day = fixture_db.query("metrics_by_group", WEEK, group_1="hall", group_2="day")
    trend = regional.trend_frame(by_day, table, "wait_median_min", 1)
    h1 = trend[trend["id"] == "H1"]
    assert [d.isoformat() for d in h1["period"]] == ["2026-03-02", "2026-03-03", "2026-03-08"]
    assert h1["value"].tolist() == [6.0, 2.0, 20.0]
    # With min n 2 the one-visit days drop out of the line.
    thin_trend = regional.trend_frame(by_day, table, "wait_median_min", 2)
    assert regional.sparklines(thin_trend, table["hall_id"]) == [[6.0], [5.5], []]


def test_quadrant_crosshairs_are_medians_of_the_halls(fixture_db):
    # min n 2: nothing is thin; medians of (6, 3, 20) = 6.0 and of (3.5, 3.75, 2.75) = 3.5.
    q = regional.quadrant(league(fixture_db, min_n=2).reset_index())
    assert (q.wait_median, q.peak_end_median) == (6.0, 3.5)
    assert q.points.set_index("label")["visits"].to_dict() == {"Alpha Hall": 7, "Beta Hall": 4, "Gamma Hall": 2}
    # min n 3: H2 (2 peak-end ratings) and H3 are thin and stay out of the cross-hairs.
    q3 = regional.quadrant(league(fixture_db, min_n=3).reset_index())
    assert q3.points["thin"].tolist() == [False, True, True]
    assert (q3.wait_median, q3.peak_end_median) == (6.0, 3.5)


@pytest.fixture()
def english():
    set_language("en")
    yield
    set_language("zh")  # the language is per context: don't leak into later tests


def test_export_csv_and_excel(fixture_db, english):
    import io

    import openpyxl

    from peakend.charts.theme import GREYED, STATUS_COLORS

    table = league(fixture_db, min_n=3).reset_index()
    frame = regional.export_frame(table)
    csv = regional.to_csv(frame)
    assert csv.startswith("\ufeff".encode("utf-8"))  # Excel reads the Chinese headers right
    back = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
    assert back["Hall"].tolist() == ["Alpha Hall", "Beta Hall", "Gamma Hall"]
    assert back["Median wait · min"].tolist() == [6.0, 3.0, 20.0]
    assert back["Median wait rank"].tolist()[:2] == [2, 1] and pd.isna(back["Median wait rank"][2])
    assert back["Exit score status"].fillna("").tolist() == ["Off target", "On target", ""]
    assert back["Exit score n"].tolist() == [5, 3, 2]

    book = openpyxl.load_workbook(io.BytesIO(regional.to_excel(frame, table, "League table")))
    sheet = book["League table"]
    headers = [c.value for c in sheet[1]]
    exit_col = headers.index("Exit score · score (1-5)") + 1
    h2_exit = sheet.cell(row=3, column=exit_col)
    assert h2_exit.value == 4.0
    assert h2_exit.fill.fgColor.rgb.lower().endswith(regional._tint(STATUS_COLORS["green"])[1:])
    h3_exit = sheet.cell(row=4, column=exit_col)
    assert h3_exit.font.color.rgb.lower().endswith(GREYED[1:])  # thin: grey, no fill


def test_the_excel_file_is_built_outside_the_pages_language(fixture_db, english):
    """Streamlit makes a download's file when its button is clicked, in a thread of its own
    where the language is the default (Chinese): an English table must still come out
    (it failed with "'到访人次' is not in list")."""
    import io
    import threading

    import openpyxl

    from peakend.charts.theme import STATUS_COLORS

    table = league(fixture_db, min_n=3, comparison="previous").reset_index()
    frame = regional.export_frame(table)
    built, failed = [], []

    def click():
        try:
            built.append(regional.to_excel(frame, table, "League table"))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            failed.append(exc)

    worker = threading.Thread(target=click)
    worker.start()
    worker.join()
    assert not failed, failed
    sheet = openpyxl.load_workbook(io.BytesIO(built[0]))["League table"]
    headers = [c.value for c in sheet[1]]
    assert "Visits" in headers and "Median wait change" in headers
    h2_exit = sheet.cell(row=3, column=headers.index("Exit score · score (1-5)") + 1)
    assert h2_exit.value == 4.0 and h2_exit.fill.fgColor.rgb.lower().endswith(
        regional._tint(STATUS_COLORS["green"])[1:])  # the marks were found by their English names


def test_who_needs_help_most(fixture_db):
    # min n 2. Median wait: H3 20.0 is last of 3. Counter-result peak: H1 (n 3) and H3
    # (n 2) are ranked; shrunk H1 (10 + 30 * 3.5) / 33 = 3.48, H3 (5 + 30 * 2.5) / 32 = 2.5
    # -> H3 last of 2. Exit: H1 121/35, H2 117/33, H3 3.0 -> H3 last of 3. Data-service
    # demo and phone purchase have no hall with 2 ratings: no last place to name.
    table = league(fixture_db, min_n=2).reset_index()
    got = [(w.key, w.label, w.value, w.rank, w.ranked) for w in regional.worst(table)]
    assert got == [
        ("wait_median_min", "Gamma Hall", 20.0, 3, 3),
        ("peak_counter_result_mean", "Gamma Hall", 2.5, 2, 2),
        ("exit_mean", "Gamma Hall", 3.0, 3, 3),
    ]
    assert table.loc[0, "peak_counter_result_mean_shrunk"] == pytest.approx(115 / 33)
