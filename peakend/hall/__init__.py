"""The hall page: its logic (logic.py, themes.py for the comment themes), its charts
(charts.py) and its Streamlit widgets (widgets.py)."""
