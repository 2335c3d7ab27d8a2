"""The data page: building mappings, load summaries and target edits (logic.py) and its
Streamlit widgets (widgets.py)."""
