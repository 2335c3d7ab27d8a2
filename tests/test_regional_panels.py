"""Which halls get a small-multiple panel on the regional page."""

import pandas as pd

from peakend.regional import logic as regional


def _league(n: int) -> pd.DataFrame:
    # hall i has rank i (1 = best) on the median wait, except the last two: too thin to rank
    ranks = [float(i) for i in range(1, n - 1)] + [float("nan")] * 2
    return pd.DataFrame({
        "hall_id": [f"H{i:02d}" for i in range(1, n + 1)],
        "wait_median_min_rank": ranks,
        "visits": list(range(n, 0, -1)),
    })


def test_every_hall_when_they_fit_in_table_order():
    league = _league(5)
    assert regional.trend_panel_halls(league, "wait_median_min", limit=5) == ["H01", "H02", "H03", "H04", "H05"]


def test_a_big_region_gets_its_worst_ranked_halls_worst_first():
    league = _league(30)  # ranked H01..H28 (rank 1..28), H29 and H30 unranked
    shown = regional.trend_panel_halls(league, "wait_median_min", limit=4)
    assert shown == ["H28", "H27", "H26", "H25"]


def test_unranked_halls_come_after_every_ranked_one():
    league = _league(30)
    shown = regional.trend_panel_halls(league, "wait_median_min", limit=29)
    assert shown[:28] == [f"H{i:02d}" for i in range(28, 0, -1)]
    assert shown[28] == "H29"


def test_volumes_are_not_ranked_so_the_busiest_halls_come_first():
    league = _league(30)  # visits: H01 30, H02 29, ...
    assert regional.trend_panel_halls(league, "visits", limit=3) == ["H01", "H02", "H03"]


def test_a_crowded_quadrant_names_only_its_worst_halls():
    from peakend.regional.charts import _labelled

    # hall i waits i minutes and has index 5 - i/100: H40 is worst on both, H01 best
    points = pd.DataFrame({
        "label": [f"H{i:02d}" for i in range(1, 41)],
        "wait_median_min": [float(i) for i in range(1, 41)],
        "peak_end_index": [5 - i / 100 for i in range(1, 41)],
        "thin": [False] * 39 + [True],  # H40 too thin to judge
    })
    shown = _labelled(points, most=3)
    assert [s for s in shown["shown"] if s] == ["H37", "H38", "H39"]
    assert list(shown["label"]) == list(points["label"])  # every hall still named on hover
    assert list(_labelled(points.head(3), most=3)["shown"]) == ["H01", "H02", "H03"]
