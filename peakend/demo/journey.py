"""The rest of the study's journey (issue 21): how the follow-up survey's respondents rated
finding the hall, entering it and the wait, beside the peak and the exit they rated in the
hall, and the self-service kiosk that one region added to its halls' journey.

Each moment has a story of its own (a pleasant hall is easier to find and nicer to enter;
the wait's rating falls with the minutes waited; the kiosk varies), but the overall score
(peakend/demo/ratings.py) follows only the peak and the exit: the peak-end rule over the
moments, so the Insights check finds peak + end beating the mean of all of them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from peakend.demo.ratings import Moments
from peakend.warehouse.moments import NewMoment

# Of the visits whose customer answered the follow-up survey and rated both the peak and
# the exit, this share also answered its journey questions (5 moments, 6 in REGION_MOMENT's).
JOURNEY_SHARE = 0.6
# A region's own moment (the study's rule: a region may add moments, never remove one).
REGION_MOMENT = NewMoment("kiosk", "自助终端", "Self-service kiosk", "queue", region="华南 South")


def _rate(latent: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(latent), 1, 5).astype(np.int8)


def rate_journey(
    rng: np.random.Generator,
    region: np.ndarray,
    environment: np.ndarray,
    hall: np.ndarray,
    moments: Moments,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(visit row, moment code, score) of every journey rating, visits in row order."""
    n = len(hall)
    asked = (
        moments.served
        & moments.overall_shown
        & moments.peak_shown
        & moments.exit_shown
        & (rng.random(n) < JOURNEY_SHARE)
    )
    rows = np.flatnonzero(asked)
    env = environment[hall[rows]]
    wait = np.nan_to_num(moments.wait_min[rows])
    k = len(rows)
    scores = {
        "find": _rate(4.4 + 0.3 * env + rng.normal(0, 0.7, k)),
        "enter": _rate(4.0 + 0.4 * env + 0.4 * moments.kind[rows] + rng.normal(0, 0.7, k)),
        "wait": _rate(5.0 - 1.1 * np.log1p(wait / 5) + rng.normal(0, 0.6, k)),
    }
    in_region = region[hall[rows]] == REGION_MOMENT.region
    kiosk = _rate(3.7 + 0.3 * env + rng.normal(0, 0.9, k))
    visit_rows, codes, values = [], [], []
    for code, score in scores.items():
        visit_rows.append(rows)
        codes += [code] * k
        values.append(score)
    visit_rows.append(rows[in_region])
    codes += [REGION_MOMENT.moment] * int(in_region.sum())
    values.append(kiosk[in_region])
    order = np.argsort(np.concatenate(visit_rows), kind="stable")
    return np.concatenate(visit_rows)[order], list(np.asarray(codes)[order]), np.concatenate(values)[order]


def ratings_table(visit_rows: np.ndarray, codes: list[str], scores: np.ndarray, visits: pa.Table) -> pa.Table:
    """The journey ratings as the demo writes them: what the visit's id is made of (its
    hall, arrival and ticket: generate.DEMO_VISIT_ID), the moment and the score."""
    take = pa.array(visit_rows.astype(np.int64))
    return pa.table(
        {
            "hall_id": visits.column("hall_id").take(take).cast(pa.string()),
            "arrived_at": visits.column("arrived_at").take(take),
            "ticket": visits.column("ticket").take(take),
            "moment": pa.array(codes, pa.string()),
            "score": pa.array(scores.astype(np.int8), pa.int8()),
        }
    )
