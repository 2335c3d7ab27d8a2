"""What the Streamlit pages share: the database handle, cached named queries, the language,
controls and navigation. Pages import from here and from peakend.charts; nothing else."""
