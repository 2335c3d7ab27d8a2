"""Does the peak-end rule hold? The covariance query on the hand-checked fixture, the fit
against statsmodels on the same rows, and the demo generator's overall-score weights
recovered within their confidence intervals."""

from datetime import date

import numpy as np
import pytest
import statsmodels.api as sm

from peakend.demo import generate_demo
from peakend.demo.cli import DEFAULT_SEED
from peakend.demo.ratings import OVERALL_SCORE_WEIGHTS
from peakend.warehouse.db import Database
from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language
from peakend.insights import peak_end, text


@pytest.fixture(scope="module")
def fixture_db():
    # these tests only read: one copy of the fixture for the module
    from fixture_db import build_fixture_db

    db = build_fixture_db()
    yield db
    db.close()


# The fixture's served visits with an overall, a peak and an exit score (tests/fixture/visits.csv):
#        overall peak exit wait(min) visit(min: arrived -> left)
ROWS = {
    "V01": (10, 5, 5, 4, 11),
    "V02": (4, 3, 2, 12, 31),
    "V03": (9, 4, 4, 6, 31),
    "V05": (9, 5, 4, 2, 35),
    "V06": (2, 2, 1, 20, 26),
    "V08": (9, 4, 5, 3, 9),
    "V09": (7, 3, 3, 8, 41),
    "V12": (8, 4, 4, 10, 16),
    "V13": (3, 1, 2, 30, 51),
}  # V10 has no peak score; V04, V07, V11 gave up


def test_rating_covariance_on_the_fixture(fixture_db):
    row = fixture_db.query("insights_rating_covariance").iloc[0]
    assert row["visits"] == 9
    # means: overall 61/9, peak 31/9, exit 30/9, wait 95/9, visit 251/9
    assert row["mean_overall"] == pytest.approx(61 / 9)
    assert row["mean_peak"] == pytest.approx(31 / 9)
    assert row["mean_exit"] == pytest.approx(30 / 9)
    assert row["mean_wait"] == pytest.approx(95 / 9)
    assert row["mean_visit"] == pytest.approx(251 / 9)
    # cov(peak, exit) = (sum pe - 9 mean_p mean_e) / 8 = (116 - 31*30/9) / 8 = 1.58333
    assert row["cov_peak_exit"] == pytest.approx((116 - 31 * 30 / 9) / 8)
    # var(wait) = (sum w^2 - 95^2/9) / 8 = (1673 - 9025/9) / 8 = 83.7778
    assert row["cov_wait_wait"] == pytest.approx((1673 - 95**2 / 9) / 8)
    assert str(row["first_day"])[:10] == "2026-03-02" and str(row["last_day"])[:10] == "2026-03-08"


def test_rating_covariance_applies_the_filter(fixture_db):
    # H1 only: V01 V02 V03 V05 V06 -> 5 visits, overall 10+4+9+9+2 = 34
    row = fixture_db.query("insights_rating_covariance", VisitFilter(halls=("H1",))).iloc[0]
    assert row["visits"] == 5
    assert row["mean_overall"] == pytest.approx(34 / 5)


def test_fit_matches_statsmodels_on_the_rows(fixture_db):
    summary = peak_end.Summary.from_row(fixture_db.query("insights_rating_covariance").iloc[0])
    data = np.array(list(ROWS.values()), dtype=float)
    y, x = data[:, 0], data[:, 1:]
    reference = sm.OLS(y, sm.add_constant(x)).fit()
    fit = peak_end.fit(summary, peak_end.FACTORS, min_n=0)
    assert fit.n == 9 and fit.df_resid == 4
    assert fit.intercept == pytest.approx(reference.params[0])
    assert fit.intercept_se == pytest.approx(reference.bse[0])
    for k, factor in enumerate(peak_end.FACTORS, start=1):
        e = fit.effects[factor]
        assert e.coef == pytest.approx(reference.params[k])
        assert e.se == pytest.approx(reference.bse[k])
        low, high = reference.conf_int()[k]
        assert (e.low, e.high) == pytest.approx((low, high))
        assert e.p == pytest.approx(reference.pvalues[k])
    assert fit.r2 == pytest.approx(reference.rsquared)
    # the mean of all ratings is the regression on (peak + exit) / 2
    mean_rating = (x[:, 0] + x[:, 1]) / 2
    rival = sm.OLS(y, sm.add_constant(np.column_stack([mean_rating, x[:, 2:]]))).fit()
    mean_fit = peak_end.fit(summary, (peak_end.MEAN_RATING, "wait", "visit"), min_n=0)
    assert mean_fit.effects[peak_end.MEAN_RATING].coef == pytest.approx(rival.params[1])
    assert mean_fit.r2 == pytest.approx(rival.rsquared)


def test_too_little_data_is_said_not_hidden(fixture_db):
    summary = peak_end.Summary.from_row(fixture_db.query("insights_rating_covariance").iloc[0])
    verdict = peak_end.analyse(summary)
    assert (verdict.status, verdict.n, verdict.full) == ("thin", 9, None)
    set_language("en")
    try:
        [sentence] = text.rule_sentences(verdict, "Alpha Hall")
    finally:
        set_language("zh")
    assert "Too little data in Alpha Hall" in sentence
    assert "9 served visits" in sentence and "at least 100" in sentence


def test_a_factor_that_never_varies_is_named(fixture_db):
    # As if nobody had waited: the wait has no spread, so its weight can't be estimated.
    row = fixture_db.query("insights_rating_covariance").iloc[0].to_dict()
    row.update({k: 0.0 for k in row if k.startswith("cov_") and "wait" in k}, mean_wait=0.0)
    verdict = peak_end.analyse(peak_end.Summary.from_row(row), min_n=0)
    assert (verdict.status, verdict.factor, verdict.n) == ("no_variation", "wait", 9)


@pytest.fixture(scope="module")
def demo_summary():
    # A small demo network with the project's default seed (not one picked to pass).
    db = Database(":memory:")
    generate_demo(db, visits=30_000, seed=DEFAULT_SEED, end_date=date(2026, 3, 31), months=3)
    try:
        return peak_end.Summary.from_row(db.query("insights_rating_covariance").iloc[0])
    finally:
        db.close()


# the generator's names for the weights -> the factors of the fit
WEIGHT_OF = {"peak": "peak", "exit": "exit", "wait": "wait_min", "visit": "visit_len_min"}


def test_demo_weights_are_recovered_within_their_confidence_intervals(demo_summary):
    verdict = peak_end.analyse(demo_summary)
    assert verdict.n > 3000
    fit = verdict.full
    for factor, weight in WEIGHT_OF.items():
        e = fit.effects[factor]
        assert e.low <= OVERALL_SCORE_WEIGHTS[weight] <= e.high, (factor, e, OVERALL_SCORE_WEIGHTS[weight])
    low = fit.intercept - 1.96 * fit.intercept_se
    high = fit.intercept + 1.96 * fit.intercept_se
    assert low <= OVERALL_SCORE_WEIGHTS["intercept"] <= high
    # The score is rounded and clipped to 0-10, which nudges least squares a little toward
    # zero (about one standard error at this size, more on a bigger network): recovered,
    # but no tighter than this. A wrong weight is far outside, though:
    assert not fit.effects["exit"].low <= 0.5 <= fit.effects["exit"].high
    assert not fit.effects["wait"].low <= -0.3 <= fit.effects["wait"].high
    # the residual spread is the generator's noise plus rounding: sqrt(0.75^2 + 1/12) = 0.80
    assert fit.residual_sd == pytest.approx(np.hypot(OVERALL_SCORE_WEIGHTS["noise_sd"], np.sqrt(1 / 12)), rel=0.08)


def test_demo_verdict_says_the_rule_holds(demo_summary):
    verdict = peak_end.analyse(demo_summary)
    assert verdict.status == "holds"
    e = verdict.full.effects
    # the generator weighs peak 1.0 and exit 0.95: the test of equal weights must not
    # claim a difference its interval can't support at this size
    diff, low, high, p = verdict.difference
    assert low <= OVERALL_SCORE_WEIGHTS["peak"] - OVERALL_SCORE_WEIGHTS["exit"] <= high
    # the moments explain far more than the minutes
    assert verdict.full.r2 > 0.8 > 0.3 > max(verdict.wait_model.r2, verdict.visit_model.r2)
    assert verdict.moments_model.r2 > 0.8
    # both moments count and outweigh the minutes: act on the moments (the to-do list says which)
    assert verdict.action == "moments"
    assert peak_end.weight_ratio(e["exit"], e["wait"]) > 2
    set_language("en")
    try:
        sentences = text.rule_sentences(verdict, "the demo network")
    finally:
        set_language("zh")
    assert sentences[0].startswith("**The peak-end rule holds in the demo network.**")
    assert sentences[1].startswith("**Here, act on the two moments rather than the minutes.**")
    # compared with rivals that can differ, never with the mean of the two ratings
    assert "the wait alone explains" in sentences[2] and "the visit length alone" in sentences[2]
    assert "mean of all ratings" not in " ".join(sentences)
    assert "The exit moment weighs" in sentences[3] and "times the wait" in sentences[3]


def _summary(peak, exit_, wait, visit, overall):
    """The covariance row insights_rating_covariance would give for these visits."""
    data = {"overall": overall, "peak": peak, "exit": exit_, "wait": wait, "visit": visit}
    row = {"visits": len(overall)}
    for a in peak_end.VARIABLES:
        row[f"mean_{a}"] = float(np.mean(data[a]))
    for i, a in enumerate(peak_end.VARIABLES):
        for b in peak_end.VARIABLES[i:]:
            row[f"cov_{a}_{b}"] = float(np.cov(data[a], data[b])[0, 1])
    return peak_end.Summary.from_row(row)


def test_where_the_wait_decides_the_verdict_says_start_with_the_queue():
    rng = np.random.default_rng(3)
    n = 4000
    peak = rng.integers(1, 6, n).astype(float)
    exit_ = rng.integers(1, 6, n).astype(float)
    wait = rng.exponential(12, n)
    visit = wait + rng.uniform(5, 30, n)
    overall = 9 - 0.25 * wait + 0.15 * (peak + exit_) + rng.normal(0, 0.8, n)
    verdict = peak_end.analyse(_summary(peak, exit_, wait, visit, overall))
    assert verdict.wait_model.r2 > verdict.moments_model.r2
    assert (verdict.status, verdict.action) == ("queue", "queue")
    set_language("en")
    try:
        sentences = text.rule_sentences(verdict, "Hall Q")
    finally:
        set_language("zh")
    assert sentences[0] == "**In Hall Q the wait matters as much as the peak and exit moments.**"
    assert sentences[1].startswith("**Shorten the wait first.**")


def test_when_only_one_moment_counts_that_moment_is_the_one_to_work_on():
    rng = np.random.default_rng(4)
    n = 4000
    peak = rng.integers(1, 6, n).astype(float)
    exit_ = rng.integers(1, 6, n).astype(float)
    wait = rng.exponential(8, n)
    visit = wait + rng.uniform(5, 30, n)
    overall = 1 + 1.2 * exit_ - 0.02 * wait + rng.normal(0, 0.6, n)  # the peak doesn't count
    verdict = peak_end.analyse(_summary(peak, exit_, wait, visit, overall))
    assert (verdict.status, verdict.action) == ("partly", "exit")
    set_language("en")
    try:
        sentences = text.rule_sentences(verdict, "Hall E")
    finally:
        set_language("zh")
    assert sentences[1].startswith("**Here only the exit moment measurably moves the overall score**")
