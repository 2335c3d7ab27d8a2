"""One definition per metric (peakend/core/metrics.py): the SQL of every grain and the pandas
oracle both come from it, agree on the hand-checked fixture under every service-level
definition, and a call's route and SQL can be asked for."""

import shutil

import duckdb
import pandas as pd

from bench.compare import same_answer
from peakend.core import metric_frame
from peakend.core.filters import VisitFilter
from peakend.core.metrics import METRICS, PARTS, SHOWN_ON, shown_on
from peakend.core.scope import EVERYTHING, Scope
from peakend.warehouse import metric_sql, rollup_check, rollup_tables
from peakend.warehouse.db import Database
from peakend.warehouse.named_queries import compile_query, filters_in_use
from peakend.warehouse.schema import SERVICE_LEVEL_RULES

GROUPINGS = [(None, None), ("hall", None), ("region", "day"), ("purpose", "peak_moment"), ("hour", None)]


def _fixture_visits(db: Database) -> pd.DataFrame:
    """queries/_filtered_visits.sql's rows for everything, as pandas reads them."""
    cur = db.cursor()
    try:
        return cur.execute(compile_query("_filtered_visits"), {k: None for k in _filter_params()}
                           | {"scope_halls": None}).df()
    finally:
        cur.close()


def _filter_params():
    return VisitFilter().as_params()


def _dimension(visits: pd.DataFrame, dim):
    if dim is None:
        return pd.Series(None, index=visits.index, dtype=object)
    from bench.pandas_way import _dimension as dimension

    return dimension(visits.assign(weekday=visits["weekday"], arrival_hour=visits["arrival_hour"]), dim)


def test_pandas_oracle_equals_the_sql_under_every_service_level_rule(fixture_db, subtests):
    from peakend.warehouse.store import set_service_level_rule

    for rule in SERVICE_LEVEL_RULES:
        with fixture_db.transaction() as cur:
            set_service_level_rule(cur, rule, 30)
        visits = _fixture_visits(fixture_db)
        for g1, g2 in GROUPINGS:
            with subtests.test(rule=rule, groups=(g1, g2)):
                sql = fixture_db.query("metrics_by_group", VisitFilter(halls=("H1", "H2", "H3")),
                                       group_1=g1, group_2=g2)
                oracle = metric_frame.metrics_over(visits, _dimension(visits, g1), _dimension(visits, g2))
                ok, why = same_answer(sql, oracle)
                assert ok, why


def test_every_grain_answers_the_same_columns_and_numbers(fixture_db, subtests):
    raw = fixture_db.query("metrics_by_group", VisitFilter(staff=None), group_1="day", group_2=None)
    assert list(raw.columns) == ["group_1", "group_2", *METRICS, *metric_sql.count_columns()]
    for grain in metric_sql.GRAINS.values():
        with subtests.test(grain=grain.query):
            # a twin named straight: no routing, its own SQL
            twin = fixture_db.query(grain.query, None, group_1="day", group_2=None)
            ok, why = same_answer(raw, twin)
            assert ok, why


def test_the_sql_carries_only_the_filters_in_use():
    period = VisitFilter(date_from=pd.Timestamp("2026-03-01").date(), date_to=pd.Timestamp("2026-03-08").date())
    everything = compile_query("metrics_by_group")
    only_period = compile_query("metrics_by_group", filters_in_use(period), ("hall", None))
    assert "$regions" in everything and "$comment_contains" in everything
    assert "$date_from" in only_period and "$date_to" in only_period
    for unused in ("$regions", "$staff", "$comment_contains", "$peak_min", "$hour_from"):
        assert unused not in only_period
    assert only_period.count(" is null or ") < everything.count(" is null or ") - 15


def test_explain_says_which_query_answers_and_why(fixture_db):
    network = fixture_db.explain("metrics_by_group", None, EVERYTHING, group_1=None, group_2=None)
    assert network.query == "metrics_by_group_network" and network.grain == "network_days"
    assert "network" in network.why and network.filters == ()
    staff = fixture_db.explain("metrics_by_group", VisitFilter(staff=("S1",)), EVERYTHING,
                               group_1="hall", group_2=None)
    assert staff.query == "metrics_by_group" and "staff" in staff.why and staff.filters == ("staff",)
    assert "$staff" in staff.sql and "$regions" not in staff.sql
    one_hall = fixture_db.explain("metrics_by_group", None, Scope.halls(["H1"]), group_1=None, group_2=None)
    assert one_hall.query == "metrics_by_group_rollup"  # each fixture hall is a city of its own
    other = fixture_db.explain("hall_wait_heatmap", None, EVERYTHING)
    assert other.query == "hall_wait_heatmap" and "no rollup" in other.why
    assert "metrics_by_group_network" in str(network)


def test_a_part_added_since_the_file_was_written_rebuilds_the_rollups(fixture_db_file, tmp_path):
    path = tmp_path / "older.duckdb"
    shutil.copyfile(fixture_db_file, path)
    con = duckdb.connect(str(path))
    # the file as an older PeakEnd left it: one part fewer in visit_rollup and city_rollup
    for table in ("visit_rollup", "city_rollup"):
        con.execute(f"alter table {table} drop column detractors")
    con.close()
    read_only = Database(path, read_only=True)
    try:
        assert read_only.rollups_behind(), "a read-only file with old rollups must read the visits"
        cur = read_only.cursor()
        report = rollup_check.audit(cur)  # python -m peakend check says why, and what to do
        cur.close()
        assert not report.ok and "missing detractors" in report.lines()[0]
        assert read_only.answering_query("metrics_by_group", None, EVERYTHING,
                                         {"group_1": None, "group_2": None}) == "metrics_by_group"
        raw = read_only.query("metrics_by_group", group_1="hall", group_2=None)
    finally:
        read_only.close()
    db = Database(path)  # opened for writing: rebuilt once
    try:
        cur = db.cursor()
        assert rollup_tables.columns_current(cur)
        cur.close()
        assert db.rollups_behind() == []
        rolled = db.query("metrics_by_group", group_1="hall", group_2=None)
        assert db.answering_query("metrics_by_group", None, EVERYTHING, {"group_1": "hall", "group_2": None}) \
            == "metrics_by_group_sums"
        ok, why = same_answer(raw, rolled)
        assert ok, why
    finally:
        db.close()


def test_every_metric_has_a_label_and_every_place_shows_known_metrics(subtests):
    from peakend.core.i18n import t

    for key in METRICS:
        with subtests.test(metric=key):
            assert t(f"metric.{key}") != f"metric.{key}"
            assert t(f"metric_help.{key}") != f"metric_help.{key}"
    for place in SHOWN_ON:
        with subtests.test(place=place):
            assert shown_on(place), f"{place} shows no metric"
    assert set(PARTS) == set(rollup_tables.VISIT_ROLLUP_COLUMNS) - set(rollup_tables.VISIT_KEY)
