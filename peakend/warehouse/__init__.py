"""Everything that talks to DuckDB: the connection and named queries (db.py,
named_queries.py), the schema and its migrations, the rollups and their checks, the write
path (store.py), the user store (accounts.py) and file ingestion (ingest/).

Nothing outside this package imports duckdb (.importlinter)."""
