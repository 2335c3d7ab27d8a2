"""Wait tolerance: the per-minute query on the fixture, the segmented regression against
statsmodels, and the knee found on synthetic curves whose shape is known."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from peakend.core.i18n import set_language
from peakend.insights import text, tolerance
from peakend.insights.tolerance import wait_tolerance


@pytest.fixture(scope="module")
def fixture_db():
    # these tests only read: one copy of the fixture for the module
    from fixture_db import build_fixture_db

    db = build_fixture_db()
    yield db
    db.close()


def test_query_rows_on_the_fixture(fixture_db):
    rows = fixture_db.query("insights_wait_tolerance", max_wait_min=15, moment="peak")
    got = [tuple(r) for r in rows[["purpose", "wait_minute", "ratings", "wait_mean_min", "score_mean", "score_ss"]]
           .itertuples(index=False)]
    # served visits with a peak score, by purpose and whole minute of wait (waits of 15 min
    # or more share minute 15): V08 3 min -> 4, V01 4 -> 5, V12 10 -> 4, V06 20 -> 2 (bill);
    # V03 6 -> 4 (data demo); V05 2 -> 5, V09 8 -> 3 (phone); V02 12 -> 3, V13 30 -> 1 (plan)
    assert got == [
        ("bill_payment", 3, 1, 3.0, 4.0, 0.0),
        ("bill_payment", 4, 1, 4.0, 5.0, 0.0),
        ("bill_payment", 10, 1, 10.0, 4.0, 0.0),
        ("bill_payment", 15, 1, 20.0, 2.0, 0.0),
        ("data_demo", 6, 1, 6.0, 4.0, 0.0),
        ("phone_purchase", 2, 1, 2.0, 5.0, 0.0),
        ("phone_purchase", 8, 1, 8.0, 3.0, 0.0),
        ("plan_change", 12, 1, 12.0, 3.0, 0.0),
        ("plan_change", 15, 1, 30.0, 1.0, 0.0),
    ]
    # every wait in one row (max 0 minutes): bill payment 4, 5, 4, 2 -> mean 3.75, squared
    # deviations 0.0625 + 1.5625 + 0.0625 + 3.0625 = 4.75
    one = fixture_db.query("insights_wait_tolerance", max_wait_min=0, moment="peak")
    assert one.loc[one["purpose"] == "bill_payment", ["ratings", "score_mean", "score_ss"]].values.tolist() == [[4, 3.75, 4.75]]


def test_the_exit_or_any_rated_moment_is_read_against_the_wait_too(tmp_path):
    from fixture_db import build_fixture_db

    from peakend.warehouse import moments
    from peakend.warehouse.ingest import load_files

    db = build_fixture_db()
    try:
        # the exit: served bill payments V01 5, V06 1, V08 5, V12 4 -> mean 3.75, squared
        # deviations 1.5625 + 7.5625 + 1.5625 + 0.0625 = 10.75
        exits = db.query("insights_wait_tolerance", max_wait_min=0, moment="exit")
        assert exits.loc[exits["purpose"] == "bill_payment", ["ratings", "score_mean", "score_ss"]].values.tolist() == [
            [4, 3.75, 10.75]]
        # a moment on 0-10 placed on 1-5: V01 10 -> 5, V06 0 -> 1 (mean 3, squared deviations
        # 4 + 4); V04 gave up, so its rating has no wait to be read against
        moments.add_moment(db, "admin", moments.NewMoment("kiosk", "自助终端", "Kiosk", "after_counter", scale=(0, 10)))
        ratings = tmp_path / "ratings.csv"
        ratings.write_text("visit_id,moment,score\nV01,kiosk,10\nV06,kiosk,0\nV04,kiosk,5\n", encoding="utf-8")
        [loaded] = load_files(db, [ratings], "tester")
        assert loaded.rows_loaded == 3
        kiosk = db.query("insights_wait_tolerance", max_wait_min=0, moment="kiosk")
        assert kiosk[["purpose", "ratings", "score_mean", "score_ss"]].values.tolist() == [["bill_payment", 2, 3.0, 8.0]]
        # which moments the section offers: the peak, those from the queue on that a file rates, the exit
        journey = db.query("hall_journey_moments", hall_id="H1")
        assert [m.code for m in tolerance.read_moments(journey)] == ["peak", "wait", "kiosk", "exit"]
    finally:
        db.close()


def test_the_sentences_name_the_moment_read_and_its_bar():
    wait, score = visits(lambda w: 4.6 - 0.02 * w)
    tol = wait_tolerance(per_minute(wait, score), "x", 4.0)
    set_language("en")
    try:
        exit_ = text.tolerance_sentences(tol, "Bill payment", 4.1, 10, tolerance.ReadMoment("exit"))
        kiosk = text.tolerance_sentences(tol, "Bill payment", 4.0, 10, tolerance.ReadMoment("kiosk", "Kiosk"))
    finally:
        set_language("zh")
    assert exit_[0].startswith("**Bill payment**: the exit score falls steadily")
    assert "below the exit target (4.10)" in exit_[1]
    assert kiosk[0].startswith("**Bill payment**: the score of Kiosk falls steadily")


def visits(curve, n=6000, top=40.0, noise=0.8, seed=5):
    rng = np.random.default_rng(seed)
    wait = rng.uniform(0, top, n)
    return wait, curve(wait) + rng.normal(0, noise, n)


def per_minute(wait, score, purpose="x"):
    """What queries/insights_wait_tolerance.sql returns for these visits."""
    frame = pd.DataFrame({"m": np.minimum(np.floor(wait), tolerance.MAX_WAIT_MIN).astype(int), "w": wait, "y": score})
    out = frame.groupby("m").agg(ratings=("y", "size"), wait_mean_min=("w", "mean"), score_mean=("y", "mean"),
                                 score_ss=("y", lambda s: float(((s - s.mean()) ** 2).sum())))
    return out.reset_index().rename(columns={"m": "wait_minute"}).assign(purpose=purpose)


def knee_curve(w):
    return 4.6 - 0.06 * np.maximum(w - 8, 0)  # holds for 8 minutes, then falls 0.6 per 10 min


def test_the_knee_of_a_known_curve_is_found():
    result = wait_tolerance(per_minute(*visits(knee_curve), purpose="bill_payment"), "bill_payment", peak_target=4.2)
    assert result.kind == "falls_off"
    assert result.knee == pytest.approx(8, abs=2.5)
    assert result.knee_high - result.knee_low <= 6
    # slopes per 10 minutes: 0 before the knee, -0.6 after
    assert result.slope_before[0] == pytest.approx(0, abs=0.15)
    assert result.slope_after[1] <= -0.6 <= result.slope_after[2]
    assert result.suggested == np.floor(result.knee) and result.suggestion_basis == "knee"


def test_the_knee_and_its_interval_over_many_curves():
    # Ten networks with the same true knee: found every time, on average where it is, and
    # inside its 95% interval nearly every time (a half-minute grid makes it ~90%)
    found = [wait_tolerance(per_minute(*visits(knee_curve, seed=seed)), "x", 4.2) for seed in range(10)]
    assert all(r.kind == "falls_off" for r in found)
    assert np.mean([r.knee for r in found]) == pytest.approx(8, abs=0.7)
    assert sum(r.knee_low <= 8 <= r.knee_high for r in found) >= 8


def test_the_knee_moves_with_the_curve():
    late = wait_tolerance(per_minute(*visits(lambda w: 4.5 - 0.08 * np.maximum(w - 20, 0))), "x", 4.0)
    assert late.kind == "falls_off" and late.knee == pytest.approx(20, abs=1.5)


def test_a_curve_falling_from_the_first_minute_has_no_tolerance():
    # the demo generator's shape: the first minutes hurt most (log), then it flattens
    result = wait_tolerance(per_minute(*visits(lambda w: 4.6 - 0.5 * np.log1p(w / 2))), "x", peak_target=4.2)
    assert result.kind == "early"
    assert result.slope_before[0] < result.slope_after[0] < 0
    # no knee to offer as a target: the wait where the fitted curve crosses 4.2 instead
    # (true curve: 4.6 - 0.5 ln(1 + w/2) = 4.2 at w = 2 (e^0.8 - 1) = 2.45 min)
    assert result.suggestion_basis == "target" and result.crossing == pytest.approx(2.45, abs=1.2)


def test_straight_and_flat_curves():
    steady = wait_tolerance(per_minute(*visits(lambda w: 4.8 - 0.03 * w)), "x", peak_target=4.0)
    assert steady.kind == "steady"
    assert steady.slope_line[1] <= -0.3 <= steady.slope_line[2]
    # 4.8 - 0.03 w = 4.0 at w = 26.7 min
    assert steady.crossing == pytest.approx(26.7, abs=3) and steady.suggested == np.floor(steady.crossing)
    flat = wait_tolerance(per_minute(*visits(lambda w: 4.3 + 0 * w)), "x", peak_target=4.5)
    assert flat.kind == "flat" and flat.suggested is None
    assert flat.crossing_kind == "below_from_start"


def test_a_searched_knee_does_not_bend_straight_lines():
    # The plain F test, run at the best of ~80 knees, would find a bend in some of these.
    lines = [wait_tolerance(per_minute(*visits(lambda w: 4.8 - 0.03 * w, seed=seed)), "x", 4.0) for seed in range(10)]
    assert [r.kind for r in lines] == ["steady"] * 10


def test_too_few_ratings():
    thin = wait_tolerance(per_minute(*visits(knee_curve, n=150)), "x", peak_target=4.2)
    assert (thin.kind, thin.ratings, thin.curve) == ("thin", 150, None)


def test_long_waits_are_counted_but_left_out_of_the_fit():
    wait, score = visits(knee_curve, top=80)
    result = wait_tolerance(per_minute(wait, score), "x", peak_target=4.2)
    assert result.ratings_beyond == int((wait >= tolerance.MAX_WAIT_MIN).sum())
    assert result.ratings == int((wait < tolerance.MAX_WAIT_MIN).sum())


def test_the_per_minute_fit_is_the_visit_level_fit():
    # Least squares on the per-minute sums equals least squares on the visits with each
    # wait at its minute's mean: same coefficients, same standard errors.
    wait, score = visits(knee_curve, n=3000)
    bins = per_minute(wait, score)
    rows = bins[bins["wait_minute"] < tolerance.MAX_WAIT_MIN]
    x, n, ybar = rows["wait_mean_min"].to_numpy(), rows["ratings"].to_numpy(float), rows["score_mean"].to_numpy()
    knot = 8.0
    ours = tolerance._wls(x, n, ybar, float(rows["score_ss"].sum()), knot, int(n.sum()) - 3)
    minute_mean = dict(zip(rows["wait_minute"], x))
    xv = np.array([minute_mean[m] for m in np.floor(wait).astype(int)])
    design = np.column_stack([np.ones_like(xv), np.minimum(xv, knot), np.maximum(xv - knot, 0)])
    reference = sm.OLS(score, design).fit()
    assert ours.beta == pytest.approx(reference.params)
    assert np.sqrt(np.diag(ours.cov)) == pytest.approx(reference.bse)
    assert ours.rss == pytest.approx(reference.ssr)


def test_sentences_name_the_knee_and_the_target():
    result = wait_tolerance(per_minute(*visits(knee_curve), purpose="bill_payment"), "bill_payment", peak_target=4.2)
    set_language("en")
    try:
        [sentence] = text.tolerance_sentences(result, "Bill payment", 4.2, 10.0)
        frame = text.tolerance_frame([result], {"bill_payment": "Bill payment"}, 10.0)
    finally:
        set_language("zh")
    assert sentence.startswith("**Bill payment**: the peak score holds up to about")
    assert f"Suggested wait target: {int(result.suggested)} min (now 10 min)" in sentence
    assert "n = 6,000" in sentence
    assert frame.iloc[0]["reading"] == "Holds, then falls off" and frame.iloc[0]["current"] == "10 min"


def test_a_missed_target_is_never_relaxed_and_no_knee_column_of_dashes():
    """Issue 16: a hall missing its 10 min target was told to move it to 16 min, with "–"
    in the knee column for every purpose. A steady fall that crosses the peak target at
    ~26 min argues for keeping 10 min, not for 26; without any knee the column goes."""
    steady = wait_tolerance(per_minute(*visits(lambda w: 4.8 - 0.03 * w)), "x", peak_target=4.0)
    assert steady.suggested > 10 and tolerance.advice(steady, 10.0) == "keep"
    assert tolerance.advice(steady, 30.0) == "tighten"  # a shorter target is fine to suggest
    set_language("en")
    try:
        sentences = text.tolerance_sentences(steady, "X", 4.0, 10.0)
        frame = text.tolerance_frame([steady], {"x": "X"}, 10.0)
        note = text.no_knee_note([steady])
        bent = wait_tolerance(per_minute(*visits(knee_curve), purpose="x"), "x", peak_target=4.2)
        with_knee = text.tolerance_frame([steady, bent], {"x": "X"}, 10.0)
    finally:
        set_language("zh")
    assert "suggested wait target" not in " ".join(sentences).lower()
    assert "keep the target and meet it first" in sentences[-1]
    assert frame.iloc[0]["suggested"] == "keep 10 min"
    assert "knee" not in frame.columns and note.startswith("No purpose's curve holds")
    assert "knee" in with_knee.columns and with_knee.iloc[1]["knee"] != "–"
    assert text.no_knee_note([steady, bent]) is None
