"""The service-level definitions (issue 16, item 5): which abandoned visits count against
the service level, chosen by a data admin, stored in the database, audit-logged, and the
rollups recounted in the same transaction.

Fixture, hand-checked (tests/fixture/visits.csv; wait target 10 min, H2 5 min):
H1 called V01 4, V02 12, V03 6, V05 2, V06 20 min -> 3 within 10 min; gave up V04 after
   15 min (arrived 10:05, left 10:20) and V07 after 3 min (11:05 -> 11:08).
H2 called V08 3, V09 8, V10 1 -> 2 within 5 min; gave up V11 after 10 min.
H3 called V12 10, V13 30 -> 1 within 10 min; nobody gave up.
"""

import json

import pytest

from peakend.data_admin import logic as data_admin
from peakend.warehouse import store as warehouse
from peakend.core.filters import VisitFilter
from peakend.core.scope import EVERYTHING as ALL_HALLS
from test_rollups import _both, assert_same

EVERYTHING = VisitFilter()


@pytest.mark.parametrize(
    ("rule", "short_s", "expected"),
    [
        # DESIGN.md: those who gave up after the target count (V04 at H1, V11 at H2)
        ("after_target", 0, {"H1": 3 / 6, "H2": 2 / 4, "H3": 1 / 2}),
        # every visit that gave up counts as missed
        ("counted", 0, {"H1": 3 / 7, "H2": 2 / 4, "H3": 1 / 2}),
        # abandoned visits left out: the share of called visits called in time
        ("excluded", 0, {"H1": 3 / 5, "H2": 2 / 3, "H3": 1 / 2}),
        # short abandons (under 4 min: V07's 3 min) left out, longer ones count
        ("short_excluded", 240, {"H1": 3 / 6, "H2": 2 / 4, "H3": 1 / 2}),
        ("short_excluded", 120, {"H1": 3 / 7, "H2": 2 / 4, "H3": 1 / 2}),
        ("short_excluded", 900, {"H1": 3 / 6, "H2": 2 / 3, "H3": 1 / 2}),  # V04's 15 min counts
    ],
)
def test_each_definition_on_the_fixture_from_visits_and_rollups(fixture_db, monkeypatch, rule, short_s, expected):
    with fixture_db.transaction() as cur:
        warehouse.set_service_level_rule(cur, rule, short_s)
    assert fixture_db.query("service_level_definition").iloc[0].to_dict() == {
        "rule": rule, "short_abandon_s": float(short_s)}
    raw, rolled, answered_by = _both(fixture_db, monkeypatch, "metrics_by_group", EVERYTHING, ALL_HALLS,
                                     group_1="hall", group_2=None)
    assert answered_by != "metrics_by_group"  # the rollups' recounted sl_within / sl_counted
    assert dict(zip(raw["group_1"], raw["service_level"])) == pytest.approx(expected)
    assert_same(raw, rolled, f"service level by hall, {rule}")
    # and the network's number, from the network rollup: 6 within, over every counted visit
    raw, rolled, _ = _both(fixture_db, monkeypatch, "metrics_by_group", EVERYTHING, ALL_HALLS,
                           group_1=None, group_2=None)
    assert_same(raw, rolled, f"network service level, {rule}")


def test_the_default_is_the_design_definition(fixture_db):
    assert fixture_db.query("service_level_definition").iloc[0].to_dict() == {
        "rule": "after_target", "short_abandon_s": 0.0}


def test_a_change_is_audited_and_a_bad_one_changes_nothing(fixture_db):
    data_admin.save_service_level_rule(fixture_db, "short_excluded", 30, "admin")
    action, detail = fixture_db.cursor().execute(
        "select action, detail from audit_log order by audit_id desc limit 1").fetchone()
    assert action == "service_level_rule_changed"
    detail = json.loads(detail)
    assert detail["rule"] == "short_excluded" and detail["short_abandon_s"] == 30.0
    assert detail["before"]["service_level_rule"] == "after_target"
    version = fixture_db.data_version()
    with pytest.raises(ValueError):
        data_admin.save_service_level_rule(fixture_db, "whatever", 0, "admin")
    assert fixture_db.data_version() == version  # rolled back whole
    assert fixture_db.query("service_level_definition").iloc[0]["rule"] == "short_excluded"
