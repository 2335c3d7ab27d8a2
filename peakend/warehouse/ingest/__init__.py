"""Ingestion: reading CSV/TSV, Parquet and Excel files, mapping other systems' columns to
the data contract, validating every row in SQL, and loading through the warehouse write
path, one transaction per file. No Streamlit here; the data page and the CLI call this.

What a data page calls:
    preview_file(path, rows=20, mapping=None) -> FilePreview
    validate_file(db, path, mapping=None, kind=None) -> ValidationReport   (dry run)
    load_files(db, paths, loaded_by, mapping=None, halls_path=None, progress=None, kind=None)
        -> list[LoadReport]
    undo(db, load_id, user); load_history(db) -> DataFrame; load_rejects(db, load_id)
    save_upload(data, name, folder=None) -> Path   (an upload's bytes as a file to load)
    list_mappings(db), get_mapping(db, name), save_mapping(db, mapping, user),
    delete_mapping(db, name); Mapping.from_json / to_json
"""

from peakend.warehouse.ingest.errors import FileRefused, MappingError
from peakend.warehouse.ingest.load import load_files, load_history, load_rejects, rejects_path, undo, validate_file
from peakend.warehouse.ingest.mapping import Mapping
from peakend.warehouse.ingest.presets import PresetInfo, delete_mapping, get_mapping, list_mappings, save_mapping
from peakend.warehouse.ingest.preview import FilePreview, preview_file
from peakend.warehouse.ingest.reports import LoadReport, ValidationReport
from peakend.warehouse.ingest.uploads import save_upload
from peakend.warehouse.store import UndoError

__all__ = [
    "FilePreview",
    "FileRefused",
    "LoadReport",
    "Mapping",
    "MappingError",
    "PresetInfo",
    "UndoError",
    "ValidationReport",
    "delete_mapping",
    "get_mapping",
    "list_mappings",
    "load_files",
    "load_history",
    "load_rejects",
    "preview_file",
    "rejects_path",
    "save_mapping",
    "save_upload",
    "undo",
    "validate_file",
]
