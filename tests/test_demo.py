"""The demo network generator: deterministic, complete, and shaped like a real network.

The statistical claims run on one month of 30,000 visits: enough traffic for the queues to
form, small enough to stay fast.
"""

from __future__ import annotations

import argparse
from datetime import date

import numpy as np
import pandas as pd
import pytest

from peakend.warehouse.db import Database
from peakend.demo import cli, generate_demo, simulate_demo
from peakend.demo.comments import THEMES, phrase_pool
from peakend.demo.network import PURPOSES
from peakend.demo.ratings import OVERALL_SCORE_WEIGHTS
from peakend.core.metrics import METRICS, target_status
from peakend.core.moments import ALL_PEAK_MOMENTS

END = date(2026, 3, 31)


PROGRESS: list[tuple[float, str]] = []


@pytest.fixture(scope="module")
def demo_db():
    db = Database(":memory:")
    generate_demo(db, visits=30_000, seed=11, end_date=END, months=1,
                  progress=lambda f, m: PROGRESS.append((f, m)))
    yield db
    db.close()


def frame(db: Database, sql: str) -> pd.DataFrame:
    cur = db.cursor()
    try:
        return cur.execute(sql).df()
    finally:
        cur.close()


@pytest.fixture(scope="module")
def visits(demo_db) -> pd.DataFrame:
    return frame(demo_db, """
        select v.*, h.opens_at, h.closes_at, h.counters,
               epoch(v.left_at - v.arrived_at) / 60 as visit_min,
               hour(v.arrived_at) as hour, isodow(v.arrived_at) as weekday
        from visits as v join halls as h using (hall_id)""")


def _frames(data) -> dict[str, pd.DataFrame]:
    return {
        "visits": data.visits.to_pandas(),
        "halls": data.halls.to_pandas(),
        "purposes": data.purposes,
        "staff": data.staff.to_pandas(),
        "targets": pd.DataFrame([data.network_targets, *data.hall_targets.values()],
                                index=["*", *data.hall_targets]),
    }


def test_same_seed_same_data_other_seed_other_data():
    first, again, other = (
        _frames(simulate_demo(visits=4_000, seed=seed, end_date=END, months=2))
        for seed in (5, 5, 6))
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["visits"].equals(other["visits"])
    assert not first["staff"]["staff_name"].equals(other["staff"]["staff_name"])
    # the end date is part of the recipe too
    other_end = simulate_demo(visits=4_000, seed=5, end_date=date(2026, 4, 30), months=2)
    assert other_end.first_day == date(2026, 3, 1)
    assert not other_end.visits.equals(simulate_demo(4_000, 5, END, 2).visits)


def test_every_staff_id_has_a_chinese_name_in_its_hall(demo_db, visits):
    from peakend.demo.names import GIVEN_CHARACTERS, SURNAMES

    staff = frame(demo_db, "select * from staff")
    assert set(visits.staff_id.dropna()) <= set(staff.staff_id)  # every id a visit names
    assert staff.staff_id.is_unique
    assert (staff.staff_id.str.split("-S").str[0] == staff.hall_id).all()
    for name in staff.staff_name:
        assert name[0] in SURNAMES and 2 <= len(name) <= 3 and set(name[1:]) <= set(GIVEN_CHARACTERS), name
    assert not staff.duplicated(["hall_id", "staff_name"]).any()  # no two alike in one hall
    labels = frame(demo_db, "select staff_label(staff_id, staff_name) as label, staff_name, staff_id from staff")
    assert (labels.label == labels.staff_name + " · " + labels.staff_id).all()


def test_network_shape(demo_db):
    halls = frame(demo_db, "select * from halls")
    assert halls.region.nunique() >= 5
    assert len(halls) >= 40
    assert halls.hall_id.is_unique and halls.hall_name.is_unique
    assert set(halls.hall_type) == {"flagship", "standard", "community"}
    assert halls.counters.between(2, 12).all()
    assert halls.counters.nunique() >= 6  # halls of really different sizes
    assert halls.latitude.between(18, 54).all() and halls.longitude.between(73, 135).all()
    assert (halls.opens_at < halls.closes_at).all()
    # bilingual names: Chinese first, then Latin script
    assert halls.hall_name.str.match(r"^[\u4e00-\u9fff]+厅 [A-Za-z]").all()


def test_purposes_complete_and_every_visit_mapped(demo_db, visits):
    purposes = frame(demo_db, "select * from purposes")
    assert set(purposes.purpose) == set(PURPOSES)
    assert set(purposes.peak_moment) == set(ALL_PEAK_MOMENTS)
    assert (purposes.label_en.str.len() > 0).all() and (purposes.label_zh.str.len() > 0).all()
    assert set(visits.purpose) == set(purposes.purpose)
    shares = visits.purpose.value_counts(normalize=True)
    assert shares.idxmax() == "bill_payment"
    assert shares.min() > 0.01
    assert set(visits.segment) == {"consumer", "senior", "student", "business"}


def test_load_record_and_targets(demo_db):
    loads = frame(demo_db, "select * from loads")
    assert len(loads) == 1
    assert loads.kind[0] == "demo" and loads.rows_accepted[0] == 30_000
    assert loads.rows_rejected[0] == 0
    assert frame(demo_db, "select count(distinct visit_id) as n from visits").n[0] == 30_000
    targets = frame(demo_db, "select * from targets")
    network = targets[targets.hall_id == "*"].iloc[0]
    assert 3.5 <= network.peak_target <= 4.8 and 3.5 <= network.exit_target <= 4.8
    assert 2 <= (targets.hall_id != "*").sum() <= 8  # a few halls with their own
    # the targets are set so that some halls meet them and some do not
    peak = frame(demo_db, "select hall_id, avg(peak_score) as peak from visits group by 1")
    below = (peak.peak < network.peak_target).mean()
    assert 0.1 < below < 0.7


def test_timeline_is_consistent(visits):
    served = visits[~visits.abandoned]
    assert (served.called_at > served.arrived_at).all()  # never called the instant they arrive
    assert (served.service_started_at > served.called_at).all()
    assert (served.service_ended_at > served.service_started_at).all()
    assert (served.left_at >= served.service_ended_at).all()
    assert served.staff_id.notna().all() and served.counter_id.notna().all()
    # staff and counters belong to the hall; counter numbers fit the hall
    assert (served.staff_id.str.split("-S").str[0] == served.hall_id).all()
    number = served.counter_id.str.split("-C").str[1].astype(int)
    assert (served.counter_id.str.split("-C").str[0] == served.hall_id).all()
    assert (number <= served.counters).all()
    # tickets are taken while the hall is open
    t = visits.arrived_at.dt
    arrived = pd.to_timedelta(t.hour * 3600 + t.minute * 60 + t.second, unit="s")
    opens = pd.to_timedelta(visits.opens_at.astype(str))
    closes = pd.to_timedelta(visits.closes_at.astype(str))
    assert ((arrived >= opens) & (arrived < closes)).all()


def test_abandonment_only_when_not_called(visits):
    gave_up = visits[visits.abandoned]
    assert 0.01 < len(gave_up) / len(visits) < 0.25
    assert gave_up.called_at.isna().all() and gave_up.service_started_at.isna().all()
    assert gave_up.service_ended_at.isna().all()
    assert gave_up.staff_id.isna().all() and gave_up.counter_id.isna().all()
    assert gave_up.peak_score.isna().all() and gave_up.overall_score.isna().all()
    assert (gave_up.left_at > gave_up.arrived_at).all()
    assert visits[~visits.abandoned].called_at.notna().all()
    # people give up after a wait at least as long as those called at the same hour wait
    assert gave_up.queue_s.median() > visits[~visits.abandoned].wait_s.median()


def test_queue_is_first_in_first_out(visits):
    served = visits[~visits.abandoned].sort_values(["hall_id", "arrived_at", "visit_id"])
    calls = served.groupby([served.hall_id, served.arrived_at.dt.date]).called_at
    assert calls.apply(lambda c: c.is_monotonic_increasing).all()


def test_hour_and_weekday_patterns(visits):
    weekday = visits[visits.weekday <= 5]
    per_hour = weekday.groupby("hour").size()
    assert per_hour[12] > 1.2 * per_hour[15]  # lunch peak
    assert per_hour[18] > 1.1 * per_hour[15]  # after-work peak
    per_day = visits.groupby(visits.arrived_at.dt.date).size()
    dow = pd.Series(pd.to_datetime(per_day.index).day_of_week, index=per_day.index)
    assert per_day[dow >= 5].mean() > 1.15 * per_day[dow < 5].mean()  # busier weekends
    # the lunch crowd meets the lunch breaks: waits are longer then
    wait = visits.groupby("hour").wait_s.mean()
    assert wait[12] > wait[10] and wait[12] > wait[16]


def test_peak_falls_as_the_wait_grows(visits):
    rated = visits[visits.peak_score.notna()]
    wait_min = rated.wait_s / 60
    short = rated.peak_score[wait_min < 2].mean()
    middle = rated.peak_score[(wait_min >= 10) & (wait_min < 20)].mean()
    long = rated.peak_score[wait_min >= 20].mean()
    assert short > middle + 0.2 > long + 0.2
    assert np.corrcoef(rated.peak_score, rated.wait_s)[0, 1] < -0.15


def test_overall_follows_peak_and_end_not_length(visits):
    rows = visits.dropna(subset=["overall_score", "peak_score", "exit_score"])
    corr = rows[["overall_score", "peak_score", "exit_score", "visit_min"]].astype(float).corr()
    r = corr.overall_score
    assert r.peak_score > 0.6 and r.exit_score > 0.6
    assert r.peak_score > abs(r.visit_min) + 0.3
    assert r.exit_score > abs(r.visit_min) + 0.3
    # the published weights are what a regression recovers
    x = np.column_stack([np.ones(len(rows)), rows.peak_score, rows.exit_score,
                         rows.wait_s / 60, rows.visit_min]).astype(float)
    b = np.linalg.lstsq(x, rows.overall_score.astype(float), rcond=None)[0]
    w = OVERALL_SCORE_WEIGHTS
    assert b[1] == pytest.approx(w["peak"], abs=0.12)
    assert b[2] == pytest.approx(w["exit"], abs=0.12)
    assert b[3] == pytest.approx(w["wait_min"], abs=0.015)
    assert b[4] == pytest.approx(w["visit_len_min"], abs=0.01)
    assert rows.overall_score.between(0, 10).all()
    assert (rows.overall_score == 10).mean() < 0.2 and (rows.overall_score == 0).mean() < 0.02


def test_ratings_partly_present_and_comments_varied(visits):
    n = len(visits)
    assert 0.6 < visits.peak_score.notna().sum() / n < 0.8
    assert 0.45 < visits.exit_score.notna().sum() / n < 0.65
    assert 0.18 < visits.overall_score.notna().sum() / n < 0.32
    commented = visits.exit_comment.notna()
    assert 0.12 < commented.sum() / visits.exit_score.notna().sum() < 0.3
    assert not (commented & visits.exit_score.isna()).any()
    assert visits.peak_score.dropna().between(1, 5).all()
    assert visits.exit_score.dropna().between(1, 5).all()
    pool = phrase_pool()
    assert len(set(pool)) >= 60
    comments = visits.exit_comment.dropna()
    assert comments.nunique() >= 60
    assert comments.str.contains(r"[\u4e00-\u9fff]").any()
    assert comments.str.match(r"^[A-Za-z]").any()
    # praise comes with good scores, complaints with bad ones
    praise = set(THEMES["farewell"].zh + THEMES["kind"].zh + THEMES["generic_positive"].zh)
    complaints = set(THEMES["rude"].zh + THEMES["long_wait"].zh)
    assert (visits.exit_score[visits.exit_comment.isin(praise)] >= 4).all()
    assert (visits.exit_score[visits.exit_comment.isin(complaints)] <= 2).all()
    gave_up = visits.exit_comment.isin(THEMES["gave_up"].zh + THEMES["gave_up"].en)
    assert gave_up.any() and visits.abandoned[gave_up].all()
    assert (visits.exit_score[gave_up] <= 3).all()


def test_halls_differ(visits):
    by_hall = visits.groupby("hall_id").agg(abandoned=("abandoned", "mean"),
                                            wait=("wait_s", "median"))
    # chronically understaffed halls next to well-run ones
    assert by_hall.abandoned.max() > 3 * max(by_hall.abandoned.median(), 0.01)
    staff = visits.dropna(subset=["staff_id"]).groupby("staff_id").service_s.median()
    assert staff.quantile(0.9) > 1.2 * staff.quantile(0.1)  # fast and slow staff


@pytest.fixture(scope="module")
def busy_month():
    """A month at the traffic density of the default demo (about 5,500 visits a day)."""
    data = simulate_demo(visits=170_000, seed=11, end_date=END, months=1)
    visits = data.visits.select(["hall_id", "arrived_at", "called_at", "abandoned"]).to_pandas()
    visits["hall_id"] = visits.hall_id.astype(str)
    visits["wait_min"] = (visits.called_at - visits.arrived_at).dt.total_seconds() / 60
    region = dict(zip(data.halls["hall_id"].to_pylist(), data.halls["region"].to_pylist()))
    visits["region"] = visits.hall_id.map(region)
    return data, visits


def test_regions_tell_a_story(busy_month):
    _, visits = busy_month
    by_region = visits.groupby("region").agg(abandoned=("abandoned", "mean"),
                                             wait=("wait_min", "median"))
    assert by_region.abandoned["华南 South"] > 1.5 * by_region.abandoned["华东 East"]
    # the understaffed South gives up most and waits longest
    assert "华南 South" in by_region.abandoned.nlargest(2).index
    assert by_region.wait["华南 South"] > 1.3 * by_region.wait["华东 East"]
    assert by_region.wait.idxmax() == "华南 South"


def test_waits_look_like_a_real_network(busy_month):
    data, visits = busy_month
    wait = visits.wait_min.dropna()
    # nobody is called the moment they take a ticket; most wait a few minutes
    assert wait.min() >= 10 / 60
    assert (wait < 0.5).mean() < 0.1
    assert 4 <= wait.median() <= 9
    assert 12 <= wait.quantile(0.9) <= 30
    assert 0.05 <= visits.abandoned.mean() <= 0.12
    # halls differ: a few minutes in most, far longer in the understaffed ones
    per_hall = visits.groupby("hall_id").wait_min.median()
    assert per_hall.quantile(0.1) >= 1.5 and 3 <= per_hall.median() <= 9
    assert per_hall.quantile(0.9) >= 8 and per_hall.max() >= 12
    # longest at lunch, after work and at weekends; no hour without a wait
    by_hour = visits.groupby(visits.arrived_at.dt.hour).wait_min.median()
    assert by_hour[12] > 1.3 * by_hour[10] and by_hour[18] > 1.3 * by_hour[16]
    assert (by_hour > 0.5).all()
    weekend = visits.arrived_at.dt.day_of_week >= 5
    assert visits.wait_min[weekend].median() > 1.3 * visits.wait_min[~weekend].median()
    # against the targets, the median-wait cards are mostly green, but not all
    network = data.network_targets["wait_target_min"]
    status = pd.Series({
        hall: target_status(METRICS["wait_median_min"], minutes,
                            data.hall_targets.get(hall, {}).get("wait_target_min") or network)
        for hall, minutes in per_hall.items()})
    counts = status.value_counts()
    assert counts.get("green", 0) >= 0.6 * len(status)
    assert counts.get("amber", 0) >= 1 and counts.get("red", 0) >= 1


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "demo.duckdb"
    args = ("--visits", "1500", "--seed", "3", "--months", "1", "--end-date", "2026-02-28",
            "--out", str(out))
    assert cli.run(_parse(*args)) == 0
    assert "[100%]" in capsys.readouterr().out
    first = out.read_bytes()
    assert cli.run(_parse(*args)) == 1
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == first
    assert cli.run(_parse(*args, "--force")) == 0
    db = Database(out, read_only=True)
    try:
        assert db.scalar("select count(*) from visits") == 1500
        assert db.scalar("select count(*) from loads") == 1  # replaced, not added to
    finally:
        db.close()
    assert not (tmp_path / "demo.duckdb.partial").exists()


def test_progress_reports_advance_to_done(demo_db):
    fractions = [f for f, _ in PROGRESS]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in PROGRESS)
