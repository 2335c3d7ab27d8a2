"""A hall's rank among anonymised peers (queries/peer_ranks.sql): read across the whole
network on the server, answered for the user's own halls only, never naming a peer.

Given: the fixture (H1 Alpha Hall flagship and H2 Beta Hall standard in North, H3 Gamma
Hall community in South) plus four standard North halls with one visit each, so North has
6 halls and "standard" 5 (H2, H4-H7):

    hall  wait  abandoned  peak-end  exit        (the fixture's numbers: tests/test_queries_metrics.py)
    H1    6.0   2/7        3.50      3.20
    H2    3.0   1/4        3.75      4.00
    H4    1     0          5.0       5
    H5    4     0          4.0       4
    H6    30    0          2.0       2
    H7    40    0          1.0       1
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from peakend.regional import peers
from peakend.warehouse.db import PEER_QUERIES, check_peer_answer
from peakend.warehouse.named_queries import QueryError
from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language
from peakend.core.scope import EVERYTHING, Scope

PEERS = [  # hall, wait (min), peak, exit
    ("H4", "Delta Hall", 1, 5, 5),
    ("H5", "Epsilon Hall", 4, 4, 4),
    ("H6", "Zeta Hall", 30, 2, 2),
    ("H7", "Eta Hall", 40, 1, 1),
]
NAMES = {"H1": "Alpha Hall", "H2": "Beta Hall", "H3": "Gamma Hall", **{h: n for h, n, *_ in PEERS}}
RANK_COLUMNS = ["group_halls"] + [f"{m}_{p}" for m in peers.METRICS for p in ("rank", "ranked", "beats")]


@pytest.fixture()
def network(fixture_db):
    with fixture_db.transaction() as cur:
        for hall_id, name, wait, peak, exit_ in PEERS:
            cur.execute("insert into halls (hall_id, hall_name, region, city, hall_type, load_id) "
                        "values (?, ?, 'North', 'Dalian', 'standard', 1)", [hall_id, name])
            cur.execute(
                "insert into visits (visit_id, hall_id, arrived_at, purpose, called_at, abandoned, "
                "peak_score, exit_score, wait_s, load_id) values (?, ?, timestamp '2026-03-03 10:00', "
                "'bill_payment', timestamp '2026-03-03 10:00' + to_minutes(?), false, ?, ?, ? * 60, 2)",
                [f"P{hall_id}", hall_id, wait, peak, exit_, wait],
            )
    return fixture_db


def ask(db, halls, **params):
    params = {"min_group": 5, "min_n": 1, **params}
    return db.query("peer_ranks", VisitFilter(), Scope.halls(halls) if halls is not None else EVERYTHING, **params)


def rows(answer: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else int(v) if isinstance(v, float) or hasattr(v, "item") else v for v in r)
            for r in answer[["hall_id", "peer_group", "group_name", *RANK_COLUMNS]].itertuples(index=False)]


def test_a_store_manager_gets_their_hall_ranked_in_its_region(network):
    # wait 1 3 4 [6] 30 40: 4th of 6, beats 2; abandonment 0 0 0 0 .25 [.29]: 6th, beats 0;
    # peak-end 5 4 3.75 [3.5] 2 1: 4th, beats 2; exit 5 4 4 [3.2] 2 1: 4th, beats 2.
    # Its type (flagship) is a group of one: no row.
    assert rows(ask(network, {"H1"})) == [
        ("H1", "region", "North", 6, 4, 6, 2, 6, 6, 0, 4, 6, 2, 4, 6, 2),
    ]


def test_a_hall_in_two_groups_of_five_or_more(network):
    # H2 in North: wait 2nd (beats 4), abandonment 5th of 6 (beats H1), peak-end 3rd (beats 3),
    # exit 2nd with H5 (both beat H1, H6, H7: 3).
    # Among the 5 standard halls: wait 2nd (beats 3), abandonment 5th (0), peak-end 3rd (2), exit 2nd (2).
    # H3 is alone in South and in "community": nothing.
    assert rows(ask(network, {"H2", "H3"})) == [
        ("H2", "region", "North", 6, 2, 6, 4, 5, 6, 1, 3, 6, 3, 2, 6, 3),
        ("H2", "hall_type", "standard", 5, 2, 5, 3, 5, 5, 0, 3, 5, 2, 2, 5, 2),
    ]


def test_groups_under_five_halls_are_never_answered(network):
    assert ask(network, {"H3"}).empty  # South: 1 hall
    assert ask(network, {"H1"}, min_group=7).empty


def test_a_metric_ranked_over_too_few_halls_has_no_rank(network):
    # at least 4 of each: H1 has 5 waits, 7 visits, 5 peak-end and 5 exit ratings; H2 has 4
    # visits (3 of the rest); the other North halls 1 each. Ranked over 1 or 2 halls: no rank.
    [row] = rows(ask(network, {"H1"}, min_n=4))
    assert row[3:] == (6, None, 1, None, None, 2, None, None, 1, None, None, 1, None)


def test_no_other_hall_id_or_name_leaves_the_server(network):
    for scope in ({"H1"}, {"H2", "H3"}, {"H1", "H2"}):
        answer = ask(network, scope)
        assert set(answer.columns) <= PEER_QUERIES["peer_ranks"]
        assert set(answer["hall_id"]) <= scope
        text = answer.astype(str).to_csv(index=False)
        for hall_id in set(NAMES) - scope:
            assert not re.search(rf"\b{hall_id}\b", text), (scope, hall_id)
            assert NAMES[hall_id] not in text, (scope, hall_id)


def test_the_server_refuses_an_answer_that_would_leak(network):
    answer = ask(network, {"H1", "H2"})
    with pytest.raises(QueryError, match="outside the user's scope"):
        check_peer_answer("peer_ranks", answer, Scope.halls({"H1"}))
    with pytest.raises(QueryError, match="wait_median_min"):
        check_peer_answer("peer_ranks", answer.assign(wait_median_min=6.0), Scope.halls({"H1", "H2"}))


def test_sentences_in_a_store_managers_words(network):
    set_language("en")
    try:
        groups = peers.peer_groups(ask(network, {"H1"}), "H1", min_n=1, min_group=5)
        assert [g.title for g in groups] == ["Among the 6 halls of North"]
        assert groups[0].lines == [
            "Median wait: 4th of 6 — shorter than 2 of the other 5 halls (40%).",
            "Abandonment: 6th of 6 — lower than 0 of the other 5 halls (0%).",
            "Peak-end index: 4th of 6 — better than 2 of the other 5 halls (40%).",
            "Exit score: 4th of 6 — better than 2 of the other 5 halls (40%).",
        ]
        set_language("zh")
        groups = peers.peer_groups(ask(network, {"H2"}), "H2", min_n=1, min_group=5)
        assert [g.title for g in groups] == ["在 North 大区的 6 个营业厅中", "在同类型（standard）的 5 个营业厅中"]
        assert groups[1].lines[0] == "等候中位数：第 2 名（共 5 个）——比其余 4 个厅中的 3 个更短（75%）。"
    finally:
        set_language("zh")


def test_a_hall_with_too_few_ratings_of_its_own_is_said_so(network):
    # at least 1 peak-end rating for the peers but a hall of 0: rank the others, say why not this one
    answer = ask(network, {"H1"})
    answer = answer.assign(peak_end_index_rank=float("nan"), peak_end_index_beats=float("nan"))
    set_language("en")
    try:
        [group] = peers.peer_groups(answer, "H1", min_n=30)
        assert group.lines[2] == "Peak-end index: this hall has fewer than 30 in this period, so no rank."
    finally:
        set_language("zh")


def test_the_rollup_twin_ranks_exactly_as_the_visits_do(network, monkeypatch, subtests):
    """With the rollups current (rebuilt after the peers were added), peer_ranks is answered
    by its twin over visit_rollup, with the same rows as from the visits."""
    from peakend.warehouse import rollups

    with network.transaction() as cur:
        rollups.rebuild(cur)
    assert network.rollups_behind() == []
    for halls in (None, ["H1"], ["H1", "H2", "H4"]):
        scope = Scope.halls(halls) if halls is not None else EVERYTHING
        route = network.explain("peer_ranks", VisitFilter(), scope, min_group=5, min_n=1)
        with subtests.test(halls=halls):
            assert route.query == "peer_ranks_rollup"
            rolled = ask(network, halls)
            monkeypatch.setenv("PEAKEND_ROLLUPS", "0")
            raw = ask(network, halls)
            monkeypatch.delenv("PEAKEND_ROLLUPS")
            assert rows(rolled) == rows(raw) and len(rows(raw)) > 0
