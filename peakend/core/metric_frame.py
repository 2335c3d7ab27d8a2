"""The metrics of peakend/core/metrics.py over a pandas frame of visits: the oracle the bench and
the tests hold the SQL against, written from the same definitions (each part's `per_visit`,
each metric's Ratio, Total or Quantile), so neither side can drift alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

from peakend.core.metrics import METRICS, PARTS, WITHIN, Quantile, Ratio, Total, count_columns, parts_needed


def part_values(visits: pd.DataFrame) -> pd.DataFrame:
    """Every part (and Within) the metrics read, per visit."""
    columns = {}
    for name in parts_needed():
        if name in WITHIN:
            w = WITHIN[name]
            own = PARTS[w.part].per_visit(visits).astype(float)
            columns[name] = own.where(visits["peak_moment"] == w.peak_moment, 0.0)
        else:
            columns[name] = PARTS[name].per_visit(visits).astype(float)
    return pd.DataFrame(columns, index=visits.index)


def metrics_over(visits: pd.DataFrame, group_1: pd.Series, group_2: pd.Series) -> pd.DataFrame:
    """One row per (group_1, group_2) with every metric and count column, as
    metrics_by_group answers (visits: the columns of queries/_filtered_visits.sql)."""
    values = part_values(visits)
    values["g1"], values["g2"] = group_1.astype(object), group_2.astype(object)
    values["wait_s"] = visits["wait_s"]
    grouped = values.groupby(["g1", "g2"], dropna=False, sort=False)
    sums = grouped[list(parts_needed())].sum()
    out = pd.DataFrame(index=sums.index)
    for key, metric in METRICS.items():
        value = metric.value
        if isinstance(value, Total):
            out[key] = sums[value.part].astype("int64")
        elif isinstance(value, Ratio):
            num = sums[value.num] - (sums[value.minus] if value.minus else 0)
            out[key] = value.times * num / sums[value.den].replace(0, np.nan) / value.per
        elif isinstance(value, Quantile):
            out[key] = grouped["wait_s"].quantile(value.q) / value.per
    for column in count_columns():
        out[column] = sums[column].astype("int64")
    out = out.reset_index().rename(columns={"g1": "group_1", "g2": "group_2"})
    return out.sort_values(["group_1", "group_2"], na_position="first").reset_index(drop=True)
