"""The phone layout (a 390 px screen, touch), designed rather than inherited: CSS for what
Streamlit has no setting for, and closing the sidebar after a page change on a narrow screen.

Streamlit closes the sidebar after a menu click only when the browser's user agent says
"mobile"; a narrow window or a tablet kept it open over three quarters of the screen."""

from __future__ import annotations

import html
import json
from pathlib import Path

import streamlit as st

from peakend.core.i18n import LANGUAGES, label, t

FAVICON = str(Path(__file__).with_name("favicon.png"))

# Streamlit stacks columns below 640 px; the sidebar floats over the page below 768 px.
STACKED_BELOW_PX = 640
SIDEBAR_FLOATS_BELOW_PX = 768
# st.container(key=TILES_KEY or TILES_KEY + "_…") holds cards that go two to a row on a phone instead of one.
TILES_KEY = "pe_tiles"
# st.container(key=FLOWING_TILES_KEY) holds one row of any number of cards that flows three to
# a row on a desk and two on a phone, with no gap where a row of three would break.
FLOWING_TILES_KEY = f"{TILES_KEY}_flowing"

CSS = f"""
<style>
/* Card and metric labels wrap instead of ending in "…" (e.g. "Peak · data-se…"). */
[data-testid="stMetricLabel"] div, [data-testid="stMetricLabel"] p {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}}
[class*="st-key-{FLOWING_TILES_KEY}"] [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap !important; gap: 1rem !important; }}
[class*="st-key-{FLOWING_TILES_KEY}"] [data-testid="stColumn"] {{
  flex: 1 1 calc(33.3% - 0.7rem) !important; min-width: calc(33.3% - 0.7rem) !important;
  max-width: calc(33.3% - 0.7rem) !important; width: calc(33.3% - 0.7rem) !important;
}}
@media (max-width: {STACKED_BELOW_PX - 0.02}px) {{
  [class*="st-key-{TILES_KEY}"] [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap !important; gap: 0.5rem !important; }}
  [class*="st-key-{TILES_KEY}"] [data-testid="stColumn"] {{
    flex: 1 1 calc(50% - 0.25rem) !important; min-width: calc(50% - 0.25rem) !important;
    max-width: calc(50% - 0.25rem) !important; width: calc(50% - 0.25rem) !important;
  }}
  [class*="st-key-{TILES_KEY}"] [data-testid="stMetricValue"] {{ font-size: 1.5rem !important; }}
  /* A page's tabs wrap to a second row rather than run off the screen (the Data page has six). */
  [data-testid="stTabs"] [role="tablist"] {{ flex-wrap: wrap !important; overflow: visible !important; }}
  h1 {{ font-size: 1.75rem !important; }}
  h2 {{ font-size: 1.4rem !important; }}
  h3 {{ font-size: 1.15rem !important; }}
}}
</style>
"""

# Also sets <html lang> to the UI language (screen readers, the browser's translate offer
# and CJK line breaking read it; Streamlit always says "en"). The script is a file the app
# serves (peakend/web/asgi.py), so the CSP needs no inline scripts.
SCRIPT_FILE = Path(__file__).with_name("layout.js")
SCRIPT_URL = "/peakend/layout.js"


HTML_LANG = {"zh": "zh-CN", "en": "en"}
# Labels Streamlit's frontend writes in English, and their keys in peakend/locales.
STREAMLIT_WORDS = {"Show password": "layout.show_password", "Hide password": "layout.hide_password"}


def phone_layout(page_key: str, language: str) -> None:
    """The app's CSS, <html lang>, and the sidebar closed after a page change on a narrow
    screen. Call once per run (the script re-runs when the page or the language changes)."""
    st.html(CSS)
    # from Streamlit's English and from every other language (a switch leaves them behind)
    words = {
        said: t(key)
        for english, key in STREAMLIT_WORDS.items()
        for said in (english, *(label(key, other) for other in LANGUAGES))
        if said != t(key)
    }
    settings = {
        "data-lang": HTML_LANG[language],
        "data-words": json.dumps(words, ensure_ascii=False),
        "data-page": page_key,
        "data-sidebar-floats-below": str(SIDEBAR_FLOATS_BELOW_PX),
    }
    attributes = " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in settings.items())
    st.html(f'<script src="{SCRIPT_URL}" {attributes}></script>', unsafe_allow_javascript=True)
