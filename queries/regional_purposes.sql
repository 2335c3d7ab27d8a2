-- one row per visit purpose the comparison can be narrowed to: its labels and peak moment
select
    purpose,
    label_zh,
    label_en,
    peak_moment,
from purposes
order by peak_moment, purpose
