"""The brief and the wall sheet as PDF bytes, for the page's download buttons and the
command line alike: the same gathering (logic.py), the same HTML (render.py)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from peakend.brief import logic, render
from peakend.brief.pdf import to_pdf
from peakend.core.halls import hall_row as _hall_row


def hall_row(halls: pd.DataFrame, hall_id: str) -> pd.Series:
    """The hall's row of the caller's halls_in_scope: a hall outside the scope has none."""
    if not (halls["hall_id"] == hall_id).any():
        raise LookupError(f"hall {hall_id!r} is not among the halls this user may see")
    return _hall_row(halls, hall_id)


def brief_pdf(query: logic.Query, halls: pd.DataFrame, hall_id: str, day: date, kind: str | None = None) -> bytes:
    brief = logic.gather(query, hall_row(halls, hall_id), logic.brief_period(day, kind))
    return to_pdf(render.brief_document([brief]))


def wall_pdf(query: logic.Query, halls: pd.DataFrame, hall_id: str, last_day: date, paper: str = "A4") -> bytes:
    sheet = logic.wall_sheet(query, hall_row(halls, hall_id), last_day)
    return to_pdf(render.wall_document([sheet], paper))


def region_pdf(query: logic.Query, halls: pd.DataFrame, region: str, day: date, kind: str | None = None) -> bytes:
    """A cover that ranks the region's halls (those in the caller's scope), then a page per hall."""
    period = logic.brief_period(day, kind)
    cover = logic.region_cover(query, halls, region, period)
    briefs = [logic.gather(query, hall_row(halls, h), period) for h in cover.hall_ids]
    return to_pdf(
        render.document(render.cover_body(cover) + "".join(render.brief_body(b) for b in briefs), render.esc(region))
    )
