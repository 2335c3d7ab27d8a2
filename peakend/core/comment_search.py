"""The comment search box: words a user types, as the patterns the comment must all match.

A Chinese query is cut into words with jieba, so 排队好久 finds 排队排了好久 (every word, in
any order, anywhere); English words split on spaces. Each character matches its simplified
and traditional forms (OpenCC's tables, shipped in the wheel), so 排队 finds 排隊, and case
is ignored. The patterns are RE2 regular expressions handed to DuckDB as one bound list
parameter ($comment_contains), never written into SQL text."""

from __future__ import annotations

import functools
import re

_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
_RE2_SPECIAL = set(r"\.^$|?*+()[]{}-/")


@functools.cache
def _converters():
    import opencc

    return opencc.OpenCC("t2s"), opencc.OpenCC("s2t")


@functools.cache
def _tokenizer():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def _char_class(ch: str) -> str:
    t2s, s2t = _converters()
    forms = sorted({ch, t2s.convert(ch), s2t.convert(ch)} - {""})
    forms = [f for f in forms if len(f) == 1]
    escaped = ["\\" + f if f in _RE2_SPECIAL else f for f in forms]
    return escaped[0] if len(escaped) == 1 else "[" + "".join(escaped) + "]"


def search_terms(query: str) -> list[str]:
    """The words of a query: jieba's words for Chinese, whitespace for the rest; no punctuation."""
    t2s, _ = _converters()
    words = []
    for chunk in query.split():
        if any("\u3400" <= ch <= "\u9fff" for ch in chunk):
            words.extend(_tokenizer().lcut(t2s.convert(chunk), HMM=False))
        else:
            words.append(chunk)
    return [w for w in (w.strip() for w in words) if w and _WORD.search(w)]


def search_patterns(query: str | None) -> list[str] | None:
    """One case-insensitive RE2 pattern per word of the query; None for an empty query."""
    if query is None or not query.strip():
        return None
    terms = search_terms(query) or [query.strip()]
    return ["(?i)" + "".join(_char_class(ch) for ch in term) for term in terms]
