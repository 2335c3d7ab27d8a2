"""Comment themes: what exit comments talk about, counted the same way in Chinese and English.

Chinese has no spaces, so a comment is segmented with jieba and a theme counts when one of
its words is a whole segment (so 等级 does not count as 等 "waiting"). Every theme keyword
is added to the segmenter's dictionary, so 排队 or 缺货 come out as one word. English words
match whole tokens, or by prefix for a stem written with a trailing `*` (wait* matches
waited, waiting). A comment can touch several themes; one that touches none counts under
`other`.

The keyword lists live here and nowhere else.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass

import jieba
import pandas as pd


@dataclass(frozen=True)
class Theme:
    key: str  # i18n key hall.theme.<key>
    zh: tuple[str, ...]
    en: tuple[str, ...]


THEMES: tuple[Theme, ...] = (
    Theme(
        "waiting",
        zh=("排队", "等待", "等候", "等了", "等太久", "太久", "很久", "好久", "太慢", "很慢", "好慢", "慢",
            "叫号", "人多", "人太多", "耽误", "快", "很快", "迅速", "及时", "叫到", "不叫", "没叫", "取号", "等不起", "等得", "久", "窗口", "排了", "半天", "磨蹭", "效率", "速度", "几分钟"),
        en=("wait*", "queue*", "slow*", "line", "lines", "forever", "delay*", "ages", "long",
            "fast", "quick*", "prompt*", "ticket*", "called", "counter*", "minute*", "efficien*"),
    ),
    Theme(
        "staff_attitude",
        zh=("态度", "服务态度", "礼貌", "有礼貌", "热情", "耐心", "不耐烦", "友好", "微笑", "冷淡", "冷漠",
            "凶", "敷衍", "服务", "营业员", "店员", "工作人员", "柜员", "笑脸", "冲", "呛", "道别", "再见", "贴心", "尊重", "暖心", "周到", "用心", "道歉", "爱答不理"),
        en=("rude*", "polite*", "impolite*", "friendl*", "unfriendl*", "attitude*", "patien*",
            "impatien*", "smil*", "courteous*", "kind", "warm*", "staff", "helpful", "unhelpful", "goodbye", "thoughtful", "bother*", "eye", "service", "rudely"),
    ),
    Theme(
        "expertise",
        zh=("专业", "不专业", "解释", "讲解", "讲得", "清楚", "不懂", "懂", "解决", "没解决", "未解决",
            "错误", "出错", "建议", "指导", "介绍", "熟练", "不熟练", "处理", "没处理", "说清楚", "懂行", "明白", "专业性"),
        en=("expert*", "knowledg*", "explain*", "clear*", "unclear", "resolv*", "unresolv*", "solv*",
            "advice", "advis*", "wrong", "mistake*", "answer*", "question*", "competen*", "incompeten*", "fix*", "sorted", "knew", "know*", "demo*"),
    ),
    Theme(
        "environment",
        zh=("环境", "干净", "整洁", "卫生", "座位", "没座", "空调", "拥挤", "吵", "太吵", "嘈杂", "舒适",
            "温度", "太热", "太冷", "停车", "挤", "太挤", "大厅", "装修", "明亮", "秩序", "饮水", "充电", "坐"),
        en=("clean*", "dirty", "seat*", "crowd*", "nois*", "comfort*", "uncomfort*", "environment*",
            "hot", "cold", "air", "parking", "tidy", "messy", "hall", "stuffy", "bright", "water", "charger*", "standing"),
    ),
    Theme(
        "price_deal",
        zh=("价格", "优惠", "便宜", "贵", "太贵", "很贵", "划算", "折扣", "活动", "资费", "套餐", "话费",
            "返现", "赠品", "实惠"),
        en=("price*", "deal*", "cheap*", "expensive", "discount*", "offer*", "cost*", "fee*",
            "tariff*", "plan", "plans", "bargain*", "value", "promo*"),
    ),
    Theme(
        "device_stock",
        zh=("手机", "机型", "型号", "缺货", "没货", "无货", "库存", "现货", "有货", "设备", "终端", "颜色",
            "新机", "配件"),
        en=("phone*", "device*", "stock*", "model*", "handset*", "iphone*", "colour*", "color*",
            "sold", "unavailable", "accessor*"),
    ),
    Theme(
        "process",
        zh=("系统", "手续", "流程", "材料", "证件", "身份证", "复杂", "麻烦", "死机", "填表", "签字", "跑了"),
        en=("system*", "process*", "paperwork", "document*", "form", "forms", "complicat*",
            "crash*", "id", "bureaucra*", "procedure*"),
    ),
    Theme(
        "network",
        zh=("网速", "信号", "网络", "流量", "宽带", "5g", "断网", "上网"),
        en=("signal*", "network*", "coverage", "5g", "broadband", "internet", "wifi", "speed*"),
    ),
)
OTHER = "other"
THEME_KEYS: tuple[str, ...] = tuple(theme.key for theme in THEMES) + (OTHER,)
MOODS = ("unhappy", "neutral", "satisfied", "unrated")  # exit score 1-2, 3, 4-5, none

_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _mood(score) -> str:
    if score is None or pd.isna(score):
        return "unrated"
    return "unhappy" if score <= 2 else "neutral" if score == 3 else "satisfied"


@functools.cache
def _segmenter() -> jieba.Tokenizer:
    # A tokenizer of our own, so adding theme words never changes anyone else's jieba.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for theme in THEMES:
        for word in theme.zh:
            if len(word) > 1:
                tokenizer.add_word(word, freq=100_000)
    return tokenizer


@functools.cache
def warm_up() -> None:
    """Load jieba's dictionary in a background thread, once per process: it takes about a
    second, which the first hall page of a fresh server would otherwise wait for."""
    threading.Thread(target=_segmenter, name="peakend-jieba-warm-up", daemon=True).start()


@functools.cache
def _english_matchers() -> dict[str, tuple[frozenset[str], tuple[str, ...]]]:
    out = {}
    for theme in THEMES:
        exact = frozenset(w for w in theme.en if not w.endswith("*"))
        stems = tuple(w[:-1] for w in theme.en if w.endswith("*"))
        out[theme.key] = (exact, stems)
    return out


def words(text: str) -> list[str]:
    """The words of a comment: jieba's segments, English split into lower-case tokens."""
    out: list[str] = []
    for segment in _segmenter().lcut(text.lower()):
        segment = segment.strip()
        if not any(ch.isalnum() for ch in segment):  # spaces and punctuation
            continue
        if segment.isascii():
            out.extend(_ASCII_WORD.findall(segment))
        else:
            out.append(segment)
    return out


@functools.lru_cache(maxsize=50_000)
def themes_of(text: str) -> tuple[str, ...]:
    """The themes a comment touches, in THEMES order; ('other',) when it touches none."""
    tokens = words(text or "")
    english = _english_matchers()
    found = []
    for theme in THEMES:
        zh = set(theme.zh)
        exact, stems = english[theme.key]
        if any(
            tok in zh or tok in exact or (tok.isascii() and tok.startswith(stems))
            for tok in tokens
        ):
            found.append(theme.key)
    return tuple(found) or (OTHER,)


def _tagged(comments: pd.DataFrame) -> pd.DataFrame:
    """One row per comment x theme it touches (columns of hall_exit_comments plus theme)."""
    tagged = comments.assign(theme=[list(themes_of(c)) for c in comments["exit_comment"]])
    return tagged.explode("theme", ignore_index=True)


def theme_counts(comments: pd.DataFrame) -> pd.DataFrame:
    """Comments per theme and mood of the exit score: one row per theme x mood, with a
    zero row where a theme has no comments of that mood; themes ordered by total, most
    first, and `other` last."""
    columns = ["theme", "mood", "comments", "theme_total"]
    if comments.empty:
        return pd.DataFrame(columns=columns)
    tagged = _tagged(comments)
    tagged["mood"] = [_mood(s) for s in tagged["exit_score"]]
    counts = tagged.groupby(["theme", "mood"]).size()
    grid = pd.MultiIndex.from_product([list(tagged["theme"].unique()), list(MOODS)], names=["theme", "mood"])
    out = counts.reindex(grid, fill_value=0).rename("comments").reset_index()
    out["theme_total"] = out.groupby("theme")["comments"].transform("sum")
    order = {key: i for i, key in enumerate(THEME_KEYS)}
    out["_order"] = out["theme"].map(order)
    out["_other"] = out["theme"] == OTHER  # the comments no theme caught come last
    out = out.sort_values(["_other", "theme_total", "_order"], ascending=[True, False, True], kind="stable")
    return out.reset_index(drop=True)[columns]


def theme_examples(comments: pd.DataFrame, theme: str) -> pd.DataFrame:
    """The comments behind one theme's count, in the order given (latest first)."""
    if comments.empty:
        return comments
    mask = [theme in themes_of(c) for c in comments["exit_comment"]]
    return comments.loc[mask].reset_index(drop=True)
