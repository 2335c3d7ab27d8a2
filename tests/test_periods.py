"""The one period model (peakend/core/periods.py): presets count back from the data's last day,
each is compared with the period that fits it, and every label says its dates."""

from datetime import date

import pytest

from peakend.core import i18n
from peakend.core import periods

D = date
LAST = D(2026, 11, 30)  # a Monday: the demo network's last day (the calendar says Dec 1)


@pytest.mark.parametrize(
    ("preset", "expected", "before"),
    [
        # the data's last day, against the same weekday a week earlier
        ("yesterday", (D(2026, 11, 30), D(2026, 11, 30)), (D(2026, 11, 23), D(2026, 11, 23))),
        ("last_7_days", (D(2026, 11, 24), D(2026, 11, 30)), (D(2026, 11, 17), D(2026, 11, 23))),
        ("last_30_days", (D(2026, 11, 1), D(2026, 11, 30)), (D(2026, 10, 2), D(2026, 10, 31))),
        # month to date against the same days of the month before
        ("this_month", (D(2026, 11, 1), D(2026, 11, 30)), (D(2026, 10, 1), D(2026, 10, 30))),
        # a calendar month against the calendar month before (not 31 days shifted)
        ("last_month", (D(2026, 10, 1), D(2026, 10, 31)), (D(2026, 9, 1), D(2026, 9, 30))),
    ],
)
def test_presets_and_their_natural_comparison(preset, expected, before):
    period = periods.resolve(preset, LAST, D(2025, 1, 1))
    assert (period.start, period.end) == expected
    assert (period.compare_start, period.compare_end) == before


def test_month_before_of_a_long_month_is_clipped():
    # 1-31 March, as "this month", against 1-28 February
    period = periods.resolve("this_month", D(2026, 3, 31), D(2025, 1, 1))
    assert (period.compare_start, period.compare_end) == (D(2026, 2, 1), D(2026, 2, 28))


def test_comparisons_are_offered_where_the_data_has_them():
    yesterday = periods.resolve("yesterday", LAST, D(2026, 1, 1))
    assert periods.comparisons_offered("yesterday", yesterday.start, yesterday.end, D(2026, 1, 1)) == [
        "previous", "week_before", "none"]  # no year before 2026-01-01
    assert periods.comparisons_offered("yesterday", yesterday.start, yesterday.end, D(2025, 1, 1)) == [
        "previous", "week_before", "year_before", "none"]
    week = periods.resolve("last_7_days", LAST, D(2025, 1, 1))
    # a week against "a week earlier" is the period before: not offered twice
    assert "week_before" not in periods.comparisons_offered("last_7_days", week.start, week.end, D(2025, 1, 1))
    year = periods.resolve("last_7_days", LAST, D(2025, 1, 1), comparison="year_before")
    assert (year.compare_start, year.compare_end) == (D(2025, 11, 24), D(2025, 11, 30))


def test_a_comparison_the_data_does_not_reach_falls_back():
    # data from 26 Nov only: no Monday a week earlier, so the day before
    period = periods.resolve("yesterday", LAST, D(2026, 11, 26))
    assert period.comparison == "previous"
    assert (period.compare_start, period.compare_end) == (D(2026, 11, 29), D(2026, 11, 29))
    asked = periods.resolve("last_7_days", LAST, D(2026, 11, 26), comparison="year_before")
    assert asked.comparison == "previous"


def test_a_hall_whose_data_ends_earlier_counts_back_from_its_own_last_day():
    bank = periods.resolve("yesterday", D(1999, 2, 28), D(1999, 2, 1))
    assert (bank.start, bank.end) == (D(1999, 2, 28), D(1999, 2, 28))
    assert (bank.compare_start, bank.compare_end) == (D(1999, 2, 21), D(1999, 2, 21))


def test_leap_day_a_year_earlier():
    period = periods.resolve(periods.CUSTOM, D(2024, 3, 1), D(2020, 1, 1), "year_before",
                             custom=(D(2024, 2, 29), D(2024, 2, 29)))
    assert (period.compare_start, period.compare_end) == (D(2023, 2, 28), D(2023, 2, 28))


@pytest.mark.parametrize(
    ("language", "preset", "year", "label"),
    [
        ("en", "yesterday", False, "Yesterday · Mon 30 Nov"),
        ("zh", "yesterday", False, "昨天 · 11月30日 周一"),
        ("en", "last_7_days", False, "Last 7 days · 24–30 Nov"),
        ("zh", "last_7_days", False, "最近 7 天 · 11月24日–30日"),
        ("en", "last_month", False, "Last month · 1–31 Oct"),
        ("zh", "last_month", False, "上月 · 10月1日–31日"),
        ("en", "last_30_days", True, "Last 30 days · 1–30 Nov 2026"),
        ("en", "custom", False, "Custom"),
    ],
)
def test_every_preset_shows_its_dates(language, preset, year, label):
    i18n.set_language(language)
    try:
        assert periods.preset_label(preset, LAST, year=year) == label
    finally:
        i18n.set_language("zh")


def test_ranges_over_two_months_and_comparison_labels():
    i18n.set_language("en")
    try:
        assert periods.short_range(D(2026, 10, 31), D(2026, 11, 6)) == "31 Oct – 6 Nov"
        period = periods.resolve("yesterday", LAST, D(2025, 1, 1))
        assert periods.comparison_label("week_before", period) == "Same weekday last week · Mon 23 Nov"
        assert periods.comparison_label("none", period) == "No comparison"
    finally:
        i18n.set_language("zh")
    assert periods.short_range(D(2026, 10, 31), D(2026, 11, 6)) == "10月31日–11月6日"
    assert periods.preset_label("yesterday", D(1999, 2, 28), year=True) == "昨天 · 1999年2月28日 周日"
