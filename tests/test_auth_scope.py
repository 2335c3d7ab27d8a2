"""Scope is enforced in the query layer, for every named query and export.

The test for each query: run it for a user whose scope is some halls, on the full fixture;
then run it for head office on a copy of the fixture from which every other hall (its
visits, hall row and targets) has been deleted. The two answers must be identical: then
nothing the scoped user got depends on the other halls in any way, not a row, not a
count, not an average. And, directly: no hall id or hall name outside the scope appears
in the answer. Every query is also asked with filters and parameters that name the
other halls (the URL / edited-widget attack): that must not widen anything either.

A new query with a parameter this file doesn't know fails here with a message saying
where to add a sample value, so no query escapes the check.
"""

from __future__ import annotations

import itertools
import re
import shutil
from datetime import date, datetime

import pandas as pd
import pytest

from peakend.core.filters import VisitFilter
from peakend.core.scope import EVERYTHING, Scope
from peakend.warehouse import metric_sql
from peakend.warehouse.db import PEER_QUERIES, Database
from peakend.warehouse.named_queries import compile_query, named_queries, query_parameters

HALL_NAMES = {"H1": "Alpha Hall", "H2": "Beta Hall", "H3": "Gamma Hall"}  # tests/fixture/halls.csv

# The fixture users' scopes (tests/fixture/users.csv), plus nobody signed in.
SCOPES = {
    "h1 (hall manager)": {"H1"},
    "h2h3 (hall manager of two)": {"H2", "H3"},
    "north (regional manager)": {"H1", "H2"},
    "signed out": set(),
}

# Filters a page could be tricked into sending (a link, an edited widget value, a saved
# view): naming every hall and region must still return only the scope.
FILTERS = {
    "no filter": VisitFilter(),
    "every hall named": VisitFilter(
        halls=("H1", "H2", "H3"), regions=("North", "South"), cities=("Guangzhou", "Harbin", "Shenyang")
    ),
}

# Sample values for the parameters named queries take besides the filter and the scope.
# The first value of each is the default; each further value is tried on its own, and
# each combination in COMBINATIONS together. Values naming H3 or V12 (a visit of H3)
# try to reach another hall's data.
PARAM_SAMPLES: dict[str, list] = {
    "group_1": ["hall", "region", None],
    "group_2": [None, "day"],
    "band_min": [5],
    "cap_min": [30],
    "limit": [None, 3],
    "offset": [0],
    "wait_band_edges": [[0, 5, 10, 20]],
    "drill_by_1": [None],
    "drill_value_1": [None],
    "drill_by_2": [None],
    "drill_value_2": [None],
    "visit_id": ["V01", "V12"],  # V01 is a visit of H1, V12 of H3
    "owner": ["h1"],
    "max_wait_min": [30],
    "load_id": [2, 1],  # load 2: the fixture's visits (every hall); load 1: its halls
    "needed": [5, 50],
    "median_hall": [None, "H1", "H3"],  # H1 in every fixture scope's view or not; H3 in the South
    # peer ranks: groups of 2 halls (North) so the fixture answers at all; 1 rating is enough
    "min_group": [5, 2],
    "min_n": [30, 1],
    "wait_target_s": [600, 20],  # the staffing what-if's target: 10 min, or a call centre's 20 s
    # a task's effect check: its hall (in the scope or not), moment, first day and weeks
    "hall_id": ["H1", "H3"],
    "moment": ["exit", "wait"],
    "starts_on": ["2026-03-03"],
    "weeks": [1],
    # the today panel: a hall (H1 in the North's view, H3 in the South's), a moment and a day with visits
    "now": [datetime(2026, 3, 2, 10, 10), datetime(2026, 3, 8, 12, 20)],
    "today": [date(2026, 3, 2), date(2026, 3, 8)],
}
# Answers for the whole network only (peakend/warehouse/rollups.py routes to them when the user sees
# every hall): a scoped user must get no row at all from them.
NETWORK_ONLY = {"metrics_by_group_network"}
COMBINATIONS = [
    {"drill_by_1": "hall", "drill_value_1": "H3"},
    {"drill_by_1": "region", "drill_value_1": "South", "drill_by_2": "hall", "drill_value_2": "H1"},
]


def _named_queries() -> list[str]:
    return named_queries()


def _is_write(name: str) -> bool:
    body = re.sub(r"^(\s*--[^\n]*\n|\s+)*", "", compile_query(name))
    return re.match(r"(insert|update|delete)\b", body, re.IGNORECASE) is not None


def _param_sets(name: str) -> list[dict]:
    extra = query_parameters(name) - set(VisitFilter().as_params()) - {"scope_halls"}
    unknown = sorted(extra - PARAM_SAMPLES.keys())
    if unknown:
        pytest.fail(
            f"queries/{name}.sql takes {['$' + p for p in unknown]}: add sample values to "
            f"PARAM_SAMPLES in tests/test_auth_scope.py so its scope is tested"
        )
    base = {p: PARAM_SAMPLES[p][0] for p in extra}
    sets = [base]
    for p in sorted(extra):
        sets += [{**base, p: value} for value in PARAM_SAMPLES[p][1:]]
    sets += [{**base, **combo} for combo in COMBINATIONS if combo.keys() <= extra]
    if name in metric_sql.QUERIES:  # a rollup twin is asked only for groupings it keeps
        sets = [p for p in sets if metric_sql.can_group(name, (p["group_1"], p["group_2"]))]
    return sets


@pytest.fixture(scope="module")
def databases(fixture_db_file, tmp_path_factory):
    """The full fixture, and for each scope a copy holding only that scope's halls."""
    folder = tmp_path_factory.mktemp("scope")
    opened = {}
    full_path = folder / "full.duckdb"
    shutil.copy(fixture_db_file, full_path)
    opened["full"] = Database(full_path)
    for label, halls in SCOPES.items():
        path = folder / f"only_{len(opened)}.duckdb"
        shutil.copy(fixture_db_file, path)  # same file: same load ids and timestamps
        db = Database(path)
        keep = sorted(halls)
        with db.transaction() as cur:
            # Every table with a hall_id (visits, halls, targets, and any pre-aggregated
            # table added later) loses the other halls' rows; targets keep the network row.
            tables = [r[0] for r in cur.execute(
                "select c.table_name from information_schema.columns as c "
                "join information_schema.tables as t using (table_schema, table_name) "
                "where c.table_schema = 'main' and c.column_name = 'hall_id' "
                "and t.table_type = 'BASE TABLE' order by 1").fetchall()]
            assert {"visits", "halls", "targets"} <= set(tables)
            for table in tables:
                cur.execute(f"delete from {table} where hall_id <> '*' and not list_contains($keep, hall_id)",
                            {"keep": keep})
        # The copy's data version moved on; nothing in a query result depends on it.
        opened[label] = db
    yield opened
    for db in opened.values():
        db.close()


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True)


@pytest.mark.parametrize("name", _named_queries())
def test_every_query_returns_nothing_outside_the_scope(name, databases):
    if _is_write(name):
        text = compile_query(name)
        # Writes of the explore page's saved views: they hold a link, no hall data; the
        # link is re-read through the scoped pipeline when the view is opened.
        assert not re.search(r"\b(visits|halls)\b", text), f"{name} writes hall data outside the loaders"
        return
    full = databases["full"]
    checked = 0
    base, *variants = _param_sets(name)
    # Every filter with the default parameters; every parameter variant with the filter
    # naming every hall (the full product would be slow and adds nothing).
    cases = [(f, base) for f in FILTERS] + [("every hall named", v) for v in variants]
    for (label, halls), (filter_label, params) in itertools.product(SCOPES.items(), cases):
        visit_filter = FILTERS[filter_label]
        scoped = full.query(name, visit_filter, Scope.halls(halls), **params)
        if name in NETWORK_ONLY:
            assert scoped.empty, f"{name} answered a user scoped to {sorted(halls)}"
            checked += 1
            continue
        where = f"{name} for {label} with {filter_label} and {params}"
        if name in PEER_QUERIES:
            # Ranks among peers depend on the other halls by design; what may leave the
            # server is the scope's own halls with ranks and group sizes (peakend/warehouse/db.py).
            assert set(scoped.columns) <= PEER_QUERIES[name], where
            assert set(scoped["hall_id"]) <= halls, where
        else:
            alone = databases[label].query(name, visit_filter, EVERYTHING, **params)
            pd.testing.assert_frame_equal(_comparable(scoped), _comparable(alone), obj=where)
        others = set(HALL_NAMES) - halls
        text = scoped.astype(str).to_csv(index=False)
        for hall_id in others:
            assert not re.search(rf"\b{hall_id}\b", text), f"{where}: shows hall {hall_id}"
            assert HALL_NAMES[hall_id] not in text, f"{where}: shows {HALL_NAMES[hall_id]}"
        checked += 1
    assert checked >= len(SCOPES) * len(FILTERS)


def test_the_comparison_would_catch_a_leak(databases):
    """The check itself: an unscoped answer differs from the one-hall copy's."""
    leaked = databases["full"].query("metrics_by_group", None, EVERYTHING, group_1=None, group_2=None)
    alone = databases["h1 (hall manager)"].query("metrics_by_group", None, EVERYTHING, group_1=None, group_2=None)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(_comparable(leaked), _comparable(alone))
    # 13 visits in the fixture, 7 of them in H1 (tests/fixture/visits.csv).
    assert (int(leaked["visits"].iloc[0]), int(alone["visits"].iloc[0])) == (13, 7)


def test_exports_of_the_explore_page_are_scoped(databases, tmp_path):
    """The visit export streams the same scoped query straight to a file."""
    explore_export = pytest.importorskip("peakend.explore.export")
    full = databases["full"]
    drill = {"drill_by_1": "hall", "drill_value_1": "H3", "drill_by_2": None, "drill_value_2": None}
    every_hall = VisitFilter(halls=("H1", "H2", "H3"))
    for fmt in explore_export.FORMATS:
        mine = tmp_path / f"h1.{fmt}"
        # h1 asks, by filter and by drill, for hall H3's visits: gets none.
        assert explore_export.write_visits(full, every_hall, Scope.halls({"H1"}), drill, fmt, str(mine)) == 0
        # Head office gets H3's 2 visits (V12, V13); h1 without the drill gets H1's 7.
        assert explore_export.write_visits(full, every_hall, EVERYTHING, drill, fmt, str(tmp_path / f"hq.{fmt}")) == 2
        no_drill = {k: None for k in drill}
        out = tmp_path / f"h1_all.{fmt}"
        assert explore_export.write_visits(full, every_hall, Scope.halls({"H1"}), no_drill, fmt, str(out)) == 7
        if fmt == "csv":
            text = out.read_text(encoding="utf-8-sig")
            assert "H1" in text and not re.search(r"\bH[23]\b", text)
            assert "Beta Hall" not in text and "Gamma Hall" not in text


def test_scope_is_never_read_from_parameters(databases):
    """A caller (a page, a URL value) can't pass the scope as a parameter."""
    from peakend.warehouse.named_queries import QueryError

    with pytest.raises(QueryError):
        databases["full"].query("halls_in_scope", None, Scope.halls({"H1"}), scope_halls=None)


def test_an_empty_scope_sees_nothing_not_everything(databases):
    rows = databases["full"].query("halls_in_scope", None, Scope.halls(()))
    assert rows.empty
    summary = databases["full"].query("dataset_summary", None, Scope.halls(())).iloc[0]
    assert (int(summary["halls"]), int(summary["visits"])) == (0, 0)


