"""What happened at the peak and at the end of each visit, and how it was rated.

The peak rating (counter evaluator, 1-5) falls as the wait grows and depends on the staff
member's manner and knowledge and on the outcome of the purpose. The exit rating (door
terminal, 1-5) follows the peak and what happened at the end: a farewell, a question left
unresolved, the phone out of stock. The follow-up survey's overall score (0-10) is a
linear function of peak, exit, wait and visit length with the weights below, so a
statistics feature can check that it recovers them; the peak-end rule is the point:
peak and exit weigh far more than minutes spent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from peakend.demo.network import PURPOSE_CODES, SEGMENTS, Network, Staff

# overall = clip(round(intercept + peak*peak + exit*exit + wait_min*wait minutes
#                      + visit_len_min*visit minutes + N(0, noise_sd)), 0, 10)
OVERALL_SCORE_WEIGHTS = {
    "intercept": -0.3,
    "peak": 1.0,
    "exit": 0.95,
    "wait_min": -0.03,
    "visit_len_min": -0.006,
    "noise_sd": 0.75,
}

# Latent peak rating before staff, outcome and wait effects, by purpose.
PEAK_BASE = {
    "bill_payment": 4.85,
    "sim_plan_change": 4.6,
    "repair": 4.35,
    "data_demo": 4.75,
    "phone_purchase": 4.7,
    "enquiry": 4.7,
    "broadband": 4.5,
    "number_porting": 4.35,
}
PEAK_WAIT_WEIGHT = 0.5  # times log(1 + wait/5 min): the first minutes hurt most
PEAK_NOISE_SD = 0.6
SEGMENT_PEAK = {"consumer": 0.0, "senior": 0.15, "student": 0.05, "business": -0.1}
# Chance that the purpose is left unresolved (before the staff member's expertise).
UNRESOLVED_P = {
    "bill_payment": 0.02,
    "sim_plan_change": 0.07,
    "repair": 0.18,
    "data_demo": 0.05,
    "phone_purchase": 0.03,
    "enquiry": 0.12,
    "broadband": 0.10,
    "number_porting": 0.22,
}
ADVICE_PURPOSES = ("data_demo", "phone_purchase", "repair", "sim_plan_change")
DEAL_P = {"phone_purchase": 0.28, "sim_plan_change": 0.15, "broadband": 0.15}

SURVEY_RESPONSE = 0.275  # of served visits answer the follow-up survey
# chance that an exit rating comes with a comment, by exit score 1..5
COMMENT_P = np.array([0.0, 0.5, 0.38, 0.16, 0.12, 0.2])

_P = {code: i for i, code in enumerate(PURPOSE_CODES)}


@dataclass
class Moments:
    served: np.ndarray
    wait_min: np.ndarray  # NaN for those who gave up
    visit_min: np.ndarray  # arrival to leaving
    unresolved: np.ndarray
    stockout: np.ndarray
    deal: np.ndarray
    expert: np.ndarray
    kind: np.ndarray
    rude: np.ndarray
    farewell: np.ndarray
    slow: np.ndarray  # service took much longer than usual for the purpose
    environment: np.ndarray  # of the hall, -1..1
    peak: np.ndarray  # int8 1-5, what the customer would rate (0 when not served)
    exit: np.ndarray  # int8 1-5
    overall: np.ndarray  # int8 0-10 (-1 when not served)
    peak_shown: np.ndarray  # the rating was actually given
    exit_shown: np.ndarray
    overall_shown: np.ndarray
    commented: np.ndarray
    exit_unlifted: np.ndarray | None = None  # the exit scores as they were before the planted farewell lift


FAREWELL_LIFT_P = 0.4


def _rate(latent: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(latent), lo, hi).astype(np.int8)


def rate_visits(
    rng: np.random.Generator,
    net: Network,
    staff: Staff,
    hall: np.ndarray,
    purpose: np.ndarray,
    segment: np.ndarray,
    staff_idx: np.ndarray,
    wait_min: np.ndarray,
    service_min: np.ndarray,
    visit_min: np.ndarray,
    patience_min: np.ndarray,
    lifted: np.ndarray | None = None,
    lift_rng: np.random.Generator | None = None,
) -> Moments:
    n = len(hall)
    served = staff_idx >= 0
    s = np.maximum(staff_idx, 0)
    manner = np.where(served, staff.manner[s], 0.0)
    expertise = np.where(served, staff.expertise[s], 0.0)
    wait = np.where(served, wait_min, 0.0)
    is_phone = purpose == _P["phone_purchase"]
    u = rng.random((9, n))

    unresolved_p = np.array([UNRESOLVED_P[p] for p in PURPOSE_CODES])[purpose]
    unresolved = served & (u[0] < unresolved_p * np.exp(-0.35 * expertise))
    stockout = served & is_phone & (u[1] < net.stockout_rate[hall])
    deal_p = np.array([DEAL_P.get(p, 0.0) for p in PURPOSE_CODES])[purpose]
    deal = served & ~stockout & (u[2] < deal_p)
    advice = np.isin(purpose, [_P[p] for p in ADVICE_PURPOSES])
    expert = served & advice & ~unresolved & (u[3] < np.clip(0.18 + 0.12 * expertise, 0.02, 0.5))
    rude = served & (u[4] < np.clip(0.02 - 0.15 * manner, 0.005, 0.3))
    kind = served & ~rude & (u[5] < np.clip(0.15 + 0.25 * manner, 0.02, 0.5))
    farewell = served & ~rude & (u[6] < np.clip(net.farewell_rate[hall] + 0.2 * manner, 0.05, 0.95))
    median_svc = np.zeros(len(PURPOSE_CODES))
    for p in range(len(PURPOSE_CODES)):
        sel = served & (purpose == p)
        median_svc[p] = np.median(service_min[sel]) if sel.any() else 0.0
    slow = served & (np.nan_to_num(service_min) > 1.8 * median_svc[purpose])
    env = net.environment[hall]

    peak_base = np.array([PEAK_BASE[p] for p in PURPOSE_CODES])[purpose]
    seg = np.array([SEGMENT_PEAK[x] for x in SEGMENTS])[segment]
    latent_peak = (
        peak_base
        + 0.9 * manner
        + 0.15 * expertise * advice
        + seg
        + 0.35 * kind
        - 1.6 * rude
        - 1.5 * unresolved
        - 1.2 * stockout
        + 0.45 * deal
        + 0.4 * expert
        - 0.3 * slow
        - PEAK_WAIT_WEIGHT * np.log1p(wait / 5)
        + rng.normal(0, PEAK_NOISE_SD, n)
    )
    peak = np.where(served, _rate(latent_peak, 1, 5), 0).astype(np.int8)

    latent_exit_served = (
        1.5
        + 0.62 * peak
        + 0.5 * farewell
        - 0.9 * unresolved
        - 0.7 * stockout
        + 0.3 * deal
        + 0.3 * env
        - 0.15 * np.log1p(wait / 10)
    )
    latent_exit_gave_up = 1.7 + 0.3 * env - 0.3 * np.log1p(np.nan_to_num(patience_min) / 15)
    noise = rng.normal(0, 0.6, n)
    exit_ = _rate(np.where(served, latent_exit_served, latent_exit_gave_up) + noise, 1, 5)
    # nobody who gave up leaves delighted
    exit_ = np.where(served, exit_, np.minimum(exit_, 3)).astype(np.int8)
    # The planted improvement (issue 17): where `lifted`, the staff see every customer off
    # properly, and a served visit's exit score is one point higher with FAREWELL_LIFT_P.
    exit_unlifted = None
    if lifted is not None and lift_rng is not None:
        exit_unlifted = exit_
        bump = lifted & served & (lift_rng.random(n) < FAREWELL_LIFT_P)
        exit_ = np.where(bump, np.minimum(exit_ + 1, 5), exit_).astype(np.int8)

    w = OVERALL_SCORE_WEIGHTS
    latent_overall = (
        w["intercept"]
        + w["peak"] * peak
        + w["exit"] * exit_
        + w["wait_min"] * wait
        + w["visit_len_min"] * visit_min
        + rng.normal(0, w["noise_sd"], n)
    )
    overall = np.where(served, _rate(latent_overall, 0, 10), -1).astype(np.int8)

    peak_shown = served & (u[7] < net.peak_rate[hall])
    # People with a strong feeling press the exit terminal more often; few who gave up do.
    strong = (exit_ <= 2) | (exit_ == 5)
    exit_p = net.exit_rate[hall] * np.where(served, np.where(strong, 1.12, 0.9), 0.5)
    exit_shown = u[8] < exit_p
    overall_shown = served & (rng.random(n) < SURVEY_RESPONSE)
    commented = exit_shown & (rng.random(n) < COMMENT_P[exit_])
    return Moments(
        served,
        wait_min,
        visit_min,
        unresolved,
        stockout,
        deal,
        expert,
        kind,
        rude,
        farewell,
        slow,
        env,
        peak,
        exit_,
        overall,
        peak_shown,
        exit_shown,
        overall_shown,
        commented,
        exit_unlifted,
    )
