from datetime import date

import pytest

from peakend.core import formatting
from peakend.core import i18n
from peakend.core.filters import VisitFilter, period_preset
from peakend.core.metrics import METRICS, target_status


@pytest.fixture(autouse=True)
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("zh")


def test_numbers_follow_the_language():
    assert formatting.number(1234567) == "1,234,567"
    assert formatting.percent(0.2307) == "23.1%"
    assert formatting.minutes(7) == "7.0 min"
    assert formatting.points(11.1) == "+11"
    assert formatting.number(float("nan")) == formatting.MISSING
    # a count on a card: in full under a million, short from there
    assert (formatting.compact(999_999), formatting.compact(16_529_123)) == ("999,999", "16.5M")
    i18n.set_language("zh")
    assert formatting.compact(16_529_123) == "1652.9万"
    assert formatting.minutes(7) == "7.0 分钟"
    assert formatting.day(date(2026, 3, 2)) == "2026年3月2日"


@pytest.mark.parametrize(
    "key, value, target, expected",
    [
        ("wait_median_min", 9.0, 10, "green"),
        ("wait_median_min", 12.0, 10, "amber"),  # within 25% over
        ("wait_median_min", 13.0, 10, "red"),
        ("service_level", 0.80, 0.8, "green"),
        ("service_level", 0.76, 0.8, "amber"),
        ("service_level", 0.70, 0.8, "red"),
        ("abandonment_rate", 0.12, 0.08, "amber"),
        ("exit_mean", 4.1, 4.2, "amber"),
        ("exit_mean", 3.9, 4.2, "red"),
        ("exit_mean", None, 4.2, None),
        ("visits", 100, None, None),
    ],
)
def test_target_status(key, value, target, expected):
    assert target_status(METRICS[key], value, target) == expected


def test_periods():
    # "yesterday" is the data's last day (peakend.core.periods; tests/test_periods.py)
    assert period_preset("yesterday", date(2026, 3, 8)) == (date(2026, 3, 8), date(2026, 3, 8))
    assert period_preset("last_7_days", date(2026, 3, 8)) == (date(2026, 3, 2), date(2026, 3, 8))
    assert period_preset("last_month", date(2026, 3, 8)) == (date(2026, 2, 1), date(2026, 2, 28))
    f = VisitFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 8))
    prev = f.previous_period()
    assert (prev.date_from, prev.date_to) == (date(2026, 2, 23), date(2026, 3, 1))


def test_empty_selection_means_all():
    assert VisitFilter(halls=[]).halls is None
    assert VisitFilter(comment_contains="  ").comment_contains is None
    assert VisitFilter(halls=["H2", "H1"]).halls == ("H1", "H2")


@pytest.mark.parametrize("n, en, zh", [(1, "1 hall", "1 个营业厅"), (2, "2 halls", "2 个营业厅"), (0, "0 halls", "0 个营业厅"),
                                       (1_234, "1,234 halls", "1,234 个营业厅")])
def test_a_count_says_its_noun_in_the_singular_or_plural(n, en, zh):
    from peakend.core import formatting
    from peakend.core.i18n import set_language

    try:
        set_language("en")
        assert formatting.counted(n, "hall") == en
        set_language("zh")
        assert formatting.counted(n, "hall") == zh
    finally:
        set_language("zh")
