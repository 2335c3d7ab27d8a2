"""The query layer: every named query is scoped, parameters are bound, never formatted."""

import re

import pytest

from peakend.core.scope import Scope
from peakend.warehouse.named_queries import QueryError, compile_query, named_queries

# Queries that read no hall-level data: network configuration, and a user's own saved views
# (keyed by the signed-in user's name, which the page binds from the server session).
UNSCOPED = {"network_targets", "purposes", "service_level_definition", "explore_save_view", "explore_saved_views", "explore_delete_view"}


def test_every_query_is_scoped_and_documented(subtests):
    for name in named_queries():
        with subtests.test(query=name):
            sql = compile_query(name)
            assert sql.startswith("-- one row"), f"{name} must start by saying what one row is"
            if name not in UNSCOPED:
                assert "$scope_halls" in sql, f"{name} does not apply the user's scope"
            # No Python formatting placeholders: values are bound.
            assert not re.search(r"\{[a-z_]+\}|%s|%\(", sql)


def test_scope_cannot_be_passed_as_a_parameter(fixture_db):
    with pytest.raises(QueryError):
        fixture_db.query("dataset_summary", scope_halls=["H1"])


def test_missing_parameter_is_named(fixture_db):
    with pytest.raises(QueryError, match="group_1"):
        fixture_db.query("metrics_by_group")


def test_unknown_query_is_refused(fixture_db):
    with pytest.raises(QueryError):
        fixture_db.query("../etc/passwd")


def test_fragments_become_ctes_in_dependency_order():
    sql = compile_query("metrics_by_group")
    assert sql.index("hall_targets as (") < sql.index("scoped_halls as (") < sql.index("filtered_visits as (")


def test_scoped_query_returns_only_scoped_rows(fixture_db):
    rows = fixture_db.query("halls_in_scope", scope=Scope.halls(["H1", "H3"]))
    assert sorted(rows["hall_id"]) == ["H1", "H3"]
