"""Column mappings: renames, date + time, start + duration, value maps, constants, skip
rules, cases, midnight; presets saved in the database and shipped as files."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from peakend.warehouse.ingest import (
    Mapping, MappingError, delete_mapping, get_mapping, list_mappings, load_files, preview_file,
    save_mapping, validate_file,
)
from peakend.warehouse.ingest.presets import SHIPPED_DIR
from test_ingest_files import SAMPLES, copy, snapshot

OTHER_SYSTEM = {
    "name": "other_qms",
    "kind": "visits",
    "description": "a queue system that exports tickets with a separate day column",
    "columns": {
        "visit_id": {"column": "Ticket", "prefix": "QMS-"},
        "hall_id": {"value": "H1"},
        "arrived_at": {"date": "Day", "date_format": "%d.%m.%Y", "time": "Arrival"},
        "called_at": {"date": "Day", "date_format": "%d.%m.%Y", "time": "Called"},
        "service_started_at": {"from": "called_at"},
        "service_ended_at": {"from": "called_at", "plus_seconds": "Service secs"},
        "abandoned": {"column": "Result", "map": {"S": "false", "A": "true"}, "unmapped": "reject"},
        "purpose": {"column": "Reason", "map": {"PAY": "bill_payment", "DEMO": "data_demo"}},
        "counter_id": "Desk",
        "staff_id": {"column": "Clerk", "null_values": ["-"]},
    },
    "skip": [{"when": {"column": "Result", "equals": "X"}, "reason": "test ticket printed by the technician"}],
}


def _visit(db, visit_id):
    cur = db.cursor()
    try:
        cols = "arrived_at, called_at, service_started_at, service_ended_at, abandoned, purpose, counter_id, staff_id, hall_id"
        rows = cur.execute(f"select {cols} from visits where visit_id = ?", [visit_id]).fetchall()
        return rows[0] if rows else None
    finally:
        cur.close()


def test_mapping_transforms_another_systems_export(fixture_db, tmp_path):
    path = copy(SAMPLES / "other_system.csv", tmp_path)
    [report] = load_files(fixture_db, [path], "tester", mapping=Mapping.from_dict(OTHER_SYSTEM))
    assert report.status == "loaded", report.message
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_skipped) == (6, 4, 1, 1)
    assert report.skipped_by_reason == {"test ticket printed by the technician": 1}
    assert {(r.row, r.column, r.value, r.reason) for r in report.rejects.itertuples()} == {
        (7, "Service secs", "-5", "is a negative duration"),
        (7, "service_ended_at (called_at + Service secs)", "2026-03-09 09:54:55 (service_started_at 2026-03-09 09:55:00)",
         "service ends before it starts (service_ended_at is earlier than service_started_at)"),
    }
    d = datetime
    assert _visit(fixture_db, "QMS-Q-1") == (
        d(2026, 3, 9, 9, 0), d(2026, 3, 9, 9, 4), d(2026, 3, 9, 9, 4), d(2026, 3, 9, 9, 10),
        False, "bill_payment", "1", "ann", "H1",
    )
    # not called: no call time, abandoned as the map says
    assert _visit(fixture_db, "QMS-Q-2")[1:5] == (None, None, None, True)
    # an unknown code is kept as it is and becomes a purpose of its own (`other`)
    assert _visit(fixture_db, "QMS-Q-5")[5] == "LOST"
    assert report.new_purposes == ["LOST"]
    assert report.mapping == "other_qms"
    assert fixture_db.scalar("select mapping from loads where load_id = ?", [report.load_id]) == "other_qms"


def test_unmapped_code_can_be_rejected(fixture_db, tmp_path):
    spec = json.loads(json.dumps(OTHER_SYSTEM))
    spec["skip"] = []
    report = validate_file(fixture_db, copy(SAMPLES / "other_system.csv", tmp_path), Mapping.from_dict(spec))
    assert ("has a code that the mapping does not list", "Result") in {
        (r.reason, r.column) for r in report.reasons.itertuples()
    }
    assert report.rows_rejected == 2


def test_mapping_refuses_a_file_without_its_columns(fixture_db, tmp_path):
    before = snapshot(fixture_db)
    [report] = load_files(fixture_db, [copy(SAMPLES / "bad_values.csv", tmp_path)], "tester", mapping=Mapping.from_dict(OTHER_SYSTEM))
    assert report.status == "refused"
    assert "the mapping 'other_qms' reads columns Ticket, Arrival, Day, Reason" in report.message
    assert "that the file does not have" in report.message
    assert "Found: visit_id, hall_id" in report.message
    assert snapshot(fixture_db) == before


def test_a_skip_rule_on_a_column_the_file_lacks_refuses_the_file(fixture_db, tmp_path):
    spec = json.loads(json.dumps(OTHER_SYSTEM))
    spec["skip"] = [{"when": {"column": "Status", "equals": "test"}, "reason": "test tickets"}]
    report = validate_file(fixture_db, copy(SAMPLES / "other_system.csv", tmp_path), Mapping.from_dict(spec))
    assert report.status == "refused" and "reads column Status that the file does not have" in report.message


def test_preview_with_a_mapping_names_what_is_missing(tmp_path):
    preview = preview_file(SAMPLES / "other_system.csv", mapping=Mapping.from_dict(OTHER_SYSTEM))
    assert preview.delimiter == ";" and preview.missing_columns == []
    assert preview.types["Service secs"] == "integer" and preview.types["Day"] == "text"
    other = preview_file(SAMPLES / "bad_values.csv", mapping=Mapping.from_dict(OTHER_SYSTEM))
    assert "Ticket" in other.missing_columns


def test_clock_times_over_midnight_and_cases(fixture_db, tmp_path):
    path = tmp_path / "calls.tsv"
    path.write_text(
        "id\tday\tin\tstart\tsecs\toutcome\n"
        "c1\t990215\t23:59:50\t0:00:10\t70\tserved\n"
        "c2\t990215\t10:00:00\t10:02:00\t30\tserved\n"
        "c3\t990215\t11:00:00\t0:00:00\t0\tgave_up\n",
        encoding="utf-8",
    )
    # calls of 1999 in a hall of their own: in H2, whose data starts in 2026, they would be
    # rejected as implausibly early (test_ingest_battery.py)
    mapping = Mapping.from_dict({
        "name": "calls", "halls": [{"hall_id": "CALLS", "hall_name": "Calls", "region": "North", "city": "Harbin"}],
        "columns": {
            "visit_id": "id", "hall_id": {"value": "CALLS"}, "purpose": {"value": "enquiry"},
            "arrived_at": {"date": "day", "date_format": "%y%m%d", "time": "in"},
            "service_started_at": {"time": "start", "near": "arrived_at", "when": {"column": "outcome", "equals": "served"}},
            "called_at": {"from": "service_started_at"},
            "service_ended_at": {"from": "service_started_at", "plus_seconds": "secs"},
            "left_at": {"cases": [
                {"when": {"column": "outcome", "equals": "served"}, "from": "service_ended_at"},
                {"when": {"column": "outcome", "in": ["gave_up"]}, "from": "arrived_at", "plus_seconds": "secs"},
            ]},
            "abandoned": {"column": "outcome", "map": {"served": "no", "gave_up": "yes"}},
        },
    })
    [report] = load_files(fixture_db, [path], "tester", mapping=mapping)
    assert (report.rows_loaded, report.rows_rejected) == (3, 0), report.rejects
    cur = fixture_db.cursor()
    rows = dict((r[0], r[1:]) for r in cur.execute(
        "select visit_id, service_started_at, service_ended_at, left_at, wait_s, abandoned from visits where visit_id like 'c%'"
    ).fetchall())
    d = datetime
    assert rows["c1"] == (d(1999, 2, 16, 0, 0, 10), d(1999, 2, 16, 0, 1, 20), d(1999, 2, 16, 0, 1, 20), 20.0, False)
    assert rows["c2"][:2] == (d(1999, 2, 15, 10, 2), d(1999, 2, 15, 10, 2, 30))
    assert rows["c3"] == (None, None, d(1999, 2, 15, 11, 0), None, True)


def test_bad_parts_of_a_combined_column_name_the_file_column(fixture_db, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("id,day,in,secs\nc1,990231,10:00:00,5\nc2,990215,25:00:00,5\nc3,990215,10:00:00,five\n", encoding="utf-8")
    mapping = Mapping.from_dict({
        "name": "calls", "columns": {
            "visit_id": "id", "hall_id": {"value": "H2"}, "purpose": {"value": "enquiry"},
            "arrived_at": {"date": "day", "date_format": "%y%m%d", "time": "in", "time_format": "%H:%M:%S"},
            "called_at": {"from": "arrived_at", "plus_seconds": "secs"},
        },
    })
    report = validate_file(fixture_db, path, mapping)
    assert {(r.row, r.column, r.value, r.reason) for r in report.rejects.itertuples()} == {
        (2, "day", "990231", "is not a date like 260302"),
        (3, "in", "25:00:00", "is not a time of day like 09:05:00"),
        (4, "secs", "five", "is not a number of seconds"),
    }


def test_preset_round_trip_through_the_database(fixture_db, tmp_path):
    mapping = Mapping.from_dict(OTHER_SYSTEM)
    assert Mapping.from_json(mapping.to_json()) == mapping
    save_mapping(fixture_db, mapping, "admin")
    assert get_mapping(fixture_db, "other_qms") == mapping
    info = {p.name: p for p in list_mappings(fixture_db)}
    assert info["other_qms"].source == "saved" and info["other_qms"].saved_by == "admin"
    assert info["anonymous_bank"].source == "shipped"
    [report] = load_files(fixture_db, [copy(SAMPLES / "other_system.csv", tmp_path)], "tester", mapping="other_qms")
    assert report.rows_loaded == 4
    # a saved preset of a shipped name wins; deleting it brings the shipped one back
    bank = get_mapping(fixture_db, "anonymous_bank")
    changed = Mapping.from_dict({**bank.to_dict(), "description": "local tweak"})
    save_mapping(fixture_db, changed, "admin")
    assert get_mapping(fixture_db, "anonymous_bank").description == "local tweak"
    assert delete_mapping(fixture_db, "anonymous_bank") is True
    assert get_mapping(fixture_db, "anonymous_bank") == bank
    assert delete_mapping(fixture_db, "anonymous_bank") is False


def test_unknown_mapping_name_refuses_every_file(fixture_db, tmp_path):
    [report] = load_files(fixture_db, [copy(SAMPLES / "other_system.csv", tmp_path)], "tester", mapping="nope")
    assert report.status == "refused" and "no mapping named 'nope'" in report.message


@pytest.mark.parametrize("spec, message", [
    ({"name": "x", "columns": {"visitor": "a"}}, "columns.visitor: not a visits column"),
    ({"name": "bad name!"}, "mapping name"),
    ({"name": "x", "kind": "tickets"}, "kind 'tickets'"),
    ({"name": "x", "columns": {"arrived_at": {"time": "t"}}}, "needs 'near'"),
    ({"name": "x", "columns": {"called_at": {"from": "left_at"}}}, "'left_at' is not a target"),
    ({"name": "x", "columns": {"called_at": {"from": "left_at"}, "left_at": {"from": "called_at"}}}, "in a circle"),
    ({"name": "x", "columns": {"purpose": {"column": "a", "map": ["a"]}}}, "map: an object"),
    ({"name": "x", "columns": {"purpose": {"column": "a", "sql": "drop table visits"}}}, "unknown keys sql"),
    ({"name": "x", "skip": [{"when": {"column": "a", "like": "%"}, "reason": "r"}]}, "one of equals"),
    ({"name": "x", "skip": [{"when": {"column": "a", "equals": "b"}}]}, "exactly 'when' and 'reason'"),
    ({"name": "x", "purposes": [{"purpose": "p", "label_en": "P", "label_zh": "P", "peak_moment": "wow"}]}, "peak_moment"),
    ({"name": "x", "halls": [{"hall_id": "H", "hall_name": "n", "region": "r"}]}, "halls[0].city: required"),
])
def test_malformed_mappings_are_refused_with_where_and_why(spec, message):
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Mapping.from_dict(spec)


def test_every_shipped_preset_is_valid():
    names = [p.stem for p in SHIPPED_DIR.glob("*.json")]
    assert "anonymous_bank" in names
    for name in names:
        mapping = Mapping.from_json((SHIPPED_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert mapping.name == name


def test_values_from_a_mapping_are_bound_not_spliced(fixture_db, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("id,when\nx1,2026-03-02 09:00:00\n", encoding="utf-8")
    mapping = Mapping.from_dict({"name": "quotes", "columns": {
        "visit_id": {"column": "id", "prefix": "'; drop table visits; --"},
        "hall_id": {"value": "H1"}, "purpose": {"value": "enquiry"}, "segment": {"value": "it's \"quoted\""},
        "arrived_at": "when",
    }})
    [report] = load_files(fixture_db, [path], "tester", mapping=mapping)
    assert report.rows_loaded == 1
    assert fixture_db.scalar("select segment from visits where visit_id = ?", ["'; drop table visits; --x1"]) == "it's \"quoted\""


# -- units of duration columns (issue 14, point 3) ------------------------------------------
UNIT_FILE = (
    "Ticket,Arrived,Wait min,Wait s,Wait clock,Service min\n"
    "U1,2026-03-09 09:00:00,12.5,750,0:12:30,4\n"
    "U2,2026-03-09 09:10:00,30,1800,0:30:00,6.5\n"
    "U3,2026-03-09 09:20:00,1,60,0:01:00,3\n"
)


def _units_mapping(name, wait, unit, service_unit="minutes"):
    return {
        "name": name,
        "kind": "visits",
        "columns": {
            "visit_id": {"column": "Ticket", "prefix": f"{name}-"},
            "hall_id": {"value": "H1"},
            "purpose": {"value": "enquiry"},
            "arrived_at": "Arrived",
            "called_at": {"from": "arrived_at", "plus": wait, "unit": unit},
            "service_started_at": {"from": "called_at"},
            "service_ended_at": {"from": "service_started_at", "plus": "Service min", "unit": service_unit},
        },
    }


def _stored_waits(db, prefix):
    cur = db.cursor()
    try:
        return cur.execute(
            """select substr(visit_id, length(?) + 2), epoch(called_at - arrived_at),
                      epoch(service_ended_at - service_started_at)
               from visits where visit_id like ? || '-%' order by visit_id""",
            [prefix, prefix],
        ).fetchall()
    finally:
        cur.close()


def test_a_wait_in_minutes_and_one_in_seconds_store_the_same_waits(fixture_db, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(UNIT_FILE, encoding="utf-8")
    for name, column, unit in (("in_min", "Wait min", "minutes"), ("in_s", "Wait s", "seconds"),
                               ("in_clock", "Wait clock", "hh:mm:ss")):
        [report] = load_files(fixture_db, [path], "tester", mapping=Mapping.from_dict(_units_mapping(name, column, unit)))
        assert (report.status, report.rows_loaded, report.rows_rejected) == ("loaded", 3, 0), report.message
    expected = [("U1", 750.0, 240.0), ("U2", 1800.0, 390.0), ("U3", 60.0, 180.0)]
    assert _stored_waits(fixture_db, "in_min") == expected
    assert _stored_waits(fixture_db, "in_s") == expected
    assert _stored_waits(fixture_db, "in_clock") == expected
    # plus_seconds is the same as plus with unit seconds
    legacy = _units_mapping("legacy", "Wait s", "seconds")
    legacy["columns"]["called_at"] = {"from": "arrived_at", "plus_seconds": "Wait s"}
    load_files(fixture_db, [path], "tester", mapping=Mapping.from_dict(legacy))
    assert _stored_waits(fixture_db, "legacy") == expected


def test_a_unit_is_checked(tmp_path):
    bad = _units_mapping("bad", "Wait min", "fortnights")
    with pytest.raises(MappingError, match="unit: one of seconds, minutes, hours, hh:mm:ss"):
        Mapping.from_dict(bad)
    no_unit = _units_mapping("no_unit", "Wait min", "minutes")
    del no_unit["columns"]["called_at"]["unit"]
    with pytest.raises(MappingError, match="plus: needs a unit"):
        Mapping.from_dict(no_unit)
    both = _units_mapping("both", "Wait min", "minutes")
    both["columns"]["called_at"]["plus_seconds"] = "Wait s"
    with pytest.raises(MappingError, match="not both"):
        Mapping.from_dict(both)


def test_a_value_not_in_the_unit_is_rejected_with_its_reason(fixture_db, tmp_path):
    path = tmp_path / "clock.csv"
    path.write_text(UNIT_FILE.replace("0:12:30", "12 min"), encoding="utf-8")
    report = validate_file(fixture_db, path, mapping=Mapping.from_dict(_units_mapping("clock", "Wait clock", "hh:mm:ss")))
    assert report.rows_rejected == 1
    assert ("Wait clock", "is not a duration like 0:05:30 (hours:minutes:seconds)") in set(
        zip(report.rejects["column"], report.rejects["reason"]))


def test_the_dry_run_says_the_medians_and_warns_of_a_wait_in_minutes_read_as_seconds(fixture_db, tmp_path):
    # the DMV case: a posted wait in minutes mapped as seconds loads 60x too short with no
    # row rejected; the dry run says the medians and warns
    path = tmp_path / "dmv_like.csv"
    path.write_text(UNIT_FILE, encoding="utf-8")
    right = validate_file(fixture_db, path, mapping=Mapping.from_dict(_units_mapping("right", "Wait min", "minutes")))
    assert right.durations[:2] == [("median_wait", {"median": "0:12:30", "n": "3"}),
                                   ("median_service", {"median": "0:04:00", "n": "3"})]
    assert right.duration_warnings == []
    wrong = validate_file(fixture_db, path, mapping=Mapping.from_dict(
        _units_mapping("wrong", "Wait min", "seconds", service_unit="seconds")))
    assert (wrong.rows_ok, wrong.rows_rejected) == (3, 0)  # nothing rejected: only the medians tell
    keys = [k for k, _ in wrong.duration_warnings]
    assert keys[:2] == ["wait_too_short", "wait_unlike_network"] and "service_too_short" in keys
    assert "median wait 0:00:12 (H:MM:SS, over 3 called visits)" in wrong.summary()
    assert "WARNING: the median wait 0:00:12 is under 0:00:30" in wrong.summary()
    # the fixture's other halls: median wait 8 min -> 12.5 s is 38x shorter
    network = dict(wrong.duration_warnings)["wait_unlike_network"]
    assert int(network["times"]) > 10
    # a wait in minutes read as hours: 5, 6 and 7 "hours", a median over 4 h (each under the
    # 12-hour limit, so none is rejected)
    long_path = tmp_path / "long.csv"
    long_path.write_text(UNIT_FILE.replace(",12.5,", ",5,").replace(",30,", ",6,").replace(",1,", ",7,"),
                         encoding="utf-8")
    hours = validate_file(fixture_db, long_path, mapping=Mapping.from_dict(_units_mapping("hours", "Wait min", "hours")))
    assert hours.rows_ok == 3
    assert ("wait_too_long", {"median": "6:00:00", "limit": "4:00:00"}) in hours.duration_warnings


def test_with_unit_sets_the_unit_of_a_duration_column():
    from peakend.warehouse.ingest.mapping import with_unit

    m = Mapping.from_dict(_units_mapping("m", "Wait min", "seconds"))
    fixed = with_unit(m, "Wait min", "minutes")
    assert fixed.columns["called_at"] == {"from": "arrived_at", "plus": "Wait min", "unit": "minutes"}
    with pytest.raises(MappingError, match="adds no duration from column 'nope'"):
        with_unit(m, "nope", "minutes")
