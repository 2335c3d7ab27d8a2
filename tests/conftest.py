import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fixture_db import build_fixture_db  # noqa: E402


@pytest.fixture()
def fixture_db():
    """A fresh in-memory copy of the hand-checked fixture for each test."""
    db = build_fixture_db()
    yield db
    db.close()


@pytest.fixture(scope="session")
def fixture_db_file(tmp_path_factory) -> Path:
    """The fixture as a database file, for apps started by AppTest or a real server."""
    path = tmp_path_factory.mktemp("db") / "fixture.duckdb"
    build_fixture_db(path).close()
    return path
