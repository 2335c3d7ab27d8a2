"""Moments that matter: the per-moment query on the fixture and the to-do list's arithmetic
on a small region whose numbers can be followed by hand."""

import math

import pandas as pd
import pytest
from scipy import stats

from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language
from peakend.insights import moments, text
from peakend.insights.moments import slope_from_sums, todo_list


@pytest.fixture(scope="module")
def fixture_db():
    # these tests only read: one copy of the fixture for the module
    from fixture_db import build_fixture_db

    db = build_fixture_db()
    yield db
    db.close()


def row(rows, hall, moment):
    sel = rows["moment"] == moment
    sel &= rows["hall_id"].isna() if hall is None else rows["hall_id"] == hall
    [found] = rows[sel].to_dict("records")
    return found


def test_only_the_asked_halls_wait_median(fixture_db):
    # the page asks one hall's median: H1's served waits 4, 12, 6, 2, 20 min -> 6; no other
    # hall's median and no all-halls median is computed, every other number is the same
    every = fixture_db.query("insights_moments", median_hall=None)
    one = fixture_db.query("insights_moments", median_hall="H1")
    assert row(one, "H1", "wait")["value_median"] == 6.0
    assert pd.isna(row(one, "H2", "wait")["value_median"]) and pd.isna(row(one, None, "wait")["value_median"])
    pd.testing.assert_frame_equal(every.drop(columns="value_median"), one.drop(columns="value_median"))


def test_moment_levels_on_the_fixture(fixture_db):
    rows = fixture_db.query("insights_moments", median_hall=None)
    # wait, H1: served V01 V02 V03 V05 V06 waited 4, 12, 6, 2, 20 min -> mean 8.8, median 6
    h1_wait = row(rows, "H1", "wait")
    assert (h1_wait["visits"], h1_wait["n"], h1_wait["value_median"]) == (5, 5, 6.0)
    assert h1_wait["value_mean"] == pytest.approx(8.8)
    # wait, all halls: the 10 served visits, mean 96/10, median (6 + 8)/2 = 7 (the network median)
    all_wait = row(rows, None, "wait")
    assert (all_wait["visits"], all_wait["value_median"]) == (10, 7.0)
    assert all_wait["value_mean"] == pytest.approx(9.6)
    # counter result, H1: bill payments V01 (5), V06 (2) and plan change V02 (3)
    h1_counter = row(rows, "H1", "counter_result")
    assert (h1_counter["visits"], h1_counter["n"]) == (3, 3)
    assert h1_counter["value_mean"] == pytest.approx(10 / 3)
    # data experience, H2: V10 was served but gave no peak score
    h2_data = row(rows, "H2", "data_experience")
    assert (h2_data["visits"], h2_data["n"]) == (1, 0)
    # exit, all halls: 13 visits (those who gave up too), 10 exit scores summing to 34
    all_exit = row(rows, None, "exit")
    assert (all_exit["visits"], all_exit["n"]) == (13, 10)
    assert all_exit["value_mean"] == pytest.approx(3.4)


def test_moment_regressions_on_the_fixture(fixture_db):
    h1_exit = row(fixture_db.query("insights_moments", median_hall=None), "H1", "exit")
    # H1 visits with both ratings: exit 5, 2, 4, 4, 1 and peak-end index 5, 2.5, 4, 4.5, 1.5
    # (V01, V02, V03, V05, V06). Mean exit 3.2, index 3.5:
    #   Sxx = 1.8^2 + 1.2^2 + 0.8^2 + 0.8^2 + 2.2^2 = 10.8
    #   Sxy = 1.8*1.5 + 1.2*1 + 0.8*0.5 + 0.8*1 + 2.2*2 = 9.5 -> slope 0.8796
    assert h1_exit["index_n"] == 5
    assert h1_exit["index_sxx"] == pytest.approx(10.8)
    assert h1_exit["index_sxy"] == pytest.approx(9.5)
    assert h1_exit["index_slope"] == pytest.approx(9.5 / 10.8)
    # NPS points: overall 10, 4, 9, 9, 2 -> +100, -100, +100, +100, -100 (mean 20):
    #   Sxy = 1.8*80 + 1.2*120 + 0.8*80 + 0.8*80 + 2.2*120 = 680
    assert h1_exit["nps_sxy"] == pytest.approx(680)
    assert h1_exit["nps_slope"] == pytest.approx(680 / 10.8)


def test_moments_query_applies_the_filter(fixture_db):
    rows = fixture_db.query("insights_moments", VisitFilter(regions=("South",)), median_hall=None)
    assert set(rows["hall_id"].dropna()) == {"H3"}
    assert row(rows, None, "wait")["value_mean"] == pytest.approx(20.0)  # V12 10 min, V13 30 min


def test_slope_from_sums_is_ordinary_least_squares():
    x, y = [5, 2, 4, 4, 1], [5, 2.5, 4, 4.5, 1.5]
    ref = stats.linregress(x, y)
    sxx = sum((a - 3.2) ** 2 for a in x)
    sxy = sum((a - 3.2) * (b - 3.5) for a, b in zip(x, y))
    syy = sum((b - 3.5) ** 2 for b in y)
    s = slope_from_sums(5, sxx, sxy, syy)
    half = stats.t.ppf(0.975, 3) * ref.stderr
    assert (s.value, s.low, s.high, s.n) == pytest.approx((ref.slope, ref.slope - half, ref.slope + half, 5))
    assert slope_from_sums(2, 1.0, 1.0, 1.0) is None  # no residual degrees of freedom
    assert slope_from_sums(50, 0.0, 0.0, 3.0) is None  # the moment never varied


# A region of five halls A..E, every number chosen to be followed by hand. Slopes (all halls
# together): the peak-end index moves 0.9 per exit point, 0.8 per counter-result point and
# -0.02 per minute of wait; NPS 40 points per rating point and -2 per minute.
HALLS = "ABCDE"
EXIT = dict(zip(HALLS, [3.6, 3.8, 4.0, 4.2, 4.4]))
WAIT = dict(zip(HALLS, [10.0, 8.0, 6.0, 4.0, 2.0]))
COUNTER = dict(zip(HALLS, [4.0, 3.9, 4.1, 4.3, 4.5]))
SLOPES = {"exit": (0.9, 40.0), "counter_result": (0.8, 40.0), "wait": (-0.02, -2.0)}


def region(n=100, counter_n=None, pooled_n=2000):
    records = []
    for h in HALLS:
        for moment, values, visits in (("wait", WAIT, 200), ("exit", EXIT, 220), ("counter_result", COUNTER, 120)):
            count = n if moment != "counter_result" or counter_n is None else counter_n
            records.append({"hall_id": h, "moment": moment, "visits": visits, "n": count,
                            "value_mean": values[h], "value_sd": 1.0, "value_median": values[h] - 1})
    for moment, (index_slope, nps_slope) in SLOPES.items():
        # sums with the given slopes: Sxy = slope x Sxx, and Syy leaves a residual sum of
        # squares of 50 (index) or 5e5 (NPS); minutes spread more than ratings
        sxx = 10_000.0 if moment == "wait" else 100.0
        records.append({"hall_id": None, "moment": moment, "visits": 1000, "n": pooled_n,
                        "index_n": pooled_n, "index_sxx": sxx, "index_sxy": index_slope * sxx,
                        "index_syy": index_slope**2 * sxx + 50,
                        "nps_n": pooled_n, "nps_sxx": sxx, "nps_sxy": nps_slope * sxx,
                        "nps_syy": nps_slope**2 * sxx + 5e5})
    return pd.DataFrame(records)


TARGETS = pd.Series({"wait_target_min": 5.0, "peak_target": 4.2, "exit_target": 4.1})


def by_moment(lines):
    return {line.moment: line for line in lines}


def test_gain_is_gap_times_slope_times_share():
    lines, bench = todo_list(region(), "A", TARGETS, min_n=30)
    # five halls with enough data: the top quartile (75th percentile; 25th for the wait)
    assert (bench.kind, bench.halls, bench.visits) == ("top_quartile", 5, 1000)
    assert bench.values["exit"] == pytest.approx(4.2)  # of 3.6 3.8 4.0 4.2 4.4
    assert bench.values["wait"] == pytest.approx(4.0)  # of 10 8 6 4 2
    assert bench.values["counter_result"] == pytest.approx(4.3)  # of 3.9 4.0 4.1 4.3 4.5
    got = by_moment(lines)
    # exit: (4.2 - 3.6) x 0.9 x 1 = 0.54 on the index; x 40 = 24 NPS points
    assert got["exit"].gain_index[0] == pytest.approx(0.54)
    assert got["exit"].gain_nps[0] == pytest.approx(24.0)
    # wait: (4 - 10) min x -0.02 = 0.12; x -2 = 12 NPS points
    assert got["wait"].gain_index[0] == pytest.approx(0.12)
    assert got["wait"].gain_nps[0] == pytest.approx(12.0)
    # counter result: (4.3 - 4.0) x 0.8 x share 120 / 200 served = 0.144
    assert got["counter_result"].share == pytest.approx(0.6)
    assert got["counter_result"].gain_index[0] == pytest.approx(0.144)
    # ranked by the expected peak-end gain
    assert [line.moment for line in lines if line.status == "gain"] == ["exit", "counter_result", "wait"]


def test_gain_interval_counts_slope_and_hall_uncertainty():
    got = by_moment(todo_list(region(), "A", TARGETS, min_n=30)[0])
    exit_ = got["exit"]
    slope_se = math.sqrt((0.9**2 * 100 + 50 - 0.9 * 90) / 1998 / 100)  # residual / (n - 2) / Sxx
    hall_se = 1.0 / math.sqrt(100)  # the hall's exit sd / sqrt(n)
    se = math.sqrt((0.6 * slope_se) ** 2 + (0.9 * hall_se) ** 2)
    assert exit_.gain_index[1] == pytest.approx(0.54 - 1.959964 * se, rel=1e-4)
    assert exit_.gain_index[2] == pytest.approx(0.54 + 1.959964 * se, rel=1e-4)


def test_best_hall_is_at_the_benchmark_and_thin_moments_are_not_judged():
    got = by_moment(todo_list(region(counter_n=12), "E", TARGETS, min_n=30)[0])
    assert got["exit"].status == "at_benchmark" and got["wait"].status == "at_benchmark"
    assert got["counter_result"].status == "thin" and got["counter_result"].n == 12
    assert got["phone_purchase"].status == "thin" and got["phone_purchase"].n == 0


def test_too_few_halls_fall_back_to_the_hall_targets():
    # A store manager sees one hall: no quartile of one, so the hall's own targets.
    one = region()
    one = one[(one["hall_id"] == "A") | one["hall_id"].isna()]
    lines, bench = todo_list(one, "A", TARGETS, min_n=30)
    assert (bench.kind, bench.slope_halls) == ("targets", 1)
    got = by_moment(lines)
    assert got["exit"].benchmark == 4.1 and got["wait"].benchmark == 5.0
    # exit: (4.1 - 3.6) x 0.9 = 0.45; wait (5 - 10) x -0.02 = 0.10
    assert got["exit"].gain_index[0] == pytest.approx(0.45)
    assert got["wait"].gain_index[0] == pytest.approx(0.10)


def test_a_slope_that_cannot_be_told_from_zero_is_not_ranked():
    flat = region()
    sel = flat["hall_id"].isna() & (flat["moment"] == "exit")
    flat.loc[sel, ["index_sxy", "index_syy"]] = [0.5, 1e4]  # slope 0.005, a wide interval
    got = by_moment(todo_list(flat, "A", TARGETS, min_n=30)[0])
    assert got["exit"].status == "no_evidence"


def test_the_list_reads_in_both_languages():
    lines, bench = todo_list(region(), "A", TARGETS, min_n=30)
    set_language("en")
    try:
        todo = text.todo_sentences(lines, 30)
        note = text.benchmark_sentence(bench, "Hall A", "North", 30, moments.MIN_BENCHMARK_HALLS)
    finally:
        set_language("zh")
    assert todo[0].startswith("1. **Exit moment**: from 3.60 to 4.20 — expected +0.54 on the peak-end index")
    assert "+24.0 NPS points" in todo[0] and "This hall: n = 100." in todo[0]
    assert "3. **Wait**: from mean wait 10.0 min (median 9.0 min) down to 4.0 min" in todo[2]
    assert note.startswith("Benchmark: the top quartile of the 5 halls of North")
    zh = text.todo_sentences(lines, 30)
    assert zh[0].startswith("1. **离店时刻**：从 3.60 提升到 4.20")
    assert zh[2].startswith("3. **排队等候**：从 平均等候 10.0 分钟（中位数 9.0 分钟） 缩短到 4.0 分钟")


def test_an_empty_list_says_why():
    # hall E is the region's best: nothing to fix against the quartile
    best, bench = todo_list(region(), "E", TARGETS, min_n=30)
    set_language("en")
    try:
        assert text.nothing_to_rank([x for x in best if x.status != "gain"], bench.kind).startswith(
            "Nothing to fix against this benchmark")
        # a store manager's own targets, all met: say that the region's bar is out of view
        assert "ranks it among anonymised peers" in text.nothing_to_rank(best, "targets")
        # nothing judged at all: too little data, not "nothing to fix"
        thin, _ = todo_list(region(n=5, counter_n=5), "A", TARGETS, min_n=30)
        assert text.nothing_to_rank(thin, "top_quartile").startswith("Too little data in this period")
    finally:
        set_language("zh")


# Hall A's journey with two moments a ratings file rates: the study's "find" (1-5) and a
# region's "kiosk" on 0-10, added by 华南.
JOURNEY = pd.DataFrame(
    [
        {"moment": m, "label_zh": z, "label_en": e, "scale_min": lo, "scale_max": hi, "study": st_,
         "added_by_region": reg, "added_by_hall": None}
        for m, z, e, lo, hi, st_, reg in [
            ("find", "寻找营业厅", "Finding the hall", 1, 5, True, None),
            ("wait", "取号等候", "Taking a ticket and waiting", 1, 5, True, None),
            ("kiosk", "自助终端", "Self-service kiosk", 0, 10, False, "华南"),
            ("counter_result", "柜台办理", "The result at the counter", 1, 5, True, None),
            ("data_experience", "数据业务体验", "The data-service demo", 1, 5, True, None),
            ("phone_purchase", "购机", "Buying a phone", 1, 5, True, None),
            ("exit", "离开", "Leaving", 1, 5, True, None),
        ]
    ]
)


def journey_region():
    """region() plus ratings of find (A: mean 3.0 of 80 ratings, the others 3.2-4.0) and of
    the kiosk (A only: 20 ratings, mean 5.0 on 0-10); slopes 0.5 and 0.1 per point."""
    rows = [region()]
    find = dict(zip(HALLS, [3.0, 3.2, 3.4, 3.6, 4.0]))
    extra = [{"hall_id": h, "moment": "find", "visits": 80, "n": 80, "value_mean": find[h], "value_sd": 1.0,
              "value_median": None} for h in HALLS]
    extra.append({"hall_id": "A", "moment": "kiosk", "visits": 20, "n": 40, "value_mean": 5.0, "value_sd": 2.0,
                  "value_median": None})
    for moment, slope, sxx in (("find", 0.5, 100.0), ("kiosk", 0.1, 400.0)):
        extra.append({"hall_id": None, "moment": moment, "visits": 400, "n": 400, "index_n": 400, "index_sxx": sxx,
                      "index_sxy": slope * sxx, "index_syy": slope**2 * sxx + 20, "nps_n": 400, "nps_sxx": sxx,
                      "nps_sxy": 20 * slope * sxx, "nps_syy": (20 * slope) ** 2 * sxx + 5e5})
    rows.append(pd.DataFrame(extra))
    return pd.concat(rows, ignore_index=True)


def test_the_list_covers_every_moment_of_the_halls_journey():
    set_language("en")  # a catalogue moment is named in the language of the page
    try:
        lines, bench = todo_list(journey_region(), "A", TARGETS, min_n=30, journey=JOURNEY)
        todo = text.todo_sentences(lines, 30)
    finally:
        set_language("zh")
    got = by_moment(lines)
    # every catalogue moment once, the wait as minutes (its rating is not a second line)
    assert set(got) == {"find", "wait", "kiosk", "counter_result", "data_experience", "phone_purchase", "exit"}
    assert got["wait"].name is None and got["wait"].value == 10.0
    # find: the region's top quartile of 3.0 3.2 3.4 3.6 4.0 is 3.6; (3.6 - 3.0) x 0.5 x share
    # 80 / 80 (A's most-rated journey moment) = 0.30
    assert bench.values["find"] == pytest.approx(3.6)
    assert got["find"].share == 1.0
    assert got["find"].gain_index[0] == pytest.approx(0.30)
    # the kiosk: one hall rates it, so no quartile of it: the hall's own bar (the peak target
    # 4.2 on 0-10: 8.0); (8 - 5) x 0.1 x share 40 / 80 = 0.15
    assert bench.targets_for == ("kiosk",) and bench.values["kiosk"] == pytest.approx(8.0)
    assert got["kiosk"].share == pytest.approx(40 / 80)
    assert got["kiosk"].gain_index[0] == pytest.approx(0.15)
    assert text.line_label(got["kiosk"]) == "Self-service kiosk (added by 华南)"
    assert any("**Finding the hall**: from 3.00 to 3.60 — expected +0.30" in s for s in todo), todo
    assert any("**Self-service kiosk (added by 华南)**: from 5.00 to 8.00" in s for s in todo), todo


def test_without_a_benchmark_a_rated_moment_is_held_to_the_peak_target_on_its_scale():
    one = journey_region()
    one = one[(one["hall_id"] == "A") | one["hall_id"].isna()]
    lines, bench = todo_list(one, "A", TARGETS, min_n=30, journey=JOURNEY)
    got = by_moment(lines)
    assert bench.kind == "targets"
    assert got["find"].benchmark == pytest.approx(4.2)  # the peak target, on 1-5
    # on 0-10: 4.2 is 80% of the way from 1 to 5, so 8.0; (8 - 5) x 0.1 x 0.5 = 0.15
    assert got["kiosk"].benchmark == pytest.approx(8.0)
    assert got["kiosk"].gain_index[0] == pytest.approx(0.15)


def test_the_page_says_which_moments_are_held_to_the_halls_own_bar():
    set_language("en")
    try:
        lines, bench = todo_list(journey_region(), "A", TARGETS, min_n=30, journey=JOURNEY)
        said = text.own_bar_sentence(lines, bench, moments.MIN_BENCHMARK_HALLS)
    finally:
        set_language("zh")
    assert said == ("Self-service kiosk (added by 华南): fewer than 4 halls rate it, so there is no region quartile; "
                    "the bar is the hall's peak target, placed on the moment's scale.")
    assert text.own_bar_sentence(*todo_list(region(), "A", TARGETS, min_n=30), 4) is None
