"""The peak moments: the part of a visit a customer names as its peak, once for every module.

PEAK_MOMENTS are the three rated moments (each has its own peak score, benchmark and
chart); a visit may also name "other", so a visit's peak_moment is one of ALL_PEAK_MOMENTS
(the data contract, the loader's checks and the explore filter).
"""

PEAK_MOMENTS = ("counter_result", "data_experience", "phone_purchase")
ALL_PEAK_MOMENTS = PEAK_MOMENTS + ("other",)
# The key moments a manager fixes (the Insights page's "what to fix first", tasks): the
# wait, each peak moment, the exit, in the order of a visit.
KEY_MOMENTS = ("wait", *PEAK_MOMENTS, "exit")
