"""The catalogue of key moments (关键时刻): what a visit's journey is made of, hall by hall.

The field study's journey (core/moments.py STUDY_MOMENTS) is every hall's, and can't be
removed. A data admin adds moments of the network, of one region or of one hall, to fit its
customers (the study's rule: 可增加，不可减少). A hall's journey is the study's moments plus
the network's, its region's and its own, in journey order (stage, then position). Every
change is audited.
"""

from __future__ import annotations

import re
from contextlib import closing
from dataclasses import asdict, dataclass, replace

import duckdb

from peakend.core.moments import RULE_EN, RULE_ZH, STAGES
from peakend.warehouse.accounts import User, audit, utcnow
from peakend.warehouse.db import Database
from peakend.warehouse.schema import JOURNEY_JOIN

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_LABEL = 60


class MomentError(ValueError):
    """A moment can't be added or removed as asked; the message says why."""


@dataclass(frozen=True)
class Moment:
    moment: str
    label_zh: str
    label_en: str
    stage: str
    is_peak: bool
    scale_min: int
    scale_max: int
    region: str | None
    hall_id: str | None
    study: bool

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    @property
    def owner(self) -> str:
        """Whose moment it is, for listings: the study, the network, a region or a hall."""
        if self.study:
            return "study"
        if self.hall_id:
            return f"hall {self.hall_id}"
        if self.region:
            return f"region {self.region}"
        return "network"


_COLUMNS = "moment, label_zh, label_en, stage, is_peak, scale_min, scale_max, region, hall_id, study"
# Journey order: stage, then position (the study's first within a stage, added ones after).
_ORDER = "list_position($stages::varchar[], stage), position"


def _moments(rows) -> list[Moment]:
    return [Moment(*r) for r in rows]


def catalogue(db: Database) -> list[Moment]:
    """Every moment of the network, in journey order."""
    with closing(db.cursor()) as cur:
        return _moments(
            cur.execute(f"select {_COLUMNS} from moments order by {_ORDER}", {"stages": list(STAGES)}).fetchall()
        )


def journey(db: Database, hall_id: str) -> list[Moment]:
    """The moments of one hall's journey, in journey order: the study's and the network's,
    its region's and its own."""
    with closing(db.cursor()) as cur:
        return _moments(
            cur.execute(
                f"""select {", ".join(f"m.{c}" for c in _COLUMNS.split(", "))} from moments as m
                    join halls as h on h.hall_id = $hall and ({JOURNEY_JOIN})
                    order by list_position($stages::varchar[], m.stage), m.position""",
                {"hall": hall_id, "stages": list(STAGES)},
            ).fetchall()
        )


@dataclass(frozen=True)
class NewMoment:
    """A moment to add: for the network, or for `region` or `hall_id` (one of them at most)."""

    moment: str
    label_zh: str
    label_en: str
    stage: str
    is_peak: bool = False
    scale: tuple[int, int] = (1, 5)
    region: str | None = None
    hall_id: str | None = None


def _checked(new: NewMoment) -> NewMoment:
    """The moment as it will be written (trimmed), or MomentError saying what is wrong."""
    new = replace(
        new,
        moment=(new.moment or "").strip(),
        label_zh=(new.label_zh or "").strip(),
        label_en=(new.label_en or "").strip(),
        region=new.region or None,
        hall_id=new.hall_id or None,
    )
    if not CODE.match(new.moment):
        raise MomentError(
            f"code {new.moment!r}: 2-40 characters, lower-case letters, digits and _, starting with a letter "
            "(e.g. greeting)"
        )
    if not new.label_zh or not new.label_en:
        raise MomentError("a moment needs a Chinese and an English label")
    if len(new.label_zh) > MAX_LABEL or len(new.label_en) > MAX_LABEL:
        raise MomentError(f"a label is at most {MAX_LABEL} characters")
    if new.stage not in STAGES:
        raise MomentError(f"stage {new.stage!r}: one of {', '.join(STAGES)}")
    low, high = (int(new.scale[0]), int(new.scale[1]))
    if not (0 <= low < high <= 10):
        raise MomentError(f"scale {low}-{high}: from a low to a higher score, within 0-10 (e.g. 1-5)")
    if new.region and new.hall_id:
        raise MomentError("a moment belongs to the network, one region or one hall: give --region or --hall, not both")
    return replace(new, scale=(low, high))


def add_moment(db: Database, user: User | str, new: NewMoment) -> Moment:
    """Add a moment to the catalogue, audited; MomentError says why one can't be."""
    new = _checked(new)

    def _write(cur):
        if new.region and not cur.execute("select count(*) from halls where region = ?", [new.region]).fetchall()[0][0]:
            known = [r[0] for r in cur.execute("select distinct region from halls order by 1").fetchall()]
            raise MomentError(f"region {new.region!r} has no halls (regions: {', '.join(known)})")
        if (
            new.hall_id
            and not cur.execute("select count(*) from halls where hall_id = ?", [new.hall_id]).fetchall()[0][0]
        ):
            raise MomentError(f"hall {new.hall_id!r} is not a known hall")
        existing = cur.execute(f"select {_COLUMNS} from moments where moment = ?", [new.moment]).fetchall()
        if existing:
            raise MomentError(f"moment {new.moment!r} is already in the catalogue ({_moments(existing)[0].owner})")
        insert_moment(cur, user, new)
        return _moments(cur.execute(f"select {_COLUMNS} from moments where moment = ?", [new.moment]).fetchall())[0]

    return db.write(_write)


def insert_moment(cur: duckdb.DuckDBPyConnection, user: User | str, new: NewMoment) -> None:
    """Write a checked moment, last of its stage, and audit it (in the caller's transaction:
    add_moment's, or the demo's load)."""
    position = cur.execute("select coalesce(max(position), 0) + 1 from moments where stage = ?", [new.stage])
    who = user.username if isinstance(user, User) else user
    low, high = new.scale
    cur.execute(
        "insert into moments values (?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?)",
        [
            new.moment,
            new.label_zh,
            new.label_en,
            new.stage,
            new.is_peak,
            low,
            high,
            new.region,
            new.hall_id,
            position.fetchall()[0][0],
            who,
            utcnow(),
        ],
    )
    audit(cur, user, "moment_add", {**asdict(new), "scale": f"{low}-{high}"})


def remove_moment(db: Database, user: User | str, code: str) -> None:
    """Remove a moment a data admin added. The study's are refused, quoting the rule; so is
    one with ratings loaded (undo their loads first: nothing is lost by a removal)."""

    def _write(cur):
        found = _moments(cur.execute(f"select {_COLUMNS} from moments where moment = ?", [code]).fetchall())
        if not found:
            raise MomentError(f"moment {code!r} is not in the catalogue")
        moment = found[0]
        if moment.study:
            raise MomentError(
                f"{moment.moment} ({moment.label_zh}, {moment.label_en}) is one of the field study's key moments, "
                f"which every hall keeps: {RULE_ZH} ({RULE_EN})."
            )
        rated = cur.execute("select count(*) from moment_ratings where moment = ?", [code]).fetchall()[0][0]
        if rated:
            raise MomentError(
                f"moment {code!r} has {rated:,} ratings loaded; undo the loads that brought them first "
                "(Data page, History), so that no rating is lost"
            )
        cur.execute("delete from moments where moment = ?", [code])
        audit(cur, user, "moment_remove", {"moment": code, "owner": moment.owner})

    db.write(_write)
