"""Headline cards: a metric's value, its change against the comparison period, a
red/amber/green mark against its target and the evidence (n) behind it."""

from __future__ import annotations

import math
from typing import Literal

import streamlit as st

from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.metrics import METRICS, MIN_RATINGS_DEFAULT, service_level_definition, target_status

_BADGE = {"green": "green", "amber": "orange", "red": "red"}


def _value(row, column):
    if row is None or column not in row:
        return None
    value = row[column]
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def metric_card(key: str, current, previous=None, targets=None, min_n: int = MIN_RATINGS_DEFAULT) -> None:
    """One card. `current`/`previous` are rows of metrics_by_group, `targets` a row of targets."""
    metric = METRICS[key]
    value = _value(current, key)
    n = _value(current, metric.n_column) if metric.n_column else None
    thin = metric.rating and n is not None and n < min_n
    before = _value(previous, key)
    delta = None
    unchanged = False
    if value is not None and before is not None:
        change = value - before
        if metric.kind == "share":
            shown_change, decimals = change * 100, 1
        else:
            shown_change, decimals = change, {"count": 0, "score": 2}.get(metric.kind, 1)
        # a change that rounds to zero is no change: grey, no arrow (it was a red "↑ 0.0")
        unchanged = round(shown_change, decimals) == 0
        delta = formatting.points(0 if unchanged else shown_change, decimals)
        if metric.kind == "share":
            delta += " " + t("unit.pp")
    delta_color: Literal["normal", "inverse", "off"] = (
        "off" if metric.higher_is_better is None or unchanged else ("normal" if metric.higher_is_better else "inverse")
    )
    target = _value(targets, metric.target) if metric.target else None
    status = None if thin else target_status(metric, value, target)
    help_lines = [t(f"metric_help.{key}")]
    definition = None
    if key == "service_level":  # which abandoned visits it counts: the data admin's choice
        from peakend.ui.answers import run

        rule = run("service_level_definition").iloc[0]
        definition = service_level_definition(rule["rule"], rule["short_abandon_s"])
        help_lines.append(definition)
    if target is not None:
        shown_target = formatting.wait_target(target) if metric.target == "wait_target_min" else metric.format(target)
        help_lines.append(t("card.target", target=shown_target))
    if n is not None:
        help_lines.append(t("card.n", n=formatting.number(n)))
    shown = metric.format(value) if value is not None else formatting.MISSING
    if metric.kind == "count" and value is not None:
        shown = formatting.compact(value)  # a network's 16,529,… visits don't fit a card
        if shown != metric.format(value):
            help_lines.append(metric.format(value))
    with st.container(border=True):
        st.metric(
            metric.label,
            shown,
            delta=delta,
            delta_color=delta_color,
            delta_arrow="off" if unchanged else "auto",
            help="\n\n".join(help_lines),
        )
        notes = []
        if definition:
            notes.append(f":gray[{definition}]")
        if status:
            notes.append(f":{_BADGE[status]}-badge[{t('status.' + status)}]")
        if thin:
            notes.append(f":gray-badge[{t('card.thin', n=formatting.number(n))}]")
        elif n is not None and metric.n_column != "visits":
            notes.append(f":gray[n = {formatting.number(n)}]")
        if notes:
            st.markdown(" ".join(notes))
