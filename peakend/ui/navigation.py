"""The pages of the app, in menu order. app.py builds st.navigation from this list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from peakend.core.i18n import t

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class PageSpec:
    key: str  # url path and i18n key nav.<key>
    file: str  # relative to the project root
    icon: str
    default: bool = False
    # Roles that may open the page (peakend.auth.roles.Role values, e.g. ("data_admin",));
    # None: every signed-in user. Other roles don't see it in the menu, and its URL says
    # plainly that their role may not open it.
    roles: tuple[str, ...] | None = None


def page_allowed(spec: PageSpec, role: str | None) -> bool:
    return spec.roles is None or role in spec.roles


PAGES = [
    PageSpec("home", "pages/home.py", ":material/home:", default=True),
    PageSpec("hall", "pages/hall.py", ":material/storefront:"),
    # the morning meeting's page and its PDFs (the brief, the wall sheet): for the managers
    PageSpec(
        "brief",
        "pages/brief.py",
        ":material/summarize:",
        roles=("hall_manager", "regional_manager", "head_office"),
    ),
    PageSpec("regional", "pages/regional.py", ":material/leaderboard:"),
    # what to fix first and the counters each hour needs: for the managers, not data admins
    PageSpec(
        "insights",
        "pages/insights.py",
        ":material/insights:",
        roles=("hall_manager", "regional_manager", "head_office"),
    ),
    PageSpec("explore", "pages/explore.py", ":material/travel_explore:"),
    # the second kind of data: hourly reports (hall x period), not visits
    PageSpec("reports", "pages/reports.py", ":material/schedule:"),
    # loads, undo, targets and purposes: the data admin's work (peakend.auth.roles)
    PageSpec("data", "pages/data.py", ":material/upload_file:", roles=("data_admin",)),
]


def page_path(key: str) -> Path:
    """The file of the page `key`, for st.page_link."""
    return ROOT / next(spec.file for spec in PAGES if spec.key == key)


def build_pages(role: str | None = None) -> list:
    """The pages for a signed-in role (None: all offered). Pages the role may not open stay
    registered but hidden, so their URL still resolves and app.py can refuse it plainly."""
    return [
        st.Page(
            str(ROOT / spec.file),
            title=t(f"nav.{spec.key}"),
            icon=spec.icon,
            url_path=spec.key,  # also for the default page: its hash must match signin_pages()
            default=spec.default,
            visibility="visible" if role is None or page_allowed(spec, role) else "hidden",
        )
        for spec in PAGES
    ]
