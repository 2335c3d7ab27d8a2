"""Day notes (issue 17, point 5): written by whoever manages the hall, audited, listed for
the period, and their `leave_out` hours left out of the numbers when asked.

Hand-derived from tests/fixture/visits.csv: H1 has V01-V04 on 2 March (V03 and V04 at 10:xx),
V05 on 3 March and V06-V07 on 8 March; exit scores 5, 2, 4, -, 4, 1, -.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from peakend.core.filters import VisitFilter
from peakend.warehouse.accounts import audit_entries, get_user
from peakend.warehouse.day_notes import NoteError, add_note, remove_note

H1 = VisitFilter(halls=("H1",))


def _headline(db, f: VisitFilter):
    row = db.query("metrics_by_group", f, group_1=None, group_2=None).iloc[0]
    return int(row["visits"]), round(float(row["exit_mean"]), 4)


def test_leave_out_notes_take_their_hours_out_of_the_numbers(fixture_db, subtests):
    admin = get_user(fixture_db, "admin")
    assert _headline(fixture_db, H1) == (7, 3.2)
    add_note(fixture_db, admin, "H1", date(2026, 3, 3), "promotion", "new phone launch")  # kept in
    add_note(fixture_db, admin, "H2", date(2026, 3, 8), "outage", "H2's own day", leave_out=True)
    cases = [
        ("no note left out yet", None, (7, 3.2)),
        ("8 March left out: V06 and V07 go", ("H1", date(2026, 3, 8), None), (5, 3.75)),
        ("and 10:00-10:59 on 2 March: V03 and V04 go too", ("H1", date(2026, 3, 2), (10, 10)), (3, 3.6667)),
    ]
    for label, note, expected in cases:
        with subtests.test(label):
            if note is not None:
                add_note(fixture_db, admin, note[0], note[1], "outage", label, hours=note[2], leave_out=True)
            assert _headline(fixture_db, H1.replace(skip_noted=True)) == expected
            assert _headline(fixture_db, H1) == (7, 3.2)  # without the switch every visit counts
    assert VisitFilter(skip_noted=False) == VisitFilter()  # one cache key for "keep every visit"


def test_notes_are_listed_for_the_period_and_scope(fixture_db):
    admin = get_user(fixture_db, "admin")
    add_note(fixture_db, admin, "H1", date(2026, 3, 8), "outage", "queue system down", hours=(9, 11), leave_out=True)
    add_note(fixture_db, admin, "H1", date(2026, 3, 2), "staffing", "two new staff")
    add_note(fixture_db, admin, "H3", date(2026, 3, 2), "holiday", "H3's note")
    notes = fixture_db.query("hall_day_notes", VisitFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 8),
                                                           halls=("H1",)))
    hours = [None if pd.isna(h) else int(h) for h in notes["hour_from"]]
    assert list(zip(notes["day"].astype(str), notes["kind"], notes["note"], hours)) == [
        ("2026-03-02", "staffing", "two new staff", None), ("2026-03-08", "outage", "queue system down", 9),
    ]
    from peakend.core.scope import Scope

    mine = fixture_db.query("hall_day_notes", VisitFilter(), Scope.halls(["H1", "H2"]))
    assert sorted(mine["hall_id"]) == ["H1", "H1"]  # H3's note is outside the scope


def test_who_may_write_and_every_change_audited(fixture_db):
    h1, north, hq = (get_user(fixture_db, u) for u in ("h1", "north", "hq"))
    note_id = add_note(fixture_db, h1, "H1", date(2026, 3, 2), "other", "fire drill at 10", hours=(10, 10))
    add_note(fixture_db, north, "H2", date(2026, 3, 2), "staffing", "one counter closed")
    add_note(fixture_db, hq, "H3", date(2026, 3, 2), "holiday", "local holiday")
    refused = [
        (lambda: add_note(fixture_db, h1, "H3", date(2026, 3, 2), "other", "x"), "not in h1's halls"),
        (lambda: add_note(fixture_db, north, "H3", date(2026, 3, 2), "other", "x"), "not in north's halls"),
        (lambda: add_note(fixture_db, hq, "H1", date(2026, 3, 2), "party", "x"), "kind 'party'"),
        (lambda: add_note(fixture_db, hq, "H1", date(2026, 3, 2), "other", "  "), "1 to 500 characters"),
        (lambda: add_note(fixture_db, hq, "H1", date(2026, 3, 2), "other", "x" * 501), "1 to 500 characters"),
        (lambda: add_note(fixture_db, hq, "H1", date(2026, 3, 2), "other", "x", hours=(12, 9)), "hours 12-9"),
        (lambda: add_note(fixture_db, hq, "H9", date(2026, 3, 2), "other", "x"), "unknown hall H9"),
        (lambda: remove_note(fixture_db, get_user(fixture_db, "h2h3"), note_id), "not in h2h3's halls"),
        (lambda: remove_note(fixture_db, hq, 999), "no day note 999"),
    ]
    for attempt, message in refused:
        with pytest.raises(NoteError, match=message):
            attempt()
    remove_note(fixture_db, h1, note_id)
    assert sorted(fixture_db.query("hall_day_notes", VisitFilter())["hall_id"]) == ["H2", "H3"]
    actions = [(user, action) for _, user, action, _ in audit_entries(fixture_db, limit=10)
               if action.startswith("day_note")]
    assert actions == [("h1", "day_note_remove"), ("hq", "day_note_add"), ("north", "day_note_add"),
                       ("h1", "day_note_add")]
