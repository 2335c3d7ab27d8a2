-- one row per visit purpose known to the warehouse: its labels and peak moment (network configuration, not hall data)
select
    purpose,
    label_zh,
    label_en,
    peak_moment,
from purposes
order by peak_moment, purpose
