"""Every user-facing string goes through `t()`; catalogs live in peakend/locales/*.toml.

A catalog entry is a TOML table with one string per language:

    [home.title]
    zh = "网络概览"
    en = "Network overview"

One file per area keeps catalogs small and lets pages be worked on side by side. The
language is per script run (a context variable), so concurrent sessions never share it.
"""

from __future__ import annotations

import functools
import tomllib
from contextvars import ContextVar
from pathlib import Path

LANGUAGES = ("zh", "en")  # zh-CN first: the users read Chinese first
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"

_language: ContextVar[str] = ContextVar("language", default="zh")


def _flatten(table: dict, prefix: str, out: dict[str, dict[str, str]], source: Path) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) & set(LANGUAGES) and all(isinstance(v, str) for v in value.values()):
            if name in out:
                raise ValueError(f"{source.name}: key {name!r} is defined twice")
            out[name] = value
        elif isinstance(value, dict):
            _flatten(value, f"{name}.", out, source)
        else:
            raise ValueError(f"{source.name}: {name!r} must be a table with zh and en strings")


@functools.cache
def catalog() -> dict[str, dict[str, str]]:
    entries: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALE_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            _flatten(tomllib.load(fh), "", entries, path)
    return entries


def set_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    _language.set(language)


def get_language() -> str:
    return _language.get()


def t(key: str, **values) -> str:
    """The string for `key` in the current language, formatted with `values`."""
    entry = catalog().get(key)
    if entry is None:
        return key  # visible in the UI and caught by tests/test_i18n.py
    text = entry.get(get_language()) or entry.get("en") or key
    return text.format(**values) if values else text


def label(key: str, language: str) -> str:
    """The string for `key` in a given language (for language-independent lookups)."""
    return catalog()[key][language]


def purpose_labels(purposes) -> dict[str, str]:
    """Purpose code -> its label in the current language, from a table of purposes
    (columns purpose, label_en, label_zh: the `purposes` query)."""
    column = "label_zh" if get_language() == "zh" else "label_en"
    return dict(zip(purposes["purpose"], purposes[column]))
