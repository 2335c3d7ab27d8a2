"""`python -m bench.comments`: how far the comment tagger (peakend.hall.themes) can be trusted.

Two labelled sets, each scored per theme: precision and recall of "this comment talks about
the theme" (with the confusion counts), and polarity accuracy on the mentions both the
tagger and the label found.

- **ASAP** (real Dianping restaurant reviews, hand-labelled by their authors' annotators;
  ../shared/realdata/asap_reviews/, or --asap PATH). Waiting = service_wait_time or
  service_serving_speed; staff = service_waiters_attitude; environment = environment_*;
  price = price_*. The file joins train_sample, dev_sample and test_sample, 100 rows each,
  in that order: the tagger's rules were written looking at the first 100 only, so the last
  200 are reported apart as the held-out part.
- **Service-hall comments** (tests/comments_labelled.csv, written and labelled for this
  bench; see tests/comments_labelled.md).

A label with both praise and complaint for a theme (ASAP codes several columns per theme)
accepts either polarity.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from peakend.hall.themes import NEGATIVE, NEUTRAL, POSITIVE, mentions_of, theme_polarity

ROOT = Path(__file__).resolve().parent.parent
ASAP = ROOT.parent / "shared" / "realdata" / "asap_reviews" / "asap_samples_300.csv"
HALL = ROOT / "tests" / "comments_labelled.csv"
ASAP_THEMES = {
    "waiting": ("service_wait_time", "service_serving_speed"),
    "staff_attitude": ("service_waiters_attitude",),
    "environment": ("environment_decoration", "environment_noise", "environment_space", "environment_cleaness"),
    "price_deal": ("price_level", "price_cost_effective", "price_discount"),
}
ASAP_TUNING_ROWS = 100  # train_sample.csv
_CODE = {"1": POSITIVE, "0": NEUTRAL, "-1": NEGATIVE}
_SIGN = {"+": POSITIVE, "-": NEGATIVE, "0": NEUTRAL}


@dataclass
class Item:
    text: str
    labels: dict[str, frozenset[str]]  # theme -> the polarities a right answer may have


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    polarity_right: int = 0
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (label, predicted)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def polarity_accuracy(self) -> float | None:
        return self.polarity_right / self.tp if self.tp else None


def read_asap(path: Path) -> list[Item]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    items = []
    for row in rows:
        labels = {}
        for theme, columns in ASAP_THEMES.items():
            said = {_CODE[row[c]] for c in columns if row[c] in _CODE}
            if said:
                # several columns: praise and complaint both count; a neutral column adds nothing then
                strong = said - {NEUTRAL}
                labels[theme] = frozenset(strong or said)
        items.append(Item(row["reviewbody"].replace("\\n", "\n"), labels))
    return items


def read_hall(path: Path) -> list[Item]:
    """Rows of comment,labels; labels like `waiting:-;staff_attitude:+` (empty: no theme)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    items = []
    for row in rows:
        labels = {}
        for part in filter(None, (row["labels"] or "").split(";")):
            theme, _, sign = part.strip().partition(":")
            labels[theme] = frozenset({_SIGN[sign]})
        items.append(Item(row["comment"], labels))
    return items


def score(items: list[Item], themes: list[str]) -> dict[str, Score]:
    out = {theme: Score() for theme in themes}
    for item in items:
        predicted = theme_polarity(mentions_of(item.text))
        for theme in themes:
            s, gold, said = out[theme], item.labels.get(theme), predicted.get(theme)
            if gold and said:
                s.tp += 1
                s.polarity_right += said in gold
                key = ("/".join(sorted(gold)), said)
                s.confusion[key] = s.confusion.get(key, 0) + 1
            elif said:
                s.fp += 1
            elif gold:
                s.fn += 1
            else:
                s.tn += 1
    return out


def _wilson(k: int, n: int, z: float = 1.96) -> str:
    if not n:
        return ""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return f"[{centre - half:.2f}–{centre + half:.2f}]"


def _f(x: float | None) -> str:
    return "  –  " if x is None else f"{x:.2f}"


def report(title: str, scores: dict[str, Score], n: int) -> list[str]:
    lines = [
        f"## {title} ({n} comments)",
        "",
        "| theme | precision [95% CI] | recall [95% CI] | polarity acc. (n) | TP | FP | FN | TN |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for theme, s in scores.items():
        lines.append(
            f"| {theme} | {_f(s.precision)} {_wilson(s.tp, s.tp + s.fp)} | {_f(s.recall)} {_wilson(s.tp, s.tp + s.fn)} "
            f"| {_f(s.polarity_accuracy)} ({s.tp}) | {s.tp} | {s.fp} | {s.fn} | {s.tn} |"
        )
    right = sum(s.polarity_right for s in scores.values())
    found = sum(s.tp for s in scores.values())
    lines += [
        "",
        f"Polarity accuracy over every mention found by both: {_f(right / found if found else None)} "
        f"({right} of {found}) {_wilson(right, found)}",
        "",
    ]
    lines.append("Polarity confusion (label → predicted: mentions):")
    for theme, s in scores.items():
        cells = ", ".join(f"{g}→{p}: {c}" for (g, p), c in sorted(s.confusion.items()))
        lines.append(f"- {theme}: {cells or 'none'}")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.comments", description=__doc__.splitlines()[0])
    parser.add_argument("--asap", type=Path, default=ASAP, help="ASAP samples CSV (default: %(default)s)")
    parser.add_argument("--hall", type=Path, default=HALL, help="service-hall labelled CSV (default: %(default)s)")
    parser.add_argument(
        "--errors",
        metavar="THEME",
        help="also list the comments this theme gets wrong (ASAP: the tuning part only; and the service-hall set)",
    )
    args = parser.parse_args(argv)
    out: list[str] = []
    if args.asap.is_file():
        asap = read_asap(args.asap)
        themes = list(ASAP_THEMES)
        out += report("ASAP, all 300", score(asap, themes), len(asap))
        out += report("ASAP, tuning part (train_sample)", score(asap[:ASAP_TUNING_ROWS], themes), ASAP_TUNING_ROWS)
        held = asap[ASAP_TUNING_ROWS:]
        out += report("ASAP, held out (dev_sample + test_sample)", score(held, themes), len(held))
        if args.errors:
            out += errors(asap[:ASAP_TUNING_ROWS], args.errors)
    else:
        out.append(f"(no ASAP file at {args.asap})")
    if args.hall.is_file():
        hall = read_hall(args.hall)
        themes = sorted({t for item in hall for t in item.labels}, key=list_order)
        out += report("Service-hall comments (tests/comments_labelled.csv)", score(hall, themes), len(hall))
        if args.errors:
            out += errors(hall, args.errors)
    else:
        out.append(f"(no service-hall set at {args.hall})")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def errors(items: list[Item], theme: str) -> list[str]:
    """The comments a theme gets wrong: missed, found where the label has none, or read with
    the wrong polarity; with each mention's polarity and clause."""
    out = []
    for i, item in enumerate(items):
        ms = [m for m in mentions_of(item.text) if m.theme == theme]
        said = theme_polarity(ms).get(theme)
        gold = item.labels.get(theme)
        if (said is None) != (gold is None) or (gold and said not in gold):
            kind = "missed" if said is None else "not labelled" if gold is None else "polarity"
            out.append(
                f"- row {i} ({kind}): label {sorted(gold) if gold else None}, said {said}: "
                + " | ".join(f"{m.polarity}: {m.evidence}" for m in ms)
                + ("" if ms else f" <<{item.text[:300]}>>")
            )
    return out + [""]


def list_order(theme: str) -> int:
    from peakend.hall.themes import THEME_KEYS

    return THEME_KEYS.index(theme) if theme in THEME_KEYS else len(THEME_KEYS)


if __name__ == "__main__":
    sys.exit(main())
