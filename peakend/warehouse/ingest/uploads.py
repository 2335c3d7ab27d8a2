"""Files that arrive as bytes (a browser upload) become files on disk for the loader.

The loader works on paths (DuckDB reads files, and the rejects file goes beside its input),
so a page saves each upload under its own name in a folder of its own first.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.\-() \u4e00-\u9fff]+")


def safe_name(name: str) -> str:
    """The last part of an uploaded file's name, without characters a path can't hold,
    keeping its extension (it says how to read the file)."""
    base = Path(name.replace("\\", "/")).name.strip().lstrip(".")
    base = _UNSAFE.sub("_", base)
    return base or "upload.csv"


def save_upload(data: bytes, name: str, folder: str | Path | None = None) -> Path:
    """Write an upload to `folder` (a new temporary folder when None) and return its path.
    The name is the upload's own (made safe), so messages and the load history show it."""
    target_dir = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="peakend-upload-"))
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / safe_name(name)
    path.write_bytes(data)
    return path
