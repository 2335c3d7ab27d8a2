"""The data page's sections: upload and preview, the column mapping (a preset, one built
on the page, or JSON), the check before anything is written, the load with its progress,
the load history with undo, and the targets and purposes tables.

Reading, checking and loading are peakend.warehouse.ingest's; the words and the tables an admin
edits are peakend.data_admin.logic's. Every write is audited with the signed-in user.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, cast

import streamlit as st

from peakend import auth
from peakend.auth import User
from peakend.core import formatting, links
from peakend.core.i18n import t
from peakend.core.metrics import service_level_definition
from peakend.core.moments import ALL_PEAK_MOMENTS
from peakend.core.safe_text import md
from peakend.data_admin import logic as data_admin
from peakend.data_admin.logic import AFTER, CLOCK, COLUMN, CONCAT, CONSTANT, DATE_TIME, BuildError, Choice, SkipRule
from peakend.ui.answers import run
from peakend.ui.navigation import PAGES, ROOT
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import (
    FilePreview,
    FileRefused,
    Mapping,
    MappingError,
    UndoError,
    ValidationReport,
    get_mapping,
    list_mappings,
    load_files,
    load_history,
    load_rejects,
    preview_file,
    save_mapping,
    save_upload,
    undo,
    validate_file,
)
from peakend.warehouse.ingest.contract import FIELDS, KINDS
from peakend.warehouse.ingest.mapping import DURATION_UNITS
from peakend.warehouse.ingest.uploads import safe_name
from peakend.warehouse.schema import SERVICE_LEVEL_RULES, TARGET_COLUMNS

UPLOAD_TYPES = ["csv", "tsv", "txt", "tab", "xlsx", "xlsm", "parquet", "pq", "gz", "zip"]
PREVIEW_ROWS = 10
CONTRACT, BUILD, JSON = "__contract__", "__build__", "__json__"
HALL_PAGE = ROOT / next(spec.file for spec in PAGES if spec.key == "hall")
REPORTS_PAGE = ROOT / next(spec.file for spec in PAGES if spec.key == "reports")
_NOTICE = "dm_notice"


def _notice(section: str, level: str, key: str, **values) -> None:
    # kept as a catalogue key: a callback runs before the run has set the language
    st.session_state.setdefault(_NOTICE, {})[section] = (level, key, values)


def show_notice(section: str) -> None:
    """A message a write left for after its rerun (saved, undone)."""
    level, key, values = st.session_state.get(_NOTICE, {}).pop(section, (None, None, None))
    if level:
        getattr(st, level)(t(key, **values))


# -- 1. files ---------------------------------------------------------------------------------
def _upload_dir() -> Path:
    folder = st.session_state.get("dm_upload_dir")
    if folder is None or not Path(folder).is_dir():
        folder = tempfile.mkdtemp(prefix="peakend-upload-")
        st.session_state["dm_upload_dir"] = folder
    return Path(folder)


def uploaded_files() -> list[Path]:
    """The files in the uploader, written to this session's temporary folder under their
    own names (one folder per upload, so two files of the same name don't collide)."""
    files = (
        st.file_uploader(
            t("data.files.upload"),
            type=UPLOAD_TYPES,
            accept_multiple_files=True,
            key="dm_upload",
            help=t("data.files.upload_help"),
        )
        or []
    )
    folder = _upload_dir()
    paths, keep = [], set()
    for f in files:
        sub = folder / re.sub(r"[^A-Za-z0-9_-]", "_", str(f.file_id))
        # the upload's own name (made safe), so messages and the load log name it; a load
        # writes its rejects file beside it
        path = sub / safe_name(f.name)
        if not path.exists():
            path = save_upload(f.getvalue(), f.name, sub)
        keep.add(sub.name)
        paths.append(path)
    for old in folder.iterdir():
        if old.name not in keep:  # a file taken out of the uploader
            shutil.rmtree(old, ignore_errors=True)
    return paths


@st.cache_data(show_spinner=False, max_entries=32)
def _preview(
    path: str, size: int, mtime_ns: int, sheet: str | None = None, max_unpacked_bytes: int | None = None
) -> tuple[FilePreview | None, str | None]:
    try:
        return preview_file(path, rows=PREVIEW_ROWS, sheet=sheet, max_unpacked_bytes=max_unpacked_bytes), None
    except FileRefused as e:
        return None, str(e)


def _sheet_key(path: Path) -> str:
    return f"dm_sheet_{path.parent.name}"


def chosen_sheet(path: Path) -> str | None:
    """The sheet picked for a workbook on the page (None: the one the reader chooses)."""
    return st.session_state.get(_sheet_key(path))


def chosen_sheets(paths: list[Path]) -> dict[str, str]:
    return {str(p): s for p in paths if (s := chosen_sheet(p))}


def preview(path: Path, max_unpacked_bytes: int | None = None) -> tuple[FilePreview | None, str | None]:
    stat = path.stat()
    return _preview(str(path), stat.st_size, stat.st_mtime_ns, chosen_sheet(path), max_unpacked_bytes)


def files_with_previews(db: Database | None = None) -> tuple[list[Path], list[FilePreview]]:
    """The uploader, then each file's preview; the files that could be read, with their
    previews (a file that can't be read says why and stays out of the load). A .gz or
    .zip is unpacked up to the database's limit."""
    paths = uploaded_files()
    if not paths:
        st.caption(t("data.files.none"))
    cap = data_admin.load_settings(db).max_unpacked_bytes if db is not None and paths else None
    readable = []
    for path in paths:
        found, error = preview(path, cap)
        show_preview(path, found, error)
        if found is not None:
            readable.append((path, found))
    return [p for p, _ in readable], [f for _, f in readable]


def _delimiter_name(delimiter: str | None) -> str:
    names = {",": "comma", "\t": "tab", ";": "semicolon", "|": "bar"}
    return t(f"data.files.delim.{names[delimiter]}") if delimiter in names else (delimiter or "–")


def show_preview(path: Path, found: FilePreview | None, error: str | None) -> None:
    """How the file reads: format, encoding, delimiter, header row, what it looks like,
    and its first rows with each column's detected type."""
    with st.container(border=True):
        st.markdown(f"**{md(path.name)}**")
        if found is None:
            st.error(t("data.files.unreadable", message=md(error)))
            return
        if len(found.sheets) > 1:
            # every sheet listed; the reader's choice (the sheet with the contract's columns) first
            assert found.sheet is not None  # a workbook's preview names the sheet it read
            st.selectbox(
                t("data.files.sheet_pick"),
                found.sheets,
                index=found.sheets.index(found.sheet),
                key=_sheet_key(path),
                help=t("data.files.sheet_help"),
            )
        facts = [t("data.files.format", format=found.file_format.upper())]
        if found.encoding:
            facts.append(t("data.files.encoding", encoding=t(f"data.files.enc.{found.encoding.replace('-', '_')}")))
        if found.delimiter:
            facts.append(t("data.files.delimiter", delimiter=_delimiter_name(found.delimiter)))
        if found.sheet:
            facts.append(t("data.files.sheet", sheet=md(found.sheet)))
        if found.header_row:
            facts.append(t("data.files.header_row", row=found.header_row))
        if found.kind == "periods":  # "an hourly report", not "a hourly reports file"
            facts.append(t("data.files.looks_like_report"))
        else:
            facts.append(t("data.files.looks_like", kind=t(f"data.kind.{found.kind}")))
        st.caption(" · ".join(md(f) for f in facts))
        config = {"row": st.column_config.NumberColumn(t("data.files.row"), width=60)}
        for column in found.columns:
            kind = found.types.get(column, "text").replace("-", "_")
            config[column] = st.column_config.Column(f"{md(column)} · {t(f'data.type.{kind}')}")
        # an empty cell shows empty (not "None")
        st.dataframe(found.rows.fillna(""), hide_index=True, column_config=config, width="stretch", placeholder="–")


# -- 2. the mapping ----------------------------------------------------------------------------
def _presets(db: Database) -> dict[str, tuple]:
    """Every preset a load can use: name -> (PresetInfo, Mapping)."""
    return {p.name: (p, get_mapping(db, p.name)) for p in list_mappings(db)}


def _source_label(option: str, presets: dict) -> str:
    if option in (CONTRACT, BUILD, JSON):
        return t(f"data.mapping.source.{option.strip('_')}")
    info = presets[option][0]
    return t("data.mapping.source.preset", name=option, source=t(f"data.mapping.from.{info.source}"))


def choose_mapping(
    db: Database, paths: list[Path], previews: list[FilePreview], user: User
) -> tuple[Mapping | None, bool]:
    """The mapping every file of this upload is read with: (None = contract columns, ready)."""
    presets = _presets(db)
    columns = previews[0].columns
    options = [CONTRACT, *presets, BUILD, JSON]
    signature = tuple(str(p) for p in paths)
    if st.session_state.get("dm_files_sig") != signature:
        # new files: propose what fits the first one (a preset, else contract columns if
        # the file has them, else a mapping built here)
        st.session_state["dm_files_sig"] = signature
        fitting = data_admin.suggest_preset([m for _, m in presets.values()], columns)
        st.session_state["dm_source"] = fitting or (CONTRACT if not previews[0].missing_columns else BUILD)
    if st.session_state.get("dm_source") not in options:
        st.session_state["dm_source"] = CONTRACT
    source = st.selectbox(
        t("data.mapping.choose"),
        options,
        key="dm_source",
        format_func=lambda o: _source_label(o, presets),
        help=t("data.mapping.source_help"),
    )
    show_notice("mapping")
    if source == CONTRACT:
        st.caption(t("data.mapping.contract_help"))
        for path, found in zip(paths, previews):
            if found.missing_columns:
                st.warning(
                    t(
                        "data.mapping.contract_missing",
                        file=path.name,
                        kind=t(f"data.kind.{found.kind}"),
                        columns=", ".join(found.missing_columns),
                    )
                )
        return None, True
    if source == BUILD:
        mapping = mapping_builder(db, paths[0], previews[0], user, presets)
        return mapping, mapping is not None
    if source == JSON:
        mapping = json_editor(db, paths[0], user, presets)
        return mapping, mapping is not None
    info, mapping = presets[source]
    if info.description:
        st.caption(info.description)
    if not data_admin.fits(mapping, columns):
        st.warning(t("data.mapping.preset_does_not_fit", name=md(source), file=md(paths[0].name)))
    with st.expander(t("data.mapping.definition"), icon=":material/data_object:"):
        st.code(mapping.to_json(), language="json", height=360)
        st.button(t("data.mapping.edit_copy"), key="dm_edit_copy", on_click=_edit_copy, args=(mapping,))
    return mapping, True


def _edit_copy(mapping: Mapping) -> None:
    st.session_state["dm_json"] = mapping.to_json()
    st.session_state["dm_source"] = JSON


def _save_preset(db: Database, mapping: Mapping, user: User) -> None:
    save_mapping(db, mapping, user.username)
    auth.audit(db, user, "mapping_saved", {"name": mapping.name, "kind": mapping.kind})
    st.session_state["dm_source"] = mapping.name
    _notice("mapping", "success", "data.mapping.saved", name=mapping.name)


def _save_button(db: Database, mapping: Mapping, user: User, presets: dict) -> None:
    if mapping.name in presets:
        st.caption(t("data.mapping.overwrites", name=md(mapping.name)))
    st.button(
        t("data.mapping.save", name=md(mapping.name)),
        key="dm_save",
        icon=":material/save:",
        on_click=_save_preset,
        args=(db, mapping, user),
    )


def json_editor(db: Database, path: Path, user: User, presets: dict) -> Mapping | None:
    """A mapping written as JSON: every transform the loader knows (conditions, empty
    markers, cases...), for what the builder doesn't offer."""
    if "dm_json" not in st.session_state:
        st.session_state["dm_json"] = Mapping(name=data_admin.suggested_name(path.name)).to_json()
    text = st.text_area(t("data.mapping.json"), key="dm_json", height=360, help=t("data.mapping.json_help"))
    try:
        mapping = Mapping.from_json(text)
    except MappingError as e:
        st.error(t("data.mapping.json_error", message=md(str(e))))
        return None
    _save_button(db, mapping, user, presets)
    return mapping


# The builder's widgets keep their keys under this prefix; new files start them afresh.
_B = "dm_b_"
_ROW = [2.0, 2.4, 2.6, 2.6]  # contract column | taken from | file column | format, map, second column


def _reset_builder(signature: tuple) -> None:
    if st.session_state.get(_B + "sig") != signature:
        for key in [k for k in st.session_state if str(k).startswith(_B)]:
            del st.session_state[key]
        st.session_state[_B + "sig"] = signature


def _seed(key: str, value) -> None:
    if key not in st.session_state and value is not None:
        st.session_state[key] = value


def _column_box(cell, key: str, columns: list[str], placeholder: str) -> str | None:
    return cell.selectbox(
        placeholder,
        columns,
        index=None,
        key=key,
        placeholder=placeholder,
        label_visibility="collapsed",
        persist_state="page",
    )


def _text_box(cell, key: str, placeholder: str) -> str:
    return (
        cell.text_input(
            placeholder, key=key, placeholder=placeholder, label_visibility="collapsed", persist_state="page"
        )
        or ""
    )


def _choice_row(kind: str, target: str, columns: list[str], default: Choice) -> Choice:
    """One contract column: how it is filled, from which file column(s), with which
    format or value map."""
    f = FIELDS[kind][target]
    k = f"{_B}{kind}_{target}_"
    _seed(k + "how", default.how)
    _seed(k + "col", default.column)
    name, how_cell, first, second = st.columns(_ROW, vertical_alignment="top")
    required = f" · *{t('data.build.required_mark')}*" if f.required else ""
    name.markdown(f"**{t(f'data.field.{target}')}**{required}  \n`{target}`")
    how = how_cell.selectbox(
        t("data.build.how_label"),
        data_admin.hows(kind, target),
        key=k + "how",
        format_func=lambda h: t(f"data.build.how.{h}"),
        label_visibility="collapsed",
        persist_state="page",
    )
    c = Choice(how)
    if how == COLUMN:
        c.column = _column_box(first, k + "col", columns, t("data.build.pick_column"))
        if f.type == "timestamp":
            c.fmt = _text_box(second, k + "fmt", t("data.build.format_placeholder"))
        elif f.type == "minutes":  # a report's duration: in the unit its column is in
            c.unit = second.selectbox(
                t("data.build.unit_label"),
                tuple(DURATION_UNITS),
                index=tuple(DURATION_UNITS).index("minutes"),
                key=k + "unit",
                format_func=lambda u: t(f"data.build.unit.{_UNIT_KEYS[u]}"),
                help=t("data.build.unit_help_column"),
                persist_state="page",
            )
        else:
            c.value_map = _text_box(second, k + "map", t("data.build.map_placeholder"))
    elif how == CONCAT:
        c.columns = tuple(
            first.multiselect(
                t("data.build.pick_columns"),
                columns,
                key=k + "cols",
                placeholder=t("data.build.pick_columns"),
                label_visibility="collapsed",
                persist_state="page",
            )
        )
        c.separator = (
            second.text_input(
                t("data.build.separator"), value="-", key=k + "sep", label_visibility="collapsed", persist_state="page"
            )
            or ""
        )
    elif how == CONSTANT:
        c.value = _text_box(first, k + "value", t("data.build.value_placeholder"))
    elif how == DATE_TIME:
        c.column = _column_box(first, k + "col", columns, t("data.build.pick_date_column"))
        c.fmt = _text_box(first, k + "fmt", t("data.build.date_format_placeholder"))
        c.time_column = _column_box(second, k + "time", columns, t("data.build.pick_time_column"))
        c.time_fmt = _text_box(second, k + "time_fmt", t("data.build.time_format_placeholder"))
    elif how == CLOCK:
        c.column = _column_box(first, k + "col", columns, t("data.build.pick_time_column"))
        c.time_fmt = _text_box(second, k + "time_fmt", t("data.build.time_format_placeholder"))
    elif how == AFTER:
        starts = [s for s in data_admin.timestamp_targets(kind) if s != target]
        c.start = first.selectbox(
            t("data.build.pick_start"),
            starts,
            index=None,
            key=k + "start",
            placeholder=t("data.build.pick_start"),
            format_func=lambda s: t(f"data.field.{s}"),
            label_visibility="collapsed",
            persist_state="page",
        )
        c.seconds = _column_box(second, k + "seconds", columns, t("data.build.pick_seconds"))
        c.unit = second.selectbox(
            t("data.build.unit_label"),
            tuple(DURATION_UNITS),
            key=k + "unit",
            format_func=lambda u: t(f"data.build.unit.{_UNIT_KEYS[u]}"),
            help=t("data.build.unit_help"),
            persist_state="page",
        )
    return c


# the locale key of each duration unit (a TOML key can't hold the ':' of hh:mm:ss plainly)
_UNIT_KEYS = {"seconds": "seconds", "minutes": "minutes", "hours": "hours", "hh:mm:ss": "clock"}


def _skip_rules(columns: list[str]) -> list[SkipRule]:
    """Rows to leave out on purpose (a system's test tickets, artefacts): each rule a file
    column, a test, values and the reason the load report counts them under."""
    st.markdown(f"**{t('data.build.skip_title')}**")
    st.caption(t("data.build.skip_help"))
    count = st.session_state.setdefault(_B + "skip_n", 0)
    rules = []
    if count:
        for cell, key in zip(st.columns(_ROW), ("column", "test", "values", "reason")):
            cell.caption(t(f"data.build.skip_head.{key}"))
    for i in range(count):
        k = f"{_B}skip_{i}_"
        column_cell, test_cell, values_cell, reason_cell = st.columns(_ROW)
        column = _column_box(column_cell, k + "col", columns, t("data.build.pick_column"))
        test = test_cell.selectbox(
            t("data.build.skip_test"),
            data_admin.SKIP_TESTS,
            key=k + "test",
            format_func=lambda x: t(f"data.build.skip.{x}"),
            label_visibility="collapsed",
            persist_state="page",
        )
        values = "" if test == "is_empty" else _text_box(values_cell, k + "values", t(f"data.build.skip_values_{test}"))
        reason = _text_box(reason_cell, k + "reason", t("data.build.skip_reason_placeholder"))
        rules.append(SkipRule(column, test, values, reason))
    add, remove, _ = st.columns([2, 2, 6])
    add.button(
        t("data.build.skip_add"),
        key=_B + "skip_add",
        icon=":material/add:",
        on_click=lambda: st.session_state.update({_B + "skip_n": count + 1}),
    )
    if count:
        remove.button(
            t("data.build.skip_remove"),
            key=_B + "skip_remove",
            icon=":material/remove:",
            on_click=lambda: st.session_state.update({_B + "skip_n": count - 1}),
        )
    return rules


def _new_hall(hall_id: str) -> dict:
    """The hall a constant hall_id names, when the warehouse doesn't know it yet: the
    mapping creates it (as a load of its own, so it can be undone)."""
    st.info(t("data.build.new_hall", hall=md(hall_id)))
    name, region, city, counters = st.columns(4)

    def text(cell, key: str, field: str) -> str:
        return cell.text_input(t(f"data.field.{field}"), key=_B + key, persist_state="page") or ""

    return {
        "hall_id": hall_id,
        "hall_name": text(name, "hall_name", "hall_name"),
        "region": text(region, "hall_region", "region"),
        "city": text(city, "hall_city", "city"),
        "counters": counters.number_input(
            t("data.field.counters"),
            min_value=0,
            max_value=10_000,
            value=None,
            step=1,
            key=_B + "hall_counters",
            persist_state="page",
        ),
    }


def mapping_builder(db: Database, path: Path, found: FilePreview, user: User, presets: dict) -> Mapping | None:
    """Map the file's columns to the data contract, one contract column a line."""
    _reset_builder((tuple(found.columns), path.name))
    _seed(_B + "kind", found.kind)
    kind = cast(
        str,  # required=True: never None
        st.segmented_control(
            t("data.build.kind"),
            list(KINDS),
            key=_B + "kind",
            required=True,
            format_func=lambda k: t(f"data.kind.{k}"),
            persist_state="page",
        ),
    )
    st.caption(t("data.build.help"))
    head = st.columns(_ROW)
    for cell, key in zip(head, ("target", "how", "first", "second")):
        cell.caption(t(f"data.build.head.{key}"))
    defaults = data_admin.default_choices(kind, found.columns)
    choices = {target: _choice_row(kind, target, found.columns, defaults[target]) for target in FIELDS[kind]}
    new_hall = None
    hall_id = data_admin.constant_hall(choices) if kind in ("visits", "periods") else None
    if hall_id and hall_id not in set(run("halls_in_scope")["hall_id"]):
        new_hall = _new_hall(hall_id)
    skip = _skip_rules(found.columns)
    _seed(_B + "name", data_admin.suggested_name(path.name))
    name = st.text_input(t("data.build.name"), key=_B + "name", help=t("data.build.name_help"), persist_state="page")
    try:
        mapping = data_admin.build_mapping(name or "", kind, choices, skip, new_hall)
    except (BuildError, MappingError) as e:
        st.warning(str(e))
        return None
    with st.expander(t("data.mapping.definition"), icon=":material/data_object:"):
        st.code(mapping.to_json(), language="json", height=360)
    _save_button(db, mapping, user, presets)
    return mapping


# -- 3. the check -----------------------------------------------------------------------------
def _plan(db: Database, paths: list[Path], mapping: Mapping | None) -> tuple:
    """What a check was made for: the files, the mapping and the data it was checked
    against (any load since makes it stale)."""
    files = tuple((str(p), p.stat().st_size, chosen_sheet(p)) for p in paths)
    return files, mapping.fingerprint() if mapping else CONTRACT, db.data_version()


def check(db: Database, paths: list[Path], mapping: Mapping | None, ready: bool) -> list[ValidationReport] | None:
    """The dry run of every file, on request; its report stays until the files, the
    mapping or the data change."""
    plan = _plan(db, paths, mapping)
    if st.button(
        t("data.check.button", n=len(paths)),
        key="dm_check",
        type="primary",
        icon=":material/fact_check:",
        disabled=not ready,
    ):
        with st.spinner(t("data.check.running")):
            reports = [validate_file(db, p, mapping, sheet=chosen_sheet(p)) for p in paths]
        st.session_state["dm_checked"] = (plan, reports)
        st.session_state.pop("dm_results", None)
    checked = st.session_state.get("dm_checked")
    if checked is None or checked[0] != plan:
        st.caption(t("data.check.first"))
        return None
    reports = checked[1]
    kinds = {r.kind for r in reports if r.ok}
    if mapping is None and "halls" in kinds and "visits" in kinds:
        st.info(t("data.check.halls_first"))
    for report in reports:
        show_check(report)
    return reports


def _rows_metric(cell, label: str, value: int) -> None:
    cell.metric(label, formatting.number(value))


def show_check(report: ValidationReport) -> None:
    with st.container(border=True):
        st.markdown(f"**{md(report.file.name)}**")
        if not report.ok:
            st.error(data_admin.check_summary(report))
            return
        st.caption(data_admin.check_summary(report))
        for note in data_admin.note_texts(report):
            st.warning(note, icon=":material/info:")
        medians, implausible = data_admin.duration_texts(report)
        if medians:
            st.caption(t("data.list_sep").join(medians))
        for warning in implausible:
            st.warning(warning, icon=":material/timer:")
        read, ok, existing, rejected, skipped = st.columns(5)
        _rows_metric(read, t("data.check.rows_read"), report.rows_read)
        _rows_metric(ok, t("data.check.rows_ok"), report.rows_ok)
        _rows_metric(existing, t("data.check.rows_existing"), report.rows_existing)
        _rows_metric(rejected, t("data.check.rows_rejected"), report.rows_rejected)
        _rows_metric(skipped, t("data.check.rows_skipped"), report.rows_skipped)
        if report.rows_rejected:
            st.markdown(f"**{t('data.check.rejects_title')}**")
            st.dataframe(
                data_admin.reasons_table(report),
                hide_index=True,
                width="stretch",
                column_config={
                    "reason": st.column_config.TextColumn(t("data.check.reason"), width="large"),
                    "column": st.column_config.TextColumn(t("data.check.column")),
                    "rows": st.column_config.NumberColumn(t("data.check.rows"), width="small", format="localized"),
                    "examples": st.column_config.TextColumn(t("data.check.examples"), width="large"),
                },
                placeholder="–",
            )
            st.download_button(
                t("data.check.download"),
                data_admin.csv_bytes(data_admin.problems_table(report.rejects)),
                file_name=f"{report.file.name}.rejects.csv",
                mime="text/csv",
                icon=":material/download:",
                key=f"dm_check_rejects_{report.file.parent.name}",
                on_click="ignore",
            )
        if report.rows_skipped:
            st.markdown(f"**{t('data.check.skipped_title')}**")
            st.dataframe(
                data_admin.skipped_table(report.skipped_by_reason),
                hide_index=True,
                width="stretch",
                column_config={
                    "reason": st.column_config.TextColumn(t("data.check.rule"), width="large"),
                    "rows": st.column_config.NumberColumn(t("data.check.rows"), width="small", format="localized"),
                },
                placeholder="–",
            )
        if report.new_purposes:
            st.info(t("data.check.new_purposes", purposes=md(t("data.list_sep").join(report.new_purposes))))


# -- 4. the load ------------------------------------------------------------------------------
def load(
    db: Database,
    paths: list[Path],
    previews: list[FilePreview],
    mapping: Mapping | None,
    reports: list[ValidationReport] | None,
    user: User,
) -> None:
    """Load the checked files, each in its own transaction, with a progress bar; audit
    each file's outcome; then say what happened and link to the halls it brought."""
    loadable = [(p, f) for p, f, r in zip(paths, previews, reports or []) if r.ok and r.rows_ok]
    if st.button(
        t("data.load.button", n=len(loadable) if reports else len(paths)),
        key="dm_load",
        type="primary",
        icon=":material/upload:",
        disabled=not loadable,
    ):
        order = [p for p, _ in loadable] if mapping else data_admin.load_order([(p, f.kind) for p, f in loadable])
        bar = st.progress(0.0, text=t("data.load.starting"))

        def progress(fraction: float, message: str) -> None:
            i = min(int(fraction * len(order)), len(order) - 1)
            bar.progress(
                min(max(fraction, 0.0), 1.0),
                text=t("data.load.progress", file=md(order[i].name), i=i + 1, n=len(order)),
            )

        loaded = load_files(db, order, user.username, mapping=mapping, progress=progress, sheet=chosen_sheets(order))
        results = []
        for report in loaded:
            auth.audit(db, user, "load", data_admin.load_audit_detail(report))
            level, text = data_admin.load_summary(report)
            rejects = report.rejects_csv.read_bytes() if report.rejects_csv and report.rejects_csv.exists() else None
            results.append(
                {
                    "level": level,
                    "text": text,
                    "load_id": report.load_id,
                    "kind": report.kind,
                    "file": report.file.name,
                    "rejects": rejects,
                    "notes": data_admin.note_texts(report) if report.ok else [],
                }
            )
        st.session_state["dm_results"] = results
        st.session_state.pop("dm_checked", None)
        st.rerun()  # the page as it now is: the load in the history, no second click
    show_results()


def show_results() -> None:
    for i, result in enumerate(st.session_state.get("dm_results", [])):
        getattr(st, result["level"])(result["text"])
        for note in result.get("notes", []):
            st.warning(note, icon=":material/info:")
        if result["rejects"]:
            st.download_button(
                t("data.load.download_rejects", file=md(result["file"])),
                result["rejects"],
                file_name=f"{result['file']}.rejects.csv",
                mime="text/csv",
                icon=":material/download:",
                key=f"dm_load_rejects_{i}",
                on_click="ignore",
            )
        if result["load_id"] and result["kind"] == "periods":
            loaded = run("data_load_periods", load_id=result["load_id"]).iloc[0]
            if loaded["report_rows"]:
                st.page_link(
                    REPORTS_PAGE,
                    icon=":material/schedule:",
                    label=t(
                        "data.load.open_reports",
                        rows=formatting.counted(loaded["report_rows"], "report_row"),
                        halls=formatting.counted(loaded["halls"], "hall"),
                        first=formatting.day(loaded["first_day"]),
                        last=formatting.day(loaded["last_day"]),
                    ),
                    query_params=links.period_link(loaded["first_day"], loaded["last_day"]),
                )
        if result["load_id"] and result["kind"] == "visits":
            for hall in run("data_load_halls", load_id=result["load_id"]).itertuples():
                st.page_link(
                    HALL_PAGE,
                    icon=":material/storefront:",
                    label=t(
                        "data.load.open_hall",
                        hall=md(hall.hall_name),
                        visits=formatting.number(hall.visits),
                        first=formatting.day(hall.first_day),
                        last=formatting.day(hall.last_day),
                    ),
                    query_params=links.hall_link(hall.hall_id, hall.first_day, hall.last_day),
                )


# -- the load history --------------------------------------------------------------------------
def history(db: Database, user: User) -> None:
    """Every load, newest first; pick one to download its rejects or undo it."""
    show_notice("history")
    loads = load_history(db)
    if loads.empty:
        st.info(t("data.history.empty"))
        return
    st.dataframe(
        data_admin.history_table(loads),
        hide_index=True,
        width="stretch",
        column_config={
            "load_id": st.column_config.NumberColumn(t("data.history.load"), width=45, format="%d"),
            "loaded_at": st.column_config.DatetimeColumn(t("data.history.when"), width=122, format="YYYY-MM-DD HH:mm"),
            "loaded_by": st.column_config.TextColumn(t("data.history.who"), width=95),
            "kind": st.column_config.TextColumn(t("data.history.kind"), width=70),
            "file_name": st.column_config.TextColumn(t("data.history.file"), width=165),
            "mapping": st.column_config.TextColumn(t("data.history.mapping"), width=70),
            "rows_accepted": st.column_config.NumberColumn(t("data.history.accepted"), width=92, format="localized"),
            "rows_rejected": st.column_config.NumberColumn(t("data.history.rejected"), width=68, format="localized"),
            "rows_replaced": st.column_config.NumberColumn(t("data.history.replaced"), width=70, format="localized"),
            "rows_skipped": st.column_config.NumberColumn(t("data.history.skipped"), width=62, format="localized"),
            "status": st.column_config.TextColumn(t("data.history.status_column"), width=80),
        },
        placeholder="–",
    )
    st.download_button(
        t("data.history.download"),
        data_admin.csv_bytes(data_admin.history_table(loads)),
        file_name="load-history.csv",
        mime="text/csv",
        icon=":material/download:",
        key="dm_history_csv",
        on_click="ignore",
    )
    rows = {int(r["load_id"]): r for _, r in loads.iterrows()}
    # keyed by the newest load: after a load (here or elsewhere) the picker opens on it
    chosen = st.selectbox(
        t("data.history.pick"),
        list(rows),
        key=f"dm_history_pick_{max(rows)}",
        format_func=lambda i: data_admin.history_label(rows[i]),
    )
    row = rows[chosen]
    if int(row["rows_rejected"]):
        st.download_button(
            t("data.history.download_rejects", n=formatting.number(int(row["rows_rejected"]))),
            data_admin.csv_bytes(data_admin.problems_table(load_rejects(db, chosen))),
            file_name=f"load-{chosen}.rejects.csv",
            mime="text/csv",
            icon=":material/download:",
            key="dm_history_rejects",
            on_click="ignore",
        )
    if row["status"] != "loaded":
        st.caption(t("data.history.already_undone", load=chosen))
        return
    st.caption(t("data.history.undo_help"))
    sure = st.checkbox(
        t("data.history.confirm", load=chosen, file=md(row["file_name"] or "–")), key=f"dm_undo_sure_{chosen}"
    )
    if st.button(t("data.history.undo", load=chosen), key="dm_undo", icon=":material/undo:", disabled=not sure):
        try:
            undo(db, chosen, user.username)
        except UndoError as e:
            st.error(t("data.history.undo_refused", load=chosen, reason=md(str(e))))
            return
        auth.audit(db, user, "undo", {"load_id": chosen, "file": row["file_name"], "kind": row["kind"]})
        _notice("history", "success", "data.history.undone", load=chosen, file=md(row["file_name"] or "–"))
        st.rerun()


def _table_height(rows: int) -> int:
    """Every row on screen (an editor scrolls past ten rows otherwise)."""
    return 35 * (rows + 1) + 3


# -- targets (基准值) --------------------------------------------------------------------------
# What each target column accepts, and how it is shown.
_PERCENT = "%.1f %%"
_TARGET_INPUTS: dict[str, dict[str, Any]] = {
    "wait_target_min": {"min_value": 0.1, "max_value": 240, "step": 0.5, "format": "%.1f"},
    "service_level_target": {"min_value": 0, "max_value": 100, "step": 1, "format": _PERCENT},
    "max_abandonment": {"min_value": 0, "max_value": 100, "step": 0.5, "format": _PERCENT},
    "peak_target": {"min_value": 1, "max_value": 5, "step": 0.1, "format": "%.1f"},
    "exit_target": {"min_value": 1, "max_value": 5, "step": 0.1, "format": "%.1f"},
}


def _fresh_targets_editor() -> None:
    st.session_state["dm_targets_v"] = st.session_state.get("dm_targets_v", 0) + 1


def targets(db: Database, user: User) -> None:
    """The network default and each hall's overrides; an empty hall cell follows the
    network default."""
    show_notice("targets")
    rows = run("data_targets")
    version = st.session_state.get("dm_targets_v", 0)
    units = data_admin.WAIT_UNITS
    wait_unit = st.radio(
        t("data.targets.wait_unit"),
        units,
        index=units.index(data_admin.default_wait_unit(rows)),
        format_func=lambda u: t(f"data.targets.unit.{u}"),
        horizontal=True,
        key="dm_targets_wait_unit",
        help=t("data.targets.wait_unit_help"),
        on_change=_fresh_targets_editor,  # the editor's cells are in the other unit now
    )
    shown = data_admin.targets_for_editing(rows, wait_unit)
    columns: dict[str, Any] = {
        "hall": st.column_config.TextColumn(t("data.targets.hall"), width=215),
        "region": st.column_config.TextColumn(t("data.targets.region"), width=105),
    }
    for column, limits in _TARGET_INPUTS.items():
        name = column
        if column == "wait_target_min":
            name = f"wait_target_{wait_unit}"
            if wait_unit == "s":
                limits = {"min_value": 1, "max_value": 14_400, "step": 1, "format": "%.0f"}
        columns[column] = st.column_config.NumberColumn(
            t(f"data.targets.header.{name}"), help=t(f"data.targets.column.{name}"), width=120, **limits
        )
    edited = st.data_editor(
        shown,
        key=f"dm_targets_{version}",
        hide_index=True,
        num_rows="fixed",
        width="stretch",
        height=_table_height(len(shown)),
        disabled=["hall_id", "hall", "region"],
        column_order=["hall", "region", *TARGET_COLUMNS],
        placeholder=t("data.targets.inherits"),
        column_config=columns,
    )
    changes, problems = data_admin.target_changes(shown, edited, wait_unit)
    for problem in problems:
        st.error(problem)
    if st.button(
        t("data.targets.save", n=len(changes)),
        key="dm_targets_save",
        type="primary",
        icon=":material/save:",
        disabled=not changes or bool(problems),
    ):
        data_admin.save_targets(db, changes, user)
        st.session_state["dm_targets_v"] = version + 1  # a fresh editor over the saved values
        _notice("targets", "success", "data.targets.saved", n=len(changes))
        st.rerun()
    service_level_rule(db, user)


def service_level_rule(db: Database, user: User) -> None:
    """Which abandoned visits the service level counts: one definition for every hall."""
    st.subheader(t("data.targets.service_level.title"))
    st.caption(t("data.targets.service_level.help"))
    show_notice("service_level")
    current = run("service_level_definition").iloc[0]
    st.markdown(
        t(
            "data.targets.service_level.in_use",
            definition=service_level_definition(current["rule"], current["short_abandon_s"]),
        )
    )
    version = st.session_state.get("dm_sl_v", 0)
    with st.form(f"dm_sl_{version}", border=True):
        rule = st.radio(
            t("data.targets.service_level.rule"),
            SERVICE_LEVEL_RULES,
            key=f"dm_sl_rule_{version}",
            index=SERVICE_LEVEL_RULES.index(current["rule"]),
            format_func=lambda r: t(f"data.targets.service_level.option.{r}"),
        )
        short_s = st.number_input(
            t("data.targets.service_level.short_s"),
            min_value=0,
            max_value=3600,
            step=5,
            value=int(current["short_abandon_s"]),
            key=f"dm_sl_short_{version}",
        )
        if st.form_submit_button(t("data.targets.service_level.save"), type="primary", icon=":material/save:"):
            data_admin.save_service_level_rule(db, rule, short_s, user)
            st.session_state["dm_sl_v"] = version + 1
            _notice("service_level", "success", "data.targets.service_level.saved")
            st.rerun()
    load_settings(db, user)


# What each limit of the checks accepts on the page (the loader checks them again).
_LIMIT_INPUTS: dict[str, dict[str, Any]] = {
    "max_duration_hours": {"min_value": 0.5, "max_value": 240.0, "step": 0.5, "format": "%.1f"},
    "past_days": {"min_value": 1, "max_value": 36_500, "step": 1},
    "future_days": {"min_value": 0, "max_value": 3_650, "step": 1},
    "max_id_length": {"min_value": 8, "max_value": 10_000, "step": 1},
    "max_unpacked_gb": {"min_value": 0.001, "max_value": 1_000.0, "step": 0.5, "format": "%.3g"},
}


def load_settings(db: Database, user: User) -> None:
    """The loader's settings: the network's time zone (halls without their own) and the
    limits by which a check rejects a row or refuses a compressed file."""
    from peakend.warehouse.ingest.settings import SettingError, time_zones

    st.subheader(t("data.targets.load_settings.title"))
    st.caption(t("data.targets.load_settings.help"))
    show_notice("load_settings")
    current = data_admin.load_settings(db)
    zones = list(time_zones())
    version = st.session_state.get("dm_ls_v", 0)
    with st.form(f"dm_ls_{version}", border=True):
        values: dict[str, Any] = {
            "time_zone": st.selectbox(
                t("data.targets.load_settings.time_zone"),
                zones,
                index=zones.index(current.time_zone) if current.time_zone in zones else 0,
                key=f"dm_ls_time_zone_{version}",
                help=t("data.targets.load_settings.time_zone_help"),
            )
        }
        for name, limits in _LIMIT_INPUTS.items():
            kind = float if isinstance(limits["min_value"], float) else int
            values[name] = st.number_input(
                t(f"data.targets.load_settings.{name}"),
                value=kind(getattr(current, name)),
                key=f"dm_ls_{name}_{version}",
                **limits,
            )
        if st.form_submit_button(t("data.targets.load_settings.save"), type="primary", icon=":material/save:"):
            try:
                data_admin.save_load_settings(db, values, user)
            except SettingError as e:
                st.error(t("data.targets.load_settings.invalid", detail=md(str(e))))
            else:
                st.session_state["dm_ls_v"] = version + 1
                _notice("load_settings", "success", "data.targets.load_settings.saved")
                st.rerun()


# -- purposes ----------------------------------------------------------------------------------
def purposes(db: Database, user: User) -> None:
    """Each purpose's labels in both languages and the peak moment it belongs to."""
    show_notice("purposes")
    rows = run("data_purposes")
    before = rows[["purpose", "label_zh", "label_en", "peak_moment", "visits"]].copy()
    version = st.session_state.get("dm_purposes_v", 0)
    edited = st.data_editor(
        before,
        key=f"dm_purposes_{version}",
        hide_index=True,
        num_rows="fixed",
        width="stretch",
        height=_table_height(len(before)),
        disabled=["purpose", "visits"],
        column_config={
            "purpose": st.column_config.TextColumn(t("data.purposes.column.purpose")),
            "label_zh": st.column_config.TextColumn(t("data.purposes.column.label_zh"), required=True),
            "label_en": st.column_config.TextColumn(t("data.purposes.column.label_en"), required=True),
            "peak_moment": st.column_config.SelectboxColumn(
                t("data.purposes.column.peak_moment"),
                options=list(ALL_PEAK_MOMENTS),
                required=True,
                format_func=lambda m: t(f"data.moment.{m}"),
            ),
            "visits": st.column_config.NumberColumn(t("data.purposes.column.visits"), format="localized"),
        },
    )
    changed, problems = data_admin.purpose_changes(before, edited)
    for problem in problems:
        st.error(problem)
    if st.button(
        t("data.purposes.save", n=len(changed)),
        key="dm_purposes_save",
        type="primary",
        icon=":material/save:",
        disabled=changed.empty or bool(problems),
    ):
        data_admin.save_purposes(db, changed, user)
        st.session_state["dm_purposes_v"] = version + 1
        _notice("purposes", "success", "data.purposes.saved", n=len(changed))
        st.rerun()


__all__ = [
    "check",
    "choose_mapping",
    "history",
    "load",
    "preview",
    "purposes",
    "show_preview",
    "targets",
    "uploaded_files",
]


# -- sources (the ingest API's tokens) -----------------------------------------------------------
_NEW_TOKEN = "dm_source_token"


def _source_state(source) -> str:
    if source.revoked_at is None:
        return t("data.sources.in_force")
    return t("data.sources.revoked_by", by=source.revoked_by, when=f"{source.revoked_at:%Y-%m-%d %H:%M} UTC")


def sources_section(db: Database, user: User) -> None:
    """The ingest API's sources, as `python -m peakend sources add|revoke|list`: each hall
    system's bearer token and the halls it may write (or every hall: a data admin's, for
    the command line's loads while the app runs). A token is shown once, when it is made."""
    from peakend.warehouse import sources

    show_notice("sources")
    made = st.session_state.pop(_NEW_TOKEN, None)
    if made:
        name, token = made
        st.success(t("data.sources.added", name=md(name)))
        st.code(token, language=None)
        st.caption(t("data.sources.token_once"))
    listed = sources.list_sources(db)
    halls = run("halls_in_scope")
    hall_names = dict(zip(halls["hall_id"], halls["hall_name"], strict=True))
    if listed:
        st.dataframe(
            [
                {
                    "name": s.name,
                    "halls": t("data.sources.all_halls") if s.all_halls else ", ".join(s.halls),
                    "state": _source_state(s),
                    "added": f"{s.created_at:%Y-%m-%d %H:%M} UTC · {s.created_by}",
                    "loads": s.loads,
                    "last": f"{s.last_load_at:%Y-%m-%d %H:%M}" if s.last_load_at else None,
                }
                for s in listed
            ],
            hide_index=True,
            width="stretch",
            key="dm_sources_table",
            column_config={
                "name": st.column_config.TextColumn(t("data.sources.name"), width=140),
                "halls": st.column_config.TextColumn(t("data.sources.halls"), width=160),
                "state": st.column_config.TextColumn(t("data.sources.state"), width=180),
                "added": st.column_config.TextColumn(t("data.sources.added_col"), width=170),
                "loads": st.column_config.NumberColumn(t("data.sources.loads"), width=70, format="localized"),
                "last": st.column_config.TextColumn(t("data.sources.last"), width=120),
            },
            placeholder="–",
        )
    else:
        st.info(t("data.sources.empty"))

    st.markdown(f"**{t('data.sources.add_title')}**")
    with st.form("dm_source_add", clear_on_submit=True, border=True):
        name = st.text_input(t("data.sources.name"), placeholder="dlc01-queue", key="dm_source_name")
        every = st.checkbox(t("data.sources.every_hall"), key="dm_source_every")
        chosen = st.multiselect(
            t("data.sources.pick_halls"),
            list(hall_names),
            format_func=lambda h: f"{hall_names[h]} · {h}",
            key="dm_source_halls",
        )
        submitted = st.form_submit_button(t("data.sources.add"), icon=":material/key:")
    if submitted:
        name = (name or "").strip()
        if not sources.NAME.match(name):
            st.error(t("data.sources.bad_name"))
        elif any(s.name == name for s in listed):
            st.error(t("data.sources.exists", name=md(name)))
        elif not every and not chosen:
            st.error(t("data.sources.no_halls"))
        else:
            try:
                token = sources.add_source(db, name, [sources.ALL_HALLS] if every else chosen, user.username)
            except sources.SourceError as e:
                st.error(t("data.sources.refused", reason=md(str(e))))
            else:
                st.session_state[_NEW_TOKEN] = (name, token)
                st.rerun()

    in_force = [s.name for s in listed if s.revoked_at is None]
    if in_force:
        st.markdown(f"**{t('data.sources.revoke_title')}**")
        pick = st.selectbox(t("data.sources.pick"), in_force, key="dm_source_pick")
        sure = st.checkbox(t("data.sources.confirm", name=md(pick)), key=f"dm_source_sure_{pick}")
        if st.button(
            t("data.sources.revoke", name=md(pick)), key="dm_source_revoke", disabled=not sure, icon=":material/block:"
        ):
            try:
                sources.revoke_source(db, pick, user.username)
            except sources.SourceError as e:
                st.error(t("data.sources.refused", reason=md(str(e))))
            else:
                _notice("sources", "success", "data.sources.revoked", name=md(pick))
                st.rerun()
