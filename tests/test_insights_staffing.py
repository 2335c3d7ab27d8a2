"""Staffing what-if on the fixture: hall H1 on Mondays, every number derived by hand."""

import math

import pytest

from peakend.core.filters import VisitFilter
from peakend.core.halls import first_row
from peakend.core.i18n import set_language
from peakend.insights import staffing, text
from peakend.insights.erlang import Queue
from peakend.insights.staffing import WhatIf, staffing_table


@pytest.fixture(scope="module")
def fixture_db():
    # these tests only read: one copy of the fixture for the module
    from fixture_db import build_fixture_db

    db = build_fixture_db()
    yield db
    db.close()


# H1 on Monday 2026-03-02 (its only Monday): V01 arrives 09:00 and is served 09:04-09:10 at
# C1 (6 min), V02 09:10, served 09:22-09:40 at C2 (18 min), V03 10:00, served 10:06-10:30 at
# C1 (24 min), V04 arrives 10:05 and gives up at 10:20.
#   arrivals per day: 09:00 -> 2, 10:00 -> 2 (one open Monday)
#   counters in use:  09:00 -> C1, C2 = 2; 10:00 -> C1 = 1
#   service time: no hour has 10 served visits, so both use the day's (6 + 18 + 24) / 3 = 16 min
#   observed service level (10-min target): 09:00 V01 in time, V02 not -> 1/2;
#   10:00 V03 in time, V04 gave up after 15 min -> 1/2
MONDAY = VisitFilter(halls=("H1",), weekdays=(1,))


def table(db, what_if, counters=3):
    return staffing_table(
        db.query("hall_arrivals_by_hour", MONDAY),
        db.query("metrics_by_group", MONDAY, group_1="hour", group_2=None),
        first_row(db.query("metrics_by_group", MONDAY, group_1=None, group_2=None)),
        what_if, counters,
    )


def test_needed_and_in_use_per_hour(fixture_db):
    got = table(fixture_db, WhatIf(0.8, 10.0))
    assert got["hour"].tolist() == [9, 10]
    assert got["arrivals_per_day"].tolist() == [2.0, 2.0]
    assert got["service_min"].tolist() == [16.0, 16.0] and set(got["service_basis"]) == {"day"}
    # traffic = 2 an hour x 16 min / 60 = 0.5333 Erlangs. One counter (M/M/1):
    #   SL = 1 - 0.5333 exp(-(1 - 0.5333) x 600 s / 960 s) = 0.6016 < 0.8
    # two counters: Erlang C = 0.1123, SL = 1 - 0.1123 exp(-(2 - 0.5333) x 600 / 960) = 0.9551
    assert got["traffic"].tolist() == pytest.approx([32 / 60, 32 / 60])
    assert Queue(2, 960, 1).service_level(600) == pytest.approx(0.6016, abs=1e-4)
    assert got["expected_level"].tolist() == pytest.approx([0.9551, 0.9551], abs=1e-4)
    assert got["needed"].tolist() == [2, 2]
    assert got["in_use"].tolist() == [2.0, 1.0]
    assert got["status"].tolist() == ["ok", "under"]  # 1 in use < 2 needed - 0.5
    assert got["observed_service_level"].tolist() == [0.5, 0.5]
    assert got["wait_median_min"].tolist() == [8.0, 6.0]  # (4 + 12) / 2; V03's 6
    assert not got["beyond_hall"].any()


def test_the_what_if_changes_the_need_at_once(fixture_db):
    # service 50% faster: 8 min, traffic 0.2667; one counter reaches
    #   1 - 0.2667 exp(-(1 - 0.2667) x 600 / 480) = 0.8934 >= 0.8
    faster = table(fixture_db, WhatIf(0.8, 10.0, service_change=-0.5))
    assert faster["service_min"].tolist() == [16.0, 16.0]  # observed, kept for reference
    assert faster["handling_min"].tolist() == [8.0, 8.0]
    assert faster["needed"].tolist() == [1, 1]
    # 09:00: 2 in use >= 1 needed + 1, but only 1/2 was called within 10 min (< 80%): more than
    # modelled, target missed, not "overstaffed"
    assert faster["status"].tolist() == ["over_missed", "ok"]
    # a 99% target: two counters give 0.9551, three 0.9961
    stricter = table(fixture_db, WhatIf(0.99, 10.0))
    assert stricter["needed"].tolist() == [3, 3]
    assert stricter["status"].tolist() == ["under", "under"]
    # a 1-minute wait target: two counters still give
    #   1 - 0.1123 exp(-(2 - 0.5333) x 60 / 960) = 0.8975
    tight = table(fixture_db, WhatIf(0.8, 1.0))
    assert tight["needed"].tolist() == [2, 2]
    # a hall with one counter can't open the two it needs
    assert table(fixture_db, WhatIf(0.8, 10.0), counters=1)["beyond_hall"].tolist() == [True, True]


def test_sentences_and_table_in_words(fixture_db):
    got = table(fixture_db, WhatIf(0.8, 10.0))
    set_language("en")
    try:
        said = text.staffing_sentences(got, "Alpha Hall", 1, 0.8, 10.0, 3)
        shown = text.staffing_frame(got)
    finally:
        set_language("zh")
    assert said[0] == ("Alpha Hall, Mondays in this period (days with visits: 1). Counter-hours over the day "
                       "to call 80% of visits within 10 min, by the Erlang C model: 4 needed; 3.0 were in use.")
    assert said[1] == "In use: counted from the counters that served (counter_id)."
    assert said[2] == "**Understaffed** hours: 10:00."
    assert shown["hour"].tolist() == ["09:00", "10:00"]
    assert shown["status"].tolist() == ["About right", "Understaffed"]
    assert shown["observed_service_level"].tolist() == [50.0, 50.0]


def test_busiest_weekday(fixture_db):
    by_day = fixture_db.query("metrics_by_group", VisitFilter(halls=("H1",)), group_1="weekday", group_2=None)
    # H1: Monday 4 visits, Tuesday 1, Sunday 2
    assert staffing.busiest_weekday(by_day) == 1
    assert staffing.busiest_weekday(by_day.iloc[0:0]) == 1


def test_hours_without_arrivals_are_not_judged(fixture_db):
    # H1 on Tuesday: V05 arrives 17:30 and is served 17:32-18:02, so the counter is in use
    # in the 18:00 hour too, with nobody arriving then
    tuesday = VisitFilter(halls=("H1",), weekdays=(2,))
    got = staffing_table(
        fixture_db.query("hall_arrivals_by_hour", tuesday),
        fixture_db.query("metrics_by_group", tuesday, group_1="hour", group_2=None),
        first_row(fixture_db.query("metrics_by_group", tuesday, group_1=None, group_2=None)),
        WhatIf(0.8, 10.0), 3,
    )
    assert got["hour"].tolist() == [17, 18]
    assert got["status"].tolist()[1] == "no_arrivals" and got["needed"].tolist()[1] == 0
    assert math.isnan(got["expected_level"].tolist()[1])


def observed_at(db, wait_target_s):
    return db.query("hall_service_level_by_hour", MONDAY, wait_target_s=wait_target_s)


def test_an_hour_that_met_its_target_is_never_understaffed(fixture_db):
    # 10:00 on Monday: 1 counter in use. "80% within 25 min": one counter gives (M/M/1)
    # 1 - 0.5333 exp(-0.4667 x 1500 / 960) = 0.743 < 0.8, so 2 are needed; observed: V03 called
    # after 6 min, V04 gave up after 15 (before the target: not counted) -> 1/1, target met.
    # Fewer than modelled, not understaffed
    got = staffing_table(
        fixture_db.query("hall_arrivals_by_hour", MONDAY),
        fixture_db.query("metrics_by_group", MONDAY, group_1="hour", group_2=None),
        first_row(fixture_db.query("metrics_by_group", MONDAY, group_1=None, group_2=None)),
        WhatIf(0.8, 25.0), 3, observed_at(fixture_db, 1500),
    )
    assert got.loc[got["hour"] == 10, "observed_service_level"].item() == 1.0
    assert got.loc[got["hour"] == 10, "needed"].item() == 2
    assert got.loc[got["hour"] == 10, "status"].item() == "met_under"
    set_language("en")
    try:
        said = text.staffing_sentences(got, "Alpha Hall", 1, 0.8, 25.0, 3)
    finally:
        set_language("zh")
    assert not any("Understaffed" in s for s in said)
    assert any("the target was met" in s and "10:00" in s for s in said)


def test_observed_level_is_taken_at_the_what_ifs_wait_target(fixture_db):
    # a 5-minute target: V01 waited 4 min (in), V02 12 and V03 6 (out), V04 gave up after 15
    # (after the target: missed) -> 09:00 1/2, 10:00 0/2
    got = observed_at(fixture_db, 300)
    assert dict(zip(got["hour"], got["service_level"])) == {9: 0.5, 10: 0.0}
    # with 20 s nobody was
    got = observed_at(fixture_db, 20)
    assert dict(zip(got["hour"], got["service_level"])) == {9: 0.0, 10: 0.0}


def test_a_target_in_seconds_reaches_erlang_c_as_seconds(fixture_db, monkeypatch):
    # "80% within 20 s": the Erlang C gets 20 s exactly, not 20 min nor 0.33 s
    seen = []
    real = staffing.counters_needed

    def spy(arrivals, handling_s, target_s, level):
        seen.append(target_s)
        return real(arrivals, handling_s, target_s, level)

    monkeypatch.setattr(staffing, "counters_needed", spy)
    what_if = WhatIf.seconds(0.8, 20)
    assert what_if.wait_target_s == 20.0 and what_if.wait_target_min == pytest.approx(1 / 3)
    got = table(fixture_db, what_if)
    assert seen and set(seen) == {20.0}
    # 2 an hour x 960 s: with 20 s, two counters give 1 - 0.1123 exp(-(2 - 0.5333) x 20 / 960)
    expected = Queue(2, 960, int(got["needed"].iloc[0])).service_level(20)
    assert got["expected_level"].iloc[0] == pytest.approx(expected)
    assert got["expected_level"].iloc[0] >= 0.8
    set_language("en")
    try:
        said = text.staffing_sentences(got, "Alpha Hall", 1, 0.8, what_if.wait_target_min, 3)
    finally:
        set_language("zh")
    assert "within 20 s" in said[0]


def test_an_hour_without_counters_or_staff_gets_no_verdict():
    import pandas as pd

    arrivals = pd.DataFrame({"hour": [10], "arrivals_per_day": [20.0], "counters_in_use": [0.0],
                             "busy_in_use": [0.0], "counter_hours": [0], "staff_hours": [0], "open_days": [1]})
    by_hour = pd.DataFrame({"group_1": ["10"], "served_visits": [20], "service_mean_min": [5.0],
                            "service_level": [0.9], "wait_median_min": [1.0]})
    got = staffing_table(arrivals, by_hour, None, WhatIf(0.8, 10.0), None)
    assert got["status"].tolist() == ["unknown"]
    assert staffing.position_basis(arrivals) == "none"
