"""Every user-facing string exists in both languages, with the same placeholders."""

import re
import string
from pathlib import Path


from peakend.core import i18n

ROOT = Path(__file__).resolve().parent.parent


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_with_the_same_placeholders(subtests):
    # one subtest per key (a failing key is reported by name; the others still run)
    for key, entry in sorted(i18n.catalog().items()):
        with subtests.test(key=key):
            assert set(entry) == set(i18n.LANGUAGES), f"{key} must have exactly {i18n.LANGUAGES}"
            assert all(entry[lang].strip() for lang in i18n.LANGUAGES), key
            assert _placeholders(entry["zh"]) == _placeholders(entry["en"]), key


def test_every_literal_key_used_in_code_exists():
    used = set()
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("peakend/**/*.py")]:
        used |= set(re.findall(r"\bt\(\s*\"([a-z_]+\.[a-z0-9_.]+)\"", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in i18n.catalog())
    assert not missing, f"keys used in code but missing from peakend/locales: {missing}"


def test_language_switch_is_per_context():
    i18n.set_language("en")
    assert i18n.t("nav.home") == "Network overview"
    i18n.set_language("zh")
    assert i18n.t("nav.home") == "网络概览"
    assert i18n.t("card.n", n="5") == "样本量 n = 5"
