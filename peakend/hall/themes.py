"""Comment themes: what an exit comment says about each moment, and whether it praises or
complains, in Chinese and English.

How a comment is read:

1. **Normalised** character by character, so offsets stay those of the original text:
   full-width to half-width, lower case, traditional to simplified (OpenCC's t2s tables,
   shipped in the `opencc-python-reimplemented` wheel; nothing is downloaded).
2. **Split into clauses** on punctuation and on contrast words (但, 但是, 不过, 可是, 然而,
   可惜, but, however, though, although), because a customer praises one thing and
   complains about another within one comment: "排队两个半小时，但菜很好吃".
3. **Cues are matched on characters, not on segments**, so a segmenter never hides a
   keyword inside a compound (较慢, 挺快, 态度恶劣, 笑脸相迎, 吵杂). Every cue is a small
   regular expression; all of them run as one alternation, longest first, so a longer word
   wins over the shorter one inside it. *Shields* are words that contain a cue but mean
   something else (快递, 生日快乐, 服务费, 好久没来, 慢走, waiter): they take the span and
   give no theme.
4. A cue is a **topic** (排队, 服务员, 环境, queue: the theme, no opinion) or an **opinion**
   (太慢, 热情, 便宜, rude: the theme and its polarity). Some cues only count in context: a
   speed word (快, 慢, 速度, slow) not in a clause about the internet or transport; 半天 or a
   number of hours only next to a waiting topic; bare 服务 / service only with an opinion
   beside it.
5. **Negation** (不, 没, 没有, 未, 无, 并不, not, n't, never, ...) right before an opinion, with
   a degree word allowed in between (不太慢, 不是很久, wasn't too slow), flips it. Degree
   words (太, 很, 非常, 有点, so, very) are part of the opinion's span.
6. Each theme found in a clause is one **mention**: its polarity is the sign of its own
   opinions; failing those, of the nearest general opinion in the clause (好, 差, 满意,
   失望, great, terrible); failing that, a long wait (an hour, 半天, 20+ minutes) next to a
   waiting topic is negative; otherwise the mention is neutral. The evidence is the clause.

The exit score is not used: a five-star comment about a two-hour queue is negative on
waiting. bench/comments.py scores this on real reviews and on tests/comments_labelled.csv.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
from dataclasses import dataclass

import pandas as pd

from peakend.core import formatting
from peakend.core.i18n import t

POSITIVE, NEGATIVE, NEUTRAL = "positive", "negative", "neutral"
POLARITIES = (NEGATIVE, POSITIVE, NEUTRAL)


@dataclass(frozen=True)
class Cue:
    pattern: str
    polarity: int = 0  # +1 praise, -1 complaint, 0 a topic (no opinion of its own)
    needs: str | None = None  # the clause must also match this
    unless: str | None = None  # ... and must not match this
    needs_opinion: bool = False  # a topic that only counts with an opinion in its clause


@dataclass(frozen=True)
class Theme:
    key: str  # i18n key hall.theme.<key>
    cues: tuple[Cue, ...]


def _topics(*patterns: str, **kw) -> tuple[Cue, ...]:
    return tuple(Cue(p, 0, **kw) for p in patterns)


def _good(*patterns: str, **kw) -> tuple[Cue, ...]:
    return tuple(Cue(p, +1, **kw) for p in patterns)


def _bad(*patterns: str, **kw) -> tuple[Cue, ...]:
    return tuple(Cue(p, -1, **kw) for p in patterns)


NUM = "(?:[0-9]+|[一二两三四五六七八九十几半俩]+)"
PROCESS_CONTEXT = r"手续|流程|材料|资料|证件|填表|系统|办理|业务|操作|预约"
EN_PROCESS_CONTEXT = r"process|paperwork|form|document|system|procedure|sign|id\b"
NOT_PROCESS = r"停车|车位|交通|地铁|公交|位置|离家|parking|location|transport|to get to"
# R-short: a short comment (an exit comment of a few words) is about the visit itself, so a bare
# speed word or 顺利 / easy in it needs no queue or paperwork beside it (又慢又差, 不慢，十分钟搞定,
# quick n easy); its other clauses count as context (有点慢，不过态度很好 stays about the wait)
SHORT_COMMENT = 24
# Degree words: they sit between a negator and an opinion, and inside opinions.
DEG = "(?:太|很|好|非常|特别|比较|有点|有些|有一点|稍微|稍|略|超|超级|挺|蛮|相当|极其|十分|真|真的|巨|贼|忒|还|也|都|更|最)"
EN_DEG = r"(?:so |very |too |really |super |pretty |quite |a bit |a little |extremely |incredibly |rather )"
# A clause about the internet, transport or deliveries: its speed words are not about the hall.
NOT_HALL_SPEED = (
    r"网速|网络|上网|wifi|wi-fi|信号|下载|流量|宽带|4g|5g|地铁|公交|交通|开车|打车|步行|走路|"
    r"电梯|快递|物流|外卖|送货|internet|connection|signal|network|download|broadband|data speed|"
    r"traffic|bus|train|taxi|drive|delivery|walk|"
    # R-eat: the customer's own eating speed (我吃饭速度又慢)
    r"吃饭速度|吃饭(?:很|太|比较)?(?:快|慢)|吃得(?:很|太|比较)?(?:快|慢)|吃的(?:很|太|比较)?(?:快|慢)|"
    # R-staff-response: how fast staff come when called (按铃后服务员来的挺快, 反应速度太慢) is staff attitude
    r"按铃|召唤|呼叫|叫服务员|喊服务员|反应|动作|手脚"
)
WAIT_TOPIC = (
    r"排队|排了|排到|排号|取号|叫号|等位|等座|等号|等候|等待|等了|等到|等很|等太|等好|等半|等一|等个|"
    r"候位|轮到|队伍|上菜|上个菜|出菜|出餐|走菜|排的|干等|在等|要等|插队|过号|"
    r"\bwait(?:ed|ing|s)?\b|\bqueue|\bin line\b|\bthe line\b"
)
DURATION = rf"{NUM}(?:个)?(?:多)?(?:分钟|小时|钟头|个钟)|\b(?:\d+|a|an|one|two|three|four|five|ten|twenty|thirty|few|couple of) (?:minutes?|mins?|hours?)\b"
# R-ctx: a duration or a job done (搞定, 到我, 上齐) is a waiting context as much as a queue is
WAIT_CONTEXT = (
    WAIT_TOPIC
    + r"|办|叫|服务|处理|速度|效率|响应|回复|柜台|窗口|搞定|弄好|到我|上齐|上来|端上|走菜|\bdone\b|\bserved\b|"
    + DURATION
)

THEMES: tuple[Theme, ...] = (
    Theme(
        "waiting",
        (
            *_topics(
                "排队",
                "排了",
                "排到",
                "排号",
                "取号",
                "叫号",
                "等位",
                "等座",
                "等号",
                "等候",
                "等待",
                "等了",
                "等到",
                "候位",
                "轮到",
                "队伍",
                "排长队",
                r"\bwait(?:ed|ing|s)?\b",
                r"\bqueue(?:s|d|ing)?\b",
                r"\bin line\b",
                r"\bthe line\b",
                r"\bticket number\b",
            ),
            *_topics(
                "上菜",
                "出菜",
                "出餐",
                "办理速度",
                "办事速度",
                "服务速度",
                "处理速度",
                "速度",
                "效率",
                "办得",
                "办理得",
                needs_opinion=True,
                unless=NOT_HALL_SPEED,
            ),
            # slow, long, quick: the bare words only next to a queue or a service (烤太久, 吃了很久的店)
            *_bad(
                f"{DEG}?慢(?!慢|走|用|性|跑|热|城|工)",
                f"{DEG}?久(?!没|不|以前|之前|前|的老|远)",
                "老半天",
                "大半天",
                needs=WAIT_CONTEXT,
                unless=NOT_HALL_SPEED,
            ),
            *_good(
                f"{DEG}快(?!递|乐|餐|捷|要|点|{NUM}|吃|完)",
                "很快就",
                "马上就",
                "一会儿就",
                "及时",
                "快速",
                "一会就",
                needs=WAIT_CONTEXT,
                unless=NOT_HALL_SPEED,
            ),
            *_bad(
                "漫长",
                "磨蹭",
                "拖拉",
                "拖沓",
                "耽误",
                "耗时",
                "龟速",
                "蜗牛",
                "等不起",
                "等到花儿都谢了",
                "大排长龙",
                f"排{DEG}?长队",
                f"队{DEG}?长",
                f"队伍{DEG}?长",
                f"等{DEG}?半天",
                f"排了?{DEG}?半天",
                "一直不叫",
                "迟迟不叫",
                "还没叫到",
                "没叫到",
                "半天不叫",
                "叫号慢",
                "浪费(?:了)?(?:我)?(?:一|半|整)?(?:个)?(?:上午|下午|小时|天|时间)",
                f"(?:只开|就开|才开|开了|开放)了?{NUM}?个?窗口",
                f"窗口{DEG}?少",
                "多开(?:几个)?窗口",
                r"\bslow(?:ly|er|est|ness)?\b",
                r"\bforever\b",
                r"\bages\b",
                r"\btook (?:so |too )?long\b",
                rf"\blong {EN_DEG}?(?:wait|queue|line)s?\b",
                r"\bqueue (?:was |is )?(?:so |too |really )?long\b",
                r"\bwaste(?:d)? (?:of )?(?:my |the |an |a )?(?:time|morning|afternoon|day|hour)",
                r"\bnever (?:got )?called\b",
                r"\bhours?\b(?= (?:in|of) (?:the )?(?:queue|line|waiting))",
                unless=NOT_HALL_SPEED,
            ),
            # quick, no wait
            *_good(
                "迅速",
                "高效",
                "麻利",
                "利索",
                "不一会",
                "几分钟就",
                "随到随办",
                "秒办",
                "效率高",
                f"效率{DEG}?高",
                f"速度{DEG}?快",
                f"上菜{DEG}?快",
                "不用等",
                "无需等",
                "不需要等",
                "不用排队",
                "无需排队",
                "免排队",
                "没排队",
                "不排队",
                "没等(?:多久|很久|太久|几分钟)",
                "没怎么等",
                "没什么人排队",
                "没有排队",
                r"\bquick(?:ly|er)?\b",
                r"\bfast(?:er)?\b",
                r"\bprompt(?:ly)?\b",
                r"\befficient(?:ly)?\b",
                r"\bno (?:wait|queue|line)\b",
                r"\bin and out\b",
                r"\bstraight away\b",
                r"\bright away\b",
                r"\bimmediately\b",
                r"\bswift(?:ly)?\b",
                unless=NOT_HALL_SPEED,
            ),
            *_bad(rf"\b{EN_DEG}?long\b", needs=WAIT_TOPIC),
            *_good("没多久", "不久", "没一会", "没几分钟", f"不到{NUM}分钟", needs=WAIT_TOPIC),
            *_bad(f"效率{DEG}?(?:低|差)", f"速度{DEG}?慢", unless=NOT_HALL_SPEED),
            # R-wait-words: how customers say a wait was long without 久 (等候时间太长, 排队的人有点多,
            # 排到门外, 还要现场排队, 催了也不快, 干等, 插队, 4ever, the queue barely moved)
            *_bad(
                f"时间{DEG}?(?:长|久)",
                f"人{DEG}?多",
                "(?:好多|很多|不少|一堆|好些)人",
                r"\b(?:insane|mental|crazy|massive|huge|ridiculous)\b",
                r"\b(?:barely|hardly|never|didn'?t|did not|wasn'?t|not) mov(?:e|ed|ing)\b",
                r"\bapologi[sz]ed for the wait\b",
                r"\bsorry for the wait\b",
                needs=WAIT_TOPIC,
            ),
            *_bad(
                "排到(?:了)?(?:门外|门口|外面|马路|街上)",
                "排出(?:了)?门",
                "(?:还|又)(?:要|得)(?:现场|重新|再)?排",
                "催(?:了|菜|单|过|促|几次|好几)",
                "(?:怎么)?还(?:没|不)上(?:菜)?(?=.*菜)",
                "半天没(?:反应|人接|人管|人来)",
                "干等",
                "插队",
                "4ever",
                r"\bout the door\b",
                r"\bline (?:was )?(?:out|round|around) the (?:door|block)\b",
            ),
            # R-understaffed: too few people at work means a queue (人手不够, 忙不过来, 其他窗口都空着)
            *_bad(
                "人手不够",
                "人手不足",
                "人手少",
                "忙不过来",
                "忙不赢",
                "(?:只有|只|就)(?:一|两|1|2)个(?:人|窗口|柜台)(?:在)?(?:忙|办|开|服务|上班)",
                "窗口(?:都)?空着",
                r"\bshort-?staffed\b",
                r"\bunderstaffed\b",
                r"\bonly (?:one|two|1|2) (?:counters?|windows?|desks?|tellers?|people|person|staff)\b",
            ),
            *_bad("只有一个人", "就一个人", needs=r"柜台|窗口|工作人员|员工|服务员|营业员|店员|柜员|在忙|staff"),
            # R-quick-words: 飞快, 当场就换了, 没等，直接办, 省了不少时间, 没人排队, short queue
            *_good("飞快", "片刻", needs=WAIT_CONTEXT, unless=NOT_HALL_SPEED),
            *_good(
                "当场(?:就)?(?:办|换|拿|给|解决|修|处理)",
                "没等(?![到着])",
                "直接(?:办|到号|叫到|轮到)",
                "省了(?:不少|很多|好多|一些)?时间",
                "没(?:什么|啥)?人排队",
                "没怎么排",
                "就(?:到|轮到|叫到)(?:我|我们|咱)(?=了|啦|$)",
                "稍等片刻",
                "on the spot",
            ),
            *_good(f"时间{DEG}?短", r"\bshort\b", r"\bmoved (?:fast|quickly|quick)\b", needs=WAIT_TOPIC),
            # R-duration: a time given for the job is a waiting mention (十分钟搞定, 花了一上午, 站了四十分钟,
            # took two minutes); its polarity comes from the length (_wait_length_polarity)
            *_topics(
                f"{NUM}(?:个)?(?:多)?(?:分钟|小时|钟头)(?:左右)?(?=(?:就)?(?:搞定|办完|办好|就好|弄好|完事|好了|上齐|到我))",
                f"(?:花了|用了|耗了|站了|坐了|耽误了)(?:我)?(?:整整)?(?:{NUM}(?:个)?(?:多)?(?:分钟|小时|钟头)|一上午|一下午|一整天|半天)",
                r"\b(?:took|in|within|for) (?:just |only |about |over |nearly )?(?:\d+|a|an|one|two|three|four|five|ten|fifteen|twenty|thirty|forty|a few|few|couple of) (?:minutes?|mins?|hours?)\b",
                r"\bcalled my number\b",
                r"\bmy number (?:was )?called\b",
                r"\ba new ticket\b",
            ),
        ),
    ),
    Theme(
        "staff_attitude",
        (
            *_topics(
                "服务员",
                "服务生",
                "店员",
                "营业员",
                "工作人员",
                "柜员",
                "柜台人员",
                "前台",
                "大堂经理",
                "客户经理",
                "导购",
                "客服",
                "保安",
                "小姐姐",
                "小哥哥",
                "小哥",
                "小妹",
                "阿姨",
                "员工",
                "老板娘",
                "老板",
                "态度",
                r"\bstaff\b",
                r"\bemployees?\b",
                r"\bclerks?\b",
                r"\btellers?\b",
                r"\bagents?\b",
                r"\bassistants?\b",
                r"\bcashiers?\b",
                r"\bmanager\b",
                r"\breceptionist\b",
                r"\battitude\b",
                r"\bwaiter(?:s|ess|esses)?\b",
                r"\bguy at the\b",
                r"\blady at the\b",
            ),
            *_topics(
                "服务(?!费|区|台|器|项目|中心|业务|范围|类)",
                r"\bservice\b(?! (?:fee|charge|centre|center|plan))",
                r"\bcustomer service\b",
                needs_opinion=True,
            ),
            *_good(
                "热情",
                "热心",
                "好心",
                "礼貌",
                "客气",
                "耐心",
                "细心",
                "贴心",
                "周到",
                "亲切",
                "友好",
                "友善",
                "和蔼",
                "温柔",
                "笑容",
                "微笑",
                "笑脸相迎",
                "笑脸",
                "殷勤",
                "用心",
                "负责",
                "认真",
                "暖心",
                "尊重",
                "服务到位",
                "态度好",
                "主动帮",
                "主动问",
                "主动询问",
                "主动介绍",
                # R-staff-response (see NOT_HALL_SPEED): staff who come quickly when called
                f"(?:来得|来的|响应|反应|动作|手脚){DEG}?(?:快|迅速|及时|麻利|利索)",
                r"\bfriendl(?:y|ier|iest)\b",
                r"\bpolite(?:ly)?\b",
                r"\bcourteous\b",
                r"\bkind(?:ly)?\b",
                r"\bpatient(?:ly)?\b",
                r"\bhelpful\b",
                r"\bwarm(?:ly)?\b",
                r"\bwelcoming\b",
                r"\brespectful\b",
                r"\battentive\b",
                r"\bsmil(?:e|ed|ing|es)\b",
                r"\bcaring\b",
                r"\bthoughtful\b",
                r"\bcheerful\b",
            ),
            *_bad(
                "不耐烦",
                "冷淡",
                "冷漠",
                "冷冰冰",
                "敷衍",
                "爱答不理",
                "爱理不理",
                "不理人",
                "不理睬",
                "没人理",
                "不搭理",
                "态度恶劣",
                "恶劣",
                "凶",
                "吼",
                "骂人",
                "甩脸",
                "摆脸色",
                "脸色难看",
                "给脸色",
                "臭脸",
                "白眼",
                f"(?:说话|口气|语气){DEG}?冲",
                "呛",
                "傲慢",
                "嫌弃",
                "推诿",
                "推脱",
                "踢皮球",
                "玩手机",
                "看手机",
                "态度差",
                "没礼貌",
                "不礼貌",
                "横",
                "不客气",
                f"(?:响应|反应|动作|手脚)(?:速度)?{DEG}?(?:慢|迟钝|迟缓)",
                r"\brude(?:ly|ness)?\b",
                r"\bimpolite\b",
                r"\bunfriendly\b",
                r"\bimpatient\b",
                r"\bdismissive\b",
                r"\barrogant\b",
                r"\bcondescending\b",
                r"\bunhelpful\b",
                r"\bignored\b",
                r"\bignoring\b",
                r"\bsnapped\b",
                r"\byelled\b",
                r"\bshouted\b",
                r"\bgrumpy\b",
                r"\bcouldn'?t care less\b",
                r"\bon (?:their|her|his) phones?\b",
                r"\beye contact\b(?<=no eye contact)",
                r"\bbored\b",
            ),
        ),
    ),
    Theme(
        "expertise",
        (
            *_topics(
                "讲解",
                "解释",
                "介绍",
                "讲得",
                "说明",
                "咨询",
                "答疑",
                r"\bexplain(?:ed|s|ing|ation)?\b",
                r"\badvice\b",
                r"\banswers?\b",
                r"\bquestions?\b(?= (?:was|were|about|answered))",
            ),
            *_good(
                "专业",
                "懂行",
                "熟练",
                "清楚",
                "明白",
                "详细",
                "透彻",
                "解决了",
                "搞定",
                "办好了",
                "办妥",
                "一次就办好",
                "一次办好",
                "帮我解决",
                "帮我搞定",
                "帮我弄好",
                "帮我处理",
                "找到问题",
                "解决",
                "在行",
                "靠谱",
                r"\bexpert(?:ly|ise)?\b",
                r"\bprofessional(?:ly|ism)?\b",
                "一步一步教",
                "手把手",
                "一次性告知",
                "一次性说清",
                r"\bknowledgeable\b",
                r"\bknew (?:exactly|what|their)\b",
                r"\bcompetent\b",
                r"\bclear(?:ly)?\b",
                r"\bsolved\b",
                r"\bresolved\b",
                r"\bfixed\b",
                r"\bsorted(?: out)?\b",
                r"\bsorted it\b",
                r"\bproblem solved\b",
            ),
            *_bad(
                "不专业",
                "不懂",
                "一问三不知",
                "说不清",
                "讲不清",
                "答不上",
                "不熟练",
                "没解决",
                "未解决",
                "没办好",
                "没办成",
                "办不了",
                "办错",
                "搞错",
                "弄错",
                "出错",
                "错了",
                "白跑",
                "忽悠",
                "乱推荐",
                "瞎推荐",
                "推销",
                "新手",
                "外行",
                r"\bclueless\b",
                r"\bunprofessional\b",
                r"\bupsold\b",
                r"\b(?:couldn'?t|could not|can'?t) (?:help|do anything)\b",
                r"\bnobody (?:here )?could help\b",
                # R-not-done: 没给解决, 没处理好, 说不知道, 改天再来: the job was not done
                "说不知道",
                "没给(?:我)?(?:解决|处理|办)",
                "没(?:处理|修|弄|办)好",
                "改天再来",
                "下次再来",
                "每次都说",
                "没提前说",
                r"\bincompetent\b",
                r"\bunclear\b",
                r"\bunresolved\b",
                r"\bnot (?:solved|fixed|resolved)\b",
                r"\bwrong\b",
                r"\bmistakes?\b",
                r"\bno idea\b",
                r"\bnobody (?:could|knew)\b",
                r"\bupsell\w*",
                r"\bwasted trip\b",
                r"\bcome back (?:another|tomorrow|later)",
            ),
        ),
    ),
    Theme(
        "environment",
        (
            *_topics(
                "环境",
                "装修",
                "装潢",
                "布置",
                "氛围",
                "大厅",
                "大堂",
                "座位",
                "座椅",
                "椅子",
                "沙发",
                "空调",
                "暖气",
                "灯光",
                "空气",
                "卫生间",
                "厕所",
                "洗手间",
                "空间",
                "场地",
                "厅里",
                "店里面",
                # R-waiting-area: the waiting area is a place, not a wait (等候区座位很多)
                "等候区",
                "等待区",
                "等位区",
                "候客区",
                r"\bwaiting (?:area|room|hall)\b",
                r"\benvironment\b",
                r"\bseat(?:s|ing)?\b",
                r"\bchairs?\b",
                r"\bair ?con\w*\b",
                r"\bac\b",
                r"\btoilets?\b",
                r"\bbathroom\b",
                r"\bthe hall\b",
                r"\bthe branch\b(?= (?:was|is))",
                r"\bthe place\b(?= (?:was|is))",
                r"\bdecor\b",
            ),
            *_good(
                "干净",
                "整洁",
                "明亮",
                "敞亮",
                "宽敞",
                "大气",
                "舒适",
                "温馨",
                "安静",
                "幽静",
                "清静",
                "雅致",
                "优雅",
                "别致",
                "凉快",
                "卫生好",
                "一尘不染",
                "精致",
                "有特色",
                "有味道",
                "上档次",
                "上档",
                "高大上",
                "有格调",
                "有设计感",
                "漂亮",
                f"(?:空间|大厅|店面|场地){DEG}?大",
                r"\bclean\b",
                r"\btidy\b",
                r"\bbright\b",
                r"\bspacious\b",
                r"\bcomfortable\b",
                r"\bcomfy\b",
                r"\bquiet\b",
                r"\bcosy\b",
                r"\bcozy\b",
                r"\bcool inside\b",
                r"\bmodern\b",
            ),
            *_bad(
                "脏",
                "脏乱",
                "乱糟糟",
                "乱七八糟",
                "邋遢",
                "吵",
                "嘈杂",
                "吵杂",
                "喧闹",
                "喧哗",
                "噪音",
                "闹哄哄",
                "拥挤",
                "挤",
                "狭窄",
                "狭小",
                "逼仄",
                "局促",
                f"(?:空间|地方|店面|店|厅){DEG}?小",
                "闷热",
                "闷",
                "热死",
                "冻死",
                "异味",
                "臭",
                "烟味",
                "烟雾缭绕",
                "没座",
                "没地方坐",
                "站着等",
                "破旧",
                "简陋",
                "昏暗",
                "不卫生",
                # R-missing-supplies: 卫生间没有纸巾
                "没有?(?:纸巾|手纸|卫生纸|洗手液|热水|空调|暖气)",
                f"{DEG}乱(?!收|扣|推)",
                f"{DEG}热(?!情|心|闹|水|饮|菜|门|销|线|播|卖|点|乎|烈|腾)",
                f"{DEG}冷(?!淡|漠|冰|菜|盘|饮|静|场)",
                r"\bdirty\b",
                r"\bfilthy\b",
                r"\bmessy\b",
                r"\bnois(?:y|e)\b",
                r"\bloud\b",
                r"\bcrowded\b",
                r"\bcramped\b",
                r"\bpacked\b",
                r"\bstuffy\b",
                r"\buncomfortable\b",
                r"\bsmel(?:ly|t|ls)\b",
                r"\bfreezing\b",
                r"\bboiling\b",
                r"\bhot in\b",
                r"\bcold in\b",
                r"\bno (?:seats?|chairs?)\b",
                r"\bstanding\b",
                r"\bshabby\b",
            ),
        ),
    ),
    Theme(
        "price_deal",
        (
            *_topics(
                "价格",
                "价位",
                "价钱",
                "收费",
                "费用",
                "消费",
                "人均",
                "账单",
                "结账",
                "买单",
                "资费",
                "套餐",
                "话费",
                "月租",
                "流量包",
                "团购",
                "优惠券",
                "代金券",
                "服务费",
                "性价比",
                "价",
                r"\bprices?\b",
                r"\bcosts?\b",
                r"\bfees?\b",
                r"\bcharges?\b",
                r"\btariffs?\b",
                r"\bplans?\b",
                r"\bbill(?:ing|ed)?\b",
                r"\bmonthly\b",
                r"\bvoucher\w*",
                r"\bcoupons?\b",
            ),
            *_good(
                "便宜",
                "实惠",
                "划算",
                "超值",
                "物美价廉",
                "物超所值",
                "物有所值",
                f"性价比{DEG}?高",
                "良心价",
                # R-fair-price: a fair price is praise (合理, 货真价实, 半价, 打97折); 适中 (moderate) is
                # no verdict
                "合理",
                "公道",
                "亲民",
                "货真价实",
                "半价",
                "特价",
                "打?[0-9一二三四五六七八九]+折",
                "白菜价",
                "优惠",
                "折扣",
                "打折",
                "减免",
                "返现",
                "省了",
                "省钱",
                "值这个价",
                "不贵",
                r"\bcheap(?:er)?\b",
                r"\baffordable\b",
                r"\bgood value\b",
                r"\bgreat value\b",
                r"\bvalue for money\b",
                r"\b(?:good|great|nice|excellent|decent) deal\b",
                r"\bdiscount\w*",
                r"\bbargain\b",
                r"\bsaved? (?:me )?(?:some |a lot of )?money\b",
                r"\boffers?\b",
                r"\bpromo\w*",
                r"\bfree\b",
                "免费",
            ),
            *_bad(
                "贵(?!宾|州|阳|姓|重|族|店|司|方|行|处)",  # R-gui: 贵店 / 贵司 is "your shop", polite
                "昂贵",
                "不便宜",
                "宰客",
                "挨宰",
                "被宰",
                "不值",
                f"性价比{DEG}?(?:低|差)",
                "性价比不高",
                "性价比一般",
                "乱收费",
                "多收",
                "乱扣",
                "扣费",
                "乱扣费",
                f"收费{DEG}?高",
                f"价格{DEG}?高",
                f"(?:人均|消费|价位|价钱|菜价|价){DEG}?(?:偏)?高",
                "涨价",
                "价(?:格|钱)?(?:也|又)?(?:涨|上去)了?",
                "溢价",
                "坑钱",
                "骗钱",
                r"\bexpensive\b",
                r"\bpricey\b",
                r"\boverpriced\b",
                r"\bovercharg\w*",
                r"\brip-?off\b",
                r"\bextra charges?\b",
                r"\bhidden (?:fee|charge)s?\b",
                r"\bnot worth\b",
            ),
        ),
    ),
    Theme(
        "device_stock",
        (
            *_topics(
                "手机",
                "机型",
                "型号",
                "新机",
                "设备",
                "终端",
                "配件",
                "耳机",
                "iphone",
                "华为",
                "小米",
                "内存",
                "颜色",
                "新手机",  # R-new-phone: not 新手 (a beginner)
                "备用机",
                "货",
                r"\bphones?\b(?! (?:number|call))",
                r"\bhandsets?\b",
                r"\bdevices?\b",
                r"\bmodels?\b",
                r"\bcolou?rs?\b",
                r"\bstock\b",
                r"\bcases?\b",
                r"\bchargers?\b",
                r"\bsim\b",
            ),
            *_bad(
                "缺货",
                "没货",
                "无货",
                "断货",
                "没有货",
                "卖完",
                "卖光",
                "售罄",
                "没现货",
                "缺现货",
                "要等货",
                "调货",
                "没到货",
                "质量差",
                r"\bout of stock\b",
                r"\bsold out\b",
                r"\bunavailable\b",
                r"\bnot (?:in stock|available)\b",
                r"\bnone (?:left|in stock)\b",
            ),
            *_good(
                "有货",
                "有现货",
                "现货",
                "货全",
                "款式多",
                "齐全",
                r"\bin stock\b",
                r"\bhad (?:it|the model|my colou?r)\b",
            ),
        ),
    ),
    Theme(
        "process",
        (
            *_topics(
                "手续",
                "流程",
                "材料",
                "资料",
                "证件",
                "身份证",
                "户口本",
                "证明",
                "填表",
                "表格",
                "签字",
                "签名",
                "复印",
                "系统",
                "程序",
                "规定",
                "预约",
                "实名",
                # R-machines: the ticket machine, self-service kiosks and ATMs are part of the process
                "排号机",
                "叫号机",
                "取号机",
                "叫号系统",
                "排队系统",
                "自助机",
                "机器",
                "atm",
                "退换货",
                "退货",
                "换货",
                r"\bcontracts?\b",
                r"\bsign(?:ing|ed)?\b",
                r"\bkiosks?\b",
                r"\bpaperwork\b",
                r"\bforms?\b",
                r"\bdocuments?\b",
                r"\bid\b",
                r"\bsystems?\b",
                r"\bprocess(?:es|ing)?\b",
                r"\bprocedures?\b",
                r"\bbureaucra\w*",
                r"\bappointment\b",
                r"\bsignatures?\b",
            ),
            *_bad(
                "繁琐",
                "复杂",
                "麻烦(?!你|您)",
                "折腾",
                "来回跑",
                f"跑了{NUM}(?:次|趟)",
                f"跑{NUM}(?:次|趟)",
                "死机",
                "系统故障",
                "吞卡",
                "打不通",
                "没人接",
                "过号",
                "系统升级",
                "死板",
                "被退回",
                "不全",
                "重新(?:来|办|排|填|交)",
                f"(?:手续|材料|表格|表|证明){DEG}?多",
                "只能人工",
                "排人工",
                "系统崩",
                "系统坏",
                "系统出问题",
                "系统问题",
                "卡住",
                "手续多",
                "刁难",
                "重复填",
                "来回签",
                "签了好多",
                r"\b(?:too|so) (?:much|many) (?:paperwork|forms|documents)\b",
                r"\bcomplicated\b",
                r"\bhassle\b",
                r"\bconfusing\b",
                r"\bcrash(?:ed|es|ing)?\b",
                r"\bsystem (?:was |is )?down\b",
                r"\bred tape\b",
                r"\bendless forms\b",
                r"\bback and forth\b",
                r"\bforms and more forms\b",
            ),
            *_good(
                "简单",
                "简便",
                "便捷",
                "方便",
                "顺利",
                "流程清晰",
                needs=PROCESS_CONTEXT,
                unless=NOT_PROCESS,
            ),
            *_good(
                r"\bsimple\b",
                r"\beasy\b",
                r"\bsmooth(?:ly)?\b",
                r"\bstraightforward\b",
                r"\bpainless\b",
                needs=EN_PROCESS_CONTEXT,
                unless=NOT_PROCESS,
            ),
        ),
    ),
    Theme(
        "network",
        (
            *_topics(
                "网速",
                "信号",
                "网络",
                "宽带",
                "流量(?!包)",
                "5g",
                "4g",
                "wifi",
                "上网",
                r"\bsignal\b",
                r"\bnetwork\b",
                r"\bcoverage\b",
                r"\bbroadband\b",
                r"\binternet\b",
                r"\bdata\b",
            ),
            *_bad(
                "断网",
                "没信号",
                f"信号{DEG}?(?:差|弱|不好)",
                f"网速?{DEG}?慢",
                f"网速?{DEG}?卡",
                "卡顿",
                "掉线",
                f"网速?{DEG}?差",
                r"\bno signal\b",
                r"\bdropp?(?:ed|ing) (?:calls?|out)\b",
                r"\bpatchy\b",
            ),
        ),
    ),
)

# Opinions about nothing in particular: they give a topic its polarity.
GENERAL = (
    *_good(
        "好(?!吃|喝|多|几|久|像|看|玩|听|找|用|些|在|处|不容易|大|长|半天|点|了解|奇)",
        "不错",
        "满意",
        "棒",
        "赞",
        "点赞",
        "优秀",
        "给力",
        "完美",
        "喜欢",
        "舒服",
        "舒心",
        "开心",
        "高兴",
        "感谢",
        "谢谢",
        "可以",
        "还行",
        "到位",
        "好评",
        "五星",
        "一流",
        "没得说",
        "没话说",
        "无可挑剔",
        "没问题",
        "nice",
        "放心",
        "省心",
        "暖心",
        r"\bgood\b",
        r"\bgreat\b",
        r"\bexcellent\b",
        r"\blovely\b",
        r"\bamazing\b",
        r"\bawesome\b",
        r"\bfantastic\b",
        r"\bperfect\b",
        r"\bhappy\b",
        r"\bpleased\b",
        r"\bsatisfied\b",
        r"\bfine\b",
        r"\bbrilliant\b",
        r"\bsuperb\b",
        r"\bbest\b",
        r"\blove(?:d)?\b",
        r"\bthanks?\b",
        r"\bthank you\b",
        r"\bwonderful\b",
        r"\bmade up for\b",
        r"\bdecent\b",
        r"\bimpressed\b",
        r"\bpositive\b",
    ),
    *_bad(
        "差",
        "糟糕",
        "糟",
        "烂",
        "失望",
        "垃圾",
        "恶心",
        "无语",
        "生气",
        "气人",
        "恼火",
        "郁闷",
        "崩溃",
        "不满",
        "不爽",
        "过分",
        "离谱",
        "差劲",
        "吐槽",
        "投诉",
        "受不了",
        "难受",
        "无奈",
        "差评",
        "坑爹",
        "坑",
        "醉了",
        "不行",
        "心累",
        "糟心",
        "闹心",
        "火大",
        "太过分",
        "辣鸡",
        "呵呵",
        "气死",
        # R-broken: broken is an opinion on whatever it is next to (手机坏了: the device; the AC was
        # broken: the hall; 排号机坏了: the process), not a device theme of its own
        "故障",
        "坏了",
        "坏掉",
        "没修好",
        "修不好",
        r"\bbroken\b",
        r"\bfaulty\b",
        r"\bdefective\b",
        r"\bdied\b",
        # R-litotes: X就不说了 / 就不提了 (not worth a word) and 奇怪 are complaints
        "就不说了",
        "就不提了",
        "奇怪",
        r"\bbad\b",
        r"\bterrible\b",
        r"\bawful\b",
        r"\bhorrible\b",
        r"\bpoor(?:ly)?\b",
        r"\bworst\b",
        r"\bannoy\w*",
        r"\bfrustrat\w*",
        r"\bdisappoint\w*",
        r"\buseless\b",
        r"\bridiculous\b",
        r"\bhate\b",
        r"\bunacceptable\b",
        r"\bsucks?\b",
        r"\bcrap\b",
        r"\bjoke\b",
        r"\bappalling\b",
        r"\bshocking\b",
        r"\bnightmare\b",
        r"\bangry\b",
        r"\bupset\b",
        r"\bunhappy\b",
    ),
    *_topics(
        "一般",
        "还好(?!心|喝|看|玩|用)",
        "凑合",
        "普通",
        "中规中矩",
        "马马虎虎",
        r"\bokay\b",
        r"\bok\b",
        r"\baverage\b",
        r"\bmeh\b",
        r"\bso-so\b",
    ),
)

# Words that hold a cue but mean something else: they take the span and give nothing.
SHIELDS = (
    "快递",
    "快乐",
    "快餐",
    "愉快",
    "痛快",
    "爽快",
    "赶快",
    "尽快",
    "快点",
    "快要",
    "快捷",
    "加快",
    "飞快地",
    # R-not-a-wait: eating speed, a frequency, staff standing by, the waiting area as a place
    "吃饭速度",
    "吃得快",
    "吃得慢",
    "吃的快",
    "吃的慢",
    "每隔一会儿",
    "每隔一会",
    "隔一会儿",
    "随时等待",
    "随时等候",
    # R-pai: 排 in 安排, 排名, 牛排 is no queue (安排了 held 排了)
    "安排",
    "编排",
    "彩排",
    "排练",
    "排名",
    "排行",
    "排骨",
    "牛排",
    "羊排",
    "猪排",
    "鸡排",
    "很快乐",
    "好久没",
    "很久没",
    "好久不",
    "很久以前",
    "许久没",
    "慢慢",
    "慢走",
    "慢用",
    "等等",
    "等级",
    "平等",
    "等于",
    "等人",
    "等车",
    "等菜单",
    "不好意思",
    "不得不",
    "不差钱",
    "贵宾",
    "宝贵",
    "珍贵",
    "富贵",
    "尊贵",
    "臭豆腐",
    "臭鳜鱼",
    "冷菜",
    "冷盘",
    "热菜",
    "热水",
    "热饮",
    "服务费",
    "服务区",
    "自助服务",
    "半天房",
    "服务中心",
    "热闹",
    "好好",
    "挤时间",
    "不过瘾",
    "差不多",
    "差点",
    "相差",
    "出差",
    "时差",
    "差价",
    "不凶",
    "没想到",
    "可以说",
    "正好",
    "只好",
    "刚好",
    "恰好",
    "还好吃",
    "友好城市",
    "不一般",
    r"\bwaiters?\b",
    r"\bwaitress(?:es)?\b",
    r"\bwaitstaff\b",
    r"\bfine print\b",
    r"\bno problem\b",
    r"\bprompted\b",
    r"\bline manager\b",
    r"\bbreakfast\b",
    r"\bfast food\b",
)

_NEGATOR = re.compile(
    # R-neg: 没什么笑脸, 就没个笑脸, 没有想象中那么久, 不是特别的热情; 不得不说 negates nothing
    rf"(?:不至于|(?<!得)不|没有想象中(?:的)?|没有|没|未|无|(?<![特区分级类个告])别|毫不|并不|并没有|不是|从不|从没|绝不)"
    # R-modal: 不能给优惠, 不肯退, 没给解决: a modal or 给 between the negator and the opinion
    rf"(?:是)?(?:能|会|肯|愿意|想)?(?:给)?(?:任何|什么|啥|个|一点|半点)?{DEG}?(?:的|地)?(?:那么|怎么|算|够|大)?"
    r"(?:洗|刷|擦|弄|打扫|收拾|搞|做|讲|说|办|处理|听)?$"
    r"|(?:\bnot|\bno|\bnever|n't|\bhardly|\bbarely|\bwithout|\bnothing|\bnor)(?:\s+\w+){0,2}\s*$"
)
_CONTRAST = re.compile(r"但是|但|不过(?!瘾)|可是|然而|可惜|\bbut\b|\bhowever\b|\bthough\b|\balthough\b|\byet\b")
_CLAUSE_END = re.compile(r"[，,。.！!？?；;：:~～…\n\r\t()（）【】\[\]“”\"]+")
# R-space: many reviewers write Chinese with spaces for commas; a space between two Chinese
# characters ends a clause (English keeps its spaces)
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff])")
_LONG_WAIT = re.compile(
    rf"{NUM}(?:个)?(?:多)?(?:小时|钟头|个钟)|大?半个?(?:钟|小时)|半天|一上午|一下午|一整天|一整个|大半天"
    r"|\b(?:\d+|an?|one|two|three|several|many|couple of) (?:\w+ )?(?:hours?|hrs?)\b|\bhalf an hour\b"
)
_MINUTES = re.compile(
    r"([0-9]+|[一二两三四五六七八九十]+|\b(?:a|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty"
    r"|fifty|sixty|a few|few|couple of)\b)\s*(?:多)?(?:分钟|min(?:ute)?s?\b)"
)
_EN_NUMBERS = {
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "a few": 3,
    "few": 3,
    "couple of": 2,
}
# R-short-wait: a few minutes and the job done (五分钟就轮到我了, 十分钟搞定, took two minutes) is praise
_DONE_SOON = re.compile(r"就|搞定|办完|办好|弄好|完事|只用|只要|才用|\btook\b|\bin\b|\bwithin\b|\bonly\b|\bjust\b")
SHORT_WAIT_MIN = 10
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
LONG_WAIT_MIN = 20  # a wait a customer mentions in minutes reads as a complaint from here on


@dataclass(frozen=True)
class Mention:
    theme: str
    polarity: str
    evidence: str
    start: int  # offsets of the evidence in the comment
    end: int

    def as_json(self) -> dict[str, str]:
        return {"theme": self.theme, "polarity": self.polarity, "evidence": self.evidence}


# --- matching -------------------------------------------------------------------------------
_GENERAL_KEY = "_general"
_SHIELD_KEY = "_shield"


def _capture_free(pattern: str) -> str:
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern)


def _literal(pattern: str) -> str:
    """The text a cue spells out, without its lookarounds and regex syntax (for ordering)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            depth = 0
            while i < len(pattern):
                depth += pattern[i] == "(" and (i == 0 or pattern[i - 1] != "\\")
                depth -= pattern[i] == ")" and pattern[i - 1] != "\\"
                i += 1
                if depth == 0:
                    break
            continue
        out.append(pattern[i])
        i += 1
    return re.sub(r"\\[bdws]|\(\?:|[()?*+|\[\]^$\\]|\{[^}]*\}", "", "".join(out))


_Compiled = tuple[re.Pattern, list[tuple[str, Cue]]]  # one alternation and the cues it tries


@functools.cache
def _matcher() -> tuple[dict[str, _Compiled], _Compiled | None]:
    entries: list[tuple[str, Cue]] = [(theme.key, cue) for theme in THEMES for cue in theme.cues]
    entries += [(_GENERAL_KEY, cue) for cue in GENERAL]
    entries += [(_SHIELD_KEY, Cue(p)) for p in SHIELDS]

    def weight(entry):  # longer literal text first, so 服务员 wins over 服务 and 快递 over 快
        return -len(_literal(entry[1].pattern))

    entries.sort(key=weight)
    # One alternation per first character (and one for cues that may start anywhere), so each
    # position of a clause tries only the cues that can start there: the same leftmost,
    # longest-listed-first matching as one big alternation, fifty times faster.
    by_char: dict[str, list[int]] = {}
    anywhere: list[int] = []
    for i, (_, cue) in enumerate(entries):
        first = _first_chars(cue.pattern)
        if first is None:
            anywhere.append(i)
        else:
            for ch in first:
                by_char.setdefault(ch, []).append(i)

    def compiled(indices: list[int]) -> _Compiled:
        indices = sorted(set(indices))
        chosen = [entries[i] for i in indices]
        return re.compile("|".join(f"({_capture_free(cue.pattern)})" for _, cue in chosen)), chosen

    table = {ch: compiled(ix + anywhere) for ch, ix in by_char.items()}
    return table, (compiled(anywhere) if anywhere else None)


def _first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of `pattern` can start with; None when that can't be told."""
    from re import _constants as C  # type: ignore[attr-defined]  # the stdlib's own regex parser, private so not in typeshed
    from re import _parser as P  # type: ignore[attr-defined]  # private, as above

    def first(items) -> tuple[set[str] | None, bool]:  # (chars, whether it can match empty)
        out: set[str] = set()
        for op, av in items:
            if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
                continue  # zero width: look further
            if op is C.LITERAL:
                out.add(chr(av))
                return out, False
            if op is C.IN:
                for kind, val in av:
                    if kind is C.LITERAL:
                        out.add(chr(val))
                    else:
                        return None, False
                return out, False
            if op is C.SUBPATTERN:
                sub, empty = first(av[-1])
            elif op is C.BRANCH:
                sub, empty = set(), False
                for branch in av[1]:
                    b, e = first(branch)
                    if b is None:
                        return None, False
                    sub |= b
                    empty = empty or e
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
                sub, empty = first(av[2])
                empty = empty or av[0] == 0
            else:
                return None, False
            if sub is None:
                return None, False
            out |= sub
            if not empty:
                return out, False
        return out, True

    chars, empty = first(P.parse(_capture_free(pattern)))
    if chars is None or empty:
        return None
    return frozenset(chars)


@functools.cache
def _t2s():
    import opencc  # opencc-python-reimplemented: the conversion tables ship in the wheel

    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Lower case, half-width, simplified; the same length as `text` so offsets carry over."""
    chars = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch).lower()
        chars.append(n if len(n) == 1 else ch.lower())
    out = "".join(chars)
    simplified = _t2s().convert(out)
    if len(simplified) == len(out):
        return simplified
    return "".join(c if len(c := _t2s().convert(ch)) == 1 else ch for ch in out)


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of a normalised comment."""
    cuts = {0, len(text)}
    for m in _CLAUSE_END.finditer(text):
        cuts.update((m.start(), m.end()))
    for m in _CJK_SPACE.finditer(text):
        cuts.update((m.start(), m.end()))
    for m in _CONTRAST.finditer(text):
        cuts.add(m.start())
    bounds = sorted(cuts)
    out = []
    for a, b in itertools.pairwise(bounds):
        piece = text[a:b]
        if piece.strip() and not _CLAUSE_END.fullmatch(piece):
            out.append((a, b))
    return out


def _negated(before: str) -> bool:
    return bool(_NEGATOR.search(before[-12:]))


def _minutes(value: str) -> int:
    if value.isdigit():
        return int(value)
    if value in _EN_NUMBERS:
        return _EN_NUMBERS[value]
    if value == "十":
        return 10
    if "十" in value:
        tens, _, units = value.partition("十")
        return _ZH_DIGITS.get(tens, 1) * 10 + _ZH_DIGITS.get(units, 0)
    return _ZH_DIGITS.get(value, 0)


def _wait_length_polarity(clause: str) -> int:
    if _LONG_WAIT.search(clause):
        return -1
    lengths = [_minutes(m.group(1)) for m in _MINUTES.finditer(clause)]
    if lengths and max(lengths) >= LONG_WAIT_MIN:
        return -1
    if lengths and max(lengths) <= SHORT_WAIT_MIN and _DONE_SOON.search(clause):
        return +1
    return 0


def _cues_in(clause: str, table, anywhere):
    """(match, theme key, cue) left to right, each span taken once."""
    i = 0
    while i < len(clause):
        pattern_entries = table.get(clause[i], anywhere)
        m = pattern_entries[0].match(clause, i) if pattern_entries else None
        if m is None or m.end() == i:
            i += 1
            continue
        key, cue = pattern_entries[1][m.lastindex - 1]
        yield m, key, cue
        i = m.end()


def _bare_in_short(cue: Cue, comment: str) -> bool:
    """Whether a cue that needs context counts in a short comment without it (R-short)."""
    if cue.needs in (WAIT_CONTEXT, PROCESS_CONTEXT, EN_PROCESS_CONTEXT):
        return not re.search(r"吃|喝|饭|菜|肉|鱼|烤|煮|炖|炒|煎|汤|\beat|\bfood|\bcook", comment)
    return bool(re.search(cue.needs or "", comment))


def _clause_mentions(text: str, start: int, end: int, original: str) -> list[Mention]:
    table, anywhere = _matcher()
    clause = text[start:end]
    short = len(text.strip()) <= SHORT_COMMENT
    hits: dict[str, list[tuple[int, int]]] = {}  # theme -> [(position, polarity)]
    topics_needing_opinion: dict[str, list[int]] = {}
    general: list[tuple[int, int]] = []
    for m, key, cue in _cues_in(clause, table, anywhere):
        if key == _SHIELD_KEY:
            continue
        if cue.needs and not re.search(cue.needs, clause) and not (short and _bare_in_short(cue, text)):
            continue
        if cue.unless and re.search(cue.unless, clause):
            continue
        polarity = cue.polarity
        if polarity and _negated(clause[: m.start()]):
            polarity = -polarity
        if key == _GENERAL_KEY:
            general.append((m.start(), polarity))
        elif cue.needs_opinion:
            topics_needing_opinion.setdefault(key, []).append(m.start())
        else:
            hits.setdefault(key, []).append((m.start(), polarity))
    for key, positions in topics_needing_opinion.items():
        if key in hits or general:  # 服务很好 is about staff; 服务很快 is about the wait alone
            hits.setdefault(key, []).extend((pos, 0) for pos in positions)
    mentions = []
    for theme in THEMES:
        found = hits.get(theme.key)
        if not found:
            continue
        own = sum(p for _, p in found)
        if not own and any(p for _, p in found):
            own = found[-1][1] if found[-1][1] else next(p for _, p in reversed(found) if p)
        if not own and general:
            anchor = found[0][0]
            opinions = [(abs(pos - anchor) - (2 if pos > anchor else 0), p) for pos, p in general if p]
            own = min(opinions)[1] if opinions else 0
        if not own and theme.key == "waiting":
            own = _wait_length_polarity(clause)
        polarity = POSITIVE if own > 0 else NEGATIVE if own < 0 else NEUTRAL
        lead = _CONTRAST.match(text, start)
        said_from = lead.end() if lead else start  # the evidence without its 但 / but
        mentions.append(Mention(theme.key, polarity, original[said_from:end].strip(), start, end))
    return mentions


@functools.lru_cache(maxsize=100_000)
def mentions_of(comment: str) -> tuple[Mention, ...]:
    """Every theme each clause of a comment talks about, with its polarity and the clause."""
    if not comment:
        return ()
    text = normalise(comment)
    out: list[Mention] = []
    for start, end in clauses(text):
        out.extend(_clause_mentions(text, start, end, comment))
    return tuple(out)


def theme_polarity(mentions) -> dict[str, str]:
    """One polarity per theme of a comment: the side with more mentions; a tie between praise
    and complaint counts as a complaint (one is enough to act on); neutral when neither."""
    out: dict[str, str] = {}
    for theme in THEMES:
        pols = [m.polarity for m in mentions if m.theme == theme.key]
        if not pols:
            continue
        neg, pos = pols.count(NEGATIVE), pols.count(POSITIVE)
        out[theme.key] = NEGATIVE if neg and neg >= pos else POSITIVE if pos else NEUTRAL
    return out


OTHER = "other"
THEME_KEYS: tuple[str, ...] = tuple(theme.key for theme in THEMES) + (OTHER,)


@functools.lru_cache(maxsize=100_000)
def themes_of(text: str) -> tuple[str, ...]:
    """The themes a comment touches, in THEMES order; ('other',) when it touches none."""
    return tuple(theme_polarity(mentions_of(text or ""))) or (OTHER,)


def _warm() -> None:
    _matcher()
    _t2s()


@functools.cache
def warm_up() -> None:
    """Compile the cues and load the conversion tables in a background thread, once per
    process: it takes about a second, which the first hall page would otherwise wait for."""
    threading.Thread(target=_warm, name="peakend-themes-warm-up", daemon=True).start()


# --- the hall page ----------------------------------------------------------------------------
def _tagged(comments: pd.DataFrame) -> pd.DataFrame:
    """One row per comment x theme it touches, with that theme's polarity in the comment."""
    rows: list[tuple[int, str, str]] = []
    for i, text in enumerate(comments["exit_comment"]):
        found = theme_polarity(mentions_of(text or "")) or {OTHER: NEUTRAL}
        rows.extend((i, theme, polarity) for theme, polarity in found.items())
    tagged = pd.DataFrame(rows, columns=["_row", "theme", "polarity"])
    return (
        comments.reset_index(drop=True)
        .iloc[tagged["_row"]]
        .reset_index(drop=True)
        .assign(theme=tagged["theme"].to_numpy(), polarity=tagged["polarity"].to_numpy())
    )


def theme_counts(comments: pd.DataFrame) -> pd.DataFrame:
    """Comments per theme and what the text says about it (negative, positive, neutral): one
    row per theme x polarity, zero rows included; themes ordered by complaints, then by
    total, and `other` (comments no theme caught) last."""
    columns = ["theme", "polarity", "comments", "theme_total", "complaints"]
    if comments.empty:
        return pd.DataFrame(columns=columns)
    tagged = _tagged(comments)
    counts = tagged.groupby(["theme", "polarity"]).size()
    grid = pd.MultiIndex.from_product([list(tagged["theme"].unique()), list(POLARITIES)], names=["theme", "polarity"])
    out = counts.reindex(grid, fill_value=0).rename("comments").reset_index()
    out["theme_total"] = out.groupby("theme")["comments"].transform("sum")
    out["complaints"] = out["theme"].map(out[out["polarity"] == NEGATIVE].set_index("theme")["comments"])
    out["_order"] = out["theme"].map({key: i for i, key in enumerate(THEME_KEYS)})
    out["_other"] = out["theme"] == OTHER
    out = out.sort_values(
        ["_other", "complaints", "theme_total", "_order"], ascending=[True, False, False, True], kind="stable"
    )
    return out.reset_index(drop=True)[columns]


def theme_examples(comments: pd.DataFrame, theme: str, polarity: str | None = None) -> pd.DataFrame:
    """The comments behind one bar (a theme, or a theme and polarity), in the order given
    (latest first), with the clause that says it (`evidence`)."""
    if comments.empty:
        return comments.assign(evidence=pd.Series(dtype=str))
    keep, evidence = [], []
    for text in comments["exit_comment"]:
        mentions = mentions_of(text or "")
        found = theme_polarity(mentions) or {OTHER: NEUTRAL}
        ok = theme in found and (polarity is None or found[theme] == polarity)
        keep.append(ok)
        if ok:
            said = [m.evidence for m in mentions if m.theme == theme and (polarity is None or m.polarity == polarity)]
            evidence.append(" … ".join(dict.fromkeys(said)) or (text or ""))
    return comments.loc[keep].reset_index(drop=True).assign(evidence=evidence)


def complaint_counts(comments: pd.DataFrame) -> dict[str, int]:
    """How many of these comments complain about each theme (text polarity negative)."""
    out = {theme.key: 0 for theme in THEMES}
    for text in comments["exit_comment"]:
        for theme, polarity in theme_polarity(mentions_of(text or "")).items():
            if polarity == NEGATIVE:
                out[theme] += 1
    return out


# The bars of the hall page's themes chart, as "theme:polarity" keys the examples can be picked by.
def bar_keys(counts: pd.DataFrame) -> list[str]:
    rows = counts[counts["comments"] > 0]
    return [f"{theme}:{polarity}" for theme, polarity in zip(rows["theme"], rows["polarity"])]


def bar_label(key: str, counts: pd.DataFrame) -> str:
    theme, polarity = key.split(":")
    n = counts.loc[(counts["theme"] == theme) & (counts["polarity"] == polarity), "comments"].sum()
    return t(
        "hall.exit.bar_option",
        theme=t(f"hall.theme.{theme}"),
        polarity=t(f"hall.polarity.{polarity}"),
        n=formatting.number(n),
    )


def bar_examples(comments: pd.DataFrame, key: str) -> pd.DataFrame:
    theme, polarity = key.split(":")
    return theme_examples(comments, theme, polarity)


def unhappy_complaints_statement(comments: pd.DataFrame) -> str:
    """What the unhappy exits' comments (exit score 1-2) complain about, read from their text:
    the share of them complaining about each theme, most first."""
    scores = pd.to_numeric(comments["exit_score"], errors="coerce") if len(comments) else pd.Series(dtype=float)
    unhappy = comments[scores <= 2] if len(comments) else comments
    if unhappy.empty:
        return t("hall.drivers.text_none")
    counts = complaint_counts(unhappy)
    named = sorted(((n, k) for k, n in counts.items() if n), reverse=True)
    if not named:
        return t("hall.drivers.text_no_complaint", n=formatting.number(len(unhappy)))
    parts = [
        t(
            "hall.drivers.text_part",
            theme=t(f"hall.theme.{k}"),
            share=formatting.percent(n / len(unhappy), 0),
            n=formatting.number(n),
        )
        for n, k in named
    ]
    return t(
        "hall.drivers.text_statement", n=formatting.number(len(unhappy)), parts=t("hall.drivers.text_sep").join(parts)
    )
