"""The hall page's logic (peakend/hall/logic.py), comment themes (peakend/hall/themes.py) and chart
builders (peakend/hall/charts.py), without Streamlit."""

from datetime import date

import pandas as pd
import pytest

from fixture_db import build_fixture_db
from peakend.hall import logic as hall
from peakend.hall import themes as hall_themes
from peakend.hall import charts
from peakend.core.i18n import set_language
from peakend.core.metrics import MIN_RATINGS_DEFAULT
from peakend.core.moments import ALL_PEAK_MOMENTS
from peakend.core.halls import first_row


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("zh")


@pytest.fixture(scope="module")
def db():
    database = build_fixture_db()
    yield database
    database.close()


H1 = hall.hall_filter("H1", date(2026, 3, 2), date(2026, 3, 8))


# --- bands, grain, filter ---------------------------------------------------------------------
def test_wait_band_labels_match_the_edges():
    assert hall.wait_band_labels() == ["0–5", "5–10", "10–15", "15–20", "20–30", "30+"]


def test_trend_grain_days_then_weeks():
    assert hall.trend_grain(date(2026, 3, 1), date(2026, 3, 31)) == "day"
    assert hall.trend_grain(date(2026, 1, 1), date(2026, 3, 3)) == "day"  # 62 days
    assert hall.trend_grain(date(2026, 1, 1), date(2026, 3, 4)) == "week"  # 63 days


def test_hall_filter_treats_empty_choices_as_all():
    f = hall.hall_filter("H1", date(2026, 3, 2), date(2026, 3, 8), [], [])
    assert (f.halls, f.purposes, f.peak_moments) == (("H1",), None, None)
    f = hall.hall_filter("H1", date(2026, 3, 2), date(2026, 3, 8), ["bill_payment"], ["counter_result"])
    assert (f.purposes, f.peak_moments) == (("bill_payment",), ("counter_result",))


# --- wait tolerance ---------------------------------------------------------------------------
def _curve(moment, means, n=40):
    return pd.DataFrame(
        {"peak_moment": moment, "wait_band": range(1, len(means) + 1), "ratings": n, "peak_mean": means}
    )


def test_tolerance_falloff_finds_the_first_band_below_target():
    curve = pd.concat([
        _curve("counter_result", [4.6, 4.3, 3.8, 3.1]),  # falls in band 3 (10-15 min)
        _curve("data_experience", [4.5, 4.4, 4.2]),  # never below 4.0
        _curve("phone_purchase", [3.5, 3.9]),  # below from the start
    ])
    got = hall.tolerance_falloff(curve, 4.0, 30)
    assert got == {"counter_result": ("falls", 3), "data_experience": ("holds", None), "phone_purchase": ("below", 1)}
    sentences = hall.tolerance_sentences(got, 4.0, 30)
    assert sentences[0] == "Counter result: the score falls below the target of 4.00 after waits of 10–15 min."


def test_tolerance_falloff_ignores_thin_bands():
    # band 2 is below target but has 5 ratings only; band 3 (trusted) is the first below
    curve = pd.concat([
        pd.DataFrame({"peak_moment": "counter_result", "wait_band": [1, 2, 3], "ratings": [50, 5, 40],
                      "peak_mean": [4.5, 2.0, 3.5]}),
        _curve("data_experience", [3.0], n=3),
    ])
    got = hall.tolerance_falloff(curve, 4.0, 30)
    assert got["counter_result"] == ("falls", 3)
    assert got["data_experience"] == ("thin", None)
    assert got["phone_purchase"] == ("thin", None)


# --- unhappy exits ----------------------------------------------------------------------------
def test_unhappy_exit_statement_on_the_fixture(db):
    row = first_row(db.query("hall_unhappy_exits", H1))
    text = hall.unhappy_exit_statement(row, 10.0)
    # 2 of 5 unhappy: V02 after a long wait only, V06 after both
    assert text.startswith("Of the 5 exit ratings this period, 2 were unhappy (1-2, 40%).")
    assert "1 of them (50%) came after a wait over 10 min alone" in text
    assert "0 (0%) after a low peak score (1-2) alone, 1 (50%) after both, and 0 (0%) after neither" in text
    assert text.endswith("Long waits drove most unhappy exits.**")
    set_language("zh")
    zh = hall.unhappy_exit_statement(row, 10.0)
    assert "有 2 条不满" in zh and "不满主要来自排队过长" in zh


def test_unhappy_exit_statement_names_the_driver():
    def row(long_wait, low_peak, both, neither):
        unhappy = long_wait + low_peak + both + neither
        return pd.Series({"exit_ratings": 100, "unhappy_exits": unhappy, "after_long_wait": long_wait,
                          "after_low_peak": low_peak, "after_both": both, "after_neither": neither})

    assert hall.unhappy_exit_statement(row(1, 6, 1, 2), 10).endswith("Poor peak moments drove most unhappy exits.**")
    assert "followed neither" in hall.unhappy_exit_statement(row(1, 1, 0, 5), 10)
    assert "weigh equally" in hall.unhappy_exit_statement(row(2, 2, 1, 0), 10)
    none = pd.Series({"exit_ratings": 3, "unhappy_exits": 0, "after_long_wait": 0, "after_low_peak": 0,
                      "after_both": 0, "after_neither": 0})
    assert hall.unhappy_exit_statement(none, 10) == "None of the 3 exit ratings in this period is unhappy (1-2)."
    assert "No exit ratings" in hall.unhappy_exit_statement(None, 10)


# --- comment themes ---------------------------------------------------------------------------
# (the tagger itself: tests/test_comment_tagger.py)
def test_every_theme_has_cues_in_both_languages_and_a_label():
    from peakend.core.i18n import catalog

    for theme in hall_themes.THEMES:
        patterns = [cue.pattern for cue in theme.cues]
        assert any(p.isascii() for p in patterns) and any(not p.isascii() for p in patterns), theme.key
    for key in hall_themes.THEME_KEYS:
        assert set(catalog()[f"hall.theme.{key}"]) == {"zh", "en"}
    for polarity in hall_themes.POLARITIES:
        assert set(catalog()[f"hall.polarity.{polarity}"]) == {"zh", "en"}


def test_theme_counts_and_examples_on_the_fixture(db):
    comments = db.query("hall_exit_comments", H1, limit=None)
    counts = hall_themes.theme_counts(comments)
    by_bar = {(r.theme, r.polarity): r.comments for r in counts.itertuples() if r.comments}
    # V06 "Waited forever, rude staff" (score 1); V05 "Good deal on the phone" (4);
    # V02 "排队太久了" (2); V01 "Fast and polite" (5): read from the words, not the scores
    assert by_bar == {
        ("waiting", "negative"): 2, ("waiting", "positive"): 1, ("staff_attitude", "negative"): 1,
        ("staff_attitude", "positive"): 1, ("price_deal", "positive"): 1, ("device_stock", "neutral"): 1,
    }
    assert list(dict.fromkeys(counts["theme"])) == ["waiting", "staff_attitude", "price_deal", "device_stock"]
    examples = hall_themes.bar_examples(comments, "waiting:negative")
    assert list(examples["visit_id"]) == ["V06", "V02"]
    assert list(examples["evidence"]) == ["Waited forever", "排队太久了"]
    assert hall_themes.bar_keys(counts)[0] == "waiting:negative"
    assert hall_themes.theme_counts(comments.iloc[0:0]).empty


def test_unhappy_exits_say_what_their_comments_complain_about(db):
    set_language("en")
    comments = db.query("hall_exit_comments", H1, limit=None)
    # the unhappy exits with a comment: V06 (waiting and staff) and V02 (waiting)
    assert hall_themes.unhappy_complaints_statement(comments) == (
        "Read from their words, of the 2 unhappy exits (1-2) with a comment this period: "
        "100% (2) complain about Waiting / speed; 50% (1) complain about Staff attitude."
    )
    assert "No unhappy exit" in hall_themes.unhappy_complaints_statement(comments[comments["exit_score"] >= 4])


# --- charts -----------------------------------------------------------------------------------
def _labels(fig):
    layout = fig.layout
    texts = [layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text]
    return [x for x in texts if x]


def _all_figures(db):
    hours = db.query("hall_arrivals_by_hour", H1)
    trend = db.query("metrics_by_group", H1, group_1="day", group_2=None)
    current = db.query("metrics_by_group", H1, group_1=None, group_2=None).iloc[0]
    comments = db.query("hall_exit_comments", H1, limit=None)
    edges = list(hall.WAIT_BAND_EDGES)
    return {
        "heatmap_wait": charts.wait_heatmap(db.query("hall_wait_heatmap", H1), "wait"),
        "heatmap_arrivals": charts.wait_heatmap(db.query("hall_wait_heatmap", H1), "arrivals"),
        "distribution": charts.wait_distribution(
            db.query("hall_wait_distribution", H1, band_min=2, cap_min=60), 10.0, 2, 60),
        "wait_trend": charts.wait_trend(trend, 10.0, "day"),
        "staffing": charts.arrivals_vs_counters(hours, 3, 0.8),
        "peak_distribution": charts.peak_distribution(db.query("hall_peak_distribution", H1), current),
        "peak_trend": charts.peak_trend(trend, 4.0, "day"),
        "staff": charts.staff_scores(
            hall.staff_peak_scores(db.query("metrics_by_group", H1, group_1="staff", group_2="peak_moment")), 2),
        "tolerance": charts.wait_tolerance(db.query("hall_peak_by_wait_band", H1, wait_band_edges=edges), 4.0, 30),
        "exit_distribution": charts.exit_distribution(db.query("hall_exit_distribution", H1)),
        "exit_trend": charts.exit_trend(trend, 4.0, "day"),
        "themes": charts.theme_counts(hall_themes.theme_counts(comments)),
        "journey": charts.journey_grid(db.query("hall_journey", H1, wait_band_edges=edges), MIN_RATINGS_DEFAULT),
    }


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_chart_has_a_title_and_axis_titles_in_the_language(db, language):
    set_language(language)
    for name, fig in _all_figures(db).items():
        labels = _labels(fig)
        assert fig.layout.title.text, name
        assert len(labels) >= 2, (name, labels)  # a title and at least one axis title
        for text in labels:
            assert not text.startswith("hall."), (name, text)  # a missing catalog entry
        if language == "zh":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in fig.layout.title.text), name


def test_staffing_chart_marks_the_hours_off_target_red(db):
    fig = charts.arrivals_vs_counters(db.query("hall_arrivals_by_hour", H1), 3, 0.8)
    bars = {tr.name: list(tr.x) for tr in fig.data if tr.type == "bar"}
    # service level by hour of arrival: 9h 0.5, 10h 0.5, 11h 0 (under 0.75: red), 17h 1 (on
    # target); 18h has service but no arrival, so no bar
    assert bars == {"Service level on target": ["17:00"], "Service level off target": ["09:00", "10:00", "11:00"]}
    counters = next(tr for tr in fig.data if tr.name == "Counters in use (mean)")
    assert list(counters.y) == pytest.approx([2 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3])
    installed = next(tr for tr in fig.data if tr.name == "Counters installed")
    assert set(installed.y) == {3}


def test_staff_chart_greys_cells_under_the_minimum(db):
    scores = hall.staff_peak_scores(db.query("metrics_by_group", H1, group_1="staff", group_2="peak_moment"))
    fig = charts.staff_scores(scores, 2)
    coloured, greyed = fig.data
    # S1 counter result has 2 ratings (kept); every other cell has 1 (greyed)
    assert coloured.z[0][0] == 3.5 and coloured.z[0][1] is None
    assert greyed.z[0][0] is None and greyed.z[0][1] == 1 and greyed.z[1][2] == 1
    # each layer labels its own cells only
    assert "n = 2" in coloured.text[0][0] and greyed.text[0][0] == ""
    assert coloured.text[0][1] == "" and "n = 1" in greyed.text[0][1]


def test_comments_no_theme_caught_come_last_however_many():
    comments = pd.DataFrame({
        "exit_comment": ["很满意！", "Very satisfied.", "一般吧。", "排队太久了"],
        "exit_score": [5, 5, 3, None],
    })
    counts = hall_themes.theme_counts(comments)
    assert list(dict.fromkeys(counts["theme"])) == ["waiting", "other"]
    other = counts[counts["theme"] == "other"].set_index("polarity")["comments"].to_dict()
    assert other == {"negative": 0, "positive": 0, "neutral": 3}
    waiting = counts[counts["theme"] == "waiting"].set_index("polarity")["comments"].to_dict()
    assert waiting["negative"] == 1  # a comment without a score still counts


def test_every_key_the_hall_page_builds_at_run_time_exists():
    from peakend.core.i18n import catalog

    keys = (
        [f"hall.moment.{m}" for m in ALL_PEAK_MOMENTS]
        + [f"hall.weekday.{d}" for d in range(1, 8)]
        + [f"hall.peak_band.{b}" for b in hall.PEAK_BANDS]
        + [f"hall.polarity.{p}" for p in hall_themes.POLARITIES]
        + [f"hall.tolerance.{v}" for v in ("falls", "holds", "below", "thin")]
        + [f"hall.drivers.lead.{v}" for v in ("wait", "peak", "neither", "tie")]
        + [f"hall.queue.hour_status.{s}" for s in ("green", "amber", "red", "none")]
        + [f"hall.queue.measure.{m}" for m in ("wait", "arrivals")]
        + [f"hall.axis.{g}" for g in ("day", "week")]
        + ["nav.hall"]
    )
    assert [k for k in keys if k not in catalog()] == []
