"""The regional page: the league and quadrant logic (logic.py), peer ranks (peers.py),
charts (charts.py) and Streamlit widgets (widgets.py, peer_widgets.py)."""
