"""The shrunken (Bayesian) mean behind the ranks of ratings, and the small rules around
the league table, computed by hand."""

from datetime import date

import pandas as pd
import pytest

from peakend.regional import logic as regional
from peakend.core import links
from peakend.core.filters import VisitFilter


def test_shrunken_mean_by_hand_reverses_a_lucky_small_sample():
    # Region mean 4.2, prior weight m = 30.
    # Hall A: 4 ratings, mean 5.0 -> (4 * 5.0 + 30 * 4.2) / 34 = (20 + 126) / 34 = 146 / 34 = 4.2941...
    # Hall B: 100 ratings, mean 4.6 -> (460 + 126) / 130 = 586 / 130 = 4.5077...
    # A's raw mean is higher, but four ratings are not evidence enough: B ranks first.
    a = regional.shrunken_mean(5.0, 4, 4.2, weight=30)
    b = regional.shrunken_mean(4.6, 100, 4.2, weight=30)
    assert a == pytest.approx(146 / 34)
    assert b == pytest.approx(586 / 130)
    ranks = regional.rank_best_first(pd.Series([a, b]), True, pd.Series([True, True]))
    assert ranks.tolist() == [2, 1]


def test_shrunken_mean_limits():
    assert regional.shrunken_mean(2.0, 0, 4.2) == 4.2  # no ratings: the region's mean
    assert regional.shrunken_mean(float("nan"), 0, 4.2) == 4.2
    # n = m: exactly halfway between the hall and the region.
    assert regional.shrunken_mean(3.0, 30, 4.0, weight=30) == pytest.approx(3.5)
    # The default weight is the documented m = 30.
    assert regional.PRIOR_WEIGHT == 30
    assert regional.shrunken_mean(5.0, 30, 4.0) == pytest.approx(4.5)


def test_shrunken_mean_on_series_matches_the_scalar_formula():
    means = pd.Series([5.0, 4.6, float("nan")])
    ns = pd.Series([4, 100, 0])
    prior = pd.Series([4.2, 4.2, 3.9])
    out = regional.shrunken_mean(means, ns, prior, weight=30)
    assert out.tolist() == pytest.approx([146 / 34, 586 / 130, 3.9])


def test_rank_best_first_direction_ties_and_ineligible():
    values = pd.Series([6.0, 3.0, 3.0, 1.0])
    eligible = pd.Series([True, True, True, False])
    # Lower is better (a wait): 3.0 and 3.0 share rank 1, 6.0 is 3rd, 1.0 is unranked.
    assert regional.rank_best_first(values, False, eligible).tolist() == [3, 1, 1, pd.NA]
    assert regional.rank_best_first(values, True, eligible).tolist() == [1, 2, 2, pd.NA]


def test_trend_grain():
    days_62 = VisitFilter(date_from=date(2026, 1, 1), date_to=date(2026, 3, 3))
    days_63 = VisitFilter(date_from=date(2026, 1, 1), date_to=date(2026, 3, 4))
    assert regional.trend_grain(days_62, "wait_median_min") == "day"
    assert regional.trend_grain(days_63, "wait_median_min") == "week"
    # Ratings go weekly after two weeks: a small hall's day rarely has the minimum n.
    days_14 = VisitFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 14))
    assert regional.trend_grain(days_14, "exit_mean") == "day"
    assert regional.trend_grain(days_14.replace(date_to=date(2026, 3, 15)), "exit_mean") == "week"


def test_drill_down_keeps_the_period_and_purpose_filter():
    assert links.hall_link_like("H2", {"period": "last_7_days", "region": "North"}) == {
        "hall": "H2", "period": "last_7_days",
    }
    assert links.hall_link_like(
        "H1", {"from": "2026-03-02", "to": "2026-03-04", "purpose": "bill_payment,enquiry", "moment": "other"}
    ) == {"hall": "H1", "from": "2026-03-02", "to": "2026-03-04", "purpose": "bill_payment,enquiry", "moment": "other"}
