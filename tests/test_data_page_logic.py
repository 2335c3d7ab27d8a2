"""The data page's logic and queries on the fixture: mappings built from the page's
choices (loaded for real), the preset a file fits, the loader's reasons in Chinese, the
target and purpose edits, and queries/data_*.sql with hand-derived rows."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from peakend.data_admin import logic as data_admin
from peakend.data_admin.logic import AFTER, COLUMN, CONCAT, CONSTANT, DATE_TIME, BuildError, Choice, SkipRule
from peakend.core.i18n import set_language
from peakend.warehouse.ingest import Mapping, get_mapping, load_files, validate_file
from peakend.warehouse.ingest.contract import FIELDS
from peakend.core import links
from peakend.core.scope import Scope


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("en")


# The export of another queue system (tests/test_data_page.py uploads the same file):
# GBK, semicolons, Chinese headers, a date column and a clock column, durations in
# seconds, its own outcome and business codes, a system test ticket and a broken date.
EXPORT_ROWS = [
    "票号;日期;取号时间;等候秒数;办理秒数;结果;业务",
    "A001;2026/03/05;09:00:10;120;300;已办理;缴费",
    "A002;2026/03/05;09:03:00;900;240;已办理;换套餐",
    "A003;2026/03/05;09:05:30;;;弃号;缴费",
    "A004;2026/03/05;09:20:00;60;180;已办理;咨询",
    "T999;2026/03/05;09:21:00;0;0;已办理;TEST",
    "A005;2026/03/5x;09:30:00;60;120;已办理;缴费",
    "A006;2026/03/05;10:02:00;0;420;已办理;购机",
]
EXPORT_NAME = "排队系统导出_0305.csv"
PURPOSE_MAP = "缴费=bill_payment; 换套餐=plan_change; 咨询=enquiry; 购机=phone_purchase"
NEW_HALL = {"hall_id": "H9", "hall_name": "Delta Hall", "region": "East", "city": "Nanjing"}


def export_bytes() -> bytes:
    return ("\r\n".join(EXPORT_ROWS) + "\r\n").encode("gbk")


def export_choices() -> dict[str, Choice]:
    """The page's choices for the export: what a data admin picks on the builder."""
    choices = {target: Choice() for target in FIELDS["visits"]}
    choices.update({
        "visit_id": Choice(COLUMN, column="票号"),
        "hall_id": Choice(CONSTANT, value="H9"),
        "arrived_at": Choice(DATE_TIME, column="日期", fmt="%Y/%m/%d", time_column="取号时间"),
        "called_at": Choice(AFTER, start="arrived_at", seconds="等候秒数"),
        "service_started_at": Choice(AFTER, start="called_at"),
        "service_ended_at": Choice(AFTER, start="service_started_at", seconds="办理秒数"),
        "abandoned": Choice(COLUMN, column="结果", value_map="弃号=true; 已办理=false"),
        "purpose": Choice(COLUMN, column="业务", value_map=PURPOSE_MAP),
    })
    return choices


EXPORT_SKIP = [SkipRule("业务", "equals", "TEST", "system test ticket")]


def test_a_duration_in_minutes_is_written_with_its_unit():
    choices = export_choices()
    choices["called_at"] = Choice(AFTER, start="arrived_at", seconds="等候秒数", unit="minutes")
    mapping = data_admin.build_mapping("in_minutes", "visits", choices, EXPORT_SKIP, NEW_HALL)
    assert mapping.columns["called_at"] == {"from": "arrived_at", "plus": "等候秒数", "unit": "minutes"}
    assert mapping.columns["service_ended_at"] == {"from": "service_started_at", "plus_seconds": "办理秒数"}
    set_language("en")
    try:
        assert data_admin.reason_text("is not a number of minutes") == "is not a number of minutes"
        assert data_admin.reason_text("is not a duration like 0:05:30 (hours:minutes:seconds)").startswith(
            "is not a duration like 0:05:30")
    finally:
        set_language("zh")
    assert data_admin.reason_text("is not a number of minutes") == "不是分钟数"


def test_the_choices_become_a_mapping_that_loads_the_export(fixture_db, tmp_path):
    path = tmp_path / EXPORT_NAME
    path.write_bytes(export_bytes())
    mapping = data_admin.build_mapping("queue_export", "visits", export_choices(), EXPORT_SKIP, NEW_HALL)
    assert mapping.columns["arrived_at"] == {"date": "日期", "date_format": "%Y/%m/%d", "time": "取号时间"}
    assert mapping.columns["called_at"] == {"from": "arrived_at", "plus_seconds": "等候秒数"}
    assert mapping.columns["service_started_at"] == {"from": "called_at"}
    assert mapping.columns["abandoned"] == {"column": "结果", "map": {"弃号": "true", "已办理": "false"}}
    assert mapping.columns["visit_id"] == "票号"
    assert mapping.skip == [{"when": {"column": "业务", "equals": "TEST"}, "reason": "system test ticket"}]
    assert mapping.halls == [NEW_HALL]
    dry = validate_file(fixture_db, path, mapping)
    # 7 rows: T999 skipped by the rule, A005's date "2026/03/5x" rejected, 5 load.
    assert (dry.rows_read, dry.rows_ok, dry.rows_rejected, dry.rows_skipped) == (7, 5, 1, 1)
    assert dry.encoding == "gb18030" and dry.delimiter == ";"
    [report] = load_files(fixture_db, [path], "admin", mapping=mapping)
    assert report.status == "loaded" and report.created_halls == ["H9"]
    got = fixture_db.cursor().execute(
        """select visit_id, arrived_at, called_at, service_started_at, service_ended_at, abandoned, purpose,
                  wait_s, service_s from visits where hall_id = 'H9' order by visit_id"""
    ).fetchall()
    at = lambda hms: datetime.fromisoformat(f"2026-03-05 {hms}")  # noqa: E731
    assert got == [
        # arrival + 120 s wait = called; called + 300 s service = ended
        ("A001", at("09:00:10"), at("09:02:10"), at("09:02:10"), at("09:07:10"), False, "bill_payment", 120.0, 300.0),
        ("A002", at("09:03:00"), at("09:18:00"), at("09:18:00"), at("09:22:00"), False, "plan_change", 900.0, 240.0),
        # abandoned: no wait or service seconds in the export, so never called
        ("A003", at("09:05:30"), None, None, None, True, "bill_payment", None, None),
        ("A004", at("09:20:00"), at("09:21:00"), at("09:21:00"), at("09:24:00"), False, "enquiry", 60.0, 180.0),
        ("A006", at("10:02:00"), at("10:02:00"), at("10:02:00"), at("10:09:00"), False, "phone_purchase", 0.0, 420.0),
    ]


def test_rules_with_one_reason_must_all_hold():
    rules = [
        SkipRule("outcome", "equals", "HANG", "menu hang-up"),
        SkipRule("q_start", "in", "0:00:00, ", "menu hang-up"),
        SkipRule("server", "is_empty", "", "no agent"),
    ]
    choices = {"visit_id": Choice(COLUMN, column="id"), "hall_id": Choice(CONSTANT, value="H1"),
               "arrived_at": Choice(COLUMN, column="at", fmt="%d.%m.%Y %H:%M"),
               "purpose": Choice(CONCAT, columns=("a", "b"), separator="/")}
    mapping = data_admin.build_mapping("x", "visits", choices, rules)
    assert mapping.skip == [
        {"when": {"all": [{"column": "outcome", "equals": "HANG"}, {"column": "q_start", "in": ["0:00:00"]}]},
         "reason": "menu hang-up"},
        {"when": {"column": "server", "is_empty": True}, "reason": "no agent"},
    ]
    assert mapping.columns["purpose"] == {"concat": ["a", "b"], "sep": "/"}
    assert mapping.columns["arrived_at"] == {"column": "at", "format": "%d.%m.%Y %H:%M"}


@pytest.mark.parametrize(("change", "message"), [
    ({"visit_id": Choice()}, "Required columns are not mapped yet: visit_id."),
    ({"hall_id": Choice(CONSTANT, value=" ")}, "hall_id: choose a value."),
    ({"arrived_at": Choice(DATE_TIME)}, "arrived_at: choose the date column."),
    ({"called_at": Choice(AFTER)}, "called_at: choose the time it starts from."),
    ({"service_ended_at": Choice(AFTER, start="service_started_at")},
     "service_ended_at starts from service_started_at, which is not mapped."),
    ({"purpose": Choice(COLUMN, column="t", value_map="PS bank")},
     "In the value map of purpose, “PS bank” is not code=value."),
    ({"purpose": Choice(CONCAT, columns=("t",))}, "purpose: choose at least two file columns."),
])
def test_an_incomplete_choice_says_which_column_and_what_is_missing(change, message):
    choices = {"visit_id": Choice(COLUMN, column="id"), "hall_id": Choice(CONSTANT, value="H1"),
               "arrived_at": Choice(COLUMN, column="at"), "purpose": Choice(COLUMN, column="t")}
    choices.update(change)
    with pytest.raises(BuildError) as e:
        data_admin.build_mapping("x", "visits", choices)
    assert str(e.value) == message


def test_bad_names_skip_rules_and_new_halls_are_refused():
    base = {"visit_id": Choice(COLUMN, column="id"), "hall_id": Choice(CONSTANT, value="H1"),
            "arrived_at": Choice(COLUMN, column="at"), "purpose": Choice(COLUMN, column="t")}
    with pytest.raises(BuildError, match="can't be used"):
        data_admin.build_mapping("排队", "visits", base)
    with pytest.raises(BuildError, match="Skip rule 1: choose a file column"):
        data_admin.build_mapping("x", "visits", base, [SkipRule(None, "equals", "a", "r")])
    with pytest.raises(BuildError, match="Skip rule 1: give the value"):
        data_admin.build_mapping("x", "visits", base, [SkipRule("c", "in", " ", "r")])
    with pytest.raises(BuildError, match="Skip rule 2: say why"):
        data_admin.build_mapping("x", "visits", base, [SkipRule("c", "is_empty", "", "r"), SkipRule("c", "is_empty", "", " ")])
    with pytest.raises(BuildError, match="New hall H1: “City” is missing"):
        data_admin.build_mapping("x", "visits", base, new_hall={"hall_id": "H1", "hall_name": "A", "region": "B", "city": ""})


def test_what_the_builder_offers_follows_the_column_type():
    assert data_admin.hows("visits", "arrived_at") == ("none", "column", "date_time")
    assert data_admin.hows("visits", "left_at") == ("none", "column", "date_time", "clock", "after")
    assert data_admin.hows("visits", "purpose") == ("none", "column", "concat", "constant")
    assert data_admin.hows("visits", "exit_score") == ("none", "column", "constant")
    # a file already in contract names starts mapped to itself
    defaults = data_admin.default_choices("visits", ["Visit ID", "hall_id", "other"])
    assert defaults["visit_id"] == Choice(COLUMN, column="Visit ID")
    assert defaults["arrived_at"] == Choice()


def test_the_preset_that_fits_is_suggested(fixture_db):
    bank = get_mapping(fixture_db, "anonymous_bank")
    bank_header = ["vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit",
                   "vru_time", "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time", "server"]
    everything = Mapping(name="reads_nothing")  # fits any file with contract columns: never suggested
    assert data_admin.suggest_preset([everything, bank], bank_header) == "anonymous_bank"
    assert data_admin.suggest_preset([everything, bank], bank_header[:-1]) is None  # no `server`
    assert data_admin.fits(bank, bank_header) and not data_admin.fits(bank, ["visit_id"])


def test_file_names_become_preset_names():
    assert data_admin.suggested_name("queue-export 03.05.csv") == "queue-export_03.05"
    assert data_admin.suggested_name(EXPORT_NAME) == "0305"
    assert data_admin.suggested_name("导出.csv") == "my_mapping"


def test_halls_load_before_purposes_and_visits():
    from pathlib import Path

    files = [(Path("v.csv"), "visits"), (Path("h.csv"), "halls"), (Path("p.csv"), "purposes"), (Path("w.csv"), "visits")]
    assert [p.name for p in data_admin.load_order(files)] == ["h.csv", "p.csv", "v.csv", "w.csv"]


# -- reasons in Chinese ------------------------------------------------------------------------
REASONS = {
    "is empty but required": "为空，但这是必填项",
    "is not a date like 260302": "不是形如 260302 的日期",
    "is not a date and time like 02.03.2026 09:05 (format %d.%m.%Y %H:%M)":
        "不是形如 02.03.2026 09:05 的日期时间（格式 %d.%m.%Y %H:%M）",
    "is not a date and time (expected e.g. 2026-03-02 09:15:00)": "不是日期时间（应形如 2026-03-02 09:15:00）",
    "is not a whole number from 1 to 5": "不是 1 到 5 之间的整数",
    "is not a known hall (add it with a halls file first)": "不是已知的营业厅（请先导入营业厅文件）",
    "repeats an id that an earlier row of this file has": "与本文件前面某行的编号重复",
    "is not a known visit (load the visit first; a rating belongs to a visit)": "不是已知的到访（请先导入这次到访；评分属于某次到访）",
    "is outside the moment's scale": "超出该关键时刻的评分范围",
    "the row has more values than the header has columns": "这一行的值比表头的列多",
    "a reason nobody has written yet": "a reason nobody has written yet",
}


@pytest.mark.parametrize(("reason", "chinese"), REASONS.items())
def test_the_loaders_reasons_read_in_chinese_and_unchanged_in_english(reason, chinese):
    set_language("zh")
    assert data_admin.reason_text(reason) == chinese
    set_language("en")
    assert data_admin.reason_text(reason) == reason


def test_a_dry_runs_reasons_are_grouped_and_translated(fixture_db, tmp_path):
    header = "visit_id,hall_id,arrived_at,purpose,exit_score"
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, "V90,H1,2026-03-02 09:00:00,enquiry,4", "V91,H7,2026-03-02 09:00:00,enquiry,9",
                               "V92,H7,2026-03-02 09:01:00,enquiry,3", "V93,H1,,enquiry,"]) + "\n", encoding="utf-8")
    report = validate_file(fixture_db, path)
    set_language("zh")
    table = data_admin.reasons_table(report)
    # rows 3 and 4 name the unknown hall H7; row 3's exit score 9 is out of range; row 5 has no arrival
    assert table.to_dict("records") == [
        {"reason": "不是已知的营业厅（请先导入营业厅文件）", "column": "hall_id", "rows": 2, "examples": "第 3 行：H7、第 4 行：H7"},
        {"reason": "为空，但这是必填项", "column": "arrived_at", "rows": 1, "examples": "第 5 行：–"},
        {"reason": "不是 1 到 5 之间的整数", "column": "exit_score", "rows": 1, "examples": "第 3 行：9"},
    ]
    assert data_admin.check_summary(report) == "bad.csv：读取 4 行（到访记录），将导入 1 行，拒绝 3 行，按规则跳过 0 行。"
    csv = data_admin.csv_bytes(data_admin.problems_table(report.rejects))
    assert csv.startswith("\ufeff".encode()) and "不是已知的营业厅" in csv.decode("utf-8-sig")


# -- targets and purposes ----------------------------------------------------------------------
def test_targets_are_edited_in_percent_and_stored_as_shares(fixture_db):
    shown = data_admin.targets_for_editing(fixture_db.query("data_targets"))
    # tests/fixture/targets.csv: network 10 min, 80 %, 10 %, 4.0, 4.0; H2 overrides the wait with 5
    assert list(shown["hall"]) == ["Network default", "Alpha Hall (H1)", "Beta Hall (H2)", "Gamma Hall (H3)"]
    assert list(shown.iloc[0, 3:]) == [10.0, 80.0, 10.0, 4.0, 4.0]
    assert shown.loc[2, "wait_target_min"] == 5.0 and shown.loc[2, "service_level_target"] != shown.loc[2, "service_level_target"]
    edited = shown.copy()
    edited.loc[1, "service_level_target"] = 85.0  # H1 gets its own 85 %
    edited.loc[2, "wait_target_min"] = None  # H2 follows the network again
    changes, problems = data_admin.target_changes(shown, edited)
    assert problems == []
    assert changes == {
        "H1": {"wait_target_min": None, "service_level_target": 0.85, "max_abandonment": None,
               "peak_target": None, "exit_target": None},
        "H2": {c: None for c in ("wait_target_min", "service_level_target", "max_abandonment", "peak_target", "exit_target")},
    }
    data_admin.save_targets(fixture_db, changes, "admin")
    targets = fixture_db.query("halls_in_scope").set_index("hall_id")
    assert targets.loc["H1", "service_level_target"] == 0.85 and targets.loc["H2", "wait_target_min"] == 10.0
    assert fixture_db.scalar("select action from audit_log order by audit_id desc limit 1") == "targets_changed"


def test_targets_out_of_range_or_missing_are_refused():
    rows = pd.DataFrame({"hall_id": ["*", "H1"], "hall_name": [None, "Alpha Hall"], "region": [None, "North"],
                         "wait_target_min": [10.0, None], "service_level_target": [0.8, None],
                         "max_abandonment": [0.1, None], "peak_target": [4.0, None], "exit_target": [4.0, None]})
    shown = data_admin.targets_for_editing(rows)
    edited = shown.copy()
    edited.loc[0, "exit_target"] = None
    edited.loc[1, "peak_target"] = 7.0
    edited.loc[1, "max_abandonment"] = 120.0
    _, problems = data_admin.target_changes(shown, edited)
    assert problems == [
        "The network default needs a value for “Exit score target”.",
        "Alpha Hall (H1): “Maximum abandonment” must be from 0 to 100.",
        "Alpha Hall (H1): “Peak score target” must be from 1 to 5.",
    ]


def test_purpose_edits_are_checked_and_saved(fixture_db):
    before = fixture_db.query("data_purposes")[["purpose", "label_zh", "label_en", "peak_moment", "visits"]]
    edited = before.copy()
    i = edited.index[edited["purpose"] == "enquiry"][0]
    edited.loc[i, "label_en"] = "General enquiry"
    edited.loc[i, "peak_moment"] = "counter_result"
    changed, problems = data_admin.purpose_changes(before, edited)
    assert problems == [] and changed.to_dict("records") == [
        {"purpose": "enquiry", "label_en": "General enquiry", "label_zh": "咨询", "peak_moment": "counter_result"}]
    data_admin.save_purposes(fixture_db, changed, "admin")
    after = fixture_db.query("data_purposes").set_index("purpose")
    assert (after.loc["enquiry", "label_en"], after.loc["enquiry", "peak_moment"]) == ("General enquiry", "counter_result")
    edited.loc[i, "label_zh"] = " "
    _, problems = data_admin.purpose_changes(before, edited)
    assert problems == ["enquiry: the Chinese label can't be empty."]


# -- queries -----------------------------------------------------------------------------------
def test_data_targets_rows(fixture_db):
    got = fixture_db.query("data_targets")
    # network row first, then halls by region and name; only H2 has an override (wait 5 min)
    assert list(got["hall_id"]) == ["*", "H1", "H2", "H3"]
    assert got.iloc[0][["wait_target_min", "service_level_target", "max_abandonment", "peak_target", "exit_target"]].tolist() == [10.0, 0.8, 0.1, 4.0, 4.0]
    assert got.loc[2, "wait_target_min"] == 5.0 and got.loc[[1, 3], "wait_target_min"].isna().all()
    only_h3 = fixture_db.query("data_targets", None, Scope.halls({"H3"}))
    assert list(only_h3["hall_id"]) == ["*", "H3"]


def test_data_purposes_rows(fixture_db):
    got = fixture_db.query("data_purposes")
    # tests/fixture/visits.csv: V01-V13 by purpose; ordered by peak moment, then code
    assert got[["purpose", "peak_moment", "visits"]].values.tolist() == [
        ["bill_payment", "counter_result", 5], ["plan_change", "counter_result", 2],
        ["data_demo", "data_experience", 2], ["enquiry", "other", 2], ["phone_purchase", "phone_purchase", 2],
    ]
    h3 = fixture_db.query("data_purposes", None, Scope.halls({"H3"}))
    assert int(h3["visits"].sum()) == 2  # H3 has V12 and V13


def test_data_load_halls_rows(fixture_db):
    # load 2 is tests/fixture/visits.csv: H1 7 visits, H2 4, H3 2
    got = fixture_db.query("data_load_halls", load_id=2)
    assert got[["hall_id", "hall_name", "visits"]].values.tolist() == [
        ["H1", "Alpha Hall", 7], ["H2", "Beta Hall", 4], ["H3", "Gamma Hall", 2]]
    assert got.loc[0, "first_day"].date() == date(2026, 3, 2) and got.loc[0, "last_day"].date() == date(2026, 3, 8)
    assert links.hall_link("H1", got.loc[0, "first_day"], got.loc[0, "last_day"]) == {
        "hall": "H1", "from": "2026-03-02", "to": "2026-03-08"}
    assert fixture_db.query("data_load_halls", None, Scope.halls({"H3"}), load_id=2)["hall_id"].tolist() == ["H3"]
    assert fixture_db.query("data_load_halls", load_id=1).empty  # a halls load brings no visits


def test_history_reads_in_the_users_words(fixture_db):
    from peakend.warehouse.ingest import load_history, undo

    undo(fixture_db, 2, "admin")
    table = data_admin.history_table(load_history(fixture_db))
    # newest first: the staff roster (load 3), the visits (2, undone), the halls (1)
    assert table["file_name"].tolist() == ["staff.csv", "visits.csv", "halls.csv"]
    assert table.loc[1, "status"].startswith("undone by admin at ")
    assert table.loc[2, "status"] == "in force" and table.loc[2, "kind"] == "halls"
    assert table.loc[0, "kind"] == "staff"
    set_language("zh")
    zh = data_admin.history_table(load_history(fixture_db))
    assert zh.loc[2, "status"] == "有效" and zh.loc[0, "kind"] == "员工名单"
