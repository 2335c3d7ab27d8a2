"""DuckDB's bounds from the environment, for every connection PeakEnd opens.

DuckDB takes 80% of the machine's memory and every core by default. The app shares its
machine, so both can be bounded from the environment (see README, Performance). Every
connection to one database in a process must use the same bounds: DuckDB refuses a second
connection to a file with another configuration.
"""

from __future__ import annotations

import os
from typing import Any

ENV_SETTINGS = {"PEAKEND_DUCKDB_MEMORY_LIMIT": "memory_limit", "PEAKEND_DUCKDB_THREADS": "threads"}


def settings_from_env() -> dict[str, Any]:  # DuckDB's config type
    return {setting: os.environ[var] for var, setting in ENV_SETTINGS.items() if os.environ.get(var)}
