"""Erlang C against the published worked example, and against a discrete-event simulation
of the same M/M/c queue (ciw)."""

import math

import pytest

from peakend.insights.erlang import Queue, counters_needed, erlang_b, erlang_c
from peakend.insights.simulation import simulate_mmc

# The worked example every call-centre text uses: 100 arrivals in 30 minutes (200 an hour),
# 180 s average handling, 14 agents (counters), 20 s target.
# Traffic A = 200/h x 180 s / 3600 = 10 Erlangs.
EXAMPLE = Queue(arrivals_per_hour=200, handling_s=180, counters=14)


def test_worked_example():
    assert EXAMPLE.traffic == pytest.approx(10.0)
    # published: probability of waiting 0.1741, service level 0.8884, ASA 7.84 s
    assert round(EXAMPLE.p_wait(), 4) == 0.1741
    assert round(EXAMPLE.service_level(20), 4) == 0.8884
    assert round(EXAMPLE.average_wait_s(), 2) == 7.84
    # SL = 1 - C e^{-(c - A) t / AHT} = 1 - 0.17413 e^{-4 x 20 / 180}
    assert EXAMPLE.service_level(20) == pytest.approx(1 - EXAMPLE.p_wait() * math.exp(-80 / 180))


def test_erlang_b_recursion_matches_the_textbook_formula():
    # B(c, A) = (A^c / c!) / sum_k A^k / k!, fine for small c
    for c, a in [(1, 0.5), (3, 2.0), (14, 10.0), (20, 7.5)]:
        textbook = (a**c / math.factorial(c)) / sum(a**k / math.factorial(k) for k in range(c + 1))
        assert erlang_b(c, a) == pytest.approx(textbook, rel=1e-12)
    # the recursion stays finite where factorials overflow a float
    assert 0 < erlang_b(400, 380.0) < 1


def test_one_counter_is_the_mm1_queue():
    # M/M/1: P(wait) = rho, average wait = rho / (mu - lambda)
    q = Queue(arrivals_per_hour=6, handling_s=300, counters=1)  # rho = 0.5
    assert q.p_wait() == pytest.approx(0.5)
    assert q.average_wait_s() == pytest.approx(0.5 * 300 / (1 - 0.5))


def test_overloaded_and_empty_queues():
    overloaded = Queue(arrivals_per_hour=200, handling_s=180, counters=10)  # A = c
    assert overloaded.p_wait() == 1.0
    assert overloaded.service_level(20) == 0.0
    assert overloaded.average_wait_s() == math.inf
    assert erlang_c(3, 0.0) == 0.0
    assert counters_needed(0, 180, 20, 0.8) == 0


def test_counters_needed_is_the_fewest_that_reach_the_target():
    # service level at 12, 13, 14 counters: 0.6402, 0.7956, 0.8884
    assert round(Queue(200, 180, 12).service_level(20), 4) == 0.6402
    assert round(Queue(200, 180, 13).service_level(20), 4) == 0.7956
    assert counters_needed(200, 180, 20, 0.79) == 13
    assert counters_needed(200, 180, 20, 0.80) == 14
    assert counters_needed(200, 180, 20, 0.888) == 14
    # a stricter target or slower service never needs fewer counters
    assert counters_needed(200, 180, 20, 0.95) >= 14
    assert counters_needed(200, 240, 20, 0.88) > 14


def test_simulation_agrees_with_erlang_c_within_its_sampling_error():
    sim = simulate_mmc(200, 180, 14, 20, hours=12, warmup_hours=1, replications=8, seed=11)
    assert sim.customers > 15_000  # 8 x 12 h x 200 an hour
    for estimate, exact in [
        (sim.p_wait, EXAMPLE.p_wait()),
        (sim.service_level, EXAMPLE.service_level(20)),
        (sim.average_wait_s, EXAMPLE.average_wait_s()),
    ]:
        # within three standard errors of the replications' mean, and the error is small
        # enough to mean something (a wrong formula would sit far outside)
        assert abs(estimate.mean - exact) <= 3 * estimate.standard_error, (estimate, exact)
        assert estimate.standard_error < 0.15 * exact


def test_simulation_tells_a_different_queue_apart():
    # The same check must fail for a wrong answer: 13 counters wait far more often.
    sim = simulate_mmc(200, 180, 13, 20, hours=12, warmup_hours=1, replications=8, seed=11)
    assert abs(sim.p_wait.mean - EXAMPLE.p_wait()) > 3 * sim.p_wait.standard_error
    assert abs(sim.p_wait.mean - Queue(200, 180, 13).p_wait()) <= 3 * sim.p_wait.standard_error
