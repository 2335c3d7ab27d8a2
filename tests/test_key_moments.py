"""Key moments the hall defines (issue 21): the catalogue (the study's journey, moments a
region or a hall adds, 可增加，不可减少), its command line, and key-moment ratings in the long
format (a "ratings" file): good rows, every reason a row is refused, a re-sent rating
replacing the stored one, undo, and a file larger than two DuckDB row groups."""

from __future__ import annotations

import pandas as pd
import pytest

from peakend.cli import main as cli_main
from peakend.core.moments import RULE_ZH, STUDY_MOMENTS
from peakend.warehouse import moments
from peakend.warehouse.accounts import audit_entries
from peakend.warehouse.ingest import load_files, undo, validate_file

STUDY = [m[0] for m in STUDY_MOMENTS]
HEADER = "visit_id,moment,score,rated_at,comment"


def _file(tmp_path, name, *rows, header=HEADER):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _ratings(db) -> list[tuple]:
    return (
        db.cursor()
        .execute("select visit_id, moment, score, comment from moment_ratings order by visit_id, moment")
        .fetchall()
    )


def _greeting(db, **where):
    return moments.add_moment(db, "admin", moments.NewMoment("greeting", "迎宾", "Greeting at the door", "before_queue",
                                                             **where))


def test_every_hall_has_the_studys_journey_in_order(fixture_db):
    assert [m.moment for m in moments.catalogue(fixture_db)] == STUDY
    assert [m.moment for m in moments.journey(fixture_db, "H3")] == STUDY
    assert [m.moment for m in moments.journey(fixture_db, "H1") if m.is_peak] == [
        "counter_result",
        "data_experience",
        "phone_purchase",
    ]


def test_a_regions_moment_is_its_halls_and_nobody_elses(fixture_db):
    added = _greeting(fixture_db, region="North")
    assert (added.owner, added.scale_min, added.scale_max) == ("region North", 1, 5)
    # in journey order: before the queue, after the study's moments of that stage
    north = ["find", "enter", "greeting", *STUDY[2:]]
    assert [m.moment for m in moments.journey(fixture_db, "H1")] == north
    assert [m.moment for m in moments.journey(fixture_db, "H2")] == north
    assert [m.moment for m in moments.journey(fixture_db, "H3")] == STUDY  # South
    kiosk = moments.add_moment(
        fixture_db, "admin", moments.NewMoment("kiosk", "自助终端", "Self-service kiosk", "queue", scale=(0, 10),
                                               hall_id="H3"))
    assert kiosk.owner == "hall H3"
    assert [m.moment for m in moments.journey(fixture_db, "H3")] == ["find", "enter", "wait", "kiosk", *STUDY[3:]]
    assert "kiosk" not in [m.moment for m in moments.journey(fixture_db, "H1")]
    [entry] = [e for e in audit_entries(fixture_db, 10) if e[2] == "moment_add" and "greeting" in e[3]]
    assert entry[1] == "admin" and '"region": "North"' in entry[3]


def test_the_studys_moments_cant_be_removed_and_added_ones_can(fixture_db, subtests):
    for code in STUDY:
        with subtests.test(code), pytest.raises(moments.MomentError) as refused:
            moments.remove_moment(fixture_db, "admin", code)
        assert RULE_ZH in str(refused.value) and "never taken away" in str(refused.value)
    _greeting(fixture_db, region="North")
    moments.remove_moment(fixture_db, "admin", "greeting")
    assert [m.moment for m in moments.catalogue(fixture_db)] == STUDY
    assert [e[2] for e in audit_entries(fixture_db, 2)] == ["moment_remove", "moment_add"]


def test_a_moment_is_added_only_as_it_can_be_read(fixture_db, subtests):
    _greeting(fixture_db)
    for kwargs, message in (
        ({"code": "Greeting!"}, "lower-case letters"),
        ({"code": "greeting"}, "already in the catalogue (network)"),
        ({"code": "wait"}, "already in the catalogue (study)"),
        ({"label_zh": " "}, "a Chinese and an English label"),
        ({"stage": "lobby"}, "one of before_queue, queue, counter, after_counter, exit"),
        ({"scale": (5, 1)}, "from a low to a higher score"),
        ({"region": "Atlantis"}, "region 'Atlantis' has no halls (regions: North, South)"),
        ({"hall_id": "H9"}, "hall 'H9' is not a known hall"),
        ({"region": "North", "hall_id": "H1"}, "not both"),
    ):
        args = {"code": "door", "label_zh": "门口", "label_en": "At the door", "stage": "before_queue", **kwargs}
        options = {k: args.pop(k) for k in ("scale", "region", "hall_id") if k in args}
        with (
            subtests.test(message),
            pytest.raises(moments.MomentError, match=message.replace("(", r"\(").replace(")", r"\)")),
        ):
            moments.add_moment(fixture_db, "admin", moments.NewMoment(
                args["code"], args["label_zh"], args["label_en"], args["stage"], **options))


def test_the_command_line_adds_lists_and_refuses(fixture_db_file, tmp_path, capsys, monkeypatch):
    import shutil

    db_path = tmp_path / "cli.duckdb"
    shutil.copy(fixture_db_file, db_path)
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    assert (
        cli_main(
            [
                "moments",
                "add",
                "greeting",
                "--zh",
                "迎宾",
                "--en",
                "Greeting at the door",
                "--stage",
                "before_queue",
                "--region",
                "North",
                "--user",
                "ops",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("added: greeting")
    assert cli_main(["moments", "list", "--hall", "H1"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == ["find", "enter", "greeting", *STUDY[2:]]
    assert cli_main(["moments", "list", "--hall", "H3"]) == 0
    assert "greeting" not in capsys.readouterr().out
    assert cli_main(["moments", "remove", "exit"]) == 1
    assert RULE_ZH in capsys.readouterr().err
    assert cli_main(["moments", "add", "door", "--zh", "门", "--en", "Door"]) == 2
    assert "give --stage" in capsys.readouterr().err


def test_ratings_load_and_every_bad_row_says_why(fixture_db, tmp_path):
    _greeting(fixture_db, region="North")
    path = _file(
        tmp_path,
        "ratings.csv",
        "V01,greeting,5,2027-01-04 09:20:00,很热情",  # H1, North: its region's moment
        "V01,find,4,,",
        "V12,greeting,4,,",  # H3 is South: not in its journey
        "V99,find,3,,",  # no such visit
        "V02,exit,3,,",  # the visit's own exit_score rates it
        "V02,find,9,,",  # outside 1-5
        "V01,greeting,4,,",  # the same visit and moment again
        "V03,wait,,,",  # no score
    )
    report = validate_file(fixture_db, path)
    assert (report.kind, report.rows_ok, report.rows_rejected) == ("ratings", 2, 6)
    [loaded] = load_files(fixture_db, [path], "tester")
    assert (loaded.status, loaded.rows_loaded, loaded.rows_rejected) == ("loaded", 2, 6)
    assert _ratings(fixture_db) == [("V01", "find", 4, None), ("V01", "greeting", 5, "很热情")]
    rejects = {
        r[0]: r[1:]
        for r in fixture_db.cursor()
        .execute(
            "select row_number, column_name, value, reason from rejects where load_id = ? order by row_number",
            [loaded.load_id],
        )
        .fetchall()
    }
    assert rejects[4][:2] == (
        "moment",
        "greeting (hall H3: find, enter, wait, counter_result, data_experience, phone_purchase, exit)",
    )
    assert rejects[4][2].startswith("is not a key moment of the visit's hall")
    assert rejects[5] == ("visit_id", "V99", "is not a known visit (load the visit first; a rating belongs to a visit)")
    assert rejects[6][:2] == ("moment", "exit") and rejects[6][2].startswith("is rated in the visit's own columns")
    assert rejects[7] == ("score", "9 (scale 1-5)", "is outside the moment's scale")
    assert rejects[8] == (
        "moment",
        "V01 greeting (first at row 2)",
        "repeats a visit and moment that an earlier row of this file has",
    )
    assert rejects[9] == ("score", None, "is empty but required")
    with pytest.raises(moments.MomentError, match="has 1 ratings loaded; undo the loads"):
        moments.remove_moment(fixture_db, "admin", "greeting")


def test_a_resent_rating_replaces_it_and_undo_restores_it(fixture_db, tmp_path):
    [first] = load_files(fixture_db, [_file(tmp_path, "a.csv", "V01,find,4,,", "V02,enter,2,,慢")], "tester")
    [again] = load_files(fixture_db, [_file(tmp_path, "b.csv", "V02,enter,5,,好多了", "V03,find,3,,")], "tester")
    assert (again.rows_loaded, again.rows_replaced) == (2, 1)
    assert _ratings(fixture_db) == [("V01", "find", 4, None), ("V02", "enter", 5, "好多了"), ("V03", "find", 3, None)]
    with pytest.raises(Exception, match=f"undo load {again.load_id} first"):
        undo(fixture_db, first.load_id, "tester")
    undo(fixture_db, again.load_id, "tester")
    assert _ratings(fixture_db) == [("V01", "find", 4, None), ("V02", "enter", 2, "慢")]
    undo(fixture_db, first.load_id, "tester")
    assert _ratings(fixture_db) == []


def test_300000_ratings_load_and_count_exactly(fixture_db, tmp_path):
    """More than two DuckDB row groups (122,880 rows each): every rating, once; the visits
    they rate loaded first (100,000 of them, three study moments each)."""
    n = 100_000
    visits = tmp_path / "visits.csv"
    with visits.open("w", encoding="utf-8") as fh:
        fh.write("visit_id,hall_id,arrived_at,purpose,called_at\n")
        fh.writelines(
            f"B{i:06d},H{1 + i % 3},2026-11-0{1 + i % 5} {9 + i % 8:02d}:{i % 60:02d}:00,bill_payment,"
            f"2026-11-0{1 + i % 5} {9 + i % 8:02d}:{i % 60:02d}:30\n"
            for i in range(n)
        )
    ratings = tmp_path / "ratings.csv"
    with ratings.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        fh.writelines(f"B{i:06d},{m},{1 + (i + k) % 5},,\n" for i in range(n) for k, m in enumerate(STUDY[:3]))
    [v] = load_files(fixture_db, [visits], "tester")
    assert (v.rows_loaded, v.rows_rejected) == (n, 0)
    [r] = load_files(fixture_db, [ratings], "tester")
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_rejected) == ("loaded", 3 * n, 3 * n, 0)
    cur = fixture_db.cursor()
    assert cur.execute(
        "select count(*), count(distinct (visit_id, moment)), sum(score) from moment_ratings"
    ).fetchall() == [(3 * n, 3 * n, sum(1 + (i + k) % 5 for i in range(n) for k in range(3)))]
    # their rollup: one row per hall x day x moment, every rating and point counted once
    assert cur.execute("select count(*), sum(m_rating_n), sum(m_rating_x) from rating_rollup").fetchall() == [
        (3 * 5 * 3, 3 * n, sum(1 + (i + k) % 5 for i in range(n) for k in range(3)))
    ]
    assert cur.execute(
        "select moment, score from moment_ratings where visit_id = 'B099999' order by moment"
    ).fetchall() == [("enter", 1 + (99_999 + 1) % 5), ("find", 1 + 99_999 % 5), ("wait", 1 + (99_999 + 2) % 5)]
    undo(fixture_db, r.load_id, "tester")
    assert fixture_db.scalar("select count(*) from moment_ratings") == 0
    assert fixture_db.scalar("select count(*) from rating_rollup") == 0


def test_a_terminals_own_export_loads_as_ratings_through_a_mapping(fixture_db_file, tmp_path, capsys, monkeypatch):
    """An exit terminal's export in its own words (票号, 环节, 得分), mapped to the ratings
    contract by a mapping file, from the command line; a code the mapping lists is a moment."""
    import json
    import shutil

    db_path = tmp_path / "cli.duckdb"
    shutil.copy(fixture_db_file, db_path)
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    mapping = tmp_path / "terminal.json"
    mapping.write_text(json.dumps({
        "name": "terminal", "kind": "ratings",
        "columns": {"visit_id": "票号", "moment": {"column": "环节", "map": {"找厅": "find", "进门": "enter"}, "unmapped": "reject"},
                    "score": "得分", "comment": "留言"},
    }, ensure_ascii=False), encoding="utf-8")
    export = tmp_path / "terminal.csv"
    export.write_text("票号,环节,得分,留言\nV01,找厅,4,\nV02,进门,2,没人理\nV03,购物,5,\n", encoding="utf-8")
    assert cli_main(["load", str(export), "--mapping", str(mapping), "--user", "ops"]) == 0
    out = capsys.readouterr().out
    assert "2 rows key-moment rating loaded, 1 rejected" in out, out
    from peakend.warehouse.db import Database

    db = Database(db_path)
    try:
        assert _ratings(db) == [("V01", "find", 4, None), ("V02", "enter", 2, "没人理")]
    finally:
        db.close()


def _rolled(db) -> list[tuple]:
    """rating_rollup's key, ratings and score sums, as the write path keeps them."""
    return (
        db.cursor()
        .execute(
            "select hall_id, day::varchar, purpose, moment, m_rating_n, m_rating_x, m_rating_i_y, m_rating_p_y "
            "from rating_rollup order by all"
        )
        .fetchall()
    )


def _audit_ok(db) -> bool:
    from peakend.warehouse import rollup_check

    cur = db.cursor()
    try:
        return all(t.ok for t in rollup_check.audit(cur).tables if t.table == "rating_rollup")
    finally:
        cur.close()


def test_the_ratings_rollup_follows_every_write_of_ratings_and_of_their_visits(fixture_db, tmp_path, monkeypatch):
    """rating_rollup (hall x day x purpose x moment) moves with a ratings load, a re-sent
    rating, a re-sent visit (to another hall and day), and each undo; the to-do list's
    sums from it are the raw query's."""
    from test_insights_moments_rollup import both
    from test_rollups import _load_visits, _visit

    from peakend.core.scope import EVERYTHING

    # V01: H1, 2026-03-02, bill_payment, peak 5 + exit 5, overall 10 (a promoter);
    # V02: H1, the same day, plan_change, 3 + 2, overall 4 (a detractor)
    [ratings] = load_files(fixture_db, [_file(tmp_path, "a.csv", "V01,find,4,,", "V01,enter,2,,", "V02,find,1,,")],
                           "tester")
    assert _rolled(fixture_db) == [
        ("H1", "2026-03-02", "bill_payment", "enter", 1, 2, 10, 1),
        ("H1", "2026-03-02", "bill_payment", "find", 1, 4, 10, 1),
        ("H1", "2026-03-02", "plan_change", "find", 1, 1, 5, -1),
    ]
    [again] = load_files(fixture_db, [_file(tmp_path, "b.csv", "V02,find,5,,")], "tester")
    assert _rolled(fixture_db)[2] == ("H1", "2026-03-02", "plan_change", "find", 1, 5, 5, -1)
    # the visit moves to H3 a week later, with other scores: its ratings' sums go with it
    moved = _load_visits(fixture_db, [_visit("V01", "H3", "2026-03-09 10:00:00", 3, peak=2, exit_=1)])
    assert _rolled(fixture_db) == [
        ("H1", "2026-03-02", "plan_change", "find", 1, 5, 5, -1),
        ("H3", "2026-03-09", "bill_payment", "enter", 1, 2, 3, 1),
        ("H3", "2026-03-09", "bill_payment", "find", 1, 4, 3, 1),
    ]
    assert _audit_ok(fixture_db)
    for hall in ("H1", "H3"):
        raw, rolled, answered = both(fixture_db, monkeypatch, None, EVERYTHING, hall)
        assert answered == "insights_moments_rollup"
        assert set(raw["moment"]) >= {"find", "enter"}
        pd.testing.assert_frame_equal(raw.reset_index(drop=True), rolled.reset_index(drop=True),
                                      check_dtype=False, rtol=1e-9)
    undo(fixture_db, moved, "tester")
    undo(fixture_db, again.load_id, "tester")
    assert _rolled(fixture_db) == [
        ("H1", "2026-03-02", "bill_payment", "enter", 1, 2, 10, 1),
        ("H1", "2026-03-02", "bill_payment", "find", 1, 4, 10, 1),
        ("H1", "2026-03-02", "plan_change", "find", 1, 1, 5, -1),
    ]
    undo(fixture_db, ratings.load_id, "tester")
    assert _rolled(fixture_db) == [] and _audit_ok(fixture_db)
