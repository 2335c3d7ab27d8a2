"""Generated networks built once per test run and shared by every xdist worker.

A network of hundreds of thousands of visits takes seconds to simulate; the tests that
need one copy the file the first of them built (a file copy takes a fraction of that).
The file sits in the run's shared temporary folder (the parent of each worker's basetemp),
and a lock on it makes the other workers wait for the build instead of repeating it (the
pytest-xdist recipe for a session fixture shared by workers).
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable
from pathlib import Path


def shared_file(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """The run's one copy of `name`, made by build(path) the first time it is asked for."""
    root = tmp_path_factory.getbasetemp()
    if root.name.startswith("popen-gw"):  # an xdist worker: the run's folder is shared
        root = root.parent
    path = root / "shared" / name
    path.parent.mkdir(exist_ok=True)
    with open(path.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            partial = path.with_name(path.name + ".partial")
            build(partial)
            partial.rename(path)
    return path


def copy_of(template: Path, folder: Path) -> Path:
    """A copy of a shared file in `folder` (nothing may write to the shared one)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / template.name
    shutil.copyfile(template, path)
    return path
