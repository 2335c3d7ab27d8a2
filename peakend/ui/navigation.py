"""The pages of the app, in menu order. app.py builds st.navigation from this list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from peakend.i18n import t

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class PageSpec:
    key: str  # url path and i18n key nav.<key>
    file: str  # relative to the project root
    icon: str
    default: bool = False


PAGES = [
    PageSpec("home", "pages/home.py", ":material/home:", default=True),
    PageSpec("hall", "pages/hall.py", ":material/storefront:"),
    PageSpec("explore", "pages/explore.py", ":material/travel_explore:"),
]


def build_pages() -> list:
    return [
        st.Page(
            str(ROOT / spec.file),
            title=t(f"nav.{spec.key}"),
            icon=spec.icon,
            url_path=spec.key if not spec.default else None,
            default=spec.default,
        )
        for spec in PAGES
    ]
