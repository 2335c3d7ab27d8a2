"""Exports of the explore page (CSV, Excel, Parquet) respect scope, filters and the drilled
group, and saved views are kept per user in the database."""

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from peakend.explore import export as explore_export
from peakend.explore import saved_views as explore_views
from peakend.explore.logic import ExploreView, parse_query_string, query_string
from peakend.core.filters import VisitFilter
from peakend.warehouse.schema import MIGRATIONS
from peakend.core.scope import EVERYTHING, Scope

NO_DRILL = ExploreView(group_1=None).drill_params()


def read_back(path, fmt) -> pd.DataFrame:
    if fmt == "csv":
        with open(path, "rb") as fh:
            assert fh.read(3) == explore_export.UTF8_BOM
        return pd.read_csv(path, encoding="utf-8-sig", dtype={"visit_id": str})
    if fmt == "parquet":
        return pd.read_parquet(path)
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book["visits"].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.mark.parametrize("fmt", explore_export.FORMATS)
def test_visit_export_holds_exactly_the_matching_visits(fixture_db, tmp_path, fmt):
    path = str(tmp_path / f"all.{fmt}")
    assert explore_export.write_visits(fixture_db, VisitFilter(), EVERYTHING, NO_DRILL, fmt, path) == 13
    frame = read_back(path, fmt)
    assert sorted(frame["visit_id"]) == [f"V{i:02d}" for i in range(1, 14)]
    v05 = frame[frame["visit_id"] == "V05"].iloc[0]
    assert v05["exit_comment"] == "Good deal on the phone" and float(v05["wait_min"]) == 2.0
    assert str(v05["arrived_at"]).startswith("2026-03-03 17:30")
    # filters: North visits that gave up
    path = str(tmp_path / f"north_gave_up.{fmt}")
    rows = explore_export.write_visits(
        fixture_db, VisitFilter(regions=("North",), abandoned=True), EVERYTHING, NO_DRILL, fmt, path)
    assert rows == 3 and sorted(read_back(path, fmt)["visit_id"]) == ["V04", "V07", "V11"]


@pytest.mark.parametrize("fmt", explore_export.FORMATS)
def test_visit_export_respects_scope_and_the_drilled_group(fixture_db, tmp_path, fmt):
    path = str(tmp_path / f"h3.{fmt}")
    explore_export.write_visits(fixture_db, VisitFilter(), Scope.halls(["H3"]), NO_DRILL, fmt, path)
    assert sorted(read_back(path, fmt)["visit_id"]) == ["V12", "V13"]
    # a filter for a hall outside the scope exports nothing
    path = str(tmp_path / f"none.{fmt}")
    assert explore_export.write_visits(
        fixture_db, VisitFilter(halls=("H1",)), Scope.halls(["H3"]), NO_DRILL, fmt, path) == 0
    # the group Tuesday of the grouping by weekday: V05, V10, V11
    drill = ExploreView(group_1="weekday", drill=("2",)).drill_params()
    path = str(tmp_path / f"tuesday.{fmt}")
    explore_export.write_visits(fixture_db, VisitFilter(), EVERYTHING, drill, fmt, path)
    assert sorted(read_back(path, fmt)["visit_id"]) == ["V05", "V10", "V11"]


def test_excel_stops_at_its_row_limit(fixture_db, tmp_path):
    path = str(tmp_path / "capped.xlsx")
    assert explore_export.write_visits(fixture_db, VisitFilter(), EVERYTHING, NO_DRILL, "xlsx", path, max_rows=5) == 5
    assert len(read_back(path, "xlsx")) == 5


def test_excel_keeps_a_formula_looking_comment_as_text(tmp_path):
    table = pa.table({"visit_id": ["X1"], "exit_comment": ['=HYPERLINK("http://evil","click")']})
    path = str(tmp_path / "formula.xlsx")
    explore_export._write_excel(table.to_reader(), path, 10)
    cell = openpyxl.load_workbook(path)["visits"]["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil","click")'


def test_visits_are_read_in_record_batches_not_all_at_once(fixture_db, tmp_path, monkeypatch):
    monkeypatch.setattr(explore_export, "BATCH_ROWS", 4)
    sizes = []
    original = explore_export._write_excel

    def recording(reader, path, limit):
        def batches():
            for batch in reader:
                sizes.append(batch.num_rows)
                yield batch

        return original(pa.RecordBatchReader.from_batches(reader.schema, batches()), path, limit)

    monkeypatch.setattr(explore_export, "_write_excel", recording)
    path = str(tmp_path / "batches.xlsx")
    assert explore_export.write_visits(fixture_db, VisitFilter(), EVERYTHING, NO_DRILL, "xlsx", path) == 13
    assert sizes == [4, 4, 4, 1]
    assert len(read_back(path, "xlsx")) == 13


@pytest.mark.parametrize("fmt", explore_export.FORMATS)
def test_result_export_is_the_table_on_screen(tmp_path, fmt):
    table = pd.DataFrame({"大区": ["North", "South"], "到访人次": [11, 2], "等候中位数": [5.0, 20.0]})
    path = str(tmp_path / f"result.{fmt}")
    assert explore_export.write_table(table, fmt, path) == 2
    if fmt == "csv":
        back = pd.read_csv(path, encoding="utf-8-sig")
    elif fmt == "parquet":
        back = pd.read_parquet(path)
    else:
        back = pd.read_excel(path)
    assert list(back.columns) == ["大区", "到访人次", "等候中位数"]
    assert list(back["等候中位数"]) == [5.0, 20.0]


def test_a_deferred_download_writes_on_call_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    produce = explore_export.as_download(lambda path: open(path, "w").write("hello"), "csv")
    assert list(tmp_path.iterdir()) == []  # nothing is made before the click
    handle = produce()
    assert handle.read() == b"hello"
    handle.close()
    assert list(tmp_path.iterdir()) == []


# -- saved views -------------------------------------------------------------------------

def test_saved_views_are_kept_per_user_and_replaced_by_name(fixture_db):
    view = ExploreView(group_1="hall", filters=VisitFilter(weekdays=(6, 7)))
    assert explore_views.save_view(fixture_db, "alice", "  Weekend   halls ", query_string(view)) == "Weekend halls"
    explore_views.save_view(fixture_db, "bob", "Weekend halls", "by=region")
    mine = explore_views.list_views(fixture_db, "alice")
    assert list(mine["name"]) == ["Weekend halls"]
    reopened, dropped = parse_query_string(mine["query_string"].iloc[0], _options(fixture_db))
    assert reopened == view and dropped == {}
    explore_views.save_view(fixture_db, "alice", "Weekend halls", "by=city")
    assert list(explore_views.list_views(fixture_db, "alice")["query_string"]) == ["by=city"]
    assert explore_views.delete_view(fixture_db, "alice", "Weekend halls")
    assert explore_views.list_views(fixture_db, "alice").empty
    assert list(explore_views.list_views(fixture_db, "bob")["name"]) == ["Weekend halls"]
    assert not explore_views.delete_view(fixture_db, "alice", "Weekend halls")


def test_saving_a_view_does_not_empty_the_caches(fixture_db):
    before = fixture_db.data_version()
    explore_views.save_view(fixture_db, "alice", "x", "by=hall")
    assert fixture_db.data_version() == before


@pytest.mark.parametrize("name", ["Robert'); drop table saved_views; --", "x' or '1'='1", "名字 /* */ ;"])
def test_view_names_with_sql_in_them_are_stored_as_written(fixture_db, name):
    explore_views.save_view(fixture_db, "alice", name, "by=hall")
    explore_views.save_view(fixture_db, "mallory", "other", "by=city")
    assert list(explore_views.list_views(fixture_db, "alice")["name"]) == [name]
    assert list(explore_views.list_views(fixture_db, "x' or '1'='1")["name"]) == []


def test_view_names_must_be_given_and_short():
    with pytest.raises(explore_views.ViewNameError, match="empty"):
        explore_views.clean_name("   ")
    with pytest.raises(explore_views.ViewNameError, match="long"):
        explore_views.clean_name("x" * 81)


def test_owner_is_the_signed_in_user_or_anonymous():
    class User:
        username = "hq"
        display_name = "Head office"

    assert explore_views.owner_name(User()) == "hq"
    assert explore_views.owner_name("alice") == "alice"
    assert explore_views.owner_name(None) == "anonymous"


def test_saved_views_migration_can_run_twice(fixture_db):
    migration = next(m for m in MIGRATIONS if m.__name__ == "_saved_views")
    cur = fixture_db.cursor()
    migration(cur)  # the table exists already: nothing happens, nothing breaks
    cur.close()
    assert fixture_db.scalar("select count(*) from saved_views") == 0


def _options(db):
    from peakend.explore.logic import FilterOptions

    return FilterOptions.from_frame(db.query("explore_filter_options", VisitFilter()))
