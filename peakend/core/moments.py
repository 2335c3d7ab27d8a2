"""The key moments of a visit, once for every module: the field study's journey, its stages,
and the peak moments (the part of a visit a customer names as its peak).

PEAK_MOMENTS are the three rated moments (each has its own peak score, benchmark and
chart); a visit may also name "other", so a visit's peak_moment is one of ALL_PEAK_MOMENTS
(the data contract, the loader's checks and the explore filter).
"""

import pandas as pd

from peakend.core.i18n import get_language, t

PEAK_MOMENTS = ("counter_result", "data_experience", "phone_purchase")
ALL_PEAK_MOMENTS = PEAK_MOMENTS + ("other",)
# The key moments a manager fixes (the Insights page's "what to fix first", tasks): the
# wait, each peak moment, the exit, in the order of a visit.
KEY_MOMENTS = ("wait", *PEAK_MOMENTS, "exit")

# Where a moment sits in a visit, in the order a customer lives them; the catalogue
# (peakend/warehouse/moments.py) orders a hall's journey by stage, then by position.
STAGES = ("before_queue", "queue", "counter", "after_counter", "exit")

# The field study's journey (关键时刻): the catalogue's defaults, which may be added to but
# never removed. (code, zh, en, stage, is a peak); the codes are the wall sheet's and the
# peak moments' own. Each is rated 1-5.
STUDY_MOMENTS = (
    ("find", "寻找营业厅", "Finding the hall", "before_queue", False),
    ("enter", "进厅", "Entering the hall", "before_queue", False),
    ("wait", "取号等候", "Taking a ticket and waiting", "queue", False),
    ("counter_result", "柜台办理", "The result at the counter", "counter", True),
    ("data_experience", "数据业务体验", "The data-service demo", "counter", True),
    ("phone_purchase", "购机", "Buying a phone", "counter", True),
    ("exit", "离开", "Leaving", "exit", False),
)
# The moments a visit's own columns rate: its purpose's peak moment (peak_score) and the exit
# (exit_score). A ratings file rates the others.
WIDE_MOMENTS = (*PEAK_MOMENTS, "exit")
# The rule for rolling the journey out, quoted when a removal is refused.
RULE_ZH = "允许在本研究基础上增加关键时刻但不能减少"
RULE_EN = "key moments may be added to the study's, never taken away"


def _given(value) -> bool:
    return value is not None and not pd.isna(value) and value != ""


def moment_name(row) -> str:
    """A catalogue moment's name in the current language (a row with label_zh, label_en)."""
    return row["label_zh"] if get_language() == "zh" else row["label_en"]


def moment_label(row) -> str:
    """A catalogue moment's name in the current language, with who added it when it is not
    the study's (a row of queries/_journey_moments.sql or of a query built on it)."""
    name = moment_name(row)
    if _given(row["added_by_hall"]):
        return t("moment.added_by_hall", moment=name)
    if _given(row["added_by_region"]):
        return t("moment.added_by_region", moment=name, region=row["added_by_region"])
    if not row["study"]:
        return t("moment.added_by_network", moment=name)
    return name
