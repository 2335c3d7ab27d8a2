"""What the Streamlit pages share: the database handle, cached named queries, the language,
controls and navigation. Pages import from here and from peakend.charts; nothing else."""

from peakend.ui import legacy_pages  # noqa: F401  (must run before any page draws)
