"""The hall page in a real browser: the cards of one hall match values computed here, straight
from tests/fixture/visits.csv (no SQL), and switching the language changes the labels only."""

import csv
import re
import statistics
from datetime import datetime
from pathlib import Path

import pytest

from conftest import screenshot, sign_in, wait_for_app
from peakend.core.metrics import shown_on

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixture"
COUNTER_PURPOSES = {"bill_payment", "plan_change"}  # tests/fixture/purposes.csv


def expected_cards(hall_id: str) -> dict[str, float]:
    """The headline numbers of one hall over the whole fixture week, by DESIGN.md's
    definitions, computed in plain Python."""
    with (FIXTURE / "visits.csv").open(encoding="utf-8") as fh:
        visits = [v for v in csv.DictReader(fh) if v["hall_id"] == hall_id]
    with (FIXTURE / "targets.csv").open(encoding="utf-8") as fh:
        targets = {r["hall_id"]: r for r in csv.DictReader(fh)}
    target_min = float(targets.get(hall_id, {}).get("wait_target_min") or targets["*"]["wait_target_min"])

    def minutes(a, b):
        return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 60

    abandoned = [v for v in visits if v["abandoned"] == "true"]
    waits = [minutes(v["arrived_at"], v["called_at"]) for v in visits if v["called_at"]]
    gave_up_late = [v for v in abandoned if minutes(v["arrived_at"], v["left_at"]) > target_min]
    counter = [int(v["peak_score"]) for v in visits if v["peak_score"] and v["purpose"] in COUNTER_PURPOSES]
    exits = [int(v["exit_score"]) for v in visits if v["exit_score"]]
    both = [(int(v["peak_score"]) + int(v["exit_score"])) / 2 for v in visits if v["peak_score"] and v["exit_score"]]
    overall = [int(v["overall_score"]) for v in visits if v["overall_score"]]
    return {
        "visits": len(visits),
        "median": statistics.median(waits),
        # quantile_cont: linear between closest ranks, the 'inclusive' method
        "p90": statistics.quantiles(waits, n=10, method="inclusive")[8],
        "service_level": sum(w <= target_min for w in waits) / (len(waits) + len(gave_up_late)),
        "abandonment": len(abandoned) / len(visits),
        "counter": statistics.mean(counter),
        "exit": statistics.mean(exits),
        "peak_end": statistics.mean(both),
        "nps": 100 * (sum(s >= 9 for s in overall) - sum(s <= 6 for s in overall)) / len(overall),
    }


def card_texts(page) -> list[str]:
    # five tiles, then the other seven in "All numbers" (closed at first)
    summary = page.locator("[data-testid='stExpander'] details:not([open]) summary")
    if summary.count():
        summary.first.click()
        page.wait_for_timeout(500)
    cards = page.locator("[data-testid='stMetric']")
    return [cards.nth(i).inner_text() for i in range(cards.count())]


def card(texts: list[str], label: str) -> str:
    found = [x for x in texts if x.splitlines()[0].strip() == label]
    assert len(found) == 1, (label, texts)
    return found[0]


def numbers(texts: list[str]) -> list[str]:
    return [" ".join(re.findall(r"[+-]?\d[\d,]*(?:\.\d+)?%?", x)) for x in texts]


def test_hall_cards_match_independent_values_and_language_changes_only_labels(page, app_url):
    sign_in(page, app_url + "/hall?hall=H1&period=last_7_days&lang=en")
    wait_for_app(page, timeout=90_000)
    main = page.locator("[data-testid='stMain']")
    assert "Alpha Hall: Mar 2, 2026 to Mar 8, 2026" in main.inner_text()
    want = expected_cards("H1")
    en = card_texts(page)
    assert len(en) == 5 + len(shown_on("hall_more")), en  # the five tiles and "All numbers"
    assert f"\n{want['visits']}" in card(en, "Visits")
    assert f"{want['median']:.1f} min" in card(en, "Median wait")
    assert f"{want['p90']:.1f} min" in card(en, "P90 wait")
    assert f"{want['service_level']:.1%}" in card(en, "Service level")
    assert f"{want['abandonment']:.1%}" in card(en, "Abandonment")
    assert f"{want['counter']:.2f}" in card(en, "Peak · counter result")
    assert f"{want['exit']:.2f}" in card(en, "Exit score")
    assert f"{want['peak_end']:.2f}" in card(en, "Peak-end index")
    assert f"+{want['nps']:.0f}" in card(en, "NPS")
    page.set_viewport_size({"width": 1400, "height": 5600})
    page.wait_for_timeout(1500)
    screenshot(page, "hall_en")
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.locator("[data-testid='stSidebar'] button", has_text="中文").click()
    page.wait_for_function("() => document.body.innerText.includes('营业厅视图')", timeout=90_000)
    wait_for_app(page, timeout=90_000)
    zh = card_texts(page)
    assert "等候中位数" in card(zh, "等候中位数") and f"{want['median']:.1f} 分钟" in card(zh, "等候中位数")
    assert [x.splitlines()[0] for x in zh] != [x.splitlines()[0] for x in en]  # the labels changed
    assert numbers(zh) == numbers(en)  # and not one number did
    # the link still names the same hall and period
    assert "hall=H1" in page.url and "period=last_7_days" in page.url


def test_a_regional_drill_down_link_opens_the_hall_and_period(page, app_url):
    # what the regional page links to: a hall and a custom period
    sign_in(page, app_url + "/hall?hall=H2&from=2026-03-02&to=2026-03-03&lang=en", "north")
    wait_for_app(page, timeout=90_000)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "Beta Hall: Mar 2, 2026 to Mar 3, 2026" in body
    want = expected_cards("H2")  # all of H2's visits fall on 03-02 and 03-03
    texts = card_texts(page)
    assert f"\n{want['visits']}" in card(texts, "Visits")
    assert f"{want['median']:.1f} min" in card(texts, "Median wait")
    # H2's own wait target is 5 min: 2 of 3 called within it, V11 gave up after 10 min
    assert f"{want['service_level']:.1%}" in card(texts, "Service level") and want["service_level"] == 0.5
    page.set_viewport_size({"width": 1400, "height": 5600})
    page.wait_for_timeout(1500)
    screenshot(page, "hall_h2_regional_link")
