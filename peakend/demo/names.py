"""Names for the demo's staff roster: a Chinese surname and a one- or two-character given
name, drawn from small built-in lists with the demo's own random stream (so the same seed
gives the same names). Within a hall no two people share a name."""

from __future__ import annotations

import numpy as np

# Common surnames, most frequent first, drawn with weights that fall off as in the census.
SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
    "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗",
    "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
)  # fmt: skip
GIVEN_CHARACTERS = (
    "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇",
    "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平", "刚",
    "桂", "英", "华", "玲", "婷", "鹏", "宇", "浩", "欣", "晨",
    "佳", "雪", "琳", "晶", "博", "文", "建", "国", "海", "丹",
)  # fmt: skip


def staff_names(rng: np.random.Generator, halls: np.ndarray) -> list[str]:
    """One name per staff member; `halls` gives each member's hall (an index)."""
    weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    weights /= weights.sum()
    names: list[str] = []
    taken: dict[int, set[str]] = {}
    for hall in halls.tolist():
        used = taken.setdefault(hall, set())
        while True:
            surname = SURNAMES[rng.choice(len(SURNAMES), p=weights)]
            length = 1 if rng.random() < 0.35 else 2
            given = "".join(GIVEN_CHARACTERS[i] for i in rng.choice(len(GIVEN_CHARACTERS), size=length))
            name = surname + given
            if name not in used:
                break
        used.add(name)
        names.append(name)
    return names
