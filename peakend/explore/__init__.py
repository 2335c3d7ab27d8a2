"""The explore page: the view and its URL (logic.py), exports (export.py), saved views
(saved_views.py), charts (charts.py) and Streamlit widgets (widgets.py)."""
