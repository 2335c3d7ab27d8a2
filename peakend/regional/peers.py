"""A hall among its anonymised peers, in a store manager's words: the rows of
queries/peer_ranks.sql (ranks and group sizes, computed on the server across the whole
network) become one short list per peer group. No Streamlit here."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from peakend.core import formatting
from peakend.core.i18n import get_language, t
from peakend.core.metrics import METRICS as METRIC_DEFS
from peakend.core.safe_text import md

# What the hall is ranked on, in the order said; lower is better for the first two.
METRICS = ("wait_median_min", "abandonment_rate", "peak_end_index", "exit_mean")
MIN_GROUP = 5  # a group of fewer halls is never answered: one or two peers could be named
_BETTER = {"wait_median_min": "shorter", "abandonment_rate": "lower", "peak_end_index": "better", "exit_mean": "better"}


@dataclass(frozen=True)
class PeerGroup:
    peer_group: str  # region | hall_type
    group_name: str
    halls: int
    title: str
    lines: list[str]


def ordinal(n: int) -> str:
    if get_language() == "zh":
        return t("peers.ordinal", n=formatting.number(n))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{formatting.number(n)}{suffix}"


def _line(row: pd.Series, metric: str, min_n: int) -> str | None:
    rank, ranked, beats = row[f"{metric}_rank"], row[f"{metric}_ranked"], row[f"{metric}_beats"]
    label = METRIC_DEFS[metric].label
    if pd.isna(rank) or pd.isna(beats):
        if int(ranked) >= MIN_GROUP:  # the others are ranked, this hall has too few itself
            return t("peers.own_thin", metric=label, min_n=formatting.number(min_n))
        return t(
            "peers.not_ranked",
            metric=label,
            ranked=formatting.number(int(ranked)),
            min_group=formatting.number(MIN_GROUP),
        )
    ranked, beats = int(ranked), int(beats)
    return t(
        f"peers.line.{_BETTER[metric]}",
        metric=label,
        ordinal=ordinal(int(rank)),
        ranked=formatting.number(ranked),
        beats=formatting.number(beats),
        others=formatting.number(ranked - 1),
        share=formatting.percent(beats / (ranked - 1), 0),
    )


def peer_groups(answer: pd.DataFrame, hall_id: str, min_n: int, min_group: int = MIN_GROUP) -> list[PeerGroup]:
    """The hall's peer groups (region first, then its type), each with a title and one line
    per metric; groups under min_group halls are left out (the query never returns them)."""
    groups = []
    for _, row in answer[answer["hall_id"] == hall_id].iterrows():
        halls = int(row["group_halls"])
        if halls < min_group:
            continue
        # a region's or hall type's name from the data, shown in Markdown: as text
        title = t(f"peers.title.{row['peer_group']}", halls=formatting.number(halls), name=md(row["group_name"]))
        groups.append(
            PeerGroup(
                row["peer_group"],
                row["group_name"],
                halls,
                title,
                [line for m in METRICS if (line := _line(row, m, min_n))],
            )
        )
    return groups
