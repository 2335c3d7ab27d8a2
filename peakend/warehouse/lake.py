"""The warehouse as a DuckLake (issue 19): the same tables and SQL, with the catalog in
SQLite (one machine) or Postgres (many) and the data in Parquet files.

One setting names the warehouse (`warehouse_target`): PEAKEND_WAREHOUSE, else PEAKEND_DB,
else the demo file. A target that starts with `ducklake:` is a DuckLake:

    ducklake:sqlite:/srv/peakend/catalog.sqlite
    ducklake:postgres:dbname=peakend host=127.0.0.1

with its data files in PEAKEND_WAREHOUSE_DATA (a folder, or s3://bucket/prefix) when the
lake is created. Anything else is a DuckDB file, as it always was.

Data on S3 (or a server that speaks its API): each connection gets an S3 secret made from the
standard AWS environment (`s3_secret`): AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN (optional), AWS_REGION or AWS_DEFAULT_REGION, and AWS_ENDPOINT_URL_S3 or
AWS_ENDPOINT_URL for a server other than AWS's (http:// means no TLS; a named endpoint is
addressed path-style, bucket in the path, as MinIO, Ceph and moto want). A secret belongs to
its DuckDB instance, so the one made on the lake's connection serves every cursor of it. It
is a temporary secret: kept in memory, never written to disk.

DuckLake's extensions are signed by DuckDB and come from PyPI (duckdb-extension-ducklake,
-sqlite, -postgres, -httpfs); nothing is downloaded at run time. DuckDB finds an extension by name in an
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
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from peakend.warehouse.duckdb_settings import settings_from_env

PREFIX = "ducklake:"
DEFAULT_DB = Path(__file__).resolve().parent.parent.parent / "data" / "demo.duckdb"
# PyPI package -> the extension's name, as DuckDB loads it
PACKAGES = {
    "duckdb_extension_ducklake": "ducklake",
    "duckdb_extension_sqlite": "sqlite_scanner",
    "duckdb_extension_postgres": "postgres_scanner",
    "duckdb_extension_httpfs": "httpfs",
}


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
    """What a connection to a DuckLake needs: the extensions, loaded from disk only, and a
    folder to spill to (DuckDB spills beside a database file; for a lake it would name one
    after the catalog's target, which is no folder, and a big query would fail instead),
    within the environment's bounds (duckdb_settings)."""
    return {
        **settings_from_env(),
        "extension_directory": str(extension_directory()),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
        "temp_directory": os.environ.get("PEAKEND_DUCKDB_TEMP_DIR")
        or str(Path(tempfile.gettempdir()) / f"peakend-duckdb-spill-{os.getuid()}"),
    }


def quoted(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def metadata(lake_name: str) -> str:
    """The attached catalog database DuckLake keeps the lake `lake_name`'s tables in
    (ducklake_table, ducklake_data_file, ...), quoted."""
    return identifier(f"__ducklake_metadata_{lake_name}")


# data paths DuckDB's httpfs reads and writes through the S3 API
S3_SCHEMES = ("s3://", "s3a://", "s3n://")
SECRET = "peakend_lake_s3"


def on_object_storage(data_path: str | None) -> bool:
    return bool(data_path) and str(data_path).lower().startswith(S3_SCHEMES)


def s3_secret(data_path: str) -> str:
    """CREATE SECRET for the bucket of `data_path`, from the standard AWS environment (the
    module's docstring). LakeError when the keys are not set."""
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise LakeError(
            f"the lake's data is in {data_path}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(and AWS_ENDPOINT_URL for an S3-compatible server other than AWS's)"
        )
    scheme, _, rest = data_path.partition("://")
    bucket = rest.split("/", 1)[0]
    options = {
        "type": "s3",
        "provider": "config",
        "key_id": quoted(key),
        "secret": quoted(secret),
        "region": quoted(os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"),
        "scope": quoted(f"{scheme}://{bucket}/"),
    }
    if os.environ.get("AWS_SESSION_TOKEN"):
        options["session_token"] = quoted(os.environ["AWS_SESSION_TOKEN"])
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        url = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        if url.scheme not in ("http", "https") or not url.netloc or url.path.strip("/"):
            raise LakeError(f"AWS_ENDPOINT_URL {endpoint!r}: expected http(s)://host[:port]")
        options["endpoint"] = quoted(url.netloc)
        options["use_ssl"] = "true" if url.scheme == "https" else "false"
        options["url_style"] = quoted("path")
    listed = ", ".join(f"{name} {value}" for name, value in options.items())
    return f"create or replace secret {SECRET} ({listed})"


def shown(target: str) -> str:
    """`target` fit to print or answer over HTTP: a password in a Postgres DSN is masked."""
    masked = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", str(target), flags=re.IGNORECASE)
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", r"\1***@", masked)


def connect(target: str, settings: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the DuckLake `target`, created first (with its
    data in PEAKEND_WAREHOUSE_DATA) when it doesn't exist yet. When the lake's data is on
    S3, the connection holds the secret that reads and writes it. `settings` (a bench's
    threads, memory or spill folder) win over config()'s, the environment's included."""
    settings = {**config(), **(settings or {})}
    data = os.environ.get("PEAKEND_WAREHOUSE_DATA")
    if target.startswith(f"{PREFIX}sqlite:"):  # the catalog file's folder, as for a DuckDB file
        Path(target.removeprefix(f"{PREFIX}sqlite:")).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(config=settings) as con:
        try:
            con.execute(f"attach {quoted(target)} as peakend_lake")
        except duckdb.Error as exc:
            if "data_path" not in str(exc).lower() and "DATA_PATH" not in str(exc):
                raise LakeError(f"{shown(target)}: {exc}") from None
            if not data:
                raise LakeError(
                    f"{shown(target)} is a new DuckLake: set PEAKEND_WAREHOUSE_DATA to the folder "
                    "(or s3://bucket/prefix) for its data files"
                ) from None
            if on_object_storage(data):
                data = data.rstrip("/") + "/"
                con.execute(s3_secret(data))  # this instance creates the lake
            elif "://" not in data:
                Path(data).mkdir(parents=True, exist_ok=True)
                data = str(Path(data).resolve()) + "/"
            con.execute(f"attach {quoted(target)} as peakend_lake (data_path {quoted(data)})")
        # the lake's own data path, as its catalog keeps it (PEAKEND_WAREHOUSE_DATA names
        # only a new lake's)
        [(data_path,)] = con.execute("select data_path from ducklake_settings('peakend_lake')").fetchall()
        con.execute("detach peakend_lake")
    secret = s3_secret(str(data_path)) if on_object_storage(data_path) else None
    opened = duckdb.connect(target, config=settings)
    if secret:
        try:
            opened.execute(secret)
        except BaseException:
            opened.close()
            raise
    return opened


def snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """The lake's current snapshot: a new one for every commit, by any process."""
    name = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    return int(con.execute(f"select id from ducklake_current_snapshot({quoted(name)})").fetchone()[0])  # type: ignore[index]
