"""Peak + end against the mean of all moments (issue 21, peakend/insights/journey_check.py):
the query's correlations against numpy on the fixture's raw rows, Williams' t calibrated
(about 5% false alarms when the two correlations are equal, power when they differ), and the
sentence in both languages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language
from peakend.insights import journey_check, text
from peakend.warehouse.ingest import load_files

# the fixture's served visits with an overall, a peak and an exit score (overall, peak, exit)
RATED = {
    "V01": (10, 5, 5),
    "V02": (4, 3, 2),
    "V03": (9, 4, 4),
    "V05": (9, 5, 4),
    "V06": (2, 2, 1),
    "V08": (9, 4, 5),
    "V09": (7, 3, 3),
    "V12": (8, 4, 4),
    "V13": (3, 1, 2),
}
# journey ratings of some of them; "door" is rated 0-10, so it counts on a 1-5 scale
JOURNEY = [
    ("V01", "find", 3),
    ("V01", "wait", 2),
    ("V02", "find", 5),
    ("V03", "enter", 4),
    ("V05", "wait", 1),
    ("V06", "find", 4),
    ("V06", "door", 10),
    ("V09", "wait", 5),
    ("V13", "door", 0),
    ("V10", "find", 4),
]  # V10 has no overall score: left out


def test_the_querys_correlations_are_numpys_on_the_raw_rows(fixture_db, tmp_path):
    from peakend.warehouse import moments

    moments.add_moment(fixture_db, "admin", moments.NewMoment("door", "门口", "At the door", "before_queue", scale=(0, 10)))
    path = tmp_path / "journey.csv"
    path.write_text("visit_id,moment,score\n" + "".join(f"{v},{m},{s}\n" for v, m, s in JOURNEY), encoding="utf-8")
    [loaded] = load_files(fixture_db, [path], "tester")
    assert (loaded.rows_loaded, loaded.rows_rejected) == (len(JOURNEY), 0)
    row = fixture_db.query("insights_all_moments", VisitFilter()).iloc[0]
    others: dict[str, list[float]] = {}
    for visit, moment, score in JOURNEY:
        others.setdefault(visit, []).append(1 + 4 * score / 10 if moment == "door" else score)
    visits = [v for v in RATED if v in others]
    overall = np.array([RATED[v][0] for v in visits], float)
    peak_end = np.array([(RATED[v][1] + RATED[v][2]) / 2 for v in visits])
    every = np.array([(sum(others[v]) + RATED[v][1] + RATED[v][2]) / (len(others[v]) + 2) for v in visits])
    assert (row["visits"], row["max_moments"]) == (len(visits), 4)  # V06: find, door, peak, exit
    assert row["mean_moments"] == np.mean([len(others[v]) + 2 for v in visits])
    for column, a, b in (
        ("r_peak_end", overall, peak_end),
        ("r_all_moments", overall, every),
        ("r_between", peak_end, every),
    ):
        assert abs(row[column] - np.corrcoef(a, b)[0, 1]) < 1e-12, column
    # six visits are too few to compare
    assert journey_check.check(row) is None


def _simulate(rng, n: int, gap: float) -> tuple[float, float, float]:
    """Correlations of an outcome with two correlated predictors; gap > 0 makes the
    first predictor the better one."""
    x2 = rng.normal(size=n)
    x3 = 0.7 * x2 + np.sqrt(1 - 0.49) * rng.normal(size=n)
    y = (0.5 + gap) * x2 + 0.5 * x3 + rng.normal(size=n) * 1.2
    c = np.corrcoef([y, x2, x3])
    return c[0, 1], c[0, 2], c[1, 2]


def test_williams_t_is_calibrated_and_has_power():
    rng = np.random.default_rng(21)
    null = [journey_check.williams_t(*_simulate(rng, 300, 0.0), 300)[1] for _ in range(2000)]
    false_alarms = np.mean(np.array(null) < 0.05)
    assert 0.035 < false_alarms < 0.065, false_alarms
    power = np.mean([journey_check.williams_t(*_simulate(rng, 800, 0.5), 800)[1] < 0.05 for _ in range(500)])
    assert power > 0.9, power


def test_the_sentence_says_which_wins_in_both_languages():
    row = pd.Series(
        {
            "visits": 66382,
            "mean_moments": 5.14,
            "max_moments": 6,
            "r_peak_end": 0.915,
            "r_all_moments": 0.801,
            "r_between": 0.841,
        }
    )
    found = journey_check.check(row)
    assert found is not None and found.winner == "peak_end" and found.t > 50 and found.p < 1e-12
    set_language("en")
    sentence = text.journey_sentence(found, 66382)
    assert sentence.startswith(
        "**Peak + end beats the mean of all moments.** Among 66,382 visits that rated more "
        "than two moments (5.1 on average), the overall score correlates r = 0.92"
    )
    assert "r = 0.80 with the mean of every moment (a difference of +0.11" in sentence and "p < 0.001" in sentence
    set_language("zh")
    assert text.journey_sentence(found, 66382).startswith("**峰值 + 离店胜过所有时刻的平均。**")
    reverse = journey_check.check(row.replace({0.915: 0.801, 0.801: 0.915}))
    assert reverse.winner == "all_moments"
    assert text.journey_sentence(reverse, 66382).startswith("**在这里，所有时刻的平均比峰值 + 离店更能说明总体评分。**")
    close = journey_check.check(pd.Series({**row, "visits": 150, "r_all_moments": 0.905}))
    assert close.winner == "tie" and "p = " in text.journey_sentence(close, 150)
    assert text.journey_sentence(None, 0).startswith("这里的到访只评了峰值和离店两个时刻")
    set_language("en")
    assert text.journey_sentence(None, 42) == (
        "Only 42 visits rated more than two moments, fewer than the 100 the comparison of peak + end with the mean "
        "of all moments needs."
    )
