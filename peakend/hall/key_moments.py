"""The hall's journey, moment by moment (issue 21): every key moment of the hall's catalogue
(the study's, and any the network, its region or the hall added) in journey order, with its
ratings (queries/hall_key_moments.sql), and where in the journey the unhappy visits went
wrong. Pure: the page and the chart read what this returns."""

from __future__ import annotations

import pandas as pd

from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.moments import moment_label


def about_sentence(moments: pd.DataFrame, hall_name: str) -> str:
    added = moments[~moments["study"]]
    text = t("hall.moments.about", hall=hall_name, n=len(moments), study=int(moments["study"].sum()))
    if len(added):
        names = t("data.list_sep").join(moment_label(r) for _, r in added.iterrows())
        text += " " + t("hall.moments.about_added", n=len(added), moments=names)
    return text


MIN_UNHAPPY = 10  # unhappy visits with two moments rated before the exit, to say where it went wrong


def unhappy_sentence(moments: pd.DataFrame) -> str:
    """Where the unhappy exits went wrong: the moment rated lowest before the exit, most often."""
    visits = int(moments["unhappy_visits"].max() or 0) if len(moments) else 0
    if not visits:
        return t("hall.moments.no_unhappy")
    if visits < MIN_UNHAPPY:
        return t("hall.moments.few_unhappy", n=formatting.number(visits), min_n=formatting.number(MIN_UNHAPPY))
    ranked = moments[moments["unhappy_lowest"] > 0].sort_values("unhappy_lowest", ascending=False)
    top = ranked.iloc[0]
    share = float(top["unhappy_lowest"]) / visits
    text = t(
        "hall.moments.unhappy",
        n=formatting.number(visits),
        moment=moment_label(top),
        share=formatting.percent(share, 0),
    )
    if len(ranked) > 1:
        second = ranked.iloc[1]
        text += " " + t(
            "hall.moments.unhappy_next",
            moment=moment_label(second),
            share=formatting.percent(float(second["unhappy_lowest"]) / visits, 0),
        )
    return text


def moments_frame(moments: pd.DataFrame) -> pd.DataFrame:
    """The table under the chart, in journey order, in the current language."""
    visits = float(moments["unhappy_visits"].max() or 0) if len(moments) else 0.0
    return pd.DataFrame(
        {
            "moment": [moment_label(r) for _, r in moments.iterrows()],
            "stage": [t(f"hall.stage.{s}") for s in moments["stage"]],
            "scale": [f"{lo}–{hi}" for lo, hi in zip(moments["scale_min"], moments["scale_max"])],
            "ratings": moments["ratings"].astype(int),
            "mean_score": moments["mean_score"],
            # percents as numbers of 100 (the table's format adds the sign)
            "low_share": moments["low_share"] * 100,
            "unhappy_lowest": moments["unhappy_lowest"] / visits * 100 if visits >= MIN_UNHAPPY else None,
        }
    )


def staff_moments(rows: pd.DataFrame, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of moments_by_group(staff) for visits served by a known staff member, with how
    the member reads (queries/staff_labels.sql: "王芳 · S012", the id when unnamed)."""
    rows = rows[rows["group_1"].notna()].rename(columns={"group_1": "staff_id"})
    named = {} if labels is None else dict(zip(labels["staff_id"], labels["label"]))
    return rows.assign(staff=[named.get(s, s) for s in rows["staff_id"]]).reset_index(drop=True)
