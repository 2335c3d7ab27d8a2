"""Every string the explore page shows exists in Chinese and English, including the keys it
builds from values (dimensions, peak moments, weekdays, journey steps, n columns)."""

import re
from pathlib import Path


from peakend.explore.logic import JOURNEY_STEPS, PERIODS, WEEKDAYS
from peakend.explore.export import FORMATS
from peakend.core.filters import DIMENSIONS, PERIOD_PRESETS
from peakend.core.i18n import LANGUAGES, catalog
from peakend.core.metrics import METRICS
from peakend.core.moments import ALL_PEAK_MOMENTS

ROOT = Path(__file__).resolve().parent.parent
FILES = ["pages/explore.py", "peakend/explore/logic.py", "peakend/explore/widgets.py", "peakend/explore/charts.py",
         "peakend/explore/saved_views.py"]


def built_keys() -> set[str]:
    keys = {f"explore.dim.{d}" for d in DIMENSIONS}
    keys |= {f"explore.moment.{m}" for m in ALL_PEAK_MOMENTS}
    keys |= {f"explore.weekday.{d}" for d in WEEKDAYS} | {f"explore.weekday_short.{d}" for d in WEEKDAYS}
    keys |= {f"explore.step.{s}" for *_, s in JOURNEY_STEPS} | {"explore.step.waited_gave_up"}
    keys |= {f"explore.n.{m.n_column}" for m in METRICS.values() if m.n_column and m.n_column != "visits"}
    keys |= {f"explore.format.{f}" for f in FORMATS}
    keys |= {f"explore.abandoned_{c}" for c in ("all", "yes", "no")}
    keys |= {f"explore.comment_{c}" for c in ("all", "yes", "no")}
    keys |= {f"period.{p}" for p in PERIOD_PRESETS if p in PERIODS} | {"period.custom"}
    keys |= {f"explore.col.{c}" for c in ("visit_id", "arrived_at", "called_at", "service_started_at",
                                         "service_ended_at", "left_at", "peak_score", "exit_score",
                                         "overall_score", "exit_comment")}
    return keys


def literal_keys() -> set[str]:
    pattern = re.compile(r"""\bt\(\s*["']([a-z_.0-9]+)["']""")
    found = set()
    for name in FILES:
        found |= set(pattern.findall((ROOT / name).read_text(encoding="utf-8")))
    return found | {"explore.view_name_empty", "explore.view_name_long"}  # raised, then t()


def test_every_explore_string_is_in_both_languages(subtests):
    for key in sorted(built_keys() | literal_keys()):
        with subtests.test(key=key):
            entry = catalog().get(key)
            assert entry is not None, f"{key} is missing from peakend/locales"
            assert all(entry.get(lang, "").strip() for lang in LANGUAGES), key


def test_the_scan_finds_the_pages_strings():
    # guards the scan itself: a broken pattern would make the test above vacuous
    assert {"explore.title", "explore.group_by", "controls.url_dropped", "explore.journey"} <= literal_keys()
