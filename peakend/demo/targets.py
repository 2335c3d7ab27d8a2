"""The targets (基准值) of the demo network: set the way a head office would, from last
period's results rounded to numbers people quote, so that most halls meet them and a
minority do not; plus a few halls with their own."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from peakend.warehouse.schema import DEFAULT_TARGETS

# The operator's promise: called within 10 minutes. A well-run hall keeps its median wait
# under it; an understaffed one does not.
WAIT_TARGET_MIN = 10.0
BRAND_WAIT_TARGET_MIN = 8.0  # the busiest flagships carry the brand: a faster promise
SMALL_HALL_WAIT_TARGET_MIN = 15.0  # the quietest community halls: too small for every peak
# Quantile of the halls' results each target is set at (for abandonment: the level most
# halls stay under; for the others: the level most halls reach).
TARGET_QUANTILE = 0.35


def hall_results(
    hall_ids: pd.Series,
    hall: np.ndarray,
    wait_min: np.ndarray,
    queue_min: np.ndarray,
    abandoned: np.ndarray,
    peak: np.ndarray,
    exit_: np.ndarray,
) -> pd.DataFrame:
    """Per hall: visits, abandonment, service level at the wait target, mean peak and
    exit ratings (peak/exit: NaN where not rated)."""
    df = pd.DataFrame(
        {
            "hall": hall,
            "called_in_time": ~abandoned & (wait_min <= WAIT_TARGET_MIN),
            "counted": ~abandoned | (queue_min > WAIT_TARGET_MIN),
            "abandoned": abandoned,
            "peak": peak,
            "exit": exit_,
        }
    )
    g = df.groupby("hall").agg(
        visits=("abandoned", "size"),
        abandoned=("abandoned", "mean"),
        in_time=("called_in_time", "sum"),
        counted=("counted", "sum"),
        peak=("peak", "mean"),
        exit=("exit", "mean"),
    )
    g["service_level"] = g.in_time / g.counted.where(g.counted > 0)
    g.index = hall_ids.to_numpy()[g.index]
    return g


def _round_down(x: float, step: float) -> float:
    return round(float(np.floor(x / step + 1e-9) * step), 4)


def _round_up(x: float, step: float) -> float:
    return round(float(np.ceil(x / step - 1e-9) * step), 4)


def choose_targets(results: pd.DataFrame, hall_type: pd.Series) -> tuple[dict, dict[str, dict]]:
    """(network default, {hall_id: overrides}); a None in an override inherits."""
    q = TARGET_QUANTILE
    network = {
        "wait_target_min": WAIT_TARGET_MIN,
        "service_level_target": float(np.clip(_round_down(results.service_level.quantile(q), 0.05), 0.5, 0.95)),
        "max_abandonment": float(np.clip(_round_up(results.abandoned.quantile(1 - q), 0.01), 0.03, 0.3)),
        "peak_target": float(np.clip(_round_down(results.peak.quantile(q), 0.1), 3.5, 4.8)),
        "exit_target": float(np.clip(_round_down(results.exit.quantile(q), 0.1), 3.5, 4.8)),
    }
    # A tiny demo may leave a result without data; it then keeps the schema's default.
    network = {k: DEFAULT_TARGETS[k] if math.isnan(v) else v for k, v in network.items()}
    overrides: dict[str, dict] = {}
    kinds = hall_type.reindex(results.index)
    # The three busiest flagships carry the brand: a faster promise and a higher peak bar.
    for hall_id in results[kinds == "flagship"].visits.nlargest(3).index:
        overrides[hall_id] = {
            "wait_target_min": BRAND_WAIT_TARGET_MIN,
            "peak_target": round(min(network["peak_target"] + 0.1, 5.0), 4),
        }
    # The two quietest community halls are too small to staff for every peak; head office
    # agreed a looser bar with them.
    looser = round(min(network["max_abandonment"] + 0.04, 1.0), 4)
    for hall_id in results[kinds == "community"].visits.nsmallest(2).index:
        overrides[hall_id] = {"wait_target_min": SMALL_HALL_WAIT_TARGET_MIN, "max_abandonment": looser}
    return network, overrides
