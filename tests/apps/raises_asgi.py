"""tests/apps/raises.py served with PeakEnd's own error handler, as peakend/web/asgi.py does."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st  # noqa: E402

from peakend.ui.errors import show_script_error  # noqa: E402

app = st.App(Path(__file__).with_name("raises.py"), on_script_error=show_script_error)
