"""The demo network: regions, cities, halls, their staff, and the visit purposes.

Cities, districts and coordinates are real; everything about a hall's people and habits is
drawn from the seed. Some halls are chronically understaffed and some regions train their
staff better, so that a regional comparison has a story to tell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FLAGSHIP, STANDARD, COMMUNITY = "flagship", "standard", "community"
HALL_TYPES = (FLAGSHIP, STANDARD, COMMUNITY)

# region -> cities; city = (zh, en, hall-id prefix, latitude, longitude, halls);
# hall = (district or street in zh, in en, hall type). Names are short so that
# "中央大街厅 Zhongyang St" fits a table column in both languages.
REGIONS: dict[str, list[tuple]] = {
    "东北 Northeast": [
        (
            "哈尔滨",
            "Harbin",
            "HRB",
            45.757,
            126.642,
            [("中央大街", "Zhongyang St", FLAGSHIP), ("南岗", "Nangang", STANDARD), ("松北", "Songbei", COMMUNITY)],
        ),
        (
            "沈阳",
            "Shenyang",
            "SHE",
            41.805,
            123.432,
            [("中街", "Zhongjie", FLAGSHIP), ("太原街", "Taiyuan St", STANDARD), ("浑南", "Hunnan", COMMUNITY)],
        ),
        ("大连", "Dalian", "DLC", 38.914, 121.615, [("青泥洼", "Qingniwa", STANDARD), ("星海", "Xinghai", COMMUNITY)]),
    ],
    "华北 North": [
        (
            "北京",
            "Beijing",
            "BJS",
            39.904,
            116.407,
            [
                ("西单", "Xidan", FLAGSHIP),
                ("王府井", "Wangfujing", FLAGSHIP),
                ("中关村", "Zhongguancun", STANDARD),
                ("望京", "Wangjing", STANDARD),
                ("通州", "Tongzhou", COMMUNITY),
            ],
        ),
        (
            "天津",
            "Tianjin",
            "TSN",
            39.125,
            117.190,
            [("滨江道", "Binjiang Rd", FLAGSHIP), ("小白楼", "Xiaobailou", STANDARD), ("滨海", "Binhai", COMMUNITY)],
        ),
        (
            "石家庄",
            "Shijiazhuang",
            "SJW",
            38.042,
            114.514,
            [("中山路", "Zhongshan Rd", STANDARD), ("裕华", "Yuhua", COMMUNITY)],
        ),
    ],
    "华东 East": [
        (
            "上海",
            "Shanghai",
            "SHA",
            31.230,
            121.474,
            [
                ("南京路", "Nanjing Rd", FLAGSHIP),
                ("徐家汇", "Xujiahui", FLAGSHIP),
                ("陆家嘴", "Lujiazui", STANDARD),
                ("五角场", "Wujiaochang", STANDARD),
                ("七宝", "Qibao", COMMUNITY),
            ],
        ),
        (
            "杭州",
            "Hangzhou",
            "HGH",
            30.274,
            120.155,
            [("武林", "Wulin", FLAGSHIP), ("滨江", "Binjiang", STANDARD), ("西溪", "Xixi", COMMUNITY)],
        ),
        ("南京", "Nanjing", "NKG", 32.060, 118.797, [("新街口", "Xinjiekou", FLAGSHIP), ("河西", "Hexi", STANDARD)]),
        ("苏州", "Suzhou", "SZV", 31.299, 120.585, [("观前街", "Guanqian St", STANDARD), ("园区", "SIP", STANDARD)]),
    ],
    "华南 South": [
        (
            "广州",
            "Guangzhou",
            "CAN",
            23.129,
            113.264,
            [
                ("天河", "Tianhe", FLAGSHIP),
                ("北京路", "Beijing Rd", STANDARD),
                ("番禺", "Panyu", STANDARD),
                ("白云", "Baiyun", COMMUNITY),
            ],
        ),
        (
            "深圳",
            "Shenzhen",
            "SZX",
            22.543,
            114.058,
            [
                ("华强北", "Huaqiangbei", FLAGSHIP),
                ("南山", "Nanshan", STANDARD),
                ("福田", "Futian", STANDARD),
                ("龙华", "Longhua", COMMUNITY),
            ],
        ),
        ("厦门", "Xiamen", "XMN", 24.480, 118.089, [("鹭江道", "Lujiang Rd", STANDARD), ("思明", "Siming", COMMUNITY)]),
    ],
    "华中 Central": [
        (
            "武汉",
            "Wuhan",
            "WUH",
            30.593,
            114.305,
            [("江汉路", "Jianghan Rd", FLAGSHIP), ("光谷", "Optics Valley", STANDARD), ("汉口", "Hankou", COMMUNITY)],
        ),
        ("长沙", "Changsha", "CSX", 28.228, 112.939, [("五一广场", "Wuyi Sq", FLAGSHIP), ("岳麓", "Yuelu", COMMUNITY)]),
        ("郑州", "Zhengzhou", "CGO", 34.747, 113.625, [("二七", "Erqi", STANDARD), ("郑东", "Zhengdong", COMMUNITY)]),
    ],
    "西南 Southwest": [
        (
            "成都",
            "Chengdu",
            "CTU",
            30.573,
            104.066,
            [("春熙路", "Chunxi Rd", FLAGSHIP), ("高新", "Hi-Tech Zone", STANDARD), ("天府", "Tianfu", COMMUNITY)],
        ),
        (
            "重庆",
            "Chongqing",
            "CKG",
            29.563,
            106.551,
            [
                ("解放碑", "Jiefangbei", FLAGSHIP),
                ("观音桥", "Guanyinqiao", STANDARD),
                ("沙坪坝", "Shapingba", COMMUNITY),
            ],
        ),
        (
            "昆明",
            "Kunming",
            "KMG",
            25.038,
            102.718,
            [("南屏街", "Nanping St", STANDARD), ("呈贡", "Chenggong", COMMUNITY)],
        ),
    ],
    "西北 Northwest": [
        (
            "西安",
            "Xi'an",
            "XIY",
            34.341,
            108.940,
            [("钟楼", "Bell Tower", FLAGSHIP), ("小寨", "Xiaozhai", STANDARD), ("曲江", "Qujiang", COMMUNITY)],
        ),
        ("兰州", "Lanzhou", "LHW", 36.061, 103.834, [("西关", "Xiguan", STANDARD), ("安宁", "Anning", COMMUNITY)]),
    ],
}

# Opening hours (minutes after midnight) by hall type; a hall takes one of its type's.
OPENING_HOURS = {
    FLAGSHIP: [(9 * 60, 21 * 60), (9 * 60, 21 * 60 + 30)],
    STANDARD: [(9 * 60, 20 * 60), (9 * 60, 19 * 60), (8 * 60 + 30, 18 * 60 + 30)],
    COMMUNITY: [(9 * 60, 18 * 60), (8 * 60 + 30, 17 * 60 + 30), (9 * 60, 17 * 60 + 30)],
}
COUNTER_RANGE = {FLAGSHIP: (8, 12), STANDARD: (4, 8), COMMUNITY: (2, 4)}
# Relative footfall per counter: flagships sit on shopping streets.
TRAFFIC_PER_COUNTER = {FLAGSHIP: 1.25, STANDARD: 1.0, COMMUNITY: 0.9}
# Share of halls in a region that are chronically understaffed; the South grew fastest and
# hiring has not kept up, the East is well run.
UNDERSTAFFED_SHARE = {"华南 South": 0.4, "华东 East": 0.0}
UNDERSTAFFED_SHARE_DEFAULT = 0.12
# In the South even the flagships are short of people; elsewhere it is a few small halls.
STRAINED_FLAGSHIPS = {"华南 South"}
# ... and the rest of the South runs a little lean, the East a little generous.
STAFFING_BASE = {"华南 South": 0.94, "华东 East": 1.07}
STAFFING_BASE_DEFAULT = 1.02
# Regional service-training effect on staff manner (a latent score added to the peak rating).
REGION_TRAINING = {"华东 East": 0.12, "华南 South": -0.08, "西北 Northwest": -0.05}

# Purpose code -> (label_en, label_zh, peak moment). The peak moment is the interaction a
# visit is remembered by; see DESIGN.md.
PURPOSES: dict[str, tuple[str, str, str]] = {
    "bill_payment": ("Bill payment", "缴费", "counter_result"),
    "sim_plan_change": ("SIM / plan change", "套餐与SIM卡变更", "counter_result"),
    "repair": ("Repair & after-sales", "维修售后", "counter_result"),
    "data_demo": ("Data-service demo", "数据业务体验", "data_experience"),
    "phone_purchase": ("Phone purchase", "购机", "phone_purchase"),
    "enquiry": ("Enquiry", "业务咨询", "other"),
    "broadband": ("Home broadband", "宽带办理", "counter_result"),
    "number_porting": ("Number porting", "携号转网", "counter_result"),
}
PURPOSE_CODES = tuple(PURPOSES)
SEGMENTS = ("consumer", "senior", "student", "business")


@dataclass
class Network:
    halls: pd.DataFrame  # contract hall columns plus the hidden traits below
    # hidden hall traits, indexed like `halls`
    demand_weight: np.ndarray
    staffing_ratio: np.ndarray  # staffed counters vs. what the forecast needs
    absence_rate: np.ndarray  # share of days with one person missing
    culture: np.ndarray  # mean staff manner
    farewell_rate: np.ndarray  # how often staff see a customer off
    environment: np.ndarray  # -1 cramped/old .. +1 new/pleasant
    stockout_rate: np.ndarray  # phones out of stock
    peak_rate: np.ndarray  # share of served visits rated at the counter
    exit_rate: np.ndarray  # share of visits rated at the exit terminal
    english_share: np.ndarray  # share of comments written in English
    trend: np.ndarray  # footfall growth over the period (factor at the end)
    spare_counter: np.ndarray  # someone can open a spare counter when the queue is long


def build_network(rng: np.random.Generator) -> Network:
    rows = []
    for region_name, cities in REGIONS.items():
        for city_zh, city_en, code, lat, lon, halls in cities:
            for i, (zh, en, kind) in enumerate(halls, start=1):
                rows.append(
                    (f"{code}{i:02d}", f"{zh}厅 {en}", region_name, f"{city_zh} {city_en}", kind, lat, lon, city_en)
                )
    n = len(rows)
    kind = np.array([r[4] for r in rows])
    region = np.array([r[2] for r in rows])
    lo = np.array([COUNTER_RANGE[k][0] for k in kind])
    hi = np.array([COUNTER_RANGE[k][1] for k in kind])
    counters = rng.integers(lo, hi + 1)
    hours = [OPENING_HOURS[k][rng.integers(len(OPENING_HOURS[k]))] for k in kind]
    opens = np.array([h[0] for h in hours])
    closes = np.array([h[1] for h in hours])
    # Halls sit within a few kilometres of the city centre.
    lat = np.array([r[5] for r in rows]) + rng.normal(0, 0.03, n)
    lon = np.array([r[6] for r in rows]) + rng.normal(0, 0.03, n)

    understaffed = np.zeros(n, dtype=bool)
    for name in REGIONS:  # a fixed number per region, so every seed tells the same story
        members = np.flatnonzero(region == name)
        k = round(UNDERSTAFFED_SHARE.get(name, UNDERSTAFFED_SHARE_DEFAULT) * len(members))
        flagships = members[kind[members] == FLAGSHIP]
        strained = flagships[:k] if name in STRAINED_FLAGSHIPS else flagships[:0]
        others = np.setdiff1d(members[kind[members] != FLAGSHIP], strained)
        understaffed[strained] = True
        understaffed[rng.choice(others, k - len(strained), replace=False)] = True
    base = np.array([STAFFING_BASE.get(r, STAFFING_BASE_DEFAULT) for r in region])
    staffing_ratio = np.where(understaffed, rng.uniform(0.72, 0.88, n), base + rng.normal(0, 0.06, n))
    absence_rate = np.where(understaffed, 0.16, 0.07) + rng.uniform(0, 0.04, n)
    training = np.array([REGION_TRAINING.get(r, 0.0) for r in region])
    culture = training + rng.normal(0, 0.15, n) - 0.1 * understaffed
    farewell_rate = np.clip(rng.normal(0.45, 0.15, n) + training, 0.1, 0.85)
    environment = np.clip(
        rng.normal(0, 0.45, n) + np.select([kind == FLAGSHIP, kind == COMMUNITY], [0.45, -0.25], 0), -1, 1
    )
    stockout_rate = np.clip(rng.normal(0.09, 0.03, n) + 0.05 * (kind == COMMUNITY), 0.02, 0.25)
    peak_rate = np.clip(rng.normal(0.76, 0.06, n), 0.55, 0.92)
    exit_rate = np.clip(rng.normal(0.58, 0.07, n), 0.38, 0.78)
    cosmopolitan = np.isin([r[7] for r in rows], ["Shanghai", "Beijing", "Shenzhen", "Guangzhou"])
    english_share = np.where(cosmopolitan, 0.3, 0.12) + 0.08 * (kind == FLAGSHIP)
    trend = np.exp(rng.normal(0.03, 0.06, n))
    demand_weight = counters * np.array([TRAFFIC_PER_COUNTER[k] for k in kind]) * rng.lognormal(0, 0.2, n)

    halls = pd.DataFrame(
        {
            "hall_id": [r[0] for r in rows],
            "hall_name": [r[1] for r in rows],
            "region": region,
            "city": [r[3] for r in rows],
            "counters": counters.astype(np.int32),
            "hall_type": kind,
            "latitude": lat.round(5),
            "longitude": lon.round(5),
            "opens_min": opens,
            "closes_min": closes,
        }
    )
    return Network(
        halls,
        demand_weight,
        staffing_ratio,
        absence_rate,
        culture,
        farewell_rate,
        environment,
        stockout_rate,
        peak_rate,
        exit_rate,
        english_share,
        trend,
        ~understaffed,
    )


@dataclass
class Staff:
    """Everyone who works at the counters, network-wide; `hall` indexes Network.halls."""

    staff_id: np.ndarray
    hall: np.ndarray
    speed: np.ndarray  # service-time multiplier (1 = typical, lower = faster)
    manner: np.ndarray  # latent warmth added to the peak rating
    expertise: np.ndarray  # product knowledge: advice on phones and data services
    first: np.ndarray  # first index of each hall's staff in these arrays
    count: np.ndarray  # staff per hall


def build_staff(rng: np.random.Generator, net: Network, roster_size: np.ndarray) -> Staff:
    """A roster per hall; trainees are slower, a few people are curt with customers."""
    hall = np.repeat(np.arange(len(roster_size)), roster_size)
    n = len(hall)
    ids = [f"{net.halls.hall_id[h]}-S{j:02d}" for h, size in enumerate(roster_size) for j in range(1, size + 1)]
    trainee = rng.random(n) < 0.12
    speed = np.clip(rng.lognormal(0, 0.14, n) * np.where(trainee, 1.3, 1.0), 0.7, 1.8)
    curt = rng.random(n) < 0.05
    manner = net.culture[hall] + rng.normal(0, 0.28, n) - 0.9 * curt
    expertise = rng.normal(0, 1, n) - 0.8 * trainee
    first = np.concatenate([[0], np.cumsum(roster_size)[:-1]])
    return Staff(np.array(ids), hall, speed, manner, expertise, first, roster_size)


def purposes_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [(code, en, zh, moment) for code, (en, zh, moment) in PURPOSES.items()],
        columns=["purpose", "label_en", "label_zh", "peak_moment"],
    )
