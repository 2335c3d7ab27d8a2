"""Loading files: each file in one transaction through the warehouse write path, a dry run
that writes nothing, undo, and the load history.

Loading the same content twice: when a file's bytes and mapping match an earlier load that
is still in force, had no rejects, and none of whose rows a later load has replaced, the
second load would change nothing, so it writes nothing and reports "unchanged" (naming the
earlier load). Otherwise the file loads again: every visit_id it sends replaces the stored
row (the old one is kept for undo), which leaves the same rows visible.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.csv as pacsv

from peakend.warehouse import store as warehouse
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import presets
from peakend.warehouse.ingest.errors import FileRefused, MappingError
from peakend.warehouse.ingest.mapping import Mapping
from peakend.warehouse.ingest.reports import LoadReport, ValidationReport
from peakend.warehouse.ingest.settings import canonical_zone
from peakend.warehouse.ingest.validate import (
    Checked,
    check_file,
    duration_notes,
    period_duration_notes,
    problems_frame,
    reader_notes,
    reasons_frame,
    rejected_rows,
)
from peakend.warehouse.rollup_check import WriteCheckError
from peakend.warehouse.schema import HALL_COLUMNS

Progress = Callable[[float, str], None]


class _Unchanged(Exception):
    """Raised inside the transaction to roll it back when the file was loaded already."""

    def __init__(self, load_id: int):
        self.load_id = load_id


def rejects_path(path: Path) -> Path:
    """Where a load writes the rows it rejected: beside the input, `<file>.rejects.csv`."""
    return path.with_name(path.name + ".rejects.csv")


def _no_progress(fraction: float, message: str) -> None:
    pass


def load_files(
    db: Database,
    paths: Iterable[str | Path],
    loaded_by: str,
    mapping: Mapping | str | None = None,
    halls_path: str | Path | None = None,
    progress: Progress | None = None,
    kind: str | None = None,
    sheet: str | dict[str, str] | None = None,
    strict: bool = False,
    writable_halls: list[str] | None = None,
    merge: bool = False,
    live: bool = False,
) -> list[LoadReport]:
    """Load each file in its own transaction; return one report per file (halls file first).

    `mapping`: a Mapping or the name of a saved/shipped one, applied to every file in
    `paths`; None means the files use contract columns and their kind (visits, halls or
    purposes) is read from the header unless `kind` says it. `halls_path` is a halls file
    loaded before the others. `progress(fraction, message)` hears how far the whole call is.
    `sheet` picks a workbook's sheet (for every file, or by path as a dict); `strict` refuses a file with unknown columns.
    `writable_halls` (the ingest API: a source's halls) rejects the rows of any other hall.
    `merge` (the ingest API: visits in pieces) keeps a stored visit's values where a
    re-sent row has none (warehouse.store.insert_visits).
    `live` (the ingest API: a feed's batch every second or so) commits as a live write
    (Database.transaction): pages show it within LIVE_CACHE_S, the today panel at once.
    """
    progress = progress or _no_progress
    jobs: list[tuple[Path, Mapping | None, str | None]] = []
    if halls_path is not None:
        jobs.append((Path(halls_path), None, "halls"))
    try:
        resolved = presets.resolve(db, mapping)
    except MappingError as e:
        return [
            LoadReport(Path(p), "refused", f"{Path(p).name}: {e}", mapping=str(mapping))
            for p in [*([halls_path] if halls_path else []), *paths]
        ]
    jobs.extend((Path(p), resolved, kind) for p in paths)
    reports = []
    for i, (path, job_mapping, job_kind) in enumerate(jobs):

        def sub(fraction: float, message: str, i=i) -> None:
            progress((i + fraction) / len(jobs), message)

        picked = sheet.get(str(path)) if isinstance(sheet, dict) else sheet
        options = (
            {"sheet": picked, "strict": strict, "writable_halls": writable_halls, "merge": merge, "live": live}
            if path != (Path(halls_path) if halls_path else None)
            else {}
        )
        reports.append(_load_one(db, path, job_mapping, job_kind, loaded_by, sub, **options))
    progress(1.0, "done")
    return reports


def _load_one(
    db,
    path,
    mapping,
    kind,
    loaded_by,
    progress,
    sheet=None,
    strict=False,
    writable_halls=None,
    merge=False,
    live=False,
) -> LoadReport:
    started = time.perf_counter()
    progress(0.0, f"reading {path.name}")
    try:
        with tempfile.TemporaryDirectory(prefix="peakend-load-") as workdir:
            try:
                report, arrow_rejects = db.write(
                    lambda cur: _load_in_transaction(
                        cur,
                        path,
                        Path(workdir),
                        mapping,
                        kind,
                        loaded_by,
                        progress,
                        sheet,
                        strict,
                        writable_halls,
                        merge,
                    ),
                    live=live,
                )
            except _Unchanged as u:
                report = _unchanged_report(db, path, u.load_id, mapping)
                arrow_rejects = None
    except (FileRefused, MappingError) as e:
        return _refused(path, str(e), mapping, started)
    except WriteCheckError as e:
        return _refused(path, f"{path.name}: {e}", mapping, started)
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        return _refused(
            path, f"{path.name}: the database refused the load ({first}); nothing was written.", mapping, started
        )
    except OSError as e:
        return _refused(path, f"{path.name}: could not be read ({e.strerror or e}).", mapping, started)
    if report.status == "loaded":
        _write_rejects_csv(report, arrow_rejects)
    report.seconds = time.perf_counter() - started
    report.message = report.summary()
    progress(1.0, f"{path.name}: {report.status}")
    return report


def _refused(path: Path, message: str, mapping: Mapping | None, started: float) -> LoadReport:
    return LoadReport(
        path,
        "refused",
        message,
        mapping=mapping.name if mapping else None,
        seconds=time.perf_counter() - started,
    )


def _write_rejects_csv(report: LoadReport, arrow_rejects) -> None:
    target = rejects_path(report.file)
    try:
        if arrow_rejects is None:
            # a rejects file from an earlier version of this file would now mislead
            target.unlink(missing_ok=True)
            return
        with target.open("wb") as fh:
            fh.write(b"\xef\xbb\xbf")  # BOM: spreadsheet programs then read it as UTF-8
            pacsv.write_csv(arrow_rejects, fh)
        report.rejects_csv = target
    except OSError as e:
        report.warnings.append(f"could not write {target.name} ({e.strerror or e}); the rejects are in the database")


def _prepare_mapping_rows(cur, mapping: Mapping | None, loaded_by: str, write: bool) -> tuple[list[str], list[str]]:
    """Halls and purposes a mapping brings: the ones missing from the database. When
    `write`, add them (the halls as their own load, so they can be undone)."""
    if mapping is None:
        return [], []
    hall_ids = [h["hall_id"] for h in mapping.halls]
    known = {r[0] for r in cur.execute("select hall_id from halls").fetchall()}
    new_halls = [h for h in mapping.halls if h["hall_id"] not in known]
    known_purposes = {r[0] for r in cur.execute("select purpose from purposes").fetchall()}
    new_purposes = [p for p in mapping.purposes if p["purpose"] not in known_purposes]
    if write and new_halls:
        cols = [c for c in HALL_COLUMNS if c != "load_id"]
        types = {c: HALL_COLUMNS[c].replace(" not null", "") for c in cols}
        cur.execute("create or replace temp table __mapping_halls (" + ", ".join(f"{c} {types[c]}" for c in cols) + ")")
        cur.executemany(
            f"insert into __mapping_halls values ({', '.join('?' for _ in cols)})",
            [[_hall_value(h, c) for c in cols] for h in new_halls],
        )
        load_id = warehouse.start_load(cur, "halls", loaded_by, f"mapping {mapping.name}", mapping.name)
        inserted, replaced = warehouse.insert_halls(cur, "__mapping_halls", load_id)
        warehouse.finish_load(cur, load_id, inserted, 0, replaced)
    if write and new_purposes:
        cur.execute(
            "create or replace temp table __mapping_purposes (purpose varchar, label_en varchar, "
            "label_zh varchar, peak_moment varchar)"
        )
        cur.executemany(
            "insert into __mapping_purposes values (?, ?, ?, ?)",
            [[p["purpose"], p["label_en"], p["label_zh"], p.get("peak_moment", "other")] for p in new_purposes],
        )
        warehouse.upsert_purposes(cur, "__mapping_purposes")
    return hall_ids, [h["hall_id"] for h in new_halls]


def _hall_value(hall: dict, column: str):
    """A value of a hall a mapping brings, as stored (a time zone by its canonical name)."""
    if column == "time_zone":
        return canonical_zone(str(hall.get("time_zone") or "")) or None
    return hall.get(column)


def _earlier_identical(cur, checked: Checked) -> int | None:
    """An earlier load of the same bytes with the same mapping whose effect is still
    entirely in place (see the module docstring), or None."""
    if checked.kind == "purposes":
        return None
    mapping_sha = None if checked.mapping.name == "contract" else checked.mapping.fingerprint()
    rows = cur.execute(
        """select l.load_id from load_sources as s join loads as l using (load_id)
           where s.content_sha256 = $sha and s.mapping_sha256 is not distinct from $msha
             and l.kind = $kind and l.status = 'loaded' and l.rows_rejected = 0
           order by l.load_id desc limit 1""",
        {"sha": checked.staged.sha256, "msha": mapping_sha, "kind": checked.kind},
    ).fetchall()
    if not rows:
        return None
    earlier = rows[0][0]
    replaced_table = {
        "visits": "visits_replaced",
        "staff": "staff_replaced",
        "periods": "hall_periods_replaced",
        "ratings": "moment_ratings_replaced",
    }.get(checked.kind, "halls_replaced")
    touched = cur.execute(
        f"""select count(*) from {replaced_table} as r
            join loads as l on l.load_id = r.replaced_by_load and l.status = 'loaded'
            where r.load_id = ?""",
        [earlier],
    ).fetchall()[0][0]
    return None if touched else earlier


def _load_in_transaction(
    cur,
    path,
    workdir,
    mapping,
    kind,
    loaded_by,
    progress,
    sheet=None,
    strict=False,
    writable_halls=None,
    merge=False,
):
    extra_halls, created_halls = _prepare_mapping_rows(cur, mapping, loaded_by, write=True)
    progress(0.05, f"checking {path.name}")
    checked = check_file(cur, path, workdir, mapping, kind, extra_halls, sheet, strict, writable_halls)
    # a source's rows of other halls are rejected now whatever an earlier load of the bytes did
    earlier = None if writable_halls is not None and checked.rows_rejected else _earlier_identical(cur, checked)
    if earlier is not None:
        raise _Unchanged(earlier)
    progress(0.7, f"writing {path.name}")
    m = checked.mapping
    load_id = warehouse.start_load(cur, m.kind, loaded_by, path.name, None if m.name == "contract" else m.name)
    new_purposes: list[str] = []
    if m.kind == "visits":
        new_purposes = [
            r[0]
            for r in cur.execute(
                """select distinct purpose from __clean
                   where purpose not in (select purpose from purposes) order by purpose"""
            ).fetchall()
        ]
        if new_purposes:
            # DESIGN.md: unknown purpose codes load as peak moment `other`, labelled by code
            cur.execute(
                """create or replace temp table __new_purposes as
                   select unnest($codes::varchar[]) as purpose, purpose as label_en,
                          purpose as label_zh, 'other' as peak_moment""",
                {"codes": new_purposes},
            )
            warehouse.upsert_purposes(cur, "__new_purposes")
        inserted, replaced = warehouse.insert_visits(cur, "__clean", load_id, merge=merge)
    elif m.kind == "halls":
        inserted, replaced = warehouse.insert_halls(cur, "__clean", load_id)
    elif m.kind == "staff":
        inserted, replaced = warehouse.insert_staff(cur, "__clean", load_id)
    elif m.kind == "periods":
        inserted, replaced = warehouse.insert_periods(cur, "__clean", load_id)
    elif m.kind == "ratings":
        inserted, replaced = warehouse.insert_ratings(cur, "__clean", load_id)
    else:
        replaced = cur.execute(
            "select count(*) from __clean where purpose in (select purpose from purposes)"
        ).fetchall()[0][0]
        inserted = warehouse.upsert_purposes(cur, "__clean")
    warehouse.finish_load(cur, load_id, inserted, checked.rows_rejected, replaced)
    cur.execute(
        "insert into rejects select $load, $file, row, column_name, value, reason from __problems",
        {"load": load_id, "file": path.name},
    )
    cur.execute(
        "insert into load_sources values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            checked.staged.sha256,
            checked.staged.size,
            checked.staged.format,
            checked.staged.encoding,
            None if m.name == "contract" else m.fingerprint(),
            None if m.name == "contract" else m.to_json(),
            sum(checked.skipped.values()),
            json.dumps(checked.skipped, ensure_ascii=False) if checked.skipped else None,
        ],
    )
    arrow_rejects = rejected_rows(cur, checked.staged) if checked.rows_rejected else None
    report = LoadReport(
        path,
        "loaded",
        kind=m.kind,
        mapping=None if m.name == "contract" else m.name,
        load_id=load_id,
        rows_read=checked.rows_read,
        rows_loaded=inserted,
        rows_replaced=replaced,
        rows_rejected=checked.rows_rejected,
        rows_skipped=sum(checked.skipped.values()),
        skipped_by_reason=checked.skipped,
        new_purposes=new_purposes,
        created_halls=created_halls,
        ignored_columns=checked.compiled.ignored_columns,
        rejects=problems_frame(cur, path.name),
        file_format=checked.staged.format,
        encoding=checked.staged.encoding,
        delimiter=checked.staged.delimiter,
        **_said(checked),
    )
    return report, arrow_rejects


def _said(checked: Checked) -> dict:
    """What a dry run and a load both say besides counts."""
    return {
        "unknown_columns": checked.unknown_columns or [],
        "offsets": checked.offsets,
        "time_zone": checked.time_zone,
        "notes": reader_notes(checked.staged),
        "sheet": checked.staged.sheet,
    }


def _unchanged_report(db: Database, path: Path, load_id: int, mapping: Mapping | None) -> LoadReport:
    cur = db.cursor()
    try:
        kind, accepted = cur.execute("select kind, rows_accepted from loads where load_id = ?", [load_id]).fetchall()[0]
        skipped = cur.execute(
            "select rows_skipped, skipped_by_reason from load_sources where load_id = ?", [load_id]
        ).fetchall()[0]
    finally:
        cur.close()
    report = LoadReport(
        path,
        "unchanged",
        kind=kind,
        mapping=mapping.name if mapping else None,
        same_as_load=load_id,
        rows_read=accepted + skipped[0],
        rows_loaded=accepted,
        rows_skipped=skipped[0],
        skipped_by_reason=json.loads(skipped[1]) if skipped[1] else {},
    )
    return report


def validate_file(
    db: Database,
    path: str | Path,
    mapping: Mapping | str | None = None,
    kind: str | None = None,
    sheet: str | None = None,
    strict: bool = False,
) -> ValidationReport:
    """A dry run: every check a load makes, nothing written (only temporary tables in a
    cursor of its own, gone when it closes)."""
    path = Path(path)
    started = time.perf_counter()
    cur = db.cursor()
    try:
        resolved = presets.resolve(db, mapping)
        with tempfile.TemporaryDirectory(prefix="peakend-check-") as workdir:
            hall_ids, _ = _prepare_mapping_rows(cur, resolved, "", write=False)
            checked = check_file(cur, path, Path(workdir), resolved, kind, hall_ids, sheet, strict)
            m = checked.mapping
            table = {
                "visits": ("visits", "visit_id"),
                "halls": ("halls", "hall_id"),
                "purposes": ("purposes", "purpose"),
                "staff": ("staff", "staff_id"),
                "periods": ("hall_periods", "period_start"),
                "ratings": ("moment_ratings", "moment"),
            }[m.kind]
            same = {  # the kinds whose key is two columns
                "periods": "p.hall_id = c.hall_id and p.period_start = c.period_start",
                "ratings": "p.visit_id = c.visit_id and p.moment = c.moment",
            }.get(m.kind)
            existing = cur.execute(
                f"select count(*) from __clean as c semi join {table[0]} as p on {same}"
                if same
                else f"select count(*) from __clean where {table[1]} in (select {table[1]} from {table[0]})"
            ).fetchall()[0][0]
            new_purposes = []
            if m.kind == "visits":
                preset_codes = [p["purpose"] for p in m.purposes]
                new_purposes = [
                    r[0]
                    for r in cur.execute(
                        """select distinct purpose from __clean
                           where purpose not in (select purpose from purposes)
                             and not list_contains($preset::varchar[], purpose) order by purpose""",
                        {"preset": preset_codes},
                    ).fetchall()
                ]
            return ValidationReport(
                path,
                "ok",
                kind=m.kind,
                mapping=None if m.name == "contract" else m.name,
                rows_read=checked.rows_read,
                rows_ok=checked.rows_ok,
                rows_existing=existing,
                rows_rejected=checked.rows_rejected,
                rows_skipped=sum(checked.skipped.values()),
                skipped_by_reason=checked.skipped,
                reasons=reasons_frame(cur),
                rejects=problems_frame(cur, path.name),
                new_purposes=new_purposes,
                ignored_columns=checked.compiled.ignored_columns,
                sheets=checked.staged.sheets,
                **_said(checked),
                # the median wait and service time the load would store, and a warning
                # when one is implausible
                durations=(
                    duration_notes(cur)
                    if m.kind == "visits" and checked.rows_ok
                    else period_duration_notes(cur)
                    if m.kind == "periods" and checked.rows_ok
                    else []
                ),
                file_format=checked.staged.format,
                encoding=checked.staged.encoding,
                delimiter=checked.staged.delimiter,
                header_row=checked.staged.header_row,
                seconds=time.perf_counter() - started,
            )
    except (FileRefused, MappingError) as e:
        return ValidationReport(path, "refused", str(e), seconds=time.perf_counter() - started)
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        return ValidationReport(path, "refused", f"{path.name}: could not be checked ({first}).")
    except OSError as e:
        return ValidationReport(path, "refused", f"{path.name}: could not be read ({e.strerror or e}).")
    finally:
        cur.close()


def undo(db: Database, load_id: int, user: str) -> None:
    """Take a load back out in one transaction (its rows go, rows it replaced come back).
    Raises warehouse.UndoError with the reason when it can't."""

    def _write(cur):
        rows = cur.execute("select kind from loads where load_id = ?", [load_id]).fetchall()
        if rows and rows[0][0] == "purposes":
            raise warehouse.UndoError(
                f"load {load_id} changed purpose labels, which are not versioned; load a "
                "corrected purposes file instead"
            )
        if rows and rows[0][0] == "halls":
            # halls this load added (not replaced) would vanish, and with them every
            # visit or hourly report of theirs from every page
            users = []
            for table, what in (("visits", "the visits"), ("hall_periods", "the hourly reports")):
                loads = cur.execute(
                    f"""select distinct v.load_id from {table} as v
                        join halls as h on h.hall_id = v.hall_id and h.load_id = $id
                        where h.hall_id not in (select hall_id from halls_replaced
                                                where replaced_by_load = $id)
                        order by v.load_id""",
                    {"id": load_id},
                ).fetchall()
                if loads:
                    users.append(f"{what} of load {', '.join(str(r[0]) for r in loads)}")
            if users:
                raise warehouse.UndoError(
                    f"load {load_id} added halls that {' and '.join(users)} belong to; undo those first"
                )
        warehouse.undo_load(cur, load_id, user)

    db.write(_write)


def load_history(db: Database, limit: int = 200) -> pd.DataFrame:
    """Loads, newest first, with what each read."""
    cur = db.cursor()
    try:
        return cur.execute(
            """select l.load_id, l.loaded_at, l.loaded_by, l.kind, l.file_name, l.mapping,
                      l.rows_accepted, l.rows_rejected, l.rows_replaced,
                      coalesce(s.rows_skipped, 0) as rows_skipped, l.status, l.undone_at,
                      l.undone_by, s.file_format, s.size_bytes, s.content_sha256
               from loads as l left join load_sources as s using (load_id)
               order by l.load_id desc limit ?""",
            [limit],
        ).df()
    finally:
        cur.close()


def load_rejects(db: Database, load_id: int) -> pd.DataFrame:
    """The rows a load rejected, one row per problem (file, row, column, value, reason)."""
    cur = db.cursor()
    try:
        return cur.execute(
            """select file_name as file, row_number as row, column_name as column, value, reason
               from rejects where load_id = ? order by row_number, column_name""",
            [load_id],
        ).df()
    finally:
        cur.close()
