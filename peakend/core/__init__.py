"""What every part of PeakEnd shares, with neither Streamlit nor DuckDB: the visit filter,
the access scope, the metrics, formatting and the language, periods, safe text, the peak
moments, the halls list helpers and the page links (links.py: URL parameter names, the one
URL codec and the links to a page)."""
