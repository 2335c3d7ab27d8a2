"""Named column mappings: saved in the database (table mapping_presets) or shipped with
PeakEnd as peakend/warehouse/ingest/presets/NAME.json. A saved one wins over a shipped one of the
same name, so an admin can adjust a shipped preset without touching the code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from peakend.warehouse.db import Database
from peakend.warehouse.ingest.errors import MappingError
from peakend.warehouse.ingest.mapping import Mapping

SHIPPED_DIR = Path(__file__).resolve().parent / "presets"


@dataclass(frozen=True)
class PresetInfo:
    name: str
    kind: str
    description: str
    source: str  # "saved" | "shipped"
    saved_at: datetime | None = None
    saved_by: str | None = None


def shipped(name: str) -> Mapping | None:
    path = SHIPPED_DIR / f"{name}.json"
    if not path.is_file():
        return None
    return Mapping.from_json(path.read_text(encoding="utf-8"))


def from_file(path: str | Path) -> Mapping:
    """A mapping written as a JSON file (python -m peakend load --mapping FILE.json)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise MappingError(f"cannot read the mapping file {path}: {e.strerror or e}") from None
    try:
        return Mapping.from_json(text)
    except MappingError as e:
        raise MappingError(f"{path.name}: {e}") from None


def is_mapping_file(name: str) -> bool:
    """Whether `name` names a JSON file rather than a preset (preset names have no '/' and
    don't end in .json)."""
    return name.lower().endswith(".json") or "/" in name or "\\" in name


def get_mapping(db: Database, name: str) -> Mapping:
    """The mapping called `name`: a JSON file when `name` is a path to one (FILE.json), else
    saved in the database, else shipped. MappingError if none."""
    if is_mapping_file(name) or (Path(name).is_file() and _saved_row(db, name) is None and shipped(name) is None):
        return from_file(name)
    row = _saved_row(db, name)
    if row is not None:
        return Mapping.from_json(row[0])
    found = shipped(name)
    if found is None:
        known = ", ".join(p.name for p in list_mappings(db)) or "none"
        raise MappingError(f"no mapping named {name!r} (known: {known})")
    return found


def _saved_row(db: Database, name: str):
    cur = db.cursor()
    try:
        rows = cur.execute("select definition from mapping_presets where name = ?", [name]).fetchall()
        return rows[0] if rows else None
    finally:
        cur.close()


def list_mappings(db: Database) -> list[PresetInfo]:
    """Every mapping a load can name, saved ones first, by name."""
    cur = db.cursor()
    try:
        saved = cur.execute(
            "select name, kind, definition, saved_at, saved_by from mapping_presets order by name"
        ).fetchall()
    finally:
        cur.close()
    out = [PresetInfo(n, k, Mapping.from_json(d).description, "saved", at, by) for n, k, d, at, by in saved]
    names = {p.name for p in out}
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        if path.stem not in names:
            m = Mapping.from_json(path.read_text(encoding="utf-8"))
            out.append(PresetInfo(m.name, m.kind, m.description, "shipped"))
    return out


def save_mapping(db: Database, mapping: Mapping, user: str) -> None:
    """Save (or overwrite) a mapping under its name, in one transaction."""
    mapping.check()

    def _write(cur):
        cur.execute("delete from mapping_presets where name = ?", [mapping.name])  # replaced by name
        cur.execute(
            "insert into mapping_presets values (?, ?, ?, ?, ?)",
            [mapping.name, mapping.kind, mapping.to_json(), datetime.now().replace(microsecond=0), user],
        )

    db.write(_write)


def delete_mapping(db: Database, name: str) -> bool:
    """Remove a saved mapping; True if there was one. A shipped one of the same name then
    applies again."""
    if _saved_row(db, name) is None:
        return False

    def _write(cur):
        cur.execute("delete from mapping_presets where name = ?", [name])

    db.write(_write)
    return True


def resolve(db: Database, mapping: Mapping | str | None) -> Mapping | None:
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    return get_mapping(db, mapping)
