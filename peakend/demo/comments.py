"""Exit comments: short notes in Chinese or English about what actually happened.

Each comment is picked from the themes that fit the visit (a long queue, a curt or a kind
staff member, expert advice, a good deal, no stock, an unresolved question, the hall
itself) and that agree with the exit score it comes with, so that reading them next to the
numbers makes sense.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from peakend.demo.network import PURPOSE_CODES
from peakend.demo.ratings import Moments


@dataclass(frozen=True)
class Theme:
    tone: str  # gave_up | negative | mixed | positive: which visits may use it
    weight: float  # preference among the themes that apply
    zh: tuple[str, ...]
    en: tuple[str, ...]


THEMES: dict[str, Theme] = {
    "gave_up": Theme(
        "gave_up",
        1.0,
        (
            "排了半个多小时还没叫到号，走了。",
            "等太久了，下次去别的营业厅。",
            "取了号一直不叫，只好先走了。",
            "前面还有二十多个人，实在等不起。",
            "午休时间只开两个窗口，放弃了。",
            "排队太长了，还是回去用APP办吧。",
        ),
        (
            "Waited forever and gave up.",
            "Took a ticket, never got called, left.",
            "Queue far too long, I'll use the app instead.",
            "Only two counters open at lunch, I walked out.",
        ),
    ),
    "long_wait": Theme(
        "negative",
        1.0,
        (
            "排队时间太长了，等了快一个小时。",
            "窗口开得太少，排了很久。",
            "叫号太慢，浪费了一上午。",
            "人多窗口少，希望多开几个窗口。",
            "等候时间太长，体验很差。",
        ),
        (
            "Way too long a wait.",
            "Too few counters open, the queue barely moved.",
            "Spent my whole lunch break in the queue.",
        ),
    ),
    "rude": Theme(
        "negative",
        1.3,
        (
            "工作人员态度很差，爱答不理。",
            "服务态度冷淡，问两句就不耐烦。",
            "柜员全程没有笑脸，说话很冲。",
            "问问题被呛了回来，很不舒服。",
            "工作人员一直在看手机，态度敷衍。",
        ),
        (
            "The staff member was rude and impatient.",
            "Felt like I was bothering them.",
            "Unfriendly service, no eye contact.",
        ),
    ),
    "unresolved": Theme(
        "negative",
        1.3,
        (
            "问题没有解决，白跑一趟。",
            "说要回去等通知，问题还是没处理。",
            "跑了两次了还是没办好。",
            "说系统有问题办不了，让我改天再来。",
            "咨询的问题没人能说清楚。",
        ),
        (
            "My problem wasn't solved, wasted trip.",
            "Told to come back another day, nothing fixed.",
            "Nobody could answer my question.",
        ),
    ),
    "stockout": Theme(
        "negative",
        1.3,
        (
            "想买的手机没货，白来了。",
            "宣传的机型店里缺货。",
            "颜色和内存都没货，只能网上买。",
            "预约了还是没货，很失望。",
        ),
        (
            "The phone I wanted was out of stock.",
            "Advertised model not available in store.",
            "Reserved a phone and they still had none.",
        ),
    ),
    "crowded": Theme(
        "negative",
        0.6,
        (
            "大厅太挤了，连坐的地方都没有。",
            "里面很吵，空调也不够凉。",
            "环境比较乱，排队秩序不好。",
            "座位太少，老人只能站着等。",
        ),
        (
            "Hall was crowded and stuffy.",
            "Not enough seats, people standing everywhere.",
        ),
    ),
    "slow_service": Theme(
        "negative",
        0.8,
        (
            "办个业务磨蹭了半天。",
            "柜员不熟练，一个业务弄了好久。",
            "手续太繁琐，来回签了好多字。",
        ),
        (
            "Service itself took ages.",
            "Staff seemed new and slow.",
        ),
    ),
    "generic_negative": Theme(
        "negative",
        0.25,
        (
            "体验不好。",
            "很失望。",
            "不满意。",
            "不会再来这个厅了。",
        ),
        (
            "Disappointing.",
            "Not satisfied.",
        ),
    ),
    "wait_but_done": Theme(
        "mixed",
        1.0,
        (
            "等得有点久，不过业务办好了。",
            "排队久了点，服务还可以。",
            "人有点多，整体还行。",
        ),
        (
            "Long wait, but got it done.",
            "Queue was slow, service was okay.",
        ),
    ),
    "partly": Theme(
        "mixed",
        1.0,
        (
            "问题只解决了一半。",
            "办是办了，但解释得不太清楚。",
            "没买到想要的型号，推荐的也还行。",
        ),
        (
            "Only partly sorted out.",
            "Okay, but the explanation was unclear.",
        ),
    ),
    "generic_mixed": Theme(
        "mixed",
        0.4,
        (
            "一般吧。",
            "还行，中规中矩。",
            "普通，没什么特别的。",
            "还可以，就是流程有点复杂。",
        ),
        (
            "It was okay.",
            "Average experience.",
            "Fine, nothing special.",
        ),
    ),
    "farewell": Theme(
        "positive",
        1.0,
        (
            "走的时候工作人员还送到门口，很暖心。",
            "临走时柜员起身道别，感觉很受尊重。",
            "办完还提醒我注意事项，最后说了再见，很贴心。",
            "大堂经理送我出门，服务很周到。",
        ),
        (
            "Staff walked me to the door, lovely touch.",
            "They said goodbye and reminded me what to do next, very thoughtful.",
        ),
    ),
    "kind": Theme(
        "positive",
        1.0,
        (
            "工作人员很耐心，态度特别好。",
            "柜员小姐姐很热情，讲得很细。",
            "服务态度非常好，点赞！",
            "对老人很耐心，一步一步教我操作。",
            "工作人员很有礼貌，微笑服务。",
        ),
        (
            "Very patient and friendly staff.",
            "Warm and polite service.",
            "So patient with my elderly mother.",
        ),
    ),
    "expert_data": Theme(
        "positive",
        1.3,
        (
            "5G和流量套餐讲得很清楚，还现场帮我体验了。",
            "体验区的演示很专业，学会了很多功能。",
            "工作人员很懂行，帮我选了最合适的流量包。",
        ),
        (
            "Great 5G demo, clearly explained.",
            "The data-service demo was really helpful.",
        ),
    ),
    "expert_phone": Theme(
        "positive",
        1.3,
        (
            "导购很专业，帮我对比了好几款手机。",
            "推荐的手机很适合我，还帮忙导了数据。",
            "懂行，不推销贵的，给了很中肯的建议。",
        ),
        (
            "Expert advice on which phone to buy.",
            "Helped me compare models honestly and moved my data over.",
        ),
    ),
    "expert_fix": Theme(
        "positive",
        1.3,
        (
            "维修师傅很专业，很快找到问题。",
            "套餐问题讲得明明白白，帮我省了不少钱。",
            "业务很熟练，一次就办好了。",
        ),
        (
            "Knew exactly what to do, fixed on the spot.",
            "Explained my plan options clearly, saved me money.",
        ),
    ),
    "deal": Theme(
        "positive",
        1.2,
        (
            "优惠力度很大，很划算。",
            "以旧换新很划算，还送了话费。",
            "新套餐比原来便宜，很满意。",
        ),
        (
            "Got a great deal.",
            "Trade-in offer was excellent value.",
        ),
    ),
    "fast": Theme(
        "positive",
        0.8,
        (
            "不用排队，很快就办好了。",
            "效率很高，几分钟搞定。",
            "速度快，流程简单。",
        ),
        (
            "Quick and efficient.",
            "In and out in ten minutes.",
        ),
    ),
    "pleasant_hall": Theme(
        "positive",
        0.5,
        (
            "大厅干净明亮，还有免费饮水。",
            "环境很好，座位舒服，有充电的地方。",
            "新装修的大厅很舒服。",
        ),
        (
            "Clean, bright hall with free water.",
            "Comfortable seating and phone chargers.",
        ),
    ),
    "kind_despite_wait": Theme(
        "positive",
        1.5,
        (
            "虽然排队久，但工作人员态度很好。",
            "等了挺久，不过柜员一直道歉，服务很用心。",
        ),
        (
            "Long wait, but the staff made up for it.",
            "Slow queue, but very kind service once I got to the counter.",
        ),
    ),
    "generic_positive": Theme(
        "positive",
        0.25,
        (
            "很满意！",
            "服务很好。",
            "体验不错，下次还来。",
            "整体很满意，谢谢。",
        ),
        (
            "Very satisfied.",
            "Good service, thank you.",
            "Great experience.",
        ),
    ),
}

# How customers really write: mixed verdicts, negation, slang, typos, traditional characters,
# and words no tagger list holds. Kept apart so the tidy phrasings above stay readable.
_REAL_LANGUAGE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "gave_up": (
        ("等到花儿都谢了，撤了", "前面还有三十几号，算了算了", "排隊排到懷疑人生，走人"),
        ("queue was mental, left", "gave up after 40 mins lol"),
    ),
    "long_wait": (
        ("排了俩小时，绝了", "一个号叫半天，急死人", "等的人太多了，座都没有", "等了好久好久啊啊啊"),
        ("waited 4ever", "took ages to get seen, only 1 counter open"),
    ),
    "rude": (
        ("小哥说话好冲，问一句怼一句", "问个事还被翻白眼", "她一直低头刷手机，喊了两遍才理我"),
        ("Not the friendliest staff I've met.", "She sighed every time I asked something"),
    ),
    "unresolved": (
        ("说了半天还是没弄明白怎么回事", "让我回去等电话，到现在也没人打来", "跑了三趟了，每次说法都不一样"),
        ("Still not fixed after 2 visits", "They had no clue what my bill was about"),
    ),
    "stockout": (
        ("想要的颜色断货了，要等两周", "官网有货店里没有，无语"),
        ("they didnt have my colour, again", "Sold out of the one I wanted"),
    ),
    "crowded": (("里头闷得慌，空调像没开", "人挤人，小孩哭个不停"), ("Packed and way too hot inside",)),
    "slow_service": (
        ("一个业务弄了四十分钟，柜员一直在打电话问人", "系统卡了好几次，重新填了两遍表"),
        ("The system kept crashing, had to fill the form twice",),
    ),
    "generic_negative": (("差评", "不咋地", "体验极差，下次不来了"), ("meh. not great", "Terrible, never again")),
    "wait_but_done": (
        ("排了半小时，不过小姐姐很耐心", "等是等得久，事情总算办好了"),
        ("Long-ish wait but sorted in the end", "queue was slow, staff were nice tho"),
    ),
    "partly": (
        ("办是办了，就是还要再跑一趟补材料", "态度还行，问题没完全解决"),
        ("Half sorted, need to come back with more ID",),
    ),
    "generic_mixed": (("一般般吧", "还凑合", "没啥特别的"), ("ok I guess", "so-so")),
    "farewell": (
        ("走的时候还跟我说慢走，挺暖的", "临走还提醒我看短信，贴心"),
        ("Said goodbye with a smile, nice touch",),
    ),
    "kind": (
        ("小姐姐人美心善，超耐心", "态度好到没话说", "对我爸特别有耐心，感动"),
        ("staff v helpful tbh", "really kind, explained twice without rolling her eyes"),
    ),
    "expert_data": (
        ("流量怎么算终于搞明白了", "教我设置了家里的wifi，学到了"),
        ("Finally understand my data plan, cheers",),
    ),
    "expert_phone": (
        ("导购没乱推销，挑了个性价比高的", "帮我把旧手机数据都导过来了，专业"),
        ("Honest advice, didn't push the pricey one",),
    ),
    "expert_fix": (("师傅三两下就修好了", "一次就办妥，没让我来回跑"), ("Problem sorted in five minutes",)),
    "deal": (
        ("换了个新套餐，每个月省二十块", "送了两百话费，血赚"),
        ("Saved me 20 a month on the new plan", "Free SIM and a discount on the handset"),
    ),
    "fast": (
        ("没怎么排队，几分钟就好了", "不慢，十分钟搞定", "yyds，办得飞快"),
        ("In and out in ten minutes", "No wait at all today"),
    ),
    "pleasant_hall": (("厅里挺干净的，还有地方充电", "坐着等挺舒服的"), ("Nice and quiet, comfy seats",)),
    "kind_despite_wait": (
        ("人多等得久，但是柜员一直在道歉，态度没得说",),
        ("The wait wasn't great but the guy at the counter was lovely",),
    ),
    "generic_positive": (("不错不错", "好评", "满意，谢谢"), ("Thank you!", "10/10 would queue again")),
}
THEMES = {
    name: Theme(theme.tone, theme.weight, theme.zh + _REAL_LANGUAGE[name][0], theme.en + _REAL_LANGUAGE[name][1])
    for name, theme in THEMES.items()
}

_P = {code: i for i, code in enumerate(PURPOSE_CODES)}


def phrase_pool() -> list[str]:
    """Every phrasing, theme by theme, Chinese before English."""
    return [p for theme in THEMES.values() for p in (*theme.zh, *theme.en)]


def _applies(m: Moments, purpose: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Which themes fit each commented visit (by what happened, before the tone)."""
    wait = np.nan_to_num(m.wait_min[rows])
    env = m.environment[rows]
    unresolved, stockout, slow = m.unresolved[rows], m.stockout[rows], m.slow[rows]
    kind, farewell, expert = m.kind[rows], m.farewell[rows], m.expert[rows]
    p = purpose[rows]
    every = np.ones(len(rows), dtype=bool)
    return {
        "gave_up": every,
        "long_wait": wait >= 15,
        "rude": m.rude[rows],
        "unresolved": unresolved,
        "stockout": stockout,
        "crowded": (env < -0.2) | (wait >= 20),
        "slow_service": slow,
        "generic_negative": every,
        "wait_but_done": wait >= 8,
        "partly": unresolved | stockout | slow,
        "generic_mixed": every,
        "farewell": farewell,
        "kind": kind,
        "expert_data": expert & (p == _P["data_demo"]),
        "expert_phone": expert & (p == _P["phone_purchase"]),
        "expert_fix": expert & np.isin(p, [_P["repair"], _P["sim_plan_change"]]),
        "deal": m.deal[rows],
        "fast": (wait <= 3) & ~slow,
        "pleasant_hall": env > 0.3,
        "kind_despite_wait": (wait >= 15) & (kind | farewell),
        "generic_positive": every,
    }


def pick_comments(
    rng: np.random.Generator, m: Moments, purpose: np.ndarray, english_share: np.ndarray
) -> pa.DictionaryArray:
    """The exit comment of every visit (null where none was left), as indices into
    phrase_pool(); `english_share` is per visit."""
    n = len(purpose)
    rows = np.flatnonzero(m.commented)
    exit_ = m.exit[rows]
    tone = np.where(
        ~m.served[rows], "gave_up", np.where(exit_ <= 2, "negative", np.where(exit_ == 3, "mixed", "positive"))
    )
    fits = _applies(m, purpose, rows)
    names = list(THEMES)
    score = np.full((len(rows), len(names)), -1.0)
    u = rng.random((len(rows), len(names)))
    for j, name in enumerate(names):
        theme = THEMES[name]
        ok = fits[name] & (tone == theme.tone)
        score[ok, j] = theme.weight * u[ok, j]
    chosen = score.argmax(axis=1)

    english = rng.random(len(rows)) < english_share[rows]
    sizes_zh = np.array([len(THEMES[t].zh) for t in names])
    sizes_en = np.array([len(THEMES[t].en) for t in names])
    starts = np.concatenate([[0], np.cumsum(sizes_zh + sizes_en)[:-1]])
    size = np.where(english, sizes_en[chosen], sizes_zh[chosen])
    offset = starts[chosen] + np.where(english, sizes_zh[chosen], 0)
    phrase = offset + (rng.random(len(rows)) * size).astype(np.int64)

    indices = np.zeros(n, dtype=np.int32)
    indices[rows] = phrase
    mask = np.ones(n, dtype=bool)
    mask[rows] = False
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=mask), pa.array(phrase_pool(), pa.string()))
