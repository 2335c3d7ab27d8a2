"""How every Plotly chart goes on a page: one config (no toolbar), and a text alternative
for screen readers read off the figure (peakend.charts.describe)."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from peakend.charts.describe import describe
from peakend.charts.theme import PLOTLY_CONFIG


def show(fig: go.Figure, **kwargs):
    """st.plotly_chart with the app's config and the chart's description as its alt."""
    return st.plotly_chart(fig, config=PLOTLY_CONFIG, alt=describe(fig), **kwargs)
