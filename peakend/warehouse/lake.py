"""The warehouse as a DuckLake (issue 19): the same tables and SQL, with the catalog in
SQLite (one machine) or Postgres (many) and the data in Parquet files.

One setting names the warehouse (`warehouse_target`): PEAKEND_WAREHOUSE, else PEAKEND_DB,
else the demo file. A target that starts with `ducklake:` is a DuckLake:

    ducklake:sqlite:/srv/peakend/catalog.sqlite
    ducklake:postgres:dbname=peakend host=127.0.0.1

with its data files in PEAKEND_WAREHOUSE_DATA (a folder) when the lake is created. Anything
else is a DuckDB file, as it always was.

DuckLake's extensions are signed by DuckDB and come from PyPI (duckdb-extension-ducklake,
-sqlite); nothing is downloaded at run time. DuckDB finds an extension by name in an
extension directory laid out as v{version}/{platform}/{name}.duckdb_extension, so
`extension_directory` links the packages' files into such a folder once per machine, and
every connection autoloads from it (and never installs).

What DuckLake doesn't have, the schema doesn't lean on (schema.portable_ddl): no primary
keys, unique constraints, indexes or sequences; the write path replaces rows by deleting and
inserting them (portable.replace_row) and numbers new rows itself.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

import duckdb

PREFIX = "ducklake:"
DEFAULT_DB = Path(__file__).resolve().parent.parent.parent / "data" / "demo.duckdb"
# PyPI package -> the extension's name, as DuckDB loads it
PACKAGES = {"duckdb_extension_ducklake": "ducklake", "duckdb_extension_sqlite": "sqlite_scanner"}


class LakeError(RuntimeError):
    """The DuckLake can't be opened as named; the message says what to set."""


def warehouse_target(given: str | os.PathLike | None = None, default: str | os.PathLike = DEFAULT_DB) -> str:
    """The warehouse a command or the app uses: `given` (a --warehouse or --db), else
    PEAKEND_WAREHOUSE, else PEAKEND_DB, else `default` (the demo file)."""
    if given:
        return str(given)
    return os.environ.get("PEAKEND_WAREHOUSE") or os.environ.get("PEAKEND_DB") or str(default)


def is_lake(target: str) -> bool:
    return str(target).startswith(PREFIX)


def _platform() -> str:
    with duckdb.connect() as con:
        return str(con.execute("pragma platform").fetchone()[0])  # type: ignore[index]


def extension_directory() -> Path:
    """A DuckDB extension directory holding this DuckDB's DuckLake extensions, linked from
    their packages (made on first use; PEAKEND_EXTENSION_DIR moves it)."""
    root = Path(
        os.environ.get("PEAKEND_EXTENSION_DIR")
        or Path(tempfile.gettempdir()) / f"peakend-duckdb-extensions-{os.getuid()}"
    )
    folder = root / f"v{duckdb.__version__}" / _platform()
    folder.mkdir(parents=True, exist_ok=True)
    for package, name in PACKAGES.items():
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise LakeError(f"the {name} extension is not installed (pip install {package.replace('_', '-')})")
        found = list(Path(next(iter(spec.submodule_search_locations))).glob("extensions/*/*.duckdb_extension"))
        if not found:
            raise LakeError(f"{package} holds no extension file")
        link = folder / f"{name}.duckdb_extension"
        if not link.exists():
            tmp = folder / f".{name}.{os.getpid()}"
            tmp.symlink_to(found[0])
            tmp.replace(link)  # atomic: two processes starting at once both end with the link
    return root


def config() -> dict[str, Any]:
    """What a connection to a DuckLake needs: the extensions, loaded from disk only."""
    return {
        "extension_directory": str(extension_directory()),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(target: str, settings: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the DuckLake `target`, created first (with its
    data in PEAKEND_WAREHOUSE_DATA) when it doesn't exist yet."""
    settings = {**settings, **config()}
    data = os.environ.get("PEAKEND_WAREHOUSE_DATA")
    if target.startswith(f"{PREFIX}sqlite:"):  # the catalog file's folder, as for a DuckDB file
        Path(target.removeprefix(f"{PREFIX}sqlite:")).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(config=settings) as con:
        try:
            con.execute(f"attach {_quoted(target)} as peakend_lake")
        except duckdb.Error as exc:
            if "data_path" not in str(exc).lower() and "DATA_PATH" not in str(exc):
                raise LakeError(f"{target}: {exc}") from None
            if not data:
                raise LakeError(
                    f"{target} is a new DuckLake: set PEAKEND_WAREHOUSE_DATA to the folder for its data files"
                ) from None
            if "://" not in data:
                Path(data).mkdir(parents=True, exist_ok=True)
                data = str(Path(data).resolve()) + "/"
            con.execute(f"attach {_quoted(target)} as peakend_lake (data_path {_quoted(data)})")
        con.execute("detach peakend_lake")
    return duckdb.connect(target, config=settings)


def snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """The lake's current snapshot: a new one for every commit, by any process."""
    name = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    return int(con.execute(f"select id from ducklake_current_snapshot({_quoted(name)})").fetchone()[0])  # type: ignore[index]
